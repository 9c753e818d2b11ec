"""Fixtures for the bio tests: each test runs in a transaction that is rolled back.

Public tables are cached in the user cache folder (``$LAMIN_CORE_CACHE_DIR`` if
set), so only the first run on a machine reads the packages' data.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def rollback(request: pytest.FixtureRequest, instance):
    """Undo every row a test writes, forget the run it tracked, restore bt.settings."""
    from django.db import transaction

    import lamindb_core.bio as bt
    from lamindb_core.context import context

    organism, auto_save_parents = bt.settings.organism, bt.settings.auto_save_parents
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        context.reset()
        bt.settings.organism, bt.settings.auto_save_parents = organism, auto_save_parents


@pytest.fixture
def bt(instance):
    """``lamindb_core.bio``."""
    import lamindb_core.bio as bt

    return bt
