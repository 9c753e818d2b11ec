"""Value sources: what a module registers for the Curator, and core code that names no module's registry."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import lamindb_core
from lamindb_core import value_sources
from lamindb_core.value_sources import register_value_source, value_source

CORE = Path(lamindb_core.__file__).parent


@pytest.fixture
def no_sources(monkeypatch):
    """An empty registry of value sources for the test; the registered ones come back after it."""
    monkeypatch.setattr(value_sources, "_sources", {})


def test_value_source_is_found_by_registry(instance, no_sources):
    ln = instance
    assert value_source(ln.ULabel) is None
    source = register_value_source(ln.ULabel, warnings={"name": "names may change"})
    assert value_source(ln.ULabel) is source
    assert source.save_missing is None and source.warnings["name"] == "names may change"
    with pytest.raises(TypeError):
        source.warnings["name"] = "changed"  # read-only: a caller cannot change what others see


def test_value_source_curator_saves_missing_values_from_it_and_warns(instance, no_sources, capsys):
    ln = instance
    calls = []

    def save_missing(values, field, organism, key):
        calls.append((list(values), field, organism, key))
        ln.save([ln.ULabel(name=v) for v in values if v == "DMSO"])
        return ["DMSO"]

    register_value_source(ln.ULabel, save_missing=save_missing, warnings={"name": "label names are free text"})
    df = pd.DataFrame({"treatment": ["DMSO", "aspirin"]})
    curator = ln.Curator.from_df(df, categoricals={"treatment": ln.ULabel.name}, organism="human")
    assert curator.validate() is False
    assert calls == [(["DMSO", "aspirin"], "name", "human", "treatment")]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "! label names are free text"
    assert out[1] == "! 1 term is not validated in \"treatment\" against ULabel.name: 'aspirin'"
    assert curator.non_validated == {"treatment": ["aspirin"]}


def _names_in_code(path: Path) -> set[str]:
    """Identifiers and string constants of a module, without its documentation
    (docstrings, the strings after an assignment, ``help_text=``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for i, stmt in enumerate(body):
                is_string = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                if is_string and (i == 0 or isinstance(body[i - 1], (ast.Assign, ast.AnnAssign))):
                    docs.add(id(stmt.value))
        if isinstance(node, ast.keyword) and node.arg == "help_text":
            docs.add(id(node.value))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found.update(part for word in node.value.split() for part in word.split("."))
    return found


def test_value_sources_core_code_names_no_bio_registry():
    # STYLE.md: optional modules register what they add; core code never names them
    import lamindb_core.bio as bt

    bio_registries = set(bt.__all__) - {"settings"}
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE)
        if relative.parts[0] in ("bio", "migrations") or "migrations" in relative.parts:
            continue
        named = _names_in_code(path) & bio_registries
        if named:
            offenders[str(relative)] = sorted(named)
    assert offenders == {}
