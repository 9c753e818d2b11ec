"""The candidate rows of a search: a few bounded queries, each through an index.

``search.search_queryset`` ranks what :func:`gather` finds (``ranking.py``). The queries, in
order, each bounded, each reading an index: the text index (``text_index.py``: trigrams, and
``lower()`` btrees) and the word index of the name-like fields (``word_index.py``,
``word_lookup.py``):

1. exact matches of unique identifier-like fields (``uid``);
2. prefix matches of the name, through its ``lower()`` index;
3. rows whose text contains the string, and rows with the string among their synonyms; in a
   field with a word index, several words are looked up as a phrase (the words one after the
   other), and, on PostgreSQL, one word as the start of a word, before the trigrams;
4. if these leave fewer than ``limit`` good matches (a typo, words in another order, a word
   too many), word by word through the word index: each word that it does not hold corrected
   (on PostgreSQL against its vocabulary, on SQLite from the words of rows that hold a piece of
   every query word), then rows that hold every word, rows that start with the corrected string
   or its first word, and, if still too few, rows that hold all words but one. A registry
   without a word index (one defined in a notebook, an instance not yet migrated) does the
   same through trigrams: rows that hold a piece of every word, then all words but one, then
   the words corrected to the closest words of those rows;
5. if all that finds nothing, the latest rows are scanned with a fuzzy matcher, a bounded
   number of them.

Look-ups whose number of rows decides nothing (the exact and prefix matches, the contained
string, the prefixes of the corrected string) go in one statement with the next look-up
(``Candidates.queue``), and on PostgreSQL the first look-ups of step 4 for one word that the
vocabulary lacks go with those of step 3, their rows held until step 3's are known
(``Candidates.hold``): a typo search of ULabel on PostgreSQL runs 2 statements, the
vocabulary's look-up and the candidates', before the one that fetches the records.

When more rows match than a query takes, the indexes hand over the oldest first: FTS5 in the
order of the ids, PostgreSQL's bitmap scans in the order the table holds the rows, and
``word_lookup``'s look-ups of common words read the oldest rows by id.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import BooleanField, F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact

from . import text_index, word_index
from .word_lookup import Term, phrase_conditions, words_conditions
from .ranking import (
    FUZZY_CUTOFF,
    INNER_WORD,
    SearchQuery,
    fuzzy_similarity,
    rapidfuzz_modules,
    score_row,
    typo_edits,
    whole_ratio,
    word_match,
    words_of,
)

__all__ = ["Candidates", "gather", "plain_queryset", "SCAN_ROWS", "MIN_CAP"]

SCAN_ROWS = 20_000  # the bounded scan: this many of the latest rows, at most
MIN_CAP = 200  # candidates per index query, at least

def _narrowed(qs) -> bool:
    """Whether ``qs`` holds other rows than the registry's default queryset: filtered beyond it
    (a related manager, a filter), or in another branch (``_branch_code=-1``, the trash, or
    ``None``, all of them: ``Registry.filter`` adds ``_branch_code = 1`` unless told)."""
    query = qs.query
    if len(query.alias_map) > 1:
        return True
    children = query.where.children
    if not hasattr(qs.model, "_branch_code"):
        return bool(children)
    if len(children) != 1 or query.where.negated:
        return True
    child = children[0]
    target = getattr(getattr(child, "lhs", None), "target", None)
    default = isinstance(child, Exact) and getattr(target, "name", None) == "_branch_code" and child.rhs == 1
    return not default


class Candidates:
    """Rows ``(pk, *values)`` gathered by the candidate queries, each pk once, each scored once."""

    def __init__(self, query: SearchQuery, value_fields: list[str], synonyms: str | None, fuzzy_fields: list[str]):
        self.query = query
        self.value_fields = value_fields
        self.synonyms = synonyms if synonyms in value_fields else None
        self.synonyms_column = value_fields.index(synonyms) if synonyms in value_fields else None
        self.fuzzy_fields = fuzzy_fields
        self.no_fuzzy = frozenset(i for i, n in enumerate(value_fields) if n not in fuzzy_fields)
        self.rows: dict[Any, tuple] = {}
        self.scores: dict[Any, tuple[float, int, int]] = {}
        self._template: _Template | None = None
        self._pending: list[tuple[Q, int | None]] = []  # look-ups that go with the next one
        self._pending_qs = None
        # look-ups run ahead of the question whether their rows are wanted (:meth:`hold`): their
        # positions among the pending ones, then their rows and counts, not yet scored
        self._held_at: set[int] = set()
        self._held: list[tuple[list[tuple], int]] = []

    def add(self, qs, condition: Q, cap: int | None) -> int:
        """Run ``qs`` filtered by ``condition`` for the value fields (at most ``cap`` rows), with
        the look-ups queued before it; return how many rows ``condition`` brought."""
        return self.add_all(qs, [(condition, cap)])[-1]

    def queue(self, qs, condition: Q, cap: int | None) -> None:
        """Run this look-up with the next one, in the same statement: for a look-up whose
        rows nothing asks for before then (:meth:`flush`, :meth:`good` and :meth:`top` run it)."""
        if self._pending and self._pending_qs is not qs:
            self.flush()
        self._pending.append((condition, cap))
        self._pending_qs = qs

    def hold(self, qs, condition: Q, cap: int | None) -> None:
        """Run this look-up with the next one, in the same statement, but keep its rows apart:
        they count (are scored) only after :meth:`release`; :meth:`discard` drops them. For a
        look-up that may be needed, asked for before it is known whether it is: one round trip
        less if it is."""
        if self._pending and self._pending_qs is not qs:
            self.flush()
        self._held_at.add(len(self._pending))
        self.queue(qs, condition, cap)

    def release(self) -> list[int]:
        """Score the rows of the held look-ups, in the order they were held, as if they had
        just run; return how many rows each brought."""
        self.flush()
        held, self._held = self._held, []
        for rows, _ in held:
            self._score(rows)
        return [count for _, count in held]

    def discard(self) -> None:
        """Drop the rows of the held look-ups."""
        self.flush()
        self._held = []

    def flush(self) -> None:
        """Run the queued look-ups."""
        if self._pending:
            self.add_all(self._pending_qs, [])

    def add_all(self, qs, looks: list[tuple[Q, int | None]]) -> list[int]:
        """Run ``qs`` filtered by each condition of the queued look-ups and ``looks`` (at most
        its ``cap`` rows), add the rows; return how many rows each of ``looks`` brought.

        Conditions of the shapes that the indexes give (``Q(pk__in=RawSQL(...))``,
        ``text_index.ILike``, and ``Q``s of them) go into SQL that Django compiled once for the
        search (:class:`_Template`), all of them in one statement: compiling each query anew
        cost about 1 ms, as much as the index look-up, and each statement a round trip."""
        if self._pending and self._pending_qs is not qs:
            self.flush()
        queued, self._pending = self._pending, []
        held_at, self._held_at = self._held_at, set()
        looks = queued + looks
        if not looks:
            return []
        if self._template is None or self._template.qs is not qs:
            self._template = _template(qs, ["pk", *self.value_fields])
        template = self._template
        wheres = [template.where(condition) for condition, _ in looks]
        spliced = [i for i, where in enumerate(wheres) if where is not None]
        batches = []
        if spliced:
            batches.append((spliced, template.rows([(*wheres[i], looks[i][1]) for i in spliced])))
        for i, (condition, cap) in enumerate(looks):
            if wheres[i] is None:  # another shape: the ORM, a statement of its own
                rows = qs.filter(condition).values_list("pk", *self.value_fields)
                batches.append(([i], [(*row, 0) for row in (rows[:cap] if cap is not None else rows)]))
        counts = [0] * len(looks)
        kept: dict[int, list[tuple]] = {i: [] for i in held_at}
        for positions, rows in batches:
            for row in rows:
                at = positions[row[-1]]
                counts[at] += 1
                if at in kept:
                    kept[at].append(row)
                else:
                    self._score((row,))
        self._held.extend((kept[i], counts[i]) for i in sorted(held_at))
        return counts[len(queued):]

    def _score(self, rows) -> None:
        # each pk once: its values and score
        for row in rows:
            pk = row[0]
            if pk not in self.rows:
                values = row[1:-1]
                self.rows[pk] = values
                self.scores[pk] = score_row(self.query, values, self.synonyms_column, self.no_fuzzy)

    def good(self) -> int:
        """How many candidates match better than fuzzily (score >= 70)."""
        self.flush()
        return sum(1 for score in self.scores.values() if score[0] >= 70.0)

    def top(self, limit: int | None) -> list[tuple[Any, float]]:
        """The best ``limit`` ``(pk, score)`` pairs: by score, then an earlier column, a shorter
        value, the value in alphabetical order, the older row; never by which query found a
        row first, which depends on where the database keeps it."""
        self.flush()
        ranked = sorted(
            (-score, column, length, str(self.rows[pk][column]).casefold(), pk)
            for pk, (score, column, length) in self.scores.items()
            if score > 0
        )
        if limit is not None:
            ranked = ranked[:limit]
        return [(pk, -neg) for neg, _, _, _, pk in ranked]


_MARK = "__lamindb_candidate_condition__"
_PLACEHOLDER = re.compile(r"%%|%s")
_PLAIN_TYPES = frozenset({"CharField", "TextField", "AutoField", "BigAutoField", "IntegerField", "BigIntegerField"})


# the templates of registries' default querysets, by (registry, database alias, vendor, fields):
# compiling one took about 0.8 ms, a tenth of a search of 10,000 labels on PostgreSQL
_TEMPLATES: dict[tuple, _Template] = {}


def plain_queryset(qs) -> bool:
    """Whether ``qs`` is a registry's default queryset: no filter, ordering, slice, annotation,
    related rows or deferred fields of the user's (the SQL compiled for one serves them all)."""
    query = qs.query
    return not (
        _narrowed(qs) or query.order_by or query.distinct or query.low_mark or query.high_mark is not None
        or query.annotations or query.extra or query.select_related or query.combinator
        or query.select_for_update or query.deferred_loading != (frozenset(), True) or qs._known_related_objects
    )


