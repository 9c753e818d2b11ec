"""``DevelopmentalStage``: developmental stages, from HsapDv (human) and MmusDv (mouse)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class DevelopmentalStage(OntologyRecord):
    """Developmental stages, from HsapDv (human) and MmusDv (mouse).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.DevelopmentalStage.from_source(ontology_id="HsapDv:0000258").save()
        >>> bt.DevelopmentalStage.public().search("adult stage").head()
    """

    _organism_dependent = True

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactDevelopmentalStage", related_name="developmental_stages", blank=True,
        help_text="Artifacts labeled with this developmental stage.",
    )


class ArtifactDevelopmentalStage(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``DevelopmentalStage``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_developmental_stage",
        help_text="The labeled artifact.",
    )
    developmentalstage = models.ForeignKey(
        DevelopmentalStage, models.PROTECT, related_name="links_artifact",
        help_text="The developmental stage.",
    )
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None,
        related_name="links_artifactdevelopmentalstage",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "developmentalstage", "feature")
