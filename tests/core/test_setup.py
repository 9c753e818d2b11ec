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


def test_settings_instance_is_the_session_instance(instance):
    ln = instance
    assert ln.setup.settings.instance.slug == f"{OS_HANDLE}/pytest"
    assert ln.setup.settings.storage.name == "teststorage"
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
    assert "holds 1 artifact file(s)" in result.stderr and "force=True" in result.stderr
    assert (storage / ".lamindb" / "lamin.db").exists()
    python("import lamindb_core as ln; ln.setup.delete('mydata', force=True)")
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
        ln.setup.delete("a")
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

        python("import lamindb_core as ln; ln.setup.delete('pg')")
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


@pytest.mark.sqlite_only
def test_first_query_in_processes_started_together_makes_one_default(home):
    results = _start_at_once(home, FIRST_QUERY, 3)
    assert [rc for rc, _, err in results] == [0, 0, 0], [err for _, _, err in results]
    outputs = [out.splitlines() for _, out, _ in results]
    announcements = [line for lines in outputs for line in lines if line.startswith("→ ")]
    assert len(announcements) == 1
    uid = json.loads((home / "user.json").read_text())["uid"]
    assert sorted(lines[-1] for lines in outputs) == [f"1 {uid}"] * 3


def test_processes_connecting_to_a_new_database_together_migrate_once(home, tmp_path, new_db):
    db = new_db()
    # registered, but never connected: the first processes to connect create the schema
    settings = {
        "owner": OS_HANDLE, "name": "fresh", "storage": str(tmp_path / "fresh"),
        "db": db, "modules": [], "uid": "abcdefghijkl",
    }
    (home / "instances").mkdir()
    (home / "instances" / f"{OS_HANDLE}--fresh.json").write_text(json.dumps(settings))
    (home / "current-instance").write_text(f"{OS_HANDLE}/fresh")
    (tmp_path / "fresh").mkdir()
    results = _start_at_once(home, FIRST_QUERY, 3)
    assert [rc for rc, _, err in results] == [0, 0, 0], [err for _, _, err in results]
    assert all(out.splitlines()[-1].startswith("1 ") for _, out, _ in results)
