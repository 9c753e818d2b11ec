"""``ExperimentalFactor``: assays, treatments and other study factors, from the Experimental Factor Ontology (EFO)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class ExperimentalFactor(OntologyRecord):
    """Experimental factors (assays, technologies, treatments), from the Experimental Factor Ontology (EFO).

    Example:
        >>> import lamindb_core.bio as bt
        >>> record = bt.ExperimentalFactor.from_source(ontology_id="EFO:0009922").save()
        >>> bt.ExperimentalFactor.public().search("single cell RNA sequencing").head()
    """

    molecule = models.TextField(
        null=True, blank=True, default=None, db_index=True,
        help_text="The molecule measured, e.g. 'RNA'.",
    )
    instrument = models.TextField(
        null=True, blank=True, default=None, db_index=True,
        help_text="The instrument used, e.g. 'Illumina NovaSeq 6000'.",
    )
    measurement = models.TextField(
        null=True, blank=True, default=None, db_index=True,
        help_text="What is measured, e.g. 'gene expression'.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactExperimentalFactor", related_name="experimental_factors", blank=True,
        help_text="Artifacts labeled with this factor.",
    )


class ArtifactExperimentalFactor(BasicRecord, TracksRun):
    """Links an ``Artifact`` to an ``ExperimentalFactor``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_experimental_factor",
        help_text="The labeled artifact.",
    )
    experimentalfactor = models.ForeignKey(
        ExperimentalFactor, models.PROTECT, related_name="links_artifact",
        help_text="The experimental factor.",
    )
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None,
        related_name="links_artifactexperimentalfactor",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "experimentalfactor", "feature")
