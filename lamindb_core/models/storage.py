"""``Storage``: the folders (storage locations) that hold artifacts."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from .. import errors, object_store, recovery, storage_paths
from ..config import config_home
from ..uids import base62_12
from .record import ID_HELP, Record, TracksRun, TracksUpdates

# uids per query when looking up the records of stored files
_LOOKUP_BATCH = 500


class Storage(Record, TracksRun, TracksUpdates):
    """A storage location: a local folder, or a bucket of an S3-compatible store (``s3://bucket/prefix``).

    The instance's own storage folder is added when the instance is set up.

    Example:
        >>> ln.Storage.df()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    root = models.CharField(
        max_length=255, unique=True, db_index=True,
        help_text="The folder that holds the data, an absolute path, e.g. '/data/mystorage', or a bucket's location, "
        "e.g. 's3://my-bucket/lamin'; files are stored in <root>/.lamindb/.",
    )
    description = models.CharField(max_length=255, null=True, blank=True, default=None, help_text="A description.")
    type = models.CharField(
        max_length=30, db_index=True, default="local",
        help_text="The kind of location: 'local' for a folder, 's3' for a bucket of an S3-compatible store (AWS S3, "
        "MinIO, Ceph, R2).",
    )
    region = models.CharField(
        max_length=64, null=True, blank=True, default=None,
        help_text="The cloud region of a bucket; None for a local folder.",
    )
    instance_uid = models.CharField(
        max_length=12, null=True, blank=True, default=None, db_index=True,
        help_text="The uid of the instance that manages the storage: only that instance deletes the stored files of "
        "deleted artifacts.",
    )

    @classmethod
    def containing(cls, path: Path | str, first: Storage | None = None) -> Storage | None:
        """The registered local storage location whose root folder holds ``path``, or ``None``.

        ``first`` (the storage that new artifacts go to) is asked first, as
        LaminDB does; of the others, the innermost root wins. A file that lies
        inside one is registered where it is, with its relative path as key.

        Example:
            >>> ln.Storage.containing("/data/store/raw/a.csv")
            Storage(uid='...', root='/data/store', type='local', ...)
        """
        return cls._holding(os.fspath(storage_paths.real(path)), first)

    @classmethod
    def _holding(
        cls, real: str, first: Storage | None = None, first_real: str | None = None, others: bool = True
    ) -> Storage | None:
        """:meth:`containing` of a path resolved already (``real``); ``first_real``: the root of
        ``first`` resolved already. ``ln.Artifact(path)`` has resolved both for its own checks.
        ``others=False``: ``first`` only; the caller asks for the other roots itself (in the
        query it sends anyway) and passes them to :meth:`_holding_among`."""
        if first is not None and first.type == "local":
            if storage_paths.inside(real, first_real or os.fspath(storage_paths.real(first.root))):
                return first
        if not others:
            return None
        # the roots only (the full records of every storage took half of ln.Artifact(path)'s time)
        return cls._holding_among(cls._local_roots(), real, first.pk if first is not None else None)

    @classmethod
    def _holding_among(cls, roots: list[tuple[int, str]], real: str, skip: int | None = None) -> Storage | None:
        """The innermost of the local storages ``roots`` (``(id, root)``, as :meth:`_local_roots`
        reads them) whose root, resolved, holds ``real``, but ``skip``; read whole, as any other
        record."""
        found = [
            (len(root), pk) for pk, root in roots
            if pk != skip and storage_paths.inside(real, os.fspath(storage_paths.real(root)))
        ]
        if not found:
            return None
        return cls.objects.get(pk=max(found)[1])

    @classmethod
    def _local_roots(cls) -> list[tuple[int, str]]:
        """``(id, root)`` of every local storage location, in one plain query: compiling the
        ORM's query cost as much as running it, once per ``ln.Artifact(path)``."""
        meta = cls._meta
        using = cls.objects.db
        connection = connections[using]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote(meta.pk.column)}, {quote(meta.get_field('root').column)} FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.get_field('type').column)} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ["local"])
            return cursor.fetchall()

    def recover(self, dry_run: bool = False) -> recovery.RecoveryReport:
        """Remove what saves that died left in this storage: stored files without a record, and temporary files.

        Every save journals the files it creates in ``<root>/.lamindb/.pending``
        and holds a lock on the journal until its transaction has ended. This
        takes each journal whose lock is free (its process died, or its
        transaction ended without removing it), removes the temporary files it
        names and the stored files it names that have no artifact record, then
        the journal. Files of saves in progress (another notebook saving right
        now) and files that have a record are never removed, and the storage's
        files are not listed: it is cheap. Each save into the storage does this
        first, by itself; ``lamin-core storage recover`` runs it from a terminal.

        A journal written on another machine that shares the storage is left
        alone (locks may not reach across machines): recover there. See
        :mod:`lamindb_core.recovery` for what it assumes.

        Args:
            dry_run: Report what would be removed, and remove nothing.

        Returns:
            A report: ``removed`` (stored files), ``temporary``, ``journals``,
            ``kept``, and what was left alone; ``print(report)`` summarizes it.

        Raises:
            ln.errors.InvalidArgument: the storage is not a local folder.

        Example:
            >>> storage = ln.Storage.get(root="/home/me/mydata")
            >>> print(storage.recover(dry_run=True))
            would remove 2000 stored file(s) without a record and 44 temporary file(s) of 1 interrupted save(s) in /home/me/mydata/.lamindb
            >>> storage.recover()
        """
        if self.type not in ("local", "s3"):
            raise errors.InvalidArgument(f"only a local or s3 storage can be recovered here, not {self.type} ({self.root})")
        def has_records(names: list[str]) -> set[str]:
            # a stored file is <uid><suffix>; artifact uids have 20 characters
            artifacts = self._meta.get_field("artifacts").related_model._base_manager
            uids = sorted({name[:20] for name in names})
            wanted = set(names)
            found: set[str] = set()
            for start in range(0, len(uids), _LOOKUP_BATCH):
                chunk = uids[start : start + _LOOKUP_BATCH]
                for uid, suffix in artifacts.filter(uid__in=chunk).values_list("uid", "suffix"):
                    if uid + suffix in wanted:
                        found.add(uid + suffix)
            return found

        return recovery.recover(
            self._journal_folder(), has_records, session_alive=session_alive, dry_run=dry_run,
            objects=self._objects(),
        )

    @property
    def is_cloud(self) -> bool:
        """Whether the location is a bucket (``s3://...``), not a local folder."""
        return self.type == "s3" or object_store.is_cloud(self.root)

    def _journal_folder(self) -> Path:
        # where the journals of saves into this storage live: its .lamindb folder; a bucket's
        # in a local folder per storage (flock needs a local file)
        if self.is_cloud:
            return config_home() / "journals" / self.uid
        return _managed_folder(self.root)

    def _objects(self) -> recovery.Objects | None:
        # the stored copies of a bucket, for the journals (None: beside the journals)
        if not self.is_cloud:
            return None
        folder = object_store.join(self.root, ".lamindb")
        return recovery.Objects(
            exists=lambda name: object_store.exists(object_store.join(folder, name)),
            remove=lambda name: object_store.remove(object_store.join(folder, name), recursive=True),
        )


@functools.lru_cache(maxsize=64)
def _managed_folder(root: str) -> Path:
    # <root>/.lamindb of a local storage, made once per root (twice per artifact.save())
    return Path(root) / ".lamindb"


def db_session(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """What identifies this process's database session in a journal: PostgreSQL's backend pid.

    A process killed right after it sent COMMIT leaves a session that may still
    commit; :func:`session_alive` tells. SQLite commits in the process itself:
    nothing to record.
    """
    conn = connections[using]
    if conn.vendor != "postgresql":
        return {}
    conn.ensure_connection()
    return {"postgresql_pid": conn.connection.info.backend_pid}


def session_alive(session: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database session of a journal (see :func:`db_session`) still exists."""
    pid = session.get("postgresql_pid")
    conn = connections[using]
    if pid is None or conn.vendor != "postgresql":
        return False
    conn.ensure_connection()
    if pid == conn.connection.info.backend_pid:
        return False  # this process's: its transaction ended when it released the journal
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None
