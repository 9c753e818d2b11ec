"""Fixtures for the core tests: each test runs in a transaction that is rolled back.

Tests that change the schema (registries defined in the test) cannot run inside
a transaction on SQLite; mark them ``no_rollback`` and clean up what they make.
The rollback itself is ``rolled_back`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest


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
