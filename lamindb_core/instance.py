"""Instances in this process: how Django is configured, how the schema is made.

This is the only module that configures Django. Importing ``lamindb_core``
touches no database: Django is configured when a registry is first used, and
the database is opened (and migrated) by the first query, through Django's
``connection_created`` signal.

An instance is a database plus a storage folder, registered in the config folder
(:mod:`lamindb_core.config`, whose functions this module re-exports).

Optional modules (``bio``): an instance's schema has a module's tables only if it
was set up with the module (``ln.setup.init(..., modules="bio")``); only then are
the module's migrations run. Django's app registry is set once per process, so a
process loads the Django app of a module when it configures Django, if

- the instance it configures Django for uses the module, or
- an instance registered in the config folder uses it (the process may switch to
  it later: a notebook, the Jupyter server that follows the current instance), or
- the module's package was imported before (``import lamindb_core.bio``).

A registry of a loaded module, used on an instance without the module, raises
``ln.errors.MissingModule`` (saying how to add the module) before any SQL is sent;
Django's cascades find no rows in its tables. An instance whose module this
process did not load cannot be connected to (``MissingModule``, saying to restart
the process): Django cannot add an app once it is set up.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlparse

from . import collector, ownership, schema_template
from .config import (
    KNOWN_MODULES,
    MODULES,
    InstanceSettings,
    UserSettings,
    check_name,
    config_home,
    current_slug,
    list_instances,
    load_instance,
    load_user,
    process_instance,
    record_process_instance,
    register_instance,
    registered_at,
    registered_modules,
    save_user,
    set_current_slug,
    unregister_instance,
)
from .custom.tables import create_or_extend_table
from .errors import InstanceExists, InstanceNotFound, InstanceUnavailable, MissingModule, SetupError
from .logger import logger

__all__ = [
    # re-exported: they live in lamindb_core.config
    "InstanceSettings",
    "UserSettings",
    "config_home",
    "load_user",
    "save_user",
    "list_instances",
    "load_instance",
    "check_name",
    "register_instance",
    "unregister_instance",
    "current_slug",
    "set_current_slug",
    "process_instance",
    "record_process_instance",
    "KNOWN_MODULES",
    # this module's
    "current_instance",
    "ensure_django",
    "activate",
    "ensure_connected",
    "ensure_custom_table",
    "forget_if_current",
    "deactivate",
    "reactivate_after_delete",
    "current_user_id",
    "django_db_config",
    "libpq_url",
    "instance_alias",
    "loaded_modules",
    "check_modules_loaded",
    "absent_tables",
    "missing_module_error",
]

CORE_APP = "core"


# ---------------------------------------------------------------------------
# Django
# ---------------------------------------------------------------------------


def django_db_config(settings: InstanceSettings, create: bool = False) -> dict:
    """Django's ``DATABASES`` entry for an instance.

    An SQLite file is opened read-write and never created (``mode=rw``) unless
    ``create`` is True: only ``init`` (and the first use of the embedded
    default) creates a database; a missing file is an error, not a new empty
    instance.
    """
    if settings.db is None:
        if create:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            name = str(settings.sqlite_path)
        else:
            name = settings.sqlite_path.absolute().as_uri() + "?mode=rw"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # WAL lets readers and one writer work at once; the busy timeout
                # lets a second writing process wait instead of failing. FULL: each
                # commit is on disk before it returns, as the files it records are
                # (NORMAL, WAL's usual companion, may roll back the last commits
                # after a power cut or an OS crash: a saved record gone, its file kept)
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
            },
        }
    parsed = urlparse(settings.db)
    if parsed.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise SetupError(
            f"unsupported database URL {settings.db_display!r}: use postgresql://user@host:port/dbname"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }


class _State:
    """What this process has configured and connected."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.django_ready = False
        self.instance: InstanceSettings | None = None
        self.schema_ready = False
        self.ensuring = False
        self.user_id: int | None = None
        # the current instance's Storage record, read when the schema is ready
        self.storage: Any = None
        self.custom_models: dict[str, type] = {}
        # whether the current instance is being created: only then may its
        # database be created (see check_openable)
        self.may_create = False
        # why this process has no instance after a failed init or connect (deactivate)
        self.blocked: str | None = None
        # the modules whose Django apps are loaded, and the instance Django was set up for
        self.loaded_modules: frozenset[str] = frozenset()
        self.django_instance: str | None = None
        # the instances read through instance_alias(), by database alias
        self.alias_instances: dict[str, InstanceSettings] = {}
        # the tables that a schema lacks, by the modules it has: {table: (registry, module)}
        self.absent_tables: dict[tuple[str, ...], dict[str, tuple[type, str]]] = {}
        # the schema of a new PostgreSQL instance, being made while Django sets up
        self.new_schema: schema_template.SqliteCopy | schema_template.PostgresReplay | None = None


