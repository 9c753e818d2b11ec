"""The set of values in one cell of ``df()``: labels, feature values, related fields.

A cell of ``ln.Artifact.df(features=True)`` or ``df(include="ulabels__name")`` holds
every value of a record, which may be several. A Python ``set`` prints its items
in hash order, which changes from run to run, so the same record would read
``{'T cell', 'B cell'}`` in one notebook and ``{'B cell', 'T cell'}`` in the next.
A ``ValueSet`` is a ``set`` (it compares equal to one, and ``in`` and ``|`` work)
that iterates and prints in sorted order, so pandas, the notebook tables and the
browsers all show ``{'B cell', 'T cell'}``.

Example:
    >>> ValueSet(["T cell", "B cell"])
    {'B cell', 'T cell'}
    >>> sorted([10, "a", None, 9], key=value_order)
    [9, 10, 'a', None]
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
from collections.abc import Iterator
from typing import Any

__all__ = ["ValueSet", "value_order", "sorted_values"]


def value_order(value: Any) -> tuple:
    """A sort key that orders values of mixed types without failing.

    Booleans (False, True), then numbers (NaN after them), then text, then dates
    and times, then anything else by its text, and None last.
    """
    if value is None:
        return (5, 0, "")
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, (numbers.Real, decimal.Decimal)):  # numpy's numbers too
        if value != value:  # NaN
            return (1, 1, 0)
        return (1, 0, value)
    if isinstance(value, str):
        return (2, 0, value)
    if isinstance(value, (dt.date, dt.time)):
        # a date and a datetime do not compare: their ISO text does, in time order
        return (3, 0, value.isoformat())
    return (4, type(value).__name__, str(value))


def sorted_values(values: Any) -> list:
    """``values`` (any iterable) as a list in ``value_order``."""
    return sorted(values, key=value_order)


class ValueSet(set):
    """A ``set`` that iterates and prints its values in sorted order (``value_order``).

    Example:
        >>> cell = ln.Artifact.df(features=True).loc[4, "cell_medium"]
        >>> cell
        {'DMSO', 'IFNG'}
        >>> cell == {"IFNG", "DMSO"}
        True
    """

    __slots__ = ()

    def __iter__(self) -> Iterator:
        return iter(sorted(set.__iter__(self), key=value_order))

    def __repr__(self) -> str:
        if not self:
            return "set()"
        return "{" + ", ".join(repr(v) for v in self) + "}"

    __str__ = __repr__

    def __reduce__(self):
        # pickles as a ValueSet of its values (set's own reduce would need a __dict__)
        return (type(self), (list(self),))
