"""Registries and records as the browsers query and show them: plain functions over the ORM.

The widget browser (``lamindb_jupyter.widgets``) and the REST handlers
(``lamindb_jupyter.server.handlers``) both turn a user's choices (a registry
name, a search text, filter conditions, a page) into queries here, and read
records through here, so both show the same records in the same order, the same
way. Nothing here builds SQL: field names are checked against the registry and
conditions are Django lookups, checked against the lookups Django has for the
field. What a registry is made of is ``lamindb_core.introspect``'s; how a value
reads is ``lamindb_core.render``'s.

Example:
    >>> from lamindb_core.browsing import Condition, build_query, fetch_page
    >>> from lamindb_core.introspect import registry_by_name
    >>> model = registry_by_name("ULabel")
    >>> qs = build_query(model, search="Cand", conditions=[Condition("is_concept", "exact", "False")])
    >>> page = fetch_page(qs, offset=0, limit=20)
    >>> page.rows, page.has_more
    >>> record_detail(get_record(model, page.ids[0]))["describe"]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import errors
from .introspect import (
    display_field_names,
    field_help,
    is_text_field,
    is_visible,
    lookups_for,
    module_of,
    name_field,
    offered_lookups,
    operator_word,
    python_name,
    resolve_path,
    to_many_relations,
    to_one_relations,
    variable_name,
)
from .lineage_render import BOX_HEIGHT as LINEAGE_BOX_HEIGHT
from .render import record_items, record_label, tree_text, value_json, value_repr

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BIGINT_MAX",
    "BIGINT_MIN",
    "FALSE_WORDS",
    "HIDDEN_COLUMNS",
    "MAX_LIMIT",
    "MAX_LINEAGE_DISTANCE",
    "MAX_OFFSET",
    "MAX_SEARCH_LIMIT",
    "RELATED_SHOWN",
    "SEARCH_LIMIT",
    "TRUE_WORDS",
    "Condition",
    "Page",
    "QueryError",
    "build_query",
    "check_lineage",
    "check_order",
    "check_page",
    "condition_q",
    "describe_record",
    "fetch_page",
    "filter_fields",
    "get_record",
    "has_lineage",
    "include_paths",
    "page_records",
    "parse_filter",
    "record_detail",
    "record_lineage",
    "record_path",
    "registry_info",
    "supports_features",
    "whole_number",
]

# how many ranked search results can be paged through, unless a page asks for more
SEARCH_LIMIT = 1000
# however far a page reaches, a search ranks at most this many records: a search's
# queries fetch a multiple of its limit, and the databases count in bigints
MAX_SEARCH_LIMIT = 1_000_000
# PostgreSQL's bigint, the widest integer a column, a LIMIT or an OFFSET holds (SQLite's too)
BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
MAX_OFFSET = BIGINT_MAX
# a whole number as the databases read it: digits 0-9, no "²", "١٢" or "1_000" as int() takes
WHOLE_NUMBER = re.compile(r"([+-]?)0*([0-9]+)", re.ASCII)
# df() columns that the browsers leave out: bookkeeping, not data
HIDDEN_COLUMNS = {"aux", "space_id", "_branch_code"}
# the largest page
MAX_LIMIT = 1000
# the words a yes/no value may be typed as (case-insensitive)
TRUE_WORDS = {"true", "yes", "1", "y", "t"}
FALSE_WORDS = {"false", "no", "0", "n", "f"}
# the records of a to-many relation listed in a record's details
RELATED_SHOWN = 5
# how many steps a lineage graph may follow each way (``view_lineage(distance=...)``)
MAX_LINEAGE_DISTANCE = 20


class QueryError(errors.InvalidArgument):
    """A registry, field, lookup or value that the browsers cannot use; the message says why."""


def _shown(sign: str, digits: str) -> str:
    # a number of thousands of digits is cut: int() would not even print it
    return sign + (digits if len(digits) <= 30 else f"{digits[:20]}… ({len(digits)} digits)")


def whole_number(text: str, what: str, low: int = BIGINT_MIN, high: int = BIGINT_MAX) -> int:
    """``text`` as an integer: the digits 0-9 with an optional sign, from ``low`` to ``high``.

    ``int()`` also reads ``"١٢"``, ``"1_000"`` and numbers beyond any database
    column; this is what a page offset, a limit or a record id may be.

    Raises:
        QueryError: ``"offset must be a whole number (digits 0-9), got '²'"`` or
            ``"offset must be between 0 and 9223372036854775807, got 9223372036854775808"``.

    Example:
        >>> whole_number("20", "limit", 1, MAX_LIMIT)
        20
    """
    match = WHOLE_NUMBER.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        shown = text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…"
        raise QueryError(f"{what} must be a whole number (digits 0-9), got {shown!r}")
    sign, digits = match.groups()
    sign = "" if sign == "+" or digits == "0" else sign
    value = int(sign + digits) if len(digits) <= 20 else None
    if value is None or not low <= value <= high:
        raise QueryError(f"{what} must be between {low} and {high}, got {_shown(sign, digits)}")
    return value


# -- registries --------------------------------------------------------------


def supports_features(model: type[models.Model]) -> bool:
    """Whether ``df(features=True)`` works for the registry (``Artifact``)."""
    return getattr(model._default_manager.all(), "supports_features", False)


def filter_fields(model: type[models.Model]) -> list[str]:
    """The fields a filter row offers: the registry's own fields, then the name of
    each record it points to (``created_by__name``, ``run__name``)."""
    simple = {f.name for f in model._meta.concrete_fields if not f.is_relation and is_visible(f)}
    names = [name for name in display_field_names(model) if name in simple]
    names += [f"{f.name}__{name_field(f.related_model)}" for f in to_one_relations(model)]
    return names


def include_paths(model: type[models.Model]) -> list[str]:
    """Related fields that ``df(include=...)`` can add: one per relation, its name
    field (``created_by__name``, ``ulabels__name``, ``parents__name``)."""
    paths = [f"{f.name}__{name_field(f.related_model)}" for f in to_one_relations(model)]
    paths += [f"{f.name}__{name_field(f.related_model)}" for f in to_many_relations(model)]
    return paths


def registry_info(model: type[models.Model], name: str | None = None) -> dict[str, Any]:
    """What the browsers need to know about a registry, as JSON-able data: its filter
    fields, the lookups the panel offers for each and what each holds (``help``, from the
    fields' ``help_text``), the relations it can include, whether its records have a lineage
    graph, how a notebook names it (``ln.ULabel``, ``ulabel``)."""
    fields = filter_fields(model)
    return {
        "name": name or model.__name__,
        "module": module_of(model),
        "label": model._meta.label,
        "display_field": name_field(model),
        "fields": fields,
        "lookups": {path: offered_lookups(model, path) for path in fields},
        "help": {path: field_help(model, path) for path in fields},
        "include": include_paths(model),
        "features": supports_features(model),
        "lineage": has_lineage(model),
        "searchable": hasattr(model, "search"),
        "python": python_name(model),
        "variable": variable_name(model),
    }


# -- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One filter: a field, a Django lookup and a value, as in
    ``Condition("name", "startswith", "Cand")`` for ``.filter(name__startswith="Cand")``.

    ``lookup`` is any lookup Django has for the field (``lookups_for``), or ``ne``
    (not equal: it excludes). The widget's filter rows send the lookups of their
    words (``introspect.OPERATORS``: ``starts with`` is ``istartswith``). ``value`` is
    text as a user types it; it is converted to the field's type (a list separated by
    commas for ``in``, two for ``range``, yes or no for ``isnull``).
    """

    field: str
    lookup: str
    value: Any = ""


def _parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise QueryError(f"{what}: expected yes or no (true/false), got {value!r}")


def _convert(target: models.Field | None, value: Any, what: str) -> Any:
    if target is None:  # the primary key of a related registry
        target = models.IntegerField()
    if isinstance(target, models.BooleanField):
        return _parse_bool(value, what)
    if isinstance(value, str) and not is_text_field(target):
        value = value.strip()
        if value == "":
            raise QueryError(f"{what}: a value is missing")
    if isinstance(target, models.IntegerField):
        return _convert_integer(value, what)
    try:
        converted = target.to_python(value)
    except DjangoValidationError as exc:
        raise QueryError(f"{what}: {' '.join(exc.messages)}") from None
    if isinstance(converted, dt.datetime) and timezone.is_naive(converted):
        converted = timezone.make_aware(converted, dt.timezone.utc)
    return converted


def _convert_integer(value: Any, what: str) -> int:
    # Django's IntegerField.to_python is int(): it reads "١٢" as 12 and any number of digits
    if isinstance(value, str):
        match = WHOLE_NUMBER.fullmatch(value)
        if match is None:
            raise QueryError(f"{what}: “{value}” value must be an integer.")
        sign, digits = match.groups()
        if len(digits) > 20:
            raise QueryError(
                f"{what}: {_shown(sign, digits)} is out of range: whole numbers from {BIGINT_MIN} to {BIGINT_MAX}"
            )
        value = int(sign + digits)
    elif not isinstance(value, int) or isinstance(value, bool):
        raise QueryError(f"{what}: {value!r} is not a whole number")
    if not BIGINT_MIN <= value <= BIGINT_MAX:
        raise QueryError(f"{what}: {value} is out of range: whole numbers from {BIGINT_MIN} to {BIGINT_MAX}")
    return value


def _no_filter_field(model: type[models.Model], path: str) -> QueryError:
    allowed = filter_fields(model)
    return QueryError(
        f"{model.__name__} has no filter field {path!r}."
        f"{errors.closest_match_hint(path, allowed)} Fields: {', '.join(allowed)}"
    )


def _items(value: Any) -> list:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [v.strip() if isinstance(v, str) else v for v in items if str(v).strip()]


def _lookup_value(target: models.Field, lookup: str, value: Any, what: str) -> Any:
    if lookup == "isnull":
        return True if value in ("", None) else _parse_bool(value, what)
    if lookup == "in":
        items = [_convert(target, v, what) for v in _items(value)]
        if not items:
            raise QueryError(f"{what}: list the values, separated by commas")
        return items
    if lookup == "range":
        items = [_convert(target, v, what) for v in _items(value)]
        if len(items) != 2:
            raise QueryError(f"{what}: give the lowest and the highest value, separated by a comma")
        return tuple(items)
    known = target.get_lookup(lookup) if lookup != "ne" else None
    if known is not None and not known.prepare_rhs and not is_text_field(target):
        # a pattern (contains, regex) compares the field's text: the value stays text
        return str(value)
    return _convert(target, value, what)


def condition_q(model: type[models.Model], condition: Condition) -> Q:
    """The ``Q`` of a filter: ``Q(name__startswith="Cand")``; for ``ne``, ``~Q(name__exact=...)``.

    Raises:
        QueryError: an unknown field or lookup (naming the valid ones), or a value that
            does not fit the field.
    """
    if condition.field not in filter_fields(model):
        raise _no_filter_field(model, condition.field)
    target, _ = resolve_path(model, condition.field)
    valid = lookups_for(target)
    lookup = condition.lookup
    if lookup not in valid:
        raise QueryError(errors.unknown_lookup(target.model.__name__, target.name, lookup, valid, listed=True))
    what = f"{condition.field} {operator_word(lookup)}"
    value = _lookup_value(target, lookup, condition.value, what)
    if lookup == "ne":
        return ~Q(**{f"{condition.field}__exact": value})
    return Q(**{f"{condition.field}__{lookup}": value})


def parse_filter(model: type[models.Model], key: str, value: Any) -> Condition:
    """A query argument of the REST API as a condition, passed through as Django reads
    it: ``name__startswith=Cand`` → ``Condition("name", "startswith", "Cand")``, and
    ``name=Cand`` → ``Condition("name", "exact", "Cand")``.

    The longest start of ``key`` that is a filter field (``created_by__name``) is the
    field; what follows is the lookup, which ``condition_q`` checks.

    Raises:
        QueryError: no start of ``key`` is a filter field; the message names the closest.
    """
    allowed = set(filter_fields(model))
    parts = key.split("__")
    for n in range(len(parts), 0, -1):
        path = "__".join(parts[:n])
        if path in allowed:
            return Condition(path, "__".join(parts[n:]) or "exact", value)
    path, _, last = key.rpartition("__")
    # name the field that is missing, not the lookup after it (nme__gt: 'nme')
    raise _no_filter_field(model, path if path and last in lookups_for(None) else key)


# -- queries ---------------------------------------------------------------------------


def check_order(model: type[models.Model], order_by: Iterable[str]) -> list[str]:
    """The sort keys of a table (``name``, ``-created_at``, ``created_by__handle``): the
    registry's filter fields, each with an optional ``-`` for descending.

    Raises:
        QueryError: a field the registry has not; the message names the closest.
    """
    allowed = filter_fields(model)
    keys = []
    for key in order_by:
        key = key.strip()
        name = key[1:] if key.startswith("-") else key
        if name not in allowed:
            raise QueryError(
                f"{model.__name__} cannot be sorted by {name!r}.{errors.closest_match_hint(name, allowed)} "
                f"Fields: {', '.join(allowed)}"
            )
        keys.append(key)
    return keys


def build_query(
    model: type[models.Model],
    search: str = "",
    conditions: Iterable[Condition] = (),
    search_limit: int = SEARCH_LIMIT,
    order_by: Sequence[str] = (),
):
    """The records that match the conditions and the search text, best first.

    A search uses the registry's ``search`` where it has one (ranked by relevance,
    at most ``search_limit`` records) and otherwise keeps the records whose name
    field contains the text, newest first. Without a search, the newest records
    come first. ``order_by`` (``["name"]``, ``["-created_at"]``) sorts instead, the
    newest first among equal values, so pages never overlap.

    Raises:
        QueryError: a condition or sort key that does not fit the registry.
    """
    keys = check_order(model, order_by)
    qs = model.filter()
    for condition in conditions:
        qs = qs.filter(condition_q(model, condition))
    text = (search or "").strip()
    if not text:
        qs = qs.order_by("-id")
    elif hasattr(qs, "search"):
        qs = qs.search(text, limit=max(1, min(search_limit if not keys else MAX_SEARCH_LIMIT, MAX_SEARCH_LIMIT)))
    else:
        qs = qs.filter(**{f"{name_field(model)}__icontains": text}).order_by("-id")
    return qs.order_by(*keys, "-id") if keys else qs


@dataclass
class Page:
    """One page of a query: its records as a DataFrame (index ``id``)."""

    df: pd.DataFrame
    offset: int
    limit: int
    has_more: bool
    total: int | None = None
    columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """How many records the page holds."""
        return len(self.df)

    @property
    def ids(self) -> list[int]:
        """The ids of the page's records, in order."""
        return [int(i) for i in self.df.index]


def check_page(offset: int, limit: int) -> None:
    """Raise ``QueryError`` unless ``0 <= offset <= MAX_OFFSET`` and ``1 <= limit <= MAX_LIMIT``."""
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


def fetch_page(
    qs,
    offset: int = 0,
    limit: int = 20,
    include: Sequence[str] = (),
    features: bool = False,
    count: bool = True,
) -> Page:
    """The records ``offset`` to ``offset + limit`` of an ordered query.

    One query for the page (LIMIT/OFFSET, one row more to know whether more
    follow), one per to-many ``include``, and a ``COUNT`` when ``count`` is true
    and more records follow (pass false for a search, whose count can be slow).

    Raises:
        QueryError: a negative offset, a limit out of range, an unknown include path.
    """
    check_page(offset, limit)
    if not qs.ordered:  # a search that found nothing; df() cannot order a sliced query
        qs = qs.order_by("-id")
    try:
        df = qs[offset : offset + limit + 1].df(include=list(include) or None, features=features)
    except errors.InvalidArgument as exc:
        raise QueryError(str(exc)) from None
    has_more = len(df) > limit
    if has_more:
        df = df.iloc[:limit]
    if "id" in df.columns:  # df() of no records lists the id as a column, not as the index
        df = df.set_index("id")
    hidden = [c for c in df.columns if str(c) in HIDDEN_COLUMNS or str(c).startswith("_")]
    if hidden:
        df = df.drop(columns=hidden)
    total = None
    if not has_more and (len(df) or offset == 0):
        total = offset + len(df)
    elif not has_more:
        # past the end: the records are fewer than the offset, so counting them is cheap
        total = qs.count()
    elif count:
        total = qs.count()
    return Page(df=df, offset=offset, limit=limit, has_more=has_more, total=total, columns=[str(c) for c in df.columns])


def page_records(page: Page) -> list[dict[str, Any]]:
    """The rows of a page as JSON-able dicts with ``id`` first (``render.value_json``)."""
    records = []
    for pk, row in zip(page.ids, page.df.itertuples(index=False, name=None)):
        record = {"id": pk}
        record.update({col: value_json(v) for col, v in zip(page.columns, row)})
        records.append(record)
    return records


# -- records ---------------------------------------------------------------------------


def get_record(model: type[models.Model], idlike: int | str):
    """One record by id, uid or uid stub.

    Raises:
        NotFound: no record, or several for a uid stub.
        QueryError: an id that is no whole number in the digits 0-9 (``"²"``), or is beyond
            the largest id a database holds.
    """
    if isinstance(idlike, str) and idlike.isdigit():  # also "²" and "١٢", refused here
        idlike = whole_number(idlike, "a record id", 1, BIGINT_MAX)
    elif isinstance(idlike, int) and not isinstance(idlike, bool) and not 1 <= idlike <= BIGINT_MAX:
        raise QueryError(f"a record id must be between 1 and {BIGINT_MAX}, got {idlike}")
    try:
        return model.filter().get(idlike)
    except errors.DoesNotExist:
        raise errors.NotFound(f"no {model.__name__} record with id or uid {idlike!r}") from None
    except errors.MultipleResultsFound:
        raise errors.NotFound(f"{idlike!r} matches several {model.__name__} records; give the full uid") from None
    except errors.InvalidArgument as exc:
        raise errors.NotFound(str(exc)) from None


def record_path(record: models.Model) -> str | None:
    """Where a record's data is, as text: an artifact's ``path`` (``/home/me/data/.lamindb/<uid>.csv``
    or ``s3://my-bucket/lamin/.lamindb/<uid>.csv``); None for a record without data in a storage.
    Nothing is read from the storage."""
    if not isinstance(getattr(type(record), "path", None), property) or getattr(record, "storage_id", None) is None:
        return None
    return str(record.path)


def record_detail(record: models.Model) -> dict[str, Any]:
    """A record's fields and relations as JSON-able data, for the detail panes.

    The fields are ``render.record_items`` without foreign keys; to-one relations give
    the related record's label, to-many relations their count and the first few labels
    (one query each, never one per related record); ``path`` is ``record_path``.
    """
    model = type(record)
    fields = [{"name": name, "value": value_json(value)} for name, value in record_items(record, relations=False, missing=True)]
    relations = []
    for f in to_one_relations(model):
        related = getattr(record, f.name) if getattr(record, f.attname) is not None else None
        relations.append({
            "name": f.name,
            "registry": f.related_model.__name__,
            "many": False,
            "count": int(related is not None),
            "records": [{"id": related.pk, "label": record_label(related)}] if related is not None else [],
        })
    for f in to_many_relations(model):
        manager = getattr(record, f.get_accessor_name() if f.auto_created else f.name)
        shown = list(manager.all().order_by("-pk")[: RELATED_SHOWN + 1])
        count = len(shown) if len(shown) <= RELATED_SHOWN else manager.count()
        relations.append({
            "name": f.name,
            "registry": f.related_model.__name__,
            "many": True,
            "count": count,
            "records": [{"id": r.pk, "label": record_label(r)} for r in shown[:RELATED_SHOWN]],
        })
    return {
        "registry": model.__name__,
        "id": record.pk,
        "uid": getattr(record, "uid", None),
        "label": record_label(record),
        "path": record_path(record),
        "fields": fields,
        "relations": relations,
        "describe": describe_record(record, relations=relations),
    }


def describe_record(record: models.Model, relations: list[dict[str, Any]] | None = None) -> str:
    """``record.describe()`` as text: for an ``Artifact`` its fields, provenance,
    features and labels (``artifact.describe(return_str=True)``); for other
    registries its fields (as ``repr`` writes them) and relations in the same tree.

    Args:
        record: The record.
        relations: Its relations as ``record_detail`` lists them, if at hand.
    """
    model = type(record)
    if supports_features(model):
        return record.describe(return_str=True)
    if relations is None:
        relations = record_detail(record)["relations"]
    general = [f".{name} = {value_repr(value)}" for name, value in record_items(record, relations=False) if value != ""]
    linked = []
    for rel in relations:
        if not rel["records"]:
            continue
        names = ", ".join(r["label"] for r in rel["records"])
        more = rel["count"] - len(rel["records"])
        if more > 0:
            names += f", … ({more} more)"
        linked.append(f".{rel['name']}  {rel['registry']}  {names}")
    return tree_text(f"{model.__name__} {record_label(record)}", [("General", general), ("Relations", linked)])


def has_lineage(model: type[models.Model]) -> bool:
    """Whether records of ``model`` have a lineage graph (``view_lineage()``): artifacts,
    collections, runs and transforms."""
    return callable(getattr(model, "view_lineage", None))


def check_lineage(model: type[models.Model]) -> None:
    """Raise ``QueryError`` unless records of ``model`` have a lineage graph.

    Example:
        >>> check_lineage(registry_by_name("ULabel"))
        QueryError: ULabel records have no lineage: only Artifact, Collection, Run and Transform records have one
    """
    if not has_lineage(model):
        raise QueryError(
            f"{model.__name__} records have no lineage: only Artifact, Collection, Run and Transform records have one"
        )


def record_lineage(record: models.Model, distance: int = 5, with_children: bool = True,
                   svg: bool = True) -> dict[str, Any]:
    """A record's lineage as the browsers show it: ``view_lineage().to_dict()`` with, for each
    node, its record's id and a note (why it is stale, or that a newer version exists); where
    the drawing places each box (``layout``), and the drawing itself (``svg``), so a face can
    show it and make each box open its record.

    Args:
        record: A saved artifact, collection, run or transform.
        distance: Steps (a run and what it read or made) to follow each way, 1 to 20.
        with_children: Follow what was made from the record too.
        svg: Add the SVG drawing.

    Returns:
        ``{"registry", "id", "focus", "nodes": [{"id", "registry", "uid", "label", "stale",
        "note", "record_id"}], "edges": [{"source", "target"}], "more", "layout": {"width",
        "height", "boxes": [{"id", "x", "y", "width", "height", "title", "label"}]}, "svg"}``;
        a box whose ``id`` is no node's (``"more:2"``) stands for the nodes a crowded layer
        leaves out.

    Raises:
        QueryError: records of this registry have no lineage, or a distance out of range.

    Example:
        >>> data = record_lineage(get_record(registry_by_name("Artifact"), "Wd3Fm2Zk"))
        >>> [(n["registry"], n["record_id"]) for n in data["nodes"]]
        [('Artifact', 12), ('Run', 3), ('Artifact', 11)]
    """
    model = type(record)
    check_lineage(model)
    if not 1 <= distance <= MAX_LINEAGE_DISTANCE:
        raise QueryError(f"distance must be between 1 and {MAX_LINEAGE_DISTANCE}, got {distance}")
    graph = record.view_lineage(with_children=with_children, distance=distance)
    data = graph.to_dict()
    for node in data["nodes"]:
        node["note"] = graph.node(node["id"]).note
        node["record_id"] = int(node["id"].rpartition(":")[2])
    placed = graph.layout()
    height = LINEAGE_BOX_HEIGHT
    data["layout"] = {
        "width": placed.width,
        "height": placed.height,
        "boxes": [
            {"id": box.id, "x": box.x, "y": box.y, "width": box.width, "height": height,
             "title": box.title, "label": box.label}
            for box in placed.boxes.values()
        ],
    }
    if svg:
        data["svg"] = graph.to_svg()
    return {"registry": model.__name__, "id": record.pk, **data}
