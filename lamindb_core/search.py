"""Search: find records by text, best first, with a score from 0 to 100.

``QuerySet.search`` (and ``Registry.search``) call :func:`search_queryset`. It
works in two steps:

1. *Candidates*, a few bounded queries that use the text index
   (``text_index.py``): exact matches (``lower(name) = ...``, ``uid = ...``),
   prefix matches of the name, rows whose text contains the string, rows with
   the string among their synonyms. If they leave fewer than ``limit`` good
   matches (a typo), rows containing words or word halves of the string are
   added, and if that finds nothing either, the latest rows are scanned with a
   fuzzy matcher, a bounded number of them.
2. *Ranking* in Python, :func:`score_text`: an exact match (of the value or of
   one of its ``|``-separated synonyms) scores 100; the string as whole words
   90 to 98, as the start of a word 80 to 89, inside a word 70 to 79 (the
   shorter the value, the higher); a fuzzy match (``rapidfuzz``'s ``WRatio``,
   at least 75) 0.7 times its similarity, so under 70.

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
from django.db.models import Case, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from . import errors, text_index

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SearchMeta",
    "SearchQuery",
    "field_name",
    "string_fields",
    "name_field",
    "synonyms_field",
    "score_text",
    "score_synonyms",
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

_TEXT_FIELDS = (models.CharField, models.TextField)
_NOT_NAMES = frozenset({"uid", "version", "hash"})


def string_fields(model) -> list[str]:
    """The public text fields of a registry (``CharField``, ``TextField``), in order."""
    return [
        f.name for f in model._meta.concrete_fields
        if isinstance(f, _TEXT_FIELDS) and not f.name.startswith("_")
    ]


def name_field(model) -> str | None:
    """The field that names a record: ``_name_field`` if the registry sets one,
    else ``name``, else ``key``, else the first text field that is not an id, a
    version or a hash (``handle``, ``root``), else ``uid``; None for a registry
    without text fields."""
    declared = getattr(model, "_name_field", None)
    if declared:
        return declared
    names = string_fields(model)
    for preferred in ("name", "key"):
        if preferred in names:
            return preferred
    others = [n for n in names if n not in _NOT_NAMES]
    if others:
        return others[0]
    return names[0] if names else None


def synonyms_field(model) -> str | None:
    """``"synonyms"`` if the registry has a text field of that name."""
    return "synonyms" if "synonyms" in string_fields(model) else None


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
        valid = string_fields(model) if text_only else _valid_fields(model)
        raise errors.FieldValidationError(
            f"{model.__name__} has no field '{field}'.{errors.closest_match_hint(field, valid)} "
            f"Valid {'text ' if text_only else ''}fields: {', '.join(valid) or 'none'}"
        )
    if text_only and not isinstance(concrete[field], _TEXT_FIELDS):
        valid = string_fields(model)
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
    """A search string, prepared: stripped, folded unless case-sensitive, split into words."""

    text: str
    case_sensitive: bool = False
    folded: str = ""
    words: tuple[str, ...] = ()
    n_word_chars: int = 0

    @classmethod
    def make(cls, text: str, case_sensitive: bool = False) -> SearchQuery:
        text = text.strip()
        folded = text if case_sensitive else text.casefold()
        words = tuple(_WORD.findall(folded))
        return cls(text, case_sensitive, folded, words, sum(len(w) for w in words))


def _similarity(a: str, b: str) -> float:
    fuzz, _ = _rapidfuzz()
    if fuzz is not None:
        return fuzz.WRatio(a, b)
    import difflib

    return 100.0 * difflib.SequenceMatcher(None, a, b).ratio()


def score_text(query: SearchQuery, value: Any) -> float:
    """How well ``value`` matches ``query``, 0 to 100.

    Example:
        >>> q = SearchQuery.make("cell")
        >>> score_text(q, "cell"), round(score_text(q, "T cell"), 1), round(score_text(q, "cellular"), 1)
        (100.0, 95.3, 84.5)
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
    if pos >= 0:
        ratio = len(t) / n
        end = pos + len(t)
        starts_word = pos == 0 or not v[pos - 1].isalnum() or not t[0].isalnum()
        ends_word = end == n or not v[end].isalnum() or not t[-1].isalnum()
        if starts_word and ends_word:
            return 90.0 + 8.0 * ratio
        if starts_word:
            return 80.0 + 9.0 * ratio
        return 70.0 + 9.0 * ratio
    if query.words:
        words = _WORD.findall(v)
        ratio = min(1.0, query.n_word_chars / max(1, sum(len(w) for w in words)))
        if tuple(words) == query.words:
            return 98.0  # the same words, other separators: "T-cell" for "t cell"
        if all(w in words for w in query.words):
            return 90.0 + 7.0 * ratio
        if all(any(x.startswith(w) for x in words) for w in query.words):
            return 80.0 + 8.0 * ratio
    similarity = _similarity(t, v)
    return FUZZY_WEIGHT * similarity if similarity >= FUZZY_CUTOFF else 0.0


