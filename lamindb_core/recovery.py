"""Journals of saves in progress, and the recovery of a storage after a save died.

A process that stores files into ``<root>/.lamindb`` first opens a journal,
``<root>/.lamindb/.pending/<id>.jsonl``, and holds an exclusive lock on it
(``fcntl.flock``) until the database transaction that records those files has
committed or rolled back; then it removes the journal. Before it creates a
file, it appends the file's name to the journal and syncs it to disk: the
stored copy ``<uid><suffix>``, whose temporary file is
``.<uid><suffix>.<journal id>.tmp`` beside it (see :func:`temp_name`). A copy
made where the file system makes files without a name (Linux's ``O_TMPFILE``,
``artifact.save()``'s) has no temporary name: its line is synced while the copy
is, and before the copy is linked to its name; a crash before leaves nothing.

A save of one artifact (``artifact.save()``) does not create and remove a journal
of its own: its process keeps one journal per storage open and locked, and each
save appends its names (``{"add": [...]}``, synced) and, once over, the line
``{"done": [...]}`` with the same names (:func:`save_journal`); its threads share
it, a forked child opens its own. A journal file per save cost three changes of
the folder (create, rename, remove) and the close of a removed file, about a
millisecond per save. The done line needs no sync: a name without one is looked
up like any other. Once no save is open and the journal has grown past 64 KiB,
it is cut back to its header; at exit it is removed.

A journal whose lock can be taken belongs to a process whose saves are over: it
died (killed, out of memory, a power cut) or its transaction ended without the
journal being removed. :func:`recover` removes the temporary files of the names
it lists without a done line, the stored copies among them that have no record
in the database and that no live journal names, and then the journal. It never
lists the storage's files: its cost grows with the number of journals, not with
the size of the storage. Journals without done lines (written by earlier
versions, or by ``ln.save``) are read the same way: all their names are open.

What it assumes:

- ``flock`` works on the storage folder between the processes that save into
  it. That holds for a local folder, and for the processes of one machine on a
  network file system. Processes on *other* machines (a PostgreSQL instance
  whose storage several machines share) may not see each other's locks: a
  journal written on another machine is therefore never recovered here; run
  the recovery on that machine (its host name is in the report).
- The database commits or aborts a dead process's transaction by itself: SQLite
  when the next connection opens the file, PostgreSQL when it notices that the
  client is gone. A journal may record the database sessions (PostgreSQL's
  backend process ids: in its header, and a ``{"session": ...}`` line before
  the names a new session records); while one of them still exists, its journal
  is left for later, so that a COMMIT still in flight cannot lose its files.

Example:
    >>> journal = open_journal(Path("mydata/.lamindb"))
    >>> journal.add(["7zehFvNzAqbgyKke0000.csv"])   # before creating the file
    >>> ...                                          # copy, insert, commit
    >>> journal.close()
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from django.db import transaction

from . import file_copies, files, ownership

try:
    import fcntl
except ImportError:  # Windows: no flock; journals are written but never recovered
    fcntl = None

__all__ = [
    "PENDING", "Journal", "Objects", "RecoveryReport", "end_journal", "open_journal", "recover", "release_rolled_back",
    "remove_idle_journals", "save_journal", "temp_name",
]

PENDING = ".pending"
"""The folder of ``.lamindb`` that holds the journals."""

_SUFFIX = ".jsonl"
_NEW = ".new"
_ENDINGS = (_SUFFIX, _NEW)
_entry_name = attrgetter("name")
# seconds after which a journal that was never opened completely is left over
_NEW_GRACE = 60
# bytes past which a process's journal is cut back to its header once no save is open
_COMPACT = 1 << 16


def temp_name(name: str, journal_id: str) -> str:
    """The name of the temporary file of the stored copy ``name`` while journal ``journal_id`` makes it.

    Example:
        >>> temp_name("7zehFvNzAqbgyKke0000.csv", "a1b2c3d4e5f6a7b8")
        '.7zehFvNzAqbgyKke0000.csv.a1b2c3d4e5f6a7b8.tmp'
    """
    return f".{name}.{journal_id}.tmp"


def _datasync(fd: int) -> None:
    getattr(os, "fdatasync", os.fsync)(fd)


def _host() -> str:
    return socket.gethostname()


def _lock(fd: int) -> bool:
    # take the journal's lock without waiting; False if another open file holds it
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _File:
    """A journal file, open and locked: one save's (:func:`open_journal`), or shared by a
    process's saves one after the other (:func:`save_journal`)."""

    def __init__(self, folder: Path, fd: int, journal_id: str, header_size: int, session: dict, shared: bool) -> None:
        self.folder = folder
        self.id = journal_id
        self.path = os.path.join(folder, PENDING, f"{journal_id}{_SUFFIX}")
        self.fd: int | None = fd
        self.shared = shared
        self.pid = os.getpid()
        self.header_size = header_size
        self.size = header_size
        self.lock = threading.Lock()
        self.open_saves = 0
        self.pending: dict[str, int] = {}  # names listed by saves not yet done: how many times
        self.header_session = _session_key(session)
        self.sessions = {self.header_session}  # sessions its lines already name
        self.retired = False  # takes no more saves; released once its open saves end

    def write(self, data: bytes) -> None:
        # all of data or an error: a short write would merge the next line into a torn one
        if self.fd is None:
            raise RuntimeError(f"the journal {self.path} is closed")
        try:
            written = os.write(self.fd, data)
            if written != len(data):
                raise OSError(f"wrote {written} of {len(data)} bytes to the journal {self.path}")
        except BaseException:
            self.retired = True  # its end may be torn: no more lines after it
            raise
        self.size += written

    def add(self, names: list[str], session: dict, sync: bool = True) -> None:
        with self.lock:
            key = _session_key(session)
            lines = b""
            if key not in self.sessions:
                lines += (json.dumps({"session": session}) + "\n").encode()
            lines += (json.dumps({"add": names}) + "\n").encode()
            self.write(lines)
            if sync:
                self.sync_locked()
            self.sessions.add(key)
            for name in names:
                self.pending[name] = self.pending.get(name, 0) + 1

    def sync(self) -> None:
        with self.lock:
            self.sync_locked()

    def sync_locked(self) -> None:
        # on disk before the files: a power cut cannot leave them unlisted. The
        # journal's own name is not synced apart: file systems that journal
        # their metadata in order (ext4, XFS) make it durable no later than the
        # names of the files, which are synced when they are created
        if self.fd is None:
            raise RuntimeError(f"the journal {self.path} is closed")
        _datasync(self.fd)

    def end_save(self, names: list[str], done: bool) -> None:
        # a save is over: its names done (committed, or nothing of them left), or not
        # (files may be left: the journal goes to a recovery once its other saves end)
        with self.lock:
            self.open_saves -= 1
            if done and names and not self.retired:
                try:
                    self.write((json.dumps({"done": names}) + "\n").encode())
                except OSError:
                    done = False  # the names stay open: a recovery looks them up
            if done:
                for name in names:
                    count = self.pending.pop(name, 0) - 1
                    if count > 0:
                        self.pending[name] = count
            else:
                self.retired = True
            if self.open_saves:
                return
            if not self.retired:
                if self.size > _COMPACT and not self.pending:
                    # every name is done: the header alone says as much (its session again)
                    try:
                        os.ftruncate(self.fd, self.header_size)
                    except OSError:
                        return
                    self.size = self.header_size
                    self.sessions = {self.header_session}
                return
        # retired, and no save attaches to it any more (save_journal looks under its lock)
        with _registry_lock:
            _forget(self)
        self.close_fd()

    def close_fd(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _session_key(session: dict | None) -> str:
    return json.dumps(session or {}, sort_keys=True)


class Journal:
    """The journal of one save in progress in one storage: the names of the files it creates.

    Create it with :func:`open_journal` (a journal file of its own, removed by ``close()``)
    or :func:`save_journal` (the process's journal of the storage, which ``close()``
    marks done). It is locked for as long as it is open.
    """

    def __init__(self, folder: Path, file: _File, session: dict | None = None) -> None:
        self.folder = folder
        """The storage's ``.lamindb`` folder."""
        self.id = file.id
        """The journal's id, part of its temporary files' names."""
        self.names: list[str] = []
        """The names it lists so far."""
        self._file = file
        self._session = session or {}
        self._closed = False
        self._listed: set[str] = set()
        file.open_saves += 1

    @property
    def path(self) -> Path:
        """The journal file."""
        return Path(self._file.path)

    @property
    def closed(self) -> bool:
        """Whether the save is over for the journal (closed or released)."""
        return self._closed

    def add(self, names: Iterable[str], sync: bool = True) -> None:
        """List ``names`` (stored copies, relative to ``.lamindb``), durably, before they are created.

        ``sync=False``: the names are written, and on disk only once :meth:`sync` returns; the
        caller calls it before any of them can exist (``file_copies.store_atomic``'s
        ``before_name``, which runs it beside the copy's own fsync)."""
        names = [n for n in dict.fromkeys(names) if n not in self._listed]
        if not names:
            return
        if self._closed:
            raise RuntimeError(f"the journal {self.path} is closed")
        self._file.add(names, self._session, sync)
        self.names.extend(names)
        self._listed.update(names)

    def sync(self) -> None:
        """Put the names listed so far on disk (after ``add(..., sync=False)``)."""
        if self._closed:
            raise RuntimeError(f"the journal {self.path} is closed")
        self._file.sync()

    def temp_name(self, name: str) -> str:
        """The temporary file's name of the stored copy ``name`` (see :func:`temp_name`)."""
        return temp_name(name, self.id)

    def close(self) -> None:
        """The save is over (committed or rolled back) and left nothing to recover: remove the
        journal and release its lock, or, in the process's journal, mark its names done."""
        if self._closed:
            return
        self._closed = True
        file = self._file
        if file.shared:
            file.end_save(self.names, done=True)
            return
        # removed while locked: a recovery that opened it before sees it gone once it has the lock
        try:
            os.unlink(file.path)
        except FileNotFoundError:
            pass
        finally:
            file.close_fd()

    def release(self) -> None:
        """Release the lock and leave the journal: the save is over, but files it lists may be
        left (removing them failed); the next :func:`recover` removes those without a record.
        The process's journal is released once its other open saves end, and its next save
        opens another."""
        if self._closed:
            return
        self._closed = True
        if self._file.shared:
            self._file.end_save(self.names, done=False)
        else:
            self._file.close_fd()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, {len(self.names)} name(s){', closed' if self.closed else ''})"


