"""What the database itself takes for the rows of ``ln.save``: the floor its figures are read against.

``bench_core.py`` measures ``ln.save`` of N new labels; here the same N rows (the values that
``ln.save`` would write, prepared before the clock starts) go into a new, empty instance's
``ULabel`` table through the database driver alone, with nothing of lamindb-core or Django
around them, in one transaction, commit included:

- ``multirow``: the statements ``ln.save`` sends (PostgreSQL: one ``INSERT ... SELECT FROM
  UNNEST`` of one array per column; SQLite: ``INSERT ... SELECT column1, column2, ?, ... FROM
  (VALUES (?, ?), ...)``, a column of one value for all rows (a default, the moment of the call)
  as one parameter, the others in rows, as many as its limit of parameters allows),
  ``RETURNING`` the uids and ids, by which ``ln.save`` matches the ids to the records;
- ``executemany``: one single-row ``INSERT`` executed per row (psycopg pipelines them);
- ``multirow_plain``: as ``multirow``, after the search indexes of the table are dropped
  (trigram and word indexes, their triggers, the vocabulary), which shows what they cost.

``bench_artifacts.py`` reads its saves of artifacts against the same kind of floor, with the
files: ``save_floor`` (one by one: a copy, an fsync of the file and of its folder, one committed
``INSERT`` of an artifact's row, per file; with ``journal=True`` also the recovery journal's lines, one of them
fdatasynced beside the copy's fsync, the copy made without a name and linked to its own, the floor of the
design) and ``save_many_floor`` (``ln.save`` of N: the copies fsynced in parallel,
as ``file_copies.store_many`` does, then one ``INSERT`` of the N artifact rows, committed).

Example:
    >>> seconds = insert_floor(ln, "sqlite", label_names(10_000), "multirow")
"""

from __future__ import annotations

import _thread
import base64
import fcntl
import hashlib
import os
import queue
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = [
    "VARIANTS", "captured_statements", "insert_floor", "insert_rows", "prepared_rows", "replay_statements",
    "save_floor", "save_many_floor",
]

VARIANTS = ("multirow", "executemany", "multirow_plain")


def _rows(ln, names: list[str]) -> tuple[list[str], list[str], list[tuple]]:
    """The columns, their database types and the rows of N new labels, as ``ln.save`` prepares them."""
    return prepared_rows([ln.ULabel(name=name) for name in names])


