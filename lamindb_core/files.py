"""The files behind artifacts: suffixes, content hashes, folder listings, what an artifact learns from its data.

Pure helpers: they take paths and objects and return values; none of them
touches the database. ``Artifact`` calls them to describe its data when it is
created; ``file_copies`` copies it into storage when it is saved, with the
readers of this module.

Hashes are LaminDB's: the MD5 digest in URL-safe base64 without padding, 22
characters. A file is read in chunks, so hashing a file of any size needs the
same small amount of memory. A folder's hash covers each file's relative path
and content (``_hash_type="md5-d"``): two folders with the same files under
other names differ.

What is hashed is what is stored: a copy into storage hashes the bytes it
copies and refuses the copy (:class:`~lamindb_core.errors.ContentChanged`) if
they differ from what the artifact recorded, so the stored bytes and the
recorded hash always agree.

Symbolic links inside a folder: a link to a file inside the folder counts as
that file; any other link (to a folder, out of the folder, dangling, a loop)
and any special file (a FIFO, a socket, a device) is left out of the hash,
the size, the count and the copy alike, with a warning that names it.

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
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import errors, loaders, object_store
from .logger import logger

__all__ = [
    "CHUNK_SIZE",
    "COMPRESSION_SUFFIXES",
    "FOLDER_SUFFIXES",
    "LocalData",
    "OnBytes",
    "FolderListing",
    "CheckedSource",
    "b64_md5",
    "check_source",
    "describe_data",
    "folder_hash",
    "hash_dir",
    "hash_file",
    "is_anndata",
    "is_dataframe",
    "list_folder",
    "open_file_or_folder",
    "open_regular",
    "read_hashing",
    "load_file",
    "remove_path",
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


# how a source is opened: without blocking (a FIFO), in binary (Windows); the flags that a
# platform lacks looked up once, not per file (a failed getattr raises and catches an error)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def open_regular(path: Path) -> tuple[int, int]:
    """A descriptor of ``path``, which must be a regular file, and its size: opening a FIFO for
    reading would block until a writer comes, reading /dev/zero never ends.

    Raises:
        ln.errors.InvalidArgument: ``path`` is not a regular file.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise errors.InvalidArgument(f"{path} is not a regular file or folder ({_kind_of(st.st_mode)})")
    return fd, st.st_size


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


# called with the number of bytes of each chunk copied: a progress bar's update
OnBytes = Callable[[int], Any]


def read_hashing(
    fd: int, out: Any = None, chunk_size: int = CHUNK_SIZE, on_bytes: OnBytes | None = None,
    size_hint: int | None = None,
) -> tuple[int, str]:
    """Read ``fd`` to its end, writing each chunk to ``out`` (anything with ``write(bytes)``) if
    given; the size and MD5 hash of what was read, so that a copy is hashed in the same pass that
    makes it. ``size_hint``: the file's size as fstat said when it was opened; ``on_bytes`` is
    called with the size of each chunk (a progress bar's ``update``)."""
    md5 = hashlib.md5()
    size = 0
    if size_hint is None:
        size_hint = os.fstat(fd).st_size
    # a buffer one byte larger than the file: a larger one is zeroed for nothing (a new 64 KiB
    # buffer per small file was a tenth of the instructions of ln.save of 500 files). If it
    # fills (the file grew, or the system tells no size, as of /proc's files), a buffer of
    # chunk_size reads the rest.
    buffer = bytearray(min(chunk_size, size_hint + 1))
    view = memoryview(buffer)
    if hasattr(os, "readv"):
        def readinto(buffer: bytearray) -> int:
            return os.readv(fd, [buffer])
    else:  # Windows: through a file object (which stats the descriptor once more)
        readinto = open(fd, "rb", buffering=0, closefd=False).readinto  # noqa: SIM115 (fd is the caller's)
    while True:
        n = readinto(buffer)
        if not n:
            break
        md5.update(view[:n])
        if out is not None:
            out.write(view[:n])
        size += n
        if on_bytes is not None:
            on_bytes(n)
        if n == len(buffer) < chunk_size:
            buffer = bytearray(chunk_size)
            view = memoryview(buffer)
    return size, b64_md5(md5.digest())