def _template(qs, fields: list[str]) -> _Template:
    """The :class:`_Template` of ``qs`` for ``fields``; kept for a registry's default queryset
    (:func:`plain_queryset`), made anew for any other."""
    if not plain_queryset(qs):
        return _Template(qs, fields)
    key = (qs.model, qs.db, connections[qs.db].vendor, tuple(fields))
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _Template(qs, fields)
    return template


class _Template:
    """``qs.values_list(*fields)`` with a condition of its own, compiled to SQL once; each
    look-up runs it with its condition's SQL (:meth:`where`) in that place.

    Only for fields whose values come from the database as they are (text, integers): no
    converter of Django's would touch them. Other fields: ``plain`` is False and the caller
    goes through the ORM.
    """

    def __init__(self, qs, fields: list[str]):
        self.qs = qs
        meta = qs.model._meta
        self.meta = meta
        # PostgreSQL: the ids as an array, where every look-up is bounded (a narrowed queryset's
        # are not: a semi-join can start from its few rows rather than collect every id)
        self.ids_as_array = connections[qs.db].vendor == "postgresql" and not _narrowed(qs)
        self.plain = all(meta.get_field(f if f != "pk" else meta.pk.name).get_internal_type() in _PLAIN_TYPES for f in fields)
        query = qs.filter(RawSQL(_MARK, [], output_field=BooleanField())).values_list(*fields).query
        sql, params = query.get_compiler(using=qs.db).as_sql()
        head, found, tail = sql.partition(_MARK)
        # the registry's table, as the statement names it: the conditions name its columns
        alias = next(iter(query.alias_map), None)
        if not found or _MARK in tail or alias is None or query.alias_map[alias].table_name != meta.db_table:
            self.plain = False
        self.table = text_index.quote_name(alias or meta.db_table)
        n_head = sum(1 for m in _PLACEHOLDER.findall(head) if m == "%s")
        self.head, self.tail = head, tail
        self.params_head, self.params_tail = list(params[:n_head]), list(params[n_head:])
        self.fields = fields

    def where(self, node) -> tuple[str, list] | None:
        """The SQL and parameters of the condition ``node`` for this statement, or None if it is
        of another shape than the indexes give: ``Q(pk__in=RawSQL(...))`` (the ids that a
        subquery selects), ``text_index.ILike(F(<field>), Value(<pattern>))``, and ``Q``s (and,
        or) of them."""
        if not self.plain:
            return None
        if isinstance(node, Q):
            if not node.children or node.negated or node.connector not in (Q.AND, Q.OR):
                return None
            parts, params = [], []
            for child in node.children:
                part = self.where(child)
                if part is None:
                    return None
                parts.append(f"({part[0]})")
                params += part[1]
            return f" {node.connector} ".join(parts), params
        if isinstance(node, tuple) and node[0] == "pk__in" and isinstance(node[1], RawSQL):
            pk = f"{self.table}.{text_index.quote_name(self.meta.pk.column)}"
            sql, params = node[1].sql, list(node[1].params)
            if self.ids_as_array:
                # for "IN (<subquery>)" PostgreSQL's planner chose to read the whole table and
                # hash the ids (0.6 ms at 10,000 rows), for an array the primary key
                return f"{pk} = ANY(ARRAY({sql}))", params
            return f"{pk} IN ({sql})", params
        if isinstance(node, text_index.ILike):
            source, pattern = node.get_source_expressions()
            if isinstance(source, F) and isinstance(pattern, Value) and "__" not in source.name:
                column = text_index.quote_name(self.meta.get_field(source.name).column)
                return f"{self.table}.{column} ILIKE %s", [pattern.value]
        return None

    def rows(self, looks: list[tuple[str, list, int | None]]) -> list[tuple]:
        """The rows of the look-ups ``(where, params, cap)``, in one statement, each row with the
        number of its look-up at its end."""
        statements, params = [], []
        for where, where_params, cap in looks:
            limit = f" LIMIT {int(cap)}" if cap is not None else ""
            statements.append(f"{self.head}{where}{self.tail}{limit}")
            params += [*self.params_head, *where_params, *self.params_tail]
        if len(statements) > 1:
            text = " UNION ALL ".join(f"SELECT part{i}.*, {i} FROM ({s}) AS part{i}" for i, s in enumerate(statements))
        else:
            text = statements[0]
        with connections[self.qs.db].cursor() as cursor:
            cursor.execute(text, params)
            rows = cursor.fetchall()
        return rows if len(statements) > 1 else [(*row, 0) for row in rows]