def prepared_rows(records: list) -> tuple[list[str], list[str], list[tuple]]:
    """The columns (quoted), their database types and the rows of new records of one registry,
    as ``ln.save`` prepares them (every concrete field but the id, the same timestamp for all)."""
    from django.db import connection

    fields = [f for f in type(records[0])._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = field.pre_save(records[0], add=True)
            for record in records:
                setattr(record, field.attname, now)
    rows = [tuple(f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields) for record in records]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    types = [f.db_type(connection).split("(")[0] for f in fields]
    return columns, types, rows


def _drop_search_indexes(table: str) -> None:
    """Drop the table's trigram and word indexes, their triggers and its vocabulary."""
    from django.db import connection

    from lamindb_core import text_index, word_index

    text = text_index.index_info("default", table)
    words = word_index.word_index_info("default", table)
    text_index.drop_text_index(connection, table, sorted(text.columns), sorted(text.lower_columns))
    word_index.drop_word_index(connection, table, sorted(getattr(words, "columns", ()) or ()))


def insert_floor(ln, backend: str, names: list[str], variant: str) -> float:
    """Seconds to insert the rows of ``names`` as ``variant`` says, in the current (new) instance."""
    table = ln.ULabel._meta.db_table
    if variant == "multirow_plain":
        _drop_search_indexes(table)
    columns, types, rows = _rows(ln, names)
    return insert_rows(backend, table, columns, types, rows, variant)


def insert_rows(backend: str, table: str, columns: list[str], types: list[str], rows: list[tuple],
                variant: str = "multirow") -> float:
    """Seconds to insert ``rows`` (see :func:`prepared_rows`) into ``table`` through the driver's own
    connection, in one transaction, commit included: ``multirow`` as ``ln.save`` sends them
    (``RETURNING`` the uids and ids), ``executemany`` one single-row ``INSERT`` per row."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection  # the driver's own connection: sqlite3 or psycopg
    quoted = connection.ops.quote_name(table)
    names_sql = ", ".join(columns)
    # what ln.save has the database return: the uids and the ids, which it matches by uid
    returning = " RETURNING uid, id" if '"uid"' in columns else " RETURNING id"
    if backend == "sqlite":
        one = "(" + ", ".join(["?"] * len(columns)) + ")"
        # as ln.save: the columns of one value for all rows once, the others in rows
        shared = [i for i, column in enumerate(zip(*rows)) if len(rows) > 1 and column.count(column[0]) == len(rows)]
        shared = shared[1:] if len(shared) == len(columns) else shared
        varying = [i for i in range(len(columns)) if i not in shared]
        constants = [rows[0][i] for i in shared]
        in_rows = [tuple(row[i] for i in varying) for row in rows]
        names_shared = ", ".join([*(columns[i] for i in varying), *(columns[i] for i in shared)])
        selected = ", ".join([*(f"column{k + 1}" for k in range(len(varying))), *(["?"] * len(shared))])
        one_varying = "(" + ", ".join(["?"] * len(varying)) + ")"
        start = time.perf_counter()
        raw.execute("BEGIN")
        if variant == "executemany":
            raw.executemany(f"INSERT INTO {quoted} ({names_sql}) VALUES {one}", rows)
        else:
            step = (30_000 - len(shared)) // len(varying)
            for at in range(0, len(rows), step):
                chunk = in_rows[at : at + step]
                sql = (f"INSERT INTO {quoted} ({names_shared}) SELECT {selected} "
                       f"FROM (VALUES {', '.join([one_varying] * len(chunk))}){returning}")
                raw.execute(sql, [*constants, *(value for row in chunk for value in row)]).fetchall()
        raw.commit()
        return time.perf_counter() - start
    # psycopg in autocommit mode, as Django leaves it: transaction() is one BEGIN ... COMMIT
    with raw.cursor() as cursor:
        start = time.perf_counter()
        with raw.transaction():
            if variant == "executemany":
                one = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {quoted} ({names_sql}) VALUES ({one})", rows)
            else:
                arrays = ", ".join(f"%s::{t}[]" for t in types)
                aliases = ", ".join(f"c{i}" for i in range(len(columns)))
                sql = f"INSERT INTO {quoted} ({names_sql}) SELECT * FROM UNNEST({arrays}) AS t({aliases}){returning}"
                for at in range(0, len(rows), 10_000):
                    cursor.execute(sql, [list(column) for column in zip(*rows[at : at + 10_000])])
                    cursor.fetchall()
        return time.perf_counter() - start


def save_floor(ln, sources: list[Path], folder: Path, journal: bool = False, into: Path | None = None) -> list[float]:
    """The floor of one ``artifact.save()`` on this disk and database, per file: read and hash it,
    write it to a new file in ``into`` (``folder`` if not given; ``bench_artifacts.py`` gives the
    storage's ``.lamindb``, where ``artifact.save()`` writes: making a file in a folder of
    hundreds took this disk two to five times as long as in an empty one), as
    ``bench-floor-<name>``, fsync the file and the folder,
    and insert the row of an artifact into the artifact table, with its indexes and the search
    indexes' triggers, in its own transaction (``BEGIN``, ``INSERT``, ``COMMIT``, as a save's;
    the values ``artifact.save()`` writes, prepared before the clock starts, with hashes and keys
    of their own). The rows, the files and the folder are removed afterwards.

    ``journal``: the floor of the design, with the syscalls of the recovery journal too (those
    of ``artifact_batch.open_journal``, ``recovery.save_journal``, ``Journal.add``,
    ``Journal.close`` and ``file_copies.store_atomic`` with ``before_name``, made here with
    ``os`` alone): the folder of journals listed (the recovery that each save runs first); at
    the first file, the process's journal created, locked, its header written and renamed (as
    the first ``artifact.save()`` of a process does); then per file a line written, the copy
    written to a file without a name in the folder (``O_TMPFILE``), the line fdatasynced in a
    helper thread while the copy is fsynced, the copy linked to its name, the folder fsynced,
    and after the ``INSERT`` the done line written. Where the system makes no file without a
    name: the line fdatasynced first, and the copy under a temporary name, linked to its own,
    the temporary name removed."""
    from django.db import connection, transaction

    storage = ln.settings.storage_record()
    records = []
    for source in sources:
        digest = hashlib.md5(source.read_bytes() + b"floor").digest()
        records.append(ln.Artifact(key=f"bench-floor/{source.name}", suffix=source.suffix, size=source.stat().st_size,
                                   hash=base64.urlsafe_b64encode(digest).decode().rstrip("="), _hash_type="md5",
                                   storage=storage))
    columns, _, rows = prepared_rows(records)
    table = connection.ops.quote_name(ln.Artifact._meta.db_table)
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id"
    folder.mkdir()
    into = into or folder
    made: list[Path] = []
    pending = folder / ".pending"
    pending.mkdir()
    header = b'{"host": "bench", "pid": 1, "started": 0.0, "session": {}, "shared": true}\n'
    times = []
    ids = []
    jfd = None
    unnamed = journal and hasattr(os, "O_TMPFILE")
    helper = _Helper() if unnamed else None
    try:
        with connection.cursor() as cursor:
            for source, row in zip(sources, rows):
                start = time.perf_counter()
                if journal:
                    with os.scandir(pending) as entries:
                        list(entries)
                    if jfd is None:
                        new = os.path.join(pending, "journal.new")
                        jfd = os.open(new, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
                        fcntl.flock(jfd, fcntl.LOCK_EX)
                        os.write(jfd, header)
                        os.rename(new, os.path.join(pending, "journal.jsonl"))
                    os.write(jfd, f'{{"add": ["{source.name}"]}}\n'.encode())
                    if not unnamed:
                        os.fdatasync(jfd)
                fd = os.open(source, os.O_RDONLY)
                data = os.read(fd, 1 << 20)
                os.close(fd)
                hashlib.md5(data).digest()
                dest = into / f"bench-floor-{source.name}"
                made.append(dest)
                if unnamed:
                    dir_fd = os.open(into, os.O_RDONLY | os.O_DIRECTORY)
                    fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600, dir_fd=dir_fd)
                    os.write(fd, data)
                    done = helper.run(os.fdatasync, jfd)
                    os.fsync(fd)
                    error = done.get()
                    if error is not None:
                        raise error
                    os.link(f"/proc/self/fd/{fd}", dest.name, dst_dir_fd=dir_fd)
                    os.close(fd)
                    os.fsync(dir_fd)
                    os.close(dir_fd)
                else:
                    tmp = into / f".{dest.name}.journal.tmp" if journal else dest
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    os.write(fd, data)
                    os.fsync(fd)
                    os.close(fd)
                    if journal:
                        os.link(tmp, dest)
                        os.unlink(tmp)
                    fd = os.open(into, os.O_RDONLY)
                    os.fsync(fd)
                    os.close(fd)
                with transaction.atomic():
                    cursor.execute(insert, row)
                    ids.append(cursor.fetchone()[0])
                if journal:
                    os.write(jfd, f'{{"done": ["{source.name}"]}}\n'.encode())
                times.append(time.perf_counter() - start)
    finally:
        if jfd is not None:
            os.close(jfd)
        if ids:
            ln.Artifact._base_manager.filter(pk__in=ids)._raw_delete(connection.alias)
        for path in made:
            path.unlink(missing_ok=True)
        shutil.rmtree(folder)
    return times


class _Helper:
    # a thread that runs the calls put to it, as file_copies' helper does for artifact.save()
    def __init__(self) -> None:
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        _thread.start_new_thread(self._work, ())

    def _work(self) -> None:
        while True:
            call, args, done = self._todo.get()
            try:
                call(*args)
            except BaseException as exc:  # raised by the waiting caller
                done.put(exc)
            else:
                done.put(None)

    def run(self, call, *args) -> queue.SimpleQueue:
        done: queue.SimpleQueue = queue.SimpleQueue()
        self._todo.put((call, args, done))
        return done


def save_many_floor(ln, backend: str, sources: list[Path], folder: Path) -> float:
    """The floor of ``ln.save`` of N new artifacts on this disk and database, in the current (new)
    instance: the N files read, hashed and written to temporary names in ``folder`` (on the
    storage's disk), each fsynced in a pool of threads as soon as it is written (as
    ``file_copies.store_many`` does: 16 threads, the next files copied meanwhile), renamed once all are
    synced, the folder fsynced; then the N rows of the artifacts inserted in one statement
    through the database driver, in one transaction, commit included (``floors.insert_rows``).
    The rows (the values ``ln.save`` writes) are prepared before the clock starts; the rows and
    the folder are removed afterwards."""
    from django.db import connection

    storage = ln.settings.storage_record()
    records = []
    for i, source in enumerate(sources):
        data = source.read_bytes()
        digest = base64.urlsafe_b64encode(hashlib.md5(data).digest()).decode().rstrip("=")
        records.append(ln.Artifact(key=f"dataset_{i}.csv", suffix=".csv", size=len(data), hash=digest,
                                   _hash_type="md5", storage=storage))
    columns, types, rows = prepared_rows(records)
    table = ln.Artifact._meta.db_table
    folder.mkdir()
    try:
        start = time.perf_counter()
        temps = []
        with ThreadPoolExecutor(16) as pool:
            syncs = []
            for source in sources:
                fd = os.open(source, os.O_RDONLY)
                data = os.read(fd, 1 << 20)
                os.close(fd)
                hashlib.md5(data).digest()
                tmp = folder / f".{source.name}.tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, data)
                temps.append((tmp, folder / source.name, fd))
                syncs.append(pool.submit(os.fsync, fd))
            for sync in syncs:
                sync.result()
        for tmp, dest, fd in temps:
            os.close(fd)
            os.rename(tmp, dest)
        fd = os.open(folder, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        files_done = time.perf_counter() - start
        return files_done + insert_rows(backend, table, columns, types, rows)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        shutil.rmtree(folder)


def captured_statements(func) -> list[tuple[str, list]]:
    """The statements (``%s`` placeholders) and parameters that one call of ``func`` sends through
    Django's default connection, in order."""
    from django.db import connection

    statements: list[tuple[str, list]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        func()
    return statements


def replay_statements(backend: str, statements: list[tuple[str, list]]) -> float:
    """Seconds to send ``statements`` (see :func:`captured_statements`) one after another through
    the database driver's own connection and read all their rows, nothing of Django or
    lamindb-core around them: the floor of whatever sent them. On PostgreSQL through psycopg's
    client-side binding cursor, as Django's backend binds its parameters."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    if backend == "sqlite":
        start = time.perf_counter()
        for sql, params in statements:
            raw.execute(sql.replace("%s", "?"), params).fetchall()
        return time.perf_counter() - start
    import psycopg

    start = time.perf_counter()
    for sql, params in statements:
        with psycopg.ClientCursor(raw) as cursor:
            cursor.execute(sql, params)
            if cursor.description:
                cursor.fetchall()
    return time.perf_counter() - start
