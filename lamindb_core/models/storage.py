"""``Storage``: the folders (storage locations) that hold artifacts."""

from __future__ import annotations

from django.db import models

from ..uids import base62_12
from .record import Record, TracksRun, TracksUpdates


class Storage(Record, TracksRun, TracksUpdates):
    """A storage location: a local folder (or, later, a bucket).

    The instance's own storage folder is added when the instance is set up.

    Example:
        >>> ln.Storage.df()
    """

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=12, default=base62_12, help_text="Universal id.")
    root = models.CharField(max_length=255, unique=True, db_index=True, help_text="Root path, e.g. /data/mystorage.")
    description = models.CharField(max_length=255, null=True, blank=True, default=None, help_text="Description.")
    type = models.CharField(max_length=30, db_index=True, default="local", help_text="local, s3, gs, ...")
    region = models.CharField(max_length=64, null=True, blank=True, default=None, help_text="Cloud region.")
    instance_uid = models.CharField(
        max_length=12, null=True, blank=True, default=None, db_index=True,
        help_text="uid of the instance that manages this storage.",
    )
