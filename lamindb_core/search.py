"""Search: find records by text, best first, with a score from 0 to 100.

``QuerySet.search`` (and ``Registry.search``) call :func:`search_queryset`. It
works in two steps:

1. *Candidates* (``search_candidates.py``), a few bounded queries that use the
   text index (``text_index.py``): exact matches (``lower(name) = ...``,
   ``uid = ...``), prefix matches of the name, rows whose text contains the
   string, rows with the string among their synonyms. If they leave fewer than
   ``limit`` good matches (a typo, words in another order, a word too many),
   rows that hold every word, a typo of it corrected or a piece of it that
   survives a typo are added, then rows that hold all words but one. If all
   that finds nothing, the latest rows are scanned with a fuzzy matcher, a
   bounded number of them.
2. *Ranking* in Python (``ranking.py``, :func:`score_text`): an exact match (of
   the value or of one of its ``|``-separated synonyms) scores 100; the string
   in one piece as whole words 90 to 98, as the start of a word 80 to 89 (the
   shorter the value, the higher). Otherwise word by word: each query word
   matches a word of the value exactly, as its start, inside it or with a typo
   (:func:`word_match`), every word counts, numbers included, and then the
   whole string: "marker stdy 2" puts "Candidate marker study 2" (about 85)
   before "... study 1" (about 51). If no word matches at all, a fuzzy match
   (``rapidfuzz``'s ``WRatio``, at least 75) scores 0.7 times its similarity,
   so under 70.

The result is a real QuerySet: ``qs.filter(pk__in=<top ids>)``, annotated with
``score`` and ordered by rank, so it can be filtered further and its ``.df()``
has a ``score`` column. Iterated as it is, a result of a registry's default
queryset fetches its records with SQL compiled once per registry (``_Fetch``),
the same records that its query gives.

Example:
    >>> ln.ULabel.search("Candidate marker").df()
    >>> ln.ULabel.search("T-cel", field="name")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import TYPE_CHECKING, Any

from django.db import connections, models
from django.db.models import BooleanField, FloatField, IntegerField
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable

from . import errors
from .introspect import is_text_field, name_field, text_fields
from .ranking import (
    SearchQuery,
    rank_values,
    score_row,
    score_synonyms,
    score_text,
    word_match,
    word_points,
)
from .search_candidates import Candidates, gather, plain_queryset

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


def _check_string(string: Any) -> str:
    if string is None:
        raise errors.InvalidArgument(
            "Cannot search for None value! Please pass a valid string: search() needs a string to search "
            "for, got None; e.g. ln.ULabel.search('T cell')"
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
    # how the result's records are fetched while it is unchanged (_Fetch), else None
    fetch: Any = dataclass_field(default=None, repr=False, compare=False)

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
    found = Candidates(query, value_fields, synonyms, fuzzy_fields)
    gather(qs, query, fields, named, found, limit)
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
        # what annotate() and order_by() do, on the clone that filter() made: without two more
        # clones and annotate()'s check of the name against every field (search_queryset chose a free one)
        query = result.query
        query.add_annotation(RawSQL(score_sql, score_params, output_field=FloatField()), meta.annotation, select=True)
        query.clear_ordering(force=True, clear_default=False)
        query.add_ordering(RawSQL(rank_sql, rank_params, output_field=IntegerField()).asc())
        fetch = _fetch(qs)
        if fetch is not None:
            meta.fetch = (fetch, result.query, top)
            result._iterable_class = _SearchIterable
    result._search_meta = meta
    return result


_MARK = "__lamindb_search_ids__"
# the statements that fetch the records of a registry's default queryset, by (registry,
# database alias, vendor): compiling the result's query took a fifth of a typo search
_FETCHES: dict[tuple, _Fetch | None] = {}


def _fetch(qs) -> _Fetch | None:
    """The :class:`_Fetch` of a registry's default queryset; None for any other queryset, or
    for one whose records the ORM must put together (see ``_Fetch``)."""
    if not plain_queryset(qs):
        return None
    key = (qs.model, qs.db, connections[qs.db].vendor)
    if key not in _FETCHES:
        fetch = _Fetch(qs)
        _FETCHES[key] = fetch if fetch.plain else None
    return _FETCHES[key]


class _Fetch:
    """``qs.filter(pk__in=<ids>)`` compiled to SQL once; :meth:`records` runs it with the ids of
    a search result, and makes the records as Django's ``ModelIterable`` does (``from_db``, the
    database's and the fields' converters), with the score set from the ranking and in its
    order: the same records as the result's query (scores in CASEs, ordered by a CASE) gives.
    ``plain`` is False where the query selects anything but the registry's own fields."""

    def __init__(self, qs):
        meta = qs.model._meta
        query = qs.filter(RawSQL(_MARK, [], output_field=BooleanField())).query
        compiler = query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        head, found, tail = sql.partition(_MARK)
        alias = next(iter(query.alias_map), None)
        klass_info = compiler.klass_info or {}
        fields = klass_info.get("select_fields") or []
        self.plain = bool(
            found and _MARK not in tail and alias is not None and query.alias_map[alias].table_name == meta.db_table
            and fields == list(range(len(compiler.select))) and compiler.col_count == len(compiler.select)
            and not klass_info.get("related_klass_infos") and not compiler.annotation_col_map
        )
        n_head = sum(1 for m in re.findall(r"%%|%s", head) if m == "%s")
        self.head, self.tail = head, tail
        self.params_head, self.params_tail = list(params[:n_head]), list(params[n_head:])
        self.model = qs.model
        self.init_list = [column[0].target.attname for column in compiler.select]
        self.expressions = [column[0] for column in compiler.select]
        quote = connections[qs.db].ops.quote_name
        self.pk = f"{quote(alias or meta.db_table)}.{quote(meta.pk.column)}"
        # the converters of the connection that asked last (they cost 40 µs to gather)
        self.converters: tuple[Any, list] = (None, [])

    def records(self, db: str, top: list[tuple[Any, float]], annotation: str) -> list:
        """The records of ``top`` (``(pk, score)``, best first) that still exist, in that order,
        each with its score as ``annotation``."""
        connection = connections[db]
        ids = [pk for pk, _ in top]
        if all(type(pk) is int for pk in ids):
            # literals: the driver need not parse a statement with a placeholder per id
            where, where_params = f"{self.pk} IN ({', '.join(map(str, ids))})", []
        else:
            where, where_params = f"{self.pk} IN ({', '.join(['%s'] * len(ids))})", ids
        with connection.cursor() as cursor:
            cursor.execute(self.head + where + self.tail, [*self.params_head, *where_params, *self.params_tail])
            rows = cursor.fetchall()
        known, converters = self.converters
        if known is not connection:
            converters = [
                (i, convs, expression)
                for i, expression in enumerate(self.expressions)
                for convs in [connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)]
                if convs
            ]
            self.converters = (connection, converters)
        scores = dict(top)
        rank = {pk: i for i, pk in enumerate(ids)}
        records = []
        for row in rows:
            if converters:
                row = list(row)
                for i, convs, expression in converters:
                    value = row[i]
                    for convert in convs:
                        value = convert(value, expression, connection)
                    row[i] = value
            record = self.model.from_db(db, self.init_list, row)
            setattr(record, annotation, float(scores[record.pk]))
            records.append(record)
        records.sort(key=lambda record: rank[record.pk])
        return records


class _SearchIterable(ModelIterable):
    """How a search result yields its records: while its query is the one that ``_result``
    made (not filtered, sliced or ordered since: a clone has a query of its own), through its
    :class:`_Fetch`; else as any queryset does."""

    def __iter__(self):
        queryset = self.queryset
        meta = queryset._search_meta
        fetch = meta.fetch if meta is not None else None
        if fetch is None or queryset._deferred_filter or queryset._query is not fetch[1]:
            yield from super().__iter__()
            return
        yield from fetch[0].records(queryset.db, fetch[2], meta.annotation)


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
