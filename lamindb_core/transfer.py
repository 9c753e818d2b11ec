"""Saving a record read from another instance copies it into the current one.

``ln.ULabel.using("owner/name").get(...)`` returns a record of another
instance; ``record.save()`` calls :func:`transfer_to_default`, which

- returns the local record with the same ``uid`` if it was transferred before
  (so saving twice transfers once);
- otherwise maps its foreign keys: ``created_by`` to the local user, ``run`` to
  the run being tracked (None if none), every other parent (a ``Transform``,
  a ``Storage``, the ``Space``) to its local record with the same ``uid``,
  transferring that first if it is missing;
- and inserts the copy, with a new id, through the usual ``save()`` (so a
  record with the same unique name is reused, with a warning). A version
  that is the latest there is the latest here unless a newer version of it
  was saved here (``Artifact``: one latest version per family).

An artifact's data is copied into this instance's storage (``ln.settings.storage``), checked
and journaled as any new data, unless this instance has registered the storage location
too: see ``artifact_lifecycle.prepare_transfer``. Many-to-many links (an artifact's labels)
are not copied.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

from .context import current_run_id
from .instance import current_user_id
from .logger import logger

__all__ = ["transfer_to_default"]


def transfer_to_default(record: Any) -> Any:
    """Copy ``record`` (read from another instance) into the current instance; return it, saved."""
    source = record._state.db
    local = _transfer(record, {})
    if local is not record:
        logger.important(
            f"{type(record).__name__} uid={getattr(local, 'uid', local.pk)!r} is in this instance already "
            f"(transferred from {source} before): returning it"
        )
        record._adopt(local)
    else:
        logger.success(f"transferred {type(record).__name__} uid={getattr(record, 'uid', None)!r} from {source}")
    return record


def _is_run(model: type) -> bool:
    return model._meta.label_lower == "core.run"


def _is_user(model: type) -> bool:
    return model._meta.label_lower == "core.user"


def _transfer(record: Any, seen: dict) -> Any:
    """The local counterpart of ``record``: found by uid, or ``record`` itself after inserting it."""
    model = type(record)
    source = record._state.db
    key = (model, record.pk)
    if key in seen:
        return seen[key]
    has_uid = any(f.name == "uid" for f in model._meta.concrete_fields)
    if has_uid:
        local = model._base_manager.using(DEFAULT_DB_ALIAS).filter(uid=record.uid).first()
        if local is not None:
            seen[key] = local
            return local
    # a record with data elsewhere (an artifact) prepares its copy: the keys it sets are its own
    prepare = getattr(record, "_prepare_transfer", None)
    handled = prepare() if prepare is not None else set()
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.related_model is None or f.name in handled:
            continue
        value = getattr(record, f.attname)
        if value is None:
            continue
        target = f.related_model
        if _is_user(target) and f.name == "created_by":
            new = current_user_id()
        elif _is_run(target):
            new = current_run_id() if f.name == "run" else None
        else:
            parent = target._base_manager.using(source).get(pk=value)
            new = _transfer(parent, seen).pk
        setattr(record, f.attname, new)
    record._state.fields_cache = {}
    record.pk = None
    record._state.adding = True
    record._state.db = None
    seen[key] = record
    settle = getattr(record, "_settle_latest", None)
    if settle is not None and record.is_latest:
        # the other instance's latest version; here other versions of it may be
        # the latest already: the registry decides, as for a new version
        record.is_latest = False
        with transaction.atomic():
            record.save()
            latest = settle(record.stem_uid)
        record.is_latest = latest == record.pk
    else:
        record.save()
    return record
