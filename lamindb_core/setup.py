"""Set up, connect and delete instances: ``ln.setup.init``, ``connect``, ``delete``, ``settings``.

Example:
    >>> import lamindb_core as ln
    >>> ln.setup.init(storage="./test-registries")                 # embedded SQLite
    >>> ln.setup.init(storage="./shared", db="postgresql://me@dbhost:5432/lab")
    >>> ln.setup.connect("testuser1/test-registries")
    >>> ln.setup.settings.instance.slug
    'testuser1/test-registries'
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import instance as _instance
from . import object_store, ownership
from .context import context
from .errors import InstanceExists, SetupError
from .config import InstanceSettings, UserSettings, config_home, normalize_modules, user_cache_dir
from .logger import logger

__all__ = [
    "init", "connect", "delete", "deletion_summary", "settings", "migrate", "django", "InstanceSettings", "StorageSettings",
    "UserSettings",
]


def _name_from_storage(storage: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]", "-", storage.name.lower()).strip("-")
    return name or "default"


def _check_postgres(db: str) -> None:
    try:
        import psycopg
    except ImportError:
        raise SetupError(
            "a PostgreSQL instance needs the driver psycopg: pip install 'lamindb-jupyter[postgres]'"
        ) from None
    try:
        with psycopg.connect(_instance.libpq_url(db), connect_timeout=10):
            pass
    except psycopg.Error as exc:
        display = InstanceSettings(owner="", name="x", storage="", db=db).db_display
        # psycopg's message spans lines; one line reads better after "error:"
        reason = " ".join(str(exc).split())
        raise SetupError(f"cannot connect to {display}: {reason}") from None


def init(
    storage: str | Path = "./mydata",
    db: str | None = None,
    name: str | None = None,
    modules: str | list[str] | None = None,
) -> InstanceSettings:
    """Create an instance and connect to it.

    Args:
        storage: The storage folder; created if missing. An embedded instance
            keeps its SQLite file in ``<storage>/.lamindb/``.
        db: ``None`` for embedded SQLite, or a ``postgresql://user@host:port/dbname`` URL.
        name: Instance name; defaults to the storage folder's name.
        modules: Extra registries, e.g. ``"bio"`` (also accepted: ``"bionty"``): the
            instance's schema gets their tables. Running ``init`` again on an existing
            instance with more modules adds them, and keeps its data.

    Returns:
        The instance's settings. Running ``init`` again with the same storage and
        database connects to the existing instance.

    Example:
        >>> ln.setup.init(storage="./test-registries", modules="bio")
        → initialized lamindb: testuser1/test-registries

    If it fails, nothing of the new instance is left behind, and this process
    uses no instance (queries raise ``SetupError``) until an ``init`` or a
    ``connect`` succeeds: a cell that failed to create an instance does not go
    on writing into the one used before.

    Raises:
        ln.errors.MissingModule: the instance uses a module that this process did
            not load when it configured Django (see :mod:`lamindb_core.instance`).
    """
    previous = _instance.current_slug()
    try:
        return _init(storage, db, name, modules)
    except BaseException:
        _after_failed_switch(f"ln.setup.init(storage={str(storage)!r}) failed", previous)
        raise


def _init(storage: str | Path, db: str | None, name: str | None, modules) -> InstanceSettings:
    cloud = object_store.is_cloud(storage)
    if cloud:
        root = object_store.root_url(storage)  # refuses another protocol
        location = object_store.parse(root)
        storage_path = None
        name = name or _name_from_storage(Path(location.key.rsplit("/", 1)[-1] or location.bucket))
    else:
        storage_path = Path(storage).expanduser().resolve()
        root = str(storage_path)
        name = name or _name_from_storage(storage_path)
    _instance.check_name(name)
    modules = normalize_modules(modules)
    if db is not None:
        # rejects a URL that is not PostgreSQL before anything is tried or written
        _instance.django_db_config(InstanceSettings(owner="", name=name, storage="", db=db))
    user = _instance.load_user()
    slug = f"{user.handle}/{name}"
    try:
        existing = _instance.load_instance(slug)
    except SetupError:
        existing = None
    if existing is not None:
        if _same_storage(existing.storage, root) and existing.db == db:
            if set(modules) - set(existing.modules):
                existing.modules = sorted(set(existing.modules) | set(modules))
                # before the registration changes: this process may not be able to add them
                _instance.check_modules_loaded(existing)
                _instance.register_instance(existing, overwrite=True)
            logger.important(f"instance {slug} exists already, connecting")
            return _switch(existing)
        raise InstanceExists(
            f"instance '{slug}' exists already with storage {existing.storage} and database "
            f"{existing.db_display}; choose another name or delete it: ln.setup.delete('{name}')"
        )
    settings = InstanceSettings(owner=user.handle, name=name, storage=root, db=db, modules=modules)
    _instance.check_modules_loaded(settings)
    if cloud:
        # the bucket exists and takes writes, before anything is registered or created
        object_store.check_writable(root)
        joined = _join_team_instance(settings)
        if joined is not None:
            return joined
    _check_not_shared(settings)
    if db is not None:
        _check_postgres(db)
    local_folder = settings.local_folder
    storage_existed = local_folder.exists()
    try:
        local_folder.mkdir(parents=True, exist_ok=True)
        (local_folder / ".lamindb").mkdir(exist_ok=True)
    except OSError as exc:
        if not storage_existed and local_folder.is_dir() and not any(local_folder.iterdir()):
            local_folder.rmdir()
        raise SetupError(f"cannot create the storage folder {local_folder / '.lamindb'}: {exc.strerror or exc}") from None
    sqlite_existed = settings.is_embedded and settings.sqlite_path.exists()
    _instance.register_instance(settings)
    try:
        ownership.write_storage_marker(settings, created=False)
        # the schema is made on a thread of its own while Django sets up
        with _instance.new_schema(settings):
            _switch(settings)
    except BaseException as exc:
        _undo_init(settings, storage_existed, sqlite_existed)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SetupError(
            f"could not create the instance {settings.slug} in {storage_path or root}: {reason}; "
            "nothing of it was left behind"
        ) from exc
    logger.important(f"initialized lamindb: {settings.slug}")
    return settings


def _same_storage(a: str, b: str) -> bool:
    # one location: the same bucket URL, or the same folder
    if object_store.is_cloud(a) or object_store.is_cloud(b):
        return object_store.is_cloud(a) and object_store.is_cloud(b) and object_store.root_url(a) == object_store.root_url(b)
    return Path(a).resolve() == Path(b).resolve()


def _join_team_instance(settings: InstanceSettings) -> InstanceSettings | None:
    """A PostgreSQL + S3 instance created on another machine: the bucket's marker names it and
    its database. ``init`` with the same storage and database registers it here under its own
    uid and slug, and connects (a team's second member)."""
    if settings.db is None:
        return None
    marker = ownership.read_storage_marker(settings.storage)
    if marker is None or not marker.get("created") or marker.get("db") != settings.db_display:
        return None
    owner, _, name = str(marker.get("slug", "")).partition("/")
    if not owner or not name:
        return None
    team = InstanceSettings(
        owner=owner, name=name, storage=settings.storage, db=settings.db, modules=settings.modules, uid=marker["uid"]
    )
    try:
        known = _instance.load_instance(team.slug)
    except SetupError:
        known = None
    if known is None:
        _instance.register_instance(team)
    try:
        _switch(team)
    except BaseException:
        if known is None:
            _instance.forget_if_current(team)
            _instance.unregister_instance(team.slug)
        raise
    logger.important(f"connected lamindb: {team.slug} (the instance of {settings.storage})")
    return team


def _same_database(a: InstanceSettings, b: InstanceSettings) -> bool:
    if a.is_embedded or b.is_embedded:
        return a.is_embedded and b.is_embedded and a.sqlite_path.resolve() == b.sqlite_path.resolve()
    pa, pb = urlparse(a.db), urlparse(b.db)
    return ((pa.hostname or "localhost"), pa.port or 5432, pa.path.strip("/")) == (
        (pb.hostname or "localhost"), pb.port or 5432, pb.path.strip("/"))


def _check_not_shared(settings: InstanceSettings) -> None:
    """Refuse a storage folder or database that another instance uses, naming it."""
    storage = settings.storage if settings.storage_is_cloud else Path(settings.storage)
    for other in _instance.list_instances():
        if other.slug == settings.slug:
            continue
        if _same_storage(other.storage, settings.storage):
            raise SetupError(
                f"the storage folder {storage} is used by the instance {other.slug}: two instances "
                f"cannot share a storage folder; choose another folder, or connect: "
                f"ln.setup.connect('{other.slug}')"
            )
        if _same_database(settings, other):
            raise SetupError(
                f"the database {settings.db_display} is used by the instance {other.slug}: two instances "
                f"cannot share a database; use another database, or connect: ln.setup.connect('{other.slug}')"
            )
    ownership.check_storage_is_free(storage, settings)


def _undo_init(settings: InstanceSettings, storage_existed: bool, sqlite_existed: bool) -> None:
    """After a failed ``init``: leave nothing half-made."""
    _instance.forget_if_current(settings)
    try:
        if settings.is_embedded:
            if not sqlite_existed:
                for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
                    Path(str(settings.sqlite_path) + suffix).unlink(missing_ok=True)
        else:
            try:
                ownership.drop_owned_tables(settings)
            except SetupError:
                pass  # it recorded nothing: it created nothing
        ownership.remove_storage_marker(settings)
        lamindb_folder = settings.local_folder / ".lamindb"
        if lamindb_folder.is_dir() and not any(lamindb_folder.iterdir()):
            lamindb_folder.rmdir()
        if not storage_existed and settings.local_folder.is_dir() and not any(settings.local_folder.iterdir()):
            settings.local_folder.rmdir()
    except OSError:
        pass  # the original error is the one to show
    finally:
        _instance.unregister_instance(settings.slug)


def _after_failed_switch(what: str, previous: str | None) -> None:
    # the next process uses the instance that was current before; this one uses
    # none until an init or connect succeeds (it must not write into the previous
    # instance as if nothing had happened)
    if previous is not None and _instance.current_slug() != previous:
        _instance.set_current_slug(previous)
    _instance.deactivate(
        f"{what}: this process has no instance until ln.setup.connect(...) or ln.setup.init(...) succeeds"
        + (f" (the last connected instance was {previous})" if previous else "")
    )


def _switch(settings: InstanceSettings) -> InstanceSettings:
    context.reset()
    _instance.activate(settings)
    _instance.ensure_connected()
    return settings


def connect(instance: str) -> InstanceSettings:
    """Connect to a registered instance, ``owner/name`` or ``name`` of the local user.

    Raises:
        ln.errors.InstanceNotFound: no such instance; the message lists those that exist.
        ln.errors.MissingModule: it uses a module that this process did not load
            when it configured Django; the message says to restart the process.

    Example:
        >>> ln.setup.connect("testuser1/test-registries")
        → connected lamindb: testuser1/test-registries
    """
    settings = _instance.load_instance(instance)
    previous = _instance.current_slug()
    try:
        _switch(settings)
    except BaseException:
        _instance.forget_if_current(settings)
        _after_failed_switch(f"ln.setup.connect('{settings.slug}') failed", previous if previous != settings.slug else None)
        raise
    logger.important(f"connected lamindb: {settings.slug}")
    return settings


def deletion_summary(instance: str) -> str | None:
    """What ``delete(instance)`` would remove that a user made, in words (for a
    confirmation); None if it holds no records and no stored files.

    Example:
        >>> ln.setup.deletion_summary("mydata")
        'testuser1/mydata holds 3 record(s) (core_ulabel: 3) and 1 artifact file(s) in /home/me/mydata/.lamindb'
    """
    settings = _instance.load_instance(instance)
    if _foreign_owner(settings) is not None:
        return None
    state = ownership.inspect_database(settings)
    if not state.exists or (state.owner is not None and state.owner["uid"] != settings.uid):
        return None
    text, n_records, n_files = _what_is_deleted(settings, state)
    return text if n_records or n_files else None


def _artifact_files(settings: InstanceSettings) -> list[Path | str]:
    if settings.storage_is_cloud:
        # the objects under <prefix>/.lamindb/ but the marker (URLs)
        folder = object_store.join(settings.storage, ".lamindb")
        names = {rel.split("/")[0] for rel, _ in object_store.list_files(folder)}
        return [object_store.join(folder, name) for name in sorted(names) if not name.startswith("lamin.")]
    folder = Path(settings.storage) / ".lamindb"
    # stored artifacts: files and folders, but not the database, its lock, the marker,
    # nor the folder of the journals of saves (lamindb_core.recovery)
    return [
        p for p in folder.iterdir() if not p.name.startswith("lamin.") and p.name != ".pending"
    ] if folder.is_dir() else []


def _what_is_deleted(settings: InstanceSettings, state) -> tuple[str, int, int]:
    files = _artifact_files(settings)
    n_records = sum(state.records.values())
    details = ", ".join(f"{t}: {n}" for t, n in sorted(state.records.items(), key=lambda kv: -kv[1])[:5])
    parts = []
    if n_records:
        parts.append(f"{n_records} record(s) ({details})")
    if files:
        parts.append(f"{len(files)} artifact file(s) in {settings.storage}/.lamindb")
    text = f"{settings.slug} holds " + " and ".join(parts) if parts else f"{settings.slug} holds no records"
    return text, n_records, len(files)


def delete(instance: str, force: bool = False) -> None:
    """Delete an instance: its database, its stored artifact files and its registration.

    Only what the instance created goes: an embedded instance's SQLite file, or
    the PostgreSQL tables that it recorded as its own (tables of other
    applications in the same database stay). An instance that holds records or
    stored files is deleted only with ``force=True`` (``lamin-core delete`` asks
    instead). The storage folder itself, and files in it outside ``.lamindb``,
    stay: they are the user's.

    A registration whose database is gone (a dropped PostgreSQL database, a
    deleted SQLite file), or whose storage folder or database is now another
    instance's, is removed without touching anything else, with a warning.

    Raises:
        ln.errors.SetupError: it holds records or files and ``force`` is False;
            or its database cannot be reached (nothing is deleted).

    Example:
        >>> ln.setup.delete("mydata")               # an empty instance
        >>> ln.setup.delete("mydata", force=True)   # with its records and files
    """
    settings = _instance.load_instance(instance)
    foreign = _foreign_owner(settings)
    if foreign is not None:
        _unregister(settings, f"only its registration was removed: {foreign}")
        return
    state = ownership.inspect_database(settings)
    if not state.exists:
        _unregister(settings, f"its database {settings.db_display} does not exist anymore; only its registration was removed")
        return
    if state.owner is not None and state.owner["uid"] != settings.uid:
        _unregister(settings, f"only its registration was removed: its database belongs to the instance "
                    f"{state.owner['slug']} (uid {state.owner['uid']})")
        return
    if state.owner is None and state.legacy and not settings.is_embedded:
        raise SetupError(
            f"the database {settings.db_display} has no record of the tables that {settings.slug} created "
            f"(it was made by an older lamindb-core): connect to it once (ln.setup.connect('{settings.slug}')) "
            "so that it records them, then delete it"
        )
    summary, n_records, n_files = _what_is_deleted(settings, state)
    if (n_records or n_files) and not force:
        raise SetupError(
            f"{summary}; deleting the instance deletes them: pass force=True "
            "(lamin-core delete --force)"
        )
    was_current = _instance.forget_if_current(settings)
    lamindb_folder = settings.local_folder / ".lamindb"
    if settings.is_embedded:
        for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
            Path(str(settings.sqlite_path) + suffix).unlink(missing_ok=True)
    elif state.owner is not None:
        ownership.drop_owned_tables(settings)
    for path in _artifact_files(settings):
        if isinstance(path, str):
            object_store.remove(path, recursive=True)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    ownership.remove_storage_marker(settings)
    for release in ownership.on_delete_storage:
        release(lamindb_folder)
    pending = lamindb_folder / ".pending"
    if pending.is_dir() and not any(pending.iterdir()):
        pending.rmdir()
    if lamindb_folder.is_dir() and not any(lamindb_folder.iterdir()):
        lamindb_folder.rmdir()
    _instance.unregister_instance(settings.slug)
    logger.important(f"deleted instance {settings.slug}" + (" (it was the current one)" if was_current else ""))
    if was_current:
        context.reset()
        _instance.reactivate_after_delete()


def _foreign_owner(settings: InstanceSettings) -> str | None:
    # another registered instance with the same storage or database, or another
    # instance's marker in the storage folder: deleting would wipe its data
    for other in _instance.list_instances():
        if other.slug != settings.slug and (
            _same_storage(other.storage, settings.storage) or _same_database(settings, other)
        ):
            return f"the instance {other.slug} uses the same storage folder or database"
    try:
        marker = ownership.read_storage_marker(settings.storage)
    except SetupError:
        return None
    if marker is not None and marker["uid"] != settings.uid:
        return f"its storage folder {settings.storage} belongs to the instance {marker.get('slug', '?')}"
    return None


def _unregister(settings: InstanceSettings, why: str) -> None:
    was_current = _instance.forget_if_current(settings)
    _instance.unregister_instance(settings.slug)
    logger.warning(f"deleted the registration of {settings.slug}: {why}")
    if was_current:
        context.reset()
        _instance.reactivate_after_delete()


class StorageSettings:
    """A storage location as LaminDB's ``ln.setup.settings.storage`` shows it.

    A local folder (``type`` ``'local'``, ``root`` a ``Path``) or a bucket
    (``type`` ``'s3'``, ``root`` a universal_pathlib ``UPath``); reading
    ``root`` touches no database, ``record`` and ``uid`` do.

    Example:
        >>> storage = ln.setup.settings.storage
        >>> storage.root_as_str, storage.type
        ('/home/me/mydata', 'local')
    """

    def __init__(self, instance: InstanceSettings) -> None:
        self._instance = instance

    @property
    def root(self) -> Any:
        """The folder that holds the data, an absolute path; for a bucket, its ``UPath``."""
        if object_store.is_cloud(self._instance.storage):
            return object_store.upath(self._instance.storage)
        return Path(self._instance.storage).resolve()

    @property
    def root_as_str(self) -> str:
        """``root`` as a string with forward slashes, as LaminDB spells it (``s3://bucket/prefix``)."""
        if self.type_is_cloud:
            return object_store.root_url(self._instance.storage)
        return self.root.as_posix()

    @property
    def type(self) -> str:
        """The kind of location: ``'local'`` or ``'s3'``."""
        return "s3" if self.type_is_cloud else "local"

    @property
    def type_is_cloud(self) -> bool:
        """Whether the location is a bucket."""
        return object_store.is_cloud(self._instance.storage)

    @property
    def region(self) -> None:
        """The cloud region of a bucket; ``None`` for a local folder (and for buckets: not recorded)."""
        return None

    @property
    def record(self):
        """The ``ln.Storage`` record of this location (connects to the instance)."""
        return _instance.current_storage()

    @property
    def uid(self) -> str:
        """The uid of the ``ln.Storage`` record (connects to the instance)."""
        return self.record.uid

    def __fspath__(self) -> str:
        # ln.setup.settings.storage was the root's Path before it became this
        # object: Path(ln.setup.settings.storage) and open() keep working
        return str(self.root) if not self.type_is_cloud else self.root_as_str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageSettings) and self.root_as_str == other.root_as_str

    def __hash__(self) -> int:
        return hash(self.root_as_str)

    def __repr__(self) -> str:
        return f"StorageSettings(root='{self.root_as_str}', type='{self.type}')"


