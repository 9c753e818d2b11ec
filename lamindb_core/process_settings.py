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

from pathlib import Path
from typing import Any

from . import errors, setup
from .logger import logger

__all__ = ["CreationSettings", "Settings", "settings", "VERBOSITY_NAMES"]

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
        """LaminDB: store the data under ``.lamindb/<uid>`` and keep the key in
        the database only (``True``, the default), or store it at ``<root>/<key>``.
        lamindb-core always stores under ``.lamindb/<uid><suffix>``; this switch
        changes nothing here."""

    def __repr__(self) -> str:
        return (
            f"CreationSettings(search_names={self.search_names}, "
            f"artifact_skip_size_hash={self.artifact_skip_size_hash}, "
            f"artifact_silence_missing_run_warning={self.artifact_silence_missing_run_warning})"
        )


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
        """The storage location of the current instance: ``ln.setup.settings.storage``.

        Switching it (LaminDB's ``ln.settings.storage = "s3://..."``) is not
        supported: an instance has one storage folder here.

        Example:
            >>> ln.settings.storage.root_as_str
            '/home/me/mydata'
        """
        return setup.settings.storage

    @storage.setter
    def storage(self, value: Any) -> None:
        # LaminDB switches where new artifacts go; here each instance has one storage
        # folder, and a silent no-op would put data where the user did not ask
        raise errors.InvalidArgument(
            f"ln.settings.storage = {value!r}: switching the storage location is not supported by "
            f"lamindb-core yet; new artifacts go to the instance's storage {setup.settings.storage.root_as_str!r}. "
            "Connect to another instance (ln.setup.connect) to store elsewhere"
        )

    @property
    def cache_dir(self) -> Path:
        """The folder for cached copies of data: ``ln.setup.settings.cache_dir``."""
        return setup.settings.cache_dir

    def __repr__(self) -> str:
        return f"Settings(verbosity={self.verbosity})"


settings = Settings()
