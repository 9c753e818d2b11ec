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

import re
import shutil
from pathlib import Path

from . import instance as _instance
from .context import context
from .errors import InstanceExists, SetupError
from .instance import KNOWN_MODULES, InstanceSettings, UserSettings
from .logger import logger

__all__ = ["init", "connect", "delete", "settings", "InstanceSettings", "UserSettings"]


def _normalize_modules(modules: str | list[str] | None) -> list[str]:
    if modules is None:
        return []
    if isinstance(modules, str):
        modules = [m.strip() for m in modules.split(",") if m.strip()]
    # LaminDB's guide says "bionty": it is this project's "bio"
    modules = ["bio" if m == "bionty" else m for m in modules]
    unknown = [m for m in modules if m not in KNOWN_MODULES]
    if unknown:
        raise SetupError(f"unknown module(s) {', '.join(unknown)}; available: {', '.join(KNOWN_MODULES)}")
    return sorted(set(modules))


def _name_from_storage(storage: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]", "-", storage.name.lower()).strip("-")
    return name or "default"


def _check_postgres(db: str) -> None:
    try:
        import psycopg
    except ImportError:
        raise SetupError(
            "a PostgreSQL instance needs the driver psycopg: pip install 'lamindb-core[postgres]'"
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
        modules: Extra registries, e.g. ``"bio"`` (also accepted: ``"bionty"``).

    Returns:
        The instance's settings. Running ``init`` again with the same storage and
        database connects to the existing instance.

    Example:
        >>> ln.setup.init(storage="./test-registries", modules="bio")
        → initialized lamindb: testuser1/test-registries
    """
    storage_path = Path(storage).expanduser().resolve()
    name = name or _name_from_storage(storage_path)
    _instance.check_name(name)
    modules = _normalize_modules(modules)
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
        if Path(existing.storage) == storage_path and existing.db == db:
            if set(modules) - set(existing.modules):
                existing.modules = sorted(set(existing.modules) | set(modules))
                _instance.register_instance(existing, overwrite=True)
            logger.important(f"instance {slug} exists already, connecting")
            return _switch(existing)
        raise InstanceExists(
            f"instance '{slug}' exists already with storage {existing.storage} and database "
            f"{existing.db_display}; choose another name or delete it: ln.setup.delete('{name}')"
        )
    if db is not None:
        _check_postgres(db)
    storage_path.mkdir(parents=True, exist_ok=True)
    settings = InstanceSettings(owner=user.handle, name=name, storage=str(storage_path), db=db, modules=modules)
    _instance.register_instance(settings)
    try:
        _switch(settings)
    except Exception:
        _instance.unregister_instance(settings.slug)
        raise
    logger.important(f"initialized lamindb: {settings.slug}")
    return settings


def _switch(settings: InstanceSettings) -> InstanceSettings:
    context.reset()
    _instance.activate(settings)
    _instance.ensure_connected()
    return settings


def connect(instance: str) -> InstanceSettings:
    """Connect to a registered instance, ``owner/name`` or ``name`` of the local user.

    Raises:
        ln.errors.InstanceNotFound: no such instance; the message lists those that exist.

    Example:
        >>> ln.setup.connect("testuser1/test-registries")
        → connected lamindb: testuser1/test-registries
    """
    settings = _instance.load_instance(instance)
    _switch(settings)
    logger.important(f"connected lamindb: {settings.slug}")
    return settings


def delete(instance: str, force: bool = False) -> None:
    """Delete an instance: its database and its registration.

    For an embedded instance the SQLite file goes; files that artifacts saved in
    the storage folder stay unless ``force=True``. For PostgreSQL the instance's
    tables are dropped from the database.

    Raises:
        ln.errors.SetupError: the storage holds artifact files and ``force`` is False.
    """
    settings = _instance.load_instance(instance)
    lamindb_folder = Path(settings.storage) / ".lamindb"
    # stored artifacts: files and folders, but not the database and its lock, nor
    # the folder of the journals of saves (lamindb_core.recovery)
    artifact_files = [
        p for p in lamindb_folder.iterdir() if not p.name.startswith("lamin.db") and p.name != ".pending"
    ] if lamindb_folder.exists() else []
    if artifact_files and not force:
        raise SetupError(
            f"the storage of {settings.slug} holds {len(artifact_files)} artifact file(s) in "
            f"{lamindb_folder}; pass force=True to delete them with the instance"
        )
    was_current = _instance.forget_if_current(settings)
    if settings.is_embedded:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(str(settings.sqlite_path) + suffix).unlink(missing_ok=True)
        if force and lamindb_folder.exists():
            shutil.rmtree(lamindb_folder)
        elif lamindb_folder.exists():
            pending = lamindb_folder / ".pending"
            if pending.is_dir() and not any(pending.iterdir()):
                pending.rmdir()
            if not any(lamindb_folder.iterdir()):
                lamindb_folder.rmdir()
    else:
        _instance.drop_schema(settings)
    _instance.unregister_instance(settings.slug)
    logger.important(f"deleted instance {settings.slug}" + (" (it was the current one)" if was_current else ""))
    if was_current:
        context.reset()
        _instance.reactivate_after_delete()


class Settings:
    """What this process uses: ``instance``, ``user``, ``storage``.

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

    @property
    def storage(self) -> Path:
        """The storage folder of the current instance."""
        return Path(self.instance.storage)

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
