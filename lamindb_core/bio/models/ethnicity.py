"""``Ethnicity``: ethnicities and ancestries, from the Human Ancestry Ontology (HANCESTRO)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class Ethnicity(OntologyRecord):
    """Ethnicities and ancestries, from the Human Ancestry Ontology (HANCESTRO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Ethnicity.from_source(ontology_id="HANCESTRO:0005").save()
        >>> bt.Ethnicity.public().search("European").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactEthnicity", related_name="ethnicities", blank=True,
        help_text="Artifacts labeled with this ethnicity.",
    )


class ArtifactEthnicity(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Ethnicity``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_ethnicity",
        help_text="The labeled artifact.",
    )
    ethnicity = models.ForeignKey(Ethnicity, models.PROTECT, related_name="links_artifact", help_text="The ethnicity.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactethnicity",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "ethnicity", "feature")
