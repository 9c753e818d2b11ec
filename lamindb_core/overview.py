"""``ln.view()``: every registry of every module with its latest records."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .dataframe import annotate_dtypes
from .introspect import registries_by_module

__all__ = ["view", "non_empty", "text_table"]

# as in LaminDB 1.0's view(): who and where are not data
HIDDEN = {"User", "Space"}


def _shell() -> Any:
    """The running IPython shell, or None (a terminal, a script)."""
    # a running IPython shell has imported IPython: elsewhere, importing it (0.1 s) only to learn that there is none is waste
    if "IPython" in sys.modules:
        from IPython import get_ipython

        return get_ipython()
    return None


def _show(obj: Any, shell: Any = False) -> None:
    if shell is False:
        shell = _shell()
    if shell is not None:
        from IPython.display import display

        display(obj)
        return
    if hasattr(obj, "to_string"):
        text = text_table(obj)
        print(obj.to_string() if text is None else text)
    else:
        print(obj)


def _latest(model: type, limit: Any, shell: Any) -> Any:
    """``model.df(limit=limit)``; in a terminal without its ``COUNT`` (at 100,000
    records a few ms), which only a notebook shows ("the first 7 of 100,000")."""
    if shell is not None or isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        return model.df(limit=limit)
    # the rows of df(limit=...): limit + 1 fetched, then cut, so the columns' dtypes are the same
    table = model.filter().order_by("-id")[: limit + 1].df()
    return table.iloc[:limit] if len(table) > limit else table


# pandas escapes these in the text of a table
_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _writable(dtype: Any) -> bool:
    # the dtypes _text_column writes: numpy's objects, integers and booleans (not pandas' nullable
    # Int64, boolean, string, whose missing value is pd.NA), and times with a time zone
    import pandas as pd

    if isinstance(dtype, pd.DatetimeTZDtype):
        return True
    return dtype.kind in "Oib" and not pd.api.types.is_extension_array_dtype(dtype)


def _text_column(dtype: Any, values: list) -> tuple[list[str], bool] | None:
    """The cells of a column (its dtype and its values as objects) as ``DataFrame.to_string()``
    writes them before justifying, and whether the dtype is numeric (its header gets a
    leading space); None for a dtype or value that this short way does not write."""
    kind = dtype.kind
    if kind == "O":
        cells = []
        for value in values:
            kind_of = type(value)
            if kind_of is str:
                cells.append(" " + value.translate(_ESCAPES))
            elif kind_of is type(None):
                cells.append(" None")
            elif kind_of is bool or kind_of is int:
                cells.append(f" {value}")
            else:
                return None  # floats, dicts, sets, numpy scalars: pandas' own rules
        return cells, False
    if kind == "i":
        return [f"{value: d}" for value in values], True
    if kind == "b":
        return [f" {value}" for value in values], True
    if kind == "M":
        # pandas writes each time as str(Timestamp), NaT as "NaT", without a leading space
        return [str(value) for value in values], False
    return None


def text_table(df: Any) -> str | None:
    """``df.to_string()`` of a table with an integer index and columns of text, integers,
    booleans and times, written directly instead of through pandas' formatters (about 1 ms a
    table less, which is most of what ``ln.view()`` costs); None for any other table (its
    caller uses ``to_string()``). ``tests/core/test_overview.py`` compares both on many tables.

    Example:
        >>> print(text_table(ln.ULabel.df(limit=2)))
                    uid  name  ...
        id
        2      1NXaQvx0  IFNG  ...
    """
    import pandas as pd

    columns, index = df.columns, df.index
    if (
        df.empty
        or type(columns) is not pd.Index
        or not columns.is_unique
        or any(type(c) is not str or c[:1].isspace() for c in columns)
        or type(index) is not pd.Index
        or index.dtype.kind != "i"
        or not (index.name is None or type(index.name) is str)
        or pd.get_option("display.colheader_justify") != "right"
        or pd.get_option("display.unicode.east_asian_width")
    ):
        return None
    dtypes = df.dtypes.tolist()
    if not all(map(_writable, dtypes)):
        return None
    named = index.name is not None
    strcols = []
    # the index: left-justified, its name (if any) on the line below the column names
    ids = [f"{value: d}" for value in index.tolist()]
    trim = min(len(s) - len(s.lstrip()) for s in ids)
    ids = [s[trim:] for s in ids]
    head = ["", index.name.translate(_ESCAPES)] if named else [""]
    cells = head + ids
    width = max(map(len, cells))
    strcols.append([s.ljust(width) for s in cells])
    # one object array for all columns: a Series per column would cost more than the writing
    for name, dtype, values in zip(columns, dtypes, df.to_numpy(dtype=object).T.tolist()):
        made = _text_column(dtype, values)
        if made is None:
            return None
        cells, numeric = made
        header = (" " + name if numeric else name).translate(_ESCAPES)
        width = max(len(header), *map(len, cells))
        head = [header.rjust(width), ""] if named else [header.rjust(width)]
        strcols.append([head[0], *(" " * width for _ in head[1:])] + [s.rjust(width) for s in cells])
    return "\n".join(" ".join(parts) for parts in zip(*strcols))


# (registry, alias, database) -> what _exists_query found there: the SQL of a registry's
# filter() does not change while the process runs, building it does cost (0.15 ms a registry)
_EXISTS_SQL: dict[tuple, tuple[str, str, tuple] | None] = {}


def _exists_query(model: type) -> tuple[str, str, tuple] | None:
    """The database alias, SQL and parameters of ``model.filter().values("pk")``, or
    None if that query can have no rows (a module whose tables this instance lacks)."""
    alias = model.objects.db
    connection = connections[alias]
    settings = connection.settings_dict
    key = (model, alias, connection.vendor, settings.get("NAME"), settings.get("HOST"), settings.get("PORT"))
    if key in _EXISTS_SQL:
        return _EXISTS_SQL[key]
    qs = model.filter()
    found = None
    if not qs.query.is_empty():
        alias = qs.db
        try:
            sql, params = qs.values("pk").query.get_compiler(using=alias).as_sql()
            found = (alias, sql, tuple(params))
        except EmptyResultSet:
            pass
    _EXISTS_SQL[key] = found
    return found


def non_empty(registries: list[type]) -> set[type]:
    """The registries that hold a record ``df()`` would show, asked in one query per database.

    One ``SELECT EXISTS (...), EXISTS (...), ...`` over the queries of
    ``Registry.filter()`` (the same default filters as ``df()``), instead of a
    query and an empty DataFrame per registry.

    Example:
        >>> non_empty([ln.ULabel, ln.Collection])
        {<class 'ULabel'>}
    """
    by_alias: dict[str, list[tuple[type, str, tuple]]] = {}
    for model in registries:
        query = _exists_query(model)
        if query is not None:
            alias, sql, params = query
            by_alias.setdefault(alias, []).append((model, sql, params))
    found = set()
    for alias, parts in by_alias.items():
        select = ", ".join(f"EXISTS ({sql})" for _, sql, _ in parts)
        params = [p for _, _, ps in parts for p in ps]
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {select}", params)
            flags = cursor.fetchone()
        found.update(model for (model, _, _), flag in zip(parts, flags) if flag)
    return found


def view(df: Any = None, limit: int = 7, modules: str | list[str] | None = None, registries: list[str] | None = None) -> None:
    """Show the latest records of every registry, grouped by module.

    Empty registries are skipped. In a notebook the tables render as HTML, in a
    terminal as text.

    Args:
        df: A DataFrame to show instead, with a dtype row under the header when it
            comes from ``df()`` (``ln.view(ln.Artifact.df(features=True))``).
        limit: Records per registry.
        modules: Only these modules (``"core"``, ``"bio"``, ``"custom"``).
        registries: Only registries of these names.

    Example:
        >>> ln.view()
        ****************
        * module: core *
        ****************
        ULabel
        ...
    """
    if df is not None:
        _show(annotate_dtypes(df) if "feature_dtypes" in df.attrs or "registry" in df.attrs else df)
        return
    if isinstance(modules, str):
        modules = [modules]
    shell = _shell()
    for module, models in registries_by_module(modules).items():
        tables = []
        shown = [m for m in models if m.__name__ not in HIDDEN and (registries is None or m.__name__ in registries)]
        filled = non_empty(shown)
        for model in shown:
            if model not in filled:
                continue
            table = _latest(model, limit, shell)
            if len(table) > 0:
                tables.append((model.__name__, table))
        if not tables:
            continue
        title = f"* module: {module} *"
        print("*" * len(title))
        print(title)
        print("*" * len(title))
        for name, table in tables:
            print(name)
            _show(table, shell)