class Settings:
    """What this process uses: ``instance``, ``user``, ``storage``, ``cache_dir``.

    Example:
        >>> ln.setup.settings.instance.slug
        >>> ln.setup.settings.storage
    """

    @property
    def instance(self) -> InstanceSettings:
        """The current instance (the embedded default if none was set up)."""
        return _instance.current_instance()

    @property
    def user(self) -> UserSettings:
        """The local user."""
        return _instance.load_user()

    # the location that ln.settings.storage = path switched to, for one instance (None: its own folder)
    _switched: StorageSettings | None = None

    @property
    def storage(self) -> StorageSettings:
        """The storage location of the current instance, as LaminDB's ``StorageSettings``:
        its own folder, or the one that ``ln.settings.storage = path`` switched to in
        this process (as LaminDB, where both name the same location).

        Example:
            >>> ln.setup.settings.storage.root
            PosixPath('/home/me/mydata')
        """
        instance = self.instance
        switched = self._switched
        if switched is not None and getattr(switched, "instance_uid", None) == instance.uid:
            return switched
        return StorageSettings(instance)

    def _switch_storage(self, storage: StorageSettings | None) -> None:
        """Make ``storage`` the location of new artifacts in this process (``ln.settings.storage``);
        ``None`` goes back to the instance's own folder."""
        self._switched = storage

    @property
    def cache_dir(self) -> Path:
        """The folder for cached copies of data, ``<config folder>/cache``, or ``data/`` in
        ``LAMIN_CORE_CACHE_DIR`` (created on first use); bounded, see
        :data:`lamindb_core.object_store.CACHE_MAX_BYTES`. The other things kept in
        ``LAMIN_CORE_CACHE_DIR`` (``bio/``'s public tables, the ``schemas/`` of new instances)
        are not data and never trimmed with it.

        As in LaminDB, it is where local copies of data that lives elsewhere go; the
        stored files of an instance's own storage folder are never copied here
        (``artifact.cache()`` returns the stored file itself).

        Example:
            >>> ln.setup.settings.cache_dir
            PosixPath('/home/me/.lamin-core/cache')
        """
        path = user_cache_dir() / "data" if os.environ.get("LAMIN_CORE_CACHE_DIR") else config_home() / "cache"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def __repr__(self) -> str:
        inst, user = self.instance, self.user
        return (
            f"Current instance: {inst.slug}\n"
            f"  storage:  {inst.storage}\n"
            f"  database: {inst.db_display}\n"
            f"  modules:  {', '.join(inst.modules) or '-'}\n"
            f"User: {user.handle} ({user.name}, uid {user.uid})"
        )


