"""Search: find records by text, best first, with a score from 0 to 100.

``QuerySet.search`` (and ``Registry.search``) call :func:`search_queryset`. It
works in two steps:

1. *Candidates*, a few bounded queries that use the text index
   (``text_index.py``): exact matches (``lower(name) = ...``, ``uid = ...``),
   prefix matches of the name, rows whose text contains the string, rows with
   the string among their synonyms. If they leave fewer than ``limit`` good
   matches (a typo, words in another order, a word too many), rows that hold
   every word or a piece of it that survives a typo are added; then rows that
   hold all words but one; then the words are corrected to the closest words
   of those rows ("stdy" to "study") and the corrected string is looked up as
   above. If all that finds nothing, the latest rows are scanned with a fuzzy
   matcher, a bounded number of them.
2. *Ranking* in Python, :func:`score_text`: an exact match (of the value or of
   one of its ``|``-separated synonyms) scores 100; the string in one piece as
   whole words 90 to 98, as the start of a word 80 to 89 (the shorter the
   value, the higher). Otherwise word by word: each query word matches a word
   of the value exactly, as its start, inside it or with a typo
   (:func:`word_match`), every word counts, numbers included, and then the
   whole string: "marker stdy 2" puts "Candidate marker study 2" (about 85)
   before "... study 1" (about 51). If no word matches at all, a fuzzy match
   (``rapidfuzz``'s ``WRatio``, at least 75) scores 0.7 times its similarity,
   so under 70.

The result is a real QuerySet: ``qs.filter(pk__in=<top ids>)``, annotated with
``score`` and ordered by rank, so it can be filtered further and its ``.df()``
has a ``score`` column.

Example:
    >>> ln.ULabel.search("Candidate marker").df()
    >>> ln.ULabel.search("T-cel", field="name")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field as dataclass_field
from typing import TYPE_CHECKING, Any

from django.db import connections, models
from django.db.models import FloatField, IntegerField, Q
from django.db.models.expressions import RawSQL

from . import errors, text_index
from .introspect import is_text_field, name_field, text_fields

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SearchMeta",
    "SearchQuery",
    "field_name",
    "synonyms_field",
    "score_text",
    "word_match",
    "word_points",
    "score_synonyms",
    "score_row",
    "rank_values",
    "search_queryset",
    "search_display_df",
]

FUZZY_CUTOFF = 75.0  # rapidfuzz WRatio below which a fuzzy match is no match
FUZZY_WEIGHT = 0.7  # fuzzy matches score under 70, below every substring match
SCAN_ROWS = 20_000  # the bounded scan: this many of the latest rows, at most
MIN_CAP = 200  # candidates per index query, at least

_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_", "-", " " separate words

_RAPIDFUZZ: list = []  # [(fuzz, process)] once imported; [(None, None)] if not installed


def _rapidfuzz() -> tuple[Any, Any]:
    """rapidfuzz's ``fuzz`` and ``process`` (the "search" extra), imported on first use.

    Without it, difflib does the fuzzy part, slower.
    """
    if not _RAPIDFUZZ:
        try:
            from rapidfuzz import fuzz, process
        except ImportError:  # pragma: no cover
            fuzz = process = None
        _RAPIDFUZZ.append((fuzz, process))
    return _RAPIDFUZZ[0]


# ---------------------------------------------------------------------------
# fields
# ---------------------------------------------------------------------------


def synonyms_field(model) -> str | None:
    """``"synonyms"`` if the registry has a text field of that name."""
    return "synonyms" if "synonyms" in text_fields(model) else None


def _valid_fields(model) -> list[str]:
    return sorted(f.name for f in model._meta.concrete_fields if not f.name.startswith("_"))


def field_name(model, field: Any, *, text_only: bool = False, purpose: str = "field") -> str:
    """The name of a field given as ``"name"``, ``ln.ULabel.name`` or a Django field.

    Registry aliases apply (``Transform``: ``name`` means ``key``).

    Raises:
        ln.errors.FieldValidationError: no such field on ``model`` (the message
            lists the valid ones), a field of another registry, or, with
            ``text_only``, a field that does not hold text.
    """
    owner = None
    if hasattr(field, "field") and isinstance(getattr(field, "field", None), models.Field):
        field = field.field  # a DeferredAttribute such as ln.ULabel.name
    if isinstance(field, models.Field):
        owner = field.model
        field = field.name
    if not isinstance(field, str):
        raise errors.InvalidArgument(
            f"{purpose} must be a field name such as 'name' or {model.__name__}.name, got {field!r}"
        )
    if owner is not None and owner is not model and not issubclass(model, owner):
        raise errors.FieldValidationError(
            f"{owner.__name__}.{field} is not a field of {model.__name__}; "
            f"valid fields: {', '.join(_valid_fields(model))}"
        )
    field = getattr(model, "_field_aliases", {}).get(field, field)
    concrete = {f.name: f for f in model._meta.concrete_fields}
    concrete.update({f.attname: f for f in model._meta.concrete_fields})
    if field not in concrete:
        valid = text_fields(model) if text_only else _valid_fields(model)
        raise errors.FieldValidationError(
            errors.unknown_field(model.__name__, field, valid, what="text fields" if text_only else "fields")
        )
    if text_only and not is_text_field(concrete[field]):
        valid = text_fields(model)
        raise errors.FieldValidationError(
            f"{model.__name__}.{field} does not hold text; {purpose} takes a text field: "
            f"{', '.join(valid) or 'none'}"
        )
    return concrete[field].name


# ---------------------------------------------------------------------------
# ranking
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    """A search string, prepared: stripped, folded unless case-sensitive, split into words.

    ``matches`` remembers, for each value word seen so far, how well each query word matches
    it: a registry's names share few words, so most rows cost a few dictionary look-ups.
    """

    text: str
    case_sensitive: bool = False
    folded: str = ""
    words: tuple[str, ...] = ()
    n_word_chars: int = 0
    matches: dict = dataclass_field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def make(cls, text: str, case_sensitive: bool = False) -> SearchQuery:
        text = text.strip()
        folded = text if case_sensitive else text.casefold()
        words = tuple(_WORD.findall(folded))
        return cls(text, case_sensitive, folded, words, sum(len(w) for w in words))


# How well one query word matches one word of a value, 0 to 1: the word itself, its start,
# a piece inside it, a typo of it (letters only; a number matches only itself or a start).
EXACT_WORD = 1.0
PREFIX_WORD = 0.9
INNER_WORD = 0.8
TYPO_WORD = 0.7  # one edit (a transposition is one); a typo of the word's start 0.05 less
TYPO_STEP = 0.05  # less per further edit


def typo_edits(word: str) -> int:
    """How many edits a query word of this length may hold: none under 4 letters, or with a
    digit; 1 up to 7 letters; 2 from 8."""
    if len(word) < 4 or any(c.isdigit() for c in word):
        return 0
    return 1 if len(word) < 8 else 2


def word_match(query_word: str, value_word: str) -> float:
    """How well ``query_word`` matches ``value_word``: 1 exact, 0.9 its start, 0.8 inside it,
    0.7 to 0.6 a typo (``rapidfuzz``'s optimal string alignment distance), 0 no match.

    Example:
        >>> word_match("liv", "liver"), word_match("livr", "liver"), word_match("dsmo", "dmso"), word_match("livr", "lung")
        (0.9, 0.7, 0.7, 0.0)
    """
    if query_word == value_word:
        return EXACT_WORD
    if value_word.startswith(query_word):
        return PREFIX_WORD
    if len(query_word) >= 3 and query_word in value_word:
        return INNER_WORD
    edits = typo_edits(query_word)
    if not edits or len(value_word) < 3 or any(c.isdigit() for c in value_word):
        return 0.0
    distance = _edit_distance(query_word, value_word, edits)
    if distance <= edits:
        return TYPO_WORD - TYPO_STEP * (distance - 1)
    n = len(query_word)
    # a typo in the start of a longer word: "hepatocite" for "hepatocytes"
    distance = min(
        (_edit_distance(query_word, value_word[:k], edits) for k in (n - 1, n, n + 1) if 3 <= k < len(value_word)),
        default=edits + 1,
    )
    if distance <= edits:
        return TYPO_WORD - TYPO_STEP * distance
    return 0.0


def _edit_distance(a: str, b: str, cutoff: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; above ``cutoff``: cutoff + 1."""
    if abs(len(a) - len(b)) > cutoff:
        return cutoff + 1
    osa = _osa()
    if osa is not None:
        return osa.distance(a, b, score_cutoff=cutoff)
    return _python_osa(a, b, cutoff)  # pragma: no cover


_OSA: list = []


def _osa():
    """rapidfuzz's ``OSA`` distance, or None without rapidfuzz."""
    if not _OSA:
        try:
            from rapidfuzz.distance import OSA
        except ImportError:  # pragma: no cover
            OSA = None
        _OSA.append(OSA)
    return _OSA[0]


def _python_osa(a: str, b: str, cutoff: int) -> int:  # pragma: no cover
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], cutoff + 1)


