"""Migrated, empty SQLite schemas, kept to start new embedded instances from.

Running every migration of a new instance took 0.6 s without modules and several seconds with
``bio``, almost all of it in Django rendering the historical models of each migration. The
first embedded instance of a schema (its apps, the code that makes it, Django's and SQLite's
versions) is migrated as before, and a copy of its database, taken before any row of the
instance is written, is kept in the user cache folder (``config.user_cache_dir()/schemas``).
The next one copies it with SQLite's backup API and migrates nothing.

A template holds no rows of an instance: not the ownership marker (``ownership.py``), not the
seeds (``post_migrate`` adds them to each instance, as after a migration). A template that
fails its checks (another set of migrations applied, a damaged file) is not used; the instance
is then migrated as if there were none.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .config import user_cache_dir
from .logger import logger

__all__ = ["fingerprint", "restore", "save", "template_path"]

_PACKAGE = Path(__file__).resolve().parent
_fingerprints: dict[tuple[str, ...], str] = {}


def fingerprint(apps: tuple[str, ...]) -> str:
    """What a template's schema depends on: the apps, the package's code (its migrations and
    the operations they call), Django's and SQLite's versions. 16 hex digits."""
    key = tuple(sorted(apps))
    if key not in _fingerprints:
        import sqlite3  # here, not at the top: importing lamindb_core loads no database driver

        import django

        digest = hashlib.sha256()
        digest.update(f"{key}|django {django.__version__}|sqlite {sqlite3.sqlite_version}|".encode())
        for path in sorted(_PACKAGE.rglob("*.py")):
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
        _fingerprints[key] = digest.hexdigest()[:16]
    return _fingerprints[key]


def template_path(apps: tuple[str, ...]) -> Path:
    """Where the template of the schema of ``apps`` is kept (it may not exist)."""
    name = "-".join(sorted(apps))
    return user_cache_dir() / "schemas" / f"{name}-{fingerprint(apps)}.sqlite3"


def restore(connection, apps: tuple[str, ...], migrations: set[tuple[str, str]]) -> bool:
    """Copy the template of ``apps`` into the empty database of ``connection`` (SQLite);
    return whether it was copied.

    ``migrations`` are the ``(app, name)`` pairs the schema needs: a template whose database
    lists others is not used.
    """
    import sqlite3

    path = template_path(apps)
    if not path.is_file():
        return False
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        applied = {(app, name) for app, name in source.execute("SELECT app, name FROM django_migrations")}
        if applied != migrations or source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            logger.debug(f"schema template {path} does not match this schema: not used")
            return False
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        logger.debug(f"schema template {path} not used: {exc}")
        return False
    finally:
        source.close()
    return True


def save(connection, apps: tuple[str, ...], drop_tables: list[str]) -> None:
    """Keep a copy of the just-migrated database of ``connection`` (SQLite) as the template of
    ``apps``, without ``drop_tables`` (the instance's own: its ownership marker).

    Written to a temporary file and renamed: a process that reads templates sees a whole one
    or none. A failure only costs the next instance its shortcut.
    """
    import sqlite3

    path = template_path(apps)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
        os.close(handle)
        try:
            target = sqlite3.connect(tmp)
            try:
                connection.connection.backup(target)
                for table in drop_tables:
                    target.execute(f'DROP TABLE IF EXISTS "{table}"')
                target.execute("PRAGMA journal_mode=DELETE")
                target.commit()
            finally:
                target.close()
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, sqlite3.Error) as exc:
        logger.debug(f"could not keep the schema template {path}: {exc}")