_state = _State()


def current_instance() -> InstanceSettings:
    """The instance this process uses; sets up the embedded default if there is none.

    The default instance is created the first time no instance is set up; a
    one-line message says where it lives.
    """
    if _state.instance is not None:
        return _state.instance
    if _state.blocked is not None:
        raise SetupError(_state.blocked)
    slug = current_slug()
    if slug is not None:
        try:
            return load_instance(slug)
        except InstanceNotFound:
            pass
    user = load_user()
    default_slug = f"{user.handle}/default"
    try:
        settings = load_instance(default_slug)
        _wait_for_storage_marker(settings)
    except InstanceNotFound:
        storage = config_home() / "default-instance"
        settings = InstanceSettings(owner=user.handle, name="default", storage=str(storage))
        try:
            register_instance(settings)
        except InstanceExists:  # a process that started at the same time made it
            settings = load_instance(default_slug)
            _wait_for_storage_marker(settings)
        else:
            ownership.write_storage_marker(settings, created=False)
            logger.important(
                f"no instance was set up: created the embedded default instance "
                f"'{settings.slug}' in {storage}"
            )
    set_current_slug(settings.slug)
    return settings


def _wait_for_storage_marker(settings: InstanceSettings) -> None:
    # the default instance registered moments ago by a process that started at the same time:
    # its storage marker follows the registration (without it, check_openable takes the
    # instance for one whose database was lost)
    if settings.is_embedded:
        ownership.wait_for_storage_marker(settings.local_folder, registered_at(settings.slug))


def check_openable(instance: InstanceSettings) -> bool:
    """Whether this process may create the database of ``instance`` (it is being set up).

    An instance whose storage marker says its database was created, or that
    was made before markers existed, must find its database: a missing SQLite
    file or storage folder is an error that names it, never a new empty
    instance.

    Raises:
        InstanceUnavailable: the database or the storage folder is missing.
        SetupError: another instance uses the storage folder.
    """
    # a bucket's instance: the copy of its marker in the local folder (opening needs no bucket)
    storage = instance.local_folder
    marker = ownership.read_storage_marker(storage)
    if marker is not None and marker["uid"] != instance.uid:
        raise SetupError(
            f"the storage folder {storage} of the instance {instance.slug} is used by the instance "
            f"{marker.get('slug', '?')} (uid {marker['uid']}): was the folder replaced? Restore it, or "
            f"remove the registration: ln.setup.delete('{instance.slug}')"
        )
    if marker is not None and not marker.get("created"):
        return True
    if instance.is_embedded and not instance.sqlite_path.is_file():
        hint = (
            f"only ln.setup.init creates databases: restore it, or remove the registration with "
            f"ln.setup.delete('{instance.slug}')"
        )
        if not storage.is_dir():
            raise InstanceUnavailable(
                f"the storage folder {storage} of the instance {instance.slug} is missing (moved, "
                f"renamed or unmounted?), and with it the database {instance.sqlite_path}; {hint}"
            )
        raise InstanceUnavailable(
            f"the database of the instance {instance.slug} is missing: {instance.sqlite_path} "
            f"does not exist; {hint}"
        )
    return False


