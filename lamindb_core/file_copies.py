"""Copies of files and folders into storage that are complete or absent, and durable.

A copy goes to a hidden temporary name beside its destination (``.<name>.<tag>.tmp``, the name a
journal's recovery looks for, see :mod:`lamindb_core.recovery`), is hashed as it is copied and
checked against what the artifact recorded (:class:`~lamindb_core.errors.ContentChanged`
otherwise), synced to disk, and only then given its name, which it never takes from an existing
file. ``store_many`` does this for many files with their fsyncs side by side.

Pure helpers on paths, as :mod:`lamindb_core.files`, whose readers they use; none of them touches
the database.

Example:
    >>> from lamindb_core import file_copies
    >>> file_copies.store_atomic(Path("reads.fastq.gz"), root / ".lamindb" / "7zehFvNzAqbgyKke0000.fastq.gz")
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import errors
from .files import OnBytes, folder_hash, list_folder, open_file_or_folder, open_regular, read_hashing, remove_path

__all__ = ["fsync_dir", "publish", "stage", "store_atomic", "store_many"]


def store_atomic(
    source: Path, dest: Path, expected: tuple[int, str] | None = None, tag: str | None = None,
    on_bytes: OnBytes | None = None,
) -> None:
    """Copy a file or folder to a new path ``dest``, which is then complete or absent.

    The copy goes to a hidden temporary name in ``dest``'s folder,
    ``.<dest name>.<tag>.tmp`` (a random tag if none is given, see
    :func:`lamindb_core.recovery.temp_name`), and is renamed to ``dest`` in one
    step once complete and on disk. The bytes are hashed as
    they are copied: if ``expected`` (size, hash) is given and the copy differs,
    nothing is stored and ``ContentChanged`` is raised. If anything fails on the
    way, the temporary copy is removed. An existing ``dest`` is never replaced:
    two processes storing to the same path cannot overwrite each other.
    ``on_bytes``, if given, is called with the size of each chunk copied (a
    progress bar's ``update``).

    Raises:
        FileExistsError: ``dest`` exists.
        ln.errors.ContentChanged: the source's bytes are not the expected ones.
    """
    _make_parent(dest)
    if os.path.exists(dest):
        raise FileExistsError(f"{dest} exists")
    is_dir = os.path.isdir(source)
    tmp = _stage(source, dest, expected, tag, on_bytes, is_dir)
    try:
        _publish_staged(tmp, dest, is_dir)
    except BaseException:
        remove_path(tmp)
        raise


def _make_parent(dest: Path) -> None:
    # dest's folder, made if missing (one stat where it exists, as for every save after the first)
    if not os.path.isdir(dest.parent):
        dest.parent.mkdir(parents=True, exist_ok=True)


def stage(
    source: Path, dest: Path, expected: tuple[int, str] | None = None, tag: str | None = None,
    on_bytes: OnBytes | None = None,
) -> Path:
    """Copy a file or folder to a temporary name beside ``dest`` and sync it to disk;
    :func:`publish` gives it its name.

    The expensive part of :func:`store_atomic`, for a caller that learns the
    final name later (a new version's uid, inside a transaction). The caller
    removes the temporary copy if it is not published. ``on_bytes`` as in
    :func:`store_atomic`.

    Raises:
        ln.errors.ContentChanged: the source's bytes are not the expected ones.
    """
    _make_parent(dest)
    return _stage(source, dest, expected, tag, on_bytes, os.path.isdir(source))


def _stage(
    source: Path, dest: Path, expected: tuple[int, str] | None, tag: str | None, on_bytes: OnBytes | None,
    is_dir: bool,
) -> Path:
    # stage() once dest's folder exists and source is known to be a folder or not
    if is_dir:
        return _copy_folder_to_temp(source, dest, expected, tag, on_bytes)
    tmp, fd = _copy_to_temp(source, dest, expected, tag, on_bytes)
    try:
        # the bytes reach the disk before the name does: a crash leaves no half file
        os.fsync(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return tmp


def publish(tmp: Path, dest: Path) -> None:
    """Give a copy made by :func:`stage` the name ``dest``, in one step; the temporary name goes.

    Raises:
        FileExistsError: ``dest`` exists (it is never replaced); the copy keeps
            its temporary name.
    """
    _publish_staged(tmp, dest, os.path.isdir(tmp))


def _publish_staged(tmp: Path, dest: Path, is_dir: bool) -> None:
    # publish() of a copy known to be a folder or a file
    if is_dir:
        if dest.exists():
            raise FileExistsError(f"{dest} exists")
        # renaming onto a folder that appeared meanwhile fails unless it is empty
        try:
            os.rename(tmp, dest)
        except OSError as exc:
            if dest.exists():
                raise FileExistsError(f"{dest} exists") from exc
            raise
    else:
        _publish(tmp, dest)
        tmp.unlink(missing_ok=True)
    fsync_dir(dest.parent)


# files copied before their fsyncs run; each holds an open descriptor meanwhile
_STORE_BATCH = 256
# concurrent fsyncs: the file system commits its journal once for many of them
_FSYNC_THREADS = 16


def _fsync_all(fds: list[int]) -> None:
    if len(fds) > 1:
        with ThreadPoolExecutor(min(_FSYNC_THREADS, len(fds))) as pool:
            list(pool.map(os.fsync, fds))
    elif fds:
        os.fsync(fds[0])


def store_many(items: list[tuple], tag: str | None = None, on_bytes: OnBytes | None = None) -> list[bool]:
    """``store_atomic`` for many ``(source, dest)`` or ``(source, dest, expected)``
    items of files, with the fsyncs run side by side (and beside the copies) instead of one
    after another; the folders' fsyncs once per folder.

    Each ``dest`` is complete or absent, and never replaced. Returns, for each
    item, whether it was stored: ``False`` means ``dest`` exists (the caller picks
    another name). If anything else fails (``ContentChanged`` included), every
    file this call stored is removed and the error is raised.

    Folders are copied one by one, as ``store_atomic`` does. ``tag`` names the
    temporary files and ``on_bytes`` counts the bytes copied, as in ``store_atomic``.
    """
    items = [(item[0], item[1], item[2] if len(item) > 2 else None) for item in items]
    stored: list[Path] = []
    result: list[bool] = []
    try:
        for start in range(0, len(items), _STORE_BATCH):
            chunk = items[start : start + _STORE_BATCH]
            temps: list[tuple[Path, int] | None] = []
            try:
                for folder in {dest.parent for _, dest, _ in chunk}:
                    folder.mkdir(parents=True, exist_ok=True)
                # each file's fsync starts as soon as it is written, in a thread, while the next
                # ones are copied; all have ended (the pool's exit waits) before any is published
                syncs: list[Future] = []
                with ThreadPoolExecutor(min(_FSYNC_THREADS, len(chunk))) as pool:
                    for source, dest, expected in chunk:
                        opened = open_file_or_folder(source)
                        if opened is None:  # a folder: below
                            temps.append(None)
                            continue
                        temps.append(_copy_to_temp(source, dest, expected, tag, on_bytes, opened=opened))
                        syncs.append(pool.submit(os.fsync, temps[-1][1]))
                for sync in syncs:
                    sync.result()  # an fsync that failed fails the call
                for (source, dest, expected), temp in zip(chunk, temps):
                    try:
                        if temp is None:
                            store_atomic(source, dest, expected, tag, on_bytes)
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
            fsync_dir(folder)
    except BaseException:
        for path in stored:
            remove_path(path)
        raise
    return result


def _check_copy(source: Path, expected: tuple[int, str] | None, got: tuple[int, str]) -> None:
    if expected is None or tuple(expected) == got:
        return
    raise errors.ContentChanged(
        f"{source} changed after ln.Artifact() read it (it had {expected[0]} bytes with hash "
        f"{expected[1]}, the copy has {got[0]} bytes with hash {got[1]}): nothing was saved; "
        "create the artifact again from the data as it is now"
    )


def _temp_beside(dest: Path, tag: str | None) -> Path:
    # .<dest name>.<tag>.tmp: the name a journal's recovery looks for
    return dest.parent / f".{dest.name}.{tag}.tmp"


class _FdWriter:
    # write() to an open descriptor, all of the bytes: what _read_hashing needs of a file
    # object, without one (a buffered file asks the system three more questions per file)
    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: memoryview) -> None:
        while data:
            data = data[os.write(self.fd, data):]


def _copy_to_temp(
    source: Path, dest: Path, expected: tuple[int, str] | None = None, tag: str | None = None,
    on_bytes: OnBytes | None = None, opened: tuple[int, int] | None = None,
) -> tuple[Path, int]:
    # a hidden temporary file beside dest with source's bytes, hashed as they are
    # copied; returns it and its open descriptor, to be synced and closed by the caller.
    # opened: source's descriptor and size from _open_regular (closed here)
    src, src_size = opened or open_regular(source)
    try:
        if tag is None:
            fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        else:
            name = _temp_beside(dest, tag)
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except BaseException:
        os.close(src)
        raise
    tmp = Path(name)
    try:
        got = read_hashing(src, _FdWriter(fd), on_bytes=on_bytes, size_hint=src_size)
        _check_copy(source, expected, got)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(src)
    return tmp, fd


def _copy_folder_to_temp(
    source: Path, dest: Path, expected: tuple[int, str] | None, tag: str | None = None,
    on_bytes: OnBytes | None = None,
) -> Path:
    # a hidden temporary folder beside dest with the files of source (by the
    # rule of list_folder), each hashed as it is copied and synced to disk
    if tag is None:
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
    else:
        tmp = _temp_beside(dest, tag)
        os.mkdir(tmp, 0o700)
    try:
        listing = list_folder(source)
        entries: list[tuple[str, str]] = []
        size = 0
        for start in range(0, len(listing.files), _STORE_BATCH):
            fds: list[int] = []
            try:
                for rel, path in listing.files[start : start + _STORE_BATCH]:
                    target = tmp.joinpath(*rel.split("/"))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    src, src_size = open_regular(path)
                    try:
                        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
                        fds.append(fd)
                        with open(fd, "wb", closefd=False) as out:
                            file_size, file_hash = read_hashing(src, out, on_bytes=on_bytes, size_hint=src_size)
                    finally:
                        os.close(src)
                    size += file_size
                    entries.append((rel, file_hash))
                _fsync_all(fds)
            finally:
                for fd in fds:
                    os.close(fd)
        _check_copy(source, expected, (size, folder_hash(entries)))
        for folder in {tmp.joinpath(*rel.split("/")).parent for rel, _ in listing.files}:
            fsync_dir(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _publish(tmp: Path, dest: Path) -> None:
    # give the complete temporary file its name; never replaces an existing dest
    try:
        # a hard link creates dest only if it does not exist, in one step
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:
        # a file system without hard links: replace() would replace, so dest is looked for first
        if os.path.lexists(dest):
            raise FileExistsError(f"{dest} exists") from None
        os.replace(tmp, dest)


def fsync_dir(folder: Path) -> None:
    """Make new and removed names in ``folder`` durable (where the platform can open a folder)."""
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
