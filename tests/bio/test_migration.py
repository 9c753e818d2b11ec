"""Migration bio/0004 (Protein, CellMarker, Pathway) applied to an instance made before it.

The instance is set up in a fresh process, taken back to bio/0003 (as an instance made before
these registries has it), given records, and opened again by a new process: its first query
applies 0004, the records stay, and the new registries save, search and label. On the
PostgreSQL run the instance gets a throwaway database.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")

SHOW = """
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

tables = set(connection.introspection.table_names())
print("new tables:", sorted(t for t in tables if t in {"bio_protein", "bio_cellmarker", "bio_pathway", "bio_artifactprotein"}))
print("bio migrations:", sorted(MigrationRecorder(connection).migration_qs.filter(app="bio").values_list("name", flat=True))[-1])
"""


@pytest.fixture
def db_url():
    """``None`` (SQLite) or the URL of a throwaway PostgreSQL database."""
    if not ON_POSTGRES:
        yield None
        return
    import psycopg

    name = "lamin_bio0004_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))
    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_0004_applies_on_an_existing_instance_and_keeps_its_records(tmp_path, db_url):
    env = {**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "home")}

    def python(code: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    before = python(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage="./older", db={db_url!r}, modules="bio")
        ln.setup.django("migrate", "bio", "0003_search_words", verbosity=0)
        import lamindb_core.bio as bt
        bt.CellType(name="my cell").save()
        {textwrap.indent(SHOW, " " * 8).strip()}
        """
    )
    assert before[1:] == ["new tables: []", "bio migrations: 0003_search_words"]
    after = python(
        f"""
        import lamindb_core as ln
        import lamindb_core.bio as bt
        print(bt.CellType.get(name="my cell").name)
        {textwrap.indent(SHOW, " " * 8).strip()}
        protein = bt.Protein(name="Programmed cell death protein 1", uniprotkb_id="Q15116").save()
        marker = bt.CellMarker(name="PD1", synonyms="CD279").save()
        marker.proteins.add(protein)
        pathway = bt.Pathway(name="immune system process", ontology_id="GO:0002376").save()
        print(bt.Protein.search("death protein").first().uniprotkb_id, bt.CellMarker.standardize("CD279"))
        print(bt.Pathway.search("imune systme").first().ontology_id)
        artifact = ln.Artifact(key="x.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
        artifact.labels.add(marker)
        print(artifact.cell_markers.get().name, protein.cell_markers.get().name)
        """
    )
    assert after == [
        "my cell",
        "new tables: ['bio_artifactprotein', 'bio_cellmarker', 'bio_pathway', 'bio_protein']",
        "bio migrations: 0004_protein_cellmarker_pathway",
        "Q15116 PD1",
        "GO:0002376",
        "PD1 PD1",
    ]