def _modules_to_load(instance: InstanceSettings) -> set[str]:
    # see the module's docstring: the modules of this instance, of every registered
    # one (the process may switch to it), and those imported already
    imported = {m for m, app in MODULES.items() if app in sys.modules}
    return set(instance.modules) | registered_modules() | imported


def loaded_modules() -> frozenset[str]:
    """The modules whose registries this process loaded when it configured Django (``{"bio"}``)."""
    ensure_django()
    return _state.loaded_modules


def _add_module_hint(instance: InstanceSettings, module: str) -> str:
    # the exact call that adds a module to an existing instance
    db = "" if instance.db is None else ", db=<its database URL>"
    return (
        f"ln.setup.init(storage={instance.storage!r}, name={instance.name!r}{db}, modules={module!r}) "
        f"adds it, and the instance keeps its data"
    )


def check_modules_loaded(instance: InstanceSettings) -> None:
    """Raise unless this process loaded every module that ``instance`` uses.

    Django's app registry is set once per process, when Django is configured
    (see the module's docstring); a process that configured it without a module
    cannot use an instance with that module.

    Raises:
        ln.errors.MissingModule: naming the modules, and the fix: restart the
            process, or import the module before the first query.
    """
    if not _state.django_ready:
        return  # Django will be configured with the instance's modules
    missing = sorted(set(instance.modules) - _state.loaded_modules)
    if not missing:
        return
    names = ", ".join(missing)
    imports = "; ".join(f"import {MODULES[m]}" for m in missing)
    raise MissingModule(
        f"the instance {instance.slug} uses the module(s) {names}, which this process did not load: it set up "
        f"Django for {_state.django_instance}, without them, and Django cannot add them later. Restart Python "
        f"(in a notebook: restart the kernel) and run this again; to switch between instances with and without "
        f"{names} in one process, run `{imports}` before the first query"
    )


def _instance_at(using: str) -> InstanceSettings | None:
    # the instance whose database Django knows as `using`
    return _state.instance if using == "default" else _state.alias_instances.get(using)


def absent_tables(using: str = "default") -> dict[str, tuple[type, str]]:
    """The tables of loaded modules that the instance at the database alias ``using``
    lacks, as ``{table: (registry, module)}``: empty when it has every loaded module.

    An instance set up without a module has none of its tables, although this
    process knows its registries (another instance uses it).

    Example:
        >>> "bio_gene" in absent_tables()   # on an instance set up without bio
        True
    """
    instance = _instance_at(using)
    if instance is None or not _state.loaded_modules:
        return {}
    if using == "default" and not _state.schema_ready and not _state.ensuring:
        # connecting may find that the instance has a module it does not list
        # (_adopt_applied_modules): its modules are known only then
        ensure_connected()
    key = tuple(instance.modules)
    tables = _state.absent_tables.get(key)
    if tables is None:
        from django.apps import apps

        tables = {}
        for module in sorted(_state.loaded_modules - set(instance.modules)):
            for model in apps.get_app_config(module).get_models(include_auto_created=True):
                tables[model._meta.db_table] = (model, module)
        _state.absent_tables[key] = tables
    return tables


def missing_module_error(table: str, using: str = "default") -> MissingModule:
    """The error for a query or save that needs ``table`` (one of ``absent_tables(using)``).

    Example:
        >>> raise missing_module_error("bio_gene")
        MissingModule: Gene is a registry of the module 'bio', which the instance testuser1/plain
        was set up without (it has no bio tables): ln.setup.init(storage='/data/plain', name='plain',
        modules='bio') adds it, and the instance keeps its data
    """
    model, module = absent_tables(using)[table]
    instance = _instance_at(using)
    return MissingModule(
        f"{model.__name__} is a registry of the module {module!r}, which the instance {instance.slug} was set up "
        f"without (it has no {module} tables): {_add_module_hint(instance, module)}"
    )


