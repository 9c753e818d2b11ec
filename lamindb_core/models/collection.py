"""``Collection``: versioned sets of artifacts."""

from __future__ import annotations

from django.db import models

from ..context import current_run_id
from ..uids import base62_16_v0
from .record import BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates


class Collection(Record, IsVersioned, TracksRun, TracksUpdates):
    """A collection of artifacts, such as the shards of a dataset.

    Example:
        >>> ln.Collection.df()
    """

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=20, default=base62_16_v0, help_text="Universal id.")
    key = models.CharField(max_length=255, db_index=True, help_text="Name or path-like key.")
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    hash = models.CharField(max_length=22, null=True, blank=True, default=None, db_index=True, unique=True, help_text="Hash of the members.")
    reference = models.CharField(max_length=255, null=True, blank=True, default=None, db_index=True, help_text="A reference.")
    reference_type = models.CharField(max_length=25, null=True, blank=True, default=None, db_index=True, help_text="Type of the reference.")
    meta_artifact = models.OneToOneField(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_meta_of_collection",
        help_text="An artifact that holds the collection's metadata.",
    )
    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="output_collections",
        help_text="The run that created the collection.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="CollectionArtifact", related_name="collections", blank=True, help_text="Its artifacts."
    )


class CollectionArtifact(BasicRecord, TracksRun):
    """Links a ``Collection`` to its artifacts."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True)
    collection = models.ForeignKey(Collection, models.CASCADE, related_name="links_artifact")
    artifact = models.ForeignKey("core.Artifact", models.PROTECT, related_name="links_collection")

    class Meta:
        unique_together = ("collection", "artifact")
