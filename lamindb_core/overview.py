"""``ln.view()``: every registry of every module with its latest records."""

from __future__ import annotations

from typing import Any

from .dataframe import annotate_dtypes
from .introspect import registries_by_module

__all__ = ["view"]

# as in LaminDB 1.0's view(): who and where are not data
HIDDEN = {"User", "Space"}


def _show(obj: Any) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    except ImportError:
        pass
    print(obj.to_string() if hasattr(obj, "to_string") else obj)


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
        for model in models:
            if model.__name__ in HIDDEN or (registries is not None and model.__name__ not in registries):
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
