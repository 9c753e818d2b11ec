"""Optional modules (``bio``): which tables an instance has, which registries a process loads.

An instance's schema has a module's tables only if it was set up with the module; a process
loads a module's Django app when it configures Django, for the modules of its first instance,
of every registered instance, and of the module packages imported before
(``lamindb_core.instance``). Each test runs its snippets in fresh processes with their own
config folder: Django's app registry is set once per process. On the PostgreSQL run each
instance gets a throwaway PostgreSQL database.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import string
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")
OS_HANDLE = re.sub(r"[^a-z0-9_-]", "-", getpass.getuser().lower()).strip("-") or "user"

# prints the project's tables of the current instance's database, and its applied bio migrations
SHOW_SCHEMA = """
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

tables = connection.introspection.table_names()
print("bio tables:", len([t for t in tables if t.startswith("bio_")]), "bio_gene" in tables)
print("core tables:", "core_artifact" in tables)
print("bio migrations:", MigrationRecorder(connection).migration_qs.filter(app="bio").count())
"""


# how many migrations the bio app ships: an instance set up with bio has applied them all
BIO_MIGRATIONS = len(list((Path(__file__).resolve().parents[2] / "lamindb_core" / "bio" / "migrations").glob("0*.py")))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty config folder for the processes of one test."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def python(home: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run a snippet in a fresh ``python -c`` with ``LAMIN_CORE_HOME=home``; fail on a non-zero exit."""

    def run(code: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env={**os.environ, "LAMIN_CORE_HOME": str(home)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def new_db() -> Iterator[Callable[[], str | None]]:
    """A factory of databases for new instances: ``None`` (SQLite) or a throwaway PostgreSQL URL."""
    created: list[str] = []

    def make() -> str | None:
        if not ON_POSTGRES:
            return None
        import psycopg

        name = "lamin_modules_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))

    yield make
    if created:
        import psycopg

        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_module_hint(storage: Path, name: str, db: str | None) -> str:
    """How the error says to add bio to an instance."""
    db_part = "" if db is None else ", db=<its database URL>"
    return f"ln.setup.init(storage='{storage.resolve()}', name='{name}'{db_part}, modules='bio') adds it, and the instance keeps its data"


def test_modules_instance_without_bio_has_no_bio_tables_and_bio_queries_say_how_to_add_it(python, tmp_path, new_db):
    storage, db = tmp_path / "plain", new_db()
    (tmp_path / "data.txt").write_text("some data")
    result = python(
        f"""
        import lamindb_core as ln
        import lamindb_core.bio as bt  # imported first: this process loads the bio registries
        from lamindb_core.introspect import to_many_relations

        ln.setup.init(storage={str(storage)!r}, db={db!r})
        {textwrap.indent(SHOW_SCHEMA, " " * 8).strip()}
        for call in (
            "bt.Gene.filter(symbol='CD8A').count()",
            "bt.Organism(name='human').save()",
            "ln.save([bt.Organism(name='human')])",
            "bt.CellType.from_values(['T cell'], create=True).save()",
            "ln.Artifact.filter(cell_types__name='T cell').count()",
        ):
            try:
                eval(call)
                print("no error:", call)
            except ln.errors.MissingModule as error:
                print(str(error))
        # the core registries work, deleting an artifact too (Django finds no rows in bio's link tables)
        artifact = ln.Artifact("data.txt", key="data.txt").save()
        artifact.ulabels.add(ln.ULabel(name="a label").save())
        print("relations:", [f.name for f in to_many_relations(ln.Artifact)])
        try:
            ln.Artifact.df(include="cell_types__name")
        except ln.errors.MissingModule as error:
            print(str(error).split(",")[0])
        artifact.delete(permanent=True)
        print("artifacts:", ln.Artifact.filter().count(), "labels:", ln.ULabel.filter().count())
        """
    )
    hint = add_module_hint(storage, "plain", db)
    without = f"the module 'bio', which the instance {OS_HANDLE}/plain was set up without (it has no bio tables): {hint}"
    assert result.stdout.splitlines()[1:] == [
        "bio tables: 0 False",
        "core tables: True",
        "bio migrations: 0",
        f"Gene is a registry of {without}",
        f"Organism is a registry of {without}",
        f"Organism is a registry of {without}",
        f"CellType is a registry of {without}",
        f"ArtifactCellType is a registry of {without}",
        "relations: ['collections', 'projects', 'references', 'ulabels', 'feature_sets', 'input_of_runs']",
        "ArtifactCellType is a registry of the module 'bio'",
        "artifacts: 0 labels: 1",
    ]


def test_modules_init_with_bio_creates_and_migrates_its_tables(python, tmp_path, new_db):
    storage, db = tmp_path / "withbio", new_db()
    result = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(storage)!r}, db={db!r}, modules="bionty")
        import lamindb_core.bio as bt
        {textwrap.indent(SHOW_SCHEMA, " " * 8).strip()}
        bt.Organism(name="my organism").save()
        print("organisms:", bt.Organism.filter().count(), ln.setup.settings.instance.modules)
        """
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"→ initialized lamindb: {OS_HANDLE}/withbio"
    n_tables = int(lines[1].split()[2])
    assert n_tables >= 21 and lines[1].endswith(" True")  # 11 registries, 10 link tables (and search indexes)
    assert lines[2:] == ["core tables: True", f"bio migrations: {BIO_MIGRATIONS}", "organisms: 1 ['bio']"]


def test_modules_init_again_with_bio_adds_the_module_and_keeps_the_data(python, home, tmp_path, new_db):
    storage, db = tmp_path / "grows", new_db()
    python(f"import lamindb_core as ln; ln.setup.init(storage={str(storage)!r}, db={db!r}); ln.ULabel(name='kept').save()")
    result = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(storage)!r}, db={db!r}, modules="bio")
        import lamindb_core.bio as bt
        {textwrap.indent(SHOW_SCHEMA, " " * 8).strip()}
        print(ln.ULabel.get(name="kept").name, bt.Organism.filter().count())
        """
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"→ instance {OS_HANDLE}/grows exists already, connecting"
    assert lines[1].endswith(" True") and lines[3:] == [f"bio migrations: {BIO_MIGRATIONS}", "kept 0"]
    registration = json.loads((home / "instances" / f"{OS_HANDLE}--grows.json").read_text())
    assert registration["modules"] == ["bio"]


