"""Data integrity of artifact versions, the trash and deletion (issue 10).

- At most one version of an artifact is the latest: the database refuses a
  second one, and trash, restore, permanent deletion and concurrent saves keep
  exactly one.
- A QuerySet's ``delete()`` does what each record's ``delete()`` does.
- An instance never deletes a file in a storage that another instance manages.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import IntegrityError, connections, transaction
from django.test import TestCase


TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")


pytestmark = pytest.mark.usefixtures("storage_files")


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def latest_uids(ln, key: str) -> list[str]:
    """The uids of the latest versions under ``key``, in the trash too."""
    return sorted(ln.Artifact.objects.filter(key=key, is_latest=True).values_list("uid", flat=True))


def commit_callbacks():
    """Run what is to happen on commit (file removals) at the end of the block,
    though the test's transaction is rolled back."""
    return TestCase.captureOnCommitCallbacks(execute=True)


# -- item 7: one latest version ---------------------------------------------------


def test_versions_database_refuses_a_second_latest_version(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="v/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="v/a.txt").save()
    assert v2.stem_uid == v1.stem_uid and v2.is_latest and not ln.Artifact.objects.get(pk=v1.pk).is_latest
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            ln.Artifact.objects.filter(pk=v1.pk).update(is_latest=True)
    assert latest_uids(ln, "v/a.txt") == [v2.uid]


def test_versions_trashing_the_latest_makes_the_previous_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="v/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="v/a.txt").save()
    v2.delete()
    assert ln.Artifact.filter(key="v/a.txt", is_latest=True).one().uid == v1.uid
    assert ln.Artifact.get(v1.stem_uid).uid == v1.uid  # the stem gives the latest version
    assert v2.is_latest is False
    v2.restore()  # the newest version is back: it is the latest again
    assert latest_uids(ln, "v/a.txt") == [v2.uid]
    assert v2.is_latest is True
    v1.refresh_from_db()
    assert v1.is_latest is False


def test_versions_trash_then_new_version_then_restore_keeps_one_latest(instance, tmp_path, capsys):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="v/a.txt").save()
    v1.delete()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="v/a.txt").save()
    assert v2.stem_uid == v1.stem_uid  # a new version of the same artifact
    capsys.readouterr()
    v1.restore()
    assert "the latest version stays" in capsys.readouterr().out
    assert latest_uids(ln, "v/a.txt") == [v2.uid]
    assert ln.Artifact.filter(key="v/a.txt", is_latest=True).one().uid == v2.uid
    assert v1.is_latest is False
    assert [a.uid for a in v1.versions] == [v1.uid, v2.uid]


def test_versions_restoring_an_older_version_keeps_the_newer_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="v/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="v/a.txt").save()
    v1.delete()
    v2.delete()
    v1.restore()  # the only version in use: the latest
    assert latest_uids(ln, "v/a.txt") == [v1.uid]
    v2.restore()
    assert latest_uids(ln, "v/a.txt") == [v2.uid]
    v1.delete()
    v1.restore()
    assert latest_uids(ln, "v/a.txt") == [v2.uid]


def test_versions_of_artifacts_without_key_keep_one_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one")).save()
    v2 = ln.Artifact(write(tmp_path / "b.txt", b"two"), revises=v1).save()
    v2.delete()
    v3 = ln.Artifact(write(tmp_path / "c.txt", b"three"), revises=v1).save()
    v2.restore()
    family = ln.Artifact.objects.filter(uid__startswith=v1.stem_uid)
    assert list(family.filter(is_latest=True).values_list("uid", flat=True)) == [v3.uid]


def test_versions_permanent_delete_of_the_latest_in_the_trash_keeps_one_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="v/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="v/a.txt").save()
    v3 = ln.Artifact(write(tmp_path / "a.txt", b"three"), key="v/a.txt").save()
    v3.delete()
    v2.delete(permanent=True)
    assert latest_uids(ln, "v/a.txt") == [v1.uid]
    v3.restore()
    assert latest_uids(ln, "v/a.txt") == [v3.uid]


