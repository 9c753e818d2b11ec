"""``ln.view()``: every registry of every module with its latest records."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .dataframe import annotate_dtypes
from .introspect import registries_by_module

__all__ = ["view", "non_empty"]

# as in LaminDB 1.0's view(): who and where are not data
HIDDEN = {"User", "Space"}


def _show(obj: Any) -> None:
    # a running IPython shell has imported IPython: elsewhere, importing it (0.1 s) only to learn that there is none is waste
    if "IPython" in sys.modules:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    print(obj.to_string() if hasattr(obj, "to_string") else obj)


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
        qs = model.filter()
        if qs.query.is_empty():  # a module whose tables this instance lacks
            continue
        alias = qs.db
        try:
            sql, params = qs.values("pk").query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:
            continue
        by_alias.setdefault(alias, []).append((model, sql, tuple(params)))
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
    for module, models in registries_by_module(modules).items():
        tables = []
        shown = [m for m in models if m.__name__ not in HIDDEN and (registries is None or m.__name__ in registries)]
        filled = non_empty(shown)
        for model in shown:
            if model not in filled:
                continue
            table = model.df(limit=limit)
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
            _show(table)
