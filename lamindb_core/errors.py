"""Exceptions that users see.

Every error names the registry and what was wrong, and where a user likely
mistyped a name it offers the closest valid one. ``DoesNotExist`` and
``MultipleResultsFound`` subclass Django's own exceptions, so code written for
Django catches them too.

Example:
    >>> import lamindb_core as ln
    >>> try:
    ...     ln.ULabel.get(name="no such label")
    ... except ln.errors.DoesNotExist as e:
    ...     print(e)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist

__all__ = [
    "DoesNotExist",
    "MultipleResultsFound",
    "NotFound",
    "FieldValidationError",
    "InvalidArgument",
    "ValidationError",
    "ContentChanged",
    "InstanceNotFound",
    "InstanceExists",
    "InstanceUnavailable",
    "MissingModule",
    "OrganismNotSet",
    "SetupError",
    "closest_match_hint",
    "unknown_field",
    "unknown_lookup",
]


class DoesNotExist(ObjectDoesNotExist):
    """No record matches the query."""


class MultipleResultsFound(MultipleObjectsReturned):
    """More than one record matches a query that expects exactly one."""


class NotFound(LookupError):
    """No registry or record of that name or id (a browser's 404); the message names the closest."""


class InvalidArgument(ValueError):
    """An argument has a value that the function does not accept."""


class FieldValidationError(InvalidArgument):
    """A field name that the registry does not have."""


class ValidationError(InvalidArgument):
    """A value that does not fit its field, or a record that cannot be saved as is."""


class ContentChanged(ValidationError):
    """The data of an artifact changed between ``ln.Artifact(...)`` and ``save()``.

    Nothing is saved: the stored bytes must be the bytes whose hash is recorded.
    Create the artifact again from the data as it is now.
    """


class SetupError(RuntimeError):
    """The instance is not set up, or cannot be set up as asked."""


class InstanceUnavailable(SetupError):
    """The instance is registered, but its database or storage cannot be used:
    the SQLite file or the storage folder is missing, the PostgreSQL database was
    dropped or does not answer. Nothing is created in its place."""


class InstanceNotFound(SetupError):
    """No instance of that name is registered in the config folder."""


class InstanceExists(SetupError):
    """An instance of that name exists already."""


class MissingModule(SetupError):
    """A registry of a module (``bt.Gene`` of ``bio``) cannot be used here: the
    instance was set up without the module, so it has none of its tables; or this
    process set up Django without the module's registries. The message says how to
    add the module or load it."""


def closest_match_hint(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of ``choices``, or ``""``.

    ``cutoff`` is difflib's: how alike (0 to 1) a choice must be to be offered.

    Example:
        >>> closest_match_hint("nme", ["name", "uid"])
        " Did you mean 'name'?"
    """
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=cutoff)
    return f" Did you mean '{matches[0]}'?" if matches else ""


def unknown_field(registry: str, name: str, fields: Iterable[str], *, path: str | None = None, what: str = "fields") -> str:
    """The message for a field that ``registry`` does not have: the closest field, then the valid ones.

    The list holds the public fields, sorted; private ones (``_branch_code``) are
    left out of it, though a near miss of one is still offered. ``path`` names the
    whole lookup when the field is further down it (``created_by__nam``).

    Example:
        >>> unknown_field("ULabel", "nme", ["uid", "name", "_branch_code"])
        "ULabel has no field 'nme'. Did you mean 'name'? Valid fields: name, uid."
        >>> unknown_field("User", "nam", ["name", "handle"], path="created_by__nam")
        "'created_by__nam': User has no field 'nam'. Did you mean 'name'? Valid fields: handle, name."
    """
    names = sorted(set(fields))
    public = [n for n in names if not n.startswith("_")]
    where = f"'{path}': " if path and path != name else ""
    return (
        f"{where}{registry} has no field '{name}'.{closest_match_hint(name, names)} "
        f"Valid {what}: {', '.join(public) or 'none'}."
    )


def unknown_lookup(registry: str, field: str, lookup: str, lookups: Iterable[str], *, listed: bool = False) -> str:
    """The message for a lookup that a field does not have: the closest lookup, and with
    ``listed`` the valid ones.

    Example:
        >>> unknown_lookup("ULabel", "name", "startwith", ["exact", "startswith"], listed=True)
        "'startwith' is no lookup of ULabel.name. Did you mean 'startswith'? Lookups: exact, startswith."
    """
    names = sorted(set(lookups))
    valid = f" Lookups: {', '.join(names)}." if listed else ""
    return f"'{lookup}' is no lookup of {registry}.{field}.{closest_match_hint(lookup, names)}{valid}"


class RecordNameChangeIntegrityError(ValidationError):
    """Renaming a label or feature that curated artifacts were validated with: make it
    external first (``artifact.labels.make_external(label)``,
    ``artifact.features.make_external(feature)``), then rename it."""


__all__ += ["RecordNameChangeIntegrityError"]


def rename_refused(kind: str, old: str, new: str, uids: list, make_external: str) -> RecordNameChangeIntegrityError:
    """The error (LaminDB 1.0's words) for renaming a ``kind`` ("label", "feature") from ``old``
    to ``new`` while the curated artifacts ``uids`` name it; ``make_external`` says how to free it."""
    n = len(uids)
    return RecordNameChangeIntegrityError(
        f"You are trying to rename {kind} from '{old}' to '{new}'!\n"
        f"   → The following {n} artifact{'s' if n > 1 else ''} will no longer be validated: {uids}\n\n"
        f"To rename this {kind}, make it external:\n   → run `{make_external}`"
    )


class OrganismNotSet(InvalidArgument):
    """A registry whose records belong to an organism (``bt.Gene``) was used with
    no ``organism=`` and no default organism (``bt.settings.organism``)."""


class IntegrityError(Exception):
    """An operation would break what the registry promises about its data, such as
    deleting a file in a storage location that another instance manages
    (``artifact.delete(storage=False)`` deletes the record alone)."""


__all__.append("IntegrityError")


# -- LaminDB 1.0's names for errors of construction and tracking (ln.core.exceptions) --------------


class TrackNotCalled(InvalidArgument):
    """``ln.finish()`` (or anything else that needs a tracked run) was called before ``ln.track()``."""


class NotebookNotSaved(InvalidArgument):
    """The notebook has unsaved changes, so its source cannot be recorded."""


class NoTitleError(InvalidArgument):
    """A notebook has no title (a first markdown cell ``# Title``) where one is required."""


class MissingContextUID(InvalidArgument):
    """``ln.track()`` needs a transform uid that it cannot infer; the message shows one to pass."""


class UpdateContextError(InvalidArgument):
    """What ``ln.track()`` was asked to do conflicts with the saved transform: a renamed script that
    reuses another file's uid, a version taken by another member of the family, changed source under
    the same uid. The message says which uid or version to pass instead; nothing is saved."""


UpdateContext = UpdateContextError
"""LaminDB 1.0's name of ``UpdateContextError``."""


class InconsistentKey(InvalidArgument):
    """A new version was given a ``key`` other than its family's."""


__all__ += [
    "TrackNotCalled",
    "NotebookNotSaved",
    "NoTitleError",
    "MissingContextUID",
    "UpdateContextError",
    "UpdateContext",
    "InconsistentKey",
]


class StorageError(OSError):
    """A storage location in an object store (an S3 bucket) cannot be used: the bucket does not
    exist, the credentials are wrong, writing is denied, or the server does not answer. The
    message names the bucket and the endpoint; nothing was recorded."""


__all__.append("StorageError")
