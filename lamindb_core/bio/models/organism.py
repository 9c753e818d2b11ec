"""``Organism``: organisms, from the NCBI taxonomy (NCBITaxon)."""

from __future__ import annotations

from django.db import models

from ...models.record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, TracksRun,
)
from ...uids import base62_8
from .base import BioRecord


class Organism(BioRecord):
    """Organisms, from the NCBI organismal classification (NCBITaxon).

    ``name`` is the common name (``human``, ``mouse``), ``scientific_name`` the
    binomial in lower case with an underscore (``homo_sapiens``). The public
    source holds the taxa that have a common name.

    Example:
        >>> import lamindb_core.bio as bt
        >>> human = bt.Organism.from_source(name="human").save()
        >>> human.ontology_id, human.scientific_name
        ('NCBITaxon:9606', 'homo_sapiens')
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=8, default=base62_8,
        help_text="Universal id, valid across instances; 8 characters.",
    )
    name = models.CharField(max_length=64, unique=True, db_index=True, help_text="Unique common name, e.g. 'human'.")
    ontology_id = models.CharField(
        max_length=32, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="The NCBI Taxonomy id, e.g. 'NCBITaxon:9606'.",
    )
    scientific_name = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="The scientific name in lower case with an underscore, e.g. 'homo_sapiens'.",
    )
    synonyms = models.TextField(null=True, blank=True, default=None, help_text="Other names, separated by '|'.")
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source and version the organism came from; None for one made by hand.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactOrganism", related_name="organisms", blank=True,
        help_text="Artifacts labeled with this organism.",
    )


class ArtifactOrganism(BasicRecord, TracksRun):
    """Links an ``Artifact`` to an ``Organism``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_organism",
        help_text="The labeled artifact.",
    )
    organism = models.ForeignKey(Organism, models.PROTECT, related_name="links_artifact", help_text="The organism.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactorganism",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "organism", "feature")
