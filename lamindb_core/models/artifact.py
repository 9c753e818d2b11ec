"""``Artifact``: files, folders and in-memory datasets, with their link tables."""

from __future__ import annotations

from django.db import models

from ..context import current_run_id
from ..uids import base62_16_v0
from .record import BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates


class Artifact(Record, IsVersioned, TracksRun, TracksUpdates):
    """A dataset or model: a file, a folder, a DataFrame or an AnnData.

    The uid has 20 characters: a 16-character stem shared by all versions and a
    4-character version suffix (``0000`` for the first).

    Example:
        >>> ln.Artifact.filter(suffix=".h5ad").df()
    """

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=20, default=base62_16_v0, help_text="Universal id.")
    key = models.CharField(max_length=1024, null=True, blank=True, default=None, db_index=True, help_text="A path-like key.")
    description = models.CharField(max_length=1024, null=True, blank=True, default=None, db_index=True, help_text="A description.")
    suffix = models.CharField(max_length=30, db_index=True, default="", help_text="Path suffix, e.g. .h5ad or .fastq.gz.")
    kind = models.CharField(max_length=20, null=True, blank=True, default=None, db_index=True, help_text="dataset, model, ...")
    otype = models.CharField(max_length=64, null=True, blank=True, default=None, db_index=True, help_text="DataFrame, AnnData, ...")
    size = models.BigIntegerField(null=True, blank=True, default=None, db_index=True, help_text="Size in bytes.")
    hash = models.CharField(max_length=86, null=True, blank=True, default=None, db_index=True, unique=True, help_text="Hash of the content.")
    n_files = models.BigIntegerField(null=True, blank=True, default=None, db_index=True, help_text="Number of files of a folder.")
    n_observations = models.BigIntegerField(null=True, blank=True, default=None, db_index=True, help_text="Number of observations.")
    _hash_type = models.CharField(max_length=30, null=True, blank=True, default=None, help_text="md5, md5-n, ...")
    _key_is_virtual = models.BooleanField(default=True, help_text="Whether the key is only in the database.")
    _curator = models.JSONField(null=True, blank=True, default=None, help_text="Curation state.")
    _overwrite_versions = models.BooleanField(default=False, help_text="Whether versions overwrite each other.")
    storage = models.ForeignKey("core.Storage", models.PROTECT, related_name="artifacts", help_text="Where it is stored.")
    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="output_artifacts",
        help_text="The run that created the artifact.",
    )
    ulabels = models.ManyToManyField(
        "core.ULabel", through="ArtifactULabel", related_name="artifacts", blank=True, help_text="Labels."
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="ArtifactFeatureSet", related_name="artifacts", blank=True, help_text="Feature sets it measures."
    )
    _feature_values = models.ManyToManyField(
        "core.FeatureValue", through="ArtifactFeatureValue", related_name="artifacts", blank=True, help_text="Values of features."
    )
    input_of_runs = models.ManyToManyField(
        "core.Run", related_name="input_artifacts", blank=True, help_text="Runs that read it."
    )


class ArtifactULabel(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``ULabel``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey(Artifact, models.CASCADE, related_name="links_ulabel")
    ulabel = models.ForeignKey("core.ULabel", models.PROTECT, related_name="links_artifact")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactulabel"
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "ulabel", "feature")


class ArtifactFeatureSet(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureSet``; ``slot`` says which part (``var``, ``obs``)."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey(Artifact, models.CASCADE, related_name="links_feature_set")
    featureset = models.ForeignKey("core.FeatureSet", models.PROTECT, related_name="links_artifact")
    slot = models.CharField(max_length=40, null=True, blank=True, default=None)
    feature_ref_is_semantic = models.BooleanField(null=True, blank=True, default=None)

    class Meta:
        unique_together = ("artifact", "featureset")


class ArtifactFeatureValue(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureValue``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    artifact = models.ForeignKey(Artifact, models.CASCADE, related_name="links_featurevalue")
    featurevalue = models.ForeignKey("core.FeatureValue", models.PROTECT, related_name="links_artifact")

    class Meta:
        unique_together = ("artifact", "featurevalue")
