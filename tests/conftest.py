"""Session-wide test harness: an isolated config home, a throwaway database, one test instance.

The backend is chosen by ``LAMIN_CORE_TEST_DB``:

- ``sqlite`` (the default): the instance uses its embedded SQLite database.
- a PostgreSQL URL, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``: a fresh database
  ``lamin_test_<8 random letters>`` is created on that server for this session (one per xdist
  worker) and dropped at the end, so runs never see each other's rows.

Tests marked ``postgres_only`` or ``sqlite_only`` are skipped on the other backend.
Fixtures for particular packages live next to their tests (``tests/core/conftest.py``, ...),
the S3 ones in the plugin ``tests/s3_fixtures.py``;
their per-test rollback is built from ``rolled_back`` here.
"""

import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# Set before anything imports lamindb_core: the library reads its config folder from here, and a
# test run must never touch the real one.
LAMIN_CORE_HOME = Path(tempfile.mkdtemp(prefix="lamin-core-home-"))
os.environ["LAMIN_CORE_HOME"] = str(LAMIN_CORE_HOME)

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")

# the S3 server and the S3 instance, for tests/s3 and the faces' tests of S3 artifacts
pytest_plugins = ["s3_fixtures"]


def is_postgres(url: str) -> bool:
    """Whether a ``LAMIN_CORE_TEST_DB`` value names a PostgreSQL server."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def random_db_name() -> str:
    """A database name that no other run picks: ``lamin_test_`` and 8 random lowercase letters."""
    return "lamin_test_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def with_database(url: str, name: str) -> str:
    """The same server URL (user, host, port, query) pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def pytest_configure(config: pytest.Config) -> None:
    """Reject an unknown backend before any test runs; register the ``no_rollback`` marker."""
    if TEST_DB != "sqlite" and not is_postgres(TEST_DB):
        raise pytest.UsageError(
            f"LAMIN_CORE_TEST_DB={TEST_DB!r}: expected 'sqlite' or a postgresql:// URL"
        )
    config.addinivalue_line(
        "markers",
        "no_rollback: the test commits; it cleans up itself (in tests/core and tests/jupyter)",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary config home."""
    shutil.rmtree(LAMIN_CORE_HOME, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Show which backend and config home this run uses."""
    backend = "sqlite" if TEST_DB == "sqlite" else TEST_DB
    return [f"lamindb-core test backend: {backend}", f"LAMIN_CORE_HOME: {LAMIN_CORE_HOME}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked for the other backend."""
    on_postgres = is_postgres(TEST_DB)
    skip_pg = pytest.mark.skip(reason="postgres_only: LAMIN_CORE_TEST_DB is sqlite")
    skip_sqlite = pytest.mark.skip(reason="sqlite_only: LAMIN_CORE_TEST_DB is PostgreSQL")
    for item in items:
        if not on_postgres and item.get_closest_marker("postgres_only"):
            item.add_marker(skip_pg)
        if on_postgres and item.get_closest_marker("sqlite_only"):
            item.add_marker(skip_sqlite)


@pytest.fixture(scope="session")
def test_db_url() -> Iterator[str | None]:
    """``None`` on SQLite; on PostgreSQL, the URL of a database created for this session.

    The database is dropped at session end with ``WITH (FORCE)``, which also ends any
    connection a test left open.
    """
    if not is_postgres(TEST_DB):
        yield None
        return

    # Only the PostgreSQL run needs the driver (the "postgres" extra).
    import psycopg
    from psycopg import sql

    name = random_db_name()
    try:
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise RuntimeError(f"cannot create test database {name} via {TEST_DB}: {error}") from error
    try:
        yield with_database(TEST_DB, name)
    finally:
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session", autouse=True)
def instance(tmp_path_factory: pytest.TempPathFactory, test_db_url: str | None) -> Iterator:
    """One instance for the whole session, initialised like a user would; yields ``lamindb_core``."""
    import lamindb_core as ln

    storage = tmp_path_factory.mktemp("instance") / "teststorage"
    ln.setup.init(storage=storage, db=test_db_url, name="pytest", modules="bio")
    yield ln
    # Close Django's connections so the PostgreSQL database can be dropped cleanly.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def rolled_back(
    request: pytest.FixtureRequest, instance
) -> Callable[..., AbstractContextManager[None]]:
    """``rolled_back()``: a context manager that undoes every row written inside it.

    Each test folder's autouse ``rollback`` fixture wraps its test in it. Keywords:

    - ``honour_no_rollback`` (default ``True``): a test marked ``no_rollback`` runs outside a
      transaction and commits. Tests that change the schema (registries defined in the test)
      cannot run inside a transaction on SQLite; they clean up what they make.
    - ``reset_context`` (default ``True``): afterwards, forget the run the test tracked
      (``context.reset()``), also for a ``no_rollback`` test.

    Example:
        >>> @pytest.fixture(autouse=True)
        ... def rollback(rolled_back):
        ...     with rolled_back():
        ...         yield
    """

    @contextmanager
    def rolled_back_block(
        *, honour_no_rollback: bool = True, reset_context: bool = True
    ) -> Iterator[None]:
        from django.db import transaction

        from lamindb_core.context import context

        try:
            if honour_no_rollback and request.node.get_closest_marker("no_rollback"):
                yield
            else:
                with transaction.atomic():
                    try:
                        yield
                    finally:
                        transaction.set_rollback(True)
        finally:
            if reset_context:
                context.reset()

    return rolled_back_block


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m lamindb_core.cli ARGS`` in a subprocess with its own empty config home.

    Example:
        >>> result = run_cli("--help")
        >>> assert result.returncode == 0, result.stderr
    """
    home = tmp_path / "cli-home"
    home.mkdir()

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "LAMIN_CORE_HOME": str(home), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "lamindb_core.cli", *map(str, args)],
            input=input,
            env=full_env,
            cwd=cwd or tmp_path,
            text=True,
            capture_output=True,
            timeout=timeout,
        )

    return run