def _value_word_matches(query: SearchQuery, value_word: str) -> tuple[float, ...]:
    """How well each query word matches ``value_word``, remembered in ``query.matches``."""
    found = query.matches.get(value_word)
    if found is None:
        found = query.matches[value_word] = tuple(word_match(w, value_word) for w in query.words)
    return found


def word_points(query: SearchQuery, value: str) -> float:
    """The mean over the query's words of how well each matches a word of ``value`` (folded), 0 to 1.

    Every word counts the same, numbers included: "marker stdy 2" matches
    "Candidate marker study 2" with (1 + 0.7 + 1) / 3 and "... study 1" with (1 + 0.7 + 0) / 3.
    """
    if not query.words:
        return 0.0
    value_words = _WORD.findall(value)
    if not value_words:
        return 0.0
    matches = query.matches
    columns = [matches.get(w) or _value_word_matches(query, w) for w in value_words]
    return sum(map(max, zip(*columns))) / len(query.words)


def _whole(a: str, b: str) -> float:
    """The similarity of two whole strings, 0 to 1 (rapidfuzz's ``ratio``: order and length count)."""
    fuzz, _ = _rapidfuzz()
    if fuzz is not None:
        return fuzz.ratio(a, b) / 100.0
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio()  # pragma: no cover


def _similarity(a: str, b: str) -> float:
    fuzz, _ = _rapidfuzz()
    if fuzz is not None:
        return fuzz.WRatio(a, b)
    import difflib

    return 100.0 * difflib.SequenceMatcher(None, a, b).ratio()


