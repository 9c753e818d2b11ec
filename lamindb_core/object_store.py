"""Buckets of S3-compatible object stores (AWS S3, MinIO, Ceph, R2) as storage locations, through s3fs.

A storage location in a bucket is a URL, ``s3://bucket/prefix``. The credentials
and the endpoint come from the standard AWS configuration that botocore reads:
the environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, and ``AWS_ENDPOINT_URL`` for an S3-compatible server),
or ``~/.aws``. An endpoint can also be part of the URL, as LaminDB writes it:
``s3://bucket/prefix?endpoint_url=http://127.0.0.1:9000``; it then stays with
every path of that location.

Every call has short connect timeouts and a bounded number of attempts
(:data:`CONNECT_TIMEOUT`, :data:`READ_TIMEOUT`, :data:`MAX_ATTEMPTS`): a bucket
that does not exist, refused credentials, a denied write and a server that does
not answer each raise one :class:`~lamindb_core.errors.StorageError` that names
the bucket and the endpoint, and no retry loop hangs a notebook.

An object appears in a bucket only once it is completely written (a PUT, or
the completion of a multipart upload, is atomic), so an interrupted upload of a
file leaves nothing at its key; a folder is many objects, and its callers
journal it (:mod:`lamindb_core.recovery`).

Reads go through a local cache (:func:`cache`): a folder per bucket under the
cache folder, filled under a lock per entry (two processes never download the
same object at once, and never see half a file), trimmed to
:data:`CACHE_MAX_BYTES` (least recently used first).

Layer 0: it imports only the base (errors, logger) and the field's libraries
(s3fs, fsspec, universal_pathlib), which are imported when a bucket is first used.

Example:
    >>> from lamindb_core import object_store
    >>> object_store.check_writable("s3://my-bucket/lamin")
    >>> object_store.join("s3://my-bucket/lamin", ".lamindb/7zehFvNzAqbgyKke0000.csv")
    's3://my-bucket/lamin/.lamindb/7zehFvNzAqbgyKke0000.csv'
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from . import errors
from .logger import logger

try:
    import fcntl
except ImportError:  # Windows: downloads into the cache are not serialized between processes
    fcntl = None

__all__ = [
    "BATCH_SIZE",
    "CACHE_MAX_BYTES",
    "CONNECT_TIMEOUT",
    "MAX_ATTEMPTS",
    "READ_TIMEOUT",
    "Location",
    "cache",
    "cache_path",
    "check_writable",
    "etag_hash",
    "exists",
    "filesystem",
    "get_file",
    "info",
    "is_cloud",
    "join",
    "list_files",
    "parse",
    "put_file",
    "put_many",
    "read_text",
    "relative_key",
    "remove",
    "root_url",
    "trim_cache",
    "upath",
    "write_text",
]

CONNECT_TIMEOUT = 5
"""Seconds to wait for a connection to the server."""
READ_TIMEOUT = 60
"""Seconds to wait for the server's answer to a request (a chunk of an upload included)."""
MAX_ATTEMPTS = 2
"""How often a request is sent before its error is raised (botocore's and s3fs's retries alike)."""
BATCH_SIZE = 64
"""How many files go up or down at the same time."""
CACHE_MAX_BYTES = int(float(os.environ.get("LAMIN_CORE_CACHE_MAX_GB", "50")) * 2**30)
"""The most bytes the cache keeps (``LAMIN_CORE_CACHE_MAX_GB``, 50 by default); least recently used go first."""

_PROTOCOLS = ("s3",)
# an entry used this recently is not evicted: another process may be about to read it
_FRESH_SECONDS = 60
_LOCK = threading.Lock()
_FILESYSTEMS: dict[tuple, Any] = {}
# bytes downloaded into the cache since it was last trimmed, in this process
_DOWNLOADED = [0]


