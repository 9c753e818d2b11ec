"""Conditions that find rows through the word index (``word_index.py``): rows that hold words,
or words one after the other.

SQLite reads an FTS5 index lazily, in the order of the rows' ids, and stops at a ``LIMIT``: one
FTS5 query serves each condition.

PostgreSQL reads a GIN index differently: it collects every row id of each word it looks up
before the first row is read (about 0.1 µs per id: 5 ms for a word in 5% of a million rows),
whatever the ``LIMIT``. So each look-up is planned from the index's statistics (the most common
words and their share of the rows, which ``ANALYZE`` keeps in ``pg_stats``):

- the rare words go to the index, and the common ones (:data:`COMMON`) are checked with a
  regular expression on the rows it finds, unless those could be many;
- if every word is common, the oldest rows are read in the order of their ids and checked with
  the regular expression, as many as it takes to find ``cap`` of them if the words' shares are
  right (at most :data:`SCAN_ROWS`); the index after all if that brings too few.

A caller tries the conditions of :func:`words_conditions` and :func:`phrase_conditions` in turn
until one brings as many rows as it asked for. Without statistics (a table never analysed, or
a small one) every word goes to the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from .text_index import cache_of, fts_phrase, index_name, quote_name, words_table
from .word_index import SPLIT_PG, WordIndexInfo, words_sql

__all__ = ["Term", "words_conditions", "phrase_conditions", "COMMON", "SCAN_ROWS", "PHRASE_SCAN"]

COMMON = 0.04  # a word in this share of the rows or more: cheaper to check on rows than to look up
FILL = 0.01  # all words but one: words this common or more are looked for among the oldest rows only
FILL_ROWS = 1_000  # the oldest rows read for them
SCAN_ROWS = 5_000  # PostgreSQL: the oldest rows that a look-up of common words reads, at most
PHRASE_SCAN = 2_000  # PostgreSQL: the rows holding a phrase's words that its order is checked in, at most
# a rare word's rows checked with a regular expression cost about 12 times what the index pays
# per row id: a common word goes to the index too if the rare words' rows are more than that
_CHECK_COST = 12


@dataclass(frozen=True)
class Term:
    """A word to look up: as a whole word, or (``prefix``) as the start of a word."""

    word: str
    prefix: bool = False


def words_conditions(
    alias: str,
    model,
    info: WordIndexInfo,
    names: Sequence[str],
    groups: Sequence[Sequence[Term]],
    cap: int | None = None,
    at_least: int | None = None,
) -> list[Q]:
    """Conditions, to try in turn, for records whose field in ``names`` holds, for each group of
    ``groups``, one of its terms.

    ``[[Term("livr", prefix=True), Term("liver")], [Term("kinase")]]``: a word that starts with
    "livr" or the word "liver", and the word "kinase". With ``at_least`` (one less than the
    groups), rows that hold all groups but one (one condition). At most ``cap`` ids each, the
    oldest rows first. Empty if a field has no word index or no group is given.
    """
    groups = [tuple(g) for g in groups if g]
    columns = _columns(model, info, names)
    if not groups or not columns:
        return []
    at_least = len(groups) if at_least is None else at_least
    if connections[alias].vendor == "sqlite":
        return [_fts(model, columns, _fts_boolean(groups, at_least), cap)]
    if at_least >= len(groups):
        return [_pg_sql(model, sql, params) for sql, params in _pg_plans(alias, model, columns, groups, None, cap)]
    return [_pg_sql(model, *_pg_all_but_one(alias, model, columns, groups, cap))]


def phrase_conditions(
    alias: str,
    model,
    info: WordIndexInfo,
    names: Sequence[str],
    words: Sequence[str],
    open_end: bool,
    whole: Sequence[str] = (),
    cap: int | None = None,
) -> list[Q]:
    """Conditions, to try in turn, for records whose field in ``names`` holds ``words`` one after
    the other, whatever separates them; with ``open_end`` the last one may be the start of a
    longer word ("killer cel" finds "natural killer cell"). The first word is a whole word.

    SQLite: an FTS5 phrase. PostgreSQL: the words in ``whole`` (those that are words of their
    own; by default all) through the index, as :func:`words_conditions` does; the order, and
    the start of the last word, with a regular expression.
    """
    columns = _columns(model, info, names)
    if not words or not columns:
        return []
    if connections[alias].vendor == "sqlite":
        return [_fts(model, columns, f"{fts_phrase(' '.join(words))}{'*' if open_end else ''}", cap)]
    whole = list(whole) or list(words[:-1] if open_end else words)
    groups = [(Term(w),) for w in dict.fromkeys(whole)]
    ordered = "(^|{s})".format(s=SPLIT_PG) + f"{SPLIT_PG}+".join(words) + ("" if open_end else f"({SPLIT_PG}|$)")
    if not groups:
        groups = [(Term(words[-1], prefix=True),)]
    return [_pg_sql(model, sql, params) for sql, params in _pg_plans(alias, model, columns, groups, ordered, cap)]


def _columns(model, info: WordIndexInfo, names: Sequence[str]) -> list[str]:
    meta = model._meta
    columns = [meta.get_field(n).column for n in names]
    return columns if columns and all(info.covers(c) for c in columns) else []


# ---------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    return fts_phrase(term.word) + ("*" if term.prefix else "")


def _fts_boolean(groups: Sequence[Sequence[Term]], at_least: int) -> str:
    parts = ["(" + " OR ".join(_fts_term(t) for t in group) + ")" for group in groups]
    if at_least >= len(parts):
        return " AND ".join(parts)
    # all but one: the disjunction of the conjunctions that leave one group out
    combos = [[p for j, p in enumerate(parts) if j != i] for i in range(len(parts))]
    return " OR ".join("(" + " AND ".join(c) + ")" for c in combos)


def _fts(model, columns: list[str], query: str, cap: int | None) -> Q:
    table = quote_name(words_table(model._meta.db_table))
    spec = "{" + " ".join(columns) + "}" if len(columns) > 1 else columns[0]
    limit = f" LIMIT {int(cap)}" if cap else ""
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s{limit}", [f"{spec} : ({query})"]))


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


def _pg_sql(model, sql: str, params: list) -> Q:
    return Q(pk__in=RawSQL(sql, params))


def _ts_term(term: Term) -> str:
    # a tsquery literal: the lexeme as it is, no text-search parsing (our words hold no quote)
    lexeme = "'" + term.word.replace("\\", "\\\\").replace("'", "''") + "'"
    return lexeme + (":*" if term.prefix else "")


def _regex(group: Sequence[Term]) -> str:
    """A regular expression for a word of the group in the lower-cased text."""
    alternatives = "|".join(t.word if t.prefix else f"{t.word}({SPLIT_PG}|$)" for t in group)
    return f"(^|{SPLIT_PG})({alternatives})"


def _match(text_sql: str, group: Sequence[Term]) -> tuple[str, list]:
    """SQL for "the lower-cased text ``text_sql`` holds a word of the group": a ``LIKE`` first,
    which rejects most rows at a thirtieth of the cost of the regular expression."""
    likes = " OR ".join(f"{text_sql} LIKE %s" for _ in group)
    return f"(({likes}) AND {text_sql} ~ %s)", [f"%{t.word}%" for t in group] + [_regex(group)]


def _frequencies(alias: str, table: str, columns: Sequence[str]) -> tuple[float, dict[str, float]]:
    """The table's estimated rows, and the share of the rows that hold each of the most common
    words of ``columns`` (the largest over the columns), from ``pg_class`` and ``pg_stats``;
    cached per connection."""
    connection = connections[alias]
    cache = cache_of(connection)
    key = ("frequencies", table, tuple(columns))
    found = cache.get(key)
    if found is None:
        shares: dict[str, float] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = ANY(%s) AND most_common_elems IS NOT NULL",
                [[index_name(table, c, "words") for c in columns]],
            )
            for words, values in cursor.fetchall():
                for word, share in zip(words, values):  # the values end with 3 summary numbers
                    shares[word] = max(shares.get(word, 0.0), share)
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [quote_name(table)])
            row = cursor.fetchone()
        found = cache[key] = (max(float(row[0]) if row else 0.0, 0.0), shares)
    return found


def _share(group: Sequence[Term], frequencies: dict[str, float]) -> float:
    """The estimated share of the rows that hold a word of the group (0: rare, or unknown)."""
    total = 0.0
    for term in group:
        if term.prefix:
            total += sum(share for word, share in frequencies.items() if word.startswith(term.word))
        else:
            total += frequencies.get(term.word, 0.0)
    return min(total, 1.0)


def _pg_plans(
    alias: str, model, columns: list[str], groups: list[tuple[Term, ...]], ordered: str | None, cap: int | None
) -> list[tuple[str, list]]:
    """``(sql, params)`` of the ways to select the ids, cheapest first (see the module's text)."""
    meta = model._meta
    table = quote_name(meta.db_table)
    pk = quote_name(meta.pk.column)
    cols = [quote_name(c) for c in columns]
    rows, shares = _frequencies(alias, meta.db_table, columns)
    share = {g: _share(g, shares) for g in groups}
    limit = f" LIMIT {int(cap)}" if cap else ""

    def check(checked: list[tuple[Term, ...]], texts: list[str]) -> tuple[str, list]:
        # per field (its lower-cased text in ``texts``): every checked group, the order of a phrase
        per_column, params = [], []
        for text in texts:
            parts = [_match(text, g) for g in checked]
            conditions = [sql for sql, _ in parts] + ([f"{text} ~ %s"] if ordered else [])
            if not conditions:
                return "", []
            per_column.append("(" + " AND ".join(conditions) + ")")
            params += [p for _, ps in parts for p in ps] + ([ordered] if ordered else [])
        return " OR ".join(per_column), params

    plans = []
    rare = [g for g in groups if share[g] < COMMON]
    # reading the oldest rows until ``cap`` of them hold the words, against collecting every row
    # id of every word from the index (its cost per id, a twelfth of a row's)
    scan = int(2 * cap / max(min(share.values()), 1e-9)) + 1 if cap else 0
    if cap and scan <= SCAN_ROWS and scan * _CHECK_COST < rows * sum(share.values()):
        where, params = check(groups, [f"t{i}" for i in range(len(cols))])
        plans.append((
            f"SELECT {pk} FROM (SELECT {pk}, {_lowered(cols)} FROM {table} ORDER BY {pk} LIMIT {scan}) AS oldest "
            f"WHERE {where}{limit}",
            params,
        ))
    # the index: the rare groups, and a common one too if the rare ones' rows could be many
    rarest = min((share[g] for g in rare), default=0.0)
    indexed = [g for g in groups if g in rare or share[g] < _CHECK_COST * rarest] if rare else groups
    checked = [g for g in groups if g not in indexed]
    tsquery = " & ".join("(" + " | ".join(_ts_term(t) for t in g) + ")" for g in indexed)
    found = " OR ".join(f"{words_sql(c)} @@ %s::tsquery" for c in cols)
    where, params = check(checked, [f"lower({c}::text)" for c in cols])
    if not where:
        plans.append((f"SELECT {pk} FROM {table} WHERE {found}{limit}", [tsquery] * len(cols)))
    elif cap and ordered:
        # a phrase: the words in another order ("marrow bone") are in every row the index finds,
        # so check a bounded number of them
        plans.append((
            f"SELECT {pk} FROM (SELECT {pk}, {', '.join(cols)} FROM {table} WHERE {found} "
            f"LIMIT {max(PHRASE_SCAN, int(cap))}) AS found WHERE {where}{limit}",
            [tsquery] * len(cols) + params,
        ))
    else:
        plans.append((f"SELECT {pk} FROM {table} WHERE ({found}) AND ({where}){limit}", [tsquery] * len(cols) + params))
    return plans


def _pg_all_but_one(alias: str, model, columns: list[str], groups: list[tuple[Term, ...]], cap: int | None) -> tuple[str, list]:
    """Rows that hold all groups but one, in one statement: for each way to leave one out, its
    first plan; the ways whose words are all common (:data:`FILL`) together, among the oldest
    :data:`FILL_ROWS` rows only. They fill a short list of results: the words, all of them, were
    looked up before."""
    meta = model._meta
    _, shares = _frequencies(alias, meta.db_table, columns)
    each = None if cap is None else max(cap // len(groups), 20)
    ways = [[g for j, g in enumerate(groups) if j != i] for i in range(len(groups))]
    common = [w for w in ways if cap and all(_share(g, shares) >= FILL for g in w)]
    parts = [_pg_plans(alias, model, columns, w, None, each)[0] for w in ways if w not in common]
    if common:
        # each group's expression once per row and field: a row qualifies with all groups but one
        pk = quote_name(meta.pk.column)
        cols = [quote_name(c) for c in columns]
        needed = [g for g in groups if any(g in way for way in common)]
        params: list = []
        counts = []
        for i in range(len(cols)):
            matches = [_match(f"t{i}", g) for g in needed]
            counts.append(" + ".join(f"{sql}::int" for sql, _ in matches))
            params += [p for _, ps in matches for p in ps]
        parts.append((
            f"SELECT {pk} FROM (SELECT {pk}, {_lowered(cols)} FROM {quote_name(meta.db_table)} ORDER BY {pk} "
            f"LIMIT {FILL_ROWS}) AS oldest WHERE {' OR '.join(f'{n} >= {len(groups) - 1}' for n in counts)} "
            f"LIMIT {int(cap)}",
            params,
        ))
    sql = " UNION ALL ".join(f"SELECT * FROM ({s}) AS part{i}" for i, (s, _) in enumerate(parts))
    return sql, [p for _, params in parts for p in params]


def _lowered(cols: list[str]) -> str:
    """``lower(<field>) AS t0, ...``: each field lower-cased once per row."""
    return ", ".join(f"lower({c}::text) AS t{i}" for i, c in enumerate(cols))
