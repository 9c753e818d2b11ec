"""The Lookup object: Tab-complete records by the values of a field.

``ln.ULabel.lookup()`` returns a :class:`Lookup` whose attributes are the names of
the labels made into identifiers (``candidate_marker_study_1``, ``b_cell``), so
that IPython and Jupyter complete them after a dot. The raw values complete in
``lookup["...`` too, and ``lookup.dict()`` maps them to the records.

It is built from one query that reads two columns (the id and the field), on
SQLite and PostgreSQL each as one string that the database joins; records are
loaded only when an attribute is read, and the lists of values and ids only when
a use needs them, so building it for 100,000 labels takes about 0.1 s.

Example:
    >>> ulabels = ln.ULabel.lookup()
    >>> ulabels.candidate_marker_study_1
    ULabel(uid='C5PU6WG7', name='Candidate marker study 1', ...)
    >>> ulabels["Candidate marker study 1"]
    >>> ln.ULabel.lookup(return_field="uid").dmso
    'niUJwTRg'
"""

from __future__ import annotations

import functools
import itertools
import keyword
import re
import unicodedata
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from . import collector, errors
from .logger import logger

__all__ = [
    "Lookup", "to_identifier", "to_identifiers", "joined_identifiers", "build_lookup", "build_joined_lookup",
    "PREFIX",
]

PREFIX = "ln_"  # for values that would not be identifiers (a leading digit, a keyword, a method name)
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")
_RESERVED = frozenset({"dict"})
_KEYWORDS_AND_RESERVED = frozenset(keyword.kwlist) | _RESERVED


def _fold_table(separator: str) -> bytes:
    """A ``bytes.translate`` table: letters to lowercase, digits kept, ``separator`` to "\\x00", all else "_"."""
    sep = ord(separator)
    return bytes(
        0 if c == sep else c if c in b"0123456789abcdefghijklmnopqrstuvwxyz" else c + 32 if 65 <= c <= 90 else 95
        for c in range(256)
    )


_FOLDS = {"\x00": _fold_table("\x00")}
_RUNS = re.compile(rb"__+")
_NUMPY_FROM = 1 << 20  # bytes of values; below, bytes methods are about as fast and need no numpy
_LEADING_DIGIT = re.compile(rb"\x00(?=[0-9])")


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
    """:func:`to_identifier` of many values at once.

    ASCII strings (the common case) go through C-level passes over all of them
    joined by ``"\\x00"``: one ``bytes.translate`` folds case and turns every
    other character into ``_``; runs of ``_`` are collapsed and stripped at the
    ends of each value (regex and ``replace``, or numpy passes for 1 MB and more),
    one regex adds the prefix to leading digits; a Python loop runs only if a
    keyword or an empty name is there.

    Example:
        >>> to_identifiers(["B-cell", "1st", "???"])
        ['b_cell', 'ln_1st', None]
    """
    try:
        joined = "\x00".join(values)
    except TypeError:  # a value that is no str
        joined = None
    idents = None if joined is None else _joined_identifiers(joined, "\x00", len(values))
    if idents is None:  # not ASCII, or a value held the separator: one by one
        return [to_identifier(v) for v in values]
    return idents


def joined_identifiers(joined: str, separator: str, count: int) -> list[str | None] | None:
    """:func:`to_identifiers` of ``count`` values given joined by ``separator``; None if
    they do not split into ``count`` values (a value held the separator).

    Values read as one string from the database skip the 100,000 strings of a
    list: only the identifiers are made.

    Example:
        >>> joined_identifiers("B-cell\\x1f1st", "\\x1f", 2)
        ['b_cell', 'ln_1st']
    """
    if count == 0:
        return []
    if joined.isascii():
        return _joined_identifiers(joined, separator, count)
    values = joined.split(separator)
    return [to_identifier(v) for v in values] if len(values) == count else None


def _joined_identifiers(joined: str, separator: str, count: int, prefixed: bool = True) -> list[str | None] | None:
    """The ASCII batch path of :func:`to_identifiers`; None if ``joined`` is not ASCII or
    does not split into ``count`` values. Without ``prefixed``, keywords and empty names
    are left as they are, for a caller that checks them on a dict (see :func:`_prefixed`)."""
    if not joined.isascii():
        return None
    fold = _FOLDS.get(separator)
    if fold is None:
        fold = _FOLDS[separator] = _fold_table(separator)
    data, leading_digit = _squeezed(joined.encode("ascii").translate(fold))
    if leading_digit:  # a leading digit gets the prefix
        data = _LEADING_DIGIT.sub(b"\x00" + PREFIX.encode(), data)
    idents: list[str | None] = data.decode("ascii").split("\x00")[1:]
    if len(idents) != count:  # a value held the separator
        return None
    if prefixed and (not _KEYWORDS_AND_RESERVED.isdisjoint(idents) or "" in idents):  # rare
        idents = _prefixed(idents)
    return idents