@dataclass(frozen=True)
class Location:
    """A place in a bucket: ``bucket``, ``key`` (``""`` for the bucket itself) and the endpoint
    given in the URL (``None``: the standard AWS configuration's)."""

    bucket: str
    key: str
    endpoint_url: str | None = None

    @property
    def path(self) -> str:
        """``bucket/key``, as s3fs names it."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    @property
    def url(self) -> str:
        """The URL, with the endpoint if the original had one."""
        query = f"?{urlencode({'endpoint_url': self.endpoint_url})}" if self.endpoint_url else ""
        return f"s3://{self.path}{query}"

    @property
    def endpoint(self) -> str:
        """The server, for messages."""
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get(
            "AWS_ENDPOINT_URL") or "AWS S3"


def is_cloud(path: Any) -> bool:
    """Whether ``path`` (a string, a ``Path`` or a ``UPath``) is a URL of an object store, not a local path.

    Example:
        >>> is_cloud("s3://bucket/key.csv"), is_cloud("/data/key.csv")
        (True, False)
    """
    protocol = getattr(path, "protocol", None)
    if isinstance(protocol, str) and protocol not in ("", "file", "local"):
        return True
    if not isinstance(path, (str, os.PathLike)):
        return False  # a DataFrame whose cells hold URLs is no URL
    text = os.fspath(path)
    return "://" in text and not text.startswith("file://")


def parse(url: Any) -> Location:
    """The :class:`Location` of an ``s3://`` URL (or ``UPath``).

    Raises:
        ln.errors.InvalidArgument: another protocol, or no bucket.
    """
    if not isinstance(url, str) and hasattr(url, "protocol") and hasattr(url, "path"):
        options = getattr(url, "storage_options", {}) or {}
        endpoint = options.get("endpoint_url") or (options.get("client_kwargs") or {}).get("endpoint_url")
        bucket, _, key = str(url.path).lstrip("/").partition("/")
        return Location(bucket, key.strip("/"), endpoint)
    text = str(url)
    parsed = urlparse(text)
    if parsed.scheme not in _PROTOCOLS:
        raise errors.InvalidArgument(
            f"{text!r}: object stores are supported through S3 URLs (s3://bucket/prefix, also for MinIO, Ceph "
            f"or R2 with an endpoint), not {parsed.scheme}://"
        )
    if not parsed.netloc:
        raise errors.InvalidArgument(f"{text!r} names no bucket: write s3://bucket/prefix")
    endpoint = parse_qs(parsed.query).get("endpoint_url", [None])[0]
    return Location(parsed.netloc, parsed.path.strip("/"), endpoint)


def root_url(url: Any) -> str:
    """A storage location's URL as it is recorded: no trailing slash, the endpoint kept.

    Example:
        >>> root_url("s3://bucket/prefix/")
        's3://bucket/prefix'
    """
    return parse(url).url


def join(root: Any, key: str) -> str:
    """The URL of ``key`` (``/``-separated) inside the location ``root``."""
    loc = parse(root)
    key = key.strip("/")
    return Location(loc.bucket, f"{loc.key}/{key}".strip("/") if loc.key else key, loc.endpoint_url).url


def relative_key(url: Any, root: Any) -> str | None:
    """The key of ``url`` inside the location ``root``, or ``None`` if it is not inside it.

    Example:
        >>> relative_key("s3://bucket/prefix/raw/a.csv", "s3://bucket/prefix")
        'raw/a.csv'
    """
    loc, base = parse(url), parse(root)
    if loc.bucket != base.bucket or (loc.endpoint_url or None) != (base.endpoint_url or None):
        return None
    if not base.key:
        return loc.key or None
    if loc.key.startswith(base.key + "/"):
        return loc.key[len(base.key) + 1 :]
    return None


def filesystem(url: Any = None) -> Any:
    """The ``s3fs.S3FileSystem`` of a location's endpoint, with this module's timeouts and attempts.

    Raises:
        ln.errors.StorageError: s3fs is not installed.
    """
    endpoint = parse(url).endpoint_url if url is not None else None
    key = (endpoint, CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS)
    with _LOCK:
        fs = _FILESYSTEMS.get(key)
        if fs is not None:
            return fs
        try:
            import s3fs
        except ImportError:
            raise errors.StorageError(
                "storage in S3 buckets needs s3fs and universal_pathlib: pip install 'lamindb-jupyter[s3]'"
            ) from None
        fs = s3fs.S3FileSystem(
            endpoint_url=endpoint,
            config_kwargs={
                "connect_timeout": CONNECT_TIMEOUT,
                "read_timeout": READ_TIMEOUT,
                "retries": {"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            },
            use_listings_cache=False,
            skip_instance_cache=True,
        )
        fs.retries = 1  # botocore retries (MAX_ATTEMPTS); s3fs's own retries would multiply them
        _FILESYSTEMS[key] = fs
        return fs


def upath(url: Any) -> Any:
    """A universal_pathlib ``UPath`` of ``url`` that uses this module's file system (endpoint, timeouts).

    Example:
        >>> upath("s3://bucket/prefix/.lamindb/7zehFvNzAqbgyKke0000.csv")
        S3Path('bucket/prefix/.lamindb/7zehFvNzAqbgyKke0000.csv', protocol='s3')
    """
    from upath import UPath

    loc = parse(url)
    options: dict[str, Any] = {}
    if loc.endpoint_url:
        options["endpoint_url"] = loc.endpoint_url
    options["config_kwargs"] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retries": {"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    }
    return UPath(f"s3://{loc.path}", **options)


# -- errors -------------------------------------------------------------------------


def _code(exc: BaseException) -> str | None:
    # the S3 error code of an exception, or of the botocore error s3fs translated
    seen = 0
    while exc is not None and seen < 5:
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            return (response.get("Error") or {}).get("Code")
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _unanswered(exc: BaseException) -> bool:
    names = set()
    seen = 0
    while exc is not None and seen < 6:
        names.update(cls.__name__ for cls in type(exc).__mro__)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return bool(names & {
        "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError",
        "FSTimeoutError", "TimeoutError", "ClientConnectorError", "ServerDisconnectedError",
        "ConnectionRefusedError", "HTTPClientError", "ClientOSError",
    })


def translate(exc: BaseException, what: str, url: Any) -> errors.StorageError:
    """One clear :class:`~lamindb_core.errors.StorageError` for an error of s3fs or botocore.

    Args:
        exc: The error.
        what: What was being done, e.g. ``"uploading a.csv"``.
        url: The object or location.
    """
    if isinstance(exc, errors.StorageError):
        return exc
    loc = parse(url)
    where = f"bucket {loc.bucket!r} at {loc.endpoint}"
    code = _code(exc)
    name = type(exc).__name__
    if code == "NoSuchBucket" or (isinstance(exc, FileNotFoundError) and "bucket does not exist" in str(exc)):
        reason = f"the {where} does not exist; create it, or check its name and the endpoint"
    elif code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken") or name in (
        "NoCredentialsError", "PartialCredentialsError"
    ):
        reason = (
            f"the credentials for the {where} were refused ({code or name}); check AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or ~/.aws/credentials)"
        )
    elif code in ("AccessDenied", "AllAccessDisabled", "403") or isinstance(exc, PermissionError):
        reason = f"access to the {where} was denied ({code or 'AccessDenied'}): the credentials lack the permission"
    elif _unanswered(exc):
        reason = (
            f"the server {loc.endpoint} of the bucket {loc.bucket!r} did not answer within {CONNECT_TIMEOUT} s "
            f"(connect) / {READ_TIMEOUT} s (read), after {MAX_ATTEMPTS} attempt(s)"
        )
    else:
        reason = f"{name}: {' '.join(str(exc).split()) or code or name} ({where})"
    return errors.StorageError(f"{what} failed: {reason}")


def _call(what: str, url: Any, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (errors.StorageError, errors.ContentChanged):
        raise
    except FileNotFoundError as exc:
        if _code(exc) == "NoSuchBucket" or "bucket does not exist" in str(exc):
            raise translate(exc, what, url) from None
        raise
    except (OSError, Exception) as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if _code(exc) in ("BadDigest", "InvalidDigest"):
            raise errors.ContentChanged(
                f"{what} failed: the server refused the bytes (BadDigest): they changed on the way; nothing was saved"
            ) from exc
        raise translate(exc, what, url) from exc


# -- the location --------------------------------------------------------------------


def check_writable(root: Any) -> None:
    """Check that the bucket of ``root`` exists and that an object can be written and removed under it.

    Writes and removes ``<prefix>/.lamindb/.write-check-<random>``.

    Raises:
        ln.errors.StorageError: the bucket does not exist, the credentials are
            refused, writing is denied, or the server does not answer.

    Example:
        >>> check_writable("s3://missing-bucket/lamin")
        StorageError: checking the bucket failed: the bucket 'missing-bucket' at AWS S3 does not exist; ...
    """
    loc = parse(root)
    fs = filesystem(root)

    def head() -> None:
        # ls of the bucket root: a missing bucket is NoSuchBucket, refused credentials 403
        fs.ls(loc.bucket, detail=False)

    _call("reading the bucket", root, head)
    probe = parse(join(root, f".lamindb/.write-check-{secrets.token_hex(6)}"))
    _call("writing to the bucket", root, lambda: fs.pipe_file(probe.path, b"lamindb-core write check"))
    _call("removing the write check from the bucket", root, lambda: fs.rm_file(probe.path))


def info(url: Any) -> dict[str, Any] | None:
    """s3fs's description of the object at ``url`` (``size``, ``ETag``, ``type``), or ``None`` if there is none."""
    loc = parse(url)
    fs = filesystem(url)

    def get() -> dict | None:
        try:
            return fs.info(loc.path)
        except FileNotFoundError as exc:
            if _code(exc) == "NoSuchBucket" or "bucket does not exist" in str(exc):
                raise
            return None

    return _call(f"reading {loc.url}", url, get)


