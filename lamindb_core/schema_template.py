"""Migrated, empty schemas, kept to start new instances from.

Running every migration of a new instance took 0.6-2 s without modules and several seconds with
``bio``, almost all of it in Django rendering the historical models of each migration. The first
instance of a schema (its apps, the code that makes it, Django's and the database's versions)
is migrated as before, and what the migration made is kept in the user cache folder
(``config.user_cache_dir()/schemas``); the next new instance of that schema takes it instead of
migrating:

- SQLite: a copy of the database file, taken before any row of the instance is written; a new
  instance's database file is a copy of it, made before the first connection opens the file
  (:func:`copy_sqlite`), checked, synced to disk and then put in place; by ``ln.setup.init`` on
  a thread of its own while Django sets up (:class:`SqliteCopy`).
- PostgreSQL: the statements the migration ran, recorded as it ran them, run again in the new
  database in one transaction (a database cannot be copied into one that exists); by
  ``ln.setup.init`` on a connection and a thread of their own while Django sets up
  (:class:`PostgresReplay`).

A template holds no rows of an instance: not the ownership marker (``ownership.py``), not the
seeds (``post_migrate`` adds them to each instance, as after a migration). A template that fails
its checks (another set of migrations applied, a damaged file, a statement the server refuses)
is not used, and leaves nothing behind: the instance is then migrated as if there were none.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import user_cache_dir
from .logger import logger

__all__ = [
    "PostgresReplay", "SqliteCopy", "copy_sqlite", "fingerprint", "recording", "restore", "save",
    "sqlite_template_path", "template_path",
]

_PACKAGE = Path(__file__).resolve().parent
_fingerprints: dict[tuple, str] = {}
# transaction control of the recorded migration: the replay runs in one transaction of its own
_SKIPPED = ("SAVEPOINT", "RELEASE", "ROLLBACK")


def _database_version(connection) -> str:
    if connection.vendor == "sqlite":
        return _sqlite_version()
    connection.ensure_connection()
    return f"{connection.vendor} {connection.pg_version}"


def fingerprint(connection, apps: tuple[str, ...]) -> str:
    """What a template's schema depends on: the apps, the package's code (its migrations and
    the operations they call), Django's version and the database's kind and version. 16 hex
    digits."""
    return _fingerprint(apps, _database_version(connection))


def _fingerprint(apps: tuple[str, ...], database_version: str) -> str:
    key = (tuple(sorted(apps)), database_version)
    if key not in _fingerprints:
        import django

        digest = hashlib.sha256()
        digest.update(f"{key}|django {django.__version__}|".encode())
        _code_signature(_PACKAGE, "", digest)
        _fingerprints[key] = digest.hexdigest()[:16]
    return _fingerprints[key]


def _code_signature(folder: str | Path, prefix: str, digest) -> None:
    """Add each Python file under ``folder`` to ``digest``: its path, size and modification time
    (in nanoseconds), as Python's own bytecode cache tells a changed source file (reading and
    hashing the package's 1.5 MB took 7-8 ms of each new instance's init, beside 0.8 ms)."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                _code_signature(entry.path, f"{prefix}{entry.name}/", digest)
        elif entry.name.endswith(".py"):
            stat = entry.stat()
            digest.update(f"{prefix}{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())


def template_path(connection, apps: tuple[str, ...]) -> Path:
    """Where the template of the schema of ``apps`` on ``connection``'s kind of database is
    kept (it may not exist)."""
    return _template_path(apps, connection.vendor, _database_version(connection))


def sqlite_template_path(apps: tuple[str, ...]) -> Path:
    """:func:`template_path` of an SQLite database (no connection needed)."""
    return _template_path(apps, "sqlite", _sqlite_version())


def _sqlite_version() -> str:
    import sqlite3  # here, not at the top: importing lamindb_core loads no database driver

    return f"sqlite {sqlite3.sqlite_version}"


def _template_path(apps: tuple[str, ...], vendor: str, database_version: str) -> Path:
    name = "-".join(sorted(apps))
    suffix = ".sqlite3" if vendor == "sqlite" else f".{vendor}.json"
    return user_cache_dir() / "schemas" / f"{name}-{_fingerprint(apps, database_version)}{suffix}"


@contextlib.contextmanager
def recording(connection) -> Iterator[list]:
    """Record the statements run on ``connection`` inside the block (PostgreSQL; on SQLite the
    list stays empty: its template is a copy of the file)."""
    statements: list = []
    if connection.vendor == "sqlite":
        yield statements
        return

    def record(execute, sql, params, many, context):
        statements.append((sql, list(params) if many else params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


def restore(connection, apps: tuple[str, ...], migrations: set[tuple[str, str]]) -> bool:
    """Make the schema of ``apps`` in the empty PostgreSQL database of ``connection`` from its
    template; return whether it was made. (SQLite: :func:`copy_sqlite`, before connecting.)

    ``migrations`` are the ``(app, name)`` pairs the schema needs: a template that applies
    others is not used.
    """
    path = template_path(connection, apps)
    if connection.vendor == "sqlite" or not path.is_file():
        return False
    restored = _replay(connection, path, migrations)
    if restored:
        _in_use(path)
    return restored


def _in_use(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)  # _prune keeps it


def save(connection, apps: tuple[str, ...], statements: list, drop_tables: list[str]) -> None:
    """Keep the schema of the just-migrated database of ``connection`` as the template of
    ``apps``: SQLite, a copy of the database without ``drop_tables`` (the instance's own, its
    ownership marker); PostgreSQL, the ``statements`` the migration ran (:func:`recording`).

    Written to a temporary file and renamed: a process that reads templates sees a whole one
    or none. A failure only costs the next instance its shortcut.
    """
    path = template_path(connection, apps)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
        os.close(handle)
        try:
            if connection.vendor == "sqlite":
                _copy_sqlite(connection, tmp, drop_tables)
            else:
                Path(tmp).write_text(json.dumps([_encode(s) for s in statements]), encoding="utf-8")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _prune(path)
    except Exception as exc:  # a cache that cannot be written must not fail the instance's set-up
        logger.debug(f"could not keep the schema template {path}: {exc}")


_KEEP_DAYS = 30


def _prune(kept: Path) -> None:
    """Remove the templates of the same apps and database that no instance was made from for
    ``_KEEP_DAYS`` days (those of earlier versions of the code)."""
    import time

    prefix = kept.name[: kept.name.rindex("-") + 1]  # "<apps>-"
    suffix = kept.name[kept.name.index(".", len(prefix)):]
    cutoff = time.time() - _KEEP_DAYS * 86400
    for path in kept.parent.glob(f"{prefix}*{suffix}"):
        if path != kept and path.name[len(prefix):].count("-") == 0:
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


# ---------------------------------------------------------------------------
# SQLite: a copy of the file
# ---------------------------------------------------------------------------


def _copy_sqlite(connection, tmp: str, drop_tables: list[str]) -> None:
    import sqlite3

    target = sqlite3.connect(tmp)
    try:
        connection.connection.backup(target)
        for table in drop_tables:
            target.execute(f'DROP TABLE IF EXISTS "{table}"')
        target.execute("PRAGMA journal_mode=DELETE")
        target.commit()
    finally:
        target.close()


def copy_sqlite(
    template: Path, database: Path, migrations: set[tuple[str, str]], prepare: Callable[[Any], None],
    cancelled: Callable[[], bool] = lambda: False,
) -> bool:
    """Make the new SQLite database file ``database`` a copy of ``template`` (the template of its
    schema: :func:`sqlite_template_path`); return whether it was made.

    ``migrations`` are the ``(app, name)`` pairs the schema needs: a template that applies
    others, or whose copy fails SQLite's ``quick_check``, is not used. ``prepare(conn)`` writes
    into the copy (an open ``sqlite3`` connection) what must be there when another process first
    sees the file: its ownership marker. The copy is then synced to disk and linked to
    ``database``, which is never replaced: if it exists, nothing is made; nor if ``cancelled()``
    says so just before. The caller holds the schema lock.

    SQLite's backup API into the opened new database wrote each page twice (into the write-ahead
    log, then into the file), with a sync of each.
    """
    try:
        source = open(template, "rb")
    except OSError:
        return False
    # with the permissions SQLite gives the files it creates (0644, less the umask)
    tmp = str(database.parent / f".{database.name}.{secrets.token_hex(8)}.tmp")
    try:
        handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        source.close()
        logger.debug(f"schema template {template} not used: {exc}")
        return False
    try:
        with source, os.fdopen(handle, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        if not _prepare_copy(tmp, migrations, template, prepare):
            return False
        fd = os.open(tmp, os.O_RDONLY)
        try:
            getattr(os, "fdatasync", os.fsync)(fd)
        finally:
            os.close(fd)
        if cancelled():
            return False
        try:
            os.link(tmp, database)
        except FileExistsError:
            return False
        _sync_folder(database.parent)
    except OSError as exc:
        logger.debug(f"schema template {template} not used: {exc}")
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _in_use(template)
    return True


def _prepare_copy(copy: str, migrations: set[tuple[str, str]], template: Path, prepare: Callable[[Any], None]) -> bool:
    # the copy applies exactly `migrations` and SQLite finds it whole; then `prepare` writes
    import sqlite3

    try:
        conn = sqlite3.connect(copy, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        # the file is this process's alone until it is linked into place, and synced before
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        applied = {(app, name) for app, name in conn.execute("SELECT app, name FROM django_migrations")}
        if applied != migrations or conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            logger.debug(f"schema template {template} does not match this schema: not used")
            return False
        conn.execute("BEGIN")
        prepare(conn)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        logger.debug(f"schema template {template} not used: {exc}")
        return False
    finally:
        conn.close()
    return True


def _sync_folder(folder: Path) -> None:
    # the new directory entry, on disk
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a platform that cannot open folders (Windows)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# PostgreSQL: the statements of the migration, again
# ---------------------------------------------------------------------------


def _encode(statement: tuple) -> list:
    """A recorded ``(sql, params, many)`` as JSON; a timestamp (when a migration was applied)
    becomes a mark for the time of the replay. Other values than text, numbers, None: TypeError."""

    def value(v):
        if isinstance(v, datetime.datetime):
            return {"now": True}
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        raise TypeError(f"cannot keep a parameter of type {type(v).__name__}")

    sql, params, many = statement
    if params is None:
        return [sql, None, many]
    if many:
        return [sql, [[value(v) for v in row] for row in params], many]
    if isinstance(params, dict):
        return [sql, {k: value(v) for k, v in params.items()}, many]
    return [sql, [value(v) for v in params], many]


def _decode(params, now: datetime.datetime):
    if isinstance(params, dict) and params == {"now": True}:
        return now
    if isinstance(params, list):
        return [_decode(v, now) for v in params]
    if isinstance(params, dict):
        return {k: _decode(v, now) for k, v in params.items()}
    return params


class _Refused(Exception):
    """The replay does not give the schema it should: roll it back."""


def _load(path: Path) -> list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.debug(f"schema template {path} not used: {exc}")
        return None


def _run(cursor, statements: list) -> set[tuple[str, str]]:
    """Run the recorded ``statements`` on ``cursor`` (Django's or psycopg's client-side binding
    cursor, inside a transaction); return the ``(app, name)`` of the migrations that the database
    then records."""
    # a migration's timestamp: the time of the replay (Django's timezone.now() with USE_TZ)
    now = datetime.datetime.now(datetime.timezone.utc)
    # the statements without parameters go to the server together: one round trip for each
    # run of them, not one each
    batch: list[str] = []
    for sql, params, many in [*statements, ("SELECT 1", [], False)]:
        if sql.lstrip().upper().startswith(_SKIPPED):
            continue
        if params is None:
            batch.append(sql)
            continue
        if batch:
            cursor.execute(";\n".join(batch))
            batch = []
        if many:
            cursor.executemany(sql, _decode(params, now))
        else:
            cursor.execute(sql, _decode(params, now))
    cursor.execute("SELECT app, name FROM django_migrations")
    return {(app, name) for app, name in cursor.fetchall()}


def _check_applied(applied: set[tuple[str, str]], migrations: set[tuple[str, str]]) -> None:
    if applied != migrations:
        raise _Refused(f"it applies {len(applied)} migrations, the schema needs {len(migrations)}")


def _replay(connection, path: Path, migrations: set[tuple[str, str]]) -> bool:
    from django.db import DatabaseError, transaction

    statements = _load(path)
    if statements is None:
        return False
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                _check_applied(_run(cursor, statements), migrations)
    except (_Refused, DatabaseError, ValueError, TypeError) as exc:
        logger.debug(f"schema template {path} not used: {exc}")
        return False
    return True


# the tables a connection sees, as Django's introspection lists them (tables, views, partitioned
# and foreign tables on the search path)
_PG_TABLES = """
    SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
      AND pg_catalog.pg_table_is_visible(c.oid)
"""


class _Beside(abc.ABC):
    """Work on a thread of its own while the caller goes on (``ln.setup.init`` sets up Django's
    app registry meanwhile); :meth:`wait` says whether it made the schema. No Django: the thread
    runs while Django is being configured. A subclass does its work in :meth:`_work`."""

    def __init__(self) -> None:
        import threading

        self._cancelled = False
        self.made = False
        self._thread = threading.Thread(target=self._work, name="lamindb-core schema", daemon=True)
        self._thread.start()

    @abc.abstractmethod
    def _work(self) -> None:
        """The work, on the thread; it sets ``made`` if it made the schema."""

    def _stop(self) -> None:
        """Cut the work short (called with ``_cancelled`` set)."""

    def wait(self) -> bool:
        """Wait for the thread; whether it made the schema. Interrupted (Ctrl-C), it cancels the
        work first: nothing is made behind the caller's back."""
        try:
            self._thread.join()
        except BaseException:
            self.cancel()
            raise
        return self.made

    def cancel(self) -> None:
        """Stop the work, undoing what it began, and wait for the thread."""
        self._cancelled = True
        self._stop()
        self._thread.join()


class SqliteCopy(_Beside):
    """The new SQLite database file ``database`` made a copy of ``template`` (the template of its
    schema: :func:`copy_sqlite`) on a thread of its own, while the caller goes on: copying,
    checking and syncing the copy waits for the disk and SQLite with the GIL released, beside
    Django's set-up.

    The thread holds the schema lock (``ownership.file_lock`` on ``lock_path``) while it copies,
    and makes nothing where the database file or its write-ahead log exists; ``prepare(conn)``
    writes the ownership marker into the copy before it is put in place. Anything else, a failure
    included, leaves the folder as it was, and the caller's usual path decides.
    """

    def __init__(self, database: Path, template: Path, migrations: set[tuple[str, str]], lock_path: Path,
                 prepare: Callable[[Any], None]) -> None:
        self._database = database
        self._template = template
        self._migrations = migrations
        self._lock_path = lock_path
        self._prepare = prepare
        super().__init__()

    def _work(self) -> None:
        from .ownership import file_lock

        try:
            with file_lock(self._lock_path):
                if self._cancelled or os.path.lexists(self._database) or os.path.lexists(f"{self._database}-wal"):
                    return
                self.made = copy_sqlite(
                    self._template, self._database, self._migrations, self._prepare,
                    cancelled=lambda: self._cancelled,
                )
        except OSError as exc:
            logger.debug(f"schema template not used: {exc}")


class PostgresReplay(_Beside):
    """The schema of ``apps`` made from its template in a new, empty PostgreSQL database, on a
    connection and a thread of their own, while the caller goes on (``ln.setup.init`` sets up
    Django's app registry meanwhile: 0.15-0.2 s of Python beside 0.4-0.6 s that the server
    spends on the schema's DDL).

    The thread holds the session advisory lock ``lock_key`` (that of the schema lock of
    ``ownership``) from before it lists the tables until the transaction has ended. It makes the
    schema only if the database has no table and the template applies exactly ``migrations``;
    in the same transaction ``prepare(conn, tables)`` writes what must be there when another
    connection first sees the schema (the ownership marker, listing ``tables``). Anything else,
    a failure included, leaves the database as it was, and the caller's usual path decides
    (:func:`wait` says whether the schema was made).
    """

    def __init__(self, conninfo: str, apps: tuple[str, ...], migrations: set[tuple[str, str]], lock_key: int,
                 prepare: Callable[[Any, list[str]], None]) -> None:
        import threading

        self._conninfo = conninfo
        self._apps = apps
        self._migrations = migrations
        self._lock_key = lock_key
        self._prepare = prepare
        self._conn: Any = None
        self._guard = threading.Lock()
        super().__init__()

    def _stop(self) -> None:
        # rolls the transaction back
        with self._guard:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.cancel_safe(timeout=10)

    def _work(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            logger.debug(f"schema template not used: {exc}")
            return
        with conn:
            with self._guard:
                if self._cancelled:
                    return
                self._conn = conn
            try:
                self._make(conn, psycopg)
            except (_Refused, psycopg.Error, OSError, ValueError, TypeError) as exc:
                logger.debug(f"schema template not used: {exc}")
            finally:
                with self._guard:
                    self._conn = None

    def _make(self, conn, psycopg) -> None:
        # closing the connection ends the session and its advisory lock
        conn.execute("SELECT pg_advisory_lock(%s)", [self._lock_key])
        if conn.execute(_PG_TABLES).fetchone() is not None:
            return  # not empty: the usual path decides what it is
        path = _template_path(self._apps, "postgresql", f"postgresql {conn.info.server_version}")
        statements = _load(path) if path.is_file() else None
        if statements is None or self._cancelled:
            return
        with conn.transaction():
            cursor = psycopg.ClientCursor(conn)  # binds parameters as Django's cursor does
            _check_applied(_run(cursor, statements), self._migrations)
            self._prepare(conn, [name for (name,) in conn.execute(_PG_TABLES)])
            if self._cancelled:
                raise _Refused("cancelled")
        self.made = True
        _in_use(path)
