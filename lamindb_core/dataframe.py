"""QuerySets as pandas DataFrames.

``queryset_to_df`` builds the table of ``QuerySet.df()`` and ``Registry.df()``
in a fixed number of queries: one for the direct fields and the to-one
relations, one per to-many relation in ``include``. It never queries per row.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from django.db import DatabaseError, connections, transaction

from . import errors
from .introspect import display_field_names, field_dtype, field_type, is_text_field, resolve_path
from .valueset import ValueSet

if TYPE_CHECKING:  # pandas is imported when a table is built, not at import time
    import pandas as pd
    from django.db import models

__all__ = [
    "queryset_to_df", "first_rows", "count_up_to", "total_text", "annotate_dtypes", "split_features_include",
    "aggregate_row", "LIMITED", "COUNT_CAP",
]

# df.attrs key: ``(rows, total, exact)`` when a DataFrame holds the first ``rows`` of the
# matching records: ``total`` of them if ``exact``, else more than ``total``; so that a
# notebook can say "the first 100 of 2,340" or "the first 100 of more than 100,000"
LIMITED = "limited"

# first_rows counts the matching records up to this many. Counting is a scan of every
# matching row (an index's entries at best): at 1,000,000 artifacts it took 30-60 ms on
# SQLite and on PostgreSQL, ten times the latest 100 rows with their features; 100,000 take
# a few milliseconds. Beyond it the table says "more than 100,000", as Django's admin offers
# to say no total at all (show_full_result_count); QuerySet.count() gives the exact one.
COUNT_CAP = 100_000


def _column(values: list, field: models.Field | None) -> pd.Series:
    import numpy as np
    import pandas as pd

    if is_text_field(field):
        # object dtype keeps None as None, as LaminDB shows it; fromiter: no look into each value
        return pd.Series(np.fromiter(values, dtype=object, count=len(values)), dtype=object, copy=False)
    return pd.Series(values)


def _index(ids: list) -> pd.Index:
    # the ids as numpy integers when they are (pandas' own inference of a list took ten times longer)
    import numpy as np
    import pandas as pd

    array = np.array(ids)
    return pd.Index(array if array.dtype == np.int64 else ids, name="id")


# the fields whose values a JSON array gives as the driver does: text and integers
_JSON_DTYPES = ("str", "int")
_ID_ORDERS = {("id",): False, ("pk",): False, ("-id",): True, ("-pk",): True}
# a column as one JSON array, per database
_ARRAYS = {"postgresql": "json_agg({})::text", "sqlite": "json_group_array({})"}


def aggregate_row(alias: str, sql: str, params: list) -> tuple | None:
    """The one row of an aggregate ``sql`` that joins many rows into one value (a JSON array,
    a joined string), or None if the database refuses it: a value over the size it allows one
    value (1 GB on SQLite and PostgreSQL), a BLOB in a JSON array. The caller then reads rows.

    In a transaction on PostgreSQL, the statement runs under a savepoint: PostgreSQL would
    refuse the rest of the transaction after a failed statement (SQLite undoes it alone).
    """
    conn = connections[alias]
    guarded = conn.in_atomic_block and conn.vendor == "postgresql"
    try:
        with transaction.atomic(using=alias) if guarded else contextlib.nullcontext():
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
    except DatabaseError:
        return None


def _read_columns(qs, select: list[str], field_by_name: dict) -> list[list] | None:
    """The values of ``qs.values_list(*select)`` as a list per column, in one row of the database:
    each column as a JSON array (``json_group_array`` on SQLite, ``json_agg`` on PostgreSQL),
    read by ``json.loads``. None where that does not give the same values: a sliced query, an
    order other than by id, a field other than text or integers, or one the driver's values of
    which Django converts.

    100,000 rows as tuples took three times as long through the driver and Django's iterator
    (100 at a time) as the JSON texts of their columns.
    """
    query = qs.query
    if (query.is_sliced or query.combinator or query.distinct_fields or query.extra_order_by
            or tuple(query.order_by) not in _ID_ORDERS):
        return None
    if not all((ftype := field_type(field_by_name.get(name))) is not None and ftype.dtype in _JSON_DTYPES
               for name in select):
        return None
    descending = _ID_ORDERS[tuple(query.order_by)]
    # without its order, sorted here: SQLite read an index backwards at half the speed
    rows = qs.values_list(*select).query.chain()
    rows.clear_ordering(force=True)
    compiler = rows.get_compiler(using=qs.db)
    sql, params = compiler.as_sql(with_col_aliases=True)
    if compiler.get_converters([expression for expression, _, _ in compiler.select]):
        return None
    conn = connections[qs.db]
    q = conn.ops.quote_name
    if conn.vendor not in _ARRAYS:
        return None
    arrays = [_ARRAYS[conn.vendor].format(q(alias)) for _, _, alias in compiler.select]
    row = aggregate_row(qs.db, f"SELECT COUNT(*), {', '.join(arrays)} FROM ({sql}) {q('lamindb_rows')}", params)
    if row is None:
        return None
    count, *texts = row
    if not count:
        return [[] for _ in select]
    columns = [json.loads(text) for text in texts]
    if any(len(column) != count for column in columns):
        return None
    return _in_id_order(columns, descending)


def _in_id_order(columns: list[list], descending: bool) -> list[list]:
    # the first column holds the ids: the rows as they are if in order, reversed if in the
    # other order (a table's scan), else sorted by it
    import numpy as np

    ids = np.array(columns[0], dtype=np.int64)
    steps = np.diff(ids)
    increasing = bool((steps > 0).all())
    decreasing = not increasing and bool((steps < 0).all())
    if (increasing and not descending) or (decreasing and descending):
        return columns
    if increasing or decreasing:
        return [column[::-1] for column in columns]
    order = np.argsort(ids, kind="stable")
    order = (order[::-1] if descending else order).tolist()
    return [[column[i] for i in order] for column in columns]


def _alias_path(model, path: str) -> str:
    # a registry's field aliases (Artifact: LaminDB 1.0's _schemas_m2m is feature_sets)
    aliases = getattr(model, "_field_aliases", None) or {}
    head, sep, tail = path.partition("__")
    return aliases.get(head, head) + sep + tail


def queryset_to_df(qs, include: str | list[str] | None = None, short: bool = False) -> pd.DataFrame:
    """The records of ``qs`` as a DataFrame; see ``QuerySet.df``.

    Args:
        qs: The query.
        include: Related fields to add as columns (``"created_by__name"``).
        short: Only the first four columns of the registry's own, as with
            ``include``; ``ArtifactQuerySet.df(features=...)`` adds its feature
            columns to these.

    The DataFrame's ``attrs`` hold the registry (``"registry"``: ``"core.ULabel"``)
    and each column's dtype (``"field_dtypes"``), which ``annotate_dtypes`` shows.
    """
    import pandas as pd

    model = qs.model
    if isinstance(include, str):
        include = [include]
    if include is not None and (
        not isinstance(include, (list, tuple)) or not all(isinstance(p, str) and p for p in include)
    ):
        raise errors.InvalidArgument(
            "df(include=...) takes a field path such as 'created_by__name' or a list of them, "
            f"got {include!r} ({type(include).__name__})"
        )
    include = [_alias_path(model, p) for p in include or []]
    names = display_field_names(model)
    field_by_name = {}
    for f in model._meta.concrete_fields:
        field_by_name[f.name] = f
        field_by_name[f.attname] = f
    if include or short:
        names = names[:4]
    # one query for direct fields and to-one paths, one per to-many path
    to_one: list[str] = []
    to_many: list[str] = []
    for path in include:
        field, many = resolve_path(model, path)
        field_by_name[path] = field
        if path in names:
            continue
        (to_many if many else to_one).append(path)
    columns = [n for n in names if n != "id"]
    select = ["id", *columns, *to_one]
    if not qs.ordered and not qs.query.is_sliced:
        qs = qs.order_by("id")
    transposed = _read_columns(qs, select, field_by_name)
    if transposed is None:
        transposed = [list(values) for values in zip(*qs.values_list(*select))] or [[] for _ in select]
    if not transposed[0]:
        ordered = [n for n in names] + [p for p in include if p not in names]
        empty = pd.DataFrame(columns=ordered)
        _describe_columns(empty, model, field_by_name)
        return empty
    data = {}
    ids = transposed[0]
    for name, values in zip(select[1:], transposed[1:]):
        data[name] = _column(values, field_by_name.get(name))
    for path in to_many:
        sets: dict[int, ValueSet] = {}
        # the queryset's database: another instance's for Registry.using(...)
        linked = model._base_manager.db_manager(qs.db).filter(pk__in=qs.values("pk")).values_list("pk", path)
        for pk, value in linked:
            found = sets.get(pk)
            if found is None:
                sets[pk] = ValueSet((value,))
            else:
                found.add(value)
        # a ValueSet prints sorted ({'B cell', 'T cell'}), the same in every run
        data[path] = pd.Series([sets.get(pk) or ValueSet((None,)) for pk in ids], dtype=object)
    order = [n for n in names if n != "id"] + [p for p in include if p not in names]
    df = pd.DataFrame({name: data[name] for name in order})
    df.index = _index(ids)
    _describe_columns(df, model, field_by_name)
    return df


def split_features_include(include: str | list[str] | None, supports_features: bool) -> tuple[list[str] | None, bool]:
    """LaminDB 2's ``to_dataframe(include="features")``: the related-field paths of
    ``include``, and whether it asked for the feature columns (``df(features=True)``).

    ``"features"`` means the feature columns only where the registry has them
    (``Artifact``); elsewhere it stays a field path (``Schema``'s ``features``).

    Example:
        >>> split_features_include(["features", "created_by__name"], True)
        (['created_by__name'], True)
    """
    if include is None or not supports_features:
        return include, False
    paths = [include] if isinstance(include, str) else include
    if not isinstance(paths, (list, tuple)) or "features" not in paths:
        return include, False
    rest = [p for p in paths if p != "features"]
    return (rest or None), True


def _describe_columns(df: pd.DataFrame, model: type[models.Model], field_by_name: dict) -> None:
    # Recorded while the registry is at hand: a DataFrame can carry only plain
    # data in attrs (pandas writes them into parquet files as JSON).
    df.attrs["registry"] = model._meta.label
    df.attrs["field_dtypes"] = {
        str(column): field_dtype(field_by_name[column]) for column in df.columns if column in field_by_name
    }


def count_up_to(qs, cap: int | None = None) -> tuple[int, bool]:
    """How many records ``qs`` holds, counted up to ``cap`` (default ``COUNT_CAP``):
    ``(count, True)``, or ``(cap, False)`` when there are more than ``cap``.

    One ``COUNT`` of at most ``cap + 1`` rows, in no particular order (any rows will
    do for counting, and an order could keep the database from the cheapest index).

    Example:
        >>> count_up_to(ln.Artifact.filter(), 100_000)
        (100000, False)
    """
    cap = COUNT_CAP if cap is None else cap
    if not qs.query.is_sliced:  # a slice needs its order (and Django keeps it from changing)
        qs = qs.order_by()
    found = qs[: cap + 1].count()
    return (found, True) if found <= cap else (cap, False)


def total_text(total: int, exact: bool) -> str:
    """``2,340``, or ``more than 100,000`` for a count that stopped at its cap."""
    return f"{total:,}" if exact else f"more than {total:,}"


def first_rows(qs, limit: int | None, include: str | list[str] | None = None, features: bool | list[str] = False) -> pd.DataFrame:
    """``qs.df(include, features)`` of at most ``limit`` records, and how many match.

    It fetches ``limit + 1`` records to learn whether there are more, and only then
    counts them, up to ``COUNT_CAP`` (one ``COUNT`` query): the DataFrame gets
    ``attrs["limited"] = (limit, total, exact)``, which the notebook shows as "the first
    100 of 2,340", or, where more than ``COUNT_CAP`` match, as "the first 100 of more than
    100,000" (``exact`` False, ``total`` the cap).

    Example:
        >>> first_rows(ln.ULabel.filter(), 100).attrs.get("limited")
        (100, 2340, True)
    """
    if limit is None:
        return qs.df(include=include, features=features)
    if not qs.ordered and not qs.query.is_sliced:
        qs = qs.order_by("id")  # the order of QuerySet.df(); a slice needs it first
    df = qs[: limit + 1].df(include=include, features=features)
    if len(df) > limit:
        df = df.iloc[:limit]
        df.attrs[LIMITED] = (limit, *count_up_to(qs))
    return df


def annotate_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose header has a second row with each column's dtype:
    the feature dtype (``cat[ULabel]``, ``float``) for feature columns, the field's
    dtype (``str``) for the others.

    Example:
        >>> annotate_dtypes(ln.Artifact.df(features=True)).columns[3]
        ('cell_medium', 'cat[ULabel]')
    """
    import pandas as pd

    feature_dtypes = df.attrs.get("feature_dtypes", {})
    field_dtypes = df.attrs.get("field_dtypes", {})
    dtypes = []
    for column in df.columns:
        if column in feature_dtypes:
            dtypes.append(feature_dtypes[column] or "")
        else:
            dtypes.append(field_dtypes.get(str(column), ""))
    annotated = df.copy()
    annotated.columns = pd.MultiIndex.from_arrays([list(df.columns), dtypes])
    return annotated
