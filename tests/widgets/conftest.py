"""Fixtures for the widget tests: each test runs in a transaction that is rolled back.

The browser queries in the test's own thread, so it sees the test's uncommitted rows.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def rollback(rolled_back):
    """Undo every row a test writes (every widget test; the tracking context is left as it is)."""
    with rolled_back(honour_no_rollback=False, reset_context=False):
        yield


@pytest.fixture
def labels(instance):
    """Labels as in the guide plus one whose name is markup: DMSO, IFNG, Candidate marker
    study 1, Candidate marker study 2, <img src=x onerror=alert(1)>."""
    ln = instance
    names = ["DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2", "<img src=x onerror=alert(1)>"]
    records = [ln.ULabel(name=n) for n in names]
    ln.save(records)
    return records


@pytest.fixture
def shell():
    """A real IPython shell (the one ``get_ipython()`` returns) with a clean namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns.pop("selection", None)
    yield shell
    shell.user_ns.pop("selection", None)
