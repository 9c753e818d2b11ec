"""Copies of files and folders into storage that are complete or absent, and durable.

A copy goes to a hidden temporary name beside its destination (``.<name>.<tag>.tmp``, the name a
journal's recovery looks for, see :mod:`lamindb_core.recovery`), is hashed as it is copied and
checked against what the artifact recorded (:class:`~lamindb_core.errors.ContentChanged`
otherwise), synced to disk, and only then given its name, which it never takes from an existing
file. ``store_many`` does this for many files with their fsyncs side by side. ``store_atomic``
with ``before_name`` (a journal's sync) copies a file into a file without a name where the file
system makes one (``O_TMPFILE``), and links it to its name once complete and synced.

Pure helpers on paths, as :mod:`lamindb_core.files`, whose readers they use; none of them touches
the database.

Example:
    >>> from lamindb_core import file_copies
    >>> file_copies.store_atomic(Path("reads.fastq.gz"), root / ".lamindb" / "7zehFvNzAqbgyKke0000.fastq.gz")
"""

from __future__ import annotations

import _thread
import errno
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import errors
from .files import OnBytes, folder_hash, list_folder, open_file_or_folder, open_regular, read_hashing, remove_path

__all__ = ["fsync_dir", "publish", "stage", "store_atomic", "store_many"]


