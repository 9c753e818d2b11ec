"""The bookkeeping of an artifact's life after ``ln.Artifact(...)``: which version of a family is
the latest, what may change on a saved artifact, and what deleting it for good does to its data.

``Artifact`` calls these with its own class and records; nothing here imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.db.models.deletion import Collector

from .. import bucket_files, bulk, errors, file_copies, files, object_store, progress, recovery, storage_paths
from ..logger import logger
from ..query import blocked_delete_error
from ..uids import base62_16_v0, increment_base62
from . import artifact_batch

if TYPE_CHECKING:
    from .artifact import Artifact

__all__ = [
    "check_location_unchanged", "content_or_key", "delete_for_good", "same_content_or_key", "set_trashed", "settle_latest",
    "settle_latest_many", "store_and_insert", "store_if_new", "unmark_latest",
]

# families or keys per query: an OR of this many conditions stays far below SQLite's limits
# of bound values (32,766) and of expression depth (1,000)
_CHUNK = 200


def settle_latest(model: type[Artifact], stem: str) -> int | None:
    """The body of ``Artifact._settle_latest``: mark the family's latest version; return its id."""
    return settle_latest_many(model, [stem]).get(stem)


def settle_latest_many(model: type[Artifact], stems) -> dict[str, int]:
    """Mark the latest version of each family in ``stems`` (the newest not in the trash, else the
    newest); return ``{stem: id of its latest}`` for the families that still have versions.

    A bounded number of queries for any number of families (a bulk delete settles them all)."""
    stems = sorted(set(stems))
    latest_of: dict[str, int] = {}
    stale: list[int] = []
    promote: list[int] = []
    for i in range(0, len(stems), _CHUNK):
        chunk = set(stems[i: i + _CHUNK])
        condition = Q()
        for stem in chunk:
            condition |= Q(uid__startswith=stem)
        # FOR UPDATE (PostgreSQL): a concurrent save or restore of these families
        # waits until this transaction is committed
        rows = model.objects.select_for_update().filter(condition).values_list("pk", "uid", "_branch_code", "is_latest")
        families: dict[str, list[tuple]] = {}
        for row in rows:
            if row[1][:16] in chunk:  # SQLite's LIKE ignores case
                families.setdefault(row[1][:16], []).append(row)
        for stem, members in families.items():
            latest = max(members, key=lambda row: (row[2] != -1, row[0]))[0]
            latest_of[stem] = latest
            stale += [row[0] for row in members if row[3] and row[0] != latest]
            if not any(row[0] == latest and row[3] for row in members):
                promote.append(latest)
    if stale:  # first: the index allows one latest per family at any moment
        model.objects.filter(pk__in=stale).update(is_latest=False)
    if promote:
        model.objects.filter(pk__in=promote).update(is_latest=True)
    return latest_of


def unmark_latest(model: type[Artifact], stem: str) -> None:
    """The body of ``Artifact._unmark_latest``: no member of the family is the latest any more."""
    # Lock the latest row first (PostgreSQL; SQLite's transactions are
    # IMMEDIATE, so writers wait at BEGIN). A save that waits here for another
    # one's new version then runs the UPDATE after that commit, so it sees
    # that version and unmarks it too: one latest, no unique violation.
    list(model.objects.select_for_update().filter(uid__startswith=stem, is_latest=True).values_list("pk"))
    model.objects.filter(uid__startswith=stem, is_latest=True).update(is_latest=False)


