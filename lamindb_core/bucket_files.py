"""Artifacts' data into and out of buckets: uploads checked against the recorded hash.

What :mod:`lamindb_core.files` does for local folders, for storage in a bucket
(:mod:`lamindb_core.object_store`). An object appears complete or not at all,
so no temporary names are needed; what is checked is that the object holds the
bytes the artifact recorded: a file sent in one PUT carries the artifact's hash
as ``Content-MD5`` and the server refuses other bytes; a folder's hash is
recomputed from its objects' ETags (a plain ETag is the MD5 of the content); a
multipart upload's ETag is not an MD5, and then the size is compared. An upload that fails or does not match is removed and an error is
raised; the caller writes no record.

Example:
    >>> bucket_files.store(Path("a.csv"), "s3://bucket/lamin/.lamindb/7zehFvNzAqbgyKke0000.csv", (5, "XUFAKrxLKna5cZ2REBfFkg"))
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import errors, files, object_store, process_settings, progress
from .logger import logger

__all__ = ["cache", "check_stored", "describe", "store", "store_many"]

# concurrent HEAD requests when checking many uploads
_CHECK_THREADS = 16


def _remove_quietly(url: str) -> None:
    try:
        object_store.remove(url, recursive=True)
    except Exception as exc:  # the first error is the one to show; a journal names the object
        logger.warning(f"could not remove {url} after a failed upload: {exc}")


def check_stored(dest: str, expected: tuple[int, str] | None, is_folder: bool) -> None:
    """Raise ``ContentChanged`` if the object (or folder of objects) at ``dest`` is not ``expected`` (size, hash).

    Raises:
        ln.errors.ContentChanged: another size, or another MD5 than the hash.
    """
    if expected is None:
        return
    if is_folder:
        found = object_store.list_files(dest)
        size = sum(int(entry.get("size") or 0) for _, entry in found)
        hashes = [(rel, object_store.etag_hash(entry.get("ETag"))) for rel, entry in found]
        got_hash = None
        if all(h is not None and h[1] == "md5" for _, h in hashes):
            got_hash = files.folder_hash([(rel, h[0]) for rel, h in hashes])
    else:
        found_info = object_store.info(dest)
        if found_info is None:
            raise errors.ContentChanged(f"{dest} is missing after its upload: nothing was saved")
        size = int(found_info.get("size") or 0)
        etag = object_store.etag_hash(found_info.get("ETag"))
        got_hash = etag[0] if etag is not None and etag[1] == "md5" else None
    if size != expected[0] or (got_hash is not None and got_hash != expected[1]):
        raise errors.ContentChanged(
            f"{dest} holds {size} bytes with hash {got_hash or '(multipart)'}, not the {expected[0]} bytes with hash "
            f"{expected[1]} that ln.Artifact() read: the data changed meanwhile; nothing was saved"
        )


def store(
    source: Path, dest: str, expected: tuple[int, str] | None = None,
    on_bytes: Callable[[int], Any] | None = None,
) -> None:
    """Upload a file or a folder to ``dest``, and check it against ``expected``; on any failure
    nothing of it stays at ``dest``.

    A folder's files (by the rule of :func:`lamindb_core.files.list_folder`) go
    up concurrently.

    Raises:
        ln.errors.StorageError: the bucket cannot be written.
        ln.errors.ContentChanged: the stored data is not the expected data.
    """
    is_folder = Path(source).is_dir()
    try:
        if is_folder:
            listing = files.list_folder(source)
            object_store.put_many([(path, object_store.join(dest, rel)) for rel, path in listing.files], on_bytes)
            check_stored(dest, expected, True)
        else:
            checked = object_store.put_file(source, dest, on_bytes, md5=expected[1] if expected else None)
            if not checked:  # a multipart upload: its ETag is no MD5, the size is compared
                check_stored(dest, expected, False)
    except BaseException:
        _remove_quietly(dest)
        raise


def store_many(items: list[tuple[Path, str, tuple[int, str] | None]], on_bytes: Callable[[int], Any] | None = None) -> None:
    """:func:`store` for many ``(source, dest, expected)`` items: the files go up concurrently
    (:data:`lamindb_core.object_store.BATCH_SIZE` at a time), folders one by one, and each
    object is checked. If anything fails, every object of the call is removed and the error raised.
    """
    single = [(s, d, e) for s, d, e in items if not Path(s).is_dir()]
    folders = [(s, d, e) for s, d, e in items if Path(s).is_dir()]
    done: list[str] = []
    try:
        done.extend(d for _, d, _ in single)
        checked = object_store.put_many(
            [(s, d) for s, d, _ in single], on_bytes, md5s=[e[1] if e else None for _, _, e in single]
        )
        # the server checked the files sent in one PUT (Content-MD5); the others by size
        unchecked = [item for item, ok in zip(single, checked) if not ok]
        with ThreadPoolExecutor(min(_CHECK_THREADS, max(1, len(unchecked)))) as pool:
            list(pool.map(lambda item: check_stored(item[1], item[2], False), unchecked))
        for source, dest, expected in folders:
            done.append(dest)
            store(source, dest, expected, on_bytes)
    except BaseException:
        with ThreadPoolExecutor(_CHECK_THREADS) as pool:
            list(pool.map(_remove_quietly, done))
        raise


def describe(url: str, cache_dir: Path) -> dict[str, Any]:
    """The computed fields of an artifact registered where it lies in a bucket, read from the object.

    A file's hash is its ETag's (``md5``, or ``md5-n`` for a multipart upload); an
    object without a usable ETag is downloaded into the cache and hashed. A folder
    (a prefix with objects under it) gets ``md5-d`` from its objects' paths and
    hashes, and ``n_files``.

    Raises:
        FileNotFoundError: nothing is at ``url``.
        ln.errors.StorageError: the bucket cannot be read.
    """
    found = object_store.info(url)
    if found is None:
        raise FileNotFoundError(f"no object at {url}")
    name = object_store.parse(url).key.rsplit("/", 1)[-1]
    if found.get("type") == "directory":
        entries, size = [], 0
        for rel, entry in object_store.list_files(url):
            size += int(entry.get("size") or 0)
            etag = object_store.etag_hash(entry.get("ETag"))
            if etag is None:
                etag = (files.hash_file(object_store.cache(object_store.join(url, rel), cache_dir))[1], "md5")
            entries.append((rel, etag[0]))
        return {"suffix": files.suffix_of(Path(name), is_dir=True), "size": size, "hash": files.folder_hash(entries),
                "_hash_type": "md5-d", "n_files": len(entries)}
    size = int(found.get("size") or 0)
    etag = object_store.etag_hash(found.get("ETag"))
    if etag is None:
        etag = (files.hash_file(object_store.cache(url, cache_dir, size=size))[1], "md5")
    return {"suffix": files.suffix_of(Path(name), is_dir=False), "size": size, "hash": etag[0], "_hash_type": etag[1]}


def cache(url: str, size: int | None, is_folder: bool, what: str) -> Path:
    """A local copy of an artifact's data in a bucket: :func:`lamindb_core.object_store.cache` into
    ``ln.settings.cache_dir``, with a progress bar in bytes once the download takes over a second.

    Raises:
        FileNotFoundError: the data is missing from the bucket (the message names ``what``).
        ln.errors.StorageError: the bucket cannot be read.
    """
    name = object_store.parse(url).key.rsplit("/", 1)[-1]
    with progress.progress(size, f"downloading {name}", unit="B") as bar:
        try:
            return object_store.cache(
                url, process_settings.settings.cache_dir, size=size, is_folder=is_folder, on_bytes=bar.update
            )
        except FileNotFoundError:
            raise FileNotFoundError(f"the data of {what} is missing: {url}") from None
