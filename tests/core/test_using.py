"""``Registry.using``: query another instance read-only; saving a record transfers it, once."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import DatabaseError, connections

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module")
def other(instance, tmp_path_factory):
    """A second instance, ``<handle>/other``, made by another process: seven labels
    ``ULabel1`` ... ``ULabel7``, a feature with synonyms, a label made in a run, an artifact
    labelled ``ULabel1`` and annotated with two features.

    Its database is an SQLite file, or a throwaway PostgreSQL database that is
    dropped at the end. The session's instance stays the current one.
    """
    from lamindb_core.instance import current_slug, load_user, set_current_slug, unregister_instance

    previous = current_slug()
    storage = tmp_path_factory.mktemp("other") / "otherstorage"
    db, name = None, None
    if ON_POSTGRES:
        name = "lamin_using_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        _pg(f'CREATE DATABASE "{name}"')
        db = urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))
    code = f"""
        import pathlib
        import lamindb_core as ln
        ln.setup.init(storage={str(storage)!r}, db={db!r}, name="other")
        ln.save([ln.ULabel(name=f"ULabel{{i}}") for i in range(1, 8)])
        ln.Feature(name="cell_medium", dtype="str", synonyms="culture medium|medium").save()
        transform = ln.Transform(key="pipeline.py", type="pipeline").save()
        run = ln.Run(transform=transform).save()
        ln.ULabel(name="made in a run", run=run).save()
        artifact = ln.Artifact(key="iris/iris_collection.parquet", suffix=".parquet", storage=ln.Storage.filter().first())
        artifact.save()
        artifact.ulabels.add(ln.ULabel.get(name="ULabel1"))
        ln.Feature(name="using_batch", dtype="cat[ULabel]").save()
        artifact.features.add_values({{"cell_medium": "DMEM", "using_batch": "ULabel2"}})
        for name in ("measurements", "corrupted", "missing"):
            path = pathlib.Path({str(storage.parent)!r}) / f"{{name}}.csv"
            path.write_text(f"sample,{{name}}\\n1,2.5\\n")
            ln.Artifact(path, key=f"raw/{{name}}.csv", description=name).save()
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    set_current_slug(previous)
    assert result.returncode == 0, result.stderr
    slug = f"{load_user().handle}/other"
    yield slug
    if slug in connections.settings:
        connections[slug].close()
    unregister_instance(slug)
    set_current_slug(previous)
    if name is not None:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_using_full_query_api(instance, other):
    ln = instance
    labels = ln.ULabel.using(other)
    assert labels.db == other
    assert labels.filter(name__startswith="ULabel").count() == 7
    assert labels.get(name="ULabel3").name == "ULabel3"
    df = labels.filter(name__in=["ULabel1", "ULabel2"]).order_by("name").df()
    assert list(df["name"]) == ["ULabel1", "ULabel2"]
    assert ln.ULabel.filter(name__startswith="ULabel").count() == 0  # the current instance is untouched


def test_using_search_shows_the_spec_table(instance, other):
    result = instance.ULabel.using(other).search("ULabel7", field="name")
    lines = repr(result).splitlines()
    assert lines[0].split() == ["uid", "score"]
    assert lines[1].split() == ["name"]
    assert lines[2].split()[0] == "ULabel7" and lines[2].split()[2] == "100.0"
    assert {line.split()[0] for line in lines[3:]} >= {"ULabel1", "ULabel5", "ULabel6"}
    assert all(float(line.split()[2]) < 100 for line in lines[3:])
    assert list(result.df()["score"])[0] == 100.0


def test_using_search_synonyms_and_lookup(instance, other):
    ln = instance
    assert ln.Feature.using(other).search("culture medium").first().name == "cell_medium"
    lookup = ln.ULabel.using(other).lookup()
    record = lookup.ulabel7
    assert record.name == "ULabel7"
    assert record._state.db == other


def test_using_df_includes_related_fields_from_that_instance(instance, other):
    df = instance.Artifact.using(other).search("iris").df(include=["created_by__handle", "ulabels__name"])
    assert list(df["key"]) == ["iris/iris_collection.parquet"]
    assert df["ulabels__name"].iloc[0] == {"ULabel1", "ULabel2"}  # the links of the other instance
    assert list(df.columns)[-1] == "score"


def test_using_df_features_reads_that_instances_annotations(instance, other):
    df = instance.Artifact.using(other).df(features=True)
    assert list(df.columns) == ["uid", "key", "description", "using_batch", "cell_medium"]
    assert (df["using_batch"].iloc[0], df["cell_medium"].iloc[0]) == ({"ULabel2"}, {"DMEM"})
    assert df.attrs["feature_dtypes"] == {"using_batch": "cat[ULabel]", "cell_medium": "str"}
    assert not instance.Feature.filter(name="using_batch").exists()