CONCURRENT_SAVE = """
import sys, time
from pathlib import Path
import lamindb_core as ln
from django.db.models import QuerySet

# hold the transaction open after is_latest moved, so that the other process
# writes while this one has not committed yet
update = QuerySet.update
def slow_update(self, **values):
    count = update(self, **values)
    if values == {"is_latest": False}:
        time.sleep(1.5)
    return count
QuerySet.update = slow_update

artifact = ln.Artifact(sys.argv[1], key="race/data.txt")
ln.Artifact.filter().count()  # connected
Path(sys.argv[3]).touch()
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
artifact.save()
print("saved", artifact.uid, artifact.is_latest)
"""


@pytest.mark.no_rollback
def test_versions_concurrent_new_versions_end_with_one_latest(instance, tmp_path):
    ln = instance
    first = ln.Artifact(write(tmp_path / "v1.txt", b"race 1"), key="race/data.txt").save()
    go = tmp_path / "go"
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CONCURRENT_SAVE, str(write(tmp_path / f"v{i}.txt", f"race {i}".encode())),
                 str(go), str(tmp_path / f"ready{i}")],
                env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for i in (2, 3)
        ]
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready{i}").exists() for i in (2, 3)) and time.monotonic() < deadline:
            time.sleep(0.05)
        go.touch()  # both are connected: they save at once
        results = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, results):
            assert proc.returncode == 0, err
            assert "Traceback" not in err and "saved " in out
        family = ln.Artifact.objects.filter(uid__startswith=first.stem_uid)
        assert family.count() == 3
        assert family.filter(is_latest=True).count() == 1
        newest = family.order_by("-id").first()
        assert newest.is_latest
    finally:
        for artifact in ln.Artifact.objects.filter(key="race/data.txt"):
            artifact.delete(permanent=True)


# -- item 11: QuerySet.delete -------------------------------------------------------


def test_queryset_delete_of_artifacts_moves_them_to_the_trash(instance, tmp_path, capsys):
    ln = instance
    a = ln.Artifact(write(tmp_path / "a.txt", b"qs a"), key="qs/a.txt").save()
    b = ln.Artifact(write(tmp_path / "b.txt", b"qs b"), key="qs/b.txt").save()
    ln.Artifact.filter(key__startswith="qs/").delete()
    assert ln.Artifact.filter(key__startswith="qs/").count() == 0
    trashed = ln.Artifact.objects.filter(key__startswith="qs/", _branch_code=-1)
    assert sorted(trashed.values_list("uid", flat=True)) == sorted([a.uid, b.uid])
    assert a.path.exists() and b.path.exists()
    assert capsys.readouterr().out.count("to the trash") == 2
    ln.Artifact.objects.get(pk=a.pk).restore()
    assert ln.Artifact.filter(key__startswith="qs/").count() == 1


def test_queryset_delete_of_the_latest_version_moves_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="qs/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="qs/a.txt").save()
    ln.Artifact.filter(uid=v2.uid).delete()
    assert latest_uids(ln, "qs/a.txt") == [v1.uid]
    with commit_callbacks():
        ln.Artifact.objects.filter(uid=v1.uid).delete(permanent=True)
    assert latest_uids(ln, "qs/a.txt") == [v2.uid]
    assert not v1.path.exists() and v2.path.exists()


def test_queryset_delete_permanent_removes_records_and_files_on_commit(instance, tmp_path):
    ln = instance
    a = ln.Artifact(write(tmp_path / "a.txt", b"qs perm a"), key="qs/a.txt").save()
    b = ln.Artifact(write(tmp_path / "b.txt", b"qs perm b"), key="qs/b.txt").save()
    kept = ln.Artifact(write(tmp_path / "c.txt", b"qs perm c"), key="other/c.txt").save()
    paths = [a.path, b.path]
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            ln.Artifact.filter(key__startswith="qs/").delete(permanent=True)
            raise RuntimeError("changed my mind")
    assert all(p.exists() for p in paths)  # a rolled-back delete keeps the files
    assert ln.Artifact.filter(key__startswith="qs/").count() == 2
    with commit_callbacks():
        ln.Artifact.filter(key__startswith="qs/").delete(permanent=True)
    assert not ln.Artifact.objects.filter(key__startswith="qs/").exists()
    assert not any(p.exists() for p in paths)
    assert kept.path.exists() and ln.Artifact.filter(key="other/c.txt").exists()


