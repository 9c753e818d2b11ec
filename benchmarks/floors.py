"""What the database itself takes for the rows of ``ln.save``: the floor its figures are read against.

``bench_core.py`` measures ``ln.save`` of N new labels; here the same N rows (the values that
``ln.save`` would write, prepared before the clock starts) go into a new, empty instance's
``ULabel`` table through the database driver alone, with nothing of lamindb-core or Django
around them, in one transaction, commit included:

- ``multirow``: the statements ``ln.save`` sends (PostgreSQL: one ``INSERT ... SELECT FROM
  UNNEST`` of one array per column; SQLite: ``INSERT ... VALUES (...), (...)`` of as many rows as
  its limit of parameters allows), ``RETURNING`` the ids;
- ``executemany``: one single-row ``INSERT`` executed per row (psycopg pipelines them);
- ``multirow_plain``: as ``multirow``, after the search indexes of the table are dropped
  (trigram and word indexes, their triggers, the vocabulary), which shows what they cost.

Example:
    >>> seconds = insert_floor(ln, "sqlite", label_names(10_000), "multirow")
"""

from __future__ import annotations

import time

__all__ = ["VARIANTS", "insert_floor"]

VARIANTS = ("multirow", "executemany", "multirow_plain")


def _rows(ln, names: list[str]) -> tuple[list[str], list[str], list[tuple]]:
    """The columns, their database types and the rows of N new labels, as ``ln.save`` prepares them."""
    from django.db import connection

    labels = [ln.ULabel(name=name) for name in names]
    fields = [f for f in ln.ULabel._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = field.pre_save(labels[0], add=True)
            for label in labels:
                setattr(label, field.attname, now)
    rows = [tuple(f.get_db_prep_save(getattr(label, f.attname), connection) for f in fields) for label in labels]
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
    from django.db import connection

    table = ln.ULabel._meta.db_table
    if variant == "multirow_plain":
        _drop_search_indexes(table)
    columns, types, rows = _rows(ln, names)
    connection.ensure_connection()
    raw = connection.connection  # the driver's own connection: sqlite3 or psycopg
    quoted = connection.ops.quote_name(table)
    names_sql = ", ".join(columns)
    if backend == "sqlite":
        one = "(" + ", ".join(["?"] * len(columns)) + ")"
        start = time.perf_counter()
        raw.execute("BEGIN")
        if variant == "executemany":
            raw.executemany(f"INSERT INTO {quoted} ({names_sql}) VALUES {one}", rows)
        else:
            step = 30_000 // len(columns)
            for at in range(0, len(rows), step):
                chunk = rows[at : at + step]
                sql = f"INSERT INTO {quoted} ({names_sql}) VALUES {', '.join([one] * len(chunk))} RETURNING id"
                raw.execute(sql, [value for row in chunk for value in row]).fetchall()
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
                sql = (f"INSERT INTO {quoted} ({names_sql}) SELECT * FROM UNNEST({arrays}) AS t({aliases}) "
                       "RETURNING id")
                for at in range(0, len(rows), 10_000):
                    cursor.execute(sql, [list(column) for column in zip(*rows[at : at + 10_000])])
                    cursor.fetchall()
        return time.perf_counter() - start
