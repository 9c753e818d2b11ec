"""The word index behind search's word-by-word stage, and the vocabulary that corrects typos.

The text index (``text_index.py``) finds substrings through trigrams. For a string of
common words that is slow: at 1,000,000 labels PostgreSQL reads the lists of every
letter triple of "marker study 2" (about 30 ms), and a number under 3 digits cannot be
looked up at all. A word index reads one list per word, numbers included. A registry's
name-like fields (its name and synonyms: where search looks for typos) get:

- SQLite: an FTS5 table ``<table>_fts_words`` over them, tokenizer ``unicode61`` (words of
  letters and digits, case folded), reading the registry's own rows (external content), kept
  in step by three triggers (``<table>_fts_words_ai``, ``_ad``, ``_au``) as the trigram
  table is, and ``<table>_fts_words_vocab`` (``fts5vocab``), the list of its words. Search
  corrects a typo from the words of the rows that hold a piece of it (trigrams, which SQLite
  reads fast), else from the words one edit away in that list.
- PostgreSQL: a GIN index per field, ``<table>_<column>_words``, on the field's words as a
  ``tsvector`` (:func:`words_sql`, the function ``lamindb_words``), and a vocabulary: the table ``<table>_fts_words(word)``
  of the distinct words of 3 to 64 letters without digits (what a typo can be corrected to:
  :func:`ranking.typo_edits` allows none in a word with a digit), with a btree and a
  trigram index on ``word``. A trigger adds the words of every inserted row (once per
  statement, from its transition table) and of every row whose fields change. A typo
  ("stdy") is corrected against the vocabulary, a few thousand rows rather than a million:
  the words one edit away (:func:`edits`) through the btree, similar words
  (``pg_trgm``'s ``%``) through the trigram index.

The vocabulary keeps no counts and has no unique constraint, so that concurrent writers
never wait for each other: each adds the words it does not see, and two transactions that
add the same new word at once leave it twice (a lookup reads distinct words). Deleted rows
leave their words behind, which costs at most a correction that finds no row.

Words are split nearly the same way everywhere: at characters other than letters and digits
by Python's ``ranking.words_of`` and FTS5's ``unicode61``; on PostgreSQL at ASCII characters
other than letters and digits and at general punctuation (U+2000 to U+206F), which does not
depend on the database's locale (other non-ASCII punctuation stays inside a word there).

``word_lookup.py`` builds the conditions that read the index.

Migrations create the index with :func:`migration_operation`; the core registries get theirs in
``core/0004_search_words``, the bio registries in ``bio/0003_search_words``. At query time
:func:`word_index_info` reads what the database has, as ``text_index.index_info`` does.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections

from .logger import logger
from .text_index import cache_of, fts_phrase, index_name, quote_name, words_table

if TYPE_CHECKING:
    from django.db import migrations

__all__ = [
    "WordIndexInfo",
    "create_word_index",
    "drop_word_index",
    "migration_operation",
    "word_index_info",
    "words_sql",
    "SPLIT_PG",
    "indexed_words",
    "WORD",
    "START",
    "Found",
    "vocabulary_words",
    "edits",
]

# PostgreSQL: where words split, after lower(): anything but ASCII letters and digits,
# except non-ASCII characters outside general punctuation (U+2000-U+206F)
SPLIT_PG = r"[^0-9a-z\u0080-\u1fff\u2070-\U0010ffff]"
# the words that the vocabulary keeps: what a typo can be corrected to
_VOCABULARY_WORD = "length(w) BETWEEN 3 AND 64 AND w !~ '[0-9]'"
_LAST = "\U0010ffff"  # sorts after every character: word >= 'abc' AND word < 'abc' || _LAST is a prefix range


def words_sql(column_sql: str) -> str:
    """The PostgreSQL expression of a column's words, as its index has it (a ``tsvector``).

    Example:
        >>> words_sql('"name"')
        'lamindb_words("name"::text)'
    """
    return f"{WORDS_FUNCTION}({column_sql}::text)"


# The words of a text as a tsvector, in a function: the planner counts its cost (a regular
# expression per row), so it reads the index rather than scan a million rows with it, and,
# unsafe in parallel, it runs no parallel workers, which would cost more to start than the
# search takes. IMMUTABLE: an index may use it. Never dropped: indexes of other tables use it.
WORDS_FUNCTION = "lamindb_words"
_WORDS_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {WORDS_FUNCTION}(text) RETURNS tsvector LANGUAGE plpgsql "
    f"IMMUTABLE STRICT PARALLEL UNSAFE COST 100 AS $body$ BEGIN RETURN "
    f"array_to_tsvector(array_remove(regexp_split_to_array(lower($1), '{SPLIT_PG}+'), '')); END $body$"
)


# ---------------------------------------------------------------------------
# creating and dropping
# ---------------------------------------------------------------------------


def _sqlite_sql(table: str, pk: str, columns: Sequence[str]) -> list[str]:
    words = words_table(table)
    cols = ", ".join(quote_name(c) for c in columns)
    return [
        # no column sizes: they serve bm25() ranking, which search does not use
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {quote_name(words)} USING fts5({cols}, content={quote_name(table)}, "
        f"content_rowid={quote_name(pk)}, tokenize='unicode61 remove_diacritics 0', columnsize=0)",
        *_sqlite_trigger_sql(table, pk, columns),
        f"INSERT INTO {quote_name(words)}({quote_name(words)}) VALUES ('rebuild')",
        # its distinct words, read from the index itself: what a typo can be corrected to
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {quote_name(words + '_vocab')} USING fts5vocab({quote_name(words)}, row)",
    ]


def _sqlite_trigger_sql(table: str, pk: str, columns: Sequence[str]) -> list[str]:
    words = quote_name(words_table(table))
    cols = ", ".join(quote_name(c) for c in columns)
    new = ", ".join(f"new.{quote_name(c)}" for c in columns)
    old = ", ".join(f"old.{quote_name(c)}" for c in columns)
    insert = f"INSERT INTO {words}(rowid, {cols}) VALUES (new.{quote_name(pk)}, {new});"
    delete = f"INSERT INTO {words}({words}, rowid, {cols}) VALUES ('delete', old.{quote_name(pk)}, {old});"
    name = words_table(table)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {quote_name(name + '_ai')} AFTER INSERT ON {quote_name(table)} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_name(name + '_ad')} AFTER DELETE ON {quote_name(table)} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_name(name + '_au')} AFTER UPDATE OF {quote_name(pk)}, {cols} "
        f"ON {quote_name(table)} BEGIN {delete} {insert} END",
    ]


def _pg_vocabulary_insert(vocabulary: str, source: str, columns: Sequence[str]) -> str:
    """``INSERT`` of the words of ``source``'s ``columns`` that the vocabulary lacks."""
    text = " || ' ' || ".join(f"coalesce(n.{quote_name(c)}::text, '')" for c in columns)
    return (
        f"INSERT INTO {quote_name(vocabulary)} (word) "
        f"SELECT DISTINCT w FROM {source} AS n CROSS JOIN LATERAL regexp_split_to_table(lower({text}), '{SPLIT_PG}+') AS w "
        f"WHERE {_VOCABULARY_WORD} AND NOT EXISTS (SELECT 1 FROM {quote_name(vocabulary)} AS v WHERE v.word = w)"
    )