def test_modules_an_instance_made_before_modules_were_optional_keeps_its_bio_records(python, home, tmp_path, new_db):
    # such an instance has the bio tables and lists no module: its migrations say it has bio
    storage, db = tmp_path / "older", new_db()
    python(
        f"import lamindb_core as ln; ln.setup.init(storage={str(storage)!r}, db={db!r}, modules='bio'); "
        "import lamindb_core.bio as bt; bt.CellType(name='T cell').save()"
    )
    path = home / "instances" / f"{OS_HANDLE}--older.json"
    registration = json.loads(path.read_text())
    path.write_text(json.dumps({**registration, "modules": []}))
    result = python(
        """
        import lamindb_core as ln
        import lamindb_core.bio as bt
        print(bt.CellType.get(name="T cell").name, ln.setup.settings.instance.modules)
        """
    )
    assert result.stdout.splitlines()[-1] == "T cell ['bio']"
    assert json.loads(path.read_text())["modules"] == ["bio"]


def test_modules_a_process_without_bio_cannot_use_a_bio_instance_and_says_to_restart(python, home, tmp_path, new_db):
    plain, withbio = tmp_path / "plain", tmp_path / "withbio"
    db_plain, db_bio = new_db(), new_db()
    result = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(plain)!r}, db={db_plain!r})
        print(sorted(ln.setup.settings.instance.modules), ln.ULabel.filter().count())
        try:
            ln.setup.init(storage={str(withbio)!r}, db={db_bio!r}, modules="bio")
        except ln.errors.MissingModule as error:
            print(error)
        import lamindb_core.bio as bt
        try:
            bt.Gene
        except ln.errors.MissingModule as error:
            print(error)
        """
    )
    assert result.stdout.splitlines()[1:] == [
        "[] 0",
        f"the instance {OS_HANDLE}/withbio uses the module(s) bio, which this process did not load: it set up "
        f"Django for {OS_HANDLE}/plain, without them, and Django cannot add them later. Restart Python (in a "
        "notebook: restart the kernel) and run this again; to switch between instances with and without bio in "
        "one process, run `import lamindb_core.bio` before the first query",
        "the registries of the module 'bio' are not loaded in this process: it set up Django for an instance "
        "without bio. Restart Python (in a notebook: the kernel) and import lamindb_core.bio before the first query",
    ]
    # nothing of the refused instance was made
    assert not withbio.exists() and not (home / "instances" / f"{OS_HANDLE}--withbio.json").exists()
    # a new process creates it; from then on, a process loads bio whatever instance it starts with
    python(f"import lamindb_core as ln; ln.setup.init(storage={str(withbio)!r}, db={db_bio!r}, modules='bio')")
    result = python(
        """
        import lamindb_core as ln
        from lamindb_core.instance import loaded_modules

        ln.setup.connect("plain")
        print(sorted(loaded_modules()))
        ln.setup.connect("withbio")
        import lamindb_core.bio as bt
        print(bt.Organism(name="my organism").save().name)
        """
    )
    assert result.stdout.splitlines() == [
        f"→ connected lamindb: {OS_HANDLE}/plain",
        "['bio']",
        f"→ connected lamindb: {OS_HANDLE}/withbio",
        "my organism",
    ]


def test_modules_a_process_with_only_plain_instances_does_not_load_bio(python, tmp_path, new_db):
    db = new_db()
    python(f"import lamindb_core as ln; ln.setup.init(storage={str(tmp_path / 'plain')!r}, db={db!r})")
    result = python(
        """
        import sys
        import lamindb_core as ln
        from django.apps import apps
        from lamindb_core.instance import loaded_modules

        print(ln.ULabel.filter().count(), sorted(loaded_modules()), apps.is_installed("lamindb_core.bio"))
        print("lamindb_core.bio.models" in sys.modules)
        """
    )
    assert result.stdout.splitlines() == ["0 [] False", "False"]
