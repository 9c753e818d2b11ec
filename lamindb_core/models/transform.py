"""``Transform``: notebooks, scripts and pipelines that create data."""

from __future__ import annotations

from django.db import models

from ..instance import current_user_id
from ..uids import base62_12_v0
from .record import IsVersioned, Record


class Transform(Record, IsVersioned):
    """A notebook, script or pipeline; each execution is a ``Run``.

    ``ln.track()`` creates or reuses the transform of the running notebook or
    script. In queries, ``name`` means ``key`` (as in LaminDB 1.0).

    Example:
        >>> ln.Transform.filter(key__endswith=".ipynb").df()
    """

    _field_aliases = {"name": "key"}

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=16, default=base62_12_v0, help_text="Universal id.")
    key = models.CharField(max_length=1024, null=True, blank=True, default=None, db_index=True, help_text="File name or path.")
    description = models.CharField(max_length=255, null=True, blank=True, default=None, db_index=True, help_text="Title or description.")
    type = models.CharField(max_length=20, db_index=True, default="pipeline", help_text="notebook, script, pipeline, function.")
    source_code = models.TextField(null=True, blank=True, default=None, help_text="Source code.")
    hash = models.CharField(max_length=22, null=True, blank=True, default=None, db_index=True, help_text="Hash of the source code.")
    reference = models.CharField(max_length=255, null=True, blank=True, default=None, help_text="A reference, such as a URL.")
    reference_type = models.CharField(max_length=25, null=True, blank=True, default=None, help_text="Type of the reference.")
    _template = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="_derived_from_template",
        help_text="The template this transform was made from.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="Time of creation.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="created_transforms", help_text="Creator."
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="Time of the last update.")
