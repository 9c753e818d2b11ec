"""``Space``: who may see a record. Every instance has the space ``all`` (id 1)."""

from __future__ import annotations

from django.db import models

from ..instance import current_user_id
from ..uids import base62_12
from .record import BasicRecord


class Space(BasicRecord):
    """A space that records live in; the default space ``all`` has id 1.

    Example:
        >>> ln.Space.get(1)
    """

    id = models.SmallAutoField(
        primary_key=True,
        help_text="Integer id; the space 'all', which every instance has, is 1.",
    )
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    name = models.CharField(
        max_length=100, unique=True, db_index=True,
        help_text="Unique name of the space, e.g. 'all'.",
    )
    description = models.CharField(max_length=255, null=True, blank=True, default=None, help_text="A description.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the space was created.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="+",
        help_text="The user who created the space.",
    )
