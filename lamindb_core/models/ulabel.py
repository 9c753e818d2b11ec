"""``ULabel``: universal labels, for anything that has no registry of its own."""

from __future__ import annotations

from django.db import models

from ..uids import base62_8
from .record import Record, TracksRun, TracksUpdates


class ULabel(Record, TracksRun, TracksUpdates):
    """A universal label: a study, a treatment, a project, a concept.

    Labels form a hierarchy through ``parents`` and ``children``. The name is
    unique: constructing a label whose name exists returns the existing one.

    Example:
        >>> study = ln.ULabel(name="Candidate marker study 1").save()
        >>> ln.ULabel.filter(name__startswith="Candidate").df()
    """

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=8, default=base62_8, help_text="Universal id.")
    name = models.CharField(max_length=150, unique=True, db_index=True, help_text="Name of the label.")
    is_concept = models.BooleanField(default=False, db_index=True, help_text="Whether the label groups other labels.")
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    reference = models.CharField(max_length=255, null=True, blank=True, default=None, db_index=True, help_text="A reference, such as an ontology id or URL.")
    reference_type = models.CharField(max_length=25, null=True, blank=True, default=None, db_index=True, help_text="Type of the reference.")
    parents = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True, help_text="Parent labels."
    )
