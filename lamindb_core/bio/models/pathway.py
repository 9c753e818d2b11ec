"""``Pathway``: pathways and biological processes, from the Gene Ontology (GO)."""

from __future__ import annotations

from django.db import models

from ...models.record import FEATURE_REF_IS_NAME_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun
from .ontology import OntologyRecord


class Pathway(OntologyRecord):
    """Pathways and biological processes, from the Gene Ontology (GO).

    A term of the Gene Ontology (``GO:0002376``) gets the uid its ontology id
    hashes to, as in LaminDB; ``parents`` and ``children`` link terms, and
    ``genes`` the genes of a pathway. No Gene Ontology table ships offline (see
    ``bt.Pathway.public()``): terms are made by hand, and ``from_values``,
    ``validate``, ``inspect`` and ``standardize`` work against the saved ones and
    their synonyms.

    Example:
        >>> import lamindb_core.bio as bt
        >>> immune = bt.Pathway(name="immune system process", ontology_id="GO:0002376").save()
        >>> immune.genes.add(*bt.Gene.from_values(["CD8A", "CD4"], field=bt.Gene.symbol).save())
    """

    genes = models.ManyToManyField(
        "bio.Gene", related_name="pathways", blank=True,
        help_text="The genes of the pathway; gene.pathways lists the pathways of a gene.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactPathway", related_name="pathways", blank=True,
        help_text="Artifacts labeled with this pathway.",
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="FeatureSetPathway", related_name="pathways", blank=True,
        help_text="Feature sets that hold this pathway, e.g. the pathways a gene-set score measures.",
    )


class ArtifactPathway(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Pathway``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_pathway",
        help_text="The labeled artifact.",
    )
    pathway = models.ForeignKey(Pathway, models.PROTECT, related_name="links_artifact", help_text="The pathway.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactpathway",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "pathway", "feature")


class FeatureSetPathway(BasicRecord):
    """Links a ``FeatureSet`` (registry ``bio.Pathway``) to its pathways."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.CASCADE, related_name="links_pathway",
        help_text="The feature set.",
    )
    pathway = models.ForeignKey(Pathway, models.PROTECT, related_name="links_featureset", help_text="A pathway in the set.")

    class Meta:
        unique_together = ("featureset", "pathway")
