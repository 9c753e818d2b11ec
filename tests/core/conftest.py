"""Fixtures for the core tests: each test runs in a transaction that is rolled back.

Tests that change the schema (registries defined in the test) cannot run inside
a transaction on SQLite; mark them ``no_rollback`` and clean up what they make.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_rollback: the test commits; it cleans up itself")


@pytest.fixture(autouse=True)
def rollback(request: pytest.FixtureRequest, instance):
    """Undo every row a test writes, and forget the run it tracked."""
    from django.db import transaction

    from lamindb_core.context import context

    if request.node.get_closest_marker("no_rollback"):
        yield
        context.reset()
        return
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        context.reset()


@pytest.fixture
def labels(instance):
    """Three saved labels, as in the guide: DMSO, IFNG, Candidate marker study 1."""
    ln = instance
    records = [ln.ULabel(name=n) for n in ("DMSO", "IFNG", "Candidate marker study 1")]
    ln.save(records)
    return records