def exists(url: Any) -> bool:
    """Whether an object (or a folder of objects) is at ``url``."""
    return info(url) is not None


def list_files(url: Any) -> list[tuple[str, dict[str, Any]]]:
    """The objects under the folder ``url``: ``(relative key, info)`` pairs sorted by key."""
    loc = parse(url)
    fs = filesystem(url)
    found = _call(f"listing {loc.url}", url, lambda: fs.find(loc.path, detail=True))
    prefix = loc.path.rstrip("/") + "/"
    return sorted(
        (name[len(prefix):], entry) for name, entry in found.items()
        if name.startswith(prefix) and entry.get("type") != "directory"
    )


def etag_hash(etag: str | None) -> tuple[str, str] | None:
    """An artifact's ``(hash, _hash_type)`` from an object's ETag, or ``None`` if it has none.

    A plain ETag is the MD5 of the content (``"md5"``, the same hash as the local
    file's); a multipart upload's ETag (``<md5 of part md5s>-<parts>``) gives
    ``"md5-n"``, as LaminDB records it.
    """
    if not etag:
        return None
    etag = etag.strip('"')
    digest, _, parts = etag.partition("-")
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        return None
    if len(raw) != 16:
        return None
    b64 = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return (f"{b64}-{parts}", "md5-n") if parts else (b64, "md5")


