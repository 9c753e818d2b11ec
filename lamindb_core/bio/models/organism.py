"""``Organism``: organisms, from the NCBI taxonomy (NCBITaxon)."""

from __future__ import annotations

from django.db import models

from ...models.record import BasicRecord, TracksRun
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

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=8, default=base62_8, help_text="Universal id.")
    name = models.CharField(max_length=64, unique=True, db_index=True, help_text="Common name, e.g. human.")
    ontology_id = models.CharField(
        max_length=32, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="NCBI taxonomy id, e.g. NCBITaxon:9606.",
    )
    scientific_name = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="Scientific name, e.g. homo_sapiens.",
    )
    synonyms = models.TextField(null=True, blank=True, default=None, help_text="Synonyms, separated by '|'.")
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source the record came from.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactOrganism", related_name="organisms", blank=True,
        help_text="Artifacts labeled with this organism.",
    )


class ArtifactOrganism(BasicRecord, TracksRun):
    """Links an ``Artifact`` to an ``Organism``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_organism")
    organism = models.ForeignKey(Organism, models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactorganism"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "organism", "feature")