def score_text(query: SearchQuery, value: Any, fuzzy: bool = True) -> float:
    """How well ``value`` matches ``query``, 0 to 100; without ``fuzzy``, under 70 is 0.

    - 100: the value itself (ignoring case unless case-sensitive);
    - the string in one piece: as whole words 90 to 98, as the start of a word 80 to 89,
      inside a word 70 to 79 (the shorter the value, the higher);
    - otherwise word by word (:func:`word_points`, exact > start > inside > typo), then the
      whole string: ``100 * points - 10 + 7 * similarity``. All words exact, in another order
      or with words between them: 90 to 97; all words' starts: 80 to 87; a typo in one word of
      one: 60 to 67; a query word that the value lacks pulls the score down by its share;
    - if no word matches at all, ``rapidfuzz``'s ``WRatio`` (at least 75) times 0.7.

    Example:
        >>> q = SearchQuery.make("cell")
        >>> score_text(q, "cell"), round(score_text(q, "T cell"), 1), round(score_text(q, "cellular"), 1)
        (100.0, 95.3, 84.5)
        >>> q = SearchQuery.make("livr kinase")
        >>> round(score_text(q, "liver kinase"), 1), round(score_text(q, "kinase lung"), 1)
        (81.7, 43.8)
    """
    if value is None:
        return 0.0
    value = str(value)
    v = value if query.case_sensitive else value.casefold()
    t = query.folded
    if not t:
        return 0.0
    if v == t:
        return 100.0
    n = len(v)
    pos = v.find(t)
    in_one_piece = 0.0
    if pos >= 0:
        ratio = len(t) / n
        end = pos + len(t)
        starts_word = pos == 0 or not v[pos - 1].isalnum() or not t[0].isalnum()
        ends_word = end == n or not v[end].isalnum() or not t[-1].isalnum()
        if starts_word and ends_word:
            return 90.0 + 8.0 * ratio
        if starts_word:
            return 80.0 + 9.0 * ratio
        in_one_piece = 70.0 + 9.0 * ratio
    words = _WORD.findall(v)
    if query.words and tuple(words) == query.words:
        return 98.0  # the same words, other separators: "T-cell" for "t cell"
    points = word_points(query, v)
    by_words = max(0.0, 100.0 * points - 10.0 + 7.0 * _whole(t, v)) if points > 0 else 0.0
    best = max(in_one_piece, by_words)
    if best >= 70.0 or (fuzzy and best > 0):
        return best
    if not fuzzy:
        return 0.0
    similarity = _similarity(t, v)
    return FUZZY_WEIGHT * similarity if similarity >= FUZZY_CUTOFF else 0.0


