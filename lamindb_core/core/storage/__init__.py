"""``ln.core.storage``: where artifacts' data lies (``paths``), as LaminDB 1.0 names it."""

from . import paths
from .paths import AUTO_KEY_PREFIX, delete_storage

__all__ = ["AUTO_KEY_PREFIX", "delete_storage", "paths"]
