"""``Protein``: proteins of an organism, as UniProtKB lists them."""

from __future__ import annotations

from django.db import models

from ...models.record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun,
)
from ...uids import base62_12
from .base import BioRecord


class Protein(BioRecord):
    """Proteins, as UniProtKB lists them.

    Every protein belongs to an ``organism``; ``bt.settings.organism`` (``"human"``
    by default) is used when none is passed. A protein with a ``uniprotkb_id``
    gets the uid that id hashes to, as in LaminDB, so it has the same uid in every
    instance. No public UniProt table ships offline (see ``bt.Protein.public()``):
    proteins are made by hand, and ``from_values``, ``validate``, ``inspect`` and
    ``standardize`` work against the saved ones and their synonyms.

    Example:
        >>> import lamindb_core.bio as bt
        >>> cd8a = bt.Protein(name="T-cell surface glycoprotein CD8 alpha chain", uniprotkb_id="P01732",
        ...                   gene_symbol="CD8A", synonyms="CD8A_HUMAN|T-lymphocyte differentiation antigen T8/Leu-2").save()
        >>> bt.Protein.standardize(["CD8A_HUMAN"])
        ['T-cell surface glycoprotein CD8 alpha chain']
    """

    _name_field = "name"
    _id_field = "uniprotkb_id"
    _organism_dependent = True

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters (the hash of the UniProtKB id, if any).",
    )
    name = models.CharField(
        max_length=256, null=True, blank=True, default=None, db_index=True,
        help_text="The protein's name, e.g. 'T-cell surface glycoprotein CD8 alpha chain'.",
    )
    uniprotkb_id = models.CharField(
        max_length=10, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="The UniProtKB accession: 6 letters and digits, possibly 4 more, e.g. 'P01732'.",
    )
    synonyms = models.TextField(
        null=True, blank=True, default=None,
        help_text="Other names of the protein, separated by '|'; from_values() finds the protein by them too.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description of the protein.")
    length = models.BigIntegerField(
        null=True, blank=True, default=None, db_index=True,
        help_text="The length of the protein's sequence, in amino acids.",
    )
    gene_symbol = models.CharField(
        max_length=256, null=True, blank=True, default=None, db_index=True,
        help_text="The symbol of the gene that encodes the protein, e.g. 'CD8A'.",
    )
    ensembl_gene_ids = models.TextField(
        null=True, blank=True, default=None,
        help_text="Ensembl gene ids of the genes that encode the protein, separated by '|'.",
    )
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source and version the protein came from; None for a protein made by hand.",
    )
    organism = models.ForeignKey(
        "bio.Organism", models.PROTECT, related_name="proteins",
        help_text="The organism of the protein: bt.settings.organism ('human') when none is passed.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactProtein", related_name="proteins", blank=True,
        help_text="Artifacts labeled with this protein.",
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="FeatureSetProtein", related_name="proteins", blank=True,
        help_text="Feature sets that hold this protein, e.g. the proteins a CITE-seq panel measures.",
    )


class ArtifactProtein(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Protein``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_protein",
        help_text="The labeled artifact.",
    )
    protein = models.ForeignKey(Protein, models.PROTECT, related_name="links_artifact", help_text="The protein.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactprotein",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "protein", "feature")


class FeatureSetProtein(BasicRecord):
    """Links a ``FeatureSet`` (registry ``bio.Protein``) to its proteins."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.CASCADE, related_name="links_protein",
        help_text="The feature set.",
    )
    protein = models.ForeignKey(Protein, models.PROTECT, related_name="links_featureset", help_text="A protein in the set.")

    class Meta:
        unique_together = ("featureset", "protein")
