"""Instances: ``ln.setup.init``, ``connect``, ``delete``, ``settings``, and what a new process sees.

Everything about process-level state (the current instance, the config folder, the
default instance) runs in a fresh Python process with its own ``LAMIN_CORE_HOME``, so the
session's ``pytest`` instance is never touched. On the PostgreSQL run, the instances that these
tests create live in throwaway PostgreSQL databases; on the SQLite run, in SQLite files.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")
OS_HANDLE = re.sub(r"[^a-z0-9_-]", "-", getpass.getuser().lower()).strip("-") or "user"

Python = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty config folder for the subprocesses of one test."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def python(home: Path, tmp_path: Path) -> Python:
    """Run a snippet in a fresh ``python -c`` with ``LAMIN_CORE_HOME=home``; fail on a non-zero exit.

    Example:
        >>> result = python("import lamindb_core as ln; print(ln.ULabel.filter().count())")
        >>> result.stdout
        '0\\n'
    """

    def run(code: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *args],
            env={**os.environ, "LAMIN_CORE_HOME": str(home)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def new_db() -> Iterator[Callable[[], str | None]]:
    """A factory of databases for new instances: ``None`` (SQLite) or a throwaway PostgreSQL URL.

    The PostgreSQL databases are dropped when the test ends.
    """
    created: list[str] = []

    def make() -> str | None:
        if not ON_POSTGRES:
            return None
        name = _create_pg_database()
        created.append(name)
        return _pg_url(name)

    yield make
    for name in created:
        _drop_pg_database(name)


def _pg_url(name: str) -> str:
    return urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))


def _create_pg_database() -> str:
    import secrets
    import string

    import psycopg

    name = "lamin_setup_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _init_code(storage: Path, db: str | None, name: str | None = None) -> str:
    return f"import lamindb_core as ln; ln.setup.init(storage={str(storage)!r}, db={db!r}, name={name!r})"


# ---------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_init_creates_sqlite_file_registration_and_current_instance(python, home, tmp_path):
    storage = tmp_path / "mydata"
    result = python(_init_code(storage, None))
    assert result.stdout.splitlines() == [f"→ initialized lamindb: {OS_HANDLE}/mydata"]
    assert (storage / ".lamindb" / "lamin.db").is_file()
    registration = json.loads((home / "instances" / f"{OS_HANDLE}--mydata.json").read_text())
    assert registration["storage"] == str(storage.resolve())
    assert registration["db"] is None
    assert (home / "current-instance").read_text() == f"{OS_HANDLE}/mydata"


def test_init_new_process_uses_it_on_import(python, tmp_path, new_db):
    db = new_db()
    python(_init_code(tmp_path / "mydata", db) + "; ln.ULabel(name='saved before').save()")
    # no init: the last-connected instance is used, and no default instance is made
    result = python(
        """
        import lamindb_core as ln
        print(ln.ULabel.get(name='saved before').name)
        print(ln.setup.settings.instance.slug)
        """
    )
    assert result.stdout.splitlines() == ["saved before", f"{OS_HANDLE}/mydata"]


def test_init_twice_with_same_storage_connects(python, tmp_path, new_db):
    db = new_db()
    code = _init_code(tmp_path / "mydata", db) + "; print(ln.ULabel.filter().count())"
    python(code.replace("print(", "ln.ULabel(name='kept').save(); print("))
    result = python(code)
    assert result.stdout.splitlines() == [f"→ instance {OS_HANDLE}/mydata exists already, connecting", "1"]


def test_init_same_name_other_storage_is_an_error(python, home, tmp_path):
    python(_init_code(tmp_path / "first", None, name="mydata"))
    result = python(
        _init_code(tmp_path / "second", None, name="mydata"), check=False
    )
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("lamindb_core.errors.InstanceExists: instance ")
    assert f"'{OS_HANDLE}/mydata' exists already with storage {(tmp_path / 'first').resolve()}" in last_line
    assert not (tmp_path / "second").exists()
    registration = json.loads((home / "instances" / f"{OS_HANDLE}--mydata.json").read_text())
    assert registration["storage"] == str((tmp_path / "first").resolve())


def test_init_invalid_name_is_an_error_and_registers_nothing(python, home, tmp_path):
    result = python(_init_code(tmp_path / "data", None, name="My Data"), check=False)
    assert "invalid instance name 'My Data'" in result.stderr
    assert not (home / "instances").exists() or not any((home / "instances").iterdir())


def test_init_unknown_module_is_an_error(python, tmp_path):
    code = f"import lamindb_core as ln; ln.setup.init(storage={str(tmp_path / 'd')!r}, modules='nope')"
    result = python(code, check=False)
    assert "unknown module(s) nope; available: bio" in result.stderr


def test_init_accepts_module_bio(python, home, tmp_path):
    code = f"import lamindb_core as ln; ln.setup.init(storage={str(tmp_path / 'd')!r}, modules='bio')"
    result = python(code + "; print(ln.setup.settings.instance.modules)")
    assert result.stdout.splitlines()[-1] == "['bio']"
    registration = json.loads((home / "instances" / f"{OS_HANDLE}--d.json").read_text())
    assert registration["modules"] == ["bio"]


# ---------------------------------------------------------------------------
# the default instance, the local user
# ---------------------------------------------------------------------------


def test_first_query_without_instance_creates_default_in_one_line(python, home):
    result = python("import lamindb_core as ln; print(ln.ULabel.filter().count())")
    assert result.stdout.splitlines() == [
        f"→ no instance was set up: created the embedded default instance "
        f"'{OS_HANDLE}/default' in {home / 'default-instance'}",
        "0",
    ]
    assert (home / "default-instance" / ".lamindb" / "lamin.db").is_file()
    # the next process uses it silently
    again = python("import lamindb_core as ln; print(ln.ULabel.filter().count())")
    assert again.stdout == "0\n"


@pytest.mark.sqlite_only
def test_first_query_leaves_the_garbage_collector_as_the_process_had_it(python, home, tmp_path):
    # the migrations keep the objects made before them out of the collector's passes (a new
    # cache folder: no template, the schema is migrated); after them, the collector runs as
    # before and frees cycles made before them
    result = python(
        f"""
        import gc, os, weakref
        os.environ["LAMIN_CORE_CACHE_DIR"] = {str(tmp_path / "new-cache")!r}
        import lamindb_core as ln

        class Node:
            pass

        node = Node()
        node.self = node  # a cycle: only the cyclic collector frees it
        alive = weakref.ref(node)
        print(ln.ULabel.filter().count())
        del node
        gc.collect()
        print(gc.isenabled(), gc.get_freeze_count(), alive() is None)
        """
    )
    assert result.stdout.splitlines()[-2:] == ["0", "True 0 True"]
    # a process that froze its objects and turned the collector off keeps both
    result = python(
        """
        import gc
        import lamindb_core as ln

        gc.disable()
        gc.freeze()
        frozen = gc.get_freeze_count()
        print(ln.ULabel.filter().count())
        # frozen objects that were freed meanwhile leave the count; none are added or unfrozen
        print(gc.isenabled(), 0 < gc.get_freeze_count() <= frozen)
        """
    )
    assert result.stdout.splitlines()[-2:] == ["0", "False True"]


def test_settings_user_is_the_os_account(instance):
    ln = instance
    user = ln.setup.settings.user
    assert user.handle == OS_HANDLE
    assert len(user.uid) == 8


def test_save_sets_created_by_to_local_user(instance):
    ln = instance
    label = ln.ULabel(name="made by me").save()
    assert label.created_by.handle == ln.setup.settings.user.handle
    assert label.created_by.uid == ln.setup.settings.user.uid
    assert ln.ULabel.filter(created_by__handle=OS_HANDLE, name="made by me").count() == 1


def test_connect_from_a_new_account_adds_its_user_through_post_migrate(python, home, tmp_path, new_db):
    db = new_db()
    python(_init_code(tmp_path / "shared", db))
    # another OS account on the same instance: its user is added when it connects
    (home / "user.json").write_text(json.dumps({"handle": "colleague", "name": "A Colleague", "uid": "colleag1"}))
    result = python(
        """
        import lamindb_core as ln
        from django.apps import apps
        from django.db.models.signals import post_migrate

        print(sorted(ln.User.filter().values_list("handle", flat=True)))
        print(ln.ULabel(name="by a colleague").save().created_by.handle, ln.Space.get(1).name)
        print(post_migrate.has_listeners(apps.get_app_config("core")))
        """
    )
    assert result.stdout.splitlines() == [str(sorted([OS_HANDLE, "colleague"])), "colleague all", "True"]


def test_settings_instance_is_the_session_instance(instance):
    ln = instance
    assert ln.setup.settings.instance.slug == f"{OS_HANDLE}/pytest"
    assert ln.setup.settings.storage.root.name == "teststorage"
    assert f"Current instance: {OS_HANDLE}/pytest" in repr(ln.setup.settings)


# ---------------------------------------------------------------------------
# connect
# ---------------------------------------------------------------------------


def test_connect_switches_the_current_instance(python, home, tmp_path, new_db):
    db_a, db_b = new_db(), new_db()
    python(
        _init_code(tmp_path / "a", db_a) + "; ln.ULabel(name='in a').save(); "
        + _init_code(tmp_path / "b", db_b).removeprefix("import lamindb_core as ln; ")
    )
    assert (home / "current-instance").read_text() == f"{OS_HANDLE}/b"
    result = python(f"import lamindb_core as ln; ln.setup.connect('{OS_HANDLE}/a')")
    assert result.stdout == f"→ connected lamindb: {OS_HANDLE}/a\n"
    assert (home / "current-instance").read_text() == f"{OS_HANDLE}/a"
    result = python("import lamindb_core as ln; print(ln.ULabel.filter(name='in a').count())")
    assert result.stdout == "1\n"


def test_connect_within_one_process_switches_records(python, tmp_path, new_db):
    db_a, db_b = new_db(), new_db()
    result = python(
        f"""
        import lamindb_core as ln
        from lamindb_core.logger import logger
        logger.verbosity = 0
        a = ln.setup.init(storage={str(tmp_path / 'a')!r}, db={db_a!r})
        ln.ULabel(name="only in a").save()
        ln.setup.init(storage={str(tmp_path / 'b')!r}, db={db_b!r})
        print("b sees a:", ln.ULabel.filter(name="only in a").count())
        ln.ULabel(name="only in b").save()
        ln.setup.connect(a.slug)
        print("a sees a:", ln.ULabel.filter(name="only in a").count())
        print("a sees b:", ln.ULabel.filter(name="only in b").count())
        ln.setup.connect("b")
        print("b:", sorted(ln.ULabel.filter().values_list("name", flat=True)))
        print("user:", ln.ULabel.get(name="only in b").created_by.handle)
        """
    )
    assert result.stdout.splitlines() == [
        "b sees a: 0",
        "a sees a: 1",
        "a sees b: 0",
        "b: ['only in b']",
        f"user: {OS_HANDLE}",
    ]


def test_connect_unknown_instance_lists_registered(python, tmp_path):
    python(_init_code(tmp_path / "a", None))
    result = python("import lamindb_core as ln; ln.setup.connect('nope')", check=False)
    assert result.returncode == 1
    assert (
        f"lamindb_core.errors.InstanceNotFound: instance '{OS_HANDLE}/nope' not found"
        in result.stderr
    )
    assert f"registered instances: {OS_HANDLE}/a" in result.stderr


# ---------------------------------------------------------------------------
# delete
# ---------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_delete_removes_sqlite_file_and_registration(python, home, tmp_path):
    storage = tmp_path / "mydata"
    python(_init_code(storage, None))
    result = python("import lamindb_core as ln; ln.setup.delete('mydata')")
    assert result.stdout == f"→ deleted instance {OS_HANDLE}/mydata (it was the current one)\n"
    assert not (storage / ".lamindb" / "lamin.db").exists()
    assert not (home / "instances" / f"{OS_HANDLE}--mydata.json").exists()
    assert not (home / "current-instance").exists()
    assert storage.is_dir()  # the storage folder is the user's: it stays


@pytest.mark.sqlite_only
def test_delete_refuses_while_artifacts_are_stored_unless_forced(python, home, tmp_path):
    storage = tmp_path / "mydata"
    folder = tmp_path / "a_folder"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    python(_init_code(storage, None) + f"; ln.Artifact({str(folder)!r}, key='folder').save()")
    result = python("import lamindb_core as ln; ln.setup.delete('mydata')", check=False)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == (
        f"lamindb_core.errors.SetupError: {OS_HANDLE}/mydata holds 1 record(s) (core_artifact: 1) and "
        f"1 artifact file(s) in {storage / '.lamindb'}; deleting the instance deletes them: pass force=True "
        "(lamin-core delete --force)"
    )
    assert (storage / ".lamindb" / "lamin.db").exists()
    python("import lamindb_core as ln; ln.setup.delete('mydata', force=True)")
    assert not (storage / ".lamindb").exists()


def test_delete_in_the_process_that_saved_artifacts_leaves_no_folder(python, home, tmp_path):
    # the process keeps a journal of its saves open in .lamindb/.pending; deleting the instance
    # from that process removes it, and with it the whole .lamindb folder
    storage = tmp_path / "mydata"
    (tmp_path / "x.txt").write_text("x")
    python(
        _init_code(storage, None)
        + f"; ln.Artifact({str(tmp_path / 'x.txt')!r}, key='x.txt').save()"
        + f"; import pathlib; assert any(pathlib.Path({str(storage / '.lamindb' / '.pending')!r}).iterdir())"
        + "; ln.setup.delete('mydata', force=True)"
    )
    assert not (storage / ".lamindb").exists()


def test_delete_unknown_instance_lists_registered(python, tmp_path):
    python(_init_code(tmp_path / "a", None) + "; ln.setup.init(storage=" + repr(str(tmp_path / "b")) + ")")
    result = python("import lamindb_core as ln; ln.setup.delete('nope')", check=False)
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.endswith(
        f"instance '{OS_HANDLE}/nope' not found in {tmp_path / 'home'}; "
        f"registered instances: {OS_HANDLE}/a, {OS_HANDLE}/b"
    )


def test_delete_current_instance_in_process_falls_back_to_default(python, home, tmp_path, new_db):
    db = new_db()
    result = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(tmp_path / 'a')!r}, db={db!r})
        ln.ULabel(name="in a").save()
        ln.setup.delete("a", force=True)
        print(ln.ULabel.filter().count())
        print(ln.setup.settings.instance.slug)
        """
    )
    lines = result.stdout.splitlines()
    assert lines[1] == f"→ deleted instance {OS_HANDLE}/a (it was the current one)"
    assert lines[2].startswith("→ no instance was set up: created the embedded default instance")
    assert lines[3:] == ["0", f"{OS_HANDLE}/default"]


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


