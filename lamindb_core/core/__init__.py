"""The ``ln.core`` namespace of LaminDB 1.0: ``ln.core.exceptions`` and ``ln.core.datasets``."""

from . import datasets, exceptions

__all__ = ["datasets", "exceptions"]
