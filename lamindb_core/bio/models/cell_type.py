"""``CellType``: cell types, from the Cell Ontology (CL)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
from .base import OntologyRecord


class CellType(OntologyRecord):
    """Cell types, from the Cell Ontology (CL).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.CellType.from_source(ontology_id="CL:0000084").save()
        >>> bt.CellType.public().search("T cell").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactCellType", related_name="cell_types", blank=True,
        help_text="Artifacts labeled with this term.",
    )


class ArtifactCellType(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``CellType``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_cell_type")
    celltype = models.ForeignKey(CellType, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactcelltype"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "celltype", "feature")