def score_synonyms(query: SearchQuery, synonyms: str | None, fuzzy: bool = True) -> float:
    """The best score of one of the ``|``-separated ``synonyms``."""
    if not synonyms:
        return 0.0
    return max((score_text(query, s, fuzzy) for s in str(synonyms).split("|") if s.strip()), default=0.0)


def score_row(
    query: SearchQuery, row: Sequence[Any], synonyms_column: int | None = None, no_fuzzy: frozenset[int] = frozenset()
) -> tuple[float, int, int]:
    """``(score, column, length)`` of a row's best column; columns in ``no_fuzzy``
    (a uid) are not matched fuzzily. A fuzzy match (under 70) counts only if no
    column matches otherwise."""
    strong = weak = (0.0, 0, 0)
    for column, value in enumerate(row):
        if value is None:
            continue
        fuzzy = column not in no_fuzzy
        if column == synonyms_column:
            s = score_synonyms(query, value, fuzzy)
        else:
            s = score_text(query, value, fuzzy)
        if s >= 70.0:
            if s > strong[0]:
                strong = (s, column, len(str(value)))
        elif s > weak[0]:
            weak = (s, column, len(str(value)))
    best, best_column, best_length = strong if strong[0] > 0 else weak
    return round(best, 1), best_column, best_length


def rank_values(
    query: SearchQuery | str,
    rows: Iterable[Sequence[Any]],
    synonyms_column: int | None = None,
    limit: int | None = 20,
) -> list[tuple[int, float]]:
    """Rank rows of text values: ``(position, score)`` pairs, best first, score > 0.

    Each row is scored by its best column; ``synonyms_column`` (an index into
    the row) holds ``|``-separated synonyms. At equal scores an earlier column
    wins, then a shorter value, then an earlier row.

    Example:
        >>> rank_values("P cell", [("PP cell", None), ("nodal myocyte", "P cell|myocytus")], synonyms_column=1)
        [(1, 100.0), (0, 91.5)]
    """
    if isinstance(query, str):
        query = SearchQuery.make(query)
    scored = [
        (-score, column, length, position)
        for position, row in enumerate(rows)
        for score, column, length in [score_row(query, row, synonyms_column)]
        if score > 0
    ]
    scored.sort()
    if limit is not None:
        scored = scored[:limit]
    return [(position, -neg) for neg, _, _, position in scored]


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


