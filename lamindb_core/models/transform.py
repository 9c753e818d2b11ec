"""``Transform``: notebooks, scripts and pipelines that create data."""

from __future__ import annotations

from django.db import models

from ..instance import current_user_id
from ..uids import base62_12_v0
from .record import ID_HELP, IsVersioned, Record


class Transform(Record, IsVersioned):
    """A notebook, script or pipeline; each execution is a ``Run``.

    ``ln.track()`` creates or reuses the transform of the running notebook or
    script. In queries, ``name`` means ``key`` (as in LaminDB 1.0).

    Example:
        >>> ln.Transform.filter(key__endswith=".ipynb").df()
    """

    _field_aliases = {"name": "key"}

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=16, default=base62_12_v0,
        help_text="Universal id, valid across instances: a 12-character stem that all versions share, then a "
        "4-character version counter, e.g. 'pd7UR7Z8hoTq0000'.",
    )
    key = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True,
        help_text="The notebook's or script's file name, e.g. 'analysis.ipynb'; queries take name for it.",
    )
    description = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="A title or description; a notebook's title by default.",
    )
    type = models.CharField(
        max_length=20, db_index=True, default="pipeline",
        help_text="'notebook', 'script', 'pipeline' or 'function'.",
    )
    source_code = models.TextField(
        null=True, blank=True, default=None,
        help_text="The source code of a script, saved by ln.track().",
    )
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True,
        help_text="Hash of the source code.",
    )
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None,
        help_text="A reference, such as the URL of the source code.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None,
        help_text="The kind of reference, e.g. 'url'.",
    )
    _template = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="_derived_from_template",
        help_text="The transform this one was made from, as a template.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the transform was created.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="created_transforms",
        help_text="The user who created the transform.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="When the transform was last saved.")