# -- transfers -------------------------------------------------------------------------


def _callback(on_bytes: Callable[[int], Any] | None, batch: bool = False) -> Any:
    # an fsspec callback that hands the bytes of each chunk (of each file of a batch) to on_bytes
    from fsspec.callbacks import Callback

    class _Bytes(Callback):
        def __init__(self, forward: bool) -> None:
            super().__init__()
            self._forward = forward

        def relative_update(self, inc: int = 1) -> None:
            # the batch's own counter counts files, its branches' bytes
            if self._forward and on_bytes is not None and inc:
                on_bytes(inc)

        def absolute_update(self, value: int) -> None:
            return None

        def branched(self, path_1: Any, path_2: Any, **kwargs: Any) -> Any:
            return _Bytes(True)

    # a batch's own callback counts files: only its branches hand on bytes
    return _Bytes(not batch) if on_bytes is not None else None


def _content_md5(md5: str) -> str:
    # an artifact's hash (URL-safe base64 of the MD5, no padding) as S3's Content-MD5 header
    return base64.b64encode(base64.urlsafe_b64decode(md5 + "=" * (-len(md5) % 4))).decode()


def _single_put(size: int) -> bool:
    # whether s3fs uploads a file of this size in one PUT (else: a multipart upload)
    from s3fs.core import calculate_chunksize

    return size < min(5 * 2**30, 2 * calculate_chunksize(size))