def _pg_tables(name: str) -> list[str]:
    import psycopg

    with psycopg.connect(_pg_url(name)) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.postgres_only
def test_init_postgres_migrates_and_delete_drops_tables(python, home, tmp_path):
    name = _create_pg_database()
    try:
        url = _pg_url(name)
        result = python(
            _init_code(tmp_path / "pg", url) + "; ln.ULabel(name='on postgres').save()"
        )
        assert result.stdout.splitlines() == [f"→ initialized lamindb: {OS_HANDLE}/pg"]
        tables = _pg_tables(name)
        assert {"core_ulabel", "core_artifact", "core_user", "django_migrations"} <= set(tables)
        registration = json.loads((home / "instances" / f"{OS_HANDLE}--pg.json").read_text())
        assert registration["db"] == url
        assert not (tmp_path / "pg" / ".lamindb" / "lamin.db").exists()

        result = python("import lamindb_core as ln; print(ln.ULabel.get(name='on postgres').name)")
        assert result.stdout == "on postgres\n"

        python("import lamindb_core as ln; ln.setup.delete('pg', force=True)")
        assert _pg_tables(name) == []
        assert not (home / "instances" / f"{OS_HANDLE}--pg.json").exists()
    finally:
        _drop_pg_database(name)


def test_init_postgres_bad_url_names_host_and_registers_nothing(python, home, tmp_path):
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    result = python(_init_code(tmp_path / "pg", url), check=False)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "lamindb_core.errors.SetupError: cannot connect to postgresql://postgres@127.0.0.1:1/nowhere:"
    )
    assert not (home / "instances").exists() or not any((home / "instances").iterdir())
    assert not (home / "current-instance").exists()
    assert not (tmp_path / "pg").exists()