def store_atomic(
    source: Path, dest: Path, expected: tuple[int, str] | None = None, tag: str | None = None,
    on_bytes: OnBytes | None = None, before_name: Callable[[], Any] | None = None,
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

    ``before_name``, if given, is called before anything can have a name in ``dest``'s folder
    (a journal's sync: a crash must find the name listed first). A file then goes where the
    file system makes one without a name (Linux's ``O_TMPFILE``): nothing of it is left if the
    process dies before it takes the name ``dest`` (no temporary name), and ``before_name``
    runs in a thread while the copy is synced, so that the file system commits both at once.
    Elsewhere, and for a folder, it is called before the copy is made.

    Raises:
        FileExistsError: ``dest`` exists.
        ln.errors.ContentChanged: the source's bytes are not the expected ones.
    """
    if before_name is not None and _store_unnamed(source, dest, expected, on_bytes, before_name):
        return
    _make_parent(dest)
    if before_name is not None:
        before_name()  # before the temporary name exists
    if os.path.exists(dest):
        raise FileExistsError(f"{dest} exists")
    is_dir = os.path.isdir(source)
    tmp = _stage(source, dest, expected, tag, on_bytes, is_dir)
    try:
        _publish_staged(tmp, dest, is_dir)
    except BaseException:
        remove_path(tmp)
        raise


# folders whose file system makes no file without a name (checked once per folder), and
# whether this system can link one to a name at all (O_TMPFILE and /proc/self/fd): None until
# the first store_atomic with before_name
_NO_UNNAMED: set[str] = set()
_unnamed: bool | None = None
# O_TMPFILE's errors where the kernel or the file system does not offer it
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL}


def _store_unnamed(
    source: Path, dest: Path, expected: tuple[int, str] | None, on_bytes: OnBytes | None,
    before_name: Callable[[], Any],
) -> bool:
    # store_atomic() of a file through a file without a name, linked to dest once complete and
    # synced (the fsync beside before_name()), then dest's folder synced; False if the file
    # system makes no such file or source is a folder (nothing stored; before_name may have run)
    global _unnamed
    if _unnamed is None:
        _unnamed = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
    folder, name = os.path.split(dest)
    if not _unnamed or folder in _NO_UNNAMED:
        return False
    opened = open_file_or_folder(source)
    if opened is None:
        return False  # a folder
    src, src_size = opened
    try:
        try:
            folder_fd = os.open(folder, _FOLDER_FLAGS)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            folder_fd = os.open(folder, _FOLDER_FLAGS)
        try:
            try:
                fd = os.open(".", os.O_TMPFILE | os.O_RDWR | _O_CLOEXEC, 0o600, dir_fd=folder_fd)
            except OSError as exc:
                if exc.errno not in _NO_TMPFILE:
                    raise
                _NO_UNNAMED.add(folder)
                return False
            try:
                _check_copy(source, expected, read_hashing(src, _FdWriter(fd), on_bytes=on_bytes, size_hint=src_size))
                _fsync_beside(fd, before_name)
                try:
                    # linkat() fails if dest exists: it is never replaced
                    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=folder_fd)
                except FileExistsError:
                    raise
                except OSError:
                    # a system that links no file through /proc (a sandbox's): the named way,
                    # which reports a real error of its own
                    _NO_UNNAMED.add(folder)
                    return False
            finally:
                os.close(fd)  # without a name, the file goes with its descriptor
            try:
                os.fsync(folder_fd)  # the name on disk, as fsync_dir()
            except OSError:
                pass
        finally:
            os.close(folder_fd)
    finally:
        os.close(src)
    return True


_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _fsync_beside(fd: int, call: Callable[[], Any]) -> None:
    # fsync(fd) here while call() runs in the helper thread; waits for both, raises the error of
    # either (the fsync's first)
    done = _Helper.get().run(call)
    try:
        os.fsync(fd)
    finally:
        error = done.get()
    if error is not None:
        raise error


class _Helper:
    """The process's one thread that runs calls handed to it, one after the other, while the
    caller does its own part: ``artifact.save()``'s journal sync beside its copy's fsync.
    Started by its first call (a thread per save took longer than the sync)."""

    _current: _Helper | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        _thread.start_new_thread(self._work, ())

    @classmethod
    def get(cls) -> _Helper:
        """The process's helper (a forked child starts its own: its parent's thread is not in it)."""
        helper = cls._current
        if helper is None:
            with cls._lock:
                helper = cls._current = cls._current or cls()
        return helper

    def _work(self) -> None:
        while True:
            call, done = self._todo.get()
            try:
                call()
            except BaseException as exc:
                done.put(exc)
            else:
                done.put(None)

    def run(self, call: Callable[[], Any]) -> queue.SimpleQueue:
        """Start ``call()``; the queue returned gets its error (None if it returned)."""
        done: queue.SimpleQueue = queue.SimpleQueue()
        self._todo.put((call, done))
        return done


def _forget_helper() -> None:
    _Helper._current = None
    _Helper._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)


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
        _unlink(tmp)
        raise
    finally:
        os.close(fd)
    return Path(tmp)


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
    fsync_dir(dest.parent)


# Windows' flag for a file without newline translation, looked up once (a failed getattr
# raises and catches an error, per file)
_O_BINARY = getattr(os, "O_BINARY", 0)
# copies whose fsyncs run at a time; each holds an open descriptor meanwhile
_STORE_BATCH = 256
# concurrent fsyncs: the file system commits its journal once for many of them
_FSYNC_THREADS = 16


def _fsync_all(fds: list[int]) -> None:
    if len(fds) > 1:
        with ThreadPoolExecutor(min(_FSYNC_THREADS, len(fds))) as pool:
            list(pool.map(os.fsync, fds))
    elif fds:
        os.fsync(fds[0])


class _Fsyncs:
    """Threads that fsync the descriptors put to them, side by side, as long as the ``with``
    block lasts: one set for a whole ``store_many`` (a pool per batch started its threads again,
    and a Future per file cost more than its copy)."""

    def __init__(self, threads: int) -> None:
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self.running = 0  # fsyncs put and not yet taken by next()
        self._threads = threads
        self._started = 0

    def __enter__(self) -> _Fsyncs:
        # _thread's threads, as the copies need nothing but a queue of them: threading.Thread's
        # start() waits until the new thread runs, which took longer than the copies on a busy
        # machine. A thread ends when it gets None (__exit__), after the fsyncs put before.
        try:
            for _ in range(self._threads):
                _thread.start_new_thread(self._work, ())
                self._started += 1
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for _ in range(self._started):
            self._todo.put(None)

    def _work(self) -> None:
        todo, done = self._todo, self._done
        while (job := todo.get()) is not None:
            try:
                os.fsync(job[1])
            except BaseException as exc:
                done.put((job[0], exc))
            else:
                done.put((job[0], None))

    def put(self, key: int, fd: int) -> None:
        """Start the fsync of ``fd`` (the caller keeps it open until :meth:`next` returns ``key``)."""
        self._todo.put((key, fd))
        self.running += 1

    def next(self) -> tuple[int, BaseException | None]:
        """Wait for an fsync to end (any); its key and its error, if it failed."""
        ended = self._done.get()
        self.running -= 1
        return ended


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
    stored: list[str] = []
    result = [False] * len(items)
    try:
        with _Fsyncs(min(_FSYNC_THREADS, len(items))) as fsyncs:
            _store_all(items, tag, on_bytes, fsyncs, stored, result)
        for folder in {os.path.dirname(dest) for dest in stored}:
            fsync_dir(folder)
    except BaseException:
        for path in stored:
            remove_path(Path(path))
        raise
    return result


def _store_all(
    items: list[tuple], tag: str | None, on_bytes: OnBytes | None, fsyncs: _Fsyncs, stored: list[str],
    result: list[bool],
) -> None:
    # store_many()'s copies: each file copied to its temporary name and its fsync started at
    # once, in a thread, while the next ones are copied; each copy is published once its fsync
    # has ended, at the latest when _STORE_BATCH copies are syncing. Paths as strings: a Path
    # per name cost more than the system calls. Fills stored (the names stored) and result.
    dests = [os.fspath(item[1]) for item in items]
    for folder in set(map(os.path.dirname, dests)):
        os.makedirs(folder, exist_ok=True)
    syncing: dict[int, tuple[str, int]] = {}  # by item: the copy's temporary name and descriptor

    def publish_next() -> None:
        # the next copy whose fsync has ended: closed, then published unless the fsync failed
        i, error = fsyncs.next()
        tmp, fd = syncing.pop(i)
        os.close(fd)
        try:
            if error is not None:
                raise error
            _publish(tmp, dests[i])
        except FileExistsError:
            _unlink(tmp)
            if not os.path.lexists(dests[i]):
                raise  # about a parent folder, not this name
            return
        except BaseException:
            _unlink(tmp)
            raise
        stored.append(dests[i])
        result[i] = True

    try:
        for i, item in enumerate(items):
            while len(syncing) >= _STORE_BATCH:
                publish_next()
            expected = item[2] if len(item) > 2 else None
            opened = open_file_or_folder(item[0])
            if opened is None:  # a folder
                try:
                    store_atomic(item[0], Path(dests[i]), expected, tag, on_bytes)
                except FileExistsError:
                    if not os.path.lexists(dests[i]):
                        raise
                    continue
                stored.append(dests[i])
                result[i] = True
                continue
            syncing[i] = _copy_to_temp(item[0], dests[i], expected, tag, on_bytes, opened=opened)
            fsyncs.put(i, syncing[i][1])
        while syncing:
            publish_next()
    finally:
        # after a failure: the fsyncs that still run end before their descriptors are closed
        # (a number closed meanwhile could name another file); their copies go
        while fsyncs.running:
            syncing_copy = syncing.pop(fsyncs.next()[0], None)
            if syncing_copy is not None:
                os.close(syncing_copy[1])
                _unlink(syncing_copy[0])
        for tmp, fd in syncing.values():
            os.close(fd)
            _unlink(tmp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


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
    return Path(_temp_name_beside(os.fspath(dest), tag))


def _temp_name_beside(dest: str, tag: str | None) -> str:
    # _temp_beside() of a path as a string (os.fspath's, whose separator is os.sep)
    folder, sep, name = dest.rpartition(os.sep)
    return f"{folder}{sep}.{name}.{tag}.tmp"


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
    source: Path | str, dest: Path | str, expected: tuple[int, str] | None = None, tag: str | None = None,
    on_bytes: OnBytes | None = None, opened: tuple[int, int] | None = None,
) -> tuple[str, int]:
    # a hidden temporary file beside dest with source's bytes, hashed as they are
    # copied; returns its path and its open descriptor, to be synced and closed by the caller.
    # opened: source's descriptor and size from _open_regular (closed here)
    src, src_size = opened or open_regular(source)
    try:
        if tag is None:
            folder, name = os.path.split(dest)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        else:
            tmp = _temp_name_beside(os.fspath(dest), tag)
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
    except BaseException:
        os.close(src)
        raise
    try:
        got = read_hashing(src, _FdWriter(fd), on_bytes=on_bytes, size_hint=src_size)
        _check_copy(source, expected, got)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
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
                        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
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


def _publish(tmp: Path | str, dest: Path | str) -> None:
    # give the complete temporary file its name, which tmp loses; never replaces an existing
    # dest (FileExistsError, and tmp keeps its name)
    if _rename_noreplace(tmp, dest):
        return
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
    else:
        os.unlink(tmp)


# a call of Linux's renameat2() (see _find_renameat2), False where there is none; None until
# the first rename looks it up
_renameat2: Any = None
_AT_FDCWD, _RENAME_NOREPLACE = -100, 1
# renameat2's errors where the kernel, the file system or a sandbox does not offer RENAME_NOREPLACE
_NO_RENAMEAT2 = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}


def _rename_noreplace(tmp: Path | str, dest: Path | str) -> bool:
    # renames tmp to dest in one system call unless dest exists (Linux: renameat2 with
    # RENAME_NOREPLACE; os has no wrapper of it); False where that cannot be done, and nothing
    # was done then. Raises FileExistsError if dest exists.
    global _renameat2
    if _renameat2 is None:
        _renameat2 = _find_renameat2()
    if not _renameat2:
        return False
    code = _renameat2(os.fsencode(tmp), os.fsencode(dest))
    if not code:
        return True
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), os.fspath(tmp), None, os.fspath(dest))
    if code in _NO_RENAMEAT2:
        return False  # the caller links instead, which reports a real error of its own
    raise OSError(code, os.strerror(code), os.fspath(tmp), None, os.fspath(dest))


def _find_renameat2() -> Any:
    # a call of libc's renameat2 (glibc 2.28 or later) with RENAME_NOREPLACE that returns 0 or
    # the error's number; False where there is none
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not above: its import was a tenth of import lamindb_core's time

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    # no argtypes: ctypes passes Python ints as C ints and bytes as char pointers as they are,
    # which is what renameat2 takes, at half the cost of converting each through argtypes
    function.restype = ctypes.c_int
    get_errno = ctypes.get_errno

    def rename(tmp: bytes, dest: bytes) -> int:
        if function(_AT_FDCWD, tmp, _AT_FDCWD, dest, _RENAME_NOREPLACE) == 0:
            return 0
        return get_errno()

    return rename


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
