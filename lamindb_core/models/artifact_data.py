"""What ``ln.Artifact(data, ...)`` makes of its arguments, as LaminDB 1.0 does: the checks of
the arguments, the storage location and key of the data, versions, and ``Artifact.from_dir``.

``Artifact`` calls these with its own class; nothing here imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import bucket_files, errors, files, loaders, object_store, process_settings, storage_paths
from ..logger import logger
from ..uids import base62_16_v0, increment_base62
from . import artifact_lifecycle
from .storage import Storage

if TYPE_CHECKING:
    from .artifact import Artifact

__all__ = ["Plan", "anndata_suffix", "from_dir", "is_anndata_path", "plan"]

# fields that ln.Artifact(data, ...) computes and does not take
COMPUTED_FIELDS = frozenset({"suffix", "size", "hash", "_hash_type", "n_files"})
ANNDATA_FORMATS = ("h5ad", "zarr", "anndata.zarr")


@dataclass
class Plan:
    """The outcome of :func:`plan`: the fields of a new artifact, or an existing one."""

    fields: dict[str, Any] = field(default_factory=dict)
    local: files.LocalData | None = None
    revises: Any = None
    memory_rep: Any = None
    existing: Any = None
    description: str | None = None
    found_nothing: bool = False
    """Whether neither the content nor (without ``revises``) the key was found saved."""


def is_anndata_path(data: Any) -> bool:
    """Whether ``data`` names an AnnData on disk: ``.h5ad``, ``.anndata.zarr``, or a ``.zarr``
    folder that holds an AnnData."""
    if not isinstance(data, (str, Path)):
        return False
    path = Path(data)
    name = path.name.lower()
    if name.endswith((".h5ad", ".anndata.zarr")):
        return True
    return name.endswith(".zarr") and path.is_dir() and loaders.zarr_is_anndata(path)


def anndata_suffix(format: str | None) -> str:
    """The suffix of an AnnData written in ``format`` (LaminDB's check and message).

    Raises:
        ValueError: an unknown format.
    """
    if format is None:
        return ".h5ad"
    if format not in ANNDATA_FORMATS:
        raise ValueError(
            "Error when specifying AnnData storage format, it should be 'h5ad', 'zarr', "
            f"not '{format}'. Check 'format' or the suffix of 'key'."
        )
    return "." + format


def _check_version(version: Any, revises: Any) -> None:
    if version is None:
        return
    if not isinstance(version, str):
        raise ValueError("`version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc.")
    if revises is not None and version == revises.version:
        raise ValueError(f"Please increment the previous version: '{revises.version}'")


def _check_revises(model: type[Artifact], revises: Any, key: str | None) -> Any:
    # the latest version of the family that revises names
    if revises is None:
        return None
    if not isinstance(revises, model):
        raise TypeError("`revises` has to be of type `Artifact`")
    if revises._state.adding:
        raise errors.InvalidArgument(f"revises expects a saved Artifact, got the unsaved {revises!r}: save it first")
    if key is not None and revises.key != key:
        raise ValueError(
            f"`key` is {key}, but `revises.key` is '{revises.key}'\n\n Either do *not* pass `key`.\n\n"
            f"To rename the version family, update the key of the latest version: artifact.key = {key!r}; "
            "artifact.save()"
        )
    if not revises.is_latest:
        latest = model.objects.filter(uid__startswith=revises.stem_uid, is_latest=True).first()
        if latest is not None and latest.uid.startswith(revises.stem_uid):
            logger.warning(f"didn't pass the latest version in `revises`, retrieved it: {latest!r}")
            revises = latest
    return revises


def _in_memory_suffix(data: Any, key: str | None, format: str | None) -> str:
    key_suffix = storage_paths.key_suffix(key) if key is not None else None
    if files.is_anndata(data):
        if format is None and key_suffix:
            format = key_suffix[1:]
        suffix = anndata_suffix(format)
    else:
        suffix = ".parquet"
    if key_suffix is not None and key_suffix != suffix:
        raise errors.InvalidArgument(
            f"The suffix '{key_suffix}' of the provided key is incorrect, it should be '{suffix}'."
        )
    return suffix


def plan(model: type[Artifact], args: tuple, kwargs: dict[str, Any]) -> Plan:
    """Check the arguments of ``ln.Artifact(data, ...)`` and work out the new artifact.

    Returns a :class:`Plan` whose ``existing`` is the saved artifact with the
    same content, if there is one (LaminDB returns it from the constructor).
    """
    if len(args) > 1 or (args and "data" in kwargs):
        raise ValueError("Only one non-keyword arg allowed: data")
    data = args[0] if args else kwargs.pop("data")
    key = kwargs.pop("key", None)
    description = kwargs.pop("description", None)
    revises = kwargs.pop("revises", None)
    version = kwargs.pop("version", None)
    format = kwargs.pop("format", None)
    kwargs.pop("skip_check_exists", None)  # existence is always checked for local paths
    if "run" in kwargs and kwargs["run"] is None:
        del kwargs["run"]  # LaminDB's run=None: the tracked run, the field's default
    kwargs.pop("_is_internal_call", None)
    if "visibility" in kwargs:
        kwargs["_branch_code"] = kwargs.pop("visibility")
    if "type" in kwargs:
        logger.warning("`type` will be removed soon, please use `kind`")
        kwargs["kind"] = kwargs.pop("type")
    known = model._init_fields()
    for name in kwargs:  # before the data is looked at, as in LaminDB
        if name not in known:
            valid = [n for n in known if n != "id"]
            raise errors.FieldValidationError(errors.unknown_field(model.__name__, name, valid))
    computed = sorted(set(kwargs) & COMPUTED_FIELDS)
    if computed:
        raise errors.InvalidArgument(
            f"{', '.join(computed)} {'is' if len(computed) == 1 else 'are'} computed from the data; "
            "do not pass them to ln.Artifact(data, ...)"
        )
    revises = _check_revises(model, revises, key)
    _check_version(version, revises)
    storage_paths.check_key(key)
    is_path = isinstance(data, (str, Path))
    if is_path:
        storage_paths.check_not_managed_path(data)
    passed_key = key  # the key whose suffix must be the data's (not one taken from revises)
    if revises is not None:
        key = revises.key if key is None else key
        description = revises.description if description is None else description
    storage = kwargs.pop("storage", None)
    if storage is None and kwargs.get("storage_id") is None:
        storage = process_settings.settings.storage_record()
    elif storage is None:
        storage = Storage.objects.get(pk=kwargs.pop("storage_id"))
    kwargs.pop("storage_id", None)

    in_place = checked = None
    if object_store.is_cloud(data):
        # an object (or folder) already in a bucket: registered where it lies, never copied
        url = object_store.root_url(data)
        in_place = _bucket_storage(url)
        inferred = object_store.relative_key(url, in_place.root)
        if key is not None and key != inferred:
            raise errors.InvalidArgument(
                f"The path '{url}' is already in registered storage '{in_place.root}' with key '{inferred}'\n"
                f"You passed conflicting key '{key}': please move the file before registering it."
            )
        local = files.LocalData(
            path=object_store.upath(url), is_temporary=False,
            fields=bucket_files.describe(url, process_settings.settings.cache_dir),
        )
        return _finish(model, Plan(local=local, revises=revises, description=description), kwargs, inferred,
                       in_place, False, version, revises, description, is_path=True)
    storage_root = None if storage.is_cloud else Path(storage.root)
    if is_path and str(data).strip() and "://" not in str(data):
        # refused before anything else: a missing path, a FIFO, the storage's own .lamindb; the
        # path and the storage's root are resolved once, for this check and for the storages
        # that could hold the path
        real_root = None if storage_root is None else os.path.realpath(storage_root)
        checked = files.check_source(Path(data).expanduser().absolute(), storage_root, real_root)
        # the instance's storage is asked here; the other storages that could hold the path are
        # read in the query of the same content, which is sent anyway (one round trip, not two)
        in_place = Storage._holding(checked.real, first=storage, first_real=real_root, others=False)
        others = checked.real if in_place is None else None
    else:
        others = None

    def with_storage(in_place: Storage | None, checked: files.CheckedSource | None, others: str | None) -> Plan:
        # the plan, once it is known whether a storage holds the path (in_place), or with the
        # roots of the others still to be read (others: the real path)
        plan_key, plan_storage, storage_root = key, storage, None if storage.is_cloud else Path(storage.root)
        if in_place is not None:
            inferred = storage_paths.relative_key(checked.real, in_place.root)
            if key is not None and key != inferred:
                raise errors.InvalidArgument(
                    f"The path '{data}' is already in registered storage '{in_place.root}' with key '{inferred}'\n"
                    f"You passed conflicting key '{key}': please move the file before registering it."
                )
            plan_key = inferred
            plan_storage = in_place
            key_is_virtual = False
        else:
            key_is_virtual = key is None or process_settings.settings.creation._artifact_use_virtual_keys
        suffix = None if is_path else _in_memory_suffix(data, passed_key, format) if (
            files.is_anndata(data) or files.is_dataframe(data)) else None
        if in_place is not None and storage_root != Path(in_place.root):
            # the data's storage is another: it is checked against that one's root
            storage_root, checked = Path(in_place.root), None
        local = files.describe_data(
            data, storage_root=storage_root, suffix=suffix, checked=checked,
            # (the cache folder is made on first use: a path needs none)
            temp_folder=None if is_path else process_settings.settings.cache_dir,
        )
        result = Plan(local=local, revises=revises, description=description)
        if not is_path:
            result.memory_rep = data
        # a storage found to hold the path (rare: data registered where it lies in another
        # storage than the instance's) makes the plan again, with it
        again = None if others is None else (lambda holder: with_storage(holder, checked_first, None))
        return _finish(model, result, kwargs, plan_key, plan_storage, key_is_virtual, version, revises, description,
                       is_path, others, again)

    checked_first = checked
    return with_storage(in_place, checked, others)


def _finish(
    model: type[Artifact], result: Plan, kwargs: dict[str, Any], key: str | None, storage: Storage,
    key_is_virtual: bool, version: str | None, revises: Any, description: str | None, is_path: bool,
    others: str | None = None, again: Callable[[Storage], Plan] | None = None,
) -> Plan:
    # the same content saved already, the version under the key, and the fields; others: a real
    # path that another local storage than ``storage`` may hold (then ``again(that storage)``)
    local = result.local
    try:
        # the same content, else (without revises) the latest version under the key: one query,
        # with the roots of the local storages if others is given
        found = artifact_lifecycle.content_or_key(
            model, local.fields["hash"], key if revises is None else None, storage.pk, trash_last=False,
            local_roots=others is not None,
        )
        if others is not None:
            found, roots = found
            holder = Storage._holding_among(roots, others, storage.pk)
            if holder is not None:
                _release(local)
                return again(holder)
        existing = found if found is not None and found.hash == local.fields["hash"] else None
        if existing is not None:
            result.existing = existing
            if key is not None and existing.key is None and existing._key_is_virtual:
                existing.key = key
            elif key is not None and existing.key != key:
                logger.warning(f"key {existing.key} on existing artifact differs from passed key {key}")
            _release(local)
            result.local = None
            return result
        result.found_nothing = found is None and revises is None
        if revises is None and key is not None:
            revises = found
            if revises is not None:
                _check_version(version, revises)
                logger.important(f"creating new artifact version for key='{key}' (storage: '{storage.root}')")
                result.revises = revises
    except BaseException:
        _release(local)
        raise
    fields = {**local.fields, **kwargs}
    fields.update(key=key, description=description, storage=storage, _key_is_virtual=key_is_virtual)
    if version is not None:
        fields["version"] = version
    if is_path and not object_store.is_cloud(local.path) and is_anndata_path(local.path):
        fields.setdefault("otype", "AnnData")
    if revises is not None:
        fields["uid"] = revises.stem_uid + increment_base62(revises.uid[16:])
    else:
        fields.setdefault("uid", base62_16_v0())
    local.take_name(f"{fields['uid']}{fields['suffix']}")
    result.fields = fields
    return result


def _bucket_storage(url: str) -> Storage:
    # the registered bucket location that holds url (the innermost), or a new one for its bucket,
    # managed by no instance: nothing of it is ever deleted from here
    found = [s for s in Storage.objects.filter(type="s3") if object_store.relative_key(url, s.root)]
    if found:
        return max(found, key=lambda s: len(s.root))
    loc = object_store.parse(url)
    root = object_store.Location(loc.bucket, "", loc.endpoint_url).url
    storage = Storage.objects.filter(root=root).first()
    if storage is None:
        storage = Storage(root=root, type="s3", instance_uid=None).save()
        logger.important(f"registered storage location {root} (not managed by this instance: its objects stay)")
    return storage


def _release(local: files.LocalData) -> None:
    if local.is_temporary:
        files.remove_path(local.path)


def from_dir(model: type[Artifact], path: Path | str, key: str | None = None, run: Any = None) -> list[Artifact]:
    """The body of ``Artifact.from_dir`` (see its docstring)."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise errors.InvalidArgument(f"Artifact.from_dir() expects a folder, got {path}")
    default = process_settings.settings.storage_record()
    storage = Storage.containing(folder, first=default)
    if key is None:
        if storage is None:
            folder_key = folder.resolve().name
            logger.warning(
                f"folder is outside existing storage location, will copy files from {path} to "
                f"{default.root}/{folder_key}"
            )
        else:
            folder_key = storage_paths.relative_key(folder, storage.root)
    else:
        folder_key = key.rstrip("/")
    listing = files.list_folder(folder)
    artifacts: list[Artifact] = []
    seen: set[str] = set()
    dropped = 0
    verbosity = logger.verbosity
    logger.verbosity = 0  # one message for the folder, not one per file
    try:
        for rel, _ in listing.files:
            extra = {} if run is None else {"run": run}
            artifact = model(folder.joinpath(*rel.split("/")), key=f"{folder_key}/{rel}", **extra)
            if artifact.hash in seen:
                dropped += 1
                continue
            seen.add(artifact.hash)
            artifacts.append(artifact)
    finally:
        logger.verbosity = verbosity
    if dropped:
        logger.warning(f"dropped {dropped} file(s) whose content is another file's of the folder")
    root = (storage or default).root
    logger.important(f"created {len(artifacts)} artifacts from directory using storage {root} and key = {folder_key}/")
    return artifacts