def _pg_sql(table: str, columns: Sequence[str], has_trgm: bool) -> list[str]:
    vocabulary = words_table(table)
    insert_fn = index_name(table, "words", "insert")
    update_fn = index_name(table, "words", "update")
    changed = " OR ".join(f"OLD.{quote_name(c)} IS DISTINCT FROM NEW.{quote_name(c)}" for c in columns)
    new_row = "(SELECT " + ", ".join(f"NEW.{quote_name(c)} AS {quote_name(c)}" for c in columns) + ")"
    statements = [
        _WORDS_FUNCTION_SQL,
        *(
            f"CREATE INDEX IF NOT EXISTS {quote_name(index_name(table, c, 'words'))} ON {quote_name(table)} "
            f"USING gin (({words_sql(quote_name(c))}))"
            for c in columns
        ),
        # COLLATE "C": byte order, so that a range is a prefix range whatever the locale
        f'CREATE TABLE IF NOT EXISTS {quote_name(vocabulary)} (word text COLLATE "C" NOT NULL)',
        f"CREATE INDEX IF NOT EXISTS {quote_name(index_name(vocabulary, 'word', 'btree'))} "
        f"ON {quote_name(vocabulary)} (word)",
        _pg_vocabulary_insert(vocabulary, quote_name(table), columns),
        f"CREATE OR REPLACE FUNCTION {quote_name(insert_fn)}() RETURNS trigger LANGUAGE plpgsql AS $body$ "
        f"BEGIN {_pg_vocabulary_insert(vocabulary, 'new_rows', columns)}; RETURN NULL; END $body$",
        f"CREATE OR REPLACE FUNCTION {quote_name(update_fn)}() RETURNS trigger LANGUAGE plpgsql AS $body$ "
        f"BEGIN {_pg_vocabulary_insert(vocabulary, new_row, columns)}; RETURN NULL; END $body$",
        f"DROP TRIGGER IF EXISTS {quote_name(vocabulary + '_ai')} ON {quote_name(table)}",
        # once per statement: a bulk insert of 10,000 rows splits them in one query
        f"CREATE TRIGGER {quote_name(vocabulary + '_ai')} AFTER INSERT ON {quote_name(table)} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {quote_name(insert_fn)}()",
        f"DROP TRIGGER IF EXISTS {quote_name(vocabulary + '_au')} ON {quote_name(table)}",
        # per row, and only when a field changed: an update of other fields costs nothing
        f"CREATE TRIGGER {quote_name(vocabulary + '_au')} AFTER UPDATE OF {', '.join(quote_name(c) for c in columns)} "
        f"ON {quote_name(table)} FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {quote_name(update_fn)}()",
    ]
    if has_trgm:
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {quote_name(index_name(vocabulary, 'word', 'trgm'))} "
            f"ON {quote_name(vocabulary)} USING gin (word gin_trgm_ops)"
        )
    return statements


