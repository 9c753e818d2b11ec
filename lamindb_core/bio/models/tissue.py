"""``Tissue``: tissues, from the Uber-anatomy ontology (UBERON)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
from .base import OntologyRecord


class Tissue(OntologyRecord):
    """Tissues, from the Uber-anatomy ontology (UBERON).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Tissue.from_source(ontology_id="UBERON:0002048").save()
        >>> bt.Tissue.public().search("lung").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactTissue", related_name="tissues", blank=True,
        help_text="Artifacts labeled with this term.",
    )


class ArtifactTissue(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Tissue``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_tissue")
    tissue = models.ForeignKey(Tissue, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifacttissue"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "tissue", "feature")
