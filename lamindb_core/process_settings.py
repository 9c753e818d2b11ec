"""``ln.settings``: how this session talks and creates records, as in LaminDB 1.0.

The instance and the user are ``ln.setup.settings``; these settings belong to
the running process and are not stored.

Example:
    >>> import lamindb_core as ln
    >>> ln.settings.verbosity = 0  # warnings only: no messages, no progress bars
    >>> ln.settings.verbosity = "warning"  # LaminDB's name for the same
    >>> ln.settings.storage.root
    PosixPath('/home/me/mydata')
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from . import errors, object_store, ownership, setup
from . import instance as _instance
from .logger import logger

__all__ = ["CreationSettings", "Settings", "SwitchedStorage", "settings", "VERBOSITY_NAMES"]

# LaminDB's six level names on lamindb-core's three levels. lamindb-core always
# shows warnings, so "error" is as quiet as "warning"; it has no hint or debug
# messages of its own, so those show everything, as 2 does.
VERBOSITY_NAMES = {"error": 0, "warning": 0, "success": 1, "info": 1, "hint": 2, "debug": 2}


class CreationSettings:
    """How records are created: ``ln.settings.creation``, LaminDB 1.0's four switches.

    Example:
        >>> ln.settings.creation.search_names = False
    """

    def __init__(self) -> None:
        self.search_names: bool = True
        """LaminDB: search for similar names when a record is constructed with a
        name, and warn if one exists. lamindb-core does not search on construction
        (a record whose unique name exists is returned as it is), so this switch
        changes nothing here; it is kept so that code that sets it runs."""

        self.artifact_skip_size_hash: bool = False
        """LaminDB: do not compute the size and hash of files in cloud storage.
        lamindb-core stores local files only and needs their hash to find content
        that is already saved, so it always computes both; this switch changes
        nothing here."""

        self.artifact_silence_missing_run_warning: bool = False
        """LaminDB: do not warn that an artifact is saved without ``ln.track()``.
        lamindb-core does not warn about that (the artifact's ``run`` is then
        ``None``), so this switch changes nothing here."""

        self._artifact_use_virtual_keys: bool = True
        """Store the data of new artifacts under ``.lamindb/<uid><suffix>`` and keep
        the key in the database only (``True``, the default), or, for an artifact
        with a key, at ``<root>/<key>`` (``False``): such a key is the file's real
        path, it cannot change later, and a file that exists there is never
        replaced."""

    def __repr__(self) -> str:
        return (
            f"CreationSettings(search_names={self.search_names}, "
            f"artifact_skip_size_hash={self.artifact_skip_size_hash}, "
            f"artifact_silence_missing_run_warning={self.artifact_silence_missing_run_warning})"
        )


class SwitchedStorage(setup.StorageSettings):
    """The storage location that ``ln.settings.storage = path`` switched to, for one instance."""

    def __init__(self, instance: Any, root: Path, record: Any) -> None:
        super().__init__(instance)
        self._root = root
        self._record = record
        self.instance_uid = instance.uid
        """The instance it belongs to: connecting to another one leaves it."""

    @property
    def root(self) -> Any:
        """The folder that holds the data, an absolute path; for a bucket, its ``UPath``."""
        if isinstance(self._root, str):
            return object_store.upath(self._root)
        return self._root

    @property
    def root_as_str(self) -> str:
        """``root`` as a string with forward slashes (``s3://bucket/prefix`` for a bucket)."""
        return self._root if isinstance(self._root, str) else self._root.as_posix()

    @property
    def type(self) -> str:
        """``'s3'`` for a bucket, else ``'local'``."""
        return "s3" if isinstance(self._root, str) else "local"

    @property
    def type_is_cloud(self) -> bool:
        """Whether the location is a bucket."""
        return isinstance(self._root, str)

    @property
    def record(self) -> Any:
        """The ``ln.Storage`` record of this location."""
        return self._record


class Settings:
    """The settings of this process: ``ln.settings``."""

    def __init__(self) -> None:
        self._creation = CreationSettings()
        self.track_run_inputs: bool = True
        """Whether ``artifact.load()`` and ``artifact.cache()`` in a run that
        ``ln.track()`` started record the artifact as an input of the run
        (``artifact.input_of_runs``); the run's own outputs never are. Their
        ``is_run_input`` argument decides for one call."""

    @property
    def creation(self) -> CreationSettings:
        """How records are created (``search_names``, ``artifact_skip_size_hash``, ...)."""
        return self._creation

    @property
    def verbosity(self) -> int:
        """How many messages show: 0 warnings only (and no progress bars), 1 also
        successes, steps and details, and progress bars for long work (the
        default), 2 everything.

        LaminDB's names are accepted too: ``"error"`` and ``"warning"`` mean 0
        (warnings always show), ``"success"`` and ``"info"`` 1, ``"hint"`` and
        ``"debug"`` 2. Reading gives the number.

        The same number as ``lamindb_core.logger.logger.verbosity``. Progress bars
        also follow the environment variable ``LAMIN_CORE_PROGRESS``
        (``lamindb_core.progress``).

        Example:
            >>> ln.settings.verbosity = "success"
            >>> ln.settings.verbosity
            1
        """
        return logger.verbosity

    @verbosity.setter
    def verbosity(self, value: int | str) -> None:
        if isinstance(value, str) and value in VERBOSITY_NAMES:
            value = VERBOSITY_NAMES[value]
        if isinstance(value, bool) or not isinstance(value, int):
            names = ", ".join(repr(name) for name in VERBOSITY_NAMES)
            raise TypeError(f"ln.settings.verbosity takes 0, 1 or 2, or one of {names}; got {value!r}")
        logger.verbosity = value

    @property
    def storage(self) -> setup.StorageSettings:
        """The storage location that new artifacts go to.

        By default the instance's own storage folder. Setting it to another local
        folder switches where the data of new artifacts is copied, for this
        process and the current instance (``ln.setup.settings.storage`` follows, as
        in LaminDB): the
        folder is created if needed and registered as an ``ln.Storage`` managed
        by this instance (a folder registered already is used as it is). Setting
        it back to the instance's folder switches back. Files that lie inside
        any registered storage are registered where they are, whatever this says.

        LaminDB's form ``ln.settings.storage = (root, {options})`` is accepted;
        the options are those of cloud file systems and mean nothing for a folder.

        A bucket (``"s3://bucket/prefix"``, see :mod:`lamindb_core.object_store`)
        is checked first (it exists and takes writes); local folders and buckets
        can be mixed in one instance.

        Raises:
            ln.errors.InvalidArgument: a path that is a file, or the storage of
                another instance.
            ln.errors.StorageError: the bucket cannot be used.

        Example:
            >>> ln.settings.storage = "./more-space"
            >>> ln.settings.storage.root_as_str
            '/home/me/more-space'
        """
        return setup.settings.storage

    @storage.setter
    def storage(self, value: Any) -> None:
        if isinstance(value, tuple):
            value = value[0]
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if object_store.is_cloud(value if hasattr(value, "protocol") else text):
            self._switch_to_bucket(value if hasattr(value, "protocol") else text)
            return
        root = Path(os.path.realpath(Path(text).expanduser()))
        if root.exists() and not root.is_dir():
            raise errors.InvalidArgument(f"ln.settings.storage = {text!r}: {root} is a file, not a folder")
        current = setup.settings.instance
        if root == setup.StorageSettings(current).root:
            setup.settings._switch_storage(None)
            logger.important(f"storage location is the instance's folder again: {root.as_posix()}")
            return
        marker = ownership.read_storage_marker(root)
        if marker is not None and marker.get("uid") != current.uid:
            raise errors.InvalidArgument(
                f"ln.settings.storage = {text!r}: {root} is the storage folder of the instance "
                f"{marker.get('slug')!r}; store into a folder of its own"
            )
        root.mkdir(parents=True, exist_ok=True)
        # the registry of the instance's storage record: this layer names no registry
        registry = type(_instance.current_storage())
        record = registry.objects.filter(root=root.as_posix()).first()
        if record is None:
            record = registry(root=root.as_posix(), type="local", instance_uid=current.uid).save()
            logger.important(f"registered storage location {root.as_posix()}")
        setup.settings._switch_storage(SwitchedStorage(current, root, record))
        logger.important(f"new artifacts are stored in {root.as_posix()}")

    def _switch_to_bucket(self, url: Any) -> None:
        # a bucket: checked (exists, takes writes) before it is registered as an ln.Storage of this instance
        root = object_store.root_url(url)
        current = setup.settings.instance
        if current.storage_is_cloud and object_store.root_url(current.storage) == root:
            setup.settings._switch_storage(None)
            logger.important(f"storage location is the instance's bucket again: {root}")
            return
        object_store.check_writable(root)
        marker = ownership.read_storage_marker(root)
        if marker is not None and marker.get("uid") != current.uid:
            raise errors.InvalidArgument(
                f"ln.settings.storage = {root!r}: it is the storage of the instance {marker.get('slug')!r}; "
                "store into a location of its own"
            )
        registry = type(_instance.current_storage())
        record = registry.objects.filter(root=root).first()
        if record is None:
            record = registry(root=root, type="s3", instance_uid=current.uid).save()
            logger.important(f"registered storage location {root}")
        elif record.instance_uid != current.uid:
            raise errors.InvalidArgument(
                f"ln.settings.storage = {root!r}: this location is registered, but managed by "
                f"{'no instance' if record.instance_uid is None else 'the instance ' + repr(record.instance_uid)}: "
                "new artifacts go to a location this instance manages"
            )
        setup.settings._switch_storage(SwitchedStorage(current, root, record))
        logger.important(f"new artifacts are stored in {root}")

    def storage_record(self) -> Any:
        """The ``ln.Storage`` record of ``storage`` (a copy), where new artifacts go."""
        switched = self.storage
        if isinstance(switched, SwitchedStorage):
            return copy.copy(switched.record)
        return _instance.current_storage()

    @property
    def cache_dir(self) -> Path:
        """The folder for cached copies of data: ``ln.setup.settings.cache_dir``."""
        return setup.settings.cache_dir

    def __repr__(self) -> str:
        return f"Settings(verbosity={self.verbosity})"


settings = Settings()
