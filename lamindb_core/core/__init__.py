"""The ``ln.core`` namespace of LaminDB 1.0: ``ln.core.exceptions``, ``ln.core.datasets``,
``ln.core.loaders`` and ``ln.core.storage``."""

from . import datasets, exceptions, loaders, storage

__all__ = ["datasets", "exceptions", "loaders", "storage"]
