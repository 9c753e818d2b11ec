"""Feature dtypes: parse, validate and check values against them.

A dtype is one of ``str``, ``int``, ``float``, ``num``, ``bool``, ``date``,
``datetime``, ``dict``, or a categorical ``cat[...]`` that names the registries
(and optionally the field) whose records are valid values::

    cat                         # ULabel, by name
    cat[ULabel]
    cat[Artifact.key]           # match values against Artifact.key
    cat[<module>.<Registry>]    # a registry of an installed module; LaminDB's module
                                # name "bionty" is accepted for "bio"
    cat[ULabel|<module>.<Registry>.<field>]

This module takes plain inputs (strings and values); a dtype's registries are
found among the registries that Django has loaded, by name.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Model

from . import errors
from .introspect import MODULE_ALIASES, name_field

__all__ = [
    "SIMPLE_DTYPES",
    "CatTarget",
    "parse_dtype",
    "normalize_dtype",
    "check_dtype",
    "infer_dtype",
    "plain_value",
    "list_item_dtype",
    "check_value",
    "text_problem",
    "is_missing",
    "json_value",
    "VALID_FORMS",
]

SIMPLE_DTYPES = ("str", "int", "float", "num", "bool", "date", "datetime", "dict")
VALID_FORMS = (
    "str, int, float, num, bool, date, datetime, dict, cat, cat[ULabel], cat[<Registry>], "
    "cat[<Registry>.<field>], cat[<A>|<B>] (registries of modules as <module>.<Registry>)"
)
_CAT = re.compile(r"^cat\[(.+)\]$")
# a list of simple values, as params take them: list[int], list[str], ...
_LIST = re.compile(r"^list\[(" + "|".join(SIMPLE_DTYPES) + r")\]$")


def list_item_dtype(dtype: str) -> str | None:
    """The dtype of the items of a list dtype (``list[int]`` → ``int``), or None.

    Example:
        >>> list_item_dtype("list[int]"), list_item_dtype("int")
        ('int', None)
    """
    match = _LIST.match(dtype.strip()) if isinstance(dtype, str) else None
    return match.group(1) if match else None



@dataclass(frozen=True)
class CatTarget:
    """A registry and the field that values are matched on (None: its name field)."""

    model: type
    field: str | None

    @property
    def display(self) -> str:
        """``ULabel`` or ``<module>.<Registry>``, as in a dtype string."""
        name = _registry_name(self.model)
        return f"{name}.{self.field}" if self.field else name

    def match_field(self) -> str:
        """The field that values are matched on: the given one, or the registry's name field."""
        if self.field:
            return self.field
        return name_field(self.model)


def _registry_name(model: type) -> str:
    # as a dtype writes it: core's registries by name, a module's as module.Name
    label = model._meta.app_label
    return model.__name__ if label == "core" else f"{label}.{model.__name__}"


def _models_by_name() -> dict[tuple[str, str], type]:
    """Every model that Django has loaded, by ``(app label, lowercase name)``."""
    return {
        (m._meta.app_label, m._meta.model_name): m for m in apps.get_models(include_auto_created=True)
    }


def _resolve_target(part: str, dtype: str) -> CatTarget:
    pieces = part.strip().split(".")
    # bionty.CellType and bt.CellType are bio.CellType, as a notebook writes them
    pieces[0] = MODULE_ALIASES.get(pieces[0], pieces[0])
    labels = {config.label for config in apps.get_app_configs()}
    if pieces[0] in labels and len(pieces) >= 2:
        app_label, registry, rest = pieces[0], pieces[1], pieces[2:]
    else:
        app_label, registry, rest = "core", pieces[0], pieces[1:]
    if len(rest) > 1:
        raise errors.ValidationError(f"invalid dtype {dtype!r}: '{part}' has too many parts; valid forms: {VALID_FORMS}")
    by_name = _models_by_name()
    model = by_name.get((app_label, registry.lower()))
    if model is None:
        known = sorted(
            _registry_name(m)
            for m in by_name.values()
            if not getattr(m, "_is_link_table", False) and not m._meta.auto_created
        )
        hint = errors.closest_match_hint(part.strip(), known)
        raise errors.ValidationError(
            f"invalid dtype {dtype!r}: no registry '{part.strip()}'.{hint} Registries: {', '.join(known)}"
        )
    field = rest[0] if rest else None
    if field is not None:
        names = [f.name for f in model._meta.concrete_fields]
        if field not in names:
            raise errors.ValidationError(
                f"invalid dtype {dtype!r}: {model.__name__} has no field '{field}'."
                f"{errors.closest_match_hint(field, names)}"
            )
    return CatTarget(model=model, field=field)


