"""The text index behind ``search``, ``inspect`` and ``from_values``.

A registry's text columns get an index that finds the rows whose text contains
a string, case-insensitively, without reading the whole table, and its name-like
columns an index on ``lower(column)`` for exact and prefix matches:

- SQLite: an FTS5 table ``<table>_fts`` over the columns (tokenizer ``trigram``,
  SQLite >= 3.34; ``unicode61`` with prefix indexes before that), an
  "external content" table that reads the registry's own rows, kept in step by
  three triggers (``<table>_fts_ai``, ``_ad``, ``_au``) on insert, delete and
  update; and ``CREATE INDEX <table>_<column>_lower ON <table> (lower(<column>))``.
- PostgreSQL: the extension ``pg_trgm``, a GIN trigram index per column
  (``<table>_<column>_trgm``), and ``lower(<column>) text_pattern_ops`` btree
  indexes (``<table>_<column>_lower``).

Migrations create them with :func:`migration_operation`; the core registries get
theirs in ``core/0002_text_index``. A module with its own registries does the
same in one of its migrations::

    from lamindb_core.text_index import migration_operation

    class Migration(migrations.Migration):
        dependencies = [("bio", "0001_initial")]
        operations = [
            migration_operation("bio", "celltype", ["name", "synonyms", "description", "ontology_id"], key_fields=["name"]),
            migration_operation("bio", "gene", ["symbol", "synonyms", "description", "ensembl_gene_id"], key_fields=["symbol"]),
        ]

At query time nothing is declared: :func:`index_info` reads what the database
has (and caches it on the connection), so registries without an index (those
defined in user code, or an older instance read through ``using``) are searched
by a plain ``LIKE`` scan instead.

Django rebuilds an SQLite table to alter it (copy, drop, rename), which drops
its triggers; :func:`index_info` notices the missing triggers on the instance's
own database, puts them back and rebuilds the index.

The name-like fields also get a word index, and on PostgreSQL a vocabulary of
their words, which search's word-by-word stage and its typo corrections read:
see ``word_index.py``.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import BooleanField, F, Func, Q, Value
from django.db.models.expressions import RawSQL

from .logger import logger

if TYPE_CHECKING:
    from django.db import migrations

__all__ = [
    "IndexInfo",
    "create_text_index",
    "drop_text_index",
    "index_info",
    "migration_operation",
    "contains_condition",
    "all_of_condition",
    "prefix_condition",
    "equals_condition",
    "after_bulk_insert",
    "words_table",
    "TRIGRAM_SQLITE",
    "quote_name",
    "cache_of",
    "forget",
    "index_name",
    "fts_phrase",
    "ILike",
]

# FTS5's trigram tokenizer came with SQLite 3.34.0
TRIGRAM_SQLITE = sqlite3.sqlite_version_info >= (3, 34, 0)
# PostgreSQL limits identifiers to 63 bytes
_MAX_NAME = 63


def index_name(table: str, column: str, suffix: str) -> str:
    """``<table>_<column>_<suffix>``, shortened with a hash if longer than 63 characters."""
    name = f"{table}_{column}_{suffix}"
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.md5(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - len(suffix) - 10]}_{digest}_{suffix}"


def quote_name(name: str) -> str:
    """``name`` as an SQL identifier, in double quotes (the same on SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


_q = quote_name


# ---------------------------------------------------------------------------
# creating and dropping
# ---------------------------------------------------------------------------


def _sqlite_fts_sql(table: str, pk: str, columns: Sequence[str]) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(_q(c) for c in columns)
    tokenize = "trigram" if TRIGRAM_SQLITE else "unicode61 remove_diacritics 2"
    prefix = "" if TRIGRAM_SQLITE else ", prefix='2 3 4'"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_q(fts)} USING fts5({cols}, content={_q(table)}, "
        f"content_rowid={_q(pk)}, tokenize='{tokenize}'{prefix})",
        *_sqlite_trigger_sql(table, pk, columns),
        f"INSERT INTO {_q(fts)}({_q(fts)}) VALUES ('rebuild')",
    ]


