"""Saving many artifacts in one ``ln.save``: the lookups and the file copies that come before its
transaction (``Artifact._prepare_alone_many``), and the journals of the files it stores.

``Artifact`` calls these with its own class and records; nothing here imports it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from .. import bucket_files, bulk, file_copies, files, object_store, process_settings, progress, recovery, storage_paths
from ..bulk import BATCH_SIZE
from ..logger import logger
from ..uids import base62_16_v0
from . import provenance
from .storage import Storage, db_session

if TYPE_CHECKING:
    from .artifact import Artifact

__all__ = ["BulkStore", "CacheFolder", "by_storage", "copy_files", "copying", "insert", "leave_cache", "open_journal", "prepare",
           "save_each"]


def prepare(model: type[Artifact], artifacts: list[Artifact], saved: list) -> Callable[[bool], None]:
    """The body of ``Artifact._prepare_alone_many``: ``ln.save``'s first step for new
    artifacts with data, before it opens its transaction: the lookups (hash, key) and
    the file copies, so that no write lock is held while files are copied (SQLite's
    is the whole database's).

    Artifacts with new content and a new key (the usual case) are copied in
    batches to their paths, and inserted in bulk by ``_save_alone_many``.
    Artifacts whose content is saved already, that are new versions (a saved
    key, ``revises``), that repeat a key or content of an earlier one in the
    list, or whose data is not a managed copy (registered where it lies, or
    stored at its key) are saved one by one in the transaction, in their order,
    so that each sees the ones before it, as a loop of ``save()`` would; those
    with new content and a managed copy are copied here under a temporary name,
    which ``save()`` renames. Each artifact whose file is stored is appended to
    ``saved`` at once, so that ``ln.save`` can remove the file if the
    transaction fails later.

    The files are listed in a journal per storage (``lamindb_core.recovery``)
    before they are created. Returns the function that ``ln.save`` calls when
    its transaction has ended (``True``: committed), which removes unused
    temporary copies and ends the journals.
    """
    cache = CacheFolder()
    model._fill_defaults_many(artifacts)
    for artifact in artifacts:
        artifact._local_data.check_unchanged()
        artifact.__dict__["_cache_folder"] = cache  # for _after_bulk_save
    known_hashes, versioned_keys = _known(model, artifacts)
    batch, later, seen, seen_keys = [], [], set(), set()
    for artifact in artifacts:
        key, hash_ = artifact.key, artifact.hash
        if (
            hash_ in known_hashes or hash_ in seen or artifact._revises is not None
            or not artifact._stores_managed_copy()
            or (key is not None and (key in versioned_keys or key in seen_keys))
        ):
            later.append(artifact)
            continue
        seen.add(hash_)
        if key is not None:
            seen_keys.add(key)
        batch.append(artifact)
    # of the later ones, those with content new to this call are copied ahead
    staged = []
    for artifact in later:
        artifact._bulk_stage = "later"
        if artifact.storage.is_cloud:
            continue  # uploaded by its own save(): an object has no temporary name to rename
        if artifact.hash not in known_hashes and artifact.hash not in seen and artifact._stores_managed_copy():
            seen.add(artifact.hash)
            staged.append(artifact)
    copied = batch + staged
    total = sum(a.size or 0 for a in copied)
    store = BulkStore(artifacts)
    try:
        with progress.progress(total, copying(copied), unit="B") as bar:
            copy_files(batch, staged, store, saved, bar.update)
    except BaseException:
        stored = {id(a) for a in batch}
        for artifact in [a for a in saved if id(a) in stored]:
            files.remove_path(artifact._storage_path())
        saved[:] = [a for a in saved if id(a) not in stored]
        store.finish(False)
        raise
    return store.finish


def _known(model: type[Artifact], artifacts: list[Artifact]) -> tuple[set[str], set[str]]:
    """Of the artifacts' hashes, those that saved artifacts have; of their keys, those that a
    saved latest version has: one statement through the database driver, the values as one
    parameter each (SQLite: a JSON array read by ``json_each``, PostgreSQL: an array), each
    looked up in the column's index. Django's query of two ``IN`` lists of 500 values each was
    27M of the 184M instructions of ``ln.save`` of 500 files on SQLite (3.6M now), 38M of 177M
    on PostgreSQL."""
    hashes = [h for h in {a.hash for a in artifacts} if h is not None]
    keys = [k for k in {a.key for a in artifacts} if k is not None]
    known_hashes: set[str] = set()
    versioned_keys: set[str] = set()
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    quote = conn.ops.quote_name
    table = quote(meta.db_table)
    hash_, key, latest = (quote(meta.get_field(name).column) for name in ("hash", "key", "is_latest"))
    parts, params = [], []
    # the first column says which list a value matched: 1 the hashes, 0 the keys
    for kind, column, values, condition in ((1, hash_, hashes, ""), (0, key, keys, f" AND a.{latest}")):
        if not values:
            continue
        if conn.vendor == "postgresql":
            parts.append(f"SELECT {kind}, a.{column} FROM {table} AS a WHERE a.{column} = ANY(%s::text[]){condition}")
            params.append(values)
        else:
            parts.append(f"SELECT {kind}, a.{column} FROM json_each(%s) AS j JOIN {table} AS a "
                         f"ON a.{column} = j.value{condition}")
            params.append(json.dumps(values))
    if not parts:
        return known_hashes, versioned_keys
    with conn.cursor() as cursor:
        for kind, value in bulk._driver_execute(conn, cursor)(" UNION ALL ".join(parts), params):
            (known_hashes if kind else versioned_keys).add(value)
    return known_hashes, versioned_keys


def insert(model: type[Artifact], artifacts: list[Artifact], saved: list) -> None:
    """The body of ``Artifact._save_alone_many``: in ``ln.save``'s transaction, the batch
    whose files ``prepare`` stored is inserted in bulk, the others are saved one by one."""
    batch, later = [], []
    for artifact in artifacts:
        (batch if artifact.__dict__.get("_bulk_stage") == "batch" else later).append(artifact)
    if batch:
        try:
            with transaction.atomic():
                # ln.save's own INSERT of new records (one statement per batch, ids returned),
                # without bulk_create's preparation of every value
                bulk._insert_rows(model, batch, BATCH_SIZE)
                provenance.record_outputs(batch)
        except IntegrityError:
            # another process saved the same content or key meanwhile: save
            # these one by one, which returns the existing artifacts
            stored = {id(a) for a in batch}
            saved[:] = [a for a in saved if id(a) not in stored]
            for artifact in batch:
                files.remove_path(artifact._storage_path())
                artifact._state.adding, artifact.pk = True, None
            later = [a for a in artifacts if a._state.adding]
    save_each(later, saved)


def save_each(artifacts: list[Artifact], saved: list) -> None:
    for artifact in artifacts:
        # its data (a DataFrame's temporary file) is released in _after_bulk_save,
        # so that it is still there if the rest of ln.save() fails
        artifact._defer_forget = True
        artifact.save()
        if not artifact._state.adding:
            saved.append(artifact)


def copy_files(
    batch: list[Artifact], staged: list[Artifact], store: BulkStore, saved: list,
    on_bytes: Callable[[int], Any],
) -> None:
    # the copies of prepare(): the batch to their paths, the others
    # under temporary names; on_bytes counts the bytes copied
    for artifact in batch:
        artifact._bulk_stage = "batch"
    pending = batch
    while pending:
        # a uid whose path exists (another process's file, or what a
        # rolled-back save left) takes a new uid, as in _store_data
        done: list[bool] = []
        for storage, group in by_storage(pending):
            journal = store.journal(storage)
            if storage.is_cloud:
                _upload_group(group, journal, saved, on_bytes)
                done.extend((a, True) for a in group)
                continue
            keys = [a._storage_key() for a in group]
            # the managed copies' paths (_storage_path()) as strings: a Path of each was a
            # tenth of the file copies' time, and store_many works on strings
            root = os.path.join(Path(storage.root), "")  # with one separator at its end
            items = [
                (a._local_data.path, root + key.replace("/", os.sep), a._expected()) for a, key in zip(group, keys)
            ]
            journal.add([key.rpartition("/")[2] for key in keys])
            for artifact in group:
                artifact._journal = journal
            done_group = file_copies.store_many(items, tag=journal.id, on_bytes=on_bytes)
            saved.extend(a for a, ok in zip(group, done_group) if ok)
            done.extend(zip(group, done_group))
        pending = [a for a, ok in done if not ok]
        for artifact in pending:
            artifact.uid = base62_16_v0()
    for artifact in staged:
        journal = store.journal(artifact.storage)
        artifact._journal = journal
        dest = artifact._storage_path()
        journal.add([dest.name])
        artifact._staged = file_copies.stage(
            artifact._local_data.path, dest, artifact._expected(), tag=journal.id, on_bytes=on_bytes
        )
        store.staged.append(artifact._staged)


def _upload_group(group: list[Artifact], journal: recovery.Journal, saved: list, on_bytes: Callable[[int], Any]) -> None:
    # the batch of one bucket: journaled, then uploaded concurrently and checked; uids are
    # random, so no object is there already
    items = [
        (a._local_data.path, object_store.join(a.storage.root, a._storage_key()), a._expected()) for a in group
    ]
    journal.add([a._storage_key().split("/", 1)[1] for a in group])
    for artifact in group:
        artifact._journal = journal
    bucket_files.store_many(items, on_bytes=on_bytes)
    saved.extend(group)


def open_journal(storage: Storage, shared: bool = False) -> recovery.Journal:
    # a save that stores files into storage: first what saves that died there
    # left is removed (cheap: only the journals are read), then this one is journaled;
    # shared: in the process's journal of the storage (artifact.save(), recovery.save_journal)
    recovery.release_rolled_back()
    try:
        report = storage.recover()
    except Exception as exc:  # never a reason for this save to fail
        logger.warning(f"could not recover the storage {storage.root}: {exc}")
    else:
        # this process's own journals are those of rolled-back transactions: no news
        others = [j for j in report.journals if report.processes.get(j) != os.getpid()]
        if others or report.elsewhere:
            logger.warning(f"storage recovered after an interrupted save: {report}")
    opened = recovery.save_journal if shared else recovery.open_journal
    return opened(storage._journal_folder(), session=db_session())



def leave_cache(artifact: Artifact, cache: CacheFolder | None = None) -> None:
    """Once the record of a new artifact is committed, remove its source if it lies in the cache
    folder (``cache``, resolved already, else resolved here): the cache folder is LaminDB's own,
    data made in it moves into storage. Never data registered where it lies, never an object in
    a bucket."""
    local = artifact._local_data
    if local is None or local.is_temporary:
        return
    path = local.path
    # a plain local Path is no URL (it has no "//"): asked of other paths only (a UPath)
    if type(path) is not _LOCAL_PATH and object_store.is_cloud(path):
        return
    cache = cache or CacheFolder()
    if local.real is not None and not local.real.startswith(cache.root):
        return  # outside the cache folder when it was described: its links are not resolved again
    if not cache.holds(path, local.is_link):
        return
    stored = artifact._storage_path()
    if object_store.is_cloud(stored) or storage_paths.real(path) != storage_paths.real(stored):
        transaction.on_commit(lambda: files.remove_path(path))


_attributes = attrgetter("__dict__")  # an artifact's attribute values by name, read fast
# the class of a local path (PosixPath, WindowsPath), which is never a URL
_LOCAL_PATH = type(Path())
# what ln.setup.settings.cache_dir is made of, and the real cache folder for each of their values
_CACHE_ENV = ("LAMIN_CORE_CACHE_DIR", "LAMIN_CORE_HOME", "XDG_CACHE_HOME", "HOME")
_cache_roots: dict[tuple, str] = {}


class CacheFolder:
    """The cache folder (``ln.settings.cache_dir``), resolved once, to tell which sources lie in
    it: data made there moves into storage, and its source goes once the record is committed.
    The real folder of each source's folder is resolved once too (one ``ln.save`` of many
    files from one folder resolves it once, not per file)."""

    def __init__(self) -> None:
        # the folder depends on the environment alone (``ln.setup.settings.cache_dir``): resolved
        # once per process and environment, not per save (it took a tenth of a save of one file)
        env = tuple(os.environ.get(name) for name in _CACHE_ENV)
        root = _cache_roots.get(env)
        if root is None:
            root = _cache_roots[env] = os.path.join(os.path.realpath(process_settings.settings.cache_dir), "")
        self.root = root
        # for each folder of a source: whether it lies in the cache folder, links resolved
        self._inside: dict[str, bool] = {}

    def holds(self, path: Path | str, is_link: bool | None = None) -> bool:
        """Whether ``path``, symbolic links resolved, lies inside the cache folder; ``is_link``:
        whether it is a symbolic link, if known (``LocalData.check_unchanged`` tells it before a
        save; an lstat of each of 500 files was 3% of their ``ln.save``)."""
        text = os.fspath(path)
        if is_link is not None:
            link = is_link
        else:
            try:
                link = stat.S_ISLNK(os.lstat(text).st_mode)  # os.path.islink's, without its frame
            except (OSError, ValueError):
                link = False
        if link:
            return os.path.realpath(text).startswith(self.root)
        if os.altsep is None:
            # the folder as os.path.dirname says but for trailing separators, which realpath()
            # below drops: dirname's Python cost as much as the lstat
            head, sep, _ = text.rpartition(os.sep)
            folder = head or sep
        else:
            folder = os.path.dirname(text)
        inside = self._inside.get(folder)
        if inside is None:
            inside = self._inside[folder] = os.path.join(os.path.realpath(folder), "").startswith(self.root)
        return inside


class BulkStore:
    """The journals and temporary copies of one ``ln.save``'s artifacts."""

    def __init__(self, artifacts: list[Artifact]) -> None:
        self.artifacts = artifacts
        self.journals: dict[str, recovery.Journal] = {}
        self.objects: dict[str, recovery.Objects | None] = {}
        self.staged: list[Path] = []

    def journal(self, storage: Storage) -> recovery.Journal:
        # one journal per storage and save, not one per file
        journal = self.journals.get(storage.root)
        if journal is None:
            journal = self.journals[storage.root] = open_journal(storage)
            self.objects[storage.root] = storage._objects()
        return journal

    def finish(self, committed: bool) -> None:
        for path in self.staged:
            files.remove_path(path)  # gone if published; else unused
        for values in map(_attributes, self.artifacts):
            values.pop("_journal", None)
            values.pop("_bulk_stage", None)
            values.pop("_staged", None)
        for root, journal in self.journals.items():
            recovery.end_journal(journal, committed, self.objects.get(root))


def copying(artifacts: list[Artifact]) -> str:
    # the bar's label: "storing 1 artifact", "storing 120 artifacts" (files or folders)
    n = len(artifacts)
    return f"storing {n} artifact{'s' if n != 1 else ''}"


def by_storage(artifacts: list[Artifact]) -> list[tuple[Storage, list[Artifact]]]:
    groups: dict[Any, tuple[Storage, list[Artifact]]] = {}
    for artifact in artifacts:
        # by the storage's id (its root is unique), read from the artifact's attributes: the
        # storage's descriptor once per group, not per artifact
        key = artifact.__dict__.get("storage_id")
        group = groups.get(key) if key is not None else None
        if group is None:
            storage = artifact.storage
            group = groups.setdefault(("root", storage.root), (storage, []))
            if key is not None:
                groups[key] = group
        group[1].append(artifact)
    return list({id(group): group for group in groups.values()}.values())
