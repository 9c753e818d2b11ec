"""The import direction between the layers of ../shared/STYLE.md, read from the source.

Data flows one way: faces (the notebook extension, the CLI) call services and models;
models call services; services take registries as arguments and never import a concrete
model; the instance layer knows no registry; the base imports nothing of ours. Optional
modules (``bio``) register what they add, so no other code imports them. Imports inside
functions count the same as those at the top: hiding one there does not fix a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lamindb_core", "lamindb_jupyter")

# 0. leaf utilities
BASE = {
    "lamindb_core.errors",
    "lamindb_core.logger",
    "lamindb_core.uids",
    "lamindb_core.collector",
    "lamindb_core.context",
    "lamindb_core.valueset",
    "lamindb_core.progress",
    "lamindb_core.text_lookups",
    # S3 buckets through s3fs: takes URLs and local paths, knows no registry; setup.init checks a
    # bucket with it, models and services store and read artifacts with it
    "lamindb_core.object_store",
}
# 1. Django's configuration, the current instance, the schema
INSTANCE = {
    "lamindb_core.instance",
    "lamindb_core.config",
    "lamindb_core.setup",
    # ln.settings: it reads the current instance's storage (ln.settings.storage)
    "lamindb_core.process_settings",
    "lamindb_core.ownership",
    "lamindb_core.schema_template",
    "lamindb_core.noinstance",
    "lamindb_core.noinstance.base",
    "lamindb_core.custom",
    "lamindb_core.custom.apps",
    "lamindb_core.custom.tables",
}
# 4. faces
FACES_PREFIXES = ("lamindb_jupyter", "lamindb_core.cli")
# 2. models and their queries: everything under models/, query.py, the core app's AppConfig
# (apps.py: its ready() connects the models' signal handlers, such as the seeds' post_migrate),
# and the optional modules (bio/), which sit beside the models and register what they add
MODELS_PREFIXES = ("lamindb_core.models", "lamindb_core.query", "lamindb_core.apps", "lamindb_core.bio.")
# the package itself assembles the public API (``ln.ULabel``): only faces may import it
PACKAGE_ROOTS = {"lamindb_core", "lamindb_core.bio"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


MODULES = all_modules()


def imports_of(name: str, path: Path) -> set[str]:
    """The modules of ours that ``name`` imports, anywhere in its file."""
    tree = ast.parse(path.read_text())
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from . import errors` imports the module errors, not the package
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                for alias in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] in PACKAGES and t != name)
    return found


def layer(name: str) -> str:
    if name in PACKAGE_ROOTS:
        return "package"
    if name.startswith(FACES_PREFIXES):
        return "face"
    if name in BASE:
        return "base"
    if name in INSTANCE:
        return "instance"
    if name.startswith(MODELS_PREFIXES):
        return "models"
    return "service"


# what each layer may import
ALLOWED = {
    "base": {"base"},
    "instance": {"base", "instance"},
    "service": {"base", "instance", "service"},
    "models": {"base", "instance", "service", "models"},
    "face": {"base", "instance", "service", "models", "package", "face"},
    "package": {"base", "instance", "service", "models", "package"},
}


def edges() -> list[tuple[str, str]]:
    return sorted((name, target) for name, path in MODULES.items() for target in imports_of(name, path))


def test_layers_every_module_imports_only_from_the_layers_below_it():
    wrong = [
        f"{name} ({layer(name)}) imports {target} ({layer(target)})"
        for name, target in edges()
        if layer(target) not in ALLOWED[layer(name)]
    ]
    assert wrong == []


def test_layers_no_core_code_imports_the_optional_bio_module():
    wrong = [
        f"{name} imports {target}"
        for name, target in edges()
        if target.startswith("lamindb_core.bio")
        and not name.startswith(("lamindb_core.bio", "lamindb_jupyter"))
        and name not in PACKAGE_ROOTS
    ]
    assert wrong == []


@pytest.mark.parametrize(("face", "other"), [
    ("lamindb_jupyter.widgets", "lamindb_jupyter.server"),
    ("lamindb_jupyter.server", "lamindb_jupyter.widgets"),
    ("lamindb_core.cli", "lamindb_jupyter"),
])
def test_layers_faces_do_not_import_each_other(face, other):
    wrong = [f"{name} imports {target}" for name, target in edges() if name.startswith(face) and target.startswith(other)]
    assert wrong == []


def test_layers_the_library_never_imports_the_notebook_extension():
    wrong = [
        f"{name} imports {target}"
        for name, target in edges()
        if name.startswith("lamindb_core") and target.startswith("lamindb_jupyter")
    ]
    assert wrong == []


def test_layers_no_registry_is_looked_up_by_name_outside_the_schema_code():
    # the schema code, and the migration operations of text_index and word_index, which read the migration's
    # historical models (the ``apps`` that RunPython hands it), never the current ones
    allowed = {
        "lamindb_core.instance", "lamindb_core.setup", "lamindb_core.config", "lamindb_core.text_index",
        "lamindb_core.word_index",
    }
    wrong = [name for name, path in MODULES.items() if "apps.get_model(" in path.read_text() and name not in allowed]
    assert wrong == []


def test_layers_the_test_knows_every_module():
    # a new module lands in a layer on purpose: the defaults above must still describe it
    assert "lamindb_core.errors" in MODULES and "lamindb_jupyter.magics" in MODULES
    assert {layer(name) for name in MODULES} == set(ALLOWED)