def gather(qs, query: SearchQuery, fields: list[str], named: bool, found: Candidates, limit: int | None) -> None:
    """Fill ``found`` with the candidate rows for ``query``."""
    model = qs.model
    meta = model._meta
    alias = qs.db
    info = text_index.index_info(alias, meta.db_table)
    cap = max(MIN_CAP, 10 * (limit or 100))
    narrowed = _narrowed(qs)
    text = query.text
    column = {n: meta.get_field(n).column for n in fields}
    lower_fields = [n for n in fields if column[n] in info.lower_columns]
    synonyms = found.synonyms
    words = _QueryWords(alias, model, word_index.word_index_info(alias, meta.db_table), query)

    inner_cap = None if narrowed else cap  # a narrowed queryset may hold none of the first ids

    # 1. exact matches of unique identifier-like fields (uid), unless a text index serves them;
    # (a non-unique indexed field, mostly NULL, looks to SQLite's statistics like one value
    # held by every row, and its "= x" became a scan of the table)
    exact = [n for n in fields if n not in lower_fields and not info.covers(column[n]) and meta.get_field(n).unique]
    if connections[alias].vendor == "postgresql":
        # its varchar(n) holds no longer value ("hepatocite" is no uid of 8 characters)
        exact = [n for n in exact if (meta.get_field(n).max_length or len(text)) >= len(text)]
    # (these look-ups, and those of the contained string, go in one statement with the next)
    if exact:
        found.queue(qs, text_index.equals_condition(model, exact, text, inner_cap), cap)

    # 2. prefix (and exact) matches of the name-like fields, through their lower() index
    for n in lower_fields:
        found.queue(qs, text_index.prefix_condition(alias, model, n, text, inner_cap), cap)

    # 3. contains: the synonyms on their own (an exact synonym must not be crowded out), the rest together;
    # several words in a field with a word index: the words one after the other, through that index
    searchable = [n for n in fields if info.covers(column[n])]
    if named or not info.kind:
        searchable = list(fields)  # the user named them, or nothing is indexed: scan
    groups = [[synonyms]] if synonyms in searchable else []
    rest = [n for n in searchable if n != synonyms and (n != "uid" or not info.kind)]
    if rest:
        groups.insert(0, rest)
    for group in groups:
        by_words = words.covered(group) if len(words.words) > 1 or info.kind == "trgm" else []
        others = [n for n in group if n not in by_words]
        # as many rows as one query brings: the other fields could add none, as when one
        # query read them all (and the trigram index reads every field's list for them)
        if len(words.words) > 1 and by_words and words.add_phrase(found, qs, by_words, cap, narrowed) >= cap:
            others = []
        elif words.one_word and by_words and words.add_start(found, qs, by_words, cap, narrowed) >= cap:
            # PostgreSQL, one word: the rows with a word that starts with it, through the word
            # index (or the oldest rows, if it is common); the trigram index, which finds it
            # inside words too, only if they are too few
            others = []
        elif len(words.words) == 1:
            others = list(group)
        if others:
            _add_contains(found, qs, alias, info, others, [text], cap, narrowed)

    # 4. a typo, the words in another order, a word too many: word by word, the words corrected
    typo_fields = [n for n in searchable if n in found.fuzzy_fields] or searchable
    by_words = bool(typo_fields) and words.covered(typo_fields) == typo_fields
    held = None
    looked_up = words.looked_up()
    on_postgres = connections[alias].vendor == "postgresql"
    if by_words and words.one_word and on_postgres and looked_up is not None and words.words[0] not in looked_up:
        # one word that the vocabulary lacks (as step 3 found), a typo: what this step looks up
        # first is known already, and goes in the statement of the look-ups above, its rows held
        # until it is clear that they are wanted (one round trip less)
        held = _word_looks(found, qs, alias, info, words, typo_fields, lower_fields, limit, narrowed)
        held.hold(found, qs)
    if found.good() < (limit or 1):
        if by_words:
            _gather_by_words(found, qs, alias, info, words, typo_fields, lower_fields, limit, narrowed, held)
        elif typo_fields:
            _gather_words(found, qs, alias, info, typo_fields, lower_fields, limit, narrowed)
        found.flush()
        if not any(score[0] > 0 for score in found.scores.values()):
            _scan(found, qs, query, limit)
    elif held is not None:
        found.discard()