def test_queryset_delete_blocked_by_a_collection_deletes_nothing(instance, tmp_path):
    ln = instance
    a = ln.Artifact(write(tmp_path / "a.txt", b"in a collection"), key="qs/a.txt").save()
    b = ln.Artifact(write(tmp_path / "b.txt", b"free"), key="qs/b.txt").save()
    collection = ln.Collection(key="my collection").save()
    collection.artifacts.add(a)
    with commit_callbacks():
        with pytest.raises(ln.errors.ValidationError, match="CollectionArtifact") as info:
            ln.Artifact.filter(key__startswith="qs/").delete(permanent=True)
    assert a.uid in str(info.value)
    assert ln.Artifact.filter(key__startswith="qs/").count() == 2
    assert a.path.exists() and b.path.exists()


def test_queryset_delete_for_good_of_many_takes_as_many_queries_as_of_few(instance, tmp_path):
    # a query per artifact and related table made deleting 500 artifacts take seconds; now
    # the rows, the latest versions and the files go in a fixed number of queries
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ln = instance

    def families(prefix: str, n: int) -> list:
        # n families of two versions each; the newer one of each is deleted
        newer = []
        for i in range(n):
            ln.Artifact(write(tmp_path / f"{prefix}{i}.txt", f"{prefix}{i} v1".encode()), key=f"{prefix}/{i}.txt").save()
            newer.append(ln.Artifact(write(tmp_path / f"{prefix}{i}.txt", f"{prefix}{i} v2".encode()), key=f"{prefix}/{i}.txt").save())
        return newer

    counts = []
    for prefix, n in (("few", 3), ("many", 30)):
        newer = families(prefix, n)
        paths = [a.path for a in newer]
        with commit_callbacks(), CaptureQueriesContext(connection) as queries:
            ln.Artifact.filter(id__in=[a.id for a in newer]).delete(permanent=True)
        counts.append(len(queries.captured_queries))
        assert not any(p.exists() for p in paths)
        # each family's older version is its latest again, and its file stays
        left = ln.Artifact.filter(key__startswith=f"{prefix}/")
        assert left.count() == n
        assert sorted(a.key for a in left.filter(is_latest=True)) == sorted(f"{prefix}/{i}.txt" for i in range(n))
        assert all(a.path.exists() for a in left)
    assert counts[0] == counts[1], counts


def test_queryset_delete_of_plain_registries_deletes_and_names_blockers(instance, tmp_path):
    ln = instance
    dmso, ifng = ln.ULabel(name="DMSO").save(), ln.ULabel(name="IFNG").save()
    artifact = ln.Artifact(key="bare.txt", suffix=".txt").save()
    artifact.ulabels.add(dmso)
    with pytest.raises(ln.errors.ValidationError) as info:
        ln.ULabel.filter(name__in=["DMSO", "IFNG"]).delete()
    message = str(info.value)
    assert "cannot delete 2 ULabel records" in message
    assert "ArtifactULabel" in message and f"artifact_id={artifact.id}" in message
    assert ln.ULabel.filter(name__in=["DMSO", "IFNG"]).count() == 2
    ln.ULabel.filter(name="IFNG").delete(permanent=True)  # no trash for labels: deleted
    assert not ln.ULabel.objects.filter(name="IFNG").exists()
    transform = ln.Transform(key="qs.py").save()
    ln.Run(transform=transform).save()
    ln.Transform.filter(key="qs.py").delete()  # its runs go with it, as with transform.delete()
    assert not ln.Run.objects.filter(transform_id=transform.id).exists()


def test_queryset_delete_of_a_sliced_or_values_query_is_a_clear_error(instance, tmp_path):
    ln = instance
    ln.Artifact(write(tmp_path / "a.txt", b"sliced"), key="qs/a.txt").save()
    with pytest.raises(ln.errors.InvalidArgument, match="sliced"):
        ln.Artifact.filter().order_by("id")[:1].delete()
    with pytest.raises(ln.errors.InvalidArgument, match="values"):
        ln.Artifact.filter().values("id").delete()
    assert ln.Artifact.filter(key="qs/a.txt").exists()


