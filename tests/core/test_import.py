"""``import lamindb_core`` is light: no database, no Django ORM, no pandas until the first query.

Each test imports in a fresh process with an empty config folder, since this process has long
imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("django.db", "django.apps", "pandas", "numpy", "sqlite3", "psycopg", "IPython")


@pytest.fixture
def fresh(tmp_path: Path):
    """Run code in a fresh interpreter with an empty ``LAMIN_CORE_HOME``; return the process."""
    home = tmp_path / "home"

    def run(code: str, *flags: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, *flags, "-c", textwrap.dedent(code)],
            env={**os.environ, "LAMIN_CORE_HOME": str(home)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result

    run.home = home
    return run


def test_import_loads_no_orm_no_pandas_and_opens_no_database(fresh):
    result = fresh(
        """
        import json, sys
        import lamindb_core as ln
        ln.errors, ln.setup, ln.__version__  # the attributes that need no registry
        print(json.dumps(sorted(sys.modules)))
        """
    )
    loaded = json.loads(result.stdout)
    for name in HEAVY:
        assert not any(m == name or m.startswith(name + ".") for m in loaded), name
    assert result.stdout and result.stderr == ""
    # nothing was set up: no instance file, no default instance, no database file
    home = fresh.home
    assert not (home / "instances").exists()
    assert not (home / "current-instance").exists()
    assert not list(home.rglob("*.db"))


def test_import_time_profile_lists_no_heavy_module(fresh):
    # `-X importtime` writes one line per module imported; heavy libraries must not be among them
    result = fresh("import lamindb_core", "-X", "importtime")
    imported = [
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ][1:]  # the first line is the header
    assert "lamindb_core" in imported
    for name in HEAVY:
        assert not any(m == name or m.startswith(name + ".") for m in imported), name
    # a whole Django ORM start pulls in several hundred modules; the import stays near 100
    assert len(imported) < 150, len(imported)


def test_import_setup_settings_user_opens_no_database(fresh):
    result = fresh(
        """
        import sys
        import lamindb_core as ln
        print(ln.setup.settings.user.handle)
        print("django.db" in sys.modules)
        """
    )
    handle, orm_loaded = result.stdout.splitlines()
    assert orm_loaded == "False"
    assert json.loads((fresh.home / "user.json").read_text())["handle"] == handle


def test_import_first_registry_access_configures_django_without_querying(fresh):
    result = fresh(
        """
        import sys
        import lamindb_core as ln
        ln.ULabel  # the class: Django is configured, but no query has run
        from django.db import connection
        print("django.db" in sys.modules, connection.connection is None)
        """
    )
    assert result.stdout.splitlines()[-1] == "True True"
    assert not list(fresh.home.rglob("*.db"))


def test_import_browsing_loads_no_pandas_and_nothing_of_the_notebook_side(fresh):
    # the browsers' queries sit in layer 4: they need Django, but pandas waits for the first
    # page, and nothing of lamindb_jupyter (or Jupyter itself) comes along
    result = fresh(
        """
        import json, sys
        import lamindb_core.browsing
        print(json.dumps(sorted(sys.modules)))
        """
    )
    loaded = json.loads(result.stdout)
    for name in ("pandas", "numpy", "IPython", "ipywidgets", "jupyter_server", "lamindb_jupyter"):
        assert not any(m == name or m.startswith(name + ".") for m in loaded), name
    assert not list(fresh.home.rglob("*.db"))


@pytest.mark.sqlite_only  # embedded instances whatever the run's database: once is enough
def test_import_a_first_query_of_an_up_to_date_instance_imports_no_migration_machinery(fresh, tmp_path, monkeypatch):
    # a new instance from the template of its schema, then a process that only queries it: the
    # migrations are all applied, and django.db.migrations (operations, state, the recorder,
    # about 4 ms of imports) is never needed
    code = """
        import sys
        import lamindb_core as ln
        {setup}
        print(ln.ULabel.filter().count(), "django.db.migrations" in sys.modules)
        """
    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(tmp_path / "cache"))  # the processes' own templates
    fresh(code.format(setup=f"ln.setup.init(storage={str(tmp_path / 'first')!r})"))  # migrates, keeps the template
    made = fresh(code.format(setup=f"ln.setup.init(storage={str(tmp_path / 'second')!r})"))
    again = fresh(code.format(setup="ln.setup.connect('second')"))
    assert made.stdout.split()[-2:] == ["0", "False"]
    assert again.stdout.split()[-2:] == ["0", "False"]
