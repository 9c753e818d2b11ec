"""Fixtures for the core tests: each test runs in a transaction that is rolled back.

Tests that change the schema (registries defined in the test) cannot run inside
a transaction on SQLite; mark them ``no_rollback`` and clean up what they make.
The rollback itself is ``rolled_back`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lamindb_core import files


@pytest.fixture(autouse=True)
def rollback(rolled_back):
    """Undo every row a test writes (unless it is marked ``no_rollback``); forget its run."""
    with rolled_back():
        yield


@pytest.fixture
def labels(instance):
    """Three saved labels, as in the guide: DMSO, IFNG, Candidate marker study 1."""
    ln = instance
    records = [ln.ULabel(name=n) for n in ("DMSO", "IFNG", "Candidate marker study 1")]
    ln.save(records)
    return records


@pytest.fixture
def lamindb_dir(instance) -> Path:
    """``<storage>/.lamindb`` of the test instance."""
    return Path(instance.setup.settings.storage).resolve() / ".lamindb"


@pytest.fixture
def storage_files(lamindb_dir: Path):
    """Remove the files and folders a test stored; yields a function listing them.

    Files are written to the storage even when the test's transaction is rolled
    back; modules that store artifacts use it for every test
    (``pytestmark = pytest.mark.usefixtures("storage_files")``).
    """
    # on PostgreSQL the folder exists only once an artifact was stored; the journals'
    # folder of saves in progress (lamindb_core.recovery) is the storage's, not a test's
    (lamindb_dir / ".pending").mkdir(parents=True, exist_ok=True)
    before = set(lamindb_dir.iterdir())

    def added() -> list[str]:
        return sorted(p.name for p in set(lamindb_dir.iterdir()) - before)

    yield added
    for path in set(lamindb_dir.iterdir()) - before:
        files.remove_path(path)
