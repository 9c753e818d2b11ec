"""lamindb-core: a metadata registry for data in biology and machine learning.

Import it as LaminDB 1.0 is imported::

    import lamindb_core as ln

    ln.setup.init(storage="./mydata")          # or let the first query set up a default
    ln.ULabel(name="Candidate marker study 1").save()
    ln.ULabel.filter(name__startswith="Candidate").df()

Importing opens no database and loads no heavy library: registries are loaded
(and Django configured) when first used, and the database is opened by the
first query.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from . import errors

__version__ = "0.1.0"

# registries and helpers that need Django: loaded on first access
_REGISTRIES = (
    "Artifact",
    "Collection",
    "Feature",
    "FeatureSet",
    "FeatureValue",
    "Param",
    "ParamValue",
    "Person",
    "Project",
    "Record",
    "Reference",
    "Registry",
    "Run",
    "Schema",
    "Space",
    "Storage",
    "Transform",
    "ULabel",
    "User",
)
_FUNCTIONS = {
    "save": ("bulk", "save"),
    "view": ("overview", "view"),
    "track": ("models.tracking", "track"),
    "finish": ("models.tracking", "finish"),
    "Curator": ("models.curators", "Curator"),
}
_MODULES = ("setup", "fields", "core", "models")

__all__ = ["errors", "context", "settings", "Q", "UPath", *_REGISTRIES, *_FUNCTIONS, *_MODULES, "__version__"]


def __getattr__(name: str) -> Any:
    # each name is resolved once, then cached in the module: ln.ULabel in a loop is free
    if name in _REGISTRIES:
        from .instance import ensure_django

        ensure_django()
        models = importlib.import_module(".models", __name__)
        value = globals()[name] = getattr(models, name)
        return value
    if name in _FUNCTIONS:
        from .instance import ensure_django

        ensure_django()
        module, attr = _FUNCTIONS[name]
        value = globals()[name] = getattr(importlib.import_module(f".{module}", __name__), attr)
        return value
    if name in _MODULES:
        if name == "models":
            from .instance import ensure_django

            ensure_django()
        return importlib.import_module(f".{name}", __name__)
    if name == "settings":
        # a module named otherwise: importing it would set ln.settings to the module
        from .process_settings import settings

        value = globals()[name] = settings
        return value
    if name == "Q":
        from django.db.models import Q

        return Q
    if name == "UPath":
        from .upath import UPath

        value = globals()[name] = UPath
        return value
    raise AttributeError(f"module 'lamindb_core' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package's module type: ``ln.context`` is the tracking ``Context``
    (``lamindb_core.models.tracking.context``), not the submodule of the same
    name that holds its state; a property wins over the module attribute that
    importing the submodule sets."""

    @property
    def context(self) -> Any:
        from .instance import ensure_django

        ensure_django()
        return importlib.import_module(".models.tracking", __name__).context

    @context.setter
    def context(self, value: Any) -> None:
        # importing lamindb_core.context binds it here; ln.context stays the tracking context
        if not isinstance(value, types.ModuleType):
            raise AttributeError("ln.context cannot be replaced; set its attributes, e.g. ln.context.version")


sys.modules[__name__].__class__ = _Package