settings = Settings()


class Migrate:
    """``ln.setup.migrate``: whether the current instance's schema is up to date.

    Example:
        >>> ln.setup.migrate.check()
        True
    """

    def check(self) -> bool:
        """True if the registries need no new migration and the database has applied
        every migration of its modules; what differs is printed otherwise.

        Registries defined in user code (the ``custom`` app) have no migrations and
        are not counted.
        """
        from django.apps import apps
        from django.db import connection
        from django.db.migrations.autodetector import MigrationAutodetector
        from django.db.migrations.executor import MigrationExecutor
        from django.db.migrations.state import ProjectState

        _instance.ensure_connected()
        executor = MigrationExecutor(connection)
        app_labels = {key[0] for key in executor.loader.graph.leaf_nodes()}
        changes = MigrationAutodetector(
            executor.loader.project_state(), ProjectState.from_apps(apps)
        ).changes(graph=executor.loader.graph)
        changes = {app: ops for app, ops in changes.items() if app in app_labels}
        applied = {app for app, _ in executor.loader.applied_migrations}
        plan = executor.migration_plan([key for key in executor.loader.graph.leaf_nodes() if key[0] in applied])
        for app, migrations in changes.items():
            logger.warning(f"the registries of {app} changed without a migration: {migrations}")
        if plan:
            logger.warning(f"migrations not applied yet: {[str(m) for m, _ in plan]}")
        return not changes and not plan


migrate = Migrate()


def django(command: str, *args, **kwargs) -> None:
    """Run a Django management command on the current instance, e.g. ``ln.setup.django("check")``.

    Raises:
        django.core.management.base.CommandError: the command failed (for
            ``check``: a system check found an error).
    """
    from django.core.management import call_command

    _instance.ensure_connected()
    call_command(command, *args, **kwargs)
