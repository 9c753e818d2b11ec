"""``Tissue``: tissues, from the Uber-anatomy ontology (UBERON)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class Tissue(OntologyRecord):
    """Tissues, from the Uber-anatomy ontology (UBERON).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Tissue.from_source(ontology_id="UBERON:0002048").save()
        >>> bt.Tissue.public().search("lung").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactTissue", related_name="tissues", blank=True,
        help_text="Artifacts labeled with this tissue.",
    )


class ArtifactTissue(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Tissue``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_tissue",
        help_text="The labeled artifact.",
    )
    tissue = models.ForeignKey(Tissue, models.PROTECT, related_name="links_artifact", help_text="The tissue.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifacttissue",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "tissue", "feature")