def prepare_transfer(artifact: Artifact) -> set[str]:
    """Before an artifact read from another instance (``ln.Artifact.using(...)``) is saved
    here: its data is to be copied into this instance's storage (``ln.settings.storage``).

    The data is read where the other instance keeps it (a bucket's object through the local
    cache) and saved like new data: copied, checked against its size and hash, journaled,
    its record written only once the copy is complete. The copy keeps the artifact's uid
    (it is the same artifact), its key (as a key, not a path) and its fields. Returns the
    foreign keys set here (``storage``), which the transfer does not map.

    Nothing is copied for an artifact whose storage location this instance has registered
    too (the same ``Storage`` uid: a bucket a team shares) or that has no data (a record
    made without any: no hash).

    Raises:
        FileNotFoundError: the other instance has no data where its record says.
        ln.errors.IntegrityError: the data there is not what its record says (size or hash).
    """
    source_db = artifact._state.db
    source_storage = artifact.storage  # read from the other instance
    if type(source_storage).objects.filter(uid=source_storage.uid).exists():
        return set()
    try:
        path = artifact.cache(is_run_input=False)
    except FileNotFoundError:
        if artifact.hash is None:
            return set()
        raise FileNotFoundError(
            f"cannot transfer {artifact!r} from {source_db}: its data is missing from "
            f"{artifact._storage_url() if source_storage.is_cloud else artifact.path}; nothing was saved"
        ) from None
    local = files.describe_data(path)
    size, hash_ = local.expected
    if size != artifact.size or (local.fields["_hash_type"] == artifact._hash_type and hash_ != artifact.hash):
        raise errors.IntegrityError(
            f"cannot transfer {artifact!r} from {source_db}: its data ({path}) has size {size} and hash "
            f"{hash_}, its record says {artifact.size} and {artifact.hash}; nothing was saved"
        )
    for name in ("size", "hash", "_hash_type", "n_files"):
        if local.fields.get(name) is not None:
            setattr(artifact, name, local.fields[name])
    artifact._local_data = local
    artifact._revises = None
    artifact.__dict__["_transferred"] = True  # keeps its uid: not a new version of a key here
    # (by id: Django refuses an object of this database on a record of the other)
    artifact.storage_id = artifact._default_storage().pk
    artifact._key_is_virtual = True  # stored under its uid here; the key stays what it was
    return {"storage"}


def same_content_or_key(artifact: Artifact) -> tuple[Artifact | None, Artifact | None]:
    """In ``save()``: the saved artifact with the same content (in the trash too), and
    else the latest version under the artifact's key (for a new artifact without
    ``revises``), in one query."""
    # (an artifact transferred from another instance keeps its uid and versions)
    # the latest version is in the trash only if all versions are: new
    # content under its key is still its next version
    by_key = artifact._revises is None and artifact.key is not None and not artifact.__dict__.get("_transferred")
    found = content_or_key(type(artifact), artifact.hash, artifact.key if by_key else None, artifact.storage_id)
    if found is not None and found.hash == artifact.hash:
        return found, None
    return None, found


def content_or_key(
    model: type[Artifact], hash: str, key: str | None, storage_id: int | None, trash_last: bool = True,
    local_roots: bool = False,
) -> Artifact | None | tuple[Artifact | None, list[tuple[int, str]]]:
    """The saved artifact with content ``hash`` (in the trash too), else, if ``key`` is given,
    the newest latest version under ``key`` in storage ``storage_id``: one raw query, with
    records in the trash last if ``trash_last``. ``ln.Artifact(...)`` and ``save()`` both ask
    it; compiling the ORM's queries for it took a third of each.

    ``local_roots``: also ``(id, root)`` of every local storage (``Storage._local_roots``), in
    the same query, returned as ``(artifact, roots)``: ``ln.Artifact(path)`` needs both, and
    a round trip to PostgreSQL each cost as much as the rest of it."""
    alias = model.objects.db
    conn = connections[alias]
    sql, names, converters = _lookup_sql(model, alias, conn.vendor, key is not None, trash_last, local_roots)
    params = [hash, *((key, storage_id, True) if key is not None else ()), hash, *(("local",) if local_roots else ())]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if local_roots else [cursor.fetchone()]
    if local_roots:
        # the first column tells the artifact's row (0) from the storages' (1)
        roots = [(row[-2], row[-1]) for row in rows if row[0] == 1]
        found = [row[1:-2] for row in rows if row[0] == 0]
        return (_from_row(model, alias, conn, names, converters, found[0]) if found else None), roots
    if rows[0] is None:
        return None
    return _from_row(model, alias, conn, names, converters, rows[0])