def create_word_index(connection, table: str, pk: str, columns: Sequence[str]) -> None:
    """Create the word index of ``table`` over ``columns`` (and, on PostgreSQL, its vocabulary),
    filled from the rows that the table holds. Idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            statements = _sqlite_sql(table, pk, columns)
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            # the statistics of the new index (its most common words) plan the look-ups
            statements = _pg_sql(table, columns, has_trgm=cursor.fetchone() is not None) + [f"ANALYZE {quote_name(table)}"]
        else:
            statements = []
        for statement in statements:
            cursor.execute(statement)
    forget(connection)


def drop_word_index(connection, table: str, columns: Sequence[str]) -> None:
    """Drop what :func:`create_word_index` made."""
    words = words_table(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for suffix in ("_ai", "_ad", "_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote_name(words + suffix)}")
            cursor.execute(f"DROP TABLE IF EXISTS {quote_name(words + '_vocab')}")
            cursor.execute(f"DROP TABLE IF EXISTS {quote_name(words)}")
        elif connection.vendor == "postgresql":
            for suffix in ("_ai", "_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote_name(words + suffix)} ON {quote_name(table)}")
            for kind in ("insert", "update"):
                cursor.execute(f"DROP FUNCTION IF EXISTS {quote_name(index_name(table, 'words', kind))}()")
            cursor.execute(f"DROP TABLE IF EXISTS {quote_name(words)}")
            for column in columns:
                cursor.execute(f"DROP INDEX IF EXISTS {quote_name(index_name(table, column, 'words'))}")
    forget(connection)


def migration_operation(app_label: str, model_name: str, fields: Sequence[str]) -> migrations.RunPython:
    """A migration operation that creates (and, backwards, drops) a registry's word index.

    Args:
        app_label: The registry's app, e.g. ``"core"`` or ``"bio"``.
        model_name: The registry's model name, lowercase (``"ulabel"``).
        fields: The name-like fields: its name field and ``synonyms``.

    It changes no model state, so ``makemigrations --check`` stays clean.

    Example:
        >>> migration_operation("core", "feature", ["name", "synonyms"])
    """

    def columns(apps) -> tuple[str, str, list[str]]:
        # the migration's historical model, never the current one
        meta = apps.get_model(app_label, model_name)._meta
        return meta.db_table, meta.pk.column, [meta.get_field(f).column for f in fields]

    def forward(apps, schema_editor):
        table, pk, cols = columns(apps)
        create_word_index(schema_editor.connection, table, pk, cols)

    def backward(apps, schema_editor):
        table, _, cols = columns(apps)
        drop_word_index(schema_editor.connection, table, cols)

    from django.db import migrations  # here: importing it costs a process that migrates nothing 4 ms

    return migrations.RunPython(forward, backward, elidable=False)


# ---------------------------------------------------------------------------
# what a database has
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WordIndexInfo:
    """The word index of one table in one database.

    ``columns``: the columns it covers; ``vocabulary``: PostgreSQL's vocabulary table,
    ``"trgm"`` with its trigram index, ``"btree"`` without; SQLite's ``"fts5vocab"``, the list
    of the index's words; ``""`` none.
    """

    columns: frozenset[str] = field(default_factory=frozenset)
    vocabulary: str = ""

    def covers(self, column: str) -> bool:
        """Whether word lookups on ``column`` can use the index."""
        return column in self.columns


def forget(connection) -> None:
    """Drop the cached descriptions of a connection's indexes (after DDL)."""
    cache_of(connection).clear()