def open_file_or_folder(path: Path) -> tuple[int, int] | None:
    """:func:`open_regular`'s descriptor and size, or None for a folder: one open and one fstat
    tell both (``file_copies.store_many`` asked ``is_dir()`` of every file first).

    Raises:
        ln.errors.InvalidArgument: ``path`` is neither a regular file nor a folder.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        if os.path.isdir(path):
            return None  # a platform that opens no folder
        raise
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISDIR(st.st_mode):
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise errors.InvalidArgument(f"{path} is not a regular file or folder ({_kind_of(st.st_mode)})")
    return fd, st.st_size


def hash_file(path: Path, chunk_size: int = CHUNK_SIZE) -> tuple[int, str]:
    """Size in bytes and MD5 hash of a file, read ``chunk_size`` bytes at a time.

    Raises:
        ln.errors.InvalidArgument: ``path`` is not a regular file (a FIFO, a device).

    Example:
        >>> hash_file(Path("input.fastq.gz"))
        (20, 'hi7ZmAzz8sfMd3vIQr-57Q')
    """
    fd, size = open_regular(path)
    try:
        return read_hashing(fd, chunk_size=chunk_size, size_hint=size)
    finally:
        os.close(fd)


@dataclass
class FolderListing:
    """The files of a folder that an artifact holds, and what it leaves out.

    ``files`` pairs each file's relative path (``/``-separated) with the path
    to read it from, sorted by relative path; ``left_out`` lists the relative
    paths of links and special files that are not part of the artifact.
    """

    files: list[tuple[str, Path]]
    left_out: list[str]


def list_folder(folder: Path) -> FolderListing:
    """The files of ``folder``, by the rule of this module's docstring.

    Raises:
        OSError: a subfolder cannot be read (nothing is left out silently).
    """
    root = Path(os.path.realpath(folder))
    found: list[tuple[str, Path]] = []
    left_out: list[str] = []

    def fail(error: OSError) -> None:
        raise error

    for dirpath, dirnames, filenames in os.walk(folder, onerror=fail, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(folder)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                left_out.append((rel_dir / name).as_posix())
        for name in filenames:
            path = here / name
            rel = (rel_dir / name).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                try:
                    target = Path(os.path.realpath(path, strict=True))
                    inside = target.is_relative_to(root) and stat.S_ISREG(os.stat(target).st_mode)
                except (OSError, RuntimeError):
                    inside = False  # dangling, a loop, unreadable
                if inside:
                    found.append((rel, target))
                else:
                    left_out.append(rel)
            elif stat.S_ISREG(mode):
                found.append((rel, path))
            else:
                left_out.append(rel)
    found.sort(key=lambda item: item[0])
    return FolderListing(files=found, left_out=sorted(left_out))


def folder_hash(entries: list[tuple[str, str]]) -> str:
    """The hash of a folder from its files' ``(relative path, hash)`` pairs, sorted by path."""
    md5 = hashlib.md5()
    for rel, file_hash in entries:
        md5.update(f"{rel}\0{file_hash}\n".encode("utf-8", "surrogateescape"))
    return b64_md5(md5.digest())


def hash_dir(folder: Path, listing: FolderListing | None = None) -> tuple[int, str, int]:
    """Total size, hash and number of files of a folder.

    The hash covers each file's relative path and content: renaming or moving a
    file changes it, the order the system lists files in does not.

    Example:
        >>> hash_dir(Path("my_folder"))
        (1234, 'xJbsbXTmgdcWU2Yu2lfvKA', 3)
    """
    listing = listing or list_folder(folder)
    size, entries = 0, []
    for rel, path in listing.files:
        file_size, file_hash = hash_file(path)
        size += file_size
        entries.append((rel, file_hash))
    return size, folder_hash(entries), len(entries)