def _from_row(model: type[Artifact], alias: str, conn: Any, names: list[str], converters: list, row: tuple) -> Artifact:
    # the record of a row of content_or_key's query
    values = list(row)
    for i, column, functions in converters:  # as Django's compiler does (dates, JSON, booleans)
        for convert in functions:
            values[i] = convert(values[i], column, conn)
    return model.from_db(alias, names, values)


def _wanted(column: dict[str, str], vendor: str, by_key: bool) -> str:
    # the condition of content_or_key (and of insert_row's guard): the content (parameter: hash)
    # or, by_key, the latest version under the key in the storage (key, storage_id, True)
    wanted = f"{column['hash']} = %s"
    if by_key:
        # SQLite without statistics (before ln.save's first ANALYZE) searched the key's branch
        # through the index of storage_id, every artifact of the storage; a unary plus keeps
        # an index from serving a term, so the key's index does
        plus = "+" if vendor == "sqlite" else ""
        wanted += f" OR ({column['key']} = %s AND {plus}{column['storage_id']} = %s AND {plus}{column['is_latest']} = %s)"
    return wanted


@functools.lru_cache(maxsize=None)
def _lookup_sql(
    model: type[Artifact], alias: str, vendor: str, by_key: bool, trash_last: bool, local_roots: bool = False
) -> tuple[str, list[str], list]:
    """The statement of ``content_or_key``, the fields it selects and their converters from
    database values, written once per registry and database (``vendor``: an alias may be
    connected to another instance later). Parameters: hash, [key, storage_id, True,] hash,
    ['local' if local_roots].

    The same content first (the hash is unique), then records not in the trash if
    ``trash_last``, then the newest."""
    quote = connections[alias].ops.quote_name
    fields = model._meta.concrete_fields
    column = {f.attname: quote(f.column) for f in fields}
    wanted = _wanted(column, vendor, by_key)
    order = f"CASE WHEN {column['hash']} = %s THEN 0 ELSE 1 END, "
    if trash_last:
        order += f"CASE WHEN {column['_branch_code']} = -1 THEN 1 ELSE 0 END, {column['created_at']} DESC, "
    sql = (
        f"SELECT {', '.join(column[f.attname] for f in fields)} FROM {quote(model._meta.db_table)} "
        f"WHERE {wanted} ORDER BY {order}{column['id']} DESC LIMIT 1"
    )
    conn = connections[alias]
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        functions = conn.ops.get_db_converters(col) + f.get_db_converters(conn)
        if functions:
            converters.append((i, col, functions))
    if local_roots:
        # one row of the artifact (if any) and one per local storage, told apart by the first
        # column (a subquery: SQLite takes no LIMIT in the first part of a UNION)
        storage = model._meta.get_field("storage").related_model._meta
        nulls = ", ".join(["NULL"] * len(fields))
        sql = (
            f"SELECT 0, found.*, NULL, NULL FROM ({sql}) AS found UNION ALL "
            f"SELECT 1, {nulls}, {quote(storage.pk.column)}, {quote(storage.get_field('root').column)} "
            f"FROM {quote(storage.db_table)} WHERE {quote(storage.get_field('type').column)} = %s"
        )
    return sql, [f.attname for f in fields], converters


class _Taken(Exception):
    # the guard of store_if_new's INSERT did not hold (the content or the key is saved now), or
    # the row cannot be inserted under a guard
    pass


