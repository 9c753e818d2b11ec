"""``Disease``: diseases, from the Mondo Disease Ontology (MONDO)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class Disease(OntologyRecord):
    """Diseases, from the Mondo Disease Ontology (MONDO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Disease.from_source(ontology_id="MONDO:0004992").save()
        >>> bt.Disease.public().search("cancer").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactDisease", related_name="diseases", blank=True,
        help_text="Artifacts labeled with this disease.",
    )


class ArtifactDisease(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Disease``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_disease",
        help_text="The labeled artifact.",
    )
    disease = models.ForeignKey(Disease, models.PROTECT, related_name="links_artifact", help_text="The disease.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactdisease",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "disease", "feature")