def word_index_info(alias: str, table: str) -> WordIndexInfo:
    """The word index of ``table`` in database ``alias`` (cached per connection).

    On SQLite, triggers that a table rebuild dropped are put back, and the index rebuilt, on
    the instance's own database; another database's index without its triggers may be stale
    and is not used.
    """
    connection = connections[alias]
    cache = cache_of(connection)
    key = ("words", table)
    info = cache.get(key)
    if info is None:
        if connection.vendor == "sqlite":
            info = _sqlite_info(connection, table, repair=alias == DEFAULT_DB_ALIAS)
        elif connection.vendor == "postgresql":
            info = _pg_info(connection, table)
        else:
            info = WordIndexInfo()
        cache[key] = info
    return info


def _sqlite_info(connection, table: str, repair: bool) -> WordIndexInfo:
    words = words_table(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE (type = 'table' AND name IN (%s, %s)) "
            "OR (type = 'trigger' AND tbl_name = %s AND name LIKE %s)",
            [words, words + "_vocab", table, words + "%"],
        )
        rows = cursor.fetchall()
        if ("table", words) not in rows:
            return WordIndexInfo()
        cursor.execute(f"PRAGMA table_info({quote_name(words)})")
        columns = [row[1] for row in cursor.fetchall()]
        missing = {words + s for s in ("_ai", "_ad", "_au")} - {name for kind, name in rows if kind == "trigger"}
        if missing:
            if not repair:
                return WordIndexInfo()
            cursor.execute("SELECT name FROM pragma_table_info(%s) WHERE pk > 0", [table])
            pk = cursor.fetchone()[0]
            for statement in _sqlite_trigger_sql(table, pk, columns):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {quote_name(words)}({quote_name(words)}) VALUES ('rebuild')")
            logger.info(f"rebuilt the word index of {table}")
    return WordIndexInfo(columns=frozenset(columns), vocabulary="fts5vocab" if ("table", words + "_vocab") in rows else "")


