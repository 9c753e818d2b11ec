"""``Phenotype``: phenotypes and traits, from the Phenotype And Trait Ontology (PATO)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
from .base import OntologyRecord


class Phenotype(OntologyRecord):
    """Phenotypes and traits, from the Phenotype And Trait Ontology (PATO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.Phenotype.from_source(ontology_id="PATO:0000384").save()
        >>> bt.Phenotype.public().search("male").head()
    """

    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactPhenotype", related_name="phenotypes", blank=True,
        help_text="Artifacts labeled with this term.",
    )


class ArtifactPhenotype(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Phenotype``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_phenotype")
    phenotype = models.ForeignKey(Phenotype, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactphenotype"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "phenotype", "feature")