def _sqlite_trigger_sql(table: str, pk: str, columns: Sequence[str]) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(_q(c) for c in columns)
    new = ", ".join(f"new.{_q(c)}" for c in columns)
    old = ", ".join(f"old.{_q(c)}" for c in columns)
    insert = f"INSERT INTO {_q(fts)}(rowid, {cols}) VALUES (new.{_q(pk)}, {new});"
    delete = f"INSERT INTO {_q(fts)}({_q(fts)}, rowid, {cols}) VALUES ('delete', old.{_q(pk)}, {old});"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {_q(fts + '_ai')} AFTER INSERT ON {_q(table)} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {_q(fts + '_ad')} AFTER DELETE ON {_q(table)} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {_q(fts + '_au')} AFTER UPDATE OF {_q(pk)}, {cols} ON {_q(table)} "
        f"BEGIN {delete} {insert} END",
    ]


def create_text_index(connection, table: str, pk: str, columns: Sequence[str], key_columns: Sequence[str] = ()) -> None:
    """Create the text index of ``table`` over ``columns`` (and ``lower()`` indexes on ``key_columns``).

    Idempotent. On PostgreSQL, if ``pg_trgm`` cannot be created (no privilege),
    a warning says so and search falls back to scanning.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in _sqlite_fts_sql(table, pk, columns):
                cursor.execute(statement)
            for column in key_columns:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_q(index_name(table, column, 'lower'))} "
                    f"ON {_q(table)} (lower({_q(column)}))"
                )
        elif connection.vendor == "postgresql":
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                has_trgm = True
            except Exception as exc:  # no privilege to create it
                has_trgm = False
                logger.warning(f"search on {table} scans the table: cannot create extension pg_trgm ({exc})")
            if has_trgm:
                for column in columns:
                    cursor.execute(
                        f"CREATE INDEX IF NOT EXISTS {_q(index_name(table, column, 'trgm'))} "
                        f"ON {_q(table)} USING gin ({_q(column)} gin_trgm_ops)"
                    )
            for column in key_columns:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_q(index_name(table, column, 'lower'))} "
                    f"ON {_q(table)} (lower({_q(column)}) text_pattern_ops)"
                )
    forget(connection)


def drop_text_index(connection, table: str, columns: Sequence[str], key_columns: Sequence[str] = ()) -> None:
    """Drop what :func:`create_text_index` made."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            fts = f"{table}_fts"
            for suffix in ("_ai", "_ad", "_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {_q(fts + suffix)}")
            cursor.execute(f"DROP TABLE IF EXISTS {_q(fts)}")
        elif connection.vendor == "postgresql":
            for column in columns:
                cursor.execute(f"DROP INDEX IF EXISTS {_q(index_name(table, column, 'trgm'))}")
        for column in key_columns:
            cursor.execute(f"DROP INDEX IF EXISTS {_q(index_name(table, column, 'lower'))}")
    forget(connection)


def words_table(table: str) -> str:
    """``<table>_fts_words``: the SQLite word index of ``word_index.py``, the PostgreSQL vocabulary.

    ``_fts`` in a table's name marks it as derived from the registry's rows, as the trigram
    table ``<table>_fts`` is (``ownership`` counts no records in such tables).
    """
    return f"{table}_fts_words"


