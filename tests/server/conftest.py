"""Fixtures for the REST handlers: an in-process Jupyter server (pytest-jupyter) with the extension.

The handlers read the database in their own thread, which sees only committed rows, so the
records here are committed once per module and deleted afterwards instead of rolled back.
"""

from __future__ import annotations

import pytest

# pytest-jupyter's fixtures (jp_fetch, jp_serverapp, ...) and its hooks that run async tests
from pytest_jupyter.jupyter_server import *  # noqa: F403

PREFIX = "REST test "


@pytest.fixture
def jp_server_config():
    """Load the extension; keep the session's instance instead of following the config folder."""
    return {
        "ServerApp": {"jpserver_extensions": {"lamindb_jupyter.server": True}},
        "LaminDBServer": {"follow_current_instance": False},
    }


@pytest.fixture(scope="module")
def rest_labels(instance):
    """25 committed labels named ``REST test 00`` ... ``REST test 24``, a parent with two
    children, and one whose name is HTML; removed when the module's tests are done."""
    ln = instance
    labels = [ln.ULabel(name=f"{PREFIX}{i:02d}") for i in range(25)]
    labels.append(ln.ULabel(name=f"{PREFIX}<img src=x onerror=alert(1)>", description="<b>bold</b>"))
    ln.save(labels)
    parent = labels[0]
    parent.children.add(labels[1], labels[2])
    yield labels
    ln.ULabel.filter(name__startswith=PREFIX).delete()