def _narrowed(qs) -> bool:
    """Whether ``qs`` is filtered beyond the registry's default (a related manager, a filter)."""
    query = qs.query
    if len(query.alias_map) > 1:
        return True
    children = query.where.children
    default = 1 if hasattr(qs.model, "_branch_code") else 0
    return len(children) > default


def _check_string(string: Any) -> str:
    if string is None:
        raise errors.InvalidArgument(
            "search() needs a string to search for, got None; e.g. ln.ULabel.search('T cell')"
        )
    if not isinstance(string, str):
        if isinstance(string, (int, float)) and not isinstance(string, bool):
            string = str(string)
        else:
            raise errors.InvalidArgument(
                f"search() takes a string, got {string!r} ({type(string).__name__})"
            )
    if not string.strip():
        raise errors.InvalidArgument(
            f"search() needs a non-empty string, got {string!r}; to list records use .filter() or .df()"
        )
    return string


def _search_fields(model, field) -> tuple[list[str], bool]:
    """The fields to search and whether the user named them."""
    if field is None:
        names = text_fields(model)
        if not names:
            raise errors.InvalidArgument(
                f"{model.__name__} has no text field to search; fields: {', '.join(_valid_fields(model))}"
            )
        return names, False
    items = [field] if isinstance(field, (str, models.Field)) or hasattr(field, "field") else list(field)
    if not items:
        raise errors.InvalidArgument("field= takes a field name or a non-empty list of them")
    names = []
    for item in items:
        name = field_name(model, item, text_only=True, purpose="search(field=...)")
        if name not in names:
            names.append(name)
    return names, True


class _Candidates:
    """Rows ``(pk, *values)`` gathered by the candidate queries, each pk once, each scored once."""

    def __init__(self, query: SearchQuery, value_fields: list[str], synonyms: str | None, fuzzy_fields: list[str]):
        self.query = query
        self.value_fields = value_fields
        self.synonyms_column = value_fields.index(synonyms) if synonyms in value_fields else None
        self.fuzzy_fields = fuzzy_fields
        self.no_fuzzy = frozenset(i for i, n in enumerate(value_fields) if n not in fuzzy_fields)
        self.rows: dict[Any, tuple] = {}
        self.scores: dict[Any, tuple[float, int, int]] = {}

    def add(self, qs, cap: int | None) -> int:
        """Run ``qs`` for the value fields (at most ``cap`` rows); return how many rows came."""
        rows = qs.values_list("pk", *self.value_fields)
        if cap is not None:
            rows = rows[:cap]
        n = 0
        for row in rows:
            n += 1
            pk = row[0]
            if pk not in self.rows:
                self.rows[pk] = row[1:]
                self.scores[pk] = score_row(self.query, row[1:], self.synonyms_column, self.no_fuzzy)
        return n

    def good(self) -> int:
        """How many candidates match better than fuzzily (score >= 70)."""
        return sum(1 for score in self.scores.values() if score[0] >= 70.0)

    def top(self, limit: int | None) -> list[tuple[Any, float]]:
        ranked = sorted(
            (-score, column, length, i, pk)
            for i, (pk, (score, column, length)) in enumerate(self.scores.items())
            if score > 0
        )
        if limit is not None:
            ranked = ranked[:limit]
        return [(pk, -neg) for neg, _, _, _, pk in ranked]