def _pg_info(connection, table: str) -> WordIndexInfo:
    vocabulary = words_table(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN (%s, %s)",
            [table, vocabulary],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 "
            "AND NOT a.attisdropped",
            [table],
        )
        columns = [row[0] for row in cursor.fetchall()]
    names = {name for t, name in rows if t == table}
    covered = frozenset(c for c in columns if index_name(table, c, "words") in names)
    vocabulary_indexes = {name for t, name in rows if t == vocabulary}
    kind = ""
    if index_name(vocabulary, "word", "trgm") in vocabulary_indexes:
        kind = "trgm"
    elif index_name(vocabulary, "word", "btree") in vocabulary_indexes:
        kind = "btree"
    return WordIndexInfo(columns=covered if kind else frozenset(), vocabulary=kind)


# ---------------------------------------------------------------------------
# the vocabulary
# ---------------------------------------------------------------------------


# how a word occurs in the index: as a word of its own, or only as the start of longer words
WORD = "word"
START = "start"
COMPLETIONS = 8  # the longer words of a start that a look-up names, at most
_SIMILAR_FROM = 8  # PostgreSQL: words this long get similar words (pg_trgm), not those one edit away


class Found(NamedTuple):
    """How a word occurs in the index: ``kind`` :data:`WORD` or :data:`START`; for a start, on
    PostgreSQL, ``longer``: the words it starts, if at most :data:`COMPLETIONS` (an index reads
    whole words faster than all words with a start)."""

    kind: str
    longer: tuple[str, ...] = ()


def indexed_words(
    alias: str,
    table: str,
    info: WordIndexInfo,
    columns: Sequence[str],
    words: Sequence[str],
    starts: bool = True,
    similar: dict[str, set[str]] | None = None,
) -> dict[str, Found]:
    """How each of ``words`` occurs in ``columns`` (:class:`Found`); words that do not occur
    are left out.

    With ``similar`` (a dict), on PostgreSQL with a trigram index on the vocabulary, the same
    look-up also puts into it, for each word of 8 letters or more that the vocabulary holds
    neither as a word nor as a start, the vocabulary's words similar to it: what
    :func:`vocabulary_words` would look up for it (a long word with a typo), one statement less.

    SQLite: FTS5 queries that stop at the first row; numbers and words under 3 characters only
    as whole words, and without ``starts`` every word. PostgreSQL: the vocabulary (a btree
    look-up and a prefix range per word), which holds only words of 3 to 64 letters without
    digits: any other word is reported as a :data:`WORD`, unchecked.

    Example:
        >>> indexed_words("default", "core_ulabel", info, ["name"], ["study", "stud", "stdy"])
        {'study': Found(kind='word', longer=()), 'stud': Found(kind='start', longer=('study',))}
    """
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    connection = connections[alias]
    found: dict[str, Found] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # a whole word costs a seek; the start of words merges the lists of all of them (the
            # 170,000 rows of "cell" for "cel"), so only words that are none are tried as a start,
            # and never a number (its starts are the many longer numbers)
            whole = _sqlite_probe(cursor, table, columns, [f"{fts_phrase(w)}" for w in words])
            found = {w: Found(WORD) for w, hit in zip(words, whole) if hit}
            rest = [w for w in words if w not in found and len(w) >= 3 and not any(c.isdigit() for c in w)]
            start = _sqlite_probe(cursor, table, columns, [f"{fts_phrase(w)}*" for w in rest] if starts else [])
            found.update((w, Found(START)) for w, hit in zip(rest, start) if hit)
            return found
        checked = [w for w in words if 3 <= len(w) <= 64 and not any(c.isdigit() for c in w)]
        found = {w: Found(WORD) for w in words if w not in checked}
        if checked:
            vocabulary = quote_name(words_table(table))
            near, params = "NULL", [_LAST]
            if similar is not None and info.vocabulary == "trgm":
                # only for a long word that is neither a word nor a start (a prefix range: a seek)
                near = (
                    f"CASE WHEN length(w) >= {_SIMILAR_FROM} AND NOT EXISTS (SELECT 1 FROM {vocabulary} AS v "
                    f"WHERE v.word >= w AND v.word < w || %s) "
                    f"THEN ARRAY(SELECT DISTINCT v.word FROM {vocabulary} AS v WHERE v.word %% w) END"
                )
                params.append(_LAST)
            cursor.execute(
                f"SELECT w, EXISTS (SELECT 1 FROM {vocabulary} AS v WHERE v.word = w), "
                f"ARRAY(SELECT DISTINCT v.word FROM {vocabulary} AS v WHERE v.word > w AND v.word < w || %s "
                f"ORDER BY v.word LIMIT {COMPLETIONS + 1}), {near} FROM unnest(%s::text[]) AS w",
                [*params, checked],
            )
            for w, whole, longer, near_words in cursor.fetchall():
                if whole:
                    found[w] = Found(WORD)
                elif longer:
                    found[w] = Found(START, tuple(longer) if len(longer) <= COMPLETIONS else ())
                elif near_words is not None:
                    similar[w] = set(near_words)
    return found