def parse_dtype(dtype: str) -> list[CatTarget] | str:
    """Parse a dtype: a simple dtype string, or the list of targets of a ``cat[...]``.

    Raises:
        ln.errors.ValidationError: not a valid dtype; the message lists the valid forms.

    Example:
        >>> parse_dtype("float")
        'float'
        >>> [t.display for t in parse_dtype("cat[ULabel|Artifact.key]")]
        ['ULabel', 'Artifact.key']
    """
    if not isinstance(dtype, str):
        raise errors.ValidationError(f"a dtype is a string, got {dtype!r}; valid forms: {VALID_FORMS}")
    text = dtype.strip()
    if text in SIMPLE_DTYPES:
        return text
    if text == "cat":
        return [_resolve_target("ULabel", dtype)]
    match = _CAT.match(text)
    if match is None:
        hint = errors.closest_match_hint(text, [*SIMPLE_DTYPES, "cat"])
        raise errors.ValidationError(f"invalid dtype {dtype!r}.{hint} Valid forms: {VALID_FORMS}")
    return [_resolve_target(part, dtype) for part in match.group(1).split("|")]


def check_dtype(dtype: str) -> str:
    """A valid dtype as written (stripped), as LaminDB keeps it: ``cat`` stays ``cat``,
    ``cat[bionty.CellType]`` stays as it is; compare dtypes with ``normalize_dtype``.

    Raises:
        ln.errors.ValidationError: not a valid dtype; the message lists the valid forms.

    Example:
        >>> check_dtype(" cat[bionty.CellType] ")
        'cat[bionty.CellType]'
    """
    parse_dtype(dtype)
    return dtype.strip()


def normalize_dtype(dtype: str) -> str:
    """The canonical spelling of a dtype: ``cat`` → ``cat[ULabel]``, LaminDB's module
    name ``bionty`` → ``bio``."""
    parsed = parse_dtype(dtype)
    if isinstance(parsed, str):
        return parsed
    return f"cat[{'|'.join(t.display for t in parsed)}]"


# NUL: PostgreSQL's text and jsonb refuse it. A surrogate code point: no UTF-8
# encoding exists for it (Python strings can hold one, from "surrogateescape" or
# "\ud800" in source code), so no database stores it.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why no database can store ``text`` as it is, or None if one can.

    Refused on both backends alike: a NUL character (PostgreSQL cannot store it;
    SQLite can, but the same data must work everywhere) and a lone surrogate
    (not encodable as UTF-8).

    Example:
        >>> text_problem("a\\x00b")
        "contains a NUL character ('\\x00') at position 1, which PostgreSQL cannot store"
    """
    if "\x00" not in text:
        # the common case, answered in C: ASCII (a flag of the string) or encodable as UTF-8
        if text.isascii():
            return None
        try:
            text.encode("utf-8")
            return None
        except UnicodeEncodeError:
            pass
    match = _BAD_TEXT.search(text)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return f"contains a NUL character ('\\x00') at position {match.start()}, which PostgreSQL cannot store"
    return f"contains a lone surrogate ({char!r}) at position {match.start()}, which cannot be encoded as UTF-8"


def is_missing(value) -> bool:
    """Whether ``value`` is one of the missing-value markers of Python, numpy and
    pandas: ``None``, NaN, ``pd.NA``, ``pd.NaT``."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    # pandas' markers, recognised without importing pandas
    return type(value).__name__ in ("NAType", "NaTType")


