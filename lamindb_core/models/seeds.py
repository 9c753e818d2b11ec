"""The rows every instance starts with: the local user, the space ``all``, its storage.

The core app's ``post_migrate`` handler (``CoreConfig.ready`` connects it) makes
them each time :mod:`lamindb_core.instance` has brought the schema up to date, so
a new instance gets them and an existing one gets the user of a new OS account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from .. import object_store
from ..config import InstanceSettings, load_user
from .space import Space
from .storage import Storage
from .user import User

__all__ = ["seed_core"]


def seed_core(
    sender: Any,
    *,
    using: str,
    instance: InstanceSettings | None = None,
    seeded: Any = None,
    **kwargs: Any,
) -> None:
    """``post_migrate`` handler of the core app: add the local user, the default space
    (id 1, ``all``) and the instance's storage folder where they are missing.

    Args:
        sender: The core app's ``AppConfig``.
        using: The database that was migrated; only the current instance's
            (``"default"``) is seeded.
        instance: The instance whose schema was migrated; sent by
            :mod:`lamindb_core.instance`. A ``post_migrate`` from elsewhere (Django's
            ``migrate`` command) carries none and seeds nothing.
        seeded: Where the handler puts what the process needs afterwards:
            ``seeded.user_id`` (the local user's id) and ``seeded.storage`` (the
            ``Storage`` record of the instance's folder).
        **kwargs: The other arguments of Django's ``post_migrate``.
    """
    if instance is None or using != DEFAULT_DB_ALIAS:
        return
    local = load_user()
    user = User.objects.filter(uid=local.uid).first()
    if user is None:
        # the handle is unique: a second OS account with the same handle reuses it
        user = User.objects.filter(handle=local.handle).first()
    if user is None:
        user = User(uid=local.uid, handle=local.handle, name=local.name)
        user.save()
    if not Space.objects.filter(id=1).exists():
        Space(id=1, uid="a" * 12, name="all", description="Every team member has access.", created_by_id=user.id).save()
    cloud = instance.storage_is_cloud
    root = object_store.root_url(instance.storage) if cloud else str(Path(instance.storage).resolve())
    storage = Storage.objects.filter(root=root).first()
    if storage is None:
        storage = Storage(root=root, type="s3" if cloud else "local", instance_uid=instance.uid, created_by_id=user.id)
        storage.save()
    if seeded is not None:
        seeded.user_id = user.id
        seeded.storage = storage