# -- item 4: files of another instance -----------------------------------------------


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module")
def source(instance, tmp_path_factory):
    """A second instance, ``<handle>/source``, made by another process, with one
    artifact that has a real file. Yields ``(slug, path of that file)``."""
    from lamindb_core.instance import current_slug, load_user, set_current_slug, unregister_instance

    previous = current_slug()
    storage = tmp_path_factory.mktemp("source") / "sourcestorage"
    data = tmp_path_factory.mktemp("sourcedata") / "data.txt"
    data.write_bytes(b"owned by the source instance")
    data.with_name("v1.txt").write_bytes(b"version 1 in the source instance")
    db, name = None, None
    if ON_POSTGRES:
        name = "lamin_source_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        _pg(f'CREATE DATABASE "{name}"')
        db = urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))
    code = f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(storage)!r}, db={db!r}, name="source")
        ln.Artifact({str(data.with_name("v1.txt"))!r}, key="shared/versioned.txt").save()
        artifact = ln.Artifact({str(data)!r}, key="shared/data.txt").save()
        print(artifact.path)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    set_current_slug(previous)
    assert result.returncode == 0, result.stderr
    slug = f"{load_user().handle}/source"
    yield slug, Path(result.stdout.strip().splitlines()[-1])
    if slug in connections.settings:
        connections[slug].close()
    unregister_instance(slug)
    set_current_slug(previous)
    if name is not None:
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_delete_of_a_transferred_artifact_keeps_the_other_instances_file(instance, source, capsys):
    ln = instance
    slug, source_path = source
    assert source_path.exists()
    remote = ln.Artifact.using(slug).get(key="shared/data.txt")
    remote.save()
    local = ln.Artifact.get(key="shared/data.txt")
    # the data was copied: this instance's own copy, the other instance's file untouched
    assert local.path != source_path and local.path.read_bytes() == source_path.read_bytes()
    copy = local.path
    capsys.readouterr()
    with commit_callbacks():
        local.delete(permanent=True)
    assert not ln.Artifact.objects.filter(key="shared/data.txt").exists()
    assert source_path.exists() and not copy.exists()
    assert ln.Artifact.using(slug).get(key="shared/data.txt").path == source_path


def test_transfer_from_a_storage_registered_here_too_references_it_and_delete_keeps_it(instance, source, capsys):
    ln = instance
    slug, source_path = source
    remote = ln.Artifact.using(slug).get(key="shared/data.txt")
    ln.Storage.using(slug).get(pk=remote.storage_id).save()  # the other's storage, registered here too
    remote.save()
    local = ln.Artifact.get(key="shared/data.txt")
    assert local.path == source_path  # nothing copied: the record points at the shared location
    capsys.readouterr()
    with commit_callbacks():
        local.delete(permanent=True)
    out = capsys.readouterr().out
    assert source_path.exists()
    assert "deleted the record only" in out and str(source_path) in out


def test_queryset_delete_of_a_transferred_artifact_keeps_the_other_instances_file(instance, source, tmp_path):
    ln = instance
    slug, source_path = source
    ln.Artifact.using(slug).get(key="shared/data.txt").save()
    own = ln.Artifact(write(tmp_path / "own.txt", b"own file"), key="shared/own.txt").save()
    with commit_callbacks():
        ln.Artifact.filter(key__startswith="shared/").delete(permanent=True)
    assert not ln.Artifact.objects.filter(key__startswith="shared/").exists()
    assert source_path.exists()
    assert not own.path.exists()  # this instance's own file goes


def test_transfer_of_a_newer_latest_version_keeps_one_latest(instance, source, tmp_path):
    from lamindb_core.instance import current_slug, set_current_slug

    ln = instance
    slug, _ = source
    ln.Artifact.using(slug).get(key="shared/versioned.txt").save()
    v1 = ln.Artifact.get(key="shared/versioned.txt")
    assert v1.is_latest
    # meanwhile, the other instance saves a new version
    code = f"""
        import lamindb_core as ln
        ln.setup.connect({slug!r})
        ln.Artifact({str(write(tmp_path / "v2.txt", b"version 2 in the source"))!r}, key="shared/versioned.txt").save()
    """
    previous = current_slug()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    set_current_slug(previous)
    assert result.returncode == 0, result.stderr
    remote_v2 = ln.Artifact.using(slug).get(key="shared/versioned.txt", is_latest=True)
    assert remote_v2.stem_uid == v1.stem_uid
    remote_v2.save()
    assert latest_uids(ln, "shared/versioned.txt") == [remote_v2.uid]
    assert remote_v2.is_latest
    assert [a.uid for a in v1.versions] == [v1.uid, remote_v2.uid]


