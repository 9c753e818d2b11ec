"""What an instance owns: its storage folder, its database, the tables it created.

Two instances must never share a storage folder or a database: deleting one
would wipe the other. Each instance therefore leaves its mark in both places,
and ``init`` refuses a place that bears another instance's mark.

- The storage folder holds ``.lamindb/lamin.instance.json``: the instance's
  ``uid`` and ``slug``, its database (without password), and whether that
  database was created. It is written when the instance is registered, before
  any database exists, so that a process that connects later can tell an
  instance being created from one whose database was lost.
- The database holds the table ``lamindb_instance``: one row with the owner's
  ``uid`` and ``slug`` and the JSON list of the tables that this instance
  created (``tables``). Deleting an instance drops exactly those, never tables
  found by a name pattern.

Layer 1, beside :mod:`lamindb_core.instance`, which calls it while it migrates.

Example:
    >>> from lamindb_core import ownership
    >>> ownership.read_storage_marker(Path("./mydata"))
    {'uid': 'x1Yz...', 'slug': 'testuser1/mydata', 'db': 'sqlite:///...', 'created': True}
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import object_store
from .errors import SetupError

__all__ = [
    "DB_MARKER_TABLE",
    "STORAGE_MARKER",
    "read_storage_marker",
    "write_storage_marker",
    "wait_for_storage_marker",
    "remove_storage_marker",
    "check_storage_is_free",
    "read_db_marker",
    "create_db_marker",
    "record_tables",
    "DatabaseState",
    "libpq_url",
    "inspect_database",
    "drop_owned_tables",
    "file_lock",
    "schema_lock",
]

STORAGE_MARKER = "lamin.instance.json"
"""The name of the marker file in ``<storage>/.lamindb/``."""

DB_MARKER_TABLE = "lamindb_instance"
"""The table that says which instance owns a database and what it created."""


def _marker_path(storage: Path | str) -> Path | str:
    if object_store.is_cloud(storage):
        return object_store.join(storage, f".lamindb/{STORAGE_MARKER}")
    return Path(storage) / ".lamindb" / STORAGE_MARKER


def read_storage_marker(storage: Path | str) -> dict | None:
    """The marker of the instance that uses ``storage`` (a folder, or a bucket's
    ``s3://`` location), or None if there is none.

    Raises:
        SetupError: the marker exists but cannot be read (it names the file).
        ln.errors.StorageError: the bucket cannot be read.
    """
    path = _marker_path(storage)
    if isinstance(path, str):
        text = object_store.read_text(path)
        if text is None:
            return None
    else:
        try:
            text = path.read_text()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise SetupError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("uid"), str):
            raise ValueError("no instance uid")
    except ValueError as exc:
        raise SetupError(
            f"{path} is damaged ({exc}); it says which instance uses this storage folder: "
            "restore it, or remove it if no instance uses the folder"
        ) from None
    return data


def write_storage_marker(settings: Any, created: bool) -> None:
    """Mark ``settings.storage`` as the storage of the instance ``settings``.

    ``created`` says that the instance's database exists. The file is replaced
    in one step (write, then rename).
    """
    path = _marker_path(settings.storage)
    data = {"uid": settings.uid, "slug": settings.slug, "db": settings.db_display, "created": created}
    if isinstance(path, str):
        object_store.write_text(path, json.dumps(data, indent=2))  # one PUT replaces it whole
        # and a copy in the local folder, so that connecting does not need the bucket
        path = _marker_path(settings.local_folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def wait_for_storage_marker(folder: Path, registered_at: float | None, seconds: float = 10.0) -> None:
    """Wait until ``folder`` has its storage marker, if its instance was registered less than
    ``seconds`` ago (by a process that writes the marker right after the registration).

    A registration older than that is not waited for: a folder whose marker is really gone
    gets its error at once.
    """
    if registered_at is None or read_storage_marker(folder) is not None:
        return
    deadline = time.monotonic() + max(0.0, seconds - (time.time() - registered_at))
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if read_storage_marker(folder) is not None:
            return


def remove_storage_marker(settings: Any) -> None:
    """Remove the marker of ``settings`` from its storage (only if it is this instance's)."""
    try:
        marker = read_storage_marker(settings.storage)
    except SetupError:
        return
    if marker is not None and marker["uid"] == settings.uid:
        path = _marker_path(settings.storage)
        if isinstance(path, str):
            object_store.remove(path)
            path = _marker_path(settings.local_folder)
        path.unlink(missing_ok=True)


def check_storage_is_free(storage: Path, settings: Any) -> None:
    """Raise ``SetupError`` if another instance than ``settings`` uses ``storage``."""
    marker = read_storage_marker(storage)
    if marker is not None and marker["uid"] != settings.uid:
        raise SetupError(
            f"the storage folder {storage} is used by the instance {marker.get('slug', '?')} "
            f"(uid {marker['uid']}, database {marker.get('db', '?')}): two instances cannot share "
            "a storage folder; choose another folder, or connect to that instance"
        )


def libpq_url(db: str) -> str:
    """``db`` as psycopg takes it: ``postgresql+psycopg://`` becomes ``postgresql://``."""
    scheme, sep, rest = db.partition("://")
    return f"postgresql://{rest}" if sep and scheme == "postgresql+psycopg" else db


# -- the marker in the database ------------------------------------------------


def _table_exists(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        return table in connection.introspection.table_names(cursor)


def read_db_marker(connection, tables: set[str] | None = None) -> dict | None:
    """The owner of the database behind ``connection`` (a Django connection), or None.

    ``tables``: the database's tables, where the caller has listed them already.
    Returns ``{"uid", "slug", "tables"}``, ``tables`` being a list of names.
    """
    exists = DB_MARKER_TABLE in tables if tables is not None else _table_exists(connection, DB_MARKER_TABLE)
    if not exists:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT uid, slug, tables FROM {DB_MARKER_TABLE}")
        rows = cursor.fetchall()
    if not rows:
        return None
    uid, slug, tables = rows[0]
    return {"uid": uid, "slug": slug, "tables": json.loads(tables or "[]")}


_MARKER_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {DB_MARKER_TABLE} (uid VARCHAR(12) PRIMARY KEY, slug VARCHAR(255) NOT NULL, tables TEXT NOT NULL)"
)


def _marker_row(settings: Any, tables: list[str]) -> list[str]:
    return [settings.uid, settings.slug, json.dumps(sorted(set(tables) | {DB_MARKER_TABLE}))]


def create_db_marker(connection, settings: Any, tables: list[str]) -> None:
    """Mark the database as the instance's, recording ``tables`` as created by it."""
    with connection.cursor() as cursor:
        cursor.execute(_MARKER_TABLE_SQL)
        cursor.execute(f"INSERT INTO {DB_MARKER_TABLE} (uid, slug, tables) VALUES (%s, %s, %s)", _marker_row(settings, tables))


def mark_sqlite_copy(conn: Any, settings: Any) -> None:
    """Mark a new SQLite database (``conn``, an open ``sqlite3`` connection to a copy of a schema
    template, not yet in place) as the instance's, every table in it as created by it."""
    # the tables as Django lists them (without SQLite's own sqlite_sequence)
    query = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name != 'sqlite_sequence'"
    tables = [name for (name,) in conn.execute(query)]
    conn.execute(_MARKER_TABLE_SQL)
    conn.execute(f"INSERT INTO {DB_MARKER_TABLE} (uid, slug, tables) VALUES (?, ?, ?)", _marker_row(settings, tables))


def record_tables(connection, uid: str, tables: set[str] | list[str]) -> None:
    """Add ``tables`` to what the instance ``uid`` created in its database."""
    if not tables:
        return
    marker = read_db_marker(connection)
    if marker is None or marker["uid"] != uid:
        return
    merged = sorted(set(marker["tables"]) | set(tables))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {DB_MARKER_TABLE} SET tables = %s WHERE uid = %s", [json.dumps(merged), uid])


# -- what deleting an instance removes -----------------------------------------

# called with an instance's ``.lamindb`` folder before ln.setup.delete removes what is left in it:
# the layers above register what of theirs lives there (recovery: the process's own idle journals)
on_delete_storage: list[Callable[[Path], None]] = []


# rows that every instance has from its set-up, and bookkeeping: not a user's records
_NOT_RECORDS = {DB_MARKER_TABLE, "django_migrations", "core_user", "core_space", "core_storage"}


@dataclass
class DatabaseState:
    """What a database holds, read without Django and without changing it.

    ``exists``: the database (SQLite file, PostgreSQL database) is there.
    ``owner``: its marker (see :func:`read_db_marker`), or None.
    ``legacy``: no marker, but the tables of an instance made before ownership
    was recorded. ``records``: rows per table that a user made (the set-up's own
    rows left out).
    """

    exists: bool
    owner: dict | None = None
    legacy: bool = False
    records: dict[str, int] = field(default_factory=dict)


def _is_record_table(table: str) -> bool:
    # full-text index tables mirror the registries' rows
    return table not in _NOT_RECORDS and "_fts" not in table and not table.startswith("sqlite_")


def _count(execute, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for table in tables:
        if _is_record_table(table):
            n = execute(f"SELECT count(*) FROM {quote(table)}")
            if n:
                counts[table] = n
    return counts


def inspect_database(settings: Any) -> DatabaseState:
    """What the database of ``settings`` holds (see :class:`DatabaseState`).

    Raises:
        SetupError: the database cannot be read (a damaged file, a server that
            does not answer), with the reason.
    """
    if settings.is_embedded:
        return _inspect_sqlite(settings.sqlite_path)
    return _inspect_postgres(settings)


def _inspect_sqlite(path: Path) -> DatabaseState:
    import sqlite3

    if not path.is_file():
        return DatabaseState(exists=False)
    try:
        conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SetupError(f"cannot open {path}: {exc}") from None
    try:
        quote = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        execute = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        owner = None
        if DB_MARKER_TABLE in tables:
            row = conn.execute(f"SELECT uid, slug, tables FROM {DB_MARKER_TABLE}").fetchone()
            if row is not None:
                owner = {"uid": row[0], "slug": row[1], "tables": json.loads(row[2] or "[]")}
        # the file is the instance's whole database: every table in it counts
        return DatabaseState(exists=True, owner=owner, legacy=owner is None and bool(tables),
                             records=_count(execute, tables, quote))
    except sqlite3.Error as exc:
        raise SetupError(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()


def _pg_connect(settings: Any):
    import psycopg

    try:
        return psycopg.connect(libpq_url(settings.db), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        if getattr(exc, "sqlstate", None) == "3D000" or "does not exist" in str(exc):
            return None
        reason = " ".join(str(exc).split())
        raise SetupError(f"cannot connect to {settings.db_display}: {reason}") from None


def _inspect_postgres(settings: Any) -> DatabaseState:
    import psycopg

    conn = _pg_connect(settings)
    if conn is None:
        return DatabaseState(exists=False)
    with conn:
        execute = lambda sql, params=None: conn.execute(sql, params).fetchone()[0]  # noqa: E731
        quote = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        owner = None
        if execute("SELECT to_regclass(%s) IS NOT NULL", [DB_MARKER_TABLE]):
            row = conn.execute(f"SELECT uid, slug, tables FROM {DB_MARKER_TABLE}").fetchone()
            if row is not None:
                owner = {"uid": row[0], "slug": row[1], "tables": json.loads(row[2] or "[]")}
        if owner is None:
            legacy = bool(execute("SELECT to_regclass('django_migrations') IS NOT NULL")) and bool(
                execute("SELECT count(*) FROM django_migrations WHERE app = 'core'")
            )
            return DatabaseState(exists=True, legacy=legacy)
        present = [t for t in owner["tables"] if execute("SELECT to_regclass(%s) IS NOT NULL", [quote(t)])]
        try:
            records = _count(execute, present, quote)
        except psycopg.Error as exc:
            raise SetupError(f"cannot read {settings.db_display}: {' '.join(str(exc).split())}") from None
        return DatabaseState(exists=True, owner=owner, records=records)


def drop_owned_tables(settings: Any) -> list[str]:
    """Drop the tables that the instance ``settings`` recorded as created, in its
    PostgreSQL database; return their names.

    Its rows of ``django_migrations`` go too, and that table itself if this
    instance created it and no other application has rows in it; and the
    functions that only its tables used (the search indexes' ``lamindb_words``
    and trigger functions). Tables of other applications are never touched.

    Raises:
        SetupError: the database is another instance's, or has no record.
    """
    import psycopg

    conn = _pg_connect(settings)
    if conn is None:
        return []
    with conn, conn.transaction():
        row = None
        if conn.execute("SELECT to_regclass(%s) IS NOT NULL", [DB_MARKER_TABLE]).fetchone()[0]:
            row = conn.execute(f"SELECT uid, tables FROM {DB_MARKER_TABLE}").fetchone()
        if row is None or row[0] != settings.uid:
            raise SetupError(
                f"the database {settings.db_display} holds no record of the tables that "
                f"{settings.slug} created: nothing was dropped"
            )
        tables = json.loads(row[1] or "[]")
        functions = _functions_of(conn, [t for t in tables if t not in (DB_MARKER_TABLE, "django_migrations")])
        for table in tables:
            if table in (DB_MARKER_TABLE, "django_migrations"):
                continue
            conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        for function in functions:
            try:
                with conn.transaction():  # a savepoint: a function that something else uses stays
                    conn.execute(f"DROP FUNCTION IF EXISTS {function}")
            except psycopg.errors.DependentObjectsStillExist:
                pass
        if conn.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]:
            conn.execute("DELETE FROM django_migrations WHERE app IN ('core', 'bio', 'custom')")
            left = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
            if "django_migrations" in tables and left == 0:
                conn.execute("DROP TABLE django_migrations")
        conn.execute(f"DROP TABLE {DB_MARKER_TABLE}")
    return tables


def _functions_of(conn, tables: list[str]) -> list[str]:
    """The functions (as ``name(args)``) that the triggers and indexes of ``tables`` call, but
    the system's and those of extensions (``pg_trgm``)."""
    if not tables:
        return []
    rows = conn.execute(
        "WITH rel AS (SELECT to_regclass(quote_ident(x)) AS oid FROM unnest(%s::text[]) AS x), "
        "used AS (SELECT t.tgfoid AS oid FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT oid FROM rel) "
        "UNION SELECT d.refobjid FROM pg_depend d JOIN pg_index i ON i.indexrelid = d.objid "
        "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_proc'::regclass AND i.indrelid IN (SELECT oid FROM rel)) "
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.oid IN (SELECT oid FROM used) AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')",
        [tables],
    ).fetchall()
    return sorted(r[0] for r in rows)


# any fixed 64-bit number: the PostgreSQL advisory lock that guards migrations
PG_LOCK_KEY = 0x6C616D696E  # "lamin"


@contextmanager
def schema_lock(connection, lock_path: Path | None) -> Iterator[None]:
    """Hold an inter-process lock while the schema is migrated and seeded.

    Two processes connecting to a new database at once would otherwise both
    find the migrations unapplied and both create the tables. SQLite: an
    exclusive ``flock`` on ``lock_path`` (``lamin.db.lock`` beside the database
    file; None: none: :func:`file_lock`); PostgreSQL: a session advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PG_LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PG_LOCK_KEY])
        return
    if lock_path is None:
        yield
        return
    with file_lock(lock_path):
        yield


@contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """The schema lock of an SQLite database: an exclusive ``flock`` on ``lock_path``, made if
    missing (none where the platform has no ``flock``: SQLite's own locking is all there is)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