def _create(folder: Path, session: dict | None, shared: bool) -> _File:
    # a new journal file in folder's .pending, locked, its header written
    pending = os.path.join(folder, PENDING)
    journal_id = secrets.token_hex(8)
    # written and locked under a name recover() ignores, then renamed: a recovery
    # never finds it unlocked (rename keeps the file, and so the lock)
    new = os.path.join(pending, f"{journal_id}{_NEW}")
    # O_APPEND: lines go to its end after it was cut back to its header, too
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(new, flags, 0o644)
    except FileNotFoundError:
        # the first save into this storage: its folder of journals is made (and its name synced)
        Path(pending).mkdir(parents=True, exist_ok=True)
        file_copies.fsync_dir(folder)
        fd = os.open(new, flags, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        header = {"host": _host(), "pid": os.getpid(), "started": time.time(), "session": session or {}}
        if shared:
            header["shared"] = True  # without open names, a process's journal is no save in progress
        data = (json.dumps(header) + "\n").encode()
        if os.write(fd, data) != len(data):
            raise OSError(f"could not write the header of the journal {new}")
        os.rename(new, os.path.join(pending, f"{journal_id}{_SUFFIX}"))
    except BaseException:
        try:
            os.unlink(new)
        except FileNotFoundError:
            pass
        os.close(fd)
        raise
    return _File(folder, fd, journal_id, len(data), session or {}, shared)


def open_journal(folder: Path, session: dict[str, Any] | None = None) -> Journal:
    """Open a new, locked journal in ``folder`` (a storage's ``.lamindb``), for one save.

    Args:
        folder: The storage's ``.lamindb`` folder.
        session: What identifies the database session whose transaction records
            the files (``{"postgresql_pid": 1234}``); :func:`recover` leaves the
            journal alone while ``session_alive`` says it exists.
    """
    return Journal(folder, _create(folder, session, shared=False), session)


# this process's journals shared by its saves: the current one of each folder, and all of
# them until released (recover() reads their open names from here, not from the file)
_shared: dict[str, _File] = {}
_own: dict[str, _File] = {}
_registry_lock = threading.Lock()


def save_journal(folder: Path, session: dict[str, Any] | None = None) -> Journal:
    """The journal of one save in ``folder`` (a storage's ``.lamindb``), in the process's
    journal of that folder: opened by its first save, locked while the process lives,
    removed at exit. ``close()`` marks the save's names done.

    Args:
        folder: The storage's ``.lamindb`` folder.
        session: As for :func:`open_journal`; a session the journal does not name yet is
            written before the save's names.
    """
    key = os.fspath(folder)
    with _registry_lock:
        file = _shared.get(key)
        if file is not None and file.pid == os.getpid():
            with file.lock:
                if not file.retired:
                    return Journal(folder, file, session)
        file = _create(folder, session, shared=True)
        _shared[key] = _own[file.path] = file
        return Journal(folder, file, session)


def _forget(file: _File) -> None:
    # (under _registry_lock) file is released: neither the current journal of its folder nor this process's
    if _shared.get(os.fspath(file.folder)) is file:
        del _shared[os.fspath(file.folder)]
    _own.pop(file.path, None)


def _own_journals() -> dict[str, _File]:
    # this process's journals, by path (none in a child forked from it: its parent's)
    pid = os.getpid()
    with _registry_lock:
        return {path: file for path, file in _own.items() if file.pid == pid}


def remove_idle_journals(folder: Path | None = None) -> None:
    """Remove this process's journals (of ``folder``, a storage's ``.lamindb``, or all) whose
    saves are all over: nothing in them for a recovery to read. At exit, and before
    ``ln.setup.delete`` removes the storage's ``.lamindb``; the next save opens another."""
    for file in _own_journals().values():
        if folder is not None and os.path.abspath(file.folder) != os.path.abspath(folder):
            continue
        with file.lock:
            if file.open_saves or file.pending or file.fd is None:
                continue
            file.retired = True
            try:
                os.unlink(file.path)
            except OSError:
                pass
            file.close_fd()
        with _registry_lock:
            _forget(file)


atexit.register(remove_idle_journals)
ownership.on_delete_storage.append(remove_idle_journals)


def _after_fork_in_child() -> None:
    # a forked child does not hold its parent's journals: its descriptors would keep their
    # locks after the parent died, and its saves open journals of their own
    for file in list(_own.values()):
        try:
            if file.fd is not None:
                os.close(file.fd)
        except OSError:
            pass
        file.fd = None
    _own.clear()
    _shared.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# journals of saves whose records an outer transaction commits, each with the
# callback that closes it on commit, and the connection
_awaiting_commit: list[tuple[Journal, Callable, Any]] = []


def release_rolled_back() -> None:
    """Release the journals of saves whose outer transaction was rolled back, so that
    a recovery removes their files (which have no record). Call it before a save
    opens its journal."""
    # Django runs no hook on rollback: a journal whose on_commit callback is gone
    # from its connection without having run belongs to a rolled-back transaction
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", None)
    if pending is None:
        return
    waiting = {id(entry[1]) for entry in pending}
    keep = []
    for journal, callback, owner in _awaiting_commit:
        if journal.closed:
            continue
        if owner is not connection or id(callback) in waiting:
            keep.append((journal, callback, owner))
        else:
            journal.release()
    _awaiting_commit[:] = keep


class Objects:
    """Where the stored copies that a journal names are, when they are not beside the journal:
    the objects under a bucket's ``.lamindb`` (``exists(name)``, ``remove(name)``). The
    journals of a bucket live in a local folder (``flock`` needs one)."""

    def __init__(self, exists: Callable[[str], bool], remove: Callable[[str], None]) -> None:
        self.exists = exists
        """Whether the stored copy ``name`` is there."""
        self.remove = remove
        """Remove the stored copy ``name``."""


def end_journal(journal: Journal, committed: bool, objects: Objects | None = None) -> None:
    """End the journal of a save that is over.

    Committed: the journal goes when its records are committed (with the outer
    transaction, if there is one). Failed: it goes if no file it lists is left,
    else it stays for a recovery, which checks the records.
    """
    if journal.closed:
        return
    if committed:
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            callback = journal.close
            transaction.on_commit(callback)
            _awaiting_commit.append((journal, callback, connection))
        else:
            journal.close()
    elif objects is not None and any(objects.exists(name) for name in journal.names):
        journal.release()
    elif objects is None and any(
        os.path.lexists(journal.folder / name) or os.path.lexists(journal.folder / journal.temp_name(name))
        for name in journal.names
    ):
        journal.release()
    else:
        journal.close()


@dataclass
class RecoveryReport:
    """What :func:`recover` did (or, with ``dry_run``, would do)."""

    folder: Path
    """The storage's ``.lamindb`` folder."""
    dry_run: bool = False
    """Whether nothing was removed."""
    journals: list[str] = field(default_factory=list)
    """Ids of the journals of dead saves that were recovered."""
    processes: dict[str, int] = field(default_factory=dict)
    """The process id that wrote each recovered journal."""
    removed: list[str] = field(default_factory=list)
    """Stored copies without a record that were removed (names in ``.lamindb``)."""
    temporary: list[str] = field(default_factory=list)
    """Temporary files that were removed."""
    kept: list[str] = field(default_factory=list)
    """Stored copies named by a dead journal that have a record, or that a live save also names."""
    live: int = 0
    """Journals of saves in progress, left alone."""
    waiting: list[str] = field(default_factory=list)
    """Journals of dead processes whose database session still exists: recovered later."""
    elsewhere: dict[str, str] = field(default_factory=dict)
    """Journals written on other machines (id: host): recover them there."""

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        lines = [
            f"{verb} {len(self.removed)} stored file(s) without a record and "
            f"{len(self.temporary)} temporary file(s) of {len(self.journals)} interrupted save(s) "
            f"in {self.folder}"
        ]
        if self.kept:
            lines.append(f"kept {len(self.kept)} stored file(s) that have a record")
        if self.live:
            lines.append(f"left {self.live} save(s) in progress alone")
        if self.waiting:
            lines.append(
                f"left {len(self.waiting)} journal(s) whose database session is still open; "
                "recover again in a minute"
            )
        for journal_id, host in sorted(self.elsewhere.items()):
            lines.append(f"left journal {journal_id} of machine {host!r}: run the recovery there")
        return "\n".join(lines)


@dataclass
class _Contents:
    # what a journal file says: its header, the names listed and not done (in order), and
    # the database sessions it names
    header: dict
    names: list[str]
    sessions: list[dict]


def _read(fd: int) -> _Contents:
    # a torn last line is left out: the files an add line named were not created yet (a
    # name is synced before its file exists), and the names of a done line stay open
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    header: dict = {}
    open_names: dict[str, int] = {}
    sessions: list[dict] = []
    for i, line in enumerate(b"".join(chunks).split(b"\n")):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if i == 0:
            header = entry
        if isinstance(entry.get("session"), dict) and entry["session"]:
            sessions.append(entry["session"])  # the header's, and those of session lines
        for name in _names(entry.get("add")):
            open_names[name] = open_names.get(name, 0) + 1
        for name in _names(entry.get("done")):
            count = open_names.pop(name, 0) - 1
            if count > 0:
                open_names[name] = count
    return _Contents(header, list(open_names), sessions)


def _names(value: Any) -> list[str]:
    # the names of a line, without any that would reach outside the folder
    if not isinstance(value, list):
        return []
    return [n for n in value if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")]


def recover(
    folder: Path,
    has_records: Callable[[list[str]], set[str]],
    session_alive: Callable[[dict], bool] | None = None,
    dry_run: bool = False,
    objects: Objects | None = None,
) -> RecoveryReport:
    """Remove what the saves that died in storage ``folder`` (its ``.lamindb``) left.

    For each journal whose lock it can take (its save is over) and that was
    written on this machine: the temporary files it names, the stored copies it
    names that have no record (``has_records``) and that no live journal names,
    then the journal. Journals of saves in progress are left alone, and their
    files too.

    Args:
        folder: The storage's ``.lamindb`` folder.
        has_records: Given names of stored copies, the ones that have a record.
        session_alive: Given a journal's ``session``, whether that database
            session still exists (its transaction may still commit).
        dry_run: Report what would be removed, and remove nothing.
        objects: Where the stored copies are if not in ``folder`` (a bucket's);
            ``folder`` then holds only the journals.

    Returns:
        A :class:`RecoveryReport`.
    """
    report = RecoveryReport(folder=folder, dry_run=dry_run)
    try:
        with os.scandir(os.path.join(folder, PENDING)) as listing:
            entries = [entry for entry in listing if entry.name.endswith(_ENDINGS)]
    except FileNotFoundError:
        return report
    if fcntl is None:
        return report  # no flock: a dead save cannot be told from one in progress
    dead: list[tuple[int, Path, dict, list[str]]] = []
    live_names: set[str] = set()
    own = _own_journals()
    entries.sort(key=_entry_name)
    try:
        for entry in entries:
            file = own.get(entry.path)
            if file is not None:
                # this process's journal: live, and its open names are known here (each save
                # of a process finds its own journal, and nothing more to do: a lock, no Path)
                if file.pending:
                    with file.lock:
                        names = list(file.pending)
                    report.live += bool(names)
                    live_names.update(names)
                continue
            path = Path(entry.path)
            try:
                fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
            except FileNotFoundError:
                continue  # its save ended meanwhile
            if not _lock(fd):
                contents = _read(fd)
                # a process's journal without open names: no save in progress
                report.live += entry.name.endswith(_SUFFIX) and (bool(contents.names) or not contents.header.get("shared"))
                live_names.update(contents.names)
                os.close(fd)
                continue
            if entry.name.endswith(_NEW) and time.time() - os.fstat(fd).st_mtime < _NEW_GRACE:
                # a journal being opened: its process may not have locked it yet
                os.close(fd)
                continue
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)  # removed by its save while this waited: nothing to do
                continue
            contents = _read(fd)
            header = contents.header
            host = header.get("host")
            if host is not None and host != _host():
                report.elsewhere[path.name.split(".")[0]] = host
                os.close(fd)
                continue
            if header.get("shared") and not contents.names:
                # a process's journal whose saves were all over (it ended without its exit
                # handlers: a kernel restarted, SIGTERM): no interrupted save, nothing to report
                if not dry_run:
                    path.unlink(missing_ok=True)
                os.close(fd)
                continue
            if session_alive is not None and any(session_alive(session) for session in contents.sessions):
                report.waiting.append(path.name.split(".")[0])
                os.close(fd)
                continue
            dead.append((fd, path, header, contents.names))
        # records are read after the live journals: a save that commits in between
        # is either still listed as live or has its records by now
        candidates = sorted({n for _, _, _, names in dead for n in names} - live_names)
        recorded = has_records(candidates) if candidates else set()
        for fd, path, header, names in dead:
            journal_id = path.name.split(".")[0]
            report.journals.append(journal_id)
            if isinstance(header.get("pid"), int):
                report.processes[journal_id] = header["pid"]
            for name in dict.fromkeys(names):
                if objects is not None:
                    # a bucket: no temporary names (an object appears complete or not at all)
                    there = objects.exists(name)
                    if name in recorded or name in live_names:
                        if there:
                            report.kept.append(name)
                        continue
                    if there:
                        report.removed.append(name)
                        if not dry_run:
                            objects.remove(name)
                    continue
                temp = folder / temp_name(name, journal_id)
                if os.path.lexists(temp):
                    report.temporary.append(temp.name)
                    if not dry_run:
                        files.remove_path(temp)
                if name in recorded or name in live_names:
                    if os.path.lexists(folder / name):
                        report.kept.append(name)
                    continue
                if os.path.lexists(folder / name):
                    report.removed.append(name)
                    if not dry_run:
                        files.remove_path(folder / name)
            if not dry_run:
                path.unlink(missing_ok=True)
    finally:
        for fd, *_ in dead:
            os.close(fd)
    if (report.removed or report.temporary) and objects is None:
        if not dry_run:
            file_copies.fsync_dir(folder)
    return report
