"""New embedded instances start from a kept copy of a migrated schema (issue 16: init speed).

Each scenario runs in new processes with a config folder and a cache folder of its own, as a
user's first and later ``ln.setup.init`` would.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # templates are for embedded (SQLite) instances

# counts the migrations Django applies in this process; prints the instance's state
INIT = """
import sys
from django.db.migrations import executor

applied = []
apply = executor.MigrationExecutor.apply_migration
def counting(self, state, migration, *args, **kwargs):
    applied.append(migration.name)
    return apply(self, state, migration, *args, **kwargs)
executor.MigrationExecutor.apply_migration = counting

import lamindb_core as ln
ln.setup.init(storage=sys.argv[1], modules=sys.argv[2] or None)
ln.ULabel(name="my label").save()
print(len(applied))
print(ln.setup.settings.instance.uid)
print(ln.Storage.filter().count(), ln.User.filter().count(), ln.ULabel.filter().count())
print(ln.ULabel.search("my labl").df()["name"].iloc[0])
"""


def run_init(tmp_path: Path, cache: Path, name: str, modules: str = "") -> list[str]:
    """A new instance in ``tmp_path/name``, made in a new process with its own config folder and
    the cache folder ``cache``; its printed lines (migrations applied, instance uid, counts, a
    search result)."""
    env = {**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "home"), "LAMIN_CORE_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(INIT), str(tmp_path / name), modules],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-4:]  # after the messages of init


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The first instance made with an empty cache folder: ``(its cache folder, its lines)``."""
    tmp_path = tmp_path_factory.mktemp("first")
    return tmp_path / "cache", run_init(tmp_path, tmp_path / "cache", "one")


@pytest.fixture
def init(tmp_path: Path, first):
    """``init(name, modules)``: a new instance, with a cache folder that holds a copy of what the
    first instance kept there."""
    cache = tmp_path / "cache"
    shutil.copytree(first[0], cache)
    return lambda name, modules="": run_init(tmp_path, cache, name, modules)


def templates(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "schemas").glob("*.sqlite3"))


def test_schema_template_kept_by_the_first_init_and_copied_by_the_next(init, first, tmp_path):
    cache, lines = first
    assert int(lines[0]) > 0  # migrated
    (template,) = templates(tmp_path)
    assert template.name.startswith("core-")
    with sqlite3.connect(template) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # the schema, without any row of the instance that made it
        assert "core_ulabel" in tables and "lamindb_instance" not in tables
        assert conn.execute("SELECT count(*) FROM core_storage").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM core_user").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM core_ulabel").fetchone()[0] == 0

    second = init("two")
    assert second[0] == "0"  # copied: no migration ran
    assert second[1] != lines[1]  # an instance of its own
    assert second[2:] == lines[2:] == ["1 1 1", "my label"]  # seeded, writable, searchable
    # the ownership marker names the new instance
    with sqlite3.connect(tmp_path / "two" / ".lamindb" / "lamin.db") as conn:
        assert conn.execute("SELECT uid FROM lamindb_instance").fetchall() == [(second[1],)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_template_of_each_set_of_modules(init, tmp_path):
    bio = init("bio", "bio")
    assert int(bio[0]) > 0  # the plain schema's template does not serve an instance with bio
    assert [p.name.split("-")[0] for p in templates(tmp_path)] == ["bio", "core"]
    assert init("bio2", "bio")[0] == "0"


def test_schema_template_damaged_or_of_other_migrations_is_not_used(init, tmp_path):
    (template,) = templates(tmp_path)
    with sqlite3.connect(template) as conn:
        conn.execute("DELETE FROM django_migrations WHERE name = (SELECT max(name) FROM django_migrations WHERE app = 'core')")
    other = init("two")
    assert int(other[0]) > 0 and other[2:] == ["1 1 1", "my label"]  # migrated, as without a template
    template.write_bytes(b"not a database" * 100)
    damaged = init("three")
    assert int(damaged[0]) > 0 and damaged[2:] == ["1 1 1", "my label"]
    # and the template is whole again for the next one
    assert init("four")[0] == "0"