def store_if_new(artifact: Artifact) -> bool | None:
    """``save()`` of a new artifact whose construction found neither its content nor (without
    ``revises``) its key saved: its data is stored and its row inserted by an INSERT that
    inserts only if that still holds (the condition of :func:`content_or_key`), without the
    query before it (on PostgreSQL a round trip to the server, on SQLite a statement and its
    read transaction).

    Returns True if saved, False if another process saved the same content meanwhile (the
    artifact then is that one, as :func:`store_and_insert` says), None if this does not apply or
    the condition no longer holds: then nothing of it is left (its copy removed) and ``save()``
    goes the usual way, which finds the saved content or the version under the key.
    """
    conn = transaction.get_connection()
    if (not artifact.__dict__.pop("_found_nothing", False) or conn.in_atomic_block
            or artifact._revises is not None or artifact.__dict__.get("_transferred") or "_journal" in artifact.__dict__
            or artifact.storage.is_cloud or not artifact._stores_managed_copy()):
        return None
    try:
        artifact._check_required()
    except errors.ValidationError:
        return None  # raised the usual way, after the saved content is looked for
    guard = [artifact.hash, *((artifact.key, artifact.storage_id, True) if artifact.key is not None else ())]

    def insert() -> None:
        if not insert_row(artifact, guard):
            raise _Taken

    try:
        return store_and_insert(artifact, None, insert)
    except _Taken:
        return None  # _insert removed the copy; the journal went with it


def insert_row(artifact: Artifact, guard: list | None = None) -> bool:
    """The INSERT of a new artifact's row, one statement with its values as they are (as
    ``ln.save``'s, ``bulk._insert_rows``, prepares them, without its work for many rows:
    that was a fifth of the instructions of ``artifact.save()``); the new id set on the record.

    ``guard``: the parameters of :func:`content_or_key`'s condition (hash, and key, storage_id,
    True if a key is given): the row is inserted only if no artifact has the content nor is the
    latest under the key (``INSERT ... SELECT <values> WHERE NOT EXISTS (...)``); False if the
    condition did not hold (nothing inserted, the record stays new).

    Raises:
        _Taken: under a guard, a value only Django's ``bulk_create`` writes (an expression).
    """
    artifact._prepare_related_fields_for_save(operation_name="save")  # an unsaved run is refused
    model = type(artifact)
    alias = DEFAULT_DB_ALIAS  # as ln.save's
    conn = connections[alias]
    by_key = None if guard is None else len(guard) > 1
    plan = _insert_plan(model, alias, conn.vendor, by_key)
    state = artifact.__dict__
    params = None if plan is None or state.get(model._meta.pk.attname) is not None else _row_values(artifact, plan[2], conn)
    if params is None:
        if guard is not None:
            raise _Taken
        # what only Django's bulk_create writes (expressions), or a record with an id
        bulk._insert_rows(model, [artifact], 1, using=alias)
        return True
    if guard is not None:
        params.extend(guard)
    if conn.queries_logged or conn.execute_wrappers:
        # through Django's cursor, which logs the statement (CaptureQueriesContext, DEBUG)
        with conn.cursor() as cursor:
            cursor.execute(plan[0], params)
            rows = cursor.fetchall()
    else:
        conn.validate_thread_sharing()
        conn.validate_no_broken_transaction()
        conn.ensure_connection()
        with conn.wrap_database_errors:
            if conn.vendor == "postgresql":
                # imported here, as bulk and Django do: only an instance on PostgreSQL needs psycopg
                from psycopg import Cursor

                with Cursor(conn.connection) as cursor:  # the values apart from the statement, in binary
                    cursor.execute(plan[1], params)
                    rows = cursor.fetchall()
            else:
                # fetchall, not fetchone: SQLite commits a statement outside a transaction
                # once it has run to its end
                rows = conn.connection.execute(plan[1], params).fetchall()
    if not rows:
        return False  # the guard did not hold
    state[model._meta.pk.attname] = rows[0][0]
    artifact._state.adding = False
    artifact._state.db = alias
    return True