def _gather(qs, query: SearchQuery, fields: list[str], named: bool, found: _Candidates, limit: int | None) -> None:
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
    synonyms = synonyms_field(model) if synonyms_field(model) in found.value_fields else None

    inner_cap = None if narrowed else cap  # a narrowed queryset may hold none of the first ids

    # 1. exact matches of unique identifier-like fields (uid), unless a text index serves them;
    # (a non-unique indexed field, mostly NULL, looks to SQLite's statistics like one value
    # held by every row, and its "= x" became a scan of the table)
    exact = [n for n in fields if n not in lower_fields and not info.covers(column[n]) and meta.get_field(n).unique]
    if exact:
        found.add(qs.filter(text_index.equals_condition(model, exact, text, inner_cap)), cap)

    # 2. prefix (and exact) matches of the name-like fields, through their lower() index
    for n in lower_fields:
        found.add(qs.filter(text_index.prefix_condition(alias, model, n, text, inner_cap)), cap)

    # 3. contains: the synonyms on their own (an exact synonym must not be crowded out), the rest together
    searchable = [n for n in fields if info.covers(column[n])]
    if named or not info.kind:
        searchable = list(fields)  # the user named them, or nothing is indexed: scan
    groups = [[synonyms]] if synonyms in searchable else []
    rest = [n for n in searchable if n != synonyms and (n != "uid" or not info.kind)]
    if rest:
        groups.insert(0, rest)
    for group in groups:
        _add_contains(found, qs, alias, info, group, [text], cap, narrowed)

    # 4. a typo, the words in another order, a word too many: word by word, then the words corrected
    if found.good() < (limit or 1):
        typo_fields = [n for n in searchable if n in found.fuzzy_fields] or searchable
        if typo_fields:
            _gather_words(found, qs, alias, info, typo_fields, lower_fields, limit, narrowed)
        if not any(score[0] > 0 for score in found.scores.values()):
            _scan(found, qs, query, limit)


def _add_contains(found: _Candidates, qs, alias, info, names, texts, cap, narrowed) -> None:
    condition = text_index.contains_condition(alias, qs.model, info, names, texts, cap=None if narrowed else cap)
    if condition:
        found.add(qs.filter(condition), cap)


def _add_all_of(found: _Candidates, qs, alias, info, names, groups, cap, narrowed) -> None:
    condition = text_index.all_of_condition(alias, qs.model, info, names, groups, cap=None if narrowed else cap)
    if condition:
        found.add(qs.filter(condition), cap)


def _gather_words(found: _Candidates, qs, alias, info, names: list[str], lower_fields: list[str], limit, narrowed) -> None:
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
        condition = Q()
        for start in starts:
            condition |= text_index.prefix_condition(alias, qs.model, n, start, None if narrowed else want)
        found.add(qs.filter(condition), want * len(starts))
    _add_contains(found, qs, alias, info, names, [text], cap, narrowed)
    long_words = [w for w in dict.fromkeys(corrected) if len(w) >= 3]
    if len(long_words) >= 2:
        _add_all_of(found, qs, alias, info, names, [[w] for w in long_words], cap, narrowed)


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
                key = (m, _whole(query_word, value_word), value_word)
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


def _scan(found: _Candidates, qs, query: SearchQuery, limit: int | None) -> None:
    """Fuzzy-match the latest ``SCAN_ROWS`` rows; keep the best few as candidates."""
    value_fields = found.value_fields
    rows = list(qs.order_by("-pk").values_list("pk", *value_fields)[:SCAN_ROWS])
    if not rows:
        return
    keep = max(5 * (limit or 20), 50)
    best: dict[Any, float] = {}
    fuzz, process = _rapidfuzz()
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
                score = _similarity(query.folded, value)
                if score >= FUZZY_CUTOFF:
                    best[pk] = max(best.get(pk, 0.0), score)
    by_pk = {row[0]: row[1:] for row in rows}
    for pk in sorted(best, key=best.get, reverse=True)[:keep]:
        if pk not in found.rows:
            found.rows[pk] = by_pk[pk]
            found.scores[pk] = score_row(query, by_pk[pk], found.synonyms_column, found.no_fuzzy)


# ---------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------


