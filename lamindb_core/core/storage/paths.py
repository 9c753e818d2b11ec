"""``ln.core.storage.paths``: the layout of a storage location (:mod:`lamindb_core.storage_paths`).

Example:
    >>> from lamindb_core.core.storage.paths import auto_storage_key_from_artifact_uid
    >>> auto_storage_key_from_artifact_uid("7zehFvNzAqbgyKke0000", ".csv", False)
    '.lamindb/7zehFvNzAqbgyKke0000.csv'
"""

from __future__ import annotations

from ...storage_paths import AUTO_KEY_PREFIX, auto_storage_key, check_key, delete_storage, is_child_of_root

__all__ = ["AUTO_KEY_PREFIX", "auto_storage_key_from_artifact_uid", "check_key", "check_path_is_child_of_root",
           "delete_storage"]


def auto_storage_key_from_artifact_uid(uid: str, suffix: str, is_dir: bool) -> str:
    """The managed path (relative to the storage root) of the data of the artifact ``uid``.

    ``is_dir`` is accepted for LaminDB's signature: LaminDB stores the versions of
    a folder in one place, lamindb-core keeps each version's copy, so a folder's
    path has its full uid too.

    Raises:
        AssertionError: ``suffix`` is ``None``.
    """
    return auto_storage_key(uid, suffix)


def check_path_is_child_of_root(path, root) -> bool:
    """Whether the local ``path`` lies inside the folder ``root``."""
    return is_child_of_root(path, root)
