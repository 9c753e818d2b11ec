"""Where an artifact's data lies in a storage location, as LaminDB 1.0 lays it out.

A storage location is a root folder. An artifact's data is either

- *managed*: copied into ``<root>/.lamindb/<uid><suffix>`` (``AUTO_KEY_PREFIX``)
  when it is saved; its ``key`` is then "virtual", a name in the database only;
- *at its key*: ``<root>/<key>``, for a file that already lay inside a registered
  root when it was registered (it stays where it is, nothing is copied), or
  that was copied there with ``ln.settings.creation._artifact_use_virtual_keys = False``.
  Such a key is the data's real path and cannot change.

These functions take paths and strings; they never touch the database.

Example:
    >>> auto_storage_key("7zehFvNzAqbgyKke0000", ".csv")
    '.lamindb/7zehFvNzAqbgyKke0000.csv'
    >>> relative_key(Path("/data/store/raw/a.csv"), Path("/data/store"))
    'raw/a.csv'
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from . import errors
from .logger import logger

__all__ = [
    "AUTO_KEY_PREFIX",
    "auto_storage_key",
    "check_key",
    "check_not_managed_path",
    "delete_storage",
    "inside",
    "is_child_of_root",
    "key_suffix",
    "real",
    "refuse_existing",
    "refuse_existing_object",
    "relative_key",
]

AUTO_KEY_PREFIX = ".lamindb/"
"""The folder of a storage root that holds managed copies (and, here, the database of a SQLite instance)."""


def auto_storage_key(uid: str, suffix: str) -> str:
    """The managed path of an artifact's data, relative to its storage root.

    Each version of a file or a folder has its own copy (LaminDB 1.0 lets the
    versions of a folder share one; lamindb-core keeps every version's data).

    Raises:
        AssertionError: ``suffix`` is not a string (``""`` for none).
    """
    assert isinstance(suffix, str), "suffix cannot be None"  # noqa: S101 (LaminDB's contract)
    return f"{AUTO_KEY_PREFIX}{uid}{suffix}"


def real(path: Path | str) -> Path:
    """``path`` absolute, with ``~``, ``..`` and symbolic links resolved."""
    return Path(os.path.realpath(Path(path).expanduser()))


def is_child_of_root(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` lies inside the folder ``root`` (both resolved; the root itself is not inside).

    Example:
        >>> is_child_of_root("/lamindb-ci/test-data/test.csv", "/lamindb-ci")
        True
    """
    return inside(os.fspath(real(path)), os.fspath(real(root)))


def inside(real_path: str, real_root: str) -> bool:
    """Whether ``real_path`` lies inside the folder ``real_root``, both resolved already (as by
    :func:`real`): :func:`is_child_of_root` without resolving them again (the root itself is not
    inside). A caller that holds one path against several roots resolves each once.

    Example:
        >>> inside("/data/store/raw/a.csv", "/data/store"), inside("/data/storefront/a.csv", "/data/store")
        (True, False)
    """
    # as PurePath's comparisons: case-insensitive on Windows (normcase is the identity elsewhere)
    real_path, real_root = os.path.normcase(real_path), os.path.normcase(real_root)
    if real_path == real_root:
        return False
    prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
    return real_path.startswith(prefix)


def relative_key(path: Path | str, root: Path | str) -> str:
    """The key of ``path`` in the storage ``root``: its relative path with forward slashes."""
    return real(path).relative_to(real(root)).as_posix()


def check_key(key: str | None) -> None:
    """Refuse a key that names a managed path (LaminDB's check and message).

    Raises:
        ValueError: the key contains ``.lamindb/``.
    """
    if key is not None and AUTO_KEY_PREFIX in key:
        raise ValueError(f"Do not pass key that contains a managed storage path in `{AUTO_KEY_PREFIX}`")


def check_not_managed_path(data: Path | str) -> None:
    """Refuse a path inside a ``.lamindb/`` folder, before it is looked at (LaminDB's message).

    Raises:
        ValueError: the path contains ``.lamindb/``.
    """
    text = str(data).replace(os.sep, "/")
    if AUTO_KEY_PREFIX in text:
        raise ValueError(f"Do not pass path inside the `{AUTO_KEY_PREFIX}` directory.")


def key_suffix(key: str) -> str:
    """The suffix of a key as LaminDB reads it: ``.parquet``, ``.fastq.gz``, ``.anndata.zarr``, or ``''``."""
    suffixes = PurePosixPath(key).suffixes
    if not suffixes:
        return ""
    last = suffixes[-1]
    if len(suffixes) > 1 and (last in (".gz", ".bz2", ".xz", ".zst", ".zip") or last == ".zarr"):
        # a compressed file or a zarr flavour keeps the part before: .fastq.gz, .anndata.zarr
        inner = suffixes[-2]
        if 1 < len(inner) <= 8 and inner[1:].isalnum():
            return inner + last
    return last


def delete_storage(path: Path, raise_file_not_found_error: bool = True) -> str | None:
    """Remove a stored file or folder.

    Returns ``"did-not-delete"`` if nothing was there and
    ``raise_file_not_found_error`` is ``False`` (with a warning).

    Raises:
        FileNotFoundError: nothing is at ``path`` (and ``raise_file_not_found_error``).
    """
    path = Path(path)
    if path.is_file() or path.is_symlink():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    elif raise_file_not_found_error:
        raise FileNotFoundError(f"{path} is not an existing path!")
    else:
        logger.warning(f"{path} is not an existing path!")
        return "did-not-delete"
    return None


def refuse_existing(dest: Path) -> None:
    """Refuse to store at a key's path where something exists: it is never replaced.

    Raises:
        ln.errors.InvalidArgument: ``dest`` exists.
    """
    if os.path.lexists(dest):
        raise errors.InvalidArgument(
            f"{dest} exists: an artifact stored at its key never replaces a file; choose another key, or "
            "register the file where it is (ln.Artifact(path))"
        )


def refuse_existing_object(url: str) -> None:
    """Refuse to store at a key where an object exists in a bucket: it is never replaced.

    Raises:
        ln.errors.InvalidArgument: always (the caller found the object).
    """
    raise errors.InvalidArgument(
        f"{url} exists: an artifact stored at its key never replaces an object; choose another key, or "
        "register the object where it is (ln.Artifact(url))"
    )
