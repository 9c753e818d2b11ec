"""``CellLine``: cell lines, from Cellosaurus (ids like CVCL_0030)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class CellLine(OntologyRecord):
    """Cell lines, from Cellosaurus (ids like CVCL_0030).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.CellLine.from_source(ontology_id="CVCL_0030").save()
        >>> bt.CellLine.public().search("HeLa").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactCellLine", related_name="cell_lines", blank=True,
        help_text="Artifacts labeled with this cell line.",
    )


class ArtifactCellLine(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``CellLine``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_cell_line",
        help_text="The labeled artifact.",
    )
    cellline = models.ForeignKey(CellLine, models.PROTECT, related_name="links_artifact", help_text="The cell line.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactcellline",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "cellline", "feature")