def after_bulk_insert(connection, table: str) -> None:
    """Fold what a big insert left in the GIN pending lists of ``table`` into its indexes.

    PostgreSQL's GIN indexes take new rows into a pending list (``fastupdate``)
    that every search reads until (auto)vacuum merges it: after 100,000 rows, a
    search of a 100,000-row table takes 20 to 40 ms longer. Merging right after
    a big bulk insert keeps search fast; turning ``fastupdate`` off instead
    would make saving 10,000 labels about 3 times slower. Every GIN index of the
    table is merged (the trigram indexes, those of ``word_index.py``) and those
    of its vocabulary (:func:`words_table`). Nothing to do on SQLite.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gin' AND i.indrelid IN "
            "(SELECT oid FROM pg_class WHERE oid IN (to_regclass(%s), to_regclass(%s)))",
            [_q(table), _q(words_table(table))],
        )
        for (name,) in cursor.fetchall():
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])


def migration_operation(
    app_label: str, model_name: str, fields: Sequence[str], key_fields: Sequence[str] = ()
) -> migrations.RunPython:
    """A migration operation that creates (and, backwards, drops) a registry's text index.

    Args:
        app_label: The registry's app, e.g. ``"core"`` or ``"bio"``.
        model_name: The registry's model name, lowercase (``"ulabel"``).
        fields: Text fields to find substrings in (``name``, ``synonyms``, ``description``).
        key_fields: Name-like fields that also get a ``lower()`` index for exact
            and prefix matches (``name``; ``symbol`` for genes).

    It changes no model state, so ``makemigrations --check`` stays clean.
    """

    def columns(apps) -> tuple[str, str, list[str], list[str]]:
        model = apps.get_model(app_label, model_name)
        meta = model._meta
        return (
            meta.db_table,
            meta.pk.column,
            [meta.get_field(f).column for f in fields],
            [meta.get_field(f).column for f in key_fields],
        )

    def forward(apps, schema_editor):
        table, pk, cols, keys = columns(apps)
        create_text_index(schema_editor.connection, table, pk, cols, keys)

    def backward(apps, schema_editor):
        table, _, cols, keys = columns(apps)
        drop_text_index(schema_editor.connection, table, cols, keys)

    from django.db import migrations  # here: importing it costs a process that migrates nothing 4 ms

    return migrations.RunPython(forward, backward, elidable=False)


# ---------------------------------------------------------------------------
# what a database has
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexInfo:
    """The text index of one table in one database.

    ``kind`` is ``"fts5"``, ``"trgm"`` or ``""`` (none); ``columns`` are the
    columns it covers, ``lower_columns`` those with a ``lower()`` btree index.
    """

    kind: str = ""
    columns: frozenset[str] = field(default_factory=frozenset)
    lower_columns: frozenset[str] = field(default_factory=frozenset)
    trigram: bool = True

    def covers(self, column: str) -> bool:
        """Whether substring search on ``column`` can use the index."""
        return bool(self.kind) and column in self.columns


def cache_of(connection) -> dict:
    """What this module and ``word_index`` know of a connection's indexes, until :func:`forget`."""
    # the connection itself, also when given django.db.connection (a proxy with a dict of its own)
    connection = connections[connection.alias]
    return connection.__dict__.setdefault("_lamindb_text_index", {})


_cache = cache_of


def forget(connection) -> None:
    """Drop the cached index descriptions of a connection (after DDL)."""
    cache_of(connection).clear()


def index_info(alias: str, table: str) -> IndexInfo:
    """The text index of ``table`` in database ``alias`` (cached per connection)."""
    connection = connections[alias]
    cache = _cache(connection)
    info = cache.get(table)
    if info is None:
        if connection.vendor == "sqlite":
            info = _sqlite_info(connection, table, repair=alias == DEFAULT_DB_ALIAS)
        elif connection.vendor == "postgresql":
            info = _pg_info(connection, table)
        else:
            info = IndexInfo()
        cache[table] = info
    return info


_LOWER_SQLITE = re.compile(r'\(\s*lower\(\s*"?([^")]+)"?\s*\)\s*\)', re.IGNORECASE)


def _sqlite_info(connection, table: str, repair: bool) -> IndexInfo:
    fts = f"{table}_fts"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE (type = 'table' AND name = %s) "
            "OR (type = 'trigger' AND tbl_name = %s) OR (type = 'index' AND tbl_name = %s)",
            [fts, table, table],
        )
        rows = cursor.fetchall()
        lower = frozenset(
            m.group(1) for kind, _, sql in rows if kind == "index" and sql for m in [_LOWER_SQLITE.search(sql)] if m
        )
        fts_sql = next((sql for kind, name, sql in rows if kind == "table" and name == fts), None)
        if fts_sql is None:
            return IndexInfo(lower_columns=lower)
        cursor.execute(f"PRAGMA table_info({_q(fts)})")
        columns = [row[1] for row in cursor.fetchall()]
        triggers = {name for kind, name, _ in rows if kind == "trigger"}
        missing = {fts + s for s in ("_ai", "_ad", "_au")} - triggers
        if missing:
            if not repair:
                # a database that we only read: its index may be stale, so do not trust it
                return IndexInfo(lower_columns=lower)
            _sqlite_repair(cursor, table, columns)
    return IndexInfo(kind="fts5", columns=frozenset(columns), lower_columns=lower, trigram="trigram" in fts_sql)