def _prefixed(idents: list[str | None]) -> list[str | None]:
    """Keywords and reserved names with the prefix, empty names (values of only symbols) None."""
    reserved = _KEYWORDS_AND_RESERVED
    return [(PREFIX + i if i in reserved else i) if i else None for i in idents]


def _squeezed(data: bytes) -> tuple[bytes, bool]:
    """``b"\\x00" + data`` with every run of "_" made one "_" and the runs at either end of a
    value dropped; and whether a value may start with a digit (True is checked again).

    ``data`` is folded: only ``[0-9a-z_]`` and the separator "\\x00". Large data go through
    numpy: a few passes over the bytes instead of ``bytes.replace``'s byte-by-byte search for
    two-byte patterns (3 times as fast at 100,000 values).
    """
    if len(data) < _NUMPY_FROM:
        if b"__" in data:
            data = _RUNS.sub(b"_", data)
        data = b"\x00" + data.replace(b"_\x00", b"\x00").replace(b"\x00_", b"\x00").strip(b"_")
        return data, _LEADING_DIGIT.search(data) is not None
    import numpy as np  # here: importing lamindb_core stays light

    a = np.frombuffer(b"\x00" + data + b"\x00", np.uint8)
    under = a == 95
    # a "_" after a "_" or a separator: the rest of a run, or a run at a value's start
    drop = under[1:] & (under[:-1] | (a[:-1] == 0))
    if drop.any():
        a = a[np.concatenate(([True], ~drop))]
        under = a == 95
    # a "_" before a separator: what is left of a run at a value's end
    separator = a == 0
    drop = under[:-1] & separator[1:]
    if drop.any():
        a = a[np.concatenate((~drop, [True]))]
        separator = a == 0
    # a separator before a byte under "a" (a digit, or another separator: an empty value)
    leading_digit = bool((separator[:-1] & (a[1:] < 97)).any())
    return a[:-1].tobytes(), leading_digit


class _Attribute:
    """The class value of every lookup attribute: ``Lookup.__getattribute__`` turns it into
    the record (or records) of the attribute's rows.

    One shared object instead of one per row: making 100,000 objects, and the garbage
    collector's scan of them once collection resumes, cost about 30 ms of a build. It is a
    descriptor (it has ``__get__``), not a plain value: Jedi (IPython's completer) reads plain
    class attributes to infer their types but never calls an unknown descriptor's
    ``__get__``, so completing ``ulabels.c`` loads no record.
    """

    __slots__ = ()

    def __get__(self, obj: Any, owner: Any = None) -> _Attribute:
        return self

    def __repr__(self) -> str:
        return "<lookup attribute>"


_ATTRIBUTE = _Attribute()


class Lookup:
    """Records of a registry as attributes named after a field's values.

    Attributes are real (``dir()``, ``hasattr()`` and IPython's completer see
    them); ``lookup["raw value"]`` works for any value and completes in IPython.
    Two values that make the same identifier, or a value held by two records,
    give a list.
    """

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if value is _ATTRIBUTE:  # an attribute named after a value: its record(s), loaded once
            return object.__getattribute__(self, "_read")(object.__getattribute__(self, "_rows_of")(name))
        return value

    def __init__(
        self,
        registry: str,
        field: str,
        return_field: str | None,
        values: Sequence[Any] | Callable[[], list],
        items: Sequence[Any] | Callable[[], list],
        fetch: Callable[[list], dict] | None,
        idents: list[str | None],
        names: dict[str, Any],
        rows_by_ident: dict[str, int | tuple[int, ...]] | None = None,
    ):
        self._registry = registry
        self._field = field
        self._return_field = return_field
        # the values and items may come as functions that make them on first use
        self._make_values = values if callable(values) else lambda: values
        self._make_items = items if callable(items) else lambda: items
        self._fetch = fetch
        self._idents = idents  # per row, the identifier of its value (None: no attribute)
        self._names = names  # the attribute names, in the order of their first row
        # names that no two rows share: the first reads scan the names (1 ms at 100,000)
        # instead of indexing them all (15 ms)
        self._scans_left = 4
        if rows_by_ident is not None:
            self._rows_by_ident = rows_by_ident
            self._scans_left = 0
        self._loaded: dict[Any, Any] = {}

    def _rows_of(self, name: str) -> int | tuple[int, ...]:
        if self._scans_left and "_rows_by_ident" not in vars(self):
            self._scans_left -= 1
            return self._idents.index(name)
        return self._rows_by_ident[name]

    # Built on the first use that needs them: returning the lookup needs only the names.
    @functools.cached_property
    def _values(self) -> list:
        return self._make_values()

    @functools.cached_property
    def _items(self) -> list:
        return self._make_items()

    @functools.cached_property
    def _rows_by_ident(self) -> dict[str, int | tuple[int, ...]]:
        return _rows_by_identifier(self._idents)

    @functools.cached_property
    def _rows_by_value(self) -> dict[Any, int | list[int]]:
        # lookup["..."], dict(), len() need it; attributes do not
        values = self._values
        by_value: dict[Any, int | list[int]] = dict(zip(values, range(len(values))))
        if len(by_value) < len(values):
            _collect_duplicates(by_value, values, list)
        return by_value

    def _read(self, rows: int | tuple[int, ...]) -> Any:
        if rows not in self._loaded:
            self._loaded[rows] = self._resolve(rows)
        return self._loaded[rows]

    def _resolve(self, rows: int | Sequence[int]) -> Any:
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
        return ["dict", *self._names]

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
        names = self._names
        shown = ", ".join(f".{n}" for n in itertools.islice(names, 10))
        shown += f", ... ({len(names) - 10} more)" if len(names) > 10 else ""
        target = f"{self._return_field} values" if self._return_field else "records"
        return (
            f"Lookup of {self._registry}.{self._field}: {len(self)} values\n"
            f"  {shown or '(empty)'}\n"
            f"  .dict() maps the values to {target}"
        )


