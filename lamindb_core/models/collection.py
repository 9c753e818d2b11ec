"""``Collection``: versioned sets of artifacts."""

from __future__ import annotations

from django.db import models

from ..context import current_run_id
from ..uids import base62_16_v0
from .record import ID_HELP, BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates


class Collection(Record, IsVersioned, TracksRun, TracksUpdates):
    """A collection of artifacts, such as the shards of a dataset.

    Example:
        >>> ln.Collection.df()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=20, default=base62_16_v0,
        help_text="Universal id, valid across instances: a 16-character stem that all versions share, then a "
        "4-character version counter (0000 for the first).",
    )
    key = models.CharField(
        max_length=255, db_index=True,
        help_text="The collection's name or path-like key, e.g. 'scrna/all-batches'.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True, unique=True,
        help_text="Hash of the collection's content, made from its artifacts.",
    )
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="A reference, such as a URL or a DOI.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None, db_index=True,
        help_text="The kind of reference, e.g. 'url' or 'doi'.",
    )
    meta_artifact = models.OneToOneField(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_meta_of_collection",
        help_text="An artifact that holds the collection's metadata, such as a table of its samples.",
    )
    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="output_collections",
        help_text="The run that created the collection: the run of ln.track() when it was saved, else None.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="CollectionArtifact", related_name="collections", blank=True,
        help_text="The artifacts in the collection.",
    )


class CollectionArtifact(BasicRecord, TracksRun):
    """Links a ``Collection`` to its artifacts."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    collection = models.ForeignKey(
        Collection, models.CASCADE, related_name="links_artifact",
        help_text="The collection.",
    )
    artifact = models.ForeignKey(
        "core.Artifact", models.PROTECT, related_name="links_collection",
        help_text="An artifact in it.",
    )

    class Meta:
        unique_together = ("collection", "artifact")
