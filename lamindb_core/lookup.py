"""The Lookup object: Tab-complete records by the values of a field.

``ln.ULabel.lookup()`` returns a :class:`Lookup` whose attributes are the names of
the labels made into identifiers (``candidate_marker_study_1``, ``b_cell``), so
that IPython and Jupyter complete them after a dot. The raw values complete in
``lookup["...`` too, and ``lookup.dict()`` maps them to the records.

It is built from one query that reads two columns (the id and the field);
records are loaded only when an attribute is read, so building it for 10,000
labels takes milliseconds.

Example:
    >>> ulabels = ln.ULabel.lookup()
    >>> ulabels.candidate_marker_study_1
    ULabel(uid='C5PU6WG7', name='Candidate marker study 1', ...)
    >>> ulabels["Candidate marker study 1"]
    >>> ln.ULabel.lookup(return_field="uid").dmso
    'niUJwTRg'
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from . import errors
from .logger import logger

__all__ = ["Lookup", "to_identifier", "build_lookup", "PREFIX"]

PREFIX = "ln_"  # for values that would not be identifiers (a leading digit, a keyword, a method name)
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")
_RESERVED = frozenset({"dict"})
_KEYWORDS_AND_RESERVED = frozenset(keyword.kwlist) | _RESERVED
_NON_WORD_OR_SEP = re.compile(r"[^0-9a-zA-Z\x00]+")


def to_identifier(value: Any) -> str | None:
    """The attribute name for a value: lowercase letters, digits and ``_``.

    Accents are dropped, every run of other characters becomes one ``_``; a
    leading digit, a Python keyword or a name of the Lookup's own methods gets
    the prefix ``ln_``. None if nothing is left (a value of only symbols).

    Example:
        >>> to_identifier("Candidate marker study 1"), to_identifier("B-cell"), to_identifier("1st"), to_identifier("class")
        ('candidate_marker_study_1', 'b_cell', 'ln_1st', 'ln_class')
    """
    text = str(value)
    if not text.isascii():  # "naïve" -> "naive"; what has no ASCII form goes
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ident = _NON_WORD.sub("_", text).strip("_").lower()
    if not ident:
        return None
    if ident[0].isdigit() or keyword.iskeyword(ident) or ident in _RESERVED:
        ident = PREFIX + ident
    return ident


def to_identifiers(values: Sequence[Any]) -> list[str | None]:
    """:func:`to_identifier` of many values at once (one regex pass over all of them)."""
    texts = [v if isinstance(v, str) and v.isascii() else None for v in values]
    if any(t is None or "\x00" in t for t in texts):
        return [to_identifier(v) for v in values]
    joined = _NON_WORD_OR_SEP.sub("_", "\x00".join(texts)).lower()
    result: list[str | None] = []
    for ident in joined.split("\x00"):
        ident = ident.strip("_")
        if not ident:
            result.append(None)
        elif ident[0].isdigit() or ident in _KEYWORDS_AND_RESERVED:
            result.append(PREFIX + ident)
        else:
            result.append(ident)
    return result


class _Entry(str):
    """A lookup attribute (a ``str``, its name): resolves to its record(s) on first read, then stays."""

    __slots__ = ()

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj._resolve(obj._rows_by_ident[self])
        obj.__dict__[self] = value  # the instance attribute now shadows this descriptor
        return value


class Lookup:
    """Records of a registry as attributes named after a field's values.

    Attributes are real (``dir()``, ``hasattr()`` and IPython's completer see
    them); ``lookup["raw value"]`` works for any value and completes in IPython.
    Two values that make the same identifier, or a value held by two records,
    give a list.
    """

    def __init__(
        self,
        registry: str,
        field: str,
        return_field: str | None,
        values: Sequence[Any],
        items: Sequence[Any],
        fetch: Callable[[list], dict] | None,
        rows_by_ident: dict[str, list[int]],
        rows_by_value: dict[Any, list[int]],
    ):
        self._registry = registry
        self._field = field
        self._return_field = return_field
        self._values = values
        self._items = items
        self._fetch = fetch
        self._rows_by_ident = rows_by_ident
        self._rows_by_value = rows_by_value

    def _resolve(self, rows: int | list[int]) -> Any:
        if isinstance(rows, int):
            rows = [rows]
        if self._return_field is not None or self._fetch is None:
            found = [self._items[i] for i in rows]
        else:
            pks = [self._items[i] for i in rows]
            records = self._fetch(pks)
            found = [records[pk] for pk in pks if pk in records]
        return found[0] if len(found) == 1 else found

    def __getitem__(self, value: Any) -> Any:
        rows = self._rows_by_value.get(value)
        if rows is None:
            rows = self._rows_by_ident.get(value) if isinstance(value, str) else None
        if rows is None:
            choices = [str(v) for v in self._rows_by_value]
            raise KeyError(
                f"{value!r} is not a value of {self._registry}.{self._field}."
                f"{errors.closest_match_hint(str(value), choices)}"
            )
        return self._resolve(rows)

    def __contains__(self, value: Any) -> bool:
        return value in self._rows_by_value or value in self._rows_by_ident

    def __len__(self) -> int:
        return len(self._rows_by_value)

    def __dir__(self) -> list[str]:
        return ["dict", *self._rows_by_ident]

    def _ipython_key_completions_(self) -> list[str]:
        return [str(v) for v in self._rows_by_value]

    def dict(self) -> dict[Any, Any]:
        """The values of the field mapped to their records (or to ``return_field``).

        A value that several records hold maps to a list.

        Example:
            >>> ln.ULabel.lookup().dict()["Candidate marker study 1"]
        """
        items = self._items
        if self._return_field is None and self._fetch is not None:
            records = self._fetch(list(items))
            items = [records.get(pk) for pk in items]
        result = {}
        for value, rows in self._rows_by_value.items():
            result[value] = items[rows] if isinstance(rows, int) else [items[i] for i in rows]
        return result

    def __repr__(self) -> str:
        names = list(self._rows_by_ident)
        shown = ", ".join(f".{n}" for n in names[:10]) + (f", ... ({len(names) - 10} more)" if len(names) > 10 else "")
        target = f"{self._return_field} values" if self._return_field else "records"
        return (
            f"Lookup of {self._registry}.{self._field}: {len(self)} values\n"
            f"  {shown or '(empty)'}\n"
            f"  .dict() maps the values to {target}"
        )


def _collect_duplicates(index: dict, keys: list) -> None:
    """Turn the entries of ``index`` whose key several positions share into lists of positions."""
    groups: dict = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    for key, positions in groups.items():
        if len(positions) > 1:
            index[key] = positions


def build_lookup(
    registry: str,
    field: str,
    rows: Sequence[tuple[Any, Any]],
    *,
    return_field: str | None = None,
    fetch: Callable[[list], dict] | None = None,
) -> Lookup:
    """A :class:`Lookup` from ``(value, item)`` rows.

    Args:
        registry: Registry name, for messages (``"ULabel"``).
        field: The field whose values name the attributes.
        rows: ``(value, pk)`` pairs, or ``(value, return value)`` with ``return_field``.
        return_field: The field whose values the attributes give instead of records.
        fetch: Loads records by pk (``{pk: record}``), used when ``return_field`` is None.
    """
    pairs = [row for row in rows if row[0] is not None]
    values = [row[0] for row in pairs]
    items = [row[1] for row in pairs]
    idents = to_identifiers(values)
    # {key: row} at C speed; the few keys that several rows share get a list of rows
    by_value: dict[Any, int | list[int]] = dict(zip(values, range(len(values))))
    if len(by_value) < len(values):
        _collect_duplicates(by_value, values)
    by_ident: dict[str, int | list[int]] = dict(zip(idents, range(len(idents))))
    by_ident.pop(None, None)
    if len(by_ident) < sum(1 for i in idents if i is not None):
        _collect_duplicates(by_ident, idents)
    shared = [(ident, rs) for ident, rs in by_ident.items() if isinstance(rs, list)]
    if shared:
        examples = "; ".join(
            f".{ident}: {', '.join(repr(values[i]) for i in rs[:3])}" for ident, rs in shared[:3]
        )
        logger.warning(
            f"{len(shared)} attribute{'s' if len(shared) > 1 else ''} of the {registry}.{field} lookup "
            f"stand{'' if len(shared) > 1 else 's'} for several records and give{'' if len(shared) > 1 else 's'} "
            f"a list ({examples})"
        )
    # one class per lookup, so that every value is a real attribute
    namespace = dict(zip(by_ident, map(_Entry, by_ident)))
    cls = type(f"{registry}Lookup", (Lookup,), namespace)
    return cls(registry, field, return_field, values, items, fetch, by_ident, by_value)