def _sqlite_repair(cursor, table: str, columns: list[str]) -> None:
    """Put back the triggers that a table rebuild dropped, and rebuild the index."""
    cursor.execute(
        "SELECT name FROM pragma_table_info(%s) WHERE pk > 0", [table]
    )
    pk = cursor.fetchone()[0]
    fts = f"{table}_fts"
    for statement in _sqlite_trigger_sql(table, pk, columns):
        cursor.execute(statement)
    cursor.execute(f"INSERT INTO {_q(fts)}({_q(fts)}) VALUES ('rebuild')")
    logger.info(f"rebuilt the search index of {table}")


_TRGM_PG = re.compile(r'\(\s*"?([^"\s()]+)"?\s+gin_trgm_ops\s*\)')
_LOWER_PG = re.compile(r'lower\(\(?"?([^"\s()]+)"?\)?(?:::text)?\)')


def _pg_info(connection, table: str) -> IndexInfo:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
        )
        definitions = [row[0] for row in cursor.fetchall()]
    trgm = frozenset(m.group(1) for d in definitions for m in [_TRGM_PG.search(d)] if m)
    lower = frozenset(m.group(1) for d in definitions if "btree" in d for m in [_LOWER_PG.search(d)] if m)
    return IndexInfo(kind="trgm" if trgm else "", columns=trgm, lower_columns=lower)


# ---------------------------------------------------------------------------
# conditions that use the index
# ---------------------------------------------------------------------------


class ILike(Func):
    """``<column> ILIKE <pattern>``: the form that a GIN trigram index serves. Built as
    ``ILike(F(<field>), Value(<pattern>))``; search renders it into its own SQL from these two."""

    arg_joiner = " ILIKE "
    template = "%(expressions)s"
    output_field = BooleanField()


