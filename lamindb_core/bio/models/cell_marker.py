"""``CellMarker``: cell markers of an organism, as the CellMarker database lists them."""

from __future__ import annotations

from typing import Any

from django.db import models

from ...models.record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun,
)
from ...uids import base62_12
from ..settings import settings
from .base import BioRecord
from .organism import Organism


class CellMarker(BioRecord):
    """Cell markers (``CD8``, ``PD1``, ``CD45RA``), as the CellMarker database lists them.

    A marker's name is unique per ``organism``; ``bt.settings.organism``
    (``"human"`` by default) is used when none is passed. Its uid is the hash of
    its name and organism, as in LaminDB, so a marker has the same uid in every
    instance. ``genes`` and ``proteins`` link a marker to what it stands for. No
    public CellMarker table ships offline (see ``bt.CellMarker.public()``):
    markers are made by hand, and ``from_values``, ``validate``, ``inspect`` and
    ``standardize`` work against the saved ones and their synonyms.

    Example:
        >>> import lamindb_core.bio as bt
        >>> pd1 = bt.CellMarker(name="PD1", synonyms="PD-1|CD279", gene_symbol="PDCD1", ncbi_gene_id="5133").save()
        >>> bt.CellMarker.standardize(["CD279", "PD1"])
        ['PD1', 'PD1']
    """

    _name_field = "name"
    _id_field = None  # no id of a public source: markers are known by name and organism
    _organism_dependent = True

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters (the hash of name and organism).",
    )
    name = models.CharField(
        max_length=64, db_index=True,
        help_text="The marker's name, e.g. 'PD1'; unique per organism.",
    )
    synonyms = models.TextField(
        null=True, blank=True, default=None,
        help_text="Other names of the marker, separated by '|'; from_values() finds the marker by them too.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description of the marker.")
    gene_symbol = models.CharField(
        max_length=64, null=True, blank=True, default=None, db_index=True,
        help_text="The symbol of the marker's gene, e.g. 'PDCD1'.",
    )
    ncbi_gene_id = models.CharField(
        max_length=32, null=True, blank=True, default=None, db_index=True,
        help_text="The NCBI gene id of the marker's gene, e.g. '5133'.",
    )
    uniprotkb_id = models.CharField(
        max_length=10, null=True, blank=True, default=None, db_index=True,
        help_text="The UniProtKB accession of the marker's protein, e.g. 'Q15116'.",
    )
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source and version the marker came from; None for a marker made by hand.",
    )
    organism = models.ForeignKey(
        "bio.Organism", models.PROTECT, related_name="cell_markers",
        help_text="The organism of the marker: bt.settings.organism ('human') when none is passed.",
    )
    genes = models.ManyToManyField(
        "bio.Gene", related_name="cell_markers", blank=True,
        help_text="The genes the marker stands for; gene.cell_markers lists the markers of a gene.",
    )
    proteins = models.ManyToManyField(
        "bio.Protein", related_name="cell_markers", blank=True,
        help_text="The proteins the marker stands for; protein.cell_markers lists the markers of a protein.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactCellMarker", related_name="cell_markers", blank=True,
        help_text="Artifacts labeled with this cell marker.",
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="FeatureSetCellMarker", related_name="cell_markers", blank=True,
        help_text="Feature sets that hold this marker, e.g. the markers a flow cytometry panel measures.",
    )

    class Meta:
        unique_together = ("name", "organism")

    @classmethod
    def _uid_key(cls, kwargs: dict) -> str | None:
        """Name and organism name (``"PD1human"``), as LaminDB hashes a marker's uid; the
        organism is the one passed, else ``bt.settings.organism``; None without a name."""
        name = kwargs.get("name")
        if not isinstance(name, str) or not name:
            return None
        organism: Any = kwargs.get("organism")
        if organism is None and kwargs.get("organism_id") is not None:
            organism = Organism.objects.filter(pk=kwargs["organism_id"]).values_list("name", flat=True).first()
        if organism is None:
            organism = settings.organism
        organism = getattr(organism, "name", organism)
        return f"{name}{organism}" if isinstance(organism, str) and organism else None


class ArtifactCellMarker(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``CellMarker``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_cell_marker",
        help_text="The labeled artifact.",
    )
    # cellmarker, not cell_marker: link fields are the registry's name in lower case, as in LaminDB
    cellmarker = models.ForeignKey(CellMarker, models.PROTECT, related_name="links_artifact", help_text="The cell marker.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactcellmarker",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "cellmarker", "feature")


class FeatureSetCellMarker(BasicRecord):
    """Links a ``FeatureSet`` (registry ``bio.CellMarker``) to its cell markers."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.CASCADE, related_name="links_cell_marker",
        help_text="The feature set.",
    )
    cellmarker = models.ForeignKey(
        CellMarker, models.PROTECT, related_name="links_featureset", help_text="A cell marker in the set.",
    )

    class Meta:
        unique_together = ("featureset", "cellmarker")