def _sqlite_probe(cursor, table: str, columns: Sequence[str], queries: Sequence[str]) -> list[bool]:
    """Whether each FTS5 query finds a row of the word index, in one statement."""
    if not queries:
        return []
    name = quote_name(words_table(table))
    spec = "{" + " ".join(columns) + "}" if len(columns) > 1 else columns[0]
    probes = ", ".join(f"(SELECT 1 FROM {name} WHERE {name} MATCH %s LIMIT 1)" for _ in queries)
    cursor.execute(f"SELECT {probes}", [f"{spec} : {q}" for q in queries])
    return [bool(hit) for hit in cursor.fetchone()]


def vocabulary_words(
    alias: str, table: str, info: WordIndexInfo, words: Sequence[str], similar: dict[str, set[str]] | None = None
) -> set[str]:
    """Words of the vocabulary close to ``words``: one edit away (:func:`edits`), and, on
    PostgreSQL, for words of 8 letters or more, similar ones (``pg_trgm``'s ``%``, which two
    typos in a long word leave similar enough). The caller picks the real typo matches.
    ``similar``: the similar words of long words that :func:`indexed_words` found already.

    SQLite reads the words one edit away from the index's own list of words (``fts5vocab``),
    about 10 µs each: a few milliseconds for a word.
    """
    if not words or not info.vocabulary:
        return set()
    connection = connections[alias]
    if info.vocabulary == "fts5vocab":
        near = sorted({e for w in words for e in edits(w)})
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term FROM {quote_name(words_table(table) + '_vocab')} WHERE term IN ({', '.join(['%s'] * len(near))})",
                near,
            )
            return {row[0] for row in cursor.fetchall()}
    vocabulary = quote_name(words_table(table))
    long_words = [w for w in words if len(w) >= _SIMILAR_FROM] if info.vocabulary == "trgm" else []
    near = sorted({e for w in words if w not in long_words for e in edits(w)})
    similar = similar or {}
    found = {v for w in long_words if w in similar for v in similar[w]}
    parts, params = [], []
    if near:
        parts.append(f"SELECT word FROM {vocabulary} WHERE word = ANY(%s)")
        params.append(near)
    for w in long_words:
        if w not in similar:
            parts.append(f"SELECT word FROM {vocabulary} WHERE word %% %s")
            params.append(w)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ".join(parts), params)
            found.update(row[0] for row in cursor.fetchall())
    return found


_LETTERS = string.ascii_lowercase


def edits(word: str, letters: Iterable[str] = ()) -> set[str]:
    """The strings one edit away from ``word``: a letter left out, two neighbours swapped, a
    letter replaced or added (ASCII letters, and ``letters``, by default those of the word).

    Example:
        >>> "study" in edits("stdy"), "dmso" in edits("dsmo"), "stdy" in edits("stdy")
        (True, True, False)
    """
    alphabet = sorted(set(_LETTERS) | set(letters) | set(word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    found |= {a + c + b for a, b in splits for c in alphabet}
    found.discard(word)
    return found
