"""Fixtures for the bio tests: each test runs in a transaction that is rolled back.

Public tables are cached in the user cache folder (``$LAMIN_CORE_CACHE_DIR`` if
set), so only the first run on a machine reads the packages' data.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def rollback(rolled_back):
    """Undo every row a test writes, forget the run it tracked, restore bt.settings.

    Every bio test rolls back: ``no_rollback`` does not apply here.
    """
    import lamindb_core.bio as bt

    organism, auto_save_parents = bt.settings.organism, bt.settings.auto_save_parents
    try:
        with rolled_back(honour_no_rollback=False):
            yield
    finally:
        bt.settings.organism, bt.settings.auto_save_parents = organism, auto_save_parents


@pytest.fixture
def bt(instance):
    """``lamindb_core.bio``."""
    import lamindb_core.bio as bt

    return bt