async def _put_checked(fs: Any, lpath: str, rpath: str, md5: str, callback: Any) -> None:
    # one PUT of a file whose MD5 is known: its bytes are read and compared with md5 first
    # (a file changed since it was hashed is refused before anything is sent), sent with
    # Content-MD5 (the server refuses bytes changed on the way), and the ETag the server
    # answers must be that MD5 (for a server that does not check the header)
    import hashlib
    import mimetypes

    with open(lpath, "rb") as f:
        body = f.read()
    sent = base64.urlsafe_b64encode(hashlib.md5(body).digest()).decode().rstrip("=")
    if sent != md5:
        raise errors.ContentChanged(
            f"{lpath} is not what ln.Artifact() hashed (hash {md5}, now {sent}): it changed meanwhile; nothing "
            "was saved; create the artifact again from the data as it is now"
        )
    bucket, key, _ = fs.split_path(rpath)
    kwargs: dict[str, Any] = {"ContentMD5": _content_md5(md5)}
    content_type = mimetypes.guess_type(lpath)[0]
    if content_type is not None:
        kwargs["ContentType"] = content_type
    response = await fs._call_s3("put_object", Bucket=bucket, Key=key, Body=body, **kwargs)
    if callback is not None:
        callback.relative_update(len(body))
    answered = etag_hash((response or {}).get("ETag"))
    if answered is not None and answered[1] == "md5" and answered[0] != md5:
        raise errors.ContentChanged(
            f"the server stored other bytes than those of {lpath} (ETag {answered[0]}, hash {md5}): nothing was saved"
        )


def put_file(local: Path, url: Any, on_bytes: Callable[[int], Any] | None = None, md5: str | None = None) -> bool:
    """Upload one file; the object appears at ``url`` only when it is complete.

    Args:
        local: The file.
        url: Where it goes.
        on_bytes: Called with the size of each chunk sent (a progress bar's ``update``).
        md5: The file's expected MD5 (an artifact's hash): sent as ``Content-MD5``, so
            that the server refuses other bytes.

    Returns:
        Whether the bytes were checked against ``md5`` (a file sent in one PUT: read, compared, sent
        with ``Content-MD5``, and the ETag answered compared).

    Raises:
        ln.errors.StorageError: see :func:`check_writable`.
        ln.errors.ContentChanged: the server refused the bytes: not those of ``md5``.
    """
    return put_many([(local, url)], on_bytes, [md5])[0]


