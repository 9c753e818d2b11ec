"""Write Django migrations for the schema of lamindb_core and lamindb_core.bio (developers only).

Usage:
    python scripts/makemigrations.py            # write new migrations
    python scripts/makemigrations.py --check    # exit 1 if models and migrations differ

Help texts (``help_text=``) are model state too, so changing one needs a migration. For a few
fields the generated ``AlterField`` is fine; for many, put the new texts into the operations
that create the fields instead (as 0001_initial did in issue 12): every ``AlterField`` renders
the models again when an instance is set up, and hundreds of them cost seconds each time.
"""

from __future__ import annotations

import os
import sys
import tempfile

os.environ["LAMIN_CORE_HOME"] = tempfile.mkdtemp(prefix="lamin-makemigrations-")

from django.core.management import call_command  # noqa: E402

import lamindb_core.bio  # noqa: E402, F401  (imported first: Django loads the bio app too)
from lamindb_core.instance import ensure_django  # noqa: E402
from lamindb_core.logger import logger  # noqa: E402

logger.verbosity = 0
ensure_django()
args = ["core", "bio"]
if "--check" in sys.argv:
    args += ["--check", "--dry-run"]
call_command("makemigrations", *args)