def _row_values(artifact: Artifact, steps: tuple, conn: Any) -> list | None:
    # the values of insert_row's statement, as bulk._insert_rows prepares them (pre_save of the
    # fields set when saved, the field's preparation for any value not of the column's own
    # types); None where one is an expression or a field is deferred
    state = artifact.__dict__
    values = []
    for attname, field, auto, as_is in steps:
        if auto:
            value = field.pre_save(artifact, add=True)
        else:
            try:
                value = state[attname]
            except KeyError:  # a deferred field
                return None
        if type(value) not in as_is:
            value = field.get_db_prep_save(value, conn)
            if type(value) not in bulk._PLAIN_TYPES and hasattr(value, "as_sql"):
                return None
        values.append(value)
    return values



def _as_is(field: Any, conn: Any) -> frozenset:
    # the types of the values that field writes as they are, as bulk._insert_rows: None too
    # where the field prepares None as None (a JSON field's)
    kinds = bulk._AS_IS.get(field.get_internal_type(), ())
    if kinds or field.get_db_prep_save(None, conn) is None:
        kinds = (*kinds, type(None))
    return frozenset(kinds)


@functools.lru_cache(maxsize=None)
def _insert_plan(model: type[Artifact], alias: str, vendor: str, by_key: bool | None) -> tuple[str, str, tuple] | None:
    """:func:`insert_row`'s statement (with ``%s``, and with the driver's placeholders), and per
    field its attname, the field, whether it is set when saved (``auto_now``) and the types
    written as they are; written once per registry, database and guard (``by_key``: None
    without a guard). None if a field needs a placeholder of its own (bulk_create's then)."""
    conn = connections[alias]
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    if not bulk._plain(fields, conn):
        return None
    quote = conn.ops.quote_name
    if vendor == "postgresql":
        # each value cast to its column's type without its length, as bulk._insert_rows's
        values = ", ".join(f"%s::{f.db_type(conn).split('(')[0]}" for f in fields)
    else:
        values = ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)})"
    returning = f" RETURNING {quote(pk.column)}"
    if by_key is None:
        sql = f"{head} VALUES ({values}){returning}"
    else:
        column = {f.attname: quote(f.column) for f in model._meta.concrete_fields}
        sql = f"{head} SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {_wanted(column, vendor, by_key)}){returning}"
    steps = tuple(
        (f.attname, f, bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)),
         _as_is(f, conn))
        for f in fields
    )
    return sql, sql.replace("%s", "%b" if vendor == "postgresql" else "?"), steps


def store_and_insert(artifact: Artifact, previous: Artifact | None, insert_row: Callable[[], None]) -> bool:
    """Store a new artifact's data and insert its record (``insert_row``), in ``save()``.

    A managed copy goes to ``.lamindb/<uid><suffix>``, journaled. Data
    registered where it lies in a registered storage is not copied, and nothing
    of it is ever removed here. Data for a real key outside ``.lamindb`` is
    copied to ``<root>/<key>``, which must not exist (a file is never
    replaced). Returns False if another process saved the same content
    meanwhile (the artifact then is that one).
    """
    if artifact.storage.is_cloud:
        return _store_in_bucket(artifact, previous, insert_row)
    if artifact._stores_managed_copy():
        # ln.save() opens the journal of its files; a save on its own, its own
        journal = artifact.__dict__.get("_journal")
        own_journal = journal is None
        if own_journal:
            journal = artifact_batch.open_journal(artifact.storage, shared=True)
        committed = False
        try:
            dest = _store_managed(artifact, journal, is_version=previous is not None)
            committed = _insert(artifact, previous, dest, insert_row)
        finally:
            if own_journal:
                recovery.end_journal(journal, committed)
        return committed
    dest = artifact._storage_path()
    if storage_paths.real(artifact._local_data.path) == storage_paths.real(dest):
        return _insert(artifact, previous, None, insert_row)
    storage_paths.refuse_existing(dest)
    try:
        with progress.progress(artifact.size, artifact_batch.copying([artifact]), unit="B") as bar:
            file_copies.store_atomic(artifact._local_data.path, dest, artifact._expected(), on_bytes=bar.update)
    except FileExistsError:
        storage_paths.refuse_existing(dest)
        raise
    artifact.__dict__["_stored_copy"] = dest
    return _insert(artifact, previous, dest, insert_row)