def json_value(value, where: str = ""):
    """``value`` as plain JSON data, for a ``dict`` feature value: numpy scalars
    and arrays become Python numbers and lists, tuples become lists.

    Raises:
        ValueError: with where and why, for what JSON cannot hold without loss or
            a database cannot store: NaN and infinite numbers, sets and other
            objects, keys that are not strings, text with NUL or a lone surrogate.
    """
    at = f"at {where}: " if where else ""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(f"{at}{problem}")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError(f"{at}NaN cannot be stored in JSON")
        if math.isinf(value):
            raise ValueError(f"{at}infinite numbers cannot be stored")
        return value
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(
                    f"at key {key!r}{' in ' + where if where else ''}: dict keys must be strings, "
                    f"got {type(key).__name__}"
                )
            problem = text_problem(key)
            if problem:
                raise ValueError(f"at key {key!r}{' in ' + where if where else ''}: {problem}")
            result[key] = json_value(item, f"{where}[{key!r}]")
        return result
    if isinstance(value, (list, tuple)):
        return [json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy scalars and arrays
        return json_value(value.tolist(), where)
    if isinstance(value, (set, frozenset)):
        raise ValueError(f"{at}a set cannot be stored in JSON; use a list")
    raise ValueError(f"{at}{type(value).__name__} values cannot be stored in JSON")


def check_value(dtype: str, value):
    """Check one non-categorical value against a simple dtype.

    Missing values (``None``, NaN) are the caller's to refuse or skip.

    Returns:
        The value as stored (dates as ISO strings, dicts as plain JSON data).

    Raises:
        ValueError: with a short reason, for the caller to put into its message.
    """
    if dtype == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected str, got {type(value).__name__}")
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value
    if dtype == "int":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"expected int, got {type(value).__name__}")
        return int(value)
    if dtype in ("float", "num"):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"expected {dtype}, got {type(value).__name__}")
        if isinstance(value, float) and math.isinf(value):
            raise ValueError("infinite numbers cannot be stored")
        return float(value) if dtype == "float" else value
    if dtype == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected bool, got {type(value).__name__}")
        return value
    if dtype == "date":
        if isinstance(value, dt.datetime):
            raise ValueError("expected a date, got a datetime")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValueError("expected an ISO date such as 2024-12-01") from None
        raise ValueError(f"expected a date, got {type(value).__name__}")
    if dtype == "datetime":
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).isoformat()
            except ValueError:
                raise ValueError("expected an ISO datetime such as 2024-12-01T10:00:00") from None
        raise ValueError(f"expected a datetime, got {type(value).__name__}")
    if dtype == "dict":
        if not isinstance(value, dict):
            raise ValueError(f"expected dict, got {type(value).__name__}")
        return json_value(value)
    item_dtype = list_item_dtype(dtype)
    if item_dtype is not None:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return [check_value(item_dtype, item) for item in value]
    raise ValueError(f"unknown dtype {dtype}")


def plain_value(value: Any) -> Any:
    """numpy scalars → Python scalars, so that checks and JSON work (arrays stay as they are)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def infer_dtype(value: Any, lists: bool = False) -> str:
    """The dtype a feature for ``value`` would have, as LaminDB 1.0 suggests it in
    errors: ``int``, ``float``, ``bool``, ``date``, ``datetime``, ``dict``, ``cat[ULabel]``
    for a record, ``cat ? str`` for text (a label or a string), ``?`` if unknown.
    With ``lists`` (params), a Python list of one type is ``list[<type>]``.

    Example:
        >>> infer_dtype(27.2), infer_dtype("2024-12-01"), infer_dtype("DMSO")
        ('float', 'date', 'cat ? str')
    """
    value = plain_value(value)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value)
            return "date" if len(value) == 10 else "datetime"
        except ValueError:
            return "cat ? str"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, Model):
        label = type(value)._meta.app_label
        name = type(value).__name__
        return f"cat[{name if label == 'core' else f'{label}.{name}'}]"
    if type(value).__name__ == "Categorical":
        return "cat"
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy arrays, pandas Series
        kind = getattr(value.dtype, "kind", "O")
        return {"b": "bool", "i": "int", "u": "int", "f": "float", "M": "datetime"}.get(kind, "cat ? str")
    if isinstance(value, (list, tuple, set)) and value:
        kinds = {infer_dtype(v) for v in value}
        kind = next(iter(kinds)) if len(kinds) == 1 else "?"
        return f"list[{kind}]" if lists and isinstance(value, list) and kind != "?" else kind
    return "?"