def test_init_database_url_of_other_kind_is_an_error(python, home, tmp_path):
    result = python(_init_code(tmp_path / "x", "mysql://me@dbhost/lab"), check=False)
    assert "unsupported database URL 'mysql://me@dbhost/lab'" in result.stderr
    assert not (home / "instances").exists() or not any((home / "instances").iterdir())


# ---------------------------------------------------------------------------
# two processes, one SQLite file
# ---------------------------------------------------------------------------

WRITER = """
import sys, time
from pathlib import Path
import lamindb_core as ln

tag, n, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
ln.ULabel.filter().count()  # connect before the start signal
(folder / f"ready-{tag}").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
for i in range(n):
    ln.ULabel(name=f"{tag}-{i}").save()
    ln.ULabel.filter(name__startswith=tag).count()
ln.save([ln.ULabel(name=f"{tag}-bulk-{i}") for i in range(n)])
print("done", tag)
"""


@pytest.mark.sqlite_only
def test_sqlite_two_processes_write_at_once(python, home, tmp_path):
    python(_init_code(tmp_path / "shared", None))
    n = 150
    env = {**os.environ, "LAMIN_CORE_HOME": str(home)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tag, str(n), str(tmp_path)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for tag in ("left", "right")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{t}").exists() for t in ("left", "right")):
        assert time.monotonic() < deadline, "writers did not start"
        assert all(w.poll() is None for w in writers), [w.communicate() for w in writers]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
    assert sorted(out.strip() for out, _ in outputs) == ["done left", "done right"]
    result = python(
        "import lamindb_core as ln; "
        "print(ln.ULabel.filter(name__startswith='left').count(), "
        "ln.ULabel.filter(name__startswith='right').count())"
    )
    assert result.stdout == f"{2 * n} {2 * n}\n"


# ---------------------------------------------------------------------------
# processes that start at the same time
# ---------------------------------------------------------------------------


def _start_at_once(home: Path, code: str, count: int) -> list[tuple[int, str, str]]:
    """Start ``count`` processes running ``code`` (``sys.argv[1]`` is their number); wait for all."""
    env = {**os.environ, "LAMIN_CORE_HOME": str(home)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(i)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(count)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


FIRST_QUERY = """
import sys
import lamindb_core as ln
ln.ULabel(name=f"from process {sys.argv[1]}").save()
print(ln.User.filter().count(), ln.setup.settings.user.uid)
"""


MARKER_LATE = """
import threading
import lamindb_core as ln
from lamindb_core import ownership
from lamindb_core.config import InstanceSettings, config_home, load_user, register_instance

user = load_user()
settings = InstanceSettings(owner=user.handle, name="default", storage=str(config_home() / "default-instance"))
register_instance(settings)
# the process that registered it writes the storage marker a moment later
threading.Timer(1.0, ownership.write_storage_marker, (settings,), {"created": False}).start()
ln.ULabel(name="made after the marker").save()
print(ln.ULabel.filter().count())
"""


@pytest.mark.sqlite_only
def test_default_instance_registered_a_moment_ago_waits_for_its_storage_marker(home):
    # the window in which a process that started together with the default's creator took the
    # new instance for one whose database was lost ("only ln.setup.init creates databases")
    [(rc, out, err)] = _start_at_once(home, MARKER_LATE, 1)
    assert rc == 0, err
    assert out.splitlines()[-1] == "1"


@pytest.mark.sqlite_only
def test_first_query_in_processes_started_together_makes_one_default(home):
    results = _start_at_once(home, FIRST_QUERY, 3)
    assert [rc for rc, _, err in results] == [0, 0, 0], [err for _, _, err in results]
    outputs = [out.splitlines() for _, out, _ in results]
    announcements = [line for lines in outputs for line in lines if line.startswith("→ ")]
    assert len(announcements) == 1
    uid = json.loads((home / "user.json").read_text())["uid"]
    assert sorted(lines[-1] for lines in outputs) == [f"1 {uid}"] * 3


def test_processes_connecting_to_a_new_database_together_migrate_once(home, tmp_path, new_db, monkeypatch):
    db = new_db()
    # an empty cache folder: no schema template to copy (schema_template.py), they migrate
    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(tmp_path / "cache"))
    # registered, but never connected: the first processes to connect create the schema
    settings = {
        "owner": OS_HANDLE, "name": "fresh", "storage": str(tmp_path / "fresh"),
        "db": db, "modules": [], "uid": "abcdefghijkl",
    }
    (home / "instances").mkdir()
    (home / "instances" / f"{OS_HANDLE}--fresh.json").write_text(json.dumps(settings))
    (home / "current-instance").write_text(f"{OS_HANDLE}/fresh")
    # what init writes when it registers an instance: its mark on the storage folder,
    # saying that the database is yet to be created
    (tmp_path / "fresh" / ".lamindb").mkdir(parents=True)
    (tmp_path / "fresh" / ".lamindb" / "lamin.instance.json").write_text(
        json.dumps({"uid": "abcdefghijkl", "slug": f"{OS_HANDLE}/fresh", "created": False})
    )
    results = _start_at_once(home, FIRST_QUERY, 3)
    assert [rc for rc, _, err in results] == [0, 0, 0], [err for _, _, err in results]
    assert all(out.splitlines()[-1].startswith("1 ") for _, out, _ in results)


# ---------------------------------------------------------------------------
# what an instance owns (issue 10: 3, 14, 15, 16)
# ---------------------------------------------------------------------------


def _last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def _in_home(other_home: Path, code: str) -> str:
    # the code runs with another config folder: another machine, or another user
    return f"import os; os.environ['LAMIN_CORE_HOME'] = {str(other_home)!r}\n" + textwrap.dedent(code)


def test_init_refuses_a_storage_folder_that_a_registered_instance_uses(python, home, tmp_path, new_db):
    python(_init_code(tmp_path / "shared", new_db(), name="first") + "; ln.ULabel(name='kept').save()")
    result = python(_init_code(tmp_path / "shared", new_db(), name="second"), check=False)
    assert _last_line(result) == (
        f"lamindb_core.errors.SetupError: the storage folder {tmp_path / 'shared'} is used by the instance "
        f"{OS_HANDLE}/first: two instances cannot share a storage folder; choose another folder, or connect: "
        f"ln.setup.connect('{OS_HANDLE}/first')"
    )
    assert not (home / "instances" / f"{OS_HANDLE}--second.json").exists()
    # deleting the refused name cannot touch the first
    assert python("import lamindb_core as ln; print(ln.ULabel.get(name='kept').name)").stdout == "kept\n"


def test_init_refuses_a_storage_folder_of_an_instance_registered_elsewhere(python, home, tmp_path, new_db):
    # another config folder (another user, another machine) made an instance in this folder
    python(_in_home(tmp_path / "elsewhere", _init_code(tmp_path / "shared", new_db(), name="theirs")))
    result = python(_init_code(tmp_path / "shared", new_db(), name="mine"), check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.SetupError: the storage folder {tmp_path / 'shared'} is used by the instance "
        f"{OS_HANDLE}/theirs (uid "
    )
    assert not (home / "instances" / f"{OS_HANDLE}--mine.json").exists()
    assert (tmp_path / "shared" / ".lamindb" / "lamin.instance.json").is_file()


@pytest.mark.postgres_only
def test_init_refuses_a_database_that_another_instance_uses(python, home, tmp_path, new_db):
    db = new_db()
    python(_in_home(tmp_path / "elsewhere", _init_code(tmp_path / "a", db, name="theirs") + "; ln.ULabel(name='theirs').save()"))
    result = python(_init_code(tmp_path / "b", db, name="mine"), check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.SetupError: could not create the instance {OS_HANDLE}/mine in {tmp_path / 'b'}: "
        f"the database {_display(db)} belongs to the instance {OS_HANDLE}/theirs (uid "
    )
    assert _last_line(result).endswith("nothing of it was left behind")
    assert not (home / "instances" / f"{OS_HANDLE}--mine.json").exists()
    assert not (tmp_path / "b" / ".lamindb" / "lamin.instance.json").exists()
    # their label is untouched, and so is their registration of the database
    check = python(_in_home(tmp_path / "elsewhere", "import lamindb_core as ln; print(ln.ULabel.get(name='theirs').name)"))
    assert check.stdout == "theirs\n"
    # in the config folder that registered it, the database is refused before connecting
    result = python(_in_home(tmp_path / "elsewhere", _init_code(tmp_path / "d", db, name="again")), check=False)
    assert f"the database {_display(db)} is used by the instance {OS_HANDLE}/theirs" in _last_line(result)


def _display(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=""))