def ensure_django() -> None:
    """Configure Django for the current instance (no database is opened)."""
    if _state.django_ready:
        return
    with _state.lock:
        if _state.django_ready:
            return
        import django
        from django.apps import apps
        from django.conf import settings as django_settings
        from django.db.backends.signals import connection_created

        instance = current_instance()
        may_create = check_openable(instance)
        # notebooks run cells inside an event loop: Django would refuse every query
        # as "async unsafe" although the kernel runs them one at a time
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        if not django_settings.configured:
            modules = _modules_to_load(instance)
            django_settings.configure(
                INSTALLED_APPS=["lamindb_core", *(MODULES[m] for m in KNOWN_MODULES if m in modules), "lamindb_core.custom"],
                DATABASES={"default": django_db_config(instance, create=may_create)},
                USE_TZ=True,
                TIME_ZONE="UTC",
                DEFAULT_AUTO_FIELD="django.db.models.AutoField",
                MIGRATION_MODULES={"custom": None},
                LOGGING_CONFIG=None,
            )
            # all that django.setup() does with these settings (no logging set-up, no URLs):
            # without the imports of its URL resolver and e-mail logging, which no registry
            # uses (about 15 ms of each process's first query)
            apps.populate(django_settings.INSTALLED_APPS)
        else:
            django.setup()  # Django configured by the process's own code: as it expects
        connection_created.connect(_on_connection_created, dispatch_uid="lamindb_core")

        _state.loaded_modules = frozenset(m for m, app in MODULES.items() if apps.is_installed(app))
        _state.django_instance = instance.slug
        _state.instance = instance
        _state.may_create = may_create
        _state.django_ready = True
    record_process_instance(instance.slug)


def activate(instance: InstanceSettings, remember: bool = True) -> None:
    """Make ``instance`` the one this process uses, closing any open connection.

    ``remember`` makes it the current instance of the config folder, which the next
    process uses; the Jupyter server extension switches without it, for one request.

    Django's connections are per thread: this thread's connection is replaced
    at once, and a thread that opens its first connection afterwards gets the new
    instance. A thread that already holds a connection keeps the old instance until
    it closes it (``django.db.connection.close()``); the Jupyter server extension
    therefore runs every query, and every switch, in one thread of its own.
    """
    with _state.lock:
        check_modules_loaded(instance)
        may_create = check_openable(instance)
        if remember:
            set_current_slug(instance.slug)
            record_process_instance(instance.slug)
        if not _state.django_ready:
            _state.instance = instance
            _state.blocked = None
            return
        _replace_default_connection(django_db_config(instance, create=may_create))
        _state.instance = instance
        _state.may_create = may_create
        _state.blocked = None
        _state.schema_ready = False
        _state.user_id = None
        _state.storage = None


def deactivate(reason: str) -> None:
    """Leave this process without an instance: every query raises ``SetupError(reason)``
    until ``activate`` (``init`` or ``connect``) succeeds.

    For a failed ``init`` or ``connect``: the process must neither go on writing
    into the instance it used before nor create one that nobody asked for.
    """
    with _state.lock:
        _state.instance = None
        _state.schema_ready = False
        _state.user_id = None
        _state.storage = None
        _state.may_create = False
        _state.blocked = reason
        if _state.django_ready:
            _replace_default_connection({"ENGINE": "lamindb_core.noinstance", "NAME": "", "OPTIONS": {"reason": reason}})


def _replace_default_connection(config: dict) -> None:
    # close this thread's default connection; the next use opens one with config
    from django.db import connections

    connections["default"].close()
    configured = connections.configure_settings({"default": config})
    connections.settings["default"] = configured["default"]
    del connections["default"]


def forget_if_current(instance: InstanceSettings) -> bool:
    """Before ``instance`` is deleted: stop using it in this process.

    If this process was using it, the connection is closed and the process
    switches to the instance that a fresh process would use (the embedded
    default when no other is current). Returns whether it was current, in this
    process or for the next one.
    """
    with _state.lock:
        in_use = _state.instance is not None and _state.instance.slug == instance.slug
        was_current = current_slug() == instance.slug
        if was_current:
            (config_home() / "current-instance").unlink(missing_ok=True)
        if not in_use:
            return was_current
        if not _state.django_ready:
            _state.instance = None
            return True
        from django.db import connections

        connections["default"].close()
        _state.instance = None
        _state.schema_ready = False
        _state.user_id = None
        _state.storage = None
    return True


