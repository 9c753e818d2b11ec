"""``Ethnicity``: ethnicities and ancestries, from the Human Ancestry Ontology (HANCESTRO)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
from .base import OntologyRecord


class Ethnicity(OntologyRecord):
    """Ethnicities and ancestries, from the Human Ancestry Ontology (HANCESTRO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Ethnicity.from_source(ontology_id="HANCESTRO:0005").save()
        >>> bt.Ethnicity.public().search("European").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactEthnicity", related_name="ethnicities", blank=True,
        help_text="Artifacts labeled with this term.",
    )


class ArtifactEthnicity(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Ethnicity``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_ethnicity")
    ethnicity = models.ForeignKey(Ethnicity, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactethnicity"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "ethnicity", "feature")
