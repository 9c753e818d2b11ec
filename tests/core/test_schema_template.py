"""New instances start from a kept template of a migrated schema (issue 16: init speed).

Each scenario runs in new processes with a config folder and a cache folder of its own, as a
user's first and later ``ln.setup.init`` would; on the PostgreSQL run each instance gets a
throwaway database of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import string
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")
SUFFIX = ".postgresql.json" if ON_POSTGRES else ".sqlite3"

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
ln.setup.init(storage=sys.argv[1], db=sys.argv[2] or None, modules=sys.argv[3] or None)
ln.ULabel(name="my label").save()
print(len(applied))
print(ln.setup.settings.instance.uid)
print(ln.Storage.filter().count(), ln.User.filter().count(), ln.ULabel.filter().count())
print(ln.ULabel.search("my labl").df()["name"].iloc[0])
"""


class Databases:
    """Throwaway PostgreSQL databases (on the SQLite run: none, the instances are embedded)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def new(self) -> str:
        if not ON_POSTGRES:
            return ""
        import psycopg

        name = "lamin_template_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))

    def drop(self) -> None:
        if not self.names:
            return
        import psycopg

        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    made = Databases()
    yield made
    made.drop()


def run_init(tmp_path: Path, cache: Path, databases: Databases, name: str, modules: str = "") -> list[str]:
    """A new instance in ``tmp_path/name``, made in a new process with its own config folder and
    the cache folder ``cache``; its printed lines (migrations applied, instance uid, counts, a
    search result)."""
    env = {**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "home"), "LAMIN_CORE_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(INIT), str(tmp_path / name), databases.new(), modules],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-4:]  # after the messages of init


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> tuple[Path, list[str]]:
    """The first instance made with an empty cache folder: ``(its cache folder, its lines)``."""
    tmp_path = tmp_path_factory.mktemp("first")
    return tmp_path / "cache", run_init(tmp_path, tmp_path / "cache", databases, "one")


@pytest.fixture
def init(tmp_path: Path, first, databases: Databases):
    """``init(name, modules)``: a new instance, with a cache folder that holds a copy of what the
    first instance kept there."""
    cache = tmp_path / "cache"
    shutil.copytree(first[0], cache)
    return lambda name, modules="": run_init(tmp_path, cache, databases, name, modules)


def templates(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "schemas").glob(f"*{SUFFIX}"))


def test_schema_template_kept_by_the_first_init_and_used_by_the_next(init, first, tmp_path, databases):
    cache, lines = first
    assert int(lines[0]) > 0  # migrated
    (template,) = templates(tmp_path)
    assert template.name.startswith("core-")
    if ON_POSTGRES:
        # the statements of the migration; none writes a row of the instance that made it
        statements = [sql for sql, _, _ in json.loads(template.read_text())]
        assert any(s.startswith('CREATE TABLE "core_ulabel"') for s in statements)
        written = {s.split()[2] for s in statements if s.startswith("INSERT INTO")}
        # the migrations applied, and the word indexes filled from the (empty) tables
        assert all(t == '"django_migrations"' or t.endswith('_fts_words"') for t in written), written
        assert not any("lamindb_instance" in s for s in statements)
    else:
        with sqlite3.connect(template) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            # the schema, without any row of the instance that made it
            assert "core_ulabel" in tables and "lamindb_instance" not in tables
            for table in ("core_storage", "core_user", "core_ulabel"):
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0

    second = init("two")
    assert second[0] == "0"  # from the template: no migration ran
    assert second[1] != lines[1]  # an instance of its own
    assert second[2:] == lines[2:] == ["1 1 1", "my label"]  # seeded, writable, searchable
    if ON_POSTGRES:
        # made on a connection of its own while Django set up: the ownership marker, written in
        # the same transaction, names the new instance and every table as made by it
        import psycopg

        database = urlunsplit(urlsplit(TEST_DB)._replace(path="/" + databases.names[-1]))
        with psycopg.connect(database) as conn:
            assert conn.execute("SELECT uid FROM lamindb_instance").fetchall() == [(second[1],)]
            (recorded,) = conn.execute("SELECT tables FROM lamindb_instance").fetchone()
            tables = {name for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' UNION SELECT viewname FROM pg_views WHERE schemaname = 'public'")}
            assert set(json.loads(recorded)) == tables
    else:
        # the ownership marker names the new instance, and every table as made by it
        with sqlite3.connect(tmp_path / "two" / ".lamindb" / "lamin.db") as conn:
            assert conn.execute("SELECT uid FROM lamindb_instance").fetchall() == [(second[1],)]
            (recorded,) = conn.execute("SELECT tables FROM lamindb_instance").fetchone()
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            assert set(json.loads(recorded)) == tables - {"sqlite_sequence"}
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_template_of_each_set_of_modules(init, tmp_path):
    bio = init("bio", "bio")
    assert int(bio[0]) > 0  # the plain schema's template does not serve an instance with bio
    assert [p.name.split("-")[0] for p in templates(tmp_path)] == ["bio", "core"]
    assert init("bio2", "bio")[0] == "0"


def _forget_last_migration(template: Path) -> None:
    if ON_POSTGRES:
        statements = json.loads(template.read_text())
        last = max(i for i, (sql, _, _) in enumerate(statements) if sql.startswith('INSERT INTO "django_migrations"'))
        template.write_text(json.dumps(statements[:last] + statements[last + 1:]))
        return
    with sqlite3.connect(template) as conn:
        conn.execute("DELETE FROM django_migrations WHERE name = (SELECT max(name) FROM django_migrations WHERE app = 'core')")


def test_schema_template_damaged_or_of_other_migrations_is_not_used(init, tmp_path):
    (template,) = templates(tmp_path)
    _forget_last_migration(template)
    other = init("two")
    assert int(other[0]) > 0 and other[2:] == ["1 1 1", "my label"]  # migrated, as without a template
    template.write_bytes(b"not a template" * 100)
    # templates of earlier versions of the code: one unused for 60 days, one used yesterday
    old, recent = (template.with_name(f"core-{c * 16}{SUFFIX}") for c in "01")
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    os.utime(old, (time.time() - 60 * 86400,) * 2)
    os.utime(recent, (time.time() - 86400,) * 2)
    damaged = init("three")
    assert int(damaged[0]) > 0 and damaged[2:] == ["1 1 1", "my label"]
    # keeping the new template removed the one that no instance was made from for 30 days
    assert not old.exists() and recent.exists()
    # and the template is whole again for the next one
    assert init("four")[0] == "0"


@pytest.mark.postgres_only
def test_schema_template_a_statement_the_server_refuses_leaves_nothing(init, tmp_path):
    (template,) = templates(tmp_path)
    statements = json.loads(template.read_text())
    # a refused statement after the tables were made: the replay is rolled back whole, and the
    # instance is migrated into an empty database
    statements.insert(len(statements) - 1, ["SELECT no_such_function()", None, False])
    template.write_text(json.dumps(statements))
    lines = init("two")
    assert int(lines[0]) > 0 and lines[2:] == ["1 1 1", "my label"]


_NEEDED = {("core", "0001_initial")}


def _sqlite_template(template: Path) -> Path:
    """An SQLite template at ``template`` that applies the migrations ``_NEEDED``."""
    template.parent.mkdir(parents=True)
    with sqlite3.connect(template) as conn:
        conn.execute("CREATE TABLE django_migrations (app TEXT, name TEXT)")
        conn.execute("INSERT INTO django_migrations VALUES ('core', '0001_initial')")
    conn.close()
    return template


def _mark(conn) -> None:
    # what a copy's `prepare` writes (the ownership marker, in the real one)
    conn.execute("CREATE TABLE mark (owner TEXT)")
    conn.execute("INSERT INTO mark VALUES ('me')")


@pytest.mark.sqlite_only
def test_schema_template_copy_never_replaces_a_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from lamindb_core import schema_template

    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(tmp_path / "cache"))
    template = _sqlite_template(schema_template.sqlite_template_path(("core",)))
    folder = tmp_path / "instance"
    folder.mkdir()
    needed, mark = _NEEDED, _mark

    # a template of other migrations is not used
    assert not schema_template.copy_sqlite(template, folder / "other.db", needed | {("core", "0002_more")}, mark)
    # an existing database is never replaced, whatever it holds
    (folder / "lamin.db").write_bytes(b"someone's data")
    assert not schema_template.copy_sqlite(template, folder / "lamin.db", needed, mark)
    assert (folder / "lamin.db").read_bytes() == b"someone's data"
    assert sorted(p.name for p in folder.iterdir()) == ["lamin.db"]

    # the copy, where there is no file, with what `prepare` wrote; the template stays as it was
    assert schema_template.copy_sqlite(template, folder / "new.db", needed, mark)
    with sqlite3.connect(folder / "new.db") as conn:
        assert conn.execute("SELECT app, name FROM django_migrations").fetchall() == [("core", "0001_initial")]
        assert conn.execute("SELECT owner FROM mark").fetchall() == [("me",)]
    conn.close()
    with sqlite3.connect(template) as conn:
        assert "mark" not in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["lamin.db", "new.db"]
    # readable by others where the umask lets SQLite's own new files be
    umask = os.umask(0o022)
    os.umask(umask)
    assert (folder / "new.db").stat().st_mode & 0o777 == 0o644 & ~umask




@pytest.mark.sqlite_only
def test_sqlite_copy_in_the_background_marked_or_not_at_all(tmp_path):
    import threading

    from lamindb_core import schema_template

    template = _sqlite_template(tmp_path / "cache" / "template.sqlite3")
    folder = tmp_path / "instance"
    folder.mkdir()
    needed, mark = _NEEDED, _mark

    copy = schema_template.SqliteCopy(folder / "new.db", template, needed, folder / "new.db.lock", mark)
    assert copy.wait() and copy.made
    with sqlite3.connect(folder / "new.db") as conn:
        assert conn.execute("SELECT owner FROM mark").fetchall() == [("me",)]
    conn.close()

    # a file that exists (or only its write-ahead log) is left as it is
    (folder / "old.db").write_bytes(b"someone's data")
    (folder / "wal.db-wal").write_bytes(b"someone's log")
    for name in ("old.db", "wal.db"):
        assert not schema_template.SqliteCopy(folder / name, template, needed, folder / f"{name}.lock", mark).wait()
    assert (folder / "old.db").read_bytes() == b"someone's data" and not (folder / "wal.db").exists()
    # a template of other migrations: nothing
    other = needed | {("core", "0002_more")}
    assert not schema_template.SqliteCopy(folder / "other.db", template, other, folder / "other.db.lock", mark).wait()
    assert not (folder / "other.db").exists()

    # cancelled while it works: nothing is put in place, no temporary file is left
    started, go = threading.Event(), threading.Event()

    def slow_mark(conn):
        started.set()
        go.wait(60)
        mark(conn)

    copy = schema_template.SqliteCopy(folder / "late.db", template, needed, folder / "late.db.lock", slow_mark)
    assert started.wait(60)
    stopper = threading.Thread(target=copy.cancel)
    stopper.start()
    while not copy._cancelled:  # until cancel() has said so (a wait, not a timing)
        time.sleep(0.01)
    go.set()
    stopper.join()
    assert not copy.made and not (folder / "late.db").exists()
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_schema_template_name_changes_with_any_python_file_of_the_package(tmp_path):
    import hashlib

    from lamindb_core import schema_template

    package = tmp_path / "package"
    (package / "migrations").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "models.py").write_text("x = 1\n")
    (package / "migrations" / "0001_initial.py").write_text("operations = []\n")

    def signature() -> str:
        digest = hashlib.sha256()
        schema_template._code_signature(package, "", digest)
        return digest.hexdigest()

    first = signature()
    assert signature() == first
    (package / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"bytecode")
    (package / "notes.txt").write_text("not code")
    assert signature() == first  # neither bytecode nor other files count
    # the same size, another content: the modification time tells
    path = package / "migrations" / "0001_initial.py"
    before = path.stat().st_mtime_ns
    path.write_text("operations = [1]\n"[:len("operations = []\n")])
    os.utime(path, ns=(before + 1, before + 1))
    assert signature() != first
    second = signature()
    (package / "migrations" / "0002_more.py").write_text("")
    assert signature() != second


# -- PostgreSQL: the schema made on a connection of its own ---------------------------------------


def _fake_template(tmp_path: Path, monkeypatch, statements: list) -> tuple[str, set]:
    """A template of ``statements`` for the apps ``("core",)`` in a cache folder of the test's own,
    and an empty database: ``(its URL, the migrations the template applies)``."""
    import psycopg

    from lamindb_core import schema_template

    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(tmp_path / "cache"))
    url = _databases.new()
    with psycopg.connect(url) as conn:
        version = conn.info.server_version
    path = schema_template._template_path(("core",), "postgresql", f"postgresql {version}")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([
        ["CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz)", None, False],
        ['INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)', ["core", "0001_initial", {"now": True}], False],
        *statements,
    ]))
    return url, {("core", "0001_initial")}


_databases = Databases()


@pytest.fixture
def throwaway_databases() -> Iterator[None]:
    yield
    _databases.drop()
    _databases.names.clear()


def _tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


@pytest.mark.postgres_only
def test_postgres_schema_made_in_the_background_with_its_marker_or_not_at_all(tmp_path, monkeypatch, throwaway_databases):
    from lamindb_core import ownership, schema_template

    url, migrations = _fake_template(tmp_path, monkeypatch, [["CREATE TABLE core_thing (id int)", None, False]])
    marked = []
    replay = schema_template.PostgresReplay(url, ("core",), migrations, ownership.PG_LOCK_KEY, lambda conn, tables: marked.append(sorted(tables)))
    assert replay.wait()
    assert marked == [["core_thing", "django_migrations"]]  # the tables, listed inside the transaction
    assert _tables(url) == {"core_thing", "django_migrations"}

    # a database that holds a table already is left as it is (the usual path decides what it is)
    url, migrations = _fake_template(tmp_path / "2", monkeypatch, [["CREATE TABLE core_thing (id int)", None, False]])
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE someone_elses (id int)")
    replay = schema_template.PostgresReplay(url, ("core",), migrations, ownership.PG_LOCK_KEY, lambda conn, tables: marked.append(tables))
    assert not replay.wait()
    assert _tables(url) == {"someone_elses"} and len(marked) == 1

    # a template of other migrations, or a marker that fails: nothing is left
    for other, prepare in [({("core", "0002_more")} | migrations, None), (migrations, "fails")]:
        url, _ = _fake_template(tmp_path / f"3{len(other)}{prepare}", monkeypatch, [["CREATE TABLE core_thing (id int)", None, False]])

        def mark(conn, tables, prepare=prepare):
            if prepare == "fails":
                conn.execute("SELECT no_such_function()")

        assert not schema_template.PostgresReplay(url, ("core",), other, ownership.PG_LOCK_KEY, mark).wait()
        assert _tables(url) == set()


@pytest.mark.postgres_only
def test_postgres_schema_in_the_background_cancelled_leaves_nothing(tmp_path, monkeypatch, throwaway_databases):
    import psycopg

    from lamindb_core import ownership, schema_template

    # a template whose last statement waits: cancelled while the server runs it
    url, migrations = _fake_template(tmp_path, monkeypatch, [
        ["CREATE TABLE core_thing (id int)", None, False],
        ["SELECT pg_sleep(%s)", [60], False],
    ])
    name = urlsplit(url).path.lstrip("/")
    replay = schema_template.PostgresReplay(url, ("core",), migrations, ownership.PG_LOCK_KEY, lambda conn, tables: None)
    with psycopg.connect(TEST_DB, autocommit=True) as admin:
        for _ in range(600):  # until the server runs the sleep (a wait, not a timing)
            if admin.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND query LIKE 'SELECT pg_sleep%%'", [name]).fetchone():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the replay never reached its last statement")
    replay.cancel()
    assert not replay.made
    assert _tables(url) == set()