def _store_in_bucket(artifact: Artifact, previous: Artifact | None, insert_row: Callable[[], None]) -> bool:
    # upload (journaled, under a local journal of the bucket's storage), check, then insert;
    # an upload that ln.save() made before its transaction (_uploaded) is only inserted
    dest = str(artifact.__dict__.pop("_uploaded", "") or "")
    if dest:
        return _insert(artifact, previous, dest, insert_row)
    managed = artifact._stores_managed_copy()
    source = artifact._local_data.path
    url = object_store.join(artifact.storage.root, artifact._storage_key())
    if object_store.is_cloud(source) and object_store.parse(source).path == object_store.parse(url).path:
        return _insert(artifact, previous, None, insert_row)  # registered where it lies
    journal = artifact.__dict__.get("_journal")
    own_journal = journal is None and managed
    if own_journal:
        journal = artifact_batch.open_journal(artifact.storage, shared=True)
    committed = False
    try:
        if managed:
            journal.add([artifact._storage_key().split("/", 1)[1]])
        elif object_store.exists(url):
            storage_paths.refuse_existing_object(url)
        with progress.progress(artifact.size, artifact_batch.copying([artifact]), unit="B") as bar:
            bucket_files.store(artifact._local_data.path, url, artifact._expected(), on_bytes=bar.update)
        if not managed:
            artifact.__dict__["_stored_copy"] = url
        committed = _insert(artifact, previous, url, insert_row)
    finally:
        if own_journal:
            recovery.end_journal(journal, committed, artifact.storage._objects())
    return committed


def _store_managed(artifact: Artifact, journal: recovery.Journal, is_version: bool) -> Path:
    # copy the data to its path in storage (or rename the copy that ln.save()
    # made before its transaction); returns that path
    staged = artifact.__dict__.pop("_staged", None)
    while True:
        dest = artifact._storage_path()
        try:
            if staged is not None:
                journal.add([dest.name])
                file_copies.publish(staged, dest)
            else:
                # the name on disk before the copy can have it: synced beside the copy's fsync
                journal.add([dest.name], sync=False)
                # a bar in bytes once the copy takes over a second, as for ln.save()
                with progress.progress(artifact.size, artifact_batch.copying([artifact]), unit="B") as bar:
                    file_copies.store_atomic(
                        artifact._local_data.path, dest, artifact._expected(), tag=journal.id, on_bytes=bar.update,
                        before_name=journal.sync,
                    )
            return dest
        except FileExistsError:
            if not dest.exists():
                raise  # about a parent folder, not this uid
            # another process's version with this uid, or what a rolled-back
            # save left: both stay, this artifact takes the next free uid
            artifact.uid = artifact.uid[:16] + increment_base62(artifact.uid[16:]) if is_version else base62_16_v0()


def _insert(artifact: Artifact, previous: Artifact | None, dest: Path | str | None, insert_row: Callable[[], None]) -> bool:
    # insert the record; on failure the copy this save made (dest) goes
    model = type(artifact)
    try:
        if previous is None and not transaction.get_connection().in_atomic_block:
            # one statement, atomic by itself: no BEGIN and COMMIT around it
            insert_row()
        else:
            with transaction.atomic():
                if previous is not None:
                    unmark_latest(model, previous.stem_uid)
                insert_row()
    except IntegrityError as exc:
        artifact._state.adding, artifact.pk = True, None
        if dest is not None:
            files.remove_path(dest)
        existing = model.objects.filter(hash=artifact.hash).first()
        if existing is None:
            raise errors.ValidationError(f"cannot save {artifact!r}: {exc}") from exc
        artifact._return_existing(existing)
        return False
    except BaseException:
        artifact._state.adding, artifact.pk = True, None
        if dest is not None:
            files.remove_path(dest)
        raise
    return True


