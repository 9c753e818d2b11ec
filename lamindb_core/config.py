"""The config folder: the local user and the registered instances.

Instances are recorded as JSON files in a config folder, ``~/.lamin-core`` by
default, or the folder named by the environment variable ``LAMIN_CORE_HOME``::

    $LAMIN_CORE_HOME/
        user.json                       # the local user: handle, name, uid
        current-instance                # "owner/name" of the last-connected one
        instances/owner--name.json      # one file per instance
        processes/<pid>.json            # the instance each running process uses

Nothing here imports Django: :mod:`lamindb_core.instance` configures Django for
the instance that these files describe.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from . import object_store
from .errors import InstanceExists, InstanceNotFound, SetupError
from .logger import logger
from .uids import base62_8, base62_12

__all__ = [
    "InstanceSettings",
    "UserSettings",
    "config_home",
    "user_cache_dir",
    "load_user",
    "save_user",
    "list_instances",
    "load_instance",
    "check_name",
    "register_instance",
    "registered_at",
    "unregister_instance",
    "current_slug",
    "set_current_slug",
    "process_instance",
    "record_process_instance",
    "MODULES",
    "KNOWN_MODULES",
    "normalize_modules",
    "registered_modules",
]

# the optional modules: name (also the label of its Django app) -> the package of its Django app
MODULES = {"bio": "lamindb_core.bio"}
KNOWN_MODULES = tuple(MODULES)
# LaminDB's names for them: its guide says ``lamin init --modules bionty``
MODULE_ALIASES = {"bionty": "bio"}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SLUG_PATTERN = re.compile(r"^[\w-]+/[\w-]+$")


def config_home() -> Path:
    """The config folder: ``$LAMIN_CORE_HOME`` or ``~/.lamin-core``."""
    home = os.environ.get("LAMIN_CORE_HOME")
    path = Path(home).expanduser() if home else Path.home() / ".lamin-core"
    where = f"LAMIN_CORE_HOME={home}" if home else str(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SetupError(f"the config folder {where} is a file, not a folder: point LAMIN_CORE_HOME at a folder") from None
    except OSError as exc:
        raise SetupError(f"cannot create the config folder {where}: {exc.strerror or exc}") from None
    return path


def user_cache_dir() -> Path:
    """The user's cache folder of lamindb-core (created on first use): ``$LAMIN_CORE_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/lamindb-core``, else ``~/.cache/lamindb-core``.

    It holds what any instance may reuse: the reduced public tables of ``bio`` and the schema
    templates of new instances. Deleting it loses nothing but time.
    """
    root = os.environ.get("LAMIN_CORE_CACHE_DIR")
    if root:
        path = Path(root).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "lamindb-core"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _read_json(path: Path, what: str) -> dict:
    # a config file as a dict; a damaged one is an error that names it
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise SetupError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SetupError(
            f"{what} {path} is damaged ({exc}): repair it, or remove it to start afresh"
        ) from None
    if not isinstance(data, dict):
        raise SetupError(f"{what} {path} is damaged (not a JSON object): repair it, or remove it to start afresh")
    return data


def _tmp_path(path: Path) -> Path:
    # one name per process and thread: two processes writing at once must not share it
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _write_json(path: Path, data: dict) -> None:
    # write-then-rename so that a crash never leaves half a config file
    tmp = _tmp_path(path)
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def _create_json(path: Path, data: dict) -> bool:
    """Write ``path`` only if it does not exist, atomically; return whether this call wrote it.

    Two processes that start at once (two notebooks) must agree on one user and
    one default instance: the first to link its complete file wins.
    """
    tmp = _tmp_path(path)
    tmp.write_text(json.dumps(data, indent=2))
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links
        try:
            with open(path, "x") as handle:
                handle.write(tmp.read_text())
            return True
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class UserSettings:
    """The local user: ``handle`` (as in ``owner/name``), display ``name``, ``uid``."""

    handle: str
    name: str
    uid: str


def _os_user() -> tuple[str, str]:
    try:
        login = getpass.getuser()
    except Exception:  # no passwd entry, e.g. in some containers
        login = "user"
    handle = re.sub(r"[^a-z0-9_-]", "-", login.lower()).strip("-") or "user"
    full_name = login
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
        full_name = gecos or login
    except Exception:
        pass
    return handle, full_name


def load_user() -> UserSettings:
    """The local user, from ``user.json``; made from the OS account the first time."""
    path = config_home() / "user.json"
    if path.exists():
        data = _read_json(path, "the user file")
        missing = [k for k in ("handle", "name", "uid") if not isinstance(data.get(k), str)]
        if missing:
            raise SetupError(
                f"the user file {path} is damaged (no {', '.join(missing)}): repair it, or remove it "
                "to make a new local user"
            )
        return UserSettings(handle=data["handle"], name=data["name"], uid=data["uid"])
    handle, name = _os_user()
    user = UserSettings(handle=handle, name=name, uid=base62_8())
    if not _create_json(path, asdict(user)):
        return load_user()  # another process made it first
    return user


def save_user(user: UserSettings) -> None:
    """Write the local user to ``user.json``."""
    _write_json(config_home() / "user.json", asdict(user))


@dataclass
class InstanceSettings:
    """An instance: its identity, storage folder, database and modules.

    ``db`` is ``None`` for the embedded default (an SQLite file inside the
    storage folder) or a ``postgresql://`` URL.
    """

    owner: str
    name: str
    storage: str
    db: str | None = None
    modules: list[str] = field(default_factory=list)
    uid: str = field(default_factory=base62_12)

    @property
    def slug(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    @property
    def is_embedded(self) -> bool:
        """True for an SQLite instance."""
        return self.db is None

    @property
    def storage_is_cloud(self) -> bool:
        """True if the storage is a bucket (``s3://bucket/prefix``), not a local folder."""
        return object_store.is_cloud(self.storage)

    @property
    def local_folder(self) -> Path:
        """The local folder of the instance: its storage folder, or for storage in a bucket
        ``<config folder>/cloud-instances/<owner>/<name>`` (the SQLite file of an embedded
        instance lives in its ``.lamindb``)."""
        if self.storage_is_cloud:
            return config_home() / "cloud-instances" / self.owner / self.name
        return Path(self.storage)

    @property
    def sqlite_path(self) -> Path:
        """Where the SQLite file of an embedded instance lives: ``<local_folder>/.lamindb/lamin.db``."""
        return self.local_folder / ".lamindb" / "lamin.db"

    @property
    def db_display(self) -> str:
        """The database, for messages: the SQLite path or the URL without password."""
        if self.db is None:
            return f"sqlite:///{self.sqlite_path}"
        parsed = urlparse(self.db)
        netloc = parsed.hostname or ""
        if parsed.port:
            netloc += f":{parsed.port}"
        if parsed.username:
            netloc = f"{parsed.username}@{netloc}"
        return f"{parsed.scheme}://{netloc}{parsed.path}"


def normalize_modules(modules: str | list[str] | None) -> list[str]:
    """The module names of ``init(modules=...)``, checked and sorted: ``"bionty,bio"`` → ``["bio"]``.

    Raises:
        SetupError: an unknown module; the message names the available ones.

    Example:
        >>> normalize_modules("bionty")
        ['bio']
    """
    if modules is None:
        return []
    if isinstance(modules, str):
        modules = [m.strip() for m in modules.split(",") if m.strip()]
    modules = [MODULE_ALIASES.get(m, m) for m in modules]
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise SetupError(f"unknown module(s) {', '.join(unknown)}; available: {', '.join(KNOWN_MODULES)}")
    return sorted(set(modules))


def _instance_file(slug: str) -> Path:
    owner, name = slug.split("/", 1)
    return config_home() / "instances" / f"{owner}--{name}.json"


def _resolve_slug(identifier: str) -> str:
    slug = identifier if "/" in identifier else f"{load_user().handle}/{identifier}"
    # the slug becomes a file name: nothing that could leave the instances folder
    if not SLUG_PATTERN.match(slug):
        raise InstanceNotFound(
            f"{identifier!r} is not an instance: use owner/name or name, e.g. 'testuser1/mydata'"
        )
    return slug


def list_instances() -> list[InstanceSettings]:
    """All instances recorded in the config folder, sorted by slug."""
    folder = config_home() / "instances"
    if not folder.exists():
        return []
    result = []
    for path in folder.glob("*.json"):
        try:
            result.append(_settings_from_file(path))
        except SetupError as exc:
            logger.warning(f"skipping a registration: {exc}")
    return sorted(result, key=lambda s: s.slug)


_INSTANCE_KEYS = {f for f in InstanceSettings.__dataclass_fields__}


def _settings_from_file(path: Path) -> InstanceSettings:
    # an instance's JSON file; keys that a newer version may write are left out
    data = _read_json(path, "the instance file")
    unknown = sorted(set(data) - _INSTANCE_KEYS)
    if unknown:
        logger.warning(f"ignoring unknown key(s) {', '.join(map(repr, unknown))} in {path}")
    missing = [k for k in ("owner", "name", "storage") if not isinstance(data.get(k), str)]
    if missing:
        raise SetupError(f"the instance file {path} is damaged (no {', '.join(missing)}): repair or remove it")
    settings = InstanceSettings(**{k: v for k, v in data.items() if k in _INSTANCE_KEYS})
    if not isinstance(data.get("uid"), str):
        # its identity must stay the same from one process to the next
        _write_json(path, asdict(settings))
    return settings


def registered_modules() -> set[str]:
    """The modules that some registered instance uses.

    Read quietly: a damaged registration is reported where it is used, not here.
    """
    folder = config_home() / "instances"
    found: set[str] = set()
    for path in folder.glob("*.json") if folder.exists() else ():
        try:
            modules = json.loads(path.read_text()).get("modules")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(modules, list):
            found.update(m for m in modules if m in MODULES)
    return found


def load_instance(identifier: str) -> InstanceSettings:
    """The instance ``owner/name`` (or ``name`` of the local user).

    Raises:
        InstanceNotFound: naming the instances that exist.
    """
    slug = _resolve_slug(identifier)
    path = _instance_file(slug)
    if not path.exists():
        known = ", ".join(s.slug for s in list_instances()) or "none"
        raise InstanceNotFound(
            f"instance '{slug}' not found in {config_home()}; registered instances: {known}"
        )
    return _settings_from_file(path)


def check_name(name: str) -> None:
    """Raise ``SetupError`` unless ``name`` is a valid instance name (``my-data_2``)."""
    if not NAME_PATTERN.match(name):
        raise SetupError(
            f"invalid instance name {name!r}: use lowercase letters, digits, '-' and '_'"
        )


def registered_at(identifier: str) -> float | None:
    """When the instance ``owner/name`` was registered (or its registration last written), as
    ``time.time()`` says; None if it is not registered."""
    try:
        return os.stat(_instance_file(_resolve_slug(identifier))).st_mtime
    except OSError:
        return None


def register_instance(settings: InstanceSettings, overwrite: bool = False) -> None:
    """Record an instance in the config folder."""
    check_name(settings.name)
    path = _instance_file(settings.slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    if overwrite:
        _write_json(path, asdict(settings))
    elif not _create_json(path, asdict(settings)):
        raise InstanceExists(f"instance '{settings.slug}' exists already")


def unregister_instance(slug: str) -> None:
    """Forget an instance; if it was the current one, no instance is current."""
    _instance_file(slug).unlink(missing_ok=True)
    if current_slug() == slug:
        (config_home() / "current-instance").unlink(missing_ok=True)


def current_slug() -> str | None:
    """``owner/name`` of the last-connected instance, or None."""
    path = config_home() / "current-instance"
    return path.read_text().strip() or None if path.exists() else None


def set_current_slug(slug: str) -> None:
    """Remember ``slug`` as the instance to use on the next import."""
    path = config_home() / "current-instance"
    tmp = _tmp_path(path)
    tmp.write_text(slug)
    os.replace(tmp, path)


def _process_file(pid: int) -> Path:
    return config_home() / "processes" / f"{pid}.json"


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, as another user's process
    return True


def record_process_instance(slug: str) -> None:
    """Note that this process uses ``slug``, for tools that look at it from outside.

    A Jupyter kernel is such a process: the Registries panel shows the instance of the
    notebook in focus by asking the server extension, which reads the note of the
    kernel's process (``process_instance``). Notes of processes that have ended are
    removed. Writing is best effort: a read-only config folder only loses the note.
    """
    try:
        folder = config_home() / "processes"
        folder.mkdir(exist_ok=True)
        _write_json(_process_file(os.getpid()), {"pid": os.getpid(), "instance": slug})
        for path in folder.glob("*.json"):
            if path.stem.isdigit() and int(path.stem) != os.getpid() and not _is_running(int(path.stem)):
                path.unlink(missing_ok=True)
    except (OSError, SetupError):
        pass  # the panel then shows the current instance; the process itself works as before


def process_instance(pid: int) -> str | None:
    """``owner/name`` of the instance that the running process ``pid`` uses, or None if
    it has not used one yet (it would use ``current_slug()``) or has ended."""
    path = _process_file(pid)
    if not _is_running(pid):
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    slug = data.get("instance") if isinstance(data, dict) and data.get("pid") == pid else None
    return slug if isinstance(slug, str) else None