def reactivate_after_delete() -> None:
    """After the current instance was deleted: point Django at the next current one."""
    if _state.django_ready and _state.instance is None:
        activate(current_instance())


def instance_alias(identifier: str) -> str:
    """The Django database alias for reading another registered instance, added on first use.

    The connection is read-only (SQLite ``PRAGMA query_only``, PostgreSQL
    ``default_transaction_read_only``) and is never migrated. The current
    instance is ``"default"``.

    Raises:
        InstanceNotFound: no such instance; the message lists the registered ones.
        SetupError: its SQLite file does not exist.

    Example:
        >>> ln.ULabel.objects.using(instance_alias("testuser1/other")).count()
    """
    settings = load_instance(identifier)
    ensure_django()
    if settings.slug == current_instance().slug:
        return "default"
    from django.db import connections

    alias = settings.slug
    with _state.lock:
        # the instance's modules say which tables its database has (absent_tables)
        _state.alias_instances[alias] = settings
        if alias in connections.settings:
            return alias
        if settings.is_embedded:
            if not settings.sqlite_path.is_file():
                raise SetupError(f"instance {settings.slug} has no database at {settings.sqlite_path}")
            config = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(settings.sqlite_path),
                "OPTIONS": {"init_command": "PRAGMA query_only = ON;", "timeout": 30},
            }
        else:
            config = django_db_config(settings)
            config["OPTIONS"] = {"options": "-c default_transaction_read_only=on"}
        configured = connections.configure_settings({"default": dict(config), alias: config})
        connections.settings[alias] = configured[alias]
    return alias


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old limit of 999 parameters per statement, which
        # cuts bulk inserts into batches of ~70 rows; SQLite >= 3.32 takes 32,766
        if connection.Database.sqlite_version_info >= (3, 32):
            connection.features.max_query_params = 32766
    if connection.alias == "default" and not _state.schema_ready and not _state.ensuring:
        _ensure_schema(connection)


def ensure_connected() -> None:
    """Open the database of the current instance, migrating it if needed."""
    ensure_django()
    from django.db import OperationalError, connection

    if _state.new_schema is not None:
        _state.new_schema.wait()
    if _state.may_create and not _state.schema_ready and connection.connection is None:
        _copy_template(connection, _state.instance)
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        instance = _state.instance
        reason = " ".join(str(exc).split())
        if _state.may_create:
            raise SetupError(f"cannot create the database {instance.db_display}: {reason}") from None
        raise InstanceUnavailable(
            f"cannot connect to the database {instance.db_display} of the instance {instance.slug}: "
            f"{reason}; if the database is gone for good, remove the registration: "
            f"ln.setup.delete('{instance.slug}')"
        ) from None
    if not _state.schema_ready:
        _ensure_schema(connection)