def set_trashed(artifact: Artifact, trashed: bool) -> None:
    """Move a saved artifact to the trash (``_branch_code = -1``) or back, in one
    transaction that also settles which version is the latest."""
    model = type(artifact)
    if trashed and artifact._branch_code == -1:
        logger.warning(f"{artifact!r} is in the trash already; delete(permanent=True) deletes it for good")
        return
    previous = artifact._branch_code
    with transaction.atomic():
        artifact._branch_code = -1 if trashed else 1
        try:
            artifact.save(update_fields=["_branch_code", "updated_at"])
            latest = settle_latest(model, artifact.stem_uid)
        except BaseException:
            artifact._branch_code = previous
            raise
    artifact.is_latest = latest == artifact.pk
    if trashed:
        logger.important(f"moved artifact '{artifact.uid}' to the trash; .restore() brings it back")
    elif not artifact.is_latest:
        newer = model.objects.filter(pk=latest).values_list("uid", flat=True).first()
        logger.important(f"restored artifact '{artifact.uid}'; the latest version stays the newer '{newer}'")
    else:
        logger.important(f"restored artifact '{artifact.uid}'")


def check_location_unchanged(artifact: Artifact) -> None:
    """Refuse a change of a saved artifact that would lose its data (LaminDB's checks and messages).

    Raises:
        ln.errors.InvalidArgument: the suffix changed; a key that is the data's
            real path changed; a virtual key changed to another suffix.
    """
    saved = artifact._saved_key_suffix
    if saved is None:
        return
    old_key, old_suffix = saved
    if artifact.suffix != old_suffix:
        raise errors.InvalidArgument(
            f"the suffix of a saved artifact is its data's and cannot change: '{old_suffix}', not "
            f"'{artifact.suffix}'; create a new artifact (or version) from the data instead"
        )
    if (old_key or "") == (artifact.key or ""):
        return
    if not artifact._key_is_virtual:
        raise errors.InvalidArgument(
            "Changing a non-virtual key of an artifact is not allowed! Tried to change key from "
            f"'{old_key or ''}' to '{artifact.key or ''}'."
        )
    old_key_suffix = artifact.suffix or storage_paths.key_suffix(old_key or "")
    new_key_suffix = storage_paths.key_suffix(artifact.key or "")
    if old_key_suffix != new_key_suffix:
        raise errors.InvalidArgument(
            f"The suffix '{new_key_suffix}' of the provided key is incorrect, it should be '{old_key_suffix}'."
        )


