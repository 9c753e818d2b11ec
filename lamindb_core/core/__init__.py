"""The ``ln.core`` namespace of LaminDB 1.0: ``ln.core.exceptions``."""

from . import exceptions

__all__ = ["exceptions"]