def _ensure_schema(connection) -> None:
    """Migrate the schema, add the local user, the default space and the storage."""
    with _state.lock:
        if _state.schema_ready or _state.ensuring:
            return
        _state.ensuring = True
        try:
            instance = _state.instance
            with ownership.schema_lock(connection, Path(str(instance.sqlite_path) + ".lock") if instance.is_embedded else None):
                # the tables, listed once per connection (on PostgreSQL a catalog query of
                # 1-4 ms); again only where migrations or custom registries may add some
                tables = _table_names(connection)
                # a new database starts from the template of its schema, if one is kept (an
                # embedded one is a copy of it, made before connecting: _copy_template)
                fresh = _state.may_create and not tables
                before = _claim_database(connection, instance, tables)
                adds_tables = False
                try:
                    applied = _applied_migrations(connection, before)
                    _adopt_applied_modules(applied, instance)
                    # an instance's schema has the tables of the modules it was set up with
                    apps = _schema_apps(instance)
                    if _migration_files(apps) <= applied:
                        # every migration is applied (each connection's case): Django's
                        # migration graph, which imports every migration, is not needed
                        plan = []
                    else:
                        from django.db.migrations.executor import MigrationExecutor

                        executor = MigrationExecutor(connection)
                        targets = [key for key in executor.loader.graph.leaf_nodes() if key[0] in apps]
                        plan = executor.migration_plan(targets)
                    adds_tables = bool(plan or _state.custom_models)
                    if plan and fresh and _from_template(connection, instance, apps, plan):
                        plan = []  # the template applied exactly the plan's migrations
                    elif plan and fresh:
                        with schema_template.recording(connection) as statements, collector.sparing():
                            executor.migrate(targets, plan=plan)
                        schema_template.save(connection, apps, statements, drop_tables=[ownership.DB_MARKER_TABLE])
                    elif plan:
                        with collector.sparing():
                            executor.migrate(targets, plan=plan)
                    _seed(connection, instance, plan)
                    for model in _state.custom_models.values():
                        create_or_extend_table(connection, model, _state.instance)
                finally:
                    # also after a failure: what was made is the instance's, to drop
                    if adds_tables:
                        _record_new_tables(connection, instance, before)
                _claim_storage(instance)
            _state.schema_ready = True
        finally:
            _state.ensuring = False


def _from_template(connection, instance: InstanceSettings, apps: tuple[str, ...], plan: list) -> bool:
    # PostgreSQL: the template's statements, in the claimed empty database
    return schema_template.restore(connection, apps, {(m.app_label, m.name) for m, _ in plan})


def _copy_template(connection, instance: InstanceSettings) -> None:
    """A new embedded instance: make its database file a copy of the template of its schema,
    if one is kept, before the first connection creates an empty one (unless :func:`new_schema`
    made it already)."""
    path = instance.sqlite_path
    if connection.vendor != "sqlite" or not instance.is_embedded or os.path.lexists(path):
        return
    with ownership.schema_lock(connection, Path(str(path) + ".lock")):
        if os.path.lexists(path) or os.path.lexists(f"{path}-wal"):
            return
        # what an empty database needs: every migration of the schema's apps
        apps = _schema_apps(instance)
        schema_template.copy_sqlite(
            schema_template.sqlite_template_path(apps), path, _migration_files(apps), _sqlite_marker(instance)
        )


def _sqlite_marker(instance: InstanceSettings):
    # the file appears whole, marked as the instance's: a process that opens it next (the default
    # instance, made by the first of several) finds it owned
    return lambda conn: ownership.mark_sqlite_copy(conn, instance)


def _migration_files(apps: tuple[str, ...]) -> set[tuple[str, str]]:
    """The migrations of ``apps`` as ``(app, name)``: the modules of their migrations packages, as
    Django's loader finds them, read from the folders without importing a migration (and without
    Django: a new PostgreSQL instance's schema is made while Django sets up)."""
    import importlib
    import pkgutil

    packages = {CORE_APP: "lamindb_core", **MODULES}
    found = set()
    for label in apps:
        package = importlib.import_module(f"{packages[label]}.migrations")
        found.update((label, name) for _, name, is_pkg in pkgutil.iter_modules(package.__path__) if not is_pkg and name[0] not in "_~")
    return found