def test_versions_bulk_save_continues_a_family_whose_versions_are_all_in_the_trash(instance, tmp_path):
    # ln.save finds the latest version of a key in the trash, as save() does
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="t/a.txt").save()
    v1.delete()
    batch = [
        ln.Artifact(write(tmp_path / "b.txt", b"other"), key="t/b.txt"),
        ln.Artifact(write(tmp_path / "a2.txt", b"two"), key="t/a.txt"),
    ]
    ln.save(batch)
    assert batch[1].stem_uid == v1.stem_uid and batch[1].uid.endswith("0001")
    assert latest_uids(ln, "t/a.txt") == [batch[1].uid]


@pytest.mark.no_rollback
def test_artifact_saved_alone_asks_the_database_once(instance, tmp_path):
    # outside a transaction, a new artifact whose construction found neither its content nor
    # its key saved is inserted by one statement that checks both itself
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ln = instance
    artifact = ln.Artifact(write(tmp_path / "alone.txt", b"saved alone"), key="alone/a.txt")
    try:
        with CaptureQueriesContext(connection) as queries:
            artifact.save()
        # the query of the same content or key (ORDER BY CASE WHEN ...) is not sent first; other
        # queries may be (the recovery of journals that earlier tests left in the storage)
        lookups = [q["sql"] for q in queries if "CASE WHEN" in q["sql"] and "INSERT" not in q["sql"]]
        assert lookups == []
        assert queries[-1]["sql"].startswith('INSERT INTO "core_artifact"')
        assert ln.Artifact.get(key="alone/a.txt") == artifact and artifact.is_latest
        assert artifact.path.read_bytes() == b"saved alone"
    finally:
        ln.Artifact.objects.filter(key__startswith="alone/").delete(permanent=True)


@pytest.mark.no_rollback
def test_artifact_constructed_before_its_key_or_content_was_saved(instance, tmp_path, capsys):
    # what the construction found is only a hint: the content or the key saved since (here by
    # artifacts constructed at the same time) is found at save(), as without it
    ln = instance
    first = ln.Artifact(write(tmp_path / "1.txt", b"hinted 1"), key="hint/a.txt")
    second = ln.Artifact(write(tmp_path / "2.txt", b"hinted 2"), key="hint/a.txt")
    same = ln.Artifact(write(tmp_path / "3.txt", b"hinted 1"), key="hint/same.txt")
    try:
        first.save()
        second.save()
        assert second.uid == first.uid[:16] + "0001" and second.is_latest
        assert f"created version 0001 of artifact '{first.uid[:16]}'" in capsys.readouterr().out
        first.refresh_from_db()
        assert first.is_latest is False
        same.save()
        assert f"returning existing artifact with same hash: {first!r}" in capsys.readouterr().out
        assert same.id == first.id
        assert sorted(p.name for p in first.path.parent.iterdir() if p.name[:16] == first.uid[:16]) == [
            f"{first.uid}.txt", f"{second.uid}.txt"]
        assert second.path.read_bytes() == b"hinted 2"
        assert ln.Artifact.objects.filter(key__startswith="hint/").count() == 2
    finally:
        ln.Artifact.objects.filter(key__startswith="hint/").delete(permanent=True)


def test_save_looks_up_the_version_under_a_key_through_the_key_index(instance):
    # SQLite without statistics searched the key's branch through the index of storage_id: every
    # artifact of the storage read for each save. PostgreSQL's planner has statistics.
    from django.db import connection

    from lamindb_core.models import artifact_lifecycle

    ln = instance
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    sql, _, _ = artifact_lifecycle._lookup_sql(ln.Artifact, "default", "sqlite", True, True)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, ["hash", "some/key.txt", 1, True, "hash"])
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "(key=?)" in plan and "storage_id" not in plan and "is_latest" not in plan, plan
