"""The distribution: its name, the install hints that name it, the JupyterLab extension's metadata.

The name ``lamindb-core`` on PyPI is Lamin Labs' own package (a dependency of ``lamindb`` since
2.3): under it, ``pip install lamindb`` would take this project for an old version of it.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
NAME = PYPROJECT["project"]["name"]
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
SOURCES = sorted(p for folder in ("lamindb_core", "lamindb_jupyter") for p in (REPO / folder).rglob("*.py"))
# pip install 'name[extra]' or pip install name[extra] in a message or docstring
HINT = re.compile(r"pip install '?([A-Za-z0-9_.-]+)(?:\[([a-z0-9_,-]+)\])?'?")


def test_distribution_is_not_named_like_lamin_labs_package():
    assert NAME == "lamindb-jupyter"
    # the modules and the command keep their names
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["lamindb_core", "lamindb_jupyter"]
    assert PYPROJECT["project"]["scripts"] == {"lamin-core": "lamindb_core.cli:main"}


def test_distribution_dev_extra_refers_to_itself():
    own = [d for d in PYPROJECT["project"]["optional-dependencies"]["dev"] if d.split("[")[0] in (NAME, "lamindb-core")]
    assert own == [f"{NAME}[postgres,jupyter,anndata,fcs,search,bio,s3]"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_distribution_install_hints_name_it_and_an_extra_it_has(path):
    for match in HINT.finditer(path.read_text()):
        name, extras = match.groups()
        if name.startswith(("lamindb", "lamin-")):
            assert name == NAME, f"{path.name}: {match.group(0)}"
            assert extras and set(extras.split(",")) <= EXTRAS, f"{path.name}: {match.group(0)}"


def test_distribution_named_by_the_labextension_metadata():
    install = json.loads((REPO / "labextension" / "install.json").read_text())
    assert install["packageName"] == NAME
    assert install["uninstallInstructions"].endswith(f"uninstall the package {NAME}")
