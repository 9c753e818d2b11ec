"""``CellType``: cell types, from the Cell Ontology (CL)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class CellType(OntologyRecord):
    """Cell types, from the Cell Ontology (CL).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.CellType.from_source(ontology_id="CL:0000084").save()
        >>> bt.CellType.public().search("T cell").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactCellType", related_name="cell_types", blank=True,
        help_text="Artifacts labeled with this cell type.",
    )


class ArtifactCellType(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``CellType``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_cell_type",
        help_text="The labeled artifact.",
    )
    celltype = models.ForeignKey(CellType, models.PROTECT, related_name="links_artifact", help_text="The cell type.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactcelltype",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "celltype", "feature")