def _collect_duplicates(index: dict, keys: list, wrap: Callable[[list[int]], Any]) -> None:
    """Turn the entries of ``index`` whose key several positions share into ``wrap(positions)``."""
    groups: dict = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    for key, positions in groups.items():
        if len(positions) > 1:
            index[key] = wrap(positions)


def _rows_by_identifier(idents: list[str | None]) -> dict[str, int | tuple[int, ...]]:
    """{identifier: row} at C speed; the few identifiers that several rows share get all of them."""
    by_ident: dict = dict(zip(idents, range(len(idents))))
    unnamed = idents.count(None) if None in by_ident else 0  # values of only symbols: no attribute
    by_ident.pop(None, None)
    if len(by_ident) < len(idents) - unnamed:
        _collect_duplicates(by_ident, idents, tuple)
    return by_ident


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
    with collector.paused():
        rows = rows if isinstance(rows, list) else list(rows)  # a QuerySet runs its query here
        values = list(map(itemgetter(0), rows))
        items = list(map(itemgetter(1), rows))
        if None in values:
            values = [row[0] for row in rows if row[0] is not None]
            items = [row[1] for row in rows if row[0] is not None]
        return _build(registry, field, return_field, values, to_identifiers(values), items, fetch)


def build_joined_lookup(
    registry: str,
    field: str,
    joined: str,
    separator: str,
    count: int,
    items: Callable[[], list],
    fetch: Callable[[list], dict],
) -> Lookup | None:
    """A :class:`Lookup` from ``count`` values joined by ``separator``, as one string read
    from the database; None if a value held the separator. The values as a list, and the
    pks (``items()``), are made only when a use needs them.

    Example:
        >>> build_joined_lookup("ULabel", "name", "DMSO\\x1fIFNG", "\\x1f", 2, lambda: [1, 2], fetch)
    """
    with collector.paused():
        if count and joined.isascii():  # keywords and empty names: _build checks them on its dict
            idents = _joined_identifiers(joined, separator, count, prefixed=False)
        else:
            idents = joined_identifiers(joined, separator, count)
        if idents is None:
            return None
        values = (lambda: joined.split(separator)) if count else list
        return _build(registry, field, None, values, idents, items, fetch)


def _build(registry, field, return_field, values, idents, items, fetch) -> Lookup:
    names = dict.fromkeys(idents, _ATTRIBUTE)
    # rare, and checked here in 40 lookups, not 100,000: a keyword, a reserved or an empty name
    if "" in names or not names.keys().isdisjoint(_KEYWORDS_AND_RESERVED):
        idents = _prefixed(idents)
        names = dict.fromkeys(idents, _ATTRIBUTE)
    unnamed = idents.count(None) if None in names else 0  # values of only symbols: no attribute
    names.pop(None, None)
    by_ident = None
    if len(names) < len(idents) - unnamed:  # rare: identifiers that several rows share
        by_ident = _rows_by_identifier(idents)
        shared = [(ident, rs) for ident, rs in by_ident.items() if type(rs) is tuple]
        values = values if isinstance(values, list) else values()
        examples = "; ".join(
            f".{ident}: {', '.join(repr(values[i]) for i in rs[:3])}" for ident, rs in shared[:3]
        )
        logger.warning(
            f"{len(shared)} attribute{'s' if len(shared) > 1 else ''} of the {registry}.{field} lookup "
            f"stand{'' if len(shared) > 1 else 's'} for several records and give{'' if len(shared) > 1 else 's'} "
            f"a list ({examples})"
        )
    # one class per lookup, so that every value is a real attribute
    cls = type(f"{registry}Lookup", (Lookup,), names)
    return cls(registry, field, return_field, values, items, fetch, idents, names, by_ident)