class _QueryWords:
    """The query's words as the word index (``word_index.py``) sees them, looked up once."""

    def __init__(self, alias: str, model, info: word_index.WordIndexInfo, query: SearchQuery):
        self.alias = alias
        self.model = model
        self.info = info
        # the index folds case, whatever the search does
        self.words = list(dict.fromkeys(words_of(query.text.lower())))
        self.open_end = bool(query.text) and query.text[-1].isalnum()
        self.one_word = len(self.words) == 1 and query.text.lower() == self.words[0]
        self._kinds: dict[str, word_index.Found] | None = None
        self._starts = False
        # PostgreSQL: the vocabulary's words similar to a long word that it lacks (a typo), from
        # the same look-up (word_index.indexed_words)
        self.similar: dict[str, set[str]] = {}

    def looked_up(self) -> dict[str, word_index.Found] | None:
        """What :meth:`kinds` found, if it has been asked (None if not: no look-up is made)."""
        return self._kinds

    def covered(self, names: list[str]) -> list[str]:
        """The fields among ``names`` that have a word index."""
        meta = self.model._meta
        return [n for n in names if self.info.covers(meta.get_field(n).column)]

    def kinds(self, starts: bool = True) -> dict[str, word_index.Found]:
        """How each word occurs in the indexed fields (``word_index.Found``; left out if not at
        all). Without ``starts``, a word that is no word of its own may be left out although it
        starts one: on SQLite that look-up costs as much as the rows it finds."""
        if self._kinds is None or (starts and not self._starts):
            table = self.model._meta.db_table
            columns = sorted(self.info.columns)  # all of them: one look-up serves every stage
            known = self._kinds or {}
            words = [w for w in self.words if w not in known]
            known.update(word_index.indexed_words(
                self.alias, table, self.info, columns, words, starts=starts, similar=self.similar
            ))
            # PostgreSQL's vocabulary tells words and starts in one look-up
            self._kinds, self._starts = known, starts or connections[self.alias].vendor == "postgresql"
        return self._kinds

    def add_phrase(self, found: Candidates, qs, names: list[str], cap: int, narrowed: bool) -> int:
        """Add the rows that hold the words one after the other, the first a whole word, the
        last the start of one; return how many came (none if a word is missing from the index)."""
        kinds = self.kinds(starts=False)
        *first, last = self.words
        if any(w not in kinds or kinds[w].kind != word_index.WORD for w in first):
            return 0
        # the last word as the start of longer words only if it is no word of its own: the start
        # of a common word ("cell") reads the lists of all its longer words, and rows with the
        # word itself rank higher
        open_end = last not in kinds or kinds[last].kind == word_index.START
        if open_end and (
            not self.open_end or len(last) < 3 or any(c.isdigit() for c in last) or (last not in kinds and self._starts)
        ):
            return 0
        whole = [w for w in self.words if w in kinds and kinds[w].kind == word_index.WORD]
        conditions = phrase_conditions(
            self.alias, self.model, self.info, names, self.words, open_end, whole, None if narrowed else cap
        )
        return _add_first(found, qs, conditions, cap)

    def add_start(self, found: Candidates, qs, names: list[str], cap: int, narrowed: bool) -> int:
        """Add the rows with a word that starts with the query's one word; return how many came."""
        kinds = self.kinds(starts=False)
        word = self.words[0]
        if word not in kinds and self._starts:
            return 0  # no word starts with it
        known = kinds.get(word)
        # the longer words that it starts, if few, as words: the index reads them faster
        terms = [Term(w) for w in known.longer] if known and known.longer else [Term(word, prefix=True)]
        conditions = words_conditions(self.alias, self.model, self.info, names, [terms], None if narrowed else cap)
        return _add_first(found, qs, conditions, cap)

    def terms(self, word: str) -> list[Term]:
        """How the index looks a word up: the word itself, or the longer words it starts, or
        (too many of them, or on SQLite) every word with that start."""
        kind = self._kinds[word]
        if kind.kind == word_index.WORD:
            return [Term(word)]
        return [Term(w) for w in kind.longer] or [Term(word, prefix=True)]