@dataclass
class SearchMeta:
    """What a search result remembers: scores by pk, the field it displays, the query."""

    query: str
    display_field: str | None
    scores: dict[Any, float] = dataclass_field(default_factory=dict)
    annotation: str = "score"

    def add_score(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (index: pk) with a ``score`` column."""
        df[self.annotation] = [self.scores.get(pk) for pk in df.index]
        return df


def search_queryset(qs, string: str, *, field=None, limit: int | None = 20, case_sensitive: bool = False):
    """The records of ``qs`` that match ``string``, best first, annotated with ``score``.

    See ``QuerySet.search``.
    """
    string = _check_string(string)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise errors.InvalidArgument(f"limit takes a positive integer or None, got {limit!r}")
    model = qs.model
    fields, named = _search_fields(model, field)
    query = SearchQuery.make(string, case_sensitive)
    synonyms = synonyms_field(model)
    value_fields = list(fields)
    if synonyms and synonyms not in value_fields and name_field(model) in fields:
        value_fields.append(synonyms)  # a synonym names the record as well as its name
    # typos are looked for in names (and synonyms): fuzzy-matching every description costs time
    name = name_field(model)
    fuzzy_fields = [n for n in value_fields if n in (name, synonyms)] or [n for n in value_fields if n != "uid"]
    found = _Candidates(query, value_fields, synonyms, fuzzy_fields)
    _gather(qs, query, fields, named, found, limit)
    top = found.top(limit)
    display = fields[0] if named else name_field(model)
    annotation = "score" if not any(f.name == "score" for f in model._meta.get_fields()) else "search_score"
    meta = SearchMeta(query=string, display_field=display, scores=dict(top), annotation=annotation)
    return _result(qs, top, meta)


def _case_sql(qs, mapping: list[tuple[Any, Any]]) -> tuple[str, list]:
    """``CASE <table>.<pk> WHEN %s THEN %s ... END`` and its parameters."""
    ops = connections[qs.db].ops
    meta = qs.model._meta
    column = f"{ops.quote_name(meta.db_table)}.{ops.quote_name(meta.pk.column)}"
    params: list = []
    for key, value in mapping:
        params += [key, value]
    return f"CASE {column}" + " WHEN %s THEN %s" * len(mapping) + " END", params


def _result(qs, top: list[tuple[Any, float]], meta: SearchMeta):
    # plain SQL CASEs: compiling 20 When() expressions costs more than the search itself
    ids = [pk for pk, _ in top]
    result = qs.filter(pk__in=ids)
    if ids:
        score_sql, score_params = _case_sql(qs, [(pk, float(score)) for pk, score in top])
        rank_sql, rank_params = _case_sql(qs, [(pk, i) for i, pk in enumerate(ids)])
        result = result.annotate(**{meta.annotation: RawSQL(score_sql, score_params, output_field=FloatField())})
        result = result.order_by(RawSQL(rank_sql, rank_params, output_field=IntegerField()).asc())
    result._search_meta = meta
    return result


def search_display_df(qs) -> pd.DataFrame:
    """The table that shows a search result: index the searched field, columns ``uid`` and ``score``.

    Example:
        >>> search_display_df(ln.ULabel.search("ULabel7", field="name"))
                    uid  score
        name
        ULabel7  g7Hk9b2v  100.0
    """
    import pandas as pd

    meta = qs._search_meta
    model = qs.model
    display = meta.display_field or "pk"
    has_uid = any(f.name == "uid" for f in model._meta.concrete_fields)
    columns = ["pk", display] + (["uid"] if has_uid and display != "uid" else [])
    rows = list(qs.values_list(*columns))
    data = {}
    if has_uid and display != "uid":
        data["uid"] = [row[2] for row in rows]
    data[meta.annotation] = [meta.scores.get(row[0]) for row in rows]
    df = pd.DataFrame(data, index=pd.Index([row[1] for row in rows], name=display))
    return df


def search_repr(qs) -> str:
    """The text that a search result shows in a terminal or notebook."""
    df = search_display_df(qs)
    if df.empty:
        return f"{qs.model.__name__}.search({qs._search_meta.query!r}): no match"
    return df.to_string()
