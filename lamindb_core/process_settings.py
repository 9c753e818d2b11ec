"""``ln.settings``: how talkative the library is in this session.

The instance and the user are ``ln.setup.settings``; these settings belong to
the running process and are not stored.

Example:
    >>> import lamindb_core as ln
    >>> ln.settings.verbosity = 0  # warnings only: no messages, no progress bars
"""

from __future__ import annotations

from .logger import logger

__all__ = ["Settings", "settings"]


class Settings:
    """The settings of this process: ``ln.settings``."""

    @property
    def verbosity(self) -> int:
        """How many messages show: 0 warnings only (and no progress bars), 1 also
        successes, steps and details, and progress bars for long work (the
        default), 2 everything.

        The same number as ``lamindb_core.logger.logger.verbosity``. Progress bars
        also follow the environment variable ``LAMIN_CORE_PROGRESS``
        (``lamindb_core.progress``).
        """
        return logger.verbosity

    @verbosity.setter
    def verbosity(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"ln.settings.verbosity takes 0, 1 or 2, got {value!r}")
        logger.verbosity = value

    def __repr__(self) -> str:
        return f"Settings(verbosity={self.verbosity})"


settings = Settings()
