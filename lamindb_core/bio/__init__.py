"""Biological registries backed by public ontologies: ``import lamindb_core.bio as bt``.

Registries: ``Organism``, ``Gene``, ``CellType``, ``Tissue``, ``Disease``,
``CellLine``, ``ExperimentalFactor``, ``Phenotype``, ``DevelopmentalStage``,
``Ethnicity`` and ``Source``. Each (but ``Source``) has a public source that
installs with pip (``pip install 'lamindb-jupyter[bio]'``), read offline::

    import lamindb_core as ln
    import lamindb_core.bio as bt

    ln.setup.init(storage="./test-registries", modules="bio")
    bt.CellType.public().search("P cell").head()           # the whole Cell Ontology
    bt.CellType.from_source(ontology_id="CL:0000084").save()
    bt.Gene.from_values(["CD8A", "CD4", "CD14"], field=bt.Gene.symbol).save()
    bt.settings.organism = "mouse"

Instances and the ``bio`` module: the tables of the bio registries exist in
every instance (every app is migrated), so the registries work on any instance.
The instance's ``modules`` say what is shown: ``ln.view()`` lists the bio
registries only where ``bio`` is enabled. Using ``bt`` on an instance without it
prints a one-time hint how to enable it (``ln.setup.init(..., modules="bio")``
on the existing instance adds the module and keeps its data).

Importing this module loads nothing heavy and touches no database: registries
are loaded (and Django configured) on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

# the Settings object, not the submodule of the same name (light: no Django, no pandas)
from .settings import settings

__all__ = [
    "CellLine",
    "CellType",
    "DevelopmentalStage",
    "Disease",
    "Ethnicity",
    "ExperimentalFactor",
    "Gene",
    "Organism",
    "Phenotype",
    "Source",
    "Tissue",
    "settings",
]

_REGISTRIES = frozenset(__all__) - {"settings"}
_hinted = False


def _hint_if_not_enabled() -> None:
    global _hinted
    if _hinted:
        return
    _hinted = True
    from ..instance import current_instance
    from ..logger import logger

    instance = current_instance()
    if "bio" not in instance.modules:
        logger.warning(
            f"the module 'bio' is not enabled on instance {instance.slug}: its registries work, but "
            "ln.view() does not list them; enable it by running ln.setup.init(...) again with the "
            "instance's storage, name and database and modules='bio' (its data stays)"
        )


def __getattr__(name: str) -> Any:
    if name in _REGISTRIES:
        from ..instance import ensure_django

        ensure_django()
        _hint_if_not_enabled()
        models = importlib.import_module(".models", __name__)
        return getattr(models, name)
    if name in ("models", "sources", "public"):
        if name == "models":
            from ..instance import ensure_django

            ensure_django()
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lamindb_core.bio' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