def test_using_is_read_only(instance, other):
    ln = instance
    with pytest.raises(DatabaseError):
        ln.ULabel.using(other).filter(name="ULabel1").update(name="changed")
    assert ln.ULabel.using(other).filter(name="ULabel1").exists()


def test_using_keeps_the_current_instance(instance, other):
    ln = instance
    slug = ln.setup.settings.instance.slug
    ln.ULabel.using(other).count()
    assert ln.setup.settings.instance.slug == slug
    assert slug.endswith("/pytest")


def test_using_save_transfers_a_record_once(instance, other, capsys):
    ln = instance
    from lamindb_core.instance import current_user_id

    remote = ln.ULabel.using(other).get(name="ULabel7")
    remote_id = remote.pk
    remote.save()
    assert remote._state.db == "default"
    local = ln.ULabel.get(name="ULabel7")
    assert local.uid == remote.uid and local.pk == remote.pk
    assert local.created_by_id == current_user_id()
    assert f"✓ transferred ULabel uid={remote.uid!r} from {other}" in capsys.readouterr().out
    again = ln.ULabel.using(other).get(pk=remote_id)
    again.save()
    assert again.pk == local.pk
    assert ln.ULabel.filter(name="ULabel7").count() == 1
    assert "is in this instance already" in capsys.readouterr().out


def test_using_transfer_maps_foreign_keys(instance, other):
    ln = instance
    made = ln.ULabel.using(other).get(name="made in a run")
    assert made.run_id is not None
    made.save()
    assert ln.ULabel.get(name="made in a run").run_id is None  # no run is tracked here
    artifact = ln.Artifact.using(other).get(key="iris/iris_collection.parquet")
    remote_storage = ln.Storage.using(other).get(pk=artifact.storage_id)
    artifact.save()
    local = ln.Artifact.get(key="iris/iris_collection.parquet")
    assert local.storage.uid == remote_storage.uid
    assert local.storage.root == remote_storage.root
    assert local.space_id == 1


@pytest.mark.no_rollback  # the copy's file goes when the deletion commits
def test_using_transfer_copies_the_data_into_this_instance_s_storage(instance, other, capsys):
    ln = instance
    remote = ln.Artifact.using(other).get(key="raw/measurements.csv")
    remote_path = remote.path
    remote.save()
    local = ln.Artifact.get(key="raw/measurements.csv")
    assert local.uid == remote.uid and local.hash == remote.hash and local.size == remote.size
    assert local.storage.root == str(ln.settings.storage.root)  # this instance's storage, not the other's
    assert local.path != remote_path and local.path.read_text() == "sample,measurements\n1,2.5\n"
    assert local.load().columns.tolist() == ["sample", "measurements"]
    # the copy is this instance's own: deleting it leaves the other instance's data
    ln.Artifact.using(other).get(key="raw/measurements.csv").save()
    assert "is in this instance already" in capsys.readouterr().out
    assert ln.Artifact.filter(key="raw/measurements.csv").count() == 1
    local.delete(permanent=True)
    assert not local.path.exists() and remote_path.exists()


def test_using_transfer_refuses_data_that_is_not_what_its_record_says(instance, other):
    ln = instance
    corrupted = ln.Artifact.using(other).get(key="raw/corrupted.csv")
    corrupted.path.write_text("sample,corrupted\n1,9.5\n")  # same size, other content
    with pytest.raises(ln.errors.IntegrityError, match="its record says"):
        corrupted.save()
    missing = ln.Artifact.using(other).get(key="raw/missing.csv")
    missing.path.unlink()
    with pytest.raises(FileNotFoundError, match="its data is missing"):
        missing.save()
    assert not ln.Artifact.filter(key__in=["raw/corrupted.csv", "raw/missing.csv"]).exists()
    assert not ln.Storage.filter(uid=ln.Storage.using(other).get(pk=corrupted.storage_id).uid).exists()


def test_using_the_current_instance_is_the_default_database(instance):
    assert instance.ULabel.using(instance.setup.settings.instance.slug).db == "default"


def test_using_unknown_instance_lists_registered_ones(instance, other):
    with pytest.raises(instance.errors.InstanceNotFound) as info:
        instance.ULabel.using("nobody/nope")
    message = str(info.value)
    assert "instance 'nobody/nope' not found" in message
    assert "registered instances:" in message
    assert other in message and instance.setup.settings.instance.slug in message