def score_synonyms(query: SearchQuery, synonyms: str | None) -> float:
    """The best score of one of the ``|``-separated ``synonyms``."""
    if not synonyms:
        return 0.0
    return max((score_text(query, s) for s in str(synonyms).split("|") if s.strip()), default=0.0)


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
        [(1, 100.0), (0, 87.7...)]
    """
    if isinstance(query, str):
        query = SearchQuery.make(query)
    scored = []
    for position, row in enumerate(rows):
        best, best_column, best_length = 0.0, 0, 0
        for column, value in enumerate(row):
            if value is None:
                continue
            s = score_synonyms(query, value) if column == synonyms_column else score_text(query, value)
            if s > best:
                best, best_column, best_length = s, column, len(str(value))
        if best > 0:
            scored.append((-round(best, 1), best_column, best_length, position))
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
        names = string_fields(model)
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
    """Rows ``(pk, *values)`` gathered by the candidate queries, each pk once."""

    def __init__(self, qs, value_fields: list[str]):
        self.qs = qs
        self.value_fields = value_fields
        self.rows: dict[Any, tuple] = {}

    def add(self, qs, cap: int | None) -> int:
        sliced = qs.values_list("pk", *self.value_fields)
        if cap is not None:
            sliced = sliced[:cap]
        n = 0
        for row in sliced:
            n += 1
            self.rows.setdefault(row[0], row[1:])
        return n


def _gather(qs, query: SearchQuery, fields: list[str], named: bool, value_fields: list[str], limit: int | None) -> tuple[dict, bool]:
    """Candidate rows for ``query``; and whether the fuzzy fallbacks ran."""
    model = qs.model
    meta = model._meta
    alias = qs.db
    vendor = connections[alias].vendor
    info = text_index.index_info(alias, meta.db_table)
    cap = max(MIN_CAP, 10 * (limit or 100))
    narrowed = _narrowed(qs)
    found = _Candidates(qs, value_fields)
    text, lowered = query.text, query.text.lower()
    column = {n: meta.get_field(n).column for n in fields}
    lower_fields = [n for n in fields if column[n] in info.lower_columns]
    name = name_field(model)
    synonyms = synonyms_field(model) if synonyms_field(model) in value_fields else None

    # 1. exact: lower() indexes, and btree-indexed fields such as uid
    exact = Q()
    annotated = qs
    for i, n in enumerate(fields):
        if n in lower_fields:
            annotated = annotated.alias(**{f"_lower{i}": Lower(n)})
            exact |= Q(**{f"_lower{i}": lowered})
        elif meta.get_field(n).db_index or meta.get_field(n).unique or (named and not info.kind):
            exact |= Q(**{n: text})
    if exact:
        found.add(annotated.filter(exact), cap)

    # 2. prefix of the name-like fields
    for i, n in enumerate(lower_fields):
        prefixed = qs.alias(_prefix=Lower(n))
        if vendor == "postgresql":
            prefixed = prefixed.filter(_prefix__startswith=lowered)
        else:  # a range, which SQLite serves from the lower() index
            prefixed = prefixed.filter(_prefix__gte=lowered, _prefix__lt=lowered + "\U0010ffff").order_by("_prefix")
        found.add(prefixed, cap)

    # 3. contains: the name, the synonyms, the other indexed fields (each group bounded)
    searchable = [n for n in fields if info.covers(column[n])]
    if named or not info.kind:
        searchable = list(fields)  # the user named them, or nothing is indexed: scan
    groups = [[n] for n in (name, synonyms) if n in searchable]
    rest = [n for n in searchable if n not in (name, synonyms)]
    if rest:
        groups.append(rest)
    for group in groups:
        _add_contains(found, qs, alias, info, group, [text], cap, narrowed)

    # 4. a typo: words and word halves
    fuzzy = False
    good = sum(1 for row in found.rows.values() if _best(query, row, value_fields, synonyms) >= 70.0)
    if good < (limit or 1):
        fuzzy = True
        pieces = _pieces(query)
        if pieces and searchable:
            _add_contains(found, qs, alias, info, searchable, pieces, cap, narrowed)
        # 5. the bounded scan, when the index found nothing that matches
        if not any(_best(query, row, value_fields, synonyms) > 0 for row in found.rows.values()):
            _scan(found, qs, query, value_fields, limit)
    return found.rows, fuzzy


def _add_contains(found: _Candidates, qs, alias, info, names, texts, cap, narrowed) -> None:
    condition = text_index.contains_condition(alias, qs.model, info, names, texts, cap=None if narrowed else cap)
    if condition:
        found.add(qs.filter(condition), cap)


def _best(query: SearchQuery, row: tuple, value_fields: list[str], synonyms: str | None) -> float:
    best = 0.0
    for name, value in zip(value_fields, row):
        if value is None:
            continue
        s = score_synonyms(query, value) if name == synonyms else score_text(query, value)
        best = max(best, s)
    return best


def _pieces(query: SearchQuery) -> list[str]:
    """Words of 3+ characters and the halves of words of 5+: one survives a typo."""
    pieces: list[str] = []
    for word in query.words:
        if len(word) >= 3:
            pieces.append(word)
        if len(word) >= 5:
            half = max(3, len(word) // 2)
            pieces += [word[:half], word[-half:]]
    return list(dict.fromkeys(pieces))


def _scan(found: _Candidates, qs, query: SearchQuery, value_fields: list[str], limit: int | None) -> None:
    """Fuzzy-match the latest ``SCAN_ROWS`` rows; keep the best few as candidates."""
    rows = list(qs.order_by("-pk").values_list("pk", *value_fields)[:SCAN_ROWS])
    if not rows:
        return
    keep = max(5 * (limit or 20), 50)
    best: dict[Any, float] = {}
    for i in range(1, len(value_fields) + 1):
        choices = {}
        for row in rows:
            value = row[i]
            if value is not None:
                choices[row[0]] = value if query.case_sensitive else str(value).casefold()
        if not choices:
            continue
        fuzz, process = _rapidfuzz()
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
        found.rows.setdefault(pk, by_pk[pk])


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
    rows, _ = _gather(qs, query, fields, named, value_fields, limit)
    pks = list(rows)
    ranked = rank_values(
        query,
        (rows[pk] for pk in pks),
        synonyms_column=value_fields.index(synonyms) if synonyms in value_fields else None,
        limit=limit,
    )
    top = [(pks[position], score) for position, score in ranked]
    display = fields[0] if named else name_field(model)
    annotation = "score" if not any(f.name == "score" for f in model._meta.get_fields()) else "search_score"
    meta = SearchMeta(query=string, display_field=display, scores=dict(top), annotation=annotation)
    return _result(qs, top, meta)


def _result(qs, top: list[tuple[Any, float]], meta: SearchMeta):
    ids = [pk for pk, _ in top]
    by_score: dict[float, list] = {}
    for pk, score in top:
        by_score.setdefault(score, []).append(pk)
    result = qs.filter(pk__in=ids)
    if ids:
        score = Case(
            *[When(pk__in=group, then=Value(s)) for s, group in by_score.items()],
            default=Value(0.0),
            output_field=FloatField(),
        )
        rank = Case(*[When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)], output_field=IntegerField())
        result = result.annotate(**{meta.annotation: score}).order_by(rank)
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