@pytest.mark.postgres_only
def test_delete_drops_only_the_tables_the_instance_created(python, home, tmp_path, new_db):
    import psycopg

    db = new_db()
    with psycopg.connect(db, autocommit=True) as conn:
        # another application's tables, one of them named like ours
        conn.execute("CREATE TABLE core_inventory (id int)")
        conn.execute("CREATE TABLE bio_samples (id int)")
        conn.execute("CREATE TABLE django_migrations (id serial, app varchar(255), name varchar(255), applied timestamptz)")
        conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('inventory', '0001_initial', now())")
    python(_init_code(tmp_path / "pg", db, name="pg") + "; ln.ULabel(name='x').save()")
    python("import lamindb_core as ln; ln.setup.delete('pg', force=True)")
    name = urlsplit(db).path.lstrip("/")
    assert _pg_tables(name) == ["bio_samples", "core_inventory", "django_migrations"]
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT app FROM django_migrations").fetchall() == [("inventory",)]
        # the search indexes' functions went with the tables; pg_trgm's (an extension) stay
        functions = conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = p.oid AND e.deptype = 'e')"
        ).fetchall()
        assert functions == []


@pytest.mark.sqlite_only
def test_connect_to_an_instance_whose_database_file_is_gone_fails_and_creates_nothing(python, home, tmp_path):
    storage = tmp_path / "mydata"
    python(_init_code(storage, None) + "; ln.ULabel(name='x').save()")
    db_file = storage / ".lamindb" / "lamin.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)
    expected = (
        f"lamindb_core.errors.InstanceUnavailable: the database of the instance {OS_HANDLE}/mydata is missing: "
        f"{db_file} does not exist; only ln.setup.init creates databases: restore it, or remove the "
        f"registration with ln.setup.delete('{OS_HANDLE}/mydata')"
    )
    result = python("import lamindb_core as ln; print(ln.ULabel.filter().count())", check=False)
    assert _last_line(result) == expected
    result = python("import lamindb_core as ln; ln.setup.connect('mydata')", check=False)
    assert _last_line(result) == expected
    assert not db_file.exists()
    # the registration goes without a force: there is nothing left to lose
    result = python("import lamindb_core as ln; ln.setup.delete('mydata')")
    assert "database sqlite:///" in result.stdout and "does not exist anymore" in result.stdout
    assert not (home / "instances" / f"{OS_HANDLE}--mydata.json").exists()


