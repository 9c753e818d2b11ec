"""Registries and records as the browsers show them: JSON for the REST API, text for the widget.

The queries (which registry, which records, which page) are ``lamindb_core.browsing``'s;
this module only shapes what they return for the JupyterLab panel and the widget
browser, so both show the same values the same way.

Example:
    >>> from lamindb_core.browsing import build_query, fetch_page, get_record
    >>> from lamindb_core.introspect import registry_by_name
    >>> model = registry_by_name("ULabel")
    >>> page = fetch_page(build_query(model, search="Cand"), offset=0, limit=20)
    >>> page_records(page)                      # JSON-able dicts, ``id`` first
    >>> record_detail(get_record(model, page.ids[0]))["describe"]
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

from django.db import models

from lamindb_core.browsing import Page, filter_fields, include_paths, supports_features
from lamindb_core.features import describe_artifact, tree_text
from lamindb_core.introspect import (
    display_field_names,
    is_visible,
    module_of,
    name_field,
    python_name,
    to_many_relations,
    to_one_relations,
    variable_name,
)
from lamindb_core.valueset import sorted_values

__all__ = [
    "describe_record",
    "format_value",
    "page_records",
    "record_detail",
    "registry_info",
]

# the records of a to-many relation listed in a record's details
RELATED_SHOWN = 5


def registry_info(model: type[models.Model], name: str | None = None) -> dict[str, Any]:
    """What the browsers need to know about a registry, as JSON-able data."""
    return {
        "name": name or model.__name__,
        "module": module_of(model),
        "label": model._meta.label,
        "display_field": name_field(model),
        "fields": filter_fields(model),
        "include": include_paths(model),
        "features": supports_features(model),
        "searchable": hasattr(model, "search"),
        "python": python_name(model),
        "variable": variable_name(model),
    }


def format_value(value: Any) -> str:
    """A value as text for a table cell: sets sorted and joined, None and NaN empty, ``True``/``False``."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (set, frozenset)):
        # in the order of df()'s cells (ValueSet): 9 before 10, False before True
        items = [format_value(v) for v in sorted_values(value) if v is not None]
        return ", ".join(i for i in items if i)
    if isinstance(value, (list, tuple)):
        items = [format_value(v) for v in value if v is not None]
        return ", ".join(i for i in items if i)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        # a JSON list in the order of df()'s cells (ValueSet), whatever the types
        return [_jsonable(v) for v in sorted_values(value) if v is not None]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return str(value)


def page_records(page: Page) -> list[dict[str, Any]]:
    """The rows of a page as JSON-able dicts with ``id`` first."""
    records = []
    for pk, row in zip(page.ids, page.df.itertuples(index=False, name=None)):
        record = {"id": pk}
        record.update({col: _jsonable(v) for col, v in zip(page.columns, row)})
        records.append(record)
    return records


def _simple_fields(model: type[models.Model]) -> list[models.Field]:
    # the registry's own fields in df()'s order, then updated_at, which df() leaves out
    by_name = {f.name: f for f in model._meta.concrete_fields if not f.is_relation and is_visible(f) and f.name != "id"}
    names = [n for n in display_field_names(model) if n in by_name]
    return [by_name[n] for n in names] + [f for n, f in by_name.items() if n not in names]


def _label(record: models.Model) -> str:
    value = getattr(record, name_field(type(record)), None)
    return str(value) if value not in (None, "") else f"{type(record).__name__} {record.pk}"


def record_detail(record: models.Model) -> dict[str, Any]:
    """A record's fields and relations as JSON-able data, for the detail panes.

    To-one relations give the related record's name; to-many relations their
    count and the first few names (one query each, never one per related record).
    """
    model = type(record)
    fields = [{"name": f.name, "value": _jsonable(getattr(record, f.attname))} for f in _simple_fields(model)]
    relations = []
    for f in to_one_relations(model):
        related_id = getattr(record, f.attname)
        related = getattr(record, f.name) if related_id is not None else None
        relations.append({
            "name": f.name,
            "registry": f.related_model.__name__,
            "many": False,
            "count": int(related is not None),
            "records": [{"id": related.pk, "label": _label(related)}] if related is not None else [],
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
            "records": [{"id": r.pk, "label": _label(r)} for r in shown[:RELATED_SHOWN]],
        })
    return {
        "registry": model.__name__,
        "id": record.pk,
        "uid": getattr(record, "uid", None),
        "label": _label(record),
        "fields": fields,
        "relations": relations,
        "describe": describe_record(record, relations=relations),
    }


def describe_record(record: models.Model, relations: list[dict[str, Any]] | None = None) -> str:
    """``record.describe()`` as text: for an ``Artifact`` its fields, provenance,
    features and labels (``lamindb_core.features.describe_artifact``); for other
    registries its fields and relations in the same tree layout.
    """
    model = type(record)
    if supports_features(model):
        return describe_artifact(record)
    if relations is None:
        relations = record_detail(record)["relations"]
    general = []
    for f in _simple_fields(model):
        value = getattr(record, f.attname)
        if value is None or value == "":
            continue
        general.append(f".{f.name} = {format_value(value) if isinstance(value, dt.datetime) else repr(value)}")
    linked = []
    for rel in relations:
        if not rel["records"]:
            continue
        names = ", ".join(r["label"] for r in rel["records"])
        more = rel["count"] - len(rel["records"])
        if more > 0:
            names += f", … ({more} more)"
        linked.append(f".{rel['name']}  {rel['registry']}  {names}")
    return tree_text(f"{model.__name__} {_label(record)}", [("General", general), ("Relations", linked)])