def is_dataframe(obj: Any) -> bool:
    """Whether ``obj`` is a ``pandas.DataFrame`` (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def is_anndata(obj: Any) -> bool:
    """Whether ``obj`` is an ``anndata.AnnData`` (without importing anndata)."""
    anndata = sys.modules.get("anndata")
    return anndata is not None and isinstance(obj, anndata.AnnData)


def write_temp(obj: Any, suffix: str, folder: Path | None = None) -> Path:
    """Write a DataFrame (``.parquet``) or an AnnData (``.h5ad``, ``.zarr``,
    ``.anndata.zarr``: a folder) to a new temporary path in ``folder`` (the
    system's temporary folder by default).

    The caller owns the file or folder and removes it.

    Raises:
        ln.errors.InvalidArgument: the object cannot be written in that format
            (for example a DataFrame whose column names are not strings).
    """
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    is_zarr = suffix.endswith(".zarr")
    if is_zarr:
        # a name that nothing else takes: an empty folder made here, replaced by the store
        path = Path(tempfile.mkdtemp(prefix="lamindb-core-", suffix=suffix, dir=folder))
        os.rmdir(path)
    else:
        fd, name = tempfile.mkstemp(prefix="lamindb-core-", suffix=suffix, dir=folder)
        os.close(fd)
        path = Path(name)
    try:
        if suffix == ".parquet" and is_dataframe(obj):
            obj.to_parquet(path, engine="pyarrow")
        elif suffix == ".h5ad" and is_anndata(obj):
            obj.write_h5ad(path)
        elif is_zarr and is_anndata(obj):
            obj.write_zarr(path)
        else:
            raise errors.InvalidArgument(f"cannot write {type(obj).__name__} as {suffix}")
    except errors.InvalidArgument:
        remove_path(path)
        raise
    except Exception as exc:
        remove_path(path)
        raise errors.InvalidArgument(
            f"cannot write the {type(obj).__name__} as {suffix}: {exc}"
        ) from exc
    return path


@dataclass
class LocalData:
    """What an artifact learns from its data before it is saved.

    ``path`` is the file or folder to copy into storage; ``is_temporary`` says
    that it was written for this artifact (an in-memory object) and is removed
    once stored. ``fingerprint`` is what the file system said of the data just
    before it was hashed (sizes and modification times), to notice a change
    before ``save()`` relies on the hash. ``real`` is the path with symbolic links
    resolved, if that was done when it was described (None otherwise).
    """

    path: Path
    is_temporary: bool
    fields: dict[str, Any]
    fingerprint: Any = None
    # whether path was a symbolic link when check_unchanged() last looked; None if unknown
    is_link: bool | None = None
    real: str | None = None

    def take_name(self, name: str) -> None:
        """Give temporary data the file name ``name`` in its folder (LaminDB names an unsaved
        in-memory object's file ``<uid><suffix>``), unless that name is taken: a name in use
        is never replaced, and the data keeps its temporary name then."""
        if not self.is_temporary or self.path.name == name:
            return
        target = self.path.parent / name
        try:
            if self.path.is_dir():
                os.mkdir(target)  # claims the name; fails if it is taken
                os.rename(self.path, target)  # onto the empty folder just made
            else:
                os.link(self.path, target)  # fails if the name is taken
                os.unlink(self.path)
        except OSError:
            return
        self.path = target
        self.fingerprint = _fingerprint(target)
        self.is_link = None

    @property
    def expected(self) -> tuple[int, str]:
        """The size and hash that the stored copy must have."""
        return self.fields["size"], self.fields["hash"]

    def check_unchanged(self) -> None:
        """Raise ``ContentChanged`` if the data was changed since it was hashed.

        A cheap check (no reading): sizes and modification times. The copy into
        storage checks the bytes themselves.
        """
        if self.fingerprint is None:
            return
        try:
            # lstat, which says whether the path is a link too (its source is removed from the
            # cache folder after the save by what it links to); stat where it is one
            st = os.lstat(self.path)
            self.is_link = stat.S_ISLNK(st.st_mode)
            now = _fingerprint(self.path, None if self.is_link else st)
        except FileNotFoundError:
            raise errors.ContentChanged(
                f"{self.path} was removed after ln.Artifact() read it: nothing was saved"
            ) from None
        if now != self.fingerprint:
            raise errors.ContentChanged(
                f"{self.path} changed after ln.Artifact() read it: nothing was saved; create the "
                f"artifact again from the {'folder' if self.fields.get('n_files') is not None else 'file'} "
                "as it is now"
            )


def _fingerprint(path: Path, st: os.stat_result | None = None) -> Any:
    # st: what os.stat(path) said a moment ago (a file's fingerprint is that stat's)
    st = st or os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    listing = list_folder(path)
    return tuple((rel, *_fingerprint(source)) for rel, source in listing.files)


@dataclass
class CheckedSource:
    """A path that :func:`check_source` accepted, with what it learned: ``path`` as it was
    given (absolute), ``st``, what ``os.stat`` said of it, and ``real``, the path with symbolic
    links resolved. Those who need them next (the storage that holds the path, the fingerprint
    and the hash) take them from here instead of asking the file system again."""

    path: Path
    st: os.stat_result
    _real: str | None = None

    @property
    def real(self) -> str:
        """The path with symbolic links resolved (``os.path.realpath``), resolved once."""
        if self._real is None:
            self._real = os.path.realpath(self.path)
        return self._real

    @property
    def is_dir(self) -> bool:
        """Whether the path is a folder (a link to one included)."""
        return stat.S_ISDIR(self.st.st_mode)


def check_source(path: Path, storage_root: Path | None = None, real_root: str | None = None) -> CheckedSource:
    """Refuse a path that cannot be an artifact's data, with a message that names it.

    Refused: a path that is not a regular file or folder (a FIFO, a socket, a
    device: reading it could block forever), anything inside the storage's
    ``.lamindb`` folder (stored artifacts and the database live there), and a
    folder that contains it (the storage folder itself, or a folder above it).
    ``real_root``: ``storage_root`` resolved already (``storage_paths.real``).

    Returns:
        The accepted :class:`CheckedSource`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ln.errors.InvalidArgument: it is refused.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file or folder: {path}") from None
    mode = st.st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise errors.InvalidArgument(
            f"{path} is not a regular file or folder ({_kind_of(mode)}): only files and folders can be artifacts"
        )
    if storage_root is None:
        return CheckedSource(Path(path), st)
    real = os.path.realpath(path)
    managed = os.path.join(real_root or os.path.realpath(storage_root), ".lamindb")
    if _within(real, managed):
        raise errors.InvalidArgument(
            f"{path} is inside {managed}, where the instance keeps its stored artifacts and its "
            "database: an artifact's data must come from outside it"
        )
    if _within(managed, real):
        raise errors.InvalidArgument(
            f"the folder {path} contains {managed}, where the instance keeps its stored artifacts "
            "and its database: store a folder that does not contain the storage's .lamindb folder"
        )
    return CheckedSource(Path(path), st, real)


def _within(path: str, folder: str) -> bool:
    # PurePath.is_relative_to of two resolved paths, without making Path objects: path is
    # folder or lies inside it
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)


def describe_data(
    data: Any, storage_root: Path | None = None, suffix: str | None = None, temp_folder: Path | None = None,
    checked: CheckedSource | None = None,
) -> LocalData:
    """Inspect ``data`` (a path, a DataFrame or an AnnData): the artifact's computed fields.

    Returns the fields ``suffix``, ``size``, ``hash``, ``_hash_type``, and, where
    they apply, ``n_files``, ``kind``, ``otype`` and ``n_observations``. A path
    keeps the name it was given: a symbolic link takes its suffix from its own
    name, and its target's bytes are read. ``storage_root`` is the storage the
    data is for (see :func:`check_source`); ``checked`` is what ``check_source``
    returned for this path against it just before (then not checked again). An
    in-memory object is written to
    ``temp_folder`` with ``suffix`` (``.parquet`` for a DataFrame, ``.h5ad`` for
    an AnnData by default; ``.zarr`` writes an AnnData as a folder).

    Raises:
        FileNotFoundError: ``data`` names a path that does not exist.
        TypeError: ``data`` is neither a path, a DataFrame nor an AnnData.
        ln.errors.InvalidArgument: a URL, an empty path, or a path that
            :func:`check_source` refuses.
    """
    if isinstance(data, (str, Path)):
        text = str(data)
        if "://" in text:
            raise errors.InvalidArgument(
                f"only local files and folders can be artifacts here, got {text!r}"
            )
        if isinstance(data, str) and not text.strip():
            raise errors.InvalidArgument(
                "the path is empty: pass the file or folder to store, e.g. ln.Artifact('./data.csv')"
            )
        path = Path(os.path.abspath(Path(data).expanduser()))
        # the check of the caller holds if it was of this very path (abspath removes "a/..",
        # which the file system reads through a: a path with ".." is checked as both)
        source = checked if checked is not None and checked.path == path else check_source(path, storage_root)
        fingerprint = _fingerprint(path, source.st)
        if source.is_dir:
            listing = list_folder(path)
            if listing.left_out:
                shown = ", ".join(listing.left_out[:5]) + (", ..." if len(listing.left_out) > 5 else "")
                logger.warning(
                    f"left out {len(listing.left_out)} symbolic link(s) or special file(s) of {path} that "
                    f"are not files inside it: {shown}"
                )
            size, hash_, n_files = hash_dir(path, listing)
            fields = {"suffix": suffix_of(path, is_dir=True), "size": size, "hash": hash_,
                      "_hash_type": "md5-d", "n_files": n_files}
        else:
            size, hash_ = hash_file(path)
            fields = {"suffix": suffix_of(path, is_dir=False), "size": size, "hash": hash_, "_hash_type": "md5"}
        return LocalData(path=path, is_temporary=False, fields=fields, fingerprint=fingerprint, real=source._real)
    if is_dataframe(data):
        suffix, otype, n_obs = suffix or ".parquet", "DataFrame", len(data)
    elif is_anndata(data):
        suffix, otype, n_obs = suffix or ".h5ad", "AnnData", data.n_obs
    else:
        # LaminDB 1.0's type and words (its own tests match them exactly); a path, a
        # DataFrame or an AnnData are what an artifact takes here
        raise TypeError("data has to be a string, Path, UPath")
    path = write_temp(data, suffix, temp_folder)
    try:
        if path.is_dir():
            size, hash_, n_files = hash_dir(path)
            fields = {"suffix": suffix, "size": size, "hash": hash_, "_hash_type": "md5-d", "n_files": n_files}
        else:
            size, hash_ = hash_file(path)
            fields = {"suffix": suffix, "size": size, "hash": hash_, "_hash_type": "md5"}
    except BaseException:
        remove_path(path)
        raise
    fields.update({"kind": "dataset", "otype": otype, "n_observations": int(n_obs)})
    return LocalData(path=path, is_temporary=True, fields=fields, fingerprint=_fingerprint(path))


def remove_path(path: Path) -> None:
    """Remove a file or a folder (an object or a folder of objects in a bucket); a missing path is no error."""
    if object_store.is_cloud(path):
        object_store.remove(path, recursive=True)
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def load_file(path: Path, suffix: str) -> Any:
    """Read a stored file by its suffix: see :func:`lamindb_core.loaders.load_to_memory`."""
    return loaders.load_to_memory(path, suffix)