@pytest.mark.sqlite_only
def test_connect_to_an_instance_whose_storage_was_moved_fails(python, home, tmp_path):
    storage = tmp_path / "mydata"
    python(_init_code(storage, None))
    storage.rename(tmp_path / "moved")
    result = python("import lamindb_core as ln; print(ln.ULabel.filter().count())", check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.InstanceUnavailable: the storage folder {storage} of the instance {OS_HANDLE}/mydata is "
        "missing (moved, renamed or unmounted?)"
    )
    assert not storage.exists()


@pytest.mark.postgres_only
def test_connect_and_delete_of_an_instance_whose_database_was_dropped(python, run_cli, home, tmp_path):
    name = _create_pg_database()
    db = _pg_url(name)
    python(_init_code(tmp_path / "pg", db, name="pg"))
    python(_init_code(tmp_path / "other", None, name="other"))
    _drop_pg_database(name)
    result = python("import lamindb_core as ln; ln.setup.connect('pg')", check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.InstanceUnavailable: cannot connect to the database {_display(db)} of the instance "
        f"{OS_HANDLE}/pg: "
    )
    assert "does not exist" in _last_line(result)
    assert (home / "current-instance").read_text() == f"{OS_HANDLE}/other"  # a failed connect changes nothing
    result = python("import lamindb_core as ln; ln.setup.delete('pg')")
    assert f"deleted the registration of {OS_HANDLE}/pg: its database" in result.stdout
    assert not (home / "instances" / f"{OS_HANDLE}--pg.json").exists()


