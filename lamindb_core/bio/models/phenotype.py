"""``Phenotype``: phenotypes and traits, from the Phenotype And Trait Ontology (PATO)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class Phenotype(OntologyRecord):
    """Phenotypes and traits, from the Phenotype And Trait Ontology (PATO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Phenotype.from_source(ontology_id="PATO:0000384").save()
        >>> bt.Phenotype.public().search("male").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactPhenotype", related_name="phenotypes", blank=True,
        help_text="Artifacts labeled with this phenotype.",
    )


class ArtifactPhenotype(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Phenotype``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_phenotype",
        help_text="The labeled artifact.",
    )
    phenotype = models.ForeignKey(Phenotype, models.PROTECT, related_name="links_artifact", help_text="The phenotype.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactphenotype",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "phenotype", "feature")