def like_escape(text: str) -> str:
    """``text`` with ``%``, ``_`` and ``\\`` escaped for a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(text: str) -> str:
    """``text`` as an FTS5 phrase (a quoted string)."""
    return '"' + text.replace('"', '""') + '"'


def fts_query(info: IndexInfo, columns: Sequence[str], texts: Sequence[str]) -> str | None:
    """An FTS5 query for rows where one of ``columns`` contains one of ``texts``.

    With the trigram tokenizer a phrase is a substring match; texts shorter than
    3 characters cannot be served and are left out (None if none is left). With
    ``unicode61``, each word of a text must start a word of the column.
    """
    if info.trigram:
        phrases = [fts_phrase(t) for t in texts if len(t) >= 3]
    else:
        phrases = []
        for t in texts:
            words = re.findall(r"\w+", t)
            if words:
                phrases.append("(" + " AND ".join(fts_phrase(w) + "*" for w in words) + ")")
    if not phrases:
        return None
    spec = "{" + " ".join(columns) + "}" if len(columns) > 1 else columns[0]
    return f"{spec} : ({' OR '.join(phrases)})"


def contains_condition(
    alias: str,
    model,
    info: IndexInfo,
    names: Sequence[str],
    texts: Sequence[str],
    cap: int | None = None,
) -> Q | None:
    """A filter for records whose field in ``names`` contains one of ``texts``, case-insensitively.

    Uses the text index where it covers the fields; otherwise ``icontains``
    (a scan). ``cap`` bounds how many rows the SQLite index hands over; a
    PostgreSQL query is bounded by slicing the queryset instead. Returns None
    when no text can be searched (all under 3 characters on an index that
    cannot serve them and no fallback wanted).
    """
    meta = model._meta
    columns = {n: meta.get_field(n).column for n in names}
    indexed = [n for n in names if info.covers(columns[n])]
    plain = [n for n in names if n not in indexed]
    condition = Q()
    texts = [t for t in texts if t]
    if not texts:
        return None
    if indexed and info.kind == "fts5":
        query = fts_query(info, [columns[n] for n in indexed], texts)
        short = [t for t in texts if len(t) < 3] if info.trigram else []
        if query is not None:
            fts = f"{meta.db_table}_fts"
            limit = f" LIMIT {int(cap)}" if cap else ""
            condition |= Q(pk__in=RawSQL(f"SELECT rowid FROM {_q(fts)} WHERE {_q(fts)} MATCH %s{limit}", [query]))
        for t in short:  # FTS5 trigram cannot find them: scan
            for n in indexed:
                condition |= Q(**{f"{n}__icontains": t})
    elif indexed and info.kind == "trgm":
        for n in indexed:
            for t in texts:
                condition |= Q(ILike(F(n), Value(f"%{like_escape(t)}%")))
    for n in plain:
        for t in texts:
            condition |= Q(**{f"{n}__icontains": t})
    return condition


def all_of_condition(alias: str, model, info: IndexInfo, names: Sequence[str], groups: Sequence[Sequence[str]], cap: int | None = None) -> Q | None:
    """A filter for records that contain, for every group of ``groups``, one of its texts in one of the fields ``names``.

    ``[["liv", "ver"], ["kinase"]]``: "liv" or "ver", and "kinase"; case-insensitive. One
    index query on SQLite (an FTS5 ``AND`` of ``OR``s, at most ``cap`` ids), and-ed
    trigram conditions on PostgreSQL, ``icontains`` where no index covers the fields.
    Texts shorter than 3 characters are left out, and so is a group left empty; None if
    no group is left.
    """
    groups = [list(dict.fromkeys(t for t in group if len(t) >= 3)) for group in groups]
    groups = [g for g in groups if g]
    if not groups or not names:
        return None
    meta = model._meta
    columns = {n: meta.get_field(n).column for n in names}
    if info.kind == "fts5" and all(info.covers(columns[n]) for n in names):
        parts = [fts_query(info, [columns[n] for n in names], group) for group in groups]
        if any(p is None for p in parts):
            return None
        # each part is "<columns> : (<phrases>)"; FTS5 ands them with AND
        query = " AND ".join(f"({p})" for p in parts)
        fts = f"{meta.db_table}_fts"
        limit = f" LIMIT {int(cap)}" if cap else ""
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {_q(fts)} WHERE {_q(fts)} MATCH %s{limit}", [query]))
    condition = Q()
    for group in groups:
        either = Q()
        for n in names:
            for t in group:
                if info.kind == "trgm" and info.covers(columns[n]):
                    either |= Q(ILike(F(n), Value(f"%{like_escape(t)}%")))
                else:
                    either |= Q(**{f"{n}__icontains": t})
        condition &= either
    return condition


# The conditions below select the matching ids in a subquery that reads only the
# index (``pk IN (SELECT pk FROM table WHERE <indexed condition> LIMIT n)``), so
# that no other filter of the queryset (``_branch_code = 1``) can lead the
# planner to another index, and so that at most ``cap`` ids are read.


def _ids_sql(model, where: str, order: str = "", cap: int | None = None) -> str:
    meta = model._meta
    limit = f" LIMIT {int(cap)}" if cap else ""
    order = f" ORDER BY {order}" if order else ""
    return f"SELECT {_q(meta.pk.column)} FROM {_q(meta.db_table)} WHERE {where}{order}{limit}"


def prefix_condition(alias: str, model, name: str, text: str, cap: int | None) -> Q:
    """Records whose ``name`` starts with ``text``, ignoring case, through its ``lower()`` index.

    Both read them from the index in order, so the exact match (the shortest) comes first.
    """
    column = _q(model._meta.get_field(name).column)
    lowered = text.lower()
    if connections[alias].vendor == "postgresql":
        # "USING ~<~" is the order of the text_pattern_ops index: read in order, exact match first
        sql = _ids_sql(model, f"lower({column}) LIKE %s", order=f"lower({column}) USING ~<~", cap=cap)
        return Q(pk__in=RawSQL(sql, [like_escape(lowered) + "%"]))
    sql = _ids_sql(model, f"lower({column}) >= %s AND lower({column}) < %s", order=f"lower({column})", cap=cap)
    return Q(pk__in=RawSQL(sql, [lowered, lowered + "\U0010ffff"]))


def equals_condition(model, names: Sequence[str], text: str, cap: int | None) -> Q:
    """Records where one of the fields ``names`` equals ``text`` exactly (their btree indexes)."""
    meta = model._meta
    where = " OR ".join(f"{_q(meta.get_field(n).column)} = %s" for n in names)
    return Q(pk__in=RawSQL(_ids_sql(model, where, cap=cap), [text] * len(names)))
