"""``ln.view()``: every registry of every module with its latest records."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from .dataframe import annotate_dtypes
from .instance import current_instance, ensure_django

__all__ = ["view", "registries_by_module"]

MODULE_APPS = {"core": "core", "bio": "bio", "custom": "custom"}
# as in LaminDB 1.0's view(): who and where are not data
HIDDEN = {"User", "Space"}


def registries_by_module(modules: list[str] | None = None) -> dict[str, list[type]]:
    """The registries of each module of the current instance, sorted by name.

    Link tables are left out. ``custom`` holds registries defined in user code.
    Configures Django for the current instance if nothing has yet (a fresh process).
    """
    ensure_django()
    enabled = ["core", *current_instance().modules, "custom"]
    if modules is not None:
        enabled = [m for m in enabled if m in modules]
    result: dict[str, list[type]] = {}
    for module in enabled:
        try:
            config = apps.get_app_config(MODULE_APPS.get(module, module))
        except LookupError:
            continue
        models = [
            m for m in config.get_models()
            if not getattr(m, "_is_link_table", False)
            and not m._meta.auto_created
            and m.__name__ not in HIDDEN
        ]
        if models:
            result[module] = sorted(models, key=lambda m: m.__name__)
    return result


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
            if registries is not None and model.__name__ not in registries:
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