def delete_for_good(model: type[Artifact], artifacts: list[Artifact], storage: bool | None) -> None:
    """The body of ``Artifact.delete(permanent=True, storage=...)`` and of
    ``ln.Artifact.filter(...).delete(permanent=True)``: the rows of ``artifacts`` go in one
    transaction, with a fixed number of queries however many they are, then their data as
    ``storage`` says, once the transaction commits.

    What happens to the data (``storage``):

    - a managed copy (``.lamindb/<uid><suffix>``): removed unless
      ``storage=False``;
    - data with a real key (registered where it lay in a registered
      storage, or stored at its key): kept unless ``storage=True`` (LaminDB
      asks; here nothing of a user's folder goes without being asked for),
      and kept whenever another artifact still points at the same path;
    - data in a storage that this instance does not manage (a storage
      registered with ``ln.Storage(...)``, or an artifact transferred with
      ``Registry.using(...)``): never removed; ``storage=True`` is an
      ``IntegrityError``, otherwise only the record is deleted.

    Raises:
        ln.errors.IntegrityError: ``storage=True`` for data that this instance does not manage.
        ln.errors.ValidationError: other records still point to one of them. Nothing is deleted.
    """
    if not artifacts:
        return
    plans = []
    for artifact in artifacts:
        owned = artifact._owns_file()
        if storage and not owned:
            raise errors.IntegrityError(
                "Cannot simply delete artifacts outside of this instance's managed storage locations.\n"
                "(1) If you only want to delete the metadata record in this instance, pass `storage=False`\n"
                "(2) If you want to delete the artifact in storage, please load the managing lamindb instance "
                f"(uid={artifact.storage.instance_uid})."
            )
        plans.append((artifact, artifact._storage_path(), owned, artifact._stores_managed_copy()))
    with transaction.atomic():
        _delete_rows(model, artifacts)
        settle_latest_many(model, [artifact.stem_uid for artifact in artifacts])
        # data at a real key may be another artifact's too (an in-place file's versions)
        shared = _keys_in_use(model, [(a.storage_id, a.key) for a, _, _, managed in plans if not managed])
    removed: set[Path] = set()
    for artifact, path, owned, managed in plans:
        is_shared = not managed and (artifact.storage_id, artifact.key) in shared
        remove = storage is not False if managed else bool(storage)
        if owned and remove and not is_shared:
            if path not in removed:  # versions of an in-place file share it
                removed.add(path)
                # the file outlives the record only until the deletion is committed
                transaction.on_commit(lambda path=path: files.remove_path(path))
        elif not owned and storage is None:
            logger.warning(
                f"deleted the record only: the file of artifact '{artifact.uid}' stays, {path}: its storage "
                f"{artifact.storage.root} is managed by instance {artifact.storage.instance_uid!r}, not by this one"
            )
        else:
            note = " (another artifact points at it)" if is_shared else ""
            logger.important(f"a file/folder remains here: {path}{note}")


def _delete_rows(model: type[Artifact], artifacts: list[Artifact]) -> None:
    """Delete the rows of ``artifacts`` and what cascades from them: Django's collector, once for
    all (a query per related table, not per artifact)."""
    collector = Collector(using=artifacts[0]._state.db or DEFAULT_DB_ALIAS, origin=artifacts[0] if len(artifacts) == 1 else None)
    try:
        collector.collect(artifacts)
        collector.delete()
    except (ProtectedError, RestrictedError) as exc:
        blocked = _blocked(model, artifacts, exc)
        if len(blocked) == 1:
            raise blocked_delete_error(repr(blocked[0]), "it", exc) from None
        shown = ", ".join(repr(a.uid) for a in blocked[:5]) + (", ..." if len(blocked) > 5 else "")
        raise blocked_delete_error(f"{len(blocked)} {model.__name__} records ({shown})", "them", exc) from None


def _blocked(model: type[Artifact], artifacts: list[Artifact], exc: ProtectedError | RestrictedError) -> list[Artifact]:
    """The artifacts that the records refusing a deletion point to (all of them, if the links
    are further away)."""
    by_pk = {artifact.pk: artifact for artifact in artifacts}
    blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    pks = {
        getattr(obj, field.attname)
        for obj in blockers
        for field in obj._meta.concrete_fields
        if field.is_relation and field.related_model is model
    }
    return [by_pk[pk] for pk in sorted(pks & by_pk.keys())] or artifacts


def _keys_in_use(model: type[Artifact], pairs: list[tuple[int, str | None]]) -> set[tuple[int, str]]:
    """The ``(storage_id, key)`` pairs among ``pairs`` that a saved artifact still stores its data at."""
    wanted = sorted({(storage_id, key) for storage_id, key in pairs if key is not None})
    found: set[tuple[int, str]] = set()
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i: i + _CHUNK]
        condition = Q()
        for storage_id in {s for s, _ in chunk}:
            condition |= Q(storage_id=storage_id, key__in=[k for s, k in chunk if s == storage_id])
        found.update(
            model._base_manager.filter(condition, _key_is_virtual=False).values_list("storage_id", "key").distinct()
        )
    return found