@contextlib.contextmanager
def new_schema(instance: InstanceSettings) -> Iterator[None]:
    """Inside the block, the schema of the new instance ``instance`` is made from the template of
    its schema on a thread of its own (if the template is kept and there is no database yet):
    an embedded instance's database file is a copy of it (:class:`schema_template.SqliteCopy`),
    a PostgreSQL instance's schema is made on a connection of its own in its empty database
    (:class:`schema_template.PostgresReplay`); either marked as the instance's before anyone else
    sees it. :func:`ensure_connected` waits for it once Django is set up, and finds the schema
    made. On leaving the block, the work is cancelled if it has not ended: a failed ``init``
    leaves nothing made behind its back."""
    apps = _schema_apps(instance)
    if instance.is_embedded:
        path = instance.sqlite_path
        if not check_openable(instance) or os.path.lexists(path):
            yield  # not a new database: the usual path decides what it is
            return
        # (the template's name here: the thread's Python work would compete with Django's for the GIL)
        work = schema_template.SqliteCopy(
            path, schema_template.sqlite_template_path(apps), _migration_files(apps), Path(str(path) + ".lock"),
            _sqlite_marker(instance),
        )
    else:
        work = schema_template.PostgresReplay(
            ownership.libpq_url(instance.db), apps, _migration_files(apps), ownership.PG_LOCK_KEY,
            lambda conn, tables: ownership.create_db_marker(conn, instance, tables),
        )
    _state.new_schema = work
    try:
        yield
    finally:
        _state.new_schema = None
        work.cancel()


def _adopt_applied_modules(applied_migrations: set[tuple[str, str]], instance: InstanceSettings) -> None:
    # an instance made before modules were optional has every module's tables and lists
    # none: the migrations its database has applied say which modules it has, so its
    # bio records stay reachable (its registration is updated, once)
    applied = {app for app, _ in applied_migrations}
    adopted = sorted(m for m in KNOWN_MODULES if m in applied and m not in instance.modules)
    if not adopted:
        return
    instance.modules = sorted({*instance.modules, *adopted})
    _state.absent_tables.clear()
    try:
        load_instance(instance.slug)
    except InstanceNotFound:
        pass  # not registered (a database opened by URL): nothing to update
    else:
        register_instance(instance, overwrite=True)
    logger.info(f"the instance {instance.slug} has the tables of {', '.join(adopted)}: listed among its modules")


def _table_names(connection) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _schema_apps(instance: InstanceSettings) -> tuple[str, ...]:
    # the Django apps whose migrations make the instance's schema
    return (CORE_APP, *(m for m in KNOWN_MODULES if m in instance.modules))


def _model_tables() -> set[str]:
    # the tables of the registries of lamindb_core and its loaded modules, link tables included
    from django.apps import apps

    tables = set()
    for label in (CORE_APP, *sorted(_state.loaded_modules)):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return tables


_MIGRATIONS_TABLE = "django_migrations"  # MigrationRecorder.Migration._meta.db_table


def _applied_migrations(connection, tables: set[str]) -> set[tuple[str, str]]:
    # the (app, name) of the migrations the database records, in the table of Django's
    # MigrationRecorder (which would list the tables again to see whether it exists; importing
    # it imports all of django.db.migrations, about 4 ms of a process that migrates nothing)
    table = _MIGRATIONS_TABLE
    if table not in tables:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {connection.ops.quote_name(table)}")
        return {(app, name) for app, name in cursor.fetchall()}


def _claim_database(connection, instance: InstanceSettings, tables: set[str]) -> set[str]:
    """Check that the database (whose tables are ``tables``) is this instance's, or mark it
    so; return its tables.

    Raises:
        SetupError: another instance owns it; or it holds no instance although
            this one was created (dropped, emptied or replaced); or, while this
            instance is being created, it holds the tables of an instance made
            before ownership was recorded.
    """
    marker = ownership.read_db_marker(connection, tables)
    if marker is not None:
        if marker["uid"] != instance.uid:
            raise SetupError(
                f"the database {instance.db_display} belongs to the instance {marker['slug']} "
                f"(uid {marker['uid']}), not to {instance.slug}: two instances cannot share a "
                f"database; use another database, or connect to {marker['slug']}"
            )
        return tables
    legacy = sorted(tables & _model_tables())
    if legacy and _state.may_create:
        raise SetupError(
            f"the database {instance.db_display} holds the tables of another lamindb-core instance "
            f"({', '.join(legacy[:3])}, ...): two instances cannot share a database; use another database"
        )
    if not legacy and not _state.may_create:
        raise InstanceUnavailable(
            f"the database {instance.db_display} of the instance {instance.slug} holds no instance "
            f"(was it dropped, emptied or replaced?); only ln.setup.init creates databases: restore it, "
            f"or remove the registration with ln.setup.delete('{instance.slug}')"
        )
    # an instance made before ownership was recorded owns the tables of its registries
    ownership.create_db_marker(connection, instance, legacy)
    return tables | {ownership.DB_MARKER_TABLE}


