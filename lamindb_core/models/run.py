"""``Run``: one execution of a ``Transform``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..instance import current_user_id
from ..uids import base62_20
from .record import Record


class Run(Record):
    """One execution of a transform; records saved during it point to it.

    Example:
        >>> ln.track()
        >>> ln.Run.df()
    """

    id = models.BigAutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=20, default=base62_20, help_text="Universal id.")
    name = models.CharField(max_length=150, null=True, blank=True, default=None, help_text="A name for the run.")
    started_at = models.DateTimeField(default=timezone.now, db_index=True, help_text="Start time.")
    finished_at = models.DateTimeField(null=True, blank=True, default=None, db_index=True, help_text="Finish time.")
    reference = models.CharField(max_length=255, null=True, blank=True, default=None, help_text="A reference, such as a URL.")
    reference_type = models.CharField(max_length=25, null=True, blank=True, default=None, help_text="Type of the reference.")
    _is_consecutive = models.BooleanField(null=True, blank=True, default=None, help_text="Whether cells ran in order.")
    _status_code = models.SmallIntegerField(default=0, db_index=True, help_text="0 running or done, < 0 failed.")
    transform = models.ForeignKey("core.Transform", models.CASCADE, related_name="runs", help_text="What ran.")
    report = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_report_of",
        help_text="A report of the run, e.g. an HTML rendering of a notebook.",
    )
    _logfile = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_logfile_of",
        help_text="The log of the run.",
    )
    environment = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_environment_of",
        help_text="The computational environment of the run.",
    )
    initiated_by_run = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, default=None, related_name="initiated_runs",
        help_text="The run that started this one.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="Time of creation.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="created_runs", help_text="Who ran it."
    )
