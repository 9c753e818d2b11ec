"""Values against a registry: ``from_values``, ``validate``, ``inspect``.

``Registry.from_values``, ``Registry.validate`` and ``Registry.inspect`` call
these functions with the registry's queryset. Existing records are found with
one query per chunk of 500 values; names that differ only in case, and
synonyms (for registries with a ``synonyms`` field), are matched through the
text index (``text_index.py``).

Example:
    >>> ln.ULabel.from_values(["DMSO", "IFNG"], create=True).save()
    >>> ln.ULabel.validate(["DMSO", "IFNG", "nope"])
    array([ True,  True, False])
    >>> ln.ULabel.inspect(["DMSO", "dmso"]).synonyms_mapper
    {'dmso': 'DMSO'}
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field as dataclass_field
from typing import TYPE_CHECKING, Any

from django.db.models.functions import Lower

from . import errors, text_index
from .bulk import save as bulk_save
from .logger import logger
from .introspect import is_text_field, name_field
from .search import field_name, search_queryset, synonyms_field

if TYPE_CHECKING:
    import numpy as np

__all__ = ["RecordList", "InspectResult", "from_values", "validate", "inspect", "standardize", "standardize_map"]

CHUNK = 500  # values per query: well under every backend's limit of parameters
MAX_CLOSE = 20  # non-validated values that inspect() looks for close matches of


class RecordList(list):
    """The records of ``from_values``: a list that can save itself.

    Example:
        >>> ln.ULabel.from_values(["DMSO", "IFNG"], create=True).save()
    """

    def save(self, batch_size: int | None = None) -> RecordList:
        """Save the records in one transaction (``ln.save``); return them."""
        bulk_save(self, batch_size=batch_size)
        return self

    def __repr__(self) -> str:
        return "[" + ",\n ".join(repr(r) for r in self) + "]" if len(self) > 1 else super().__repr__()


@dataclass
class InspectResult:
    """What ``inspect`` found.

    Attributes:
        validated: Values that a record holds, exactly.
        non_validated: The others.
        synonyms_mapper: Non-validated values that name a record by a synonym,
            or differ from its name only in case, mapped to that name.
        close_matches: Non-validated values mapped to up to 3 names that search
            finds for them (for the first 20 such values).
    """

    validated: list
    non_validated: list
    synonyms_mapper: dict = dataclass_field(default_factory=dict)
    close_matches: dict = dataclass_field(default_factory=dict)

    @property
    def frac_validated(self) -> float:
        """The fraction of unique values that are validated, 0 to 1."""
        n = len(self.validated) + len(self.non_validated)
        return len(self.validated) / n if n else 1.0

    def __getitem__(self, key: str):
        # LaminDB 1.0's result is read both ways: result.validated, result["validated"]
        if key not in ("validated", "non_validated", "synonyms_mapper", "close_matches", "frac_validated"):
            raise KeyError(key)
        return getattr(self, key)

    def __repr__(self) -> str:
        return (
            f"InspectResult(validated={self.validated!r}, non_validated={self.non_validated!r}, "
            f"synonyms_mapper={self.synonyms_mapper!r}, close_matches={self.close_matches!r})"
        )


def _as_list(values: Any) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        values = [values]
    elif hasattr(values, "tolist"):  # pandas Series and Index, numpy arrays
        values = values.tolist()
    result = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        result.append(value)
    return result


def _field(model, field) -> str:
    if field is None:
        name = name_field(model)
        if not is_text_field(model._meta.get_field(name)):
            raise errors.FieldValidationError(
                f"{model.__name__} has no text field; pass field= one of: "
                f"{', '.join(f.name for f in model._meta.concrete_fields)}"
            )
        return name
    return field_name(model, field)


def _text(model, fname: str, values: list) -> list:
    if is_text_field(model._meta.get_field(fname)):
        return [v if isinstance(v, str) else str(v) for v in values]
    return values


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _holding(qs, fname: str, chunk: list, lower: bool = False):
    """The records of ``qs`` whose ``fname`` is in ``chunk`` (``lower(fname)`` with ``lower``).

    The ids come from a subquery that reads only the field's index, so the
    queryset's other filters (``_branch_code = 1``) cannot lead the planner to
    another index (SQLite did, scanning a million rows).
    """
    inner = qs.model._base_manager.db_manager(qs.db)
    if lower:
        inner = inner.alias(_lower_value=Lower(fname)).filter(_lower_value__in=chunk)
    else:
        inner = inner.filter(**{f"{fname}__in": chunk})
    return qs.filter(pk__in=inner.values("pk"))


def existing_records(qs, values: list, fname: str) -> dict[Any, list]:
    """``{value: [records that hold it]}`` for the values that records hold, exactly."""
    found: dict[Any, list] = {}
    for chunk in _chunks(values):
        for record in _holding(qs, fname, chunk):
            found.setdefault(getattr(record, fname), []).append(record)
    return found


def existing_values(qs, values: list, fname: str) -> set:
    """The values of ``values`` that a record holds, exactly."""
    present: set = set()
    for chunk in _chunks(values):
        present.update(_holding(qs, fname, chunk).values_list(fname, flat=True))
    return present


def standardize_map(qs, values: list, fname: str) -> dict[Any, Any]:
    """``{value: record}`` for values that name a record up to case, or by a synonym.

    Case: ``lower(field) IN (...)``, one query per chunk. Synonyms (registries
    with a ``synonyms`` field, for its name field): the rows whose synonyms
    contain a value, through the text index, checked synonym by synonym.
    """
    model = qs.model
    lowered: dict[str, list] = {}  # "dmso": ["dmso", "Dmso"]
    for v in values:
        if isinstance(v, str):
            lowered.setdefault(v.lower(), []).append(v)
    result: dict[Any, Any] = {}
    if not lowered:
        return result
    for chunk in _chunks(list(lowered)):
        for record in _holding(qs, fname, chunk, lower=True):
            for original in lowered.get(str(getattr(record, fname)).lower(), []):
                result.setdefault(original, record)
    synonyms = synonyms_field(model)
    remaining = {k: vs for k, vs in lowered.items() if vs[0] not in result}
    if synonyms and remaining and fname == name_field(model):
        info = text_index.index_info(qs.db, model._meta.db_table)
        for chunk in _chunks([vs[0] for vs in remaining.values()], 100):
            condition = text_index.contains_condition(qs.db, model, info, [synonyms], chunk)
            if not condition:
                continue
            for record in qs.filter(condition).exclude(**{f"{synonyms}__isnull": True}):
                for synonym in str(getattr(record, synonyms)).split("|"):
                    for original in remaining.get(synonym.strip().lower(), []):
                        result.setdefault(original, record)
    return {v: result[v] for v in values if v in result}  # in the order of the values


def _quoted(values: list, n: int = 10) -> str:
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f", ... ({len(values) - n} more)" if len(values) > n else "")


def from_values(
    qs,
    values: Any,
    field: Any = None,
    create: bool = False,
    organism: Any = None,
    source: Any = None,
    mute: bool = False,
) -> RecordList:
    """Records for ``values``: existing ones first, then new unsaved ones if ``create``.

    See ``Registry.from_values``. A registry that can make records from a
    public source defines ``_records_from_source(values, field, organism,
    source, mute)`` returning ``{value: record}``; it is asked for the values that no
    record holds, before new plain records are made, and prints nothing if ``mute``.
    """
    model = qs.model
    fname = _field(model, field)
    items = _text(model, fname, list(dict.fromkeys(_as_list(values))))
    existing = existing_records(qs, items, fname)
    missing = [v for v in items if v not in existing]
    standardized: dict = {}
    if missing and synonyms_field(model) and fname == name_field(model):
        standardized = standardize_map(qs, missing, fname)
        missing = [v for v in missing if v not in standardized]
    public: dict = {}
    hook = getattr(model, "_records_from_source", None)
    if missing and hook is not None:
        public = hook(missing, field=fname, organism=organism, source=source, mute=mute) or {}
        missing = [v for v in missing if v not in public]
    elif organism is not None or source is not None:
        if hook is None and not hasattr(model, "organism"):
            raise errors.InvalidArgument(f"{model.__name__}.from_values() takes no organism or source")
    created = {v: model(**{fname: v}) for v in missing} if create else {}
    records: list = []
    seen: set = set()
    for v in items:
        for record in existing.get(v) or [standardized.get(v) or public.get(v) or created.get(v)]:
            if record is None:
                continue
            key = (type(record), record.pk) if record.pk is not None else id(record)
            if key not in seen:  # two values that name one record (a synonym) give it once
                seen.add(key)
                records.append(record)
    if not mute:
        parts = [f"{sum(len(r) for r in existing.values())} found by {fname}"]
        if standardized:
            pairs = ", ".join(f"{v!r} → {getattr(r, fname)!r}" for v, r in list(standardized.items())[:5])
            parts.append(f"{len(standardized)} by synonym or case ({pairs})")
        if public:
            parts.append(f"{len(public)} from the public source (not yet saved)")
        if created:
            parts.append(f"{len(created)} created (not yet saved): {_quoted(list(created))}")
        message = f"{model.__name__}.from_values: " + ", ".join(parts)
        if missing and not create:
            logger.warning(
                f"{message}; {len(missing)} value{'s' if len(missing) > 1 else ''} without a record: "
                f"{_quoted(missing)} (pass create=True to create {'them' if len(missing) > 1 else 'it'})"
            )
        else:
            logger.success(message)
    return RecordList(records)


def validate(qs, values: Any, field: Any = None, mute: bool = False) -> np.ndarray:
    """A boolean array: whether a record holds each value, exactly. See ``Registry.validate``."""
    import numpy as np

    model = qs.model
    fname = _field(model, field)
    items = _text(model, fname, _as_list(values))
    unique = list(dict.fromkeys(items))
    present = existing_values(qs, unique, fname)
    result = np.array([v in present for v in items], dtype=bool)
    if not mute:
        missing = [v for v in unique if v not in present]
        label = f"{model.__name__}.{fname}"
        if missing:
            logger.warning(
                f"{len(missing)} of {len(unique)} unique value{'s' if len(unique) > 1 else ''} "
                f"{'are' if len(missing) > 1 else 'is'} not validated against {label}: {_quoted(missing)}"
            )
        else:
            logger.success(f"all {len(unique)} unique values are validated against {label}")
    return result


def inspect(qs, values: Any, field: Any = None, mute: bool = False) -> InspectResult:
    """Validated and non-validated values, with synonyms and close matches. See ``Registry.inspect``."""
    model = qs.model
    fname = _field(model, field)
    unique = list(dict.fromkeys(_text(model, fname, _as_list(values))))
    present = existing_values(qs, unique, fname)
    validated = [v for v in unique if v in present]
    non_validated = [v for v in unique if v not in present]
    mapper = {v: getattr(r, fname) for v, r in standardize_map(qs, non_validated, fname).items()} if non_validated else {}
    close: dict = {}
    for v in [v for v in non_validated if v not in mapper and isinstance(v, str) and v.strip()][:MAX_CLOSE]:
        names = [getattr(r, fname) for r in search_queryset(qs, v, field=fname, limit=3)]
        if names:
            close[v] = names
    result = InspectResult(validated, non_validated, mapper, close)
    if not mute:
        label = f"{model.__name__}.{fname}"
        if not non_validated:
            logger.success(f"all {len(unique)} unique values are validated against {label}")
        else:
            logger.warning(
                f"{len(non_validated)} of {len(unique)} unique value{'s' if len(unique) > 1 else ''} "
                f"{'are' if len(non_validated) > 1 else 'is'} not validated against {label}: {_quoted(non_validated)}"
            )
            if mapper:
                pairs = ", ".join(f"{k!r} → {v!r}" for k, v in list(mapper.items())[:10])
                logger.important(f"{len(mapper)} name a record by synonym or case: {pairs} (see .synonyms_mapper)")
            if close:
                pairs = "; ".join(f"{k!r}: {', '.join(map(repr, v))}" for k, v in list(close.items())[:10])
                logger.important(f"close matches: {pairs} (see .close_matches)")
    return result


def standardize(qs, values: Any, field: Any = None, return_field: Any = None, mute: bool = False) -> list | str:
    """``values`` with each value that names a record by a synonym or in other case
    replaced by that record's ``field`` (or ``return_field``); other values stay.

    A single string gives a string. See ``QuerySet.standardize``.
    """
    model = qs.model
    fname = _field(model, field)
    rname = fname if return_field is None else field_name(model, return_field)
    single = isinstance(values, str)
    raw = [values] if single else (values.tolist() if hasattr(values, "tolist") else list(values))
    unique = list(dict.fromkeys(_text(model, fname, _as_list(raw))))
    exact = existing_records(qs, unique, fname) if unique else {}
    mapped = {v: getattr(records[0], rname) for v, records in exact.items()} if rname != fname else {}
    others = [v for v in unique if v not in exact]
    if others:
        mapped.update({v: getattr(r, rname) for v, r in standardize_map(qs, others, fname).items()})
    if not mute and mapped:
        changed = {k: v for k, v in mapped.items() if k != v}
        if changed:
            pairs = ", ".join(f"{k!r} → {v!r}" for k, v in list(changed.items())[:10])
            logger.success(f"standardized {len(changed)} value{'s' if len(changed) > 1 else ''}: {pairs}")
    result = [mapped.get(v, v) for v in raw]
    return result[0] if single else result
