"""The files behind artifacts: suffixes, content hashes, atomic copies, serialization.

Pure helpers: they take paths and objects and return values; none of them
touches the database. ``Artifact`` calls them to describe its data when it is
created and to store it when it is saved.

Hashes are LaminDB's: the MD5 digest in URL-safe base64 without padding, 22
characters. A file is read in chunks, so hashing a file of any size needs the
same small amount of memory. A folder's hash is the hash of its files' sorted
hashes (``_hash_type="md5-d"``).

Example:
    >>> from lamindb_core import files
    >>> files.suffix_of(Path("reads.fastq.gz"))
    '.fastq.gz'
    >>> files.hash_file(Path("reads.fastq.gz"))
    (20, 'hi7ZmAzz8sfMd3vIQr-57Q')
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import errors

__all__ = [
    "CHUNK_SIZE",
    "COMPRESSION_SUFFIXES",
    "FOLDER_SUFFIXES",
    "LocalData",
    "b64_md5",
    "describe_data",
    "hash_dir",
    "hash_file",
    "is_anndata",
    "is_dataframe",
    "load_file",
    "remove_path",
    "store_atomic",
    "store_many",
    "suffix_of",
    "write_temp",
]

CHUNK_SIZE = 1024 * 1024
"""Bytes read at a time when hashing or copying."""

COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")
"""Suffixes that keep the suffix before them: ``.fastq.gz``, ``.tar.gz``."""

FOLDER_SUFFIXES = (".ome.zarr", ".anndata.zarr", ".spatialdata.zarr", ".zarr", ".tiledbsoma")
"""Suffixes that a folder keeps; any other folder has the suffix ``""``."""

_COMPOUND_FILE_SUFFIXES = (".ome.tiff", ".ome.tif")
_EXTENSION = re.compile(r"\.[A-Za-z0-9_]{1,20}")
_INNER_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}")


def b64_md5(digest: bytes) -> str:
    """An MD5 digest as LaminDB writes it: URL-safe base64, no padding (22 characters)."""
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def suffix_of(path: Path, is_dir: bool | None = None) -> str:
    """The suffix an artifact of ``path`` gets.

    A compressed file keeps the suffix before the compression (``.fastq.gz``,
    ``.tar.gz``); known two-part suffixes stay whole (``.ome.zarr``,
    ``.ome.tiff``). A folder has the suffix ``""`` unless it is a known folder
    format (``.zarr``, ``.ome.zarr``, ``.tiledbsoma``). Something that does not
    look like an extension (``data.2024-01-01``) gives ``""``.

    Example:
        >>> suffix_of(Path("sample.v1.fastq.gz"))
        '.fastq.gz'
        >>> suffix_of(Path("image.ome.zarr"), is_dir=True)
        '.ome.zarr'
    """
    name = path.name
    lower = name.lower()
    if is_dir is None:
        is_dir = path.is_dir()
    if is_dir:
        for known in FOLDER_SUFFIXES:
            if lower.endswith(known) and len(lower) > len(known):
                return name[-len(known):]
        return ""
    for known in _COMPOUND_FILE_SUFFIXES:
        if lower.endswith(known) and len(lower) > len(known):
            return name[-len(known):]
    suffixes = path.suffixes
    if not suffixes or not _EXTENSION.fullmatch(suffixes[-1]):
        return ""
    last = suffixes[-1]
    if last.lower() in COMPRESSION_SUFFIXES and len(suffixes) >= 2 and _INNER_EXTENSION.fullmatch(suffixes[-2]):
        return suffixes[-2] + last
    return last


def hash_file(path: Path, chunk_size: int = CHUNK_SIZE) -> tuple[int, str]:
    """Size in bytes and MD5 hash of a file, read ``chunk_size`` bytes at a time.

    Example:
        >>> hash_file(Path("input.fastq.gz"))
        (20, 'hi7ZmAzz8sfMd3vIQr-57Q')
    """
    md5 = hashlib.md5()
    size = 0
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buffer)
            if not n:
                break
            md5.update(view[:n])
            size += n
    return size, b64_md5(md5.digest())


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def hash_dir(folder: Path) -> tuple[int, str, int]:
    """Total size, hash and number of files of a folder.

    The hash is the MD5 of the folder's file hashes, sorted: it depends on the
    files' contents only, not on their names or the order the system lists them.

    Example:
        >>> hash_dir(Path("my_folder"))
        (1234, 'xJbsbXTmgdcWU2Yu2lfvKA', 3)
    """
    size, hashes = 0, []
    for file in _files_in(folder):
        file_size, file_hash = hash_file(file)
        size += file_size
        hashes.append(file_hash)
    digest = hashlib.md5("".join(sorted(hashes)).encode()).digest()
    return size, b64_md5(digest), len(hashes)


def is_dataframe(obj: Any) -> bool:
    """Whether ``obj`` is a ``pandas.DataFrame`` (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def is_anndata(obj: Any) -> bool:
    """Whether ``obj`` is an ``anndata.AnnData`` (without importing anndata)."""
    anndata = sys.modules.get("anndata")
    return anndata is not None and isinstance(obj, anndata.AnnData)


def write_temp(obj: Any, suffix: str) -> Path:
    """Write a DataFrame (``.parquet``) or an AnnData (``.h5ad``) to a new temporary file.

    The caller owns the file and removes it.

    Raises:
        ln.errors.InvalidArgument: the object cannot be written in that format
            (for example a DataFrame whose column names are not strings).
    """
    fd, name = tempfile.mkstemp(prefix="lamindb-core-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        if suffix == ".parquet":
            obj.to_parquet(path, engine="pyarrow")
        elif suffix == ".h5ad":
            obj.write_h5ad(path)
        else:
            raise errors.InvalidArgument(f"cannot write {type(obj).__name__} as {suffix}")
    except errors.InvalidArgument:
        path.unlink(missing_ok=True)
        raise
    except Exception as exc:
        path.unlink(missing_ok=True)
        raise errors.InvalidArgument(
            f"cannot write the {type(obj).__name__} as {suffix}: {exc}"
        ) from exc
    return path


@dataclass
class LocalData:
    """What an artifact learns from its data before it is saved.

    ``path`` is the file or folder to copy into storage; ``is_temporary`` says
    that it was written for this artifact (an in-memory object) and is removed
    once stored.
    """

    path: Path
    is_temporary: bool
    fields: dict[str, Any]


def describe_data(data: Any) -> LocalData:
    """Inspect ``data`` (a path, a DataFrame or an AnnData): the artifact's computed fields.

    Returns the fields ``suffix``, ``size``, ``hash``, ``_hash_type``, and, where
    they apply, ``n_files``, ``kind``, ``otype`` and ``n_observations``.

    Raises:
        FileNotFoundError: ``data`` names a path that does not exist.
        ln.errors.InvalidArgument: ``data`` is of another type, or a URL.
    """
    if isinstance(data, (str, Path)):
        text = str(data)
        if "://" in text:
            raise errors.InvalidArgument(
                f"only local files and folders can be artifacts here, got {text!r}"
            )
        path = Path(data).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
        if path.is_dir():
            size, hash_, n_files = hash_dir(path)
            fields = {"suffix": suffix_of(path, is_dir=True), "size": size, "hash": hash_,
                      "_hash_type": "md5-d", "n_files": n_files}
        else:
            size, hash_ = hash_file(path)
            fields = {"suffix": suffix_of(path, is_dir=False), "size": size, "hash": hash_, "_hash_type": "md5"}
        return LocalData(path=path, is_temporary=False, fields=fields)
    if is_dataframe(data):
        suffix, otype, n_obs = ".parquet", "DataFrame", len(data)
    elif is_anndata(data):
        suffix, otype, n_obs = ".h5ad", "AnnData", data.n_obs
    else:
        raise errors.InvalidArgument(
            "an Artifact's data is a local file or folder path, a pandas DataFrame or an "
            f"AnnData, got {type(data).__name__}"
        )
    path = write_temp(data, suffix)
    size, hash_ = hash_file(path)
    fields = {"suffix": suffix, "size": size, "hash": hash_, "_hash_type": "md5",
              "kind": "dataset", "otype": otype, "n_observations": int(n_obs)}
    return LocalData(path=path, is_temporary=True, fields=fields)


def store_atomic(source: Path, dest: Path) -> None:
    """Copy a file or folder to a new path ``dest``, which is then complete or absent.

    The copy goes to a hidden temporary name in ``dest``'s folder and is renamed
    to ``dest`` in one step once complete. If anything fails on the way, the
    temporary copy is removed. An existing ``dest`` is never replaced: two
    processes storing to the same path cannot overwrite each other.

    Raises:
        FileExistsError: ``dest`` exists.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise FileExistsError(f"{dest} exists")
    if source.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
        try:
            shutil.copytree(source, tmp, dirs_exist_ok=True)
            # renaming onto a folder that appeared meanwhile fails unless it is empty
            os.rename(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return
    tmp, fd = _copy_to_temp(source, dest)
    try:
        # the bytes reach the disk before the name does: a crash leaves no half file
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        _publish(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(dest.parent)


# files copied before their fsyncs run; each holds an open descriptor meanwhile
_STORE_BATCH = 256
# concurrent fsyncs: the file system commits its journal once for many of them
_FSYNC_THREADS = 16


def store_many(pairs: list[tuple[Path, Path]]) -> list[bool]:
    """``store_atomic`` for many ``(source, dest)`` pairs of files, with the
    fsyncs run side by side instead of one after another.

    Each ``dest`` is complete or absent, and never replaced. Returns, for each
    pair, whether it was stored: ``False`` means ``dest`` exists (the caller picks
    another name). If anything else fails, every file this call stored is
    removed and the error is raised.

    Folders are copied one by one, as ``store_atomic`` does.
    """
    stored: list[Path] = []
    result: list[bool] = []
    try:
        for start in range(0, len(pairs), _STORE_BATCH):
            chunk = pairs[start : start + _STORE_BATCH]
            temps: list[tuple[Path, int] | None] = []
            try:
                for source, dest in chunk:
                    if source.is_dir():
                        temps.append(None)
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    temps.append(_copy_to_temp(source, dest))
                fds = [t[1] for t in temps if t is not None]
                if len(fds) > 1:
                    with ThreadPoolExecutor(min(_FSYNC_THREADS, len(fds))) as pool:
                        list(pool.map(os.fsync, fds))
                elif fds:
                    os.fsync(fds[0])
                for (source, dest), temp in zip(chunk, temps):
                    try:
                        if temp is None:
                            store_atomic(source, dest)
                        else:
                            _publish(temp[0], dest)
                    except FileExistsError:
                        if not dest.exists():
                            raise  # about a parent folder, not this name
                        result.append(False)
                        continue
                    stored.append(dest)
                    result.append(True)
            finally:
                for temp in temps:
                    if temp is not None:
                        os.close(temp[1])
                        temp[0].unlink(missing_ok=True)
        for folder in {dest.parent for dest in stored}:
            _fsync_dir(folder)
    except BaseException:
        for path in stored:
            remove_path(path)
        raise
    return result


def _copy_to_temp(source: Path, dest: Path) -> tuple[Path, int]:
    # a hidden temporary file beside dest with source's bytes; returns it and its
    # open descriptor, to be synced and closed by the caller
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with open(fd, "wb", closefd=False) as out, open(source, "rb") as inp:
            shutil.copyfileobj(inp, out, CHUNK_SIZE)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return tmp, fd


def _publish(tmp: Path, dest: Path) -> None:
    # give the complete temporary file its name; never replaces an existing dest
    if dest.exists():
        raise FileExistsError(f"{dest} exists")
    try:
        # a hard link creates dest only if it does not exist, in one step
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:
        # a file system without hard links
        os.replace(tmp, dest)


def _fsync_dir(folder: Path) -> None:
    # make new names in folder durable; not every platform can open a folder
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_path(path: Path) -> None:
    """Remove a file or a folder; a missing path is no error."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def load_file(path: Path, suffix: str) -> Any:
    """Read a stored file: a DataFrame for ``.parquet``, ``.csv`` and ``.tsv``, an
    AnnData for ``.h5ad``; anything else is returned as its path."""
    if suffix == ".parquet":
        import pandas as pd

        return pd.read_parquet(path)
    if suffix in (".csv", ".tsv"):
        import pandas as pd

        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    if suffix == ".h5ad":
        try:
            import anndata
        except ImportError:
            raise ImportError(
                "loading an .h5ad artifact needs anndata: pip install 'lamindb-core[anndata]'"
            ) from None
        return anndata.read_h5ad(path)
    return path