def _add_contains(found: Candidates, qs, alias, info, names, texts, cap, narrowed) -> None:
    # how many rows it brings decides nothing: it goes with the next look-up
    condition = text_index.contains_condition(alias, qs.model, info, names, texts, cap=None if narrowed else cap)
    if condition:
        found.queue(qs, condition, cap)


def _add_all_of(found: Candidates, qs, alias, info, names, groups, cap, narrowed) -> int:
    condition = text_index.all_of_condition(alias, qs.model, info, names, groups, cap=None if narrowed else cap)
    return found.add(qs, condition, cap) if condition else 0


def _gather_words(found: Candidates, qs, alias, info, names: list[str], lower_fields: list[str], limit, narrowed) -> None:
    """Candidates for a query whose string does not occur as a whole, each through the index.

    1. rows that hold every word of 3+ characters, or a piece of it that survives a typo;
    2. if that leaves too few, rows that hold all words but one, as typed (a word too
       many, or a typo that no piece survives: "stdy");
    3. the words corrected to the closest words of those rows ("stdy" to "study"), and
       rows that start with the corrected string or its first word (the shortest first),
       contain it, or hold each corrected word.
    """
    query = found.query
    want = limit or 20
    cap = max(4 * want, 80)
    words = [w for w in dict.fromkeys(query.words) if len(w) >= 3]
    if words:
        _add_all_of(found, qs, alias, info, names, [_pieces(w) for w in words], cap, narrowed)
    if any(score[0] >= 90.0 for score in found.scores.values()):
        return  # a value holds every word as typed: no typo to correct
    if len(words) >= 2 and found.good() < want:
        for left_out in words:
            groups = [[w] for w in words if w != left_out]
            _add_all_of(found, qs, alias, info, names, groups, max(cap // len(words), 40), narrowed)
    corrected = _corrected(query)
    if corrected == query.words:
        return
    text = " ".join(corrected)
    starts = [text] + ([corrected[0]] if len(corrected) > 1 and len(corrected[0]) >= 3 else [])
    for n in lower_fields:
        for start in starts:
            # one query each: PostgreSQL answers two such subqueries or-ed by reading the table
            condition = text_index.prefix_condition(alias, qs.model, n, start, None if narrowed else want)
            found.add(qs, condition, want)
    _add_contains(found, qs, alias, info, names, [text], cap, narrowed)
    long_words = [w for w in dict.fromkeys(corrected) if len(w) >= 3]
    if len(long_words) >= 2:
        _add_all_of(found, qs, alias, info, names, [[w] for w in long_words], cap, narrowed)


def _gather_by_words(
    found: Candidates, qs, alias, info, words: _QueryWords, names: list[str], lower_fields: list[str], limit, narrowed,
    looks: _WordLooks | None = None,
) -> None:
    """Candidates word by word, through the word index: for a typo, the words in another order,
    a word too many.

    Each query word that the index does not hold is corrected: on PostgreSQL against the
    vocabulary (the words one edit away, words similar to a long one), on SQLite from the words
    of the rows that hold a piece of every query word (``_pieces``). Then rows that hold every
    word (as typed, or a correction of it: "marker stdy 2" finds "Candidate marker study 2"),
    rows that start with the corrected string or its first word, and, if too few, rows that hold
    all words but one.

    ``looks``: the first round of these look-ups (:func:`_word_looks`), held with the look-ups
    before them (:meth:`Candidates.hold`) and now wanted.
    """
    if looks is None:
        looks = _word_looks(found, qs, alias, info, words, names, lower_fields, limit, narrowed)
        for condition in looks.prefixes:
            found.queue(qs, condition, looks.want)
        _add_first(found, qs, looks.conditions, looks.cap)
    else:
        brought = found.release()
        if looks.conditions and brought[-1] < looks.cap:
            _add_first(found, qs, looks.conditions[1:], looks.cap)
    groups = looks.groups
    if len(groups) >= 2 and found.good() < looks.want:
        _add_words(found, qs, alias, words.info, names, groups, len(groups) - 1, looks.cap, narrowed)


class _WordLooks(NamedTuple):
    """The first round of :func:`_gather_by_words`: rows that start with the corrected string
    (``prefixes``, at most ``want`` each), then rows that hold a term of each of ``groups``
    (``conditions``, to try in turn until one brings ``cap`` rows: ``word_lookup``)."""

    groups: list
    prefixes: list
    conditions: list
    want: int
    cap: int

    def hold(self, found: Candidates, qs) -> None:
        """Hold the round's look-ups, the first way of ``conditions`` only (see
        :meth:`Candidates.hold`)."""
        for condition in self.prefixes:
            found.hold(qs, condition, self.want)
        if self.conditions:
            found.hold(qs, self.conditions[0], self.cap)


def _word_looks(
    found: Candidates, qs, alias, info, words: _QueryWords, names: list[str], lower_fields: list[str], limit, narrowed
) -> _WordLooks:
    """What :func:`_gather_by_words` looks up first: each word that the index lacks corrected (on
    SQLite after a look-up of the rows that hold a piece of it), the groups of terms to look up
    and the starts of the corrected string."""
    query = found.query
    want = limit or 20
    cap = max(4 * want, 80)
    kinds = words.kinds()
    unknown = [w for w in words.words if w not in kinds and typo_edits(w)]
    corrections: dict[str, list[str]] = {}
    if unknown and connections[alias].vendor == "sqlite":
        # SQLite: for each word, the words of rows that hold a piece of it (the pieces of a typo
        # survive it: "knockot" finds "knockout" through "kno"), the oldest first, which it reads
        # fast; for a word that none of them corrects, the words one edit away
        for w in unknown:  # in one statement
            bound = None if narrowed else want
            condition = text_index.all_of_condition(alias, qs.model, info, names, [_pieces(w)], bound)
            if condition:
                found.queue(qs, condition, want)
        found.flush()
        seen = {v.lower() for v in query.matches}  # the words of the rows scored so far
        corrections = {w: _closest(w, seen) for w in unknown}
        unknown = [w for w in unknown if not corrections[w] and len(w) < 8]
    if unknown and words.info.vocabulary:
        near = word_index.vocabulary_words(alias, qs.model._meta.db_table, words.info, unknown, words.similar)
        corrections.update((w, _closest(w, near)) for w in unknown)
    groups = []
    for w in words.words:
        if w in kinds:
            group = words.terms(w)
            letters = re.match(r"[^\W\d_]{3,}", w) if any(c.isdigit() for c in w) else None
            if letters:
                # a name with a number ("ULabel7"): its letters find its siblings for the fuzzy matcher
                group.append(Term(letters.group(), prefix=True))
            groups.append(group)
        elif corrections.get(w):
            groups.append([Term(c) for c in corrections[w]])
    model = qs.model
    # the corrected string: rows that start with it, or with its first word, shortest first (in
    # one statement with the rows that hold the words)
    prefixes = []
    corrected = [corrections[w][0] if corrections.get(w) else w for w in words.words]
    if corrected != words.words:
        text = " ".join(corrected)
        starts = [text] + ([corrected[0]] if len(corrected) > 1 and len(corrected[0]) >= 3 else [])
        for n in lower_fields:
            for start in starts:
                prefixes.append(text_index.prefix_condition(alias, model, n, start, None if narrowed else want))
    conditions = words_conditions(alias, model, words.info, names, groups, None if narrowed else cap) if groups else []
    return _WordLooks(groups, prefixes, conditions, want, cap)


def _closest(word: str, candidates) -> list[str]:
    """The words among ``candidates`` that ``word`` matches (a typo of one of them, or a piece
    of it), the best first, at most three."""
    ranked = sorted(
        ((m, whole_ratio(word, c), c) for c in candidates for m in [word_match(word, c)] if m > 0 and c != word),
        reverse=True,
    )
    return [c for _, _, c in ranked[:3]]


def _add_words(found: Candidates, qs, alias, info, names, groups, at_least, cap, narrowed) -> int:
    conditions = words_conditions(alias, qs.model, info, names, groups, None if narrowed else cap, at_least)
    return _add_first(found, qs, conditions, cap)


def _add_first(found: Candidates, qs, conditions, cap: int) -> int:
    """Add the rows of the first of ``conditions`` that brings ``cap`` of them (each one tried
    in turn: a cheap way first, ``word_lookup``); return how many the last one brought."""
    n = 0
    for condition in conditions:
        n = found.add(qs, condition, cap)
        if n >= cap:
            break
    return n


def _corrected(query: SearchQuery) -> tuple[str, ...]:
    """The query's words, each typo replaced by the value word that it matches best among the
    candidates scored so far (``query.matches``); a word that matches exactly, as a start or
    inside a word, or not at all, stays."""
    best: dict[str, tuple[float, float, str]] = {}
    found_as_typed = set()
    for value_word, matches in query.matches.items():
        for query_word, m in zip(query.words, matches):
            if m >= INNER_WORD:
                found_as_typed.add(query_word)
            elif m > 0:
                key = (m, whole_ratio(query_word, value_word), value_word)
                if query_word not in best or key > best[query_word]:
                    best[query_word] = key
    return tuple(
        best[word][2] if word in best and word not in found_as_typed else word for word in query.words
    )


def _pieces(word: str) -> list[str]:
    """Pieces of a word, one of which survives a typo, for the index to find (3+ characters).

    A word of 3 letters is its own piece (a word with a digit, also its runs of 3+ letters); of 4 or 5, its 3-letter windows, the word with two
    neighbours swapped ("dsmo": "dmso") and with a letter left out; from 6, its halves, the
    halves with the two letters at their border swapped, and from 12 its thirds.
    """
    n = len(word)
    if n < 3:
        return []
    if n == 3 or not typo_edits(word):
        # a name with a number ("ULabel7"): its letters find its siblings ("ULabel5") for the fuzzy matcher
        return list(dict.fromkeys([word] + [run for run in re.findall(r"[^\W\d_]+", word) if len(run) >= 3]))
    pieces: list[str] = []
    if n <= 5:
        pieces += [word[i: i + 3] for i in range(n - 2)]
        pieces += [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(n - 1)]
        pieces += [word[:i] + word[i + 1:] for i in range(n)]
    else:
        half = n // 2
        swapped = word[: half - 1] + word[half] + word[half - 1] + word[half + 1:]
        pieces += [word[:half], word[-half:], swapped[:half], swapped[-half:]]
        if n >= 12:  # two typos: one third survives (3-letter thirds would find too much)
            third = n // 3
            pieces += [word[:third], word[third: n - third], word[n - third:]]
    return list(dict.fromkeys(p for p in pieces if len(p) >= 3))


def _scan(found: Candidates, qs, query: SearchQuery, limit: int | None) -> None:
    """Fuzzy-match the latest ``SCAN_ROWS`` rows; keep the best few as candidates."""
    value_fields = found.value_fields
    rows = list(qs.order_by("-pk").values_list("pk", *value_fields)[:SCAN_ROWS])
    if not rows:
        return
    keep = max(5 * (limit or 20), 50)
    best: dict[Any, float] = {}
    fuzz, process = rapidfuzz_modules()
    for i in range(1, len(value_fields) + 1):
        if i - 1 in found.no_fuzzy:
            continue
        choices = {}
        for row in rows:
            value = row[i]
            if value is not None:
                choices[row[0]] = str(value) if query.case_sensitive else str(value).casefold()
        if not choices:
            continue
        if process is not None:
            matches = process.extract(
                query.folded, choices, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=keep
            )
            for _, score, pk in matches:
                best[pk] = max(best.get(pk, 0.0), score)
        else:  # pragma: no cover
            for pk, value in choices.items():
                score = fuzzy_similarity(query.folded, value)
                if score >= FUZZY_CUTOFF:
                    best[pk] = max(best.get(pk, 0.0), score)
    by_pk = {row[0]: row[1:] for row in rows}
    for pk in sorted(best, key=best.get, reverse=True)[:keep]:
        if pk not in found.rows:
            found.rows[pk] = by_pk[pk]
            found.scores[pk] = score_row(query, by_pk[pk], found.synonyms_column, found.no_fuzzy)