def _record_new_tables(connection, instance: InstanceSettings, before: set[str]) -> None:
    try:
        ownership.record_tables(connection, instance.uid, _table_names(connection) - before)
    except Exception:
        if connection.in_atomic_block or not connection.is_usable():
            return  # a failed migration's error is the one to show
        raise


def _claim_storage(instance: InstanceSettings) -> None:
    # the database exists now: say so in the storage marker (made at registration,
    # or now for an instance made before markers existed)
    storage = instance.local_folder
    marker = ownership.read_storage_marker(storage)
    if marker is not None and marker.get("created"):
        return
    if marker is None and not storage.is_dir():
        return  # a PostgreSQL instance whose storage folder is not there (yet)
    ownership.write_storage_marker(instance, created=True)
    _state.may_create = False


@dataclass
class _Seeded:
    """What the ``post_migrate`` handlers tell this process about the rows they made."""

    user_id: int | None = None  # the local user's id in the User registry
    storage: Any = None  # the Storage record of the instance's folder


def _seed(connection, instance: InstanceSettings, plan: list) -> None:
    """Send ``post_migrate`` to the apps of the schema, as Django's ``migrate`` does;
    their handlers add the rows every instance starts with (the core app's: the
    local user, the space ``all``, the storage)."""
    from django.apps import apps
    from django.db import transaction
    from django.db.models.signals import post_migrate

    seeded = _Seeded()
    # a new instance's rows in one transaction: all or none, one commit. Not on each connection
    # to an existing one, whose seeds only read (SQLite's transactions take the write lock at
    # BEGIN: the first query would wait for any other process's write)
    with transaction.atomic(using=connection.alias) if _state.may_create else contextlib.nullcontext():
        for label in _schema_apps(instance):
            config = apps.get_app_config(label)
            post_migrate.send(
                sender=config, app_config=config, verbosity=0, interactive=False, using=connection.alias,
                apps=apps, plan=plan, instance=instance, seeded=seeded,
            )
    _state.user_id = seeded.user_id
    _state.storage = seeded.storage


def current_storage() -> Any:
    """The ``Storage`` record of the current instance's folder (a copy: changing it
    changes no other artifact's).

    It is read once per connection to an instance, not once per artifact.
    """
    if _state.storage is None or not _state.schema_ready:
        ensure_connected()
    storage = _state.storage
    if storage is None:
        raise SetupError(f"the storage of the instance {current_instance().slug} is not registered")
    return copy.copy(storage)


def current_user_id() -> int:
    """The id of the local user in the current instance's ``User`` registry."""
    if _state.user_id is None:
        ensure_connected()
    return _state.user_id


# ---------------------------------------------------------------------------
# registries defined in user code (notebook cells, scripts)
# ---------------------------------------------------------------------------


def ensure_custom_table(model: type) -> None:
    """Create the table of a registry defined in user code, or add new columns.

    Called when such a class is defined; running the cell again with a field
    added adds its column. Columns are never dropped: their data stays. A field
    whose type changed gets a column of the new type while the table is empty;
    once it holds records the change is refused (``ln.errors.ValidationError``,
    naming the field and both types), and the previous definition stays in use.
    """
    label = model._meta.label_lower
    previous = _state.custom_models.get(label)
    _state.custom_models[label] = model
    ensure_django()
    from django.db import connection

    try:
        connection.ensure_connection()
        if _state.schema_ready:
            create_or_extend_table(connection, model, _state.instance)
    except BaseException:
        if previous is None:
            _state.custom_models.pop(label, None)
        else:
            _state.custom_models[label] = previous
        raise


libpq_url = ownership.libpq_url
