"""``User``: the people who create records."""

from __future__ import annotations

from django.db import models

from ..uids import base62_8
from .record import ID_HELP, BasicRecord


class User(BasicRecord):
    """A user: the local OS account or a named collaborator.

    Every record's ``created_by`` points here. The local user is added when an
    instance is first connected from an account.

    Example:
        >>> ln.User.get(handle="testuser1")
    """

    # looked up by the handle, as in LaminDB 1.0: ln.User.lookup().testuser1
    _lookup_field = "handle"

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=8, default=base62_8,
        help_text="Universal id, valid across instances; 8 characters.",
    )
    handle = models.CharField(
        max_length=30, unique=True, db_index=True,
        help_text="Unique handle, e.g. 'testuser1'; the owner in an instance's owner/name.",
    )
    name = models.CharField(max_length=150, db_index=True, null=True, blank=True, default=None, help_text="Full name.")
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True,
        help_text="When the user was added to the instance.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="When the user was last saved.")
