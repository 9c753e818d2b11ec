"""``ExperimentalFactor``: assays, treatments and other study factors, from the Experimental Factor Ontology (EFO)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
from .base import OntologyRecord


class ExperimentalFactor(OntologyRecord):
    """Experimental factors (assays, technologies, treatments), from the Experimental Factor Ontology (EFO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.ExperimentalFactor.from_source(ontology_id="EFO:0009922").save()
        >>> bt.ExperimentalFactor.public().search("single cell RNA sequencing").head()
    """

    molecule = models.TextField(null=True, blank=True, default=None, db_index=True, help_text="The molecule measured, e.g. RNA.")
    instrument = models.TextField(null=True, blank=True, default=None, db_index=True, help_text="The instrument used.")
    measurement = models.TextField(null=True, blank=True, default=None, db_index=True, help_text="What is measured.")
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactExperimentalFactor", related_name="experimental_factors", blank=True,
        help_text="Artifacts labeled with this factor.",
    )


class ArtifactExperimentalFactor(BasicRecord, TracksRun):
    """Links an ``Artifact`` to an ``ExperimentalFactor``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_experimental_factor")
    experimentalfactor = models.ForeignKey(ExperimentalFactor, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactexperimentalfactor"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "experimentalfactor", "feature")
