"""How a record reads: which of its fields are shown, in which order, and how a value reads
as text or as JSON.

``repr(record)``, the notebook's HTML table of a record, the widget browser's cells and
details, and the REST API's records all render through here, so a value reads the same
everywhere: ``2025-01-12 14:05:49 UTC``, a set of labels ``DMSO, IFNG`` in the order
``df()`` prints it, a missing value as nothing.

Example:
    >>> label = ln.ULabel.get(name="DMSO")
    >>> record_items(label)[:2]
    [('uid', 'C5PU6WG7'), ('name', 'DMSO')]
    >>> value_text({"IFNG", "DMSO"}), value_json(label.created_at)
    ('DMSO, IFNG', '2025-01-12T14:05:49.123456+00:00')
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

from django.db import models

from .introspect import display_field_names, name_field
from .valueset import sorted_values

__all__ = [
    "datetime_text",
    "record_items",
    "record_label",
    "record_repr",
    "shown_fields",
    "tree_text",
    "value_json",
    "value_repr",
    "value_text",
]

# a record's own fields that are not shown as data: its database id (the faces show it on
# their own), bookkeeping, and the time of the last update
NOT_SHOWN = frozenset({"id", "aux", "created_at", "updated_at"})


def shown_fields(model: type[models.Model], relations: bool = True) -> list[models.Field]:
    """The fields a record shows, in order: its own fields as ``df()`` orders them
    (``uid`` first), then its foreign keys alphabetically, then ``created_at``.

    ``id``, ``aux``, ``updated_at`` and private fields (``_branch_code``) are left out,
    as LaminDB's repr does.

    Args:
        model: The registry.
        relations: Whether the foreign keys are shown (as ``created_by_id``); the REST
            API's details list them as relations instead.

    Example:
        >>> [f.attname for f in shown_fields(ln.ULabel)]
        ['uid', 'name', 'is_concept', 'description', 'reference', 'reference_type',
         'created_by_id', 'run_id', 'space_id', 'created_at']
    """
    key = "_shown_fields" if relations else "_shown_own_fields"
    cached = model.__dict__.get(key)
    if cached is not None:
        return list(cached)
    concrete = model._meta.concrete_fields
    own = {f.name: f for f in concrete if not f.is_relation}
    shown = [
        own[name] for name in display_field_names(model)
        if name in own and name not in NOT_SHOWN and not name.startswith("_")
    ]
    if relations:
        shown += sorted((f for f in concrete if f.is_relation and not f.name.startswith("_")), key=lambda f: f.attname)
    if "created_at" in own:
        shown.append(own["created_at"])
    setattr(model, key, tuple(shown))
    return shown


def record_items(record: models.Model, relations: bool = True, missing: bool = False) -> list[tuple[str, Any]]:
    """The ``(name, value)`` pairs a record shows, as ``shown_fields`` orders them; a
    foreign key by its id (``created_by_id``).

    Fields that were not loaded (``only()``, ``defer()``) are left out, so showing a
    record never queries.

    Args:
        record: The record.
        relations: Whether foreign keys are included.
        missing: Whether fields whose value is None are included.
    """
    deferred = record.get_deferred_fields()
    items = []
    for field in shown_fields(type(record), relations):
        if field.attname in deferred:
            continue
        value = getattr(record, field.attname, None)
        if value is None and not missing:
            continue
        items.append((field.attname, value))
    return items


def record_repr(record: models.Model) -> str:
    """``ULabel(uid='C5PU6WG7', name='Candidate marker study 1', is_concept=False, created_by_id=1, run_id=1, space_id=1, created_at=2025-01-12 14:05:49 UTC)``.

    The fields of ``record_items``: fields that are None are left out.
    """
    parts = [f"{name}={value_repr(value)}" for name, value in record_items(record)]
    return f"{type(record).__name__}({', '.join(parts)})"


def record_label(record: models.Model) -> str:
    """The words that name a record in a list: the value of its name field
    (``DMSO``), or the registry and id (``FeatureValue 3``) where that is empty or the
    registry has no field that names its records."""
    model = type(record)
    field = name_field(model)
    value = getattr(record, field, None) if field != model._meta.pk.name else None
    return str(value) if value not in (None, "") else f"{model.__name__} {record.pk}"


# -- values --------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    # None, NaN and pandas' NaT (which is a datetime that cannot be formatted)
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ == "NaTType"


def datetime_text(value: dt.datetime) -> str:
    """``2025-01-12 14:05:49 UTC``: to the second, with the zone when it has one."""
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def value_text(value: Any) -> str:
    """A value as the text of a table cell: None and NaN empty, ``True``/``False``, a
    datetime to the second, a set sorted as ``df()`` prints it and joined, JSON as JSON.

    Example:
        >>> value_text({10, 9, None}), value_text(None), value_text(False)
        ('9, 10', '', 'False')
    """
    if _missing(value):
        return ""
    if isinstance(value, (set, frozenset)):
        # in the order of df()'s cells (ValueSet): 9 before 10, False before True
        items = [value_text(v) for v in sorted_values(value) if v is not None]
        return ", ".join(i for i in items if i)
    if isinstance(value, (list, tuple)):
        items = [value_text(v) for v in value if v is not None]
        return ", ".join(i for i in items if i)
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def value_repr(value: Any) -> str:
    """A field's value as ``repr(record)`` and ``describe()`` write it: text in quotes
    (``'DMSO'``), a datetime to the second (``2025-01-12 14:05:49 UTC``), anything else
    as ``str`` (``False``, ``21.5``, ``2024-05-01``)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    return str(value)


def value_json(value: Any) -> Any:
    """A value as JSON-able data for the REST API: NaN as null, a datetime in ISO 8601,
    a set as a list in the order ``df()`` prints it, numpy scalars as numbers.

    Example:
        >>> value_json({"IFNG", "DMSO"}), value_json(float("nan"))
        (['DMSO', 'IFNG'], None)
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if _missing(value):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        # a JSON list in the order of df()'s cells (ValueSet), whatever the types
        return [value_json(v) for v in sorted_values(value) if v is not None]
    if isinstance(value, (list, tuple)):
        return [value_json(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {str(k): value_json(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalars
        return value_json(value.item())
    return str(value)


def tree_text(title: str, sections: list[tuple[str, list]]) -> str:
    """A title and its sections as a tree drawn with box characters; empty sections are left out.

    An item is a line, or a ``(line, [items])`` pair whose items are drawn below it.

    Example:
        >>> print(tree_text("Artifact .h5ad", [("General", [".uid = 'jGN3...'"]), ("Labels", [])]))
        Artifact .h5ad
        └── General
            └── .uid = 'jGN3...'
    """
    lines = [title]
    _tree_lines(lines, "", [(name, items) for name, items in sections if items])
    return "\n".join(lines)


def _tree_lines(lines: list[str], prefix: str, items: list) -> None:
    for i, item in enumerate(items):
        last = i == len(items) - 1
        label, children = item if isinstance(item, tuple) else (item, [])
        lines.append(f"{prefix}{'└──' if last else '├──'} {label}")
        if children:
            _tree_lines(lines, prefix + ("    " if last else "│   "), children)