def test_delete_of_an_instance_with_records_needs_force(python, home, tmp_path, new_db):
    python(_init_code(tmp_path / "mydata", new_db()) + "; ln.save([ln.ULabel(name=n) for n in 'abc'])")
    result = python("import lamindb_core as ln; ln.setup.delete('mydata')", check=False)
    assert _last_line(result) == (
        f"lamindb_core.errors.SetupError: {OS_HANDLE}/mydata holds 3 record(s) (core_ulabel: 3); deleting the "
        "instance deletes them: pass force=True (lamin-core delete --force)"
    )
    assert python("import lamindb_core as ln; print(ln.ULabel.filter().count())").stdout == "3\n"
    python("import lamindb_core as ln; ln.setup.delete('mydata', force=True)")
    assert not (home / "instances" / f"{OS_HANDLE}--mydata.json").exists()


# ---------------------------------------------------------------------------
# damaged config files, unusable folders, a full disk (issue 10: 25)
# ---------------------------------------------------------------------------


def test_truncated_user_file_is_a_clear_error(python, home):
    (home / "user.json").write_text('{"handle": "me", "na')
    result = python("import lamindb_core as ln; ln.ULabel.filter().count()", check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.SetupError: the user file {home / 'user.json'} is damaged ("
    )
    assert _last_line(result).endswith("repair it, or remove it to start afresh")


def test_unknown_key_in_an_instance_file_is_ignored_with_a_warning(python, home, tmp_path):
    python(_init_code(tmp_path / "mydata", None))
    path = home / "instances" / f"{OS_HANDLE}--mydata.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "color": "blue"}))
    result = python("import lamindb_core as ln; print(ln.ULabel.filter().count())")
    assert result.stdout.splitlines() == [f"! ignoring unknown key(s) 'color' in {path}", "0"]


def test_config_home_that_is_a_file_is_a_clear_error(python, tmp_path):
    not_a_folder = tmp_path / "config.txt"
    not_a_folder.write_text("x")
    code = f"import os; os.environ['LAMIN_CORE_HOME'] = {str(not_a_folder)!r}\nimport lamindb_core as ln; ln.ULabel.filter().count()"
    result = python(code, check=False)
    assert _last_line(result) == (
        f"lamindb_core.errors.SetupError: the config folder LAMIN_CORE_HOME={not_a_folder} is a file, not a "
        "folder: point LAMIN_CORE_HOME at a folder"
    )


def test_init_where_lamindb_cannot_be_a_folder_is_a_clear_error(python, home, tmp_path):
    storage = tmp_path / "mydata"
    storage.mkdir()
    (storage / ".lamindb").write_text("not a folder")
    result = python(_init_code(storage, None), check=False)
    assert _last_line(result) == (
        f"lamindb_core.errors.SetupError: cannot create the storage folder {storage / '.lamindb'}: File exists"
    )
    assert not (home / "instances").exists() or not any((home / "instances").iterdir())


@pytest.mark.sqlite_only
def test_init_on_a_full_disk_leaves_nothing_half_made(python, home, tmp_path):
    # files this process writes may not grow past 64 KiB: SQLite finds the disk full
    storage = tmp_path / "mydata"
    code = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))\n"
        + _init_code(storage, None)
    )
    result = python(code, check=False)
    assert _last_line(result).startswith(
        f"lamindb_core.errors.SetupError: could not create the instance {OS_HANDLE}/mydata in {storage}: "
    )
    assert _last_line(result).endswith("nothing of it was left behind")
    assert not storage.exists()
    assert not (home / "instances").exists() or not any((home / "instances").iterdir())
    assert not (home / "current-instance").exists()
    # with room again, init works
    python(_init_code(storage, None))


def test_a_failed_init_does_not_go_on_writing_into_the_previous_instance(python, home, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".lamindb").write_text("not a folder")
    result = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(tmp_path / 'first')!r})
        ln.ULabel(name="in first").save()
        try:
            ln.setup.init(storage={str(broken)!r})
        except ln.errors.SetupError as e:
            print("init:", e)
        try:
            ln.ULabel(name="meant for broken").save()
        except ln.errors.SetupError as e:
            print("save:", e)
        ln.setup.connect("first")
        print(list(ln.ULabel.filter().values_list("name", flat=True)))
        """
    )
    lines = result.stdout.splitlines()
    assert lines[1] == f"init: cannot create the storage folder {broken / '.lamindb'}: File exists"
    assert lines[2] == (
        f"save: ln.setup.init(storage={str(broken)!r}) failed: this process has no instance until "
        f"ln.setup.connect(...) or ln.setup.init(...) succeeds (the last connected instance was {OS_HANDLE}/first)"
    )
    assert lines[-1] == "['in first']"
    assert (home / "current-instance").read_text() == f"{OS_HANDLE}/first"