def put_many(
    pairs: list[tuple[Path, Any]], on_bytes: Callable[[int], Any] | None = None, md5s: list[str | None] | None = None,
) -> list[bool]:
    """Upload many files at once, :data:`BATCH_SIZE` at a time (all to the same endpoint).

    Each object appears when it is complete; if one fails, the error is raised
    and the caller removes those that were written. ``md5s``: each file's
    expected MD5, as in :func:`put_file`. Returns, per file, whether its bytes
    were checked against its MD5.

    Raises:
        ln.errors.StorageError: see :func:`check_writable`.
        ln.errors.ContentChanged: the server refused a file's bytes.
    """
    if not pairs:
        return []
    md5s = md5s if md5s is not None else [None] * len(pairs)
    first = pairs[0][1]
    fs = filesystem(first)
    # (local, remote, md5 if checked in one PUT)
    plans = [
        (str(local), parse(url).path, md5 if md5 and _single_put(os.path.getsize(local)) else None)
        for (local, url), md5 in zip(pairs, md5s)
    ]
    callback = _callback(on_bytes)

    async def upload_all() -> None:
        import asyncio

        gate = asyncio.Semaphore(BATCH_SIZE)

        async def one(lpath: str, rpath: str, md5: str | None) -> None:
            async with gate:
                if md5 is not None:
                    await _put_checked(fs, lpath, rpath, md5, callback)
                else:
                    await fs._put_file(lpath, rpath, **({"callback": callback} if callback is not None else {}))

        results = await asyncio.gather(*[one(*plan) for plan in plans], return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    from fsspec.asyn import sync

    what = f"uploading {Path(pairs[0][0]).name} to {parse(first).url}" if len(pairs) == 1 else (
        f"uploading {len(pairs)} files to {parse(first).bucket}")
    _call(what, first, lambda: sync(fs.loop, upload_all))
    return [md5 is not None for *_, md5 in plans]


def get_file(url: Any, local: Path, on_bytes: Callable[[int], Any] | None = None) -> None:
    """Download one object to the local path ``local``.

    Raises:
        FileNotFoundError: no object at ``url``.
        ln.errors.StorageError: see :func:`check_writable`.
    """
    loc = parse(url)
    fs = filesystem(url)
    kwargs = {} if on_bytes is None else {"callback": _callback(on_bytes)}
    _call(f"downloading {loc.url}", url, lambda: fs.get_file(loc.path, str(local), **kwargs))


def _get_many(pairs: list[tuple[Any, Path]], on_bytes: Callable[[int], Any] | None) -> None:
    if not pairs:
        return
    fs = filesystem(pairs[0][0])
    kwargs: dict[str, Any] = {"batch_size": BATCH_SIZE}
    if on_bytes is not None:
        kwargs["callback"] = _callback(on_bytes, batch=True)
    for _, local in pairs:
        Path(local).parent.mkdir(parents=True, exist_ok=True)
    rpaths = [parse(url).path for url, _ in pairs]
    lpaths = [str(local) for _, local in pairs]
    _call(f"downloading {len(pairs)} files", pairs[0][0], lambda: fs.get(rpaths, lpaths, **kwargs))


def remove(url: Any, recursive: bool = False) -> None:
    """Remove the object at ``url`` (with ``recursive``, every object under the folder ``url``);
    nothing there is no error.

    Raises:
        ln.errors.StorageError: see :func:`check_writable`.
    """
    loc = parse(url)
    fs = filesystem(url)

    def rm() -> None:
        if recursive:
            keys = [loc.path + "/" + rel for rel, _ in list_files(url)]
            if keys:
                fs.rm(keys)
        try:
            fs.rm_file(loc.path)
        except FileNotFoundError:
            pass

    _call(f"removing {loc.url}", url, rm)


def read_text(url: Any) -> str | None:
    """The text of a small object, or ``None`` if there is none."""
    loc = parse(url)
    fs = filesystem(url)

    def cat() -> str | None:
        try:
            return fs.cat_file(loc.path).decode()
        except FileNotFoundError as exc:
            if _code(exc) == "NoSuchBucket" or "bucket does not exist" in str(exc):
                raise
            return None

    return _call(f"reading {loc.url}", url, cat)


def write_text(url: Any, text: str) -> None:
    """Write a small object (in one PUT: it is replaced whole)."""
    loc = parse(url)
    fs = filesystem(url)
    _call(f"writing {loc.url}", url, lambda: fs.pipe_file(loc.path, text.encode()))


# -- the local cache -------------------------------------------------------------------


def cache_path(url: Any, cache_dir: Path) -> Path:
    """Where the cache keeps a copy of ``url``: ``<cache_dir>/<bucket>/<key>``.

    Example:
        >>> cache_path("s3://bucket/prefix/.lamindb/x.csv", Path("~/.cache/lamindb"))
        PosixPath('~/.cache/lamindb/bucket/prefix/.lamindb/x.csv')
    """
    loc = parse(url)
    return Path(cache_dir, loc.bucket, *[part for part in loc.key.split("/") if part not in ("", ".", "..")])


def _lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent / f".{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _cached_size(path: Path) -> int | None:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return None


def cache(
    url: Any, cache_dir: Path, size: int | None = None, is_folder: bool = False,
    on_bytes: Callable[[int], Any] | None = None, max_bytes: int | None = None,
) -> Path:
    """A local copy of the object (or folder) at ``url``, downloaded into the cache if it is not there.

    A copy is used if it has ``size`` bytes (any copy if ``size`` is None). The
    download goes to a temporary name and is renamed when complete, under a lock
    per entry: two processes that ask at once download it once, and neither sees
    half a file. Once a hundredth of ``max_bytes`` (:data:`CACHE_MAX_BYTES` by
    default) was downloaded by this process, the cache is trimmed to ``max_bytes``.

    Raises:
        FileNotFoundError: nothing is at ``url``.
        ln.errors.StorageError: see :func:`check_writable`.
    """
    dest = cache_path(url, cache_dir)
    fd = _lock_file(dest)
    try:
        have = _cached_size(dest)
        if have is not None and (size is None or have == size):
            os.utime(dest)  # recently used: trimmed last
            return dest
        tmp = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.tmp"
        try:
            if is_folder:
                pairs = [(join(url, rel), tmp.joinpath(*rel.split("/"))) for rel, _ in list_files(url)]
                if not pairs:
                    raise FileNotFoundError(f"no objects under {parse(url).url}")
                tmp.mkdir(parents=True)
                _get_many(pairs, on_bytes)
            else:
                try:
                    get_file(url, tmp, on_bytes)
                except FileNotFoundError:
                    raise FileNotFoundError(f"no object at {parse(url).url}") from None
            if have is not None:
                _remove_local(dest)  # a stale copy: another version of a registered object
            os.replace(tmp, dest)
        except BaseException:
            _remove_local(tmp)
            raise
    finally:
        os.close(fd)
    limit = CACHE_MAX_BYTES if max_bytes is None else max_bytes
    # the cache is walked to trim it once a hundredth of its bound came in, not after every download
    with _LOCK:
        _DOWNLOADED[0] += _cached_size(dest) or 0
        due = _DOWNLOADED[0] >= limit / 100
        if due:
            _DOWNLOADED[0] = 0
    if due:
        try:
            trim_cache(cache_dir, limit, keep=dest)
        except OSError as exc:  # never a reason for a read to fail
            logger.warning(f"could not trim the cache {cache_dir}: {exc}")
    return dest


def _remove_local(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def trim_cache(cache_dir: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Remove the least recently used entries of the cache until it holds at most ``max_bytes``.

    Entries used in the last minute and ``keep`` stay (a process may be about to
    read them); lock and temporary files are not entries. Returns what was removed.
    """
    entries: list[tuple[float, int, Path]] = []
    total = 0
    now = time.time()
    for dirpath, _, filenames in os.walk(cache_dir):
        for name in filenames:
            if name.startswith(".") and (name.endswith(".lock") or name.endswith(".tmp")):
                continue
            if name.startswith("lamindb-core-"):
                continue  # an unsaved artifact's DataFrame or AnnData, written here: not a copy
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            total += st.st_size
            entries.append((st.st_mtime, st.st_size, path))
    removed: list[Path] = []
    if total <= max_bytes:
        return removed
    for mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        if now - mtime < _FRESH_SECONDS or (keep is not None and (path == keep or keep in path.parents)):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
        total -= size
    return removed
