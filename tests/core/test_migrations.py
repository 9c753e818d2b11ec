"""The shipped migrations match the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_migrations_match_the_models():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "makemigrations.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (
        "models changed without a migration: run scripts/makemigrations.py\n" + result.stdout + result.stderr
    )
