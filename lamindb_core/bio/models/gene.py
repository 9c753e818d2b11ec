"""``Gene``: genes of an organism, from Ensembl gene tables."""

from __future__ import annotations

from django.db import models

from ...models.record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun,
)
from ...uids import base62_12
from .base import BioRecord


class Gene(BioRecord):
    """Genes, from Ensembl (human: merged with HGNC symbols, names and NCBI gene ids).

    Every gene belongs to an ``organism``; ``bt.settings.organism`` (``"human"``
    by default) is used when none is passed.

    Example:
        >>> import lamindb_core.bio as bt
        >>> genes = bt.Gene.from_values(["CD8A", "CD4", "CD14"], field=bt.Gene.symbol).save()
        >>> bt.Gene.get(symbol="CD8A").ensembl_gene_id
        'ENSG00000153563'
    """

    _name_field = "symbol"
    _id_field = "ensembl_gene_id"
    _organism_dependent = True
    # what ln.Curator warns about when data is validated against a field
    _curation_warnings = {
        "symbol": "indexing datasets with gene symbols can be problematic: https://docs.lamin.ai/faq/symbol-mapping",
    }

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    symbol = models.CharField(
        max_length=64, null=True, blank=True, default=None, db_index=True,
        help_text="The gene symbol, e.g. 'CD8A' (HGNC's for human); not unique: genes may share one.",
    )
    stable_id = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="A stable id for organisms whose genes have no Ensembl id.",
    )
    ensembl_gene_id = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="The Ensembl gene id, e.g. 'ENSG00000153563'.",
    )
    ncbi_gene_ids = models.TextField(
        null=True, blank=True, default=None,
        help_text="NCBI gene ids, separated by '|', e.g. '925'.",
    )
    biotype = models.CharField(
        max_length=64, null=True, blank=True, default=None, db_index=True,
        help_text="The Ensembl biotype, e.g. 'protein_coding'.",
    )
    synonyms = models.TextField(
        null=True, blank=True, default=None,
        help_text="Previous and alias symbols, separated by '|'; from_values() finds the gene by them too.",
    )
    description = models.TextField(
        null=True, blank=True, default=None,
        help_text="The gene's full name, e.g. 'CD8a molecule'.",
    )
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source and version the gene came from; None for a gene made by hand.",
    )
    organism = models.ForeignKey(
        "bio.Organism", models.PROTECT, related_name="genes",
        help_text="The organism of the gene: bt.settings.organism ('human') when none is passed.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactGene", related_name="genes", blank=True,
        help_text="Artifacts labeled with this gene.",
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="FeatureSetGene", related_name="genes", blank=True,
        help_text="Feature sets that hold this gene, e.g. the genes an AnnData measures (its var).",
    )


class ArtifactGene(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Gene``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_gene",
        help_text="The labeled artifact.",
    )
    gene = models.ForeignKey(Gene, models.PROTECT, related_name="links_artifact", help_text="The gene.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactgene",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "gene", "feature")


class FeatureSetGene(BasicRecord):
    """Links a ``FeatureSet`` (registry ``bio.Gene``) to its genes."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.CASCADE, related_name="links_gene",
        help_text="The feature set.",
    )
    gene = models.ForeignKey(Gene, models.PROTECT, related_name="links_featureset", help_text="A gene in the set.")

    class Meta:
        unique_together = ("featureset", "gene")
