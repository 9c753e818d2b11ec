"""Artifacts: files, folders, DataFrames and AnnData; storing, versions, trash.

Files are written to the instance's storage even when the test's transaction is
rolled back afterwards; the ``storage_files`` fixture removes what a test added.
"""

from __future__ import annotations

import base64
import hashlib
import tracemalloc
from pathlib import Path

import pytest
from django.db import DatabaseError

from lamindb_core import bulk, file_copies, files


def b64_md5(data: bytes) -> str:
    """The spec's hash, computed here independently of the library."""
    return base64.urlsafe_b64encode(hashlib.md5(data).digest()).decode()[:22]


pytestmark = pytest.mark.usefixtures("storage_files")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# -- fields computed from the data ---------------------------------------------


def test_artifact_from_file_fills_fields(instance, tmp_path):
    ln = instance
    content = b"@read1\nACGT\n+\n!!!!\n"
    path = write(tmp_path / "reads.fastq.gz", content)
    artifact = ln.Artifact(path, key="raw/reads.fastq.gz", description="my reads")
    assert artifact.suffix == ".fastq.gz"
    assert artifact.size == len(content)
    assert artifact.hash == b64_md5(content)
    assert len(artifact.hash) == 22
    assert artifact._hash_type == "md5"
    assert (artifact.kind, artifact.otype, artifact.n_files, artifact.n_observations) == (None, None, None, None)
    assert artifact._key_is_virtual is True
    assert artifact.storage == ln.Storage.get(root=str(Path(ln.setup.settings.storage).resolve()))
    assert artifact.run is None
    assert artifact.description == "my reads"
    assert artifact.path == path  # before saving: the local file


def test_artifact_save_stores_the_file_under_its_uid(instance, tmp_path, lamindb_dir, storage_files):
    ln = instance
    content = b"some bytes\n"
    artifact = ln.Artifact(write(tmp_path / "notes.txt", content), key="notes.txt").save()
    assert artifact.path == lamindb_dir / f"{artifact.uid}.txt"
    assert artifact.path.read_bytes() == content
    assert artifact.cache() == artifact.path
    assert storage_files() == [f"{artifact.uid}.txt"]  # no temporary file left behind
    stored = ln.Artifact.get(key="notes.txt")
    assert (stored.uid, stored.hash, stored.size) == (artifact.uid, b64_md5(content), len(content))
    assert len(stored.uid) == 20 and stored.uid.endswith("0000")


def test_artifact_accepts_a_str_path(instance, tmp_path):
    path = write(tmp_path / "table.csv", b"a,b\n1,2\n")
    artifact = instance.Artifact(str(path))
    assert (artifact.suffix, artifact.size) == (".csv", 8)


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("reads.fastq.gz", ".fastq.gz"),
        ("sample.v1.fastq.gz", ".fastq.gz"),
        ("archive.tar.gz", ".tar.gz"),
        ("image.ome.tiff", ".ome.tiff"),
        ("my_image.jpg", ".jpg"),
        ("data.parquet", ".parquet"),
        ("README", ""),
        ("data.2024-01-01", ""),
    ],
)
def test_artifact_suffix_keeps_known_compound_suffixes(instance, tmp_path, name, suffix):
    assert instance.Artifact(write(tmp_path / name, b"x")).suffix == suffix


def test_artifact_suffix_of_folders(instance, tmp_path):
    ln = instance
    write(tmp_path / "image.ome.zarr" / ".zattrs", b"{}")
    write(tmp_path / "my.results" / "a.txt", b"a")
    assert ln.Artifact(tmp_path / "image.ome.zarr").suffix == ".ome.zarr"
    assert ln.Artifact(tmp_path / "my.results").suffix == ""


def test_artifact_from_folder_hashes_files_and_stores_the_folder(instance, tmp_path, lamindb_dir):
    ln = instance
    folder = tmp_path / "run1"
    contents = {"a.txt": b"alpha", "sub/b.txt": b"beta", "sub/deeper/c.csv": b"x,y\n1,2\n"}
    for name, content in contents.items():
        write(folder / name, content)
    artifact = ln.Artifact(folder, key="runs/run1")
    assert artifact.n_files == 3
    assert artifact.size == sum(len(c) for c in contents.values())
    assert artifact._hash_type == "md5-d"
    # each file's relative path and content, in path order
    listing = "".join(f"{name}\0{b64_md5(contents[name])}\n" for name in sorted(contents))
    expected = b64_md5(listing.encode())
    assert artifact.hash == expected
    assert artifact.suffix == ""
    artifact.save()
    assert artifact.path == lamindb_dir / artifact.uid
    assert sorted(str(p.relative_to(artifact.path)) for p in artifact.path.rglob("*") if p.is_file()) == sorted(contents)
    assert (artifact.path / "sub" / "b.txt").read_bytes() == b"beta"
    assert artifact.load() == artifact.path


def test_artifact_hash_of_a_large_file_reads_in_chunks(tmp_path):
    # 24 MiB hashed with well under 24 MiB of Python memory
    chunk = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "big.bin"
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        for i in range(24):
            block = chunk[i:] + chunk[:i]
            f.write(block)
            md5.update(block)
    tracemalloc.start()
    try:
        size, hash_ = files.hash_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == 24 * 1024 * 1024
    assert hash_ == base64.urlsafe_b64encode(md5.digest()).decode()[:22]
    assert peak < 4 * 1024 * 1024, peak


def test_artifact_from_df_fills_fields_and_load_round_trips(instance):
    import pandas as pd

    ln = instance
    df = pd.DataFrame({"name": ["a", "b", "c", "d"], "value": [1.5, 2.5, None, 4.0]}, index=list("wxyz"))
    artifact = ln.Artifact.from_df(df, key="tables/t.parquet", description="a table")
    assert (artifact.suffix, artifact.kind, artifact.otype) == (".parquet", "dataset", "DataFrame")
    assert artifact.n_observations == 4
    assert artifact._hash_type == "md5" and len(artifact.hash) == 22
    artifact.save()
    assert artifact.path.name == f"{artifact.uid}.parquet"
    assert artifact.size == artifact.path.stat().st_size
    assert artifact.hash == b64_md5(artifact.path.read_bytes())
    loaded = ln.Artifact.get(key="tables/t.parquet").load()
    pd.testing.assert_frame_equal(loaded, df)


def test_artifact_from_anndata_fills_fields_and_load_round_trips(instance):
    import numpy as np
    import pandas as pd

    from lamindb_core.core import datasets

    ln = instance
    adata = datasets.small_dataset1(format="anndata")
    artifact = ln.Artifact.from_anndata(adata, key="example_datasets/dataset1.h5ad").save()
    assert (artifact.suffix, artifact.kind, artifact.otype) == (".h5ad", "dataset", "AnnData")
    assert artifact.n_observations == 3
    assert artifact.path.name == f"{artifact.uid}.h5ad"
    loaded = artifact.load()
    assert type(loaded).__name__ == "AnnData"
    assert loaded.var_names.tolist() == ["CD8A", "CD4", "CD14"]
    np.testing.assert_array_equal(np.asarray(loaded.X), np.asarray(adata.X))
    pd.testing.assert_frame_equal(loaded.obs, adata.obs)
    assert loaded.uns["study"] == "Candidate marker study 1"
    assert loaded.uns["temperature"] == 21.6


def test_artifact_from_anndata_of_the_guide_has_the_guides_hash(instance):
    # the guide's table lists these sizes and hashes for the two datasets
    from lamindb_core.core import datasets

    ln = instance
    a1 = ln.Artifact.from_anndata(datasets.small_dataset1(format="anndata"), key="example_datasets/dataset1.h5ad")
    a2 = ln.Artifact.from_anndata(datasets.small_dataset2(format="anndata"), key="example_datasets/dataset2.h5ad")
    assert (a1.size, a1.hash) == (25088, "YMNwVfQZ78zwkB4shAQMfQ")
    assert (a2.size, a2.hash) == (22384, "yI0uyeBcL20WSAClKeREVA")


def test_artifact_from_df_rejects_other_types(instance):
    import pandas as pd

    from lamindb_core.core import datasets

    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match="expects a pandas DataFrame, got AnnData: use Artifact.from_anndata"):
        ln.Artifact.from_df(datasets.small_dataset1(format="anndata"))
    with pytest.raises(ln.errors.InvalidArgument, match="expects an AnnData, got DataFrame: use Artifact.from_df"):
        ln.Artifact.from_anndata(pd.DataFrame({"a": [1]}))
    with pytest.raises(ln.errors.InvalidArgument, match="expects a pandas DataFrame, got list"):
        ln.Artifact.from_df([1, 2])


def test_artifact_rejects_data_it_cannot_store(instance, tmp_path):
    ln = instance
    with pytest.raises(TypeError, match="^data has to be a string, Path, UPath$"):
        ln.Artifact(42)
    with pytest.raises(TypeError, match="^data has to be a string, Path, UPath$"):
        ln.Artifact(True)
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        ln.Artifact(tmp_path / "missing.txt")
    with pytest.raises(ln.errors.InvalidArgument, match="through S3 URLs .* not gs://"):
        ln.Artifact("gs://bucket/file.txt")  # s3:// URLs: tests/s3
    path = write(tmp_path / "a.txt", b"a")
    with pytest.raises(ln.errors.InvalidArgument, match="hash, size are computed from the data"):
        ln.Artifact(path, size=3, hash="x")
    with pytest.raises(ValueError, match="^Only one non-keyword arg allowed: data$"):
        ln.Artifact(path, "a.txt")
    with pytest.raises(ln.errors.FieldValidationError, match="has no field 'kee'"):
        ln.Artifact(path, kee="a.txt")


def test_artifact_run_is_the_tracked_run(instance, tmp_path):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    run = ln.context.run
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"tracked"), key="a.txt").save()
    assert artifact.run == run
    assert ln.Artifact.get(key="a.txt").run_id == run.id


def test_artifact_keyword_construction_without_data_still_works(instance):
    ln = instance
    artifact = ln.Artifact(key="bare.txt", suffix=".txt").save()  # storage defaults
    assert artifact.storage == ln.Storage.get(root=str(Path(ln.setup.settings.storage).resolve()))
    loaded = ln.Artifact.get(key="bare.txt")  # built by Django from one value per column
    assert (loaded.uid, loaded.suffix, loaded.hash) == (artifact.uid, ".txt", None)
    assert loaded.path.name == f"{artifact.uid}.txt"


def test_artifact_with_data_in_bulk_save_stores_its_file(instance, tmp_path, storage_files):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"bulk"), key="a.txt")
    ln.save([ln.ULabel(name="with it"), artifact])
    assert ln.Artifact.get(key="a.txt") == artifact
    assert storage_files() == [f"{artifact.uid}.txt"]
    assert artifact.path.read_bytes() == b"bulk"


def test_artifact_bulk_save_failing_later_removes_the_stored_file(instance, tmp_path, storage_files):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"bulk"), key="a.txt")
    with pytest.raises(ln.errors.ValidationError, match="ULabel: name is required"):
        ln.save([artifact, ln.ULabel(name="")])
    assert ln.Artifact.filter().count() == 0
    assert storage_files() == []
    artifact.save()
    assert storage_files() == [f"{artifact.uid}.txt"]


def test_artifact_bulk_save_of_many_is_what_a_loop_of_save_does(instance, tmp_path, capsys, storage_files):
    # ln.save stores many artifacts in batches; content saved before, content and
    # keys repeated in the list, and new versions come out as from one save() each
    ln = instance
    saved_before = ln.Artifact(write(tmp_path / "old.txt", b"old content"), key="old.txt").save()
    versioned = ln.Artifact(write(tmp_path / "v.txt", b"v1"), key="v.txt").save()
    capsys.readouterr()
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", f"file {i}".encode()), key=f"many/f{i}.txt")
                 for i in range(40)]
    same_as_before = ln.Artifact(write(tmp_path / "again.txt", b"old content"), key="again.txt")
    twin = ln.Artifact(write(tmp_path / "twin.txt", b"file 3"), key="many/twin.txt")
    new_version = ln.Artifact(write(tmp_path / "v2.txt", b"v2"), key="v.txt")
    key_again = ln.Artifact(write(tmp_path / "f0b.txt", b"file 0, second version"), key="many/f0.txt")
    ln.save([*artifacts[:20], same_as_before, twin, new_version, key_again, *artifacts[20:]])
    out = capsys.readouterr().out
    assert all(not a._state.adding for a in artifacts)
    assert [a.path.read_bytes() for a in artifacts] == [f"file {i}".encode() for i in range(40)]
    assert same_as_before.id == saved_before.id and twin.id == artifacts[3].id
    assert out.count("returning existing artifact with same hash") == 2
    assert new_version.uid == versioned.uid[:16] + "0001" and new_version.is_latest
    assert key_again.uid == artifacts[0].uid[:16] + "0001"
    assert list(ln.Artifact.filter(key="many/f0.txt").order_by("id").values_list("is_latest", flat=True)) == [False, True]
    assert ln.Artifact.filter().count() == 2 + 40 + 2
    assert len(storage_files()) == 2 + 40 + 2  # no temporary copies


def test_artifact_bulk_save_takes_a_new_uid_where_a_file_exists(instance, tmp_path, lamindb_dir):
    ln = instance
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", f"f{i}".encode())) for i in range(3)]
    taken = artifacts[1].uid
    leftover = write(lamindb_dir / f"{taken}.txt", b"left over")
    ln.save(artifacts)
    assert artifacts[1].uid != taken and artifacts[1].path.read_bytes() == b"f1"
    assert leftover.read_bytes() == b"left over"
    leftover.unlink()


def test_artifact_bulk_save_failing_copy_leaves_nothing(instance, tmp_path, monkeypatch, storage_files):
    ln = instance
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", f"copy {i}".encode()), key=f"f{i}.txt") for i in range(6)]
    publish = file_copies._publish
    calls = []

    def fail_on_the_fourth(tmp, dest):
        calls.append(dest)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        publish(tmp, dest)

    monkeypatch.setattr(file_copies, "_publish", fail_on_the_fourth)
    with pytest.raises(OSError, match="No space left on device"):
        ln.save(artifacts)
    monkeypatch.undo()
    assert storage_files() == []  # the three stored files and every temporary copy are gone
    assert ln.Artifact.filter().count() == 0
    assert all(a._state.adding for a in artifacts)
    ln.save(artifacts)  # saving again works
    assert len(storage_files()) == 6


def test_artifact_bulk_save_failing_insert_leaves_nothing(instance, tmp_path, monkeypatch, storage_files):
    ln = instance
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", f"insert {i}".encode())) for i in range(5)]
    uids = [a.uid for a in artifacts]

    def fail(*args, **kwargs):
        raise DatabaseError("database is locked")

    # the INSERT of ln.save's batch of artifacts
    monkeypatch.setattr(bulk, "_insert_rows", fail)
    with pytest.raises(DatabaseError, match="database is locked"):
        ln.save(artifacts)
    monkeypatch.undo()
    assert storage_files() == []
    assert ln.Artifact.filter().count() == 0
    assert all(a.path.exists() for a in artifacts)  # the data they were made from stays
    assert [a.uid for a in artifacts] == uids and all(a._state.adding and a.pk is None for a in artifacts)


def test_artifact_bulk_save_when_another_process_saved_the_same_content_meanwhile(
    instance, tmp_path, monkeypatch, storage_files, capsys
):
    # between the lookup of hashes and the INSERT, another process saves one of the
    # contents: the batch falls back to saving one by one, which returns that record
    ln = instance
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", f"race {i}".encode()), key=f"race/{i}.txt") for i in range(4)]
    store_many = file_copies.store_many
    storage = ln.Storage.filter().first()

    def store_and_race(pairs, **kwargs):
        result = store_many(pairs, **kwargs)
        rival = ln.Artifact(key="rival.txt", suffix=".txt", storage=storage, size=6, hash=artifacts[2].hash)
        rival.save()
        return result

    monkeypatch.setattr(file_copies, "store_many", store_and_race)
    ln.save(artifacts)
    monkeypatch.undo()
    rival = ln.Artifact.get(key="rival.txt")
    assert artifacts[2].id == rival.id
    assert "returning existing artifact with same hash" in capsys.readouterr().out
    assert [a.path.read_bytes() for a in (artifacts[0], artifacts[1], artifacts[3])] == [b"race 0", b"race 1", b"race 3"]
    assert ln.Artifact.filter(key__startswith="race/").count() == 3
    assert len(storage_files()) == 3  # the batch's copy of the rival's content is gone


def test_artifact_of_dataframes_bulk_save_failing_later_can_be_saved_again(instance, storage_files):
    # the temporary files of in-memory data stay until ln.save() has succeeded
    import pandas as pd

    ln = instance
    artifacts = [ln.Artifact.from_df(pd.DataFrame({"a": [i, i + 1]}), key=f"df{i}.parquet") for i in range(3)]
    with pytest.raises(ln.errors.ValidationError, match="ULabel: name is required"):
        ln.save([*artifacts, ln.ULabel(name="")])
    with pytest.raises(ln.errors.ValidationError, match="ULabel: name is required"):
        ln.save([artifacts[0], ln.ULabel(name="")])  # one artifact alone, too
    assert storage_files() == [] and all(a.path.exists() for a in artifacts)
    temps = [a.path for a in artifacts]
    ln.save(artifacts)
    assert [a.load()["a"].tolist() for a in artifacts] == [[0, 1], [1, 2], [2, 3]]
    assert not any(t.exists() for t in temps)  # released once saved


# -- same content, new versions ------------------------------------------------


def test_artifact_same_content_twice_returns_existing_with_message(instance, tmp_path, capsys, storage_files):
    ln = instance
    path = write(tmp_path / "a.txt", b"same content")
    first = ln.Artifact(path, key="a.txt").save()
    capsys.readouterr()
    second = ln.Artifact(write(tmp_path / "copy.txt", b"same content"), key="other.txt").save()
    out = capsys.readouterr().out.strip().splitlines()
    # LaminDB's two messages, when ln.Artifact(...) finds the content saved already
    assert out == [
        "! key a.txt on existing artifact differs from passed key other.txt",
        f"! returning existing artifact with same hash: {first!r}",
    ]
    assert second.id == first.id and second.uid == first.uid and second.key == "a.txt"
    assert ln.Artifact.filter().count() == 1
    assert storage_files() == [f"{first.uid}.txt"]


def test_artifact_same_dataframe_twice_creates_one_artifact(instance, storage_files):
    from lamindb_core.core import datasets

    ln = instance
    first = ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
    second = ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
    assert second == first
    assert ln.Artifact.filter().count() == 1
    assert storage_files() == [f"{first.uid}.parquet"]


def test_artifact_new_content_same_key_creates_a_version(instance, tmp_path, capsys):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"version 1"), key="docs/a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"version 2"), key="docs/a.txt").save()
    assert v2.uid[:16] == v1.uid[:16]
    assert (v1.uid[16:], v2.uid[16:]) == ("0000", "0001")
    assert f"created version 0001 of artifact '{v1.uid[:16]}'" in capsys.readouterr().out
    v1.refresh_from_db()
    assert (v1.is_latest, v2.is_latest) == (False, True)
    assert (v1.version, v2.version) == (None, None)
    v3 = ln.Artifact(write(tmp_path / "a.txt", b"version 3"), key="docs/a.txt", version="3").save()
    assert v3.uid == v1.uid[:16] + "0002" and v3.version == "3"
    assert list(v3.versions) == [v1, v2, v3]
    assert list(v3.versions.values_list("is_latest", flat=True)) == [False, False, True]
    assert ln.Artifact.get(v1.uid[:16]) == v3  # the stem gives the latest version
    assert v2.path.read_bytes() == b"version 2" and v3.path.read_bytes() == b"version 3"


def test_artifact_revises_creates_a_version_with_its_key(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "model.pt", b"weights 1"), key="models/model.pt", description="my model").save()
    v2 = ln.Artifact(write(tmp_path / "model.pt", b"weights 2"), revises=v1).save()
    assert v2.uid == v1.uid[:16] + "0001"
    assert (v2.key, v2.description) == ("models/model.pt", "my model")
    assert v1.is_latest is False  # the object passed as revises is updated too
    assert ln.Artifact.filter(key="models/model.pt", is_latest=True).one() == v2
    with pytest.raises(ln.errors.InvalidArgument, match="revises expects a saved Artifact"):
        ln.Artifact(write(tmp_path / "other", b"x"), revises=ln.Artifact(key="unsaved"))


# -- failures leave nothing behind -----------------------------------------------


def test_artifact_failed_insert_leaves_no_file_and_no_record(instance, tmp_path, monkeypatch, storage_files):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"v1"), key="a.txt").save()

    def fail(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr("lamindb_core.models.artifact_lifecycle.insert_row", fail)  # the INSERT of save()
    with pytest.raises(DatabaseError, match="database is locked"):
        ln.Artifact(write(tmp_path / "b.txt", b"new"), key="b.txt").save()
    with pytest.raises(DatabaseError):
        ln.Artifact(write(tmp_path / "a.txt", b"v2"), key="a.txt").save()  # a new version
    monkeypatch.undo()
    assert storage_files() == [f"{v1.uid}.txt"]
    assert list(ln.Artifact.filter().values_list("uid", "is_latest")) == [(v1.uid, True)]


def test_artifact_failed_copy_writes_no_record(instance, tmp_path, monkeypatch, storage_files):
    ln = instance

    read_hashing = file_copies.read_hashing

    def fail_when_writing(fd, out=None, **kwargs):
        if out is not None:
            raise OSError(28, "No space left on device")
        return read_hashing(fd, out, **kwargs)

    artifact = ln.Artifact(write(tmp_path / "a.txt", b"content"), key="a.txt")
    monkeypatch.setattr(file_copies, "read_hashing", fail_when_writing)
    with pytest.raises(OSError, match="No space left on device"):
        artifact.save()
    monkeypatch.undo()
    assert storage_files() == []  # not even the temporary copy
    assert ln.Artifact.filter().count() == 0
    assert artifact._state.adding  # saving again works
    artifact.save()
    assert storage_files() == [f"{artifact.uid}.txt"]


def test_artifact_version_skips_a_uid_whose_file_exists(instance, tmp_path, lamindb_dir):
    # a save whose transaction was rolled back leaves its file; it is never overwritten
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="a.txt").save()
    leftover = write(lamindb_dir / f"{v1.uid[:16]}0001.txt", b"left over")
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="a.txt").save()
    assert v2.uid == v1.uid[:16] + "0002"
    assert leftover.read_bytes() == b"left over"
    assert v2.path.read_bytes() == b"two"


def test_files_store_atomic_never_replaces_an_existing_path(tmp_path):
    source = write(tmp_path / "new.txt", b"new")
    dest = write(tmp_path / "store" / "x.txt", b"old")
    with pytest.raises(FileExistsError):
        file_copies.store_atomic(source, dest)
    assert dest.read_bytes() == b"old"
    assert [p.name for p in dest.parent.iterdir()] == ["x.txt"]  # no temporary copy left


def test_artifact_unsaved_dataframe_leaves_no_temporary_file(instance):
    import gc

    import pandas as pd

    artifact = instance.Artifact.from_df(pd.DataFrame({"a": [1, 2]}))
    temp = artifact.path
    assert temp.exists() and temp.suffix == ".parquet"
    del artifact
    gc.collect()
    assert not temp.exists()


def test_artifact_unsaved_in_memory_data_is_written_under_its_uid(instance):
    import pandas as pd

    ln = instance
    first = ln.Artifact.from_df(pd.DataFrame({"a": [5, 6]}), key="folder/hello.parquet").save()
    # two unsaved new versions of one artifact have one uid: the second keeps a temporary name
    revision = ln.Artifact.from_df(pd.DataFrame({"a": [7, 8]}), revises=first)
    other = ln.Artifact.from_df(pd.DataFrame({"a": [9, 10]}), revises=first)
    assert revision.uid == other.uid
    assert revision.path.name == f"{revision.uid}.parquet"
    assert revision.path.parent == ln.settings.cache_dir
    assert other.path != revision.path and other.path.exists()
    from lamindb_core.core import datasets

    adata = ln.Artifact.from_anndata(datasets.small_dataset1(format="anndata"), description="x")
    assert adata.path.name == f"{adata.uid}.h5ad"
    zarr = ln.Artifact.from_anndata(datasets.small_dataset1(format="anndata"), description="x", format="zarr")
    assert zarr.path.name == f"{zarr.uid}.zarr" and zarr.path.is_dir()
    assert pd.read_parquet(revision.path)["a"].tolist() == [7, 8]
    assert pd.read_parquet(other.path)["a"].tolist() == [9, 10]
    revision.save()
    assert revision.load()["a"].tolist() == [7, 8]


def test_artifact_saved_dataframe_removes_its_temporary_file(instance):
    import pandas as pd

    artifact = instance.Artifact.from_df(pd.DataFrame({"a": [3, 4]}))
    temp = artifact.path
    artifact.save()
    assert not temp.exists()
    assert artifact.path.exists() and artifact.path != temp


# -- trash, restore, delete ------------------------------------------------------


def test_artifact_delete_moves_to_trash_and_restore_brings_back(instance, tmp_path, capsys):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"trash me"), key="a.txt").save()
    artifact.delete()
    assert "moved artifact" in capsys.readouterr().out
    assert artifact._branch_code == -1
    assert artifact.path.exists()  # the file stays
    assert ln.Artifact.filter(key="a.txt").count() == 0
    assert ln.Artifact.objects.get(key="a.txt")._branch_code == -1
    artifact.delete()  # again, not permanent: nothing happens but a hint
    assert "delete(permanent=True)" in capsys.readouterr().out
    assert ln.Artifact.objects.filter(key="a.txt").exists()
    artifact.restore()
    assert ln.Artifact.get(key="a.txt")._branch_code == 1


def test_artifact_delete_of_an_unsaved_artifact_is_an_error(instance, tmp_path):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"unsaved"))
    with pytest.raises(ln.errors.InvalidArgument, match="is not saved: there is nothing to delete"):
        artifact.delete()
    with pytest.raises(ln.errors.InvalidArgument, match="is not saved: there is nothing to restore"):
        artifact.restore()


def test_artifact_saving_trashed_content_returns_it_with_a_hint(instance, tmp_path, capsys):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"trashed"), key="a.txt").save()
    artifact.delete()
    capsys.readouterr()
    again = ln.Artifact(tmp_path / "a.txt", key="a.txt").save()
    assert again.id == artifact.id
    assert "it is in the trash: call .restore()" in capsys.readouterr().out


@pytest.mark.no_rollback
def test_artifact_permanent_delete_removes_record_and_file(instance, tmp_path):
    ln = instance
    trashed_first = ln.Artifact(write(tmp_path / "a.txt", b"permanent 1"), key="perm/a.txt").save()
    direct = ln.Artifact(write(tmp_path / "b.txt", b"permanent 2"), key="perm/b.txt").save()
    paths = [trashed_first.path, direct.path]
    assert all(p.exists() for p in paths)
    trashed_first.delete()
    trashed_first.delete(permanent=True)
    direct.delete(permanent=True)  # straight away, without the trash
    assert not ln.Artifact.objects.filter(key__startswith="perm/").exists()
    assert not any(p.exists() for p in paths)


def test_artifact_permanent_delete_in_a_rolled_back_transaction_keeps_the_file(instance, tmp_path):
    from django.db import transaction

    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.txt", b"kept"), key="a.txt").save()
    path = artifact.path
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            ln.Artifact.get(key="a.txt").delete(permanent=True)
            raise RuntimeError("changed my mind")
    assert ln.Artifact.get(key="a.txt").uid == artifact.uid
    assert path.exists()


def test_artifact_permanent_delete_of_latest_version_makes_previous_latest(instance, tmp_path):
    ln = instance
    v1 = ln.Artifact(write(tmp_path / "a.txt", b"one"), key="a.txt").save()
    v2 = ln.Artifact(write(tmp_path / "a.txt", b"two"), key="a.txt").save()
    v2.delete(permanent=True)
    v1.refresh_from_db()
    assert v1.is_latest is True
    assert list(v1.versions) == [v1]


# -- the guide -------------------------------------------------------------------


def test_artifact_guide_first_artifacts(instance, cwd):
    # the first three artifacts of the guide's set-up cell, with its import line changed
    import lamindb_core as ln
    from lamindb_core.core import datasets

    ln.Artifact(datasets.file_jpg_paradisi05(), key="images/my_image.jpg").save()
    ln.Artifact(datasets.file_fastq(), key="raw/my_fastq.fastq").save()
    ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
    df = ln.Artifact.df()
    assert df["key"].tolist() == ["iris/iris_collection.parquet", "raw/my_fastq.fastq", "images/my_image.jpg"]
    assert df["suffix"].tolist() == [".parquet", ".fastq.gz", ".jpg"]
    assert df["kind"].tolist() == ["dataset", None, None]
    assert df["otype"].tolist() == ["DataFrame", None, None]
    fastq = ln.Artifact.get(key="raw/my_fastq.fastq")
    assert (fastq.size, fastq.hash) == (20, "hi7ZmAzz8sfMd3vIQr-57Q")  # as in the guide
    assert ln.Artifact.filter(suffix__in=[".jpg", ".fastq.gz"]).count() == 2
    assert ln.Artifact.get(key="iris/iris_collection.parquet").load().shape == (150, 5)


def test_artifact_bulk_save_of_many_refreshes_the_planner_statistics(instance, tmp_path, storage_files):
    # a table that grew by thousands of rows without statistics gets poor plans
    from django.db import connection

    ln = instance
    artifacts = [ln.Artifact(write(tmp_path / f"s{i}.txt", f"stats {i}".encode())) for i in range(1000)]
    ln.save(artifacts)
    ln.Feature(name="stats_n", dtype="int").save()
    ln.Artifact.features.add_values({a: {"stats_n": i} for i, a in enumerate(artifacts)})
    with connection.cursor() as cursor:
        for table in ("core_artifact", "core_artifactfeaturevalue"):
            if connection.vendor == "sqlite":
                cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
                rows = int(cursor.fetchone()[0].split()[0])
            else:
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
                rows = cursor.fetchone()[0]
            assert rows >= 1000, table


def test_artifact_bulk_save_of_files_and_folders_together(instance, tmp_path, storage_files):
    ln = instance
    folder = tmp_path / "plate.zarr"
    write(folder / "0" / "a.bin", b"chunk a")
    write(folder / ".zattrs", b"{}")
    artifacts = [
        ln.Artifact(write(tmp_path / "one.txt", b"one"), key="mixed/one.txt"),
        ln.Artifact(folder, key="mixed/plate.zarr"),
        ln.Artifact(write(tmp_path / "two.txt", b"two"), key="mixed/two.txt"),
    ]
    ln.save(artifacts)
    stored = artifacts[1].path
    assert stored.is_dir() and (stored / "0" / "a.bin").read_bytes() == b"chunk a"
    assert artifacts[1].n_files == 2 and artifacts[1].suffix == ".zarr"
    assert [a.path.read_bytes() for a in (artifacts[0], artifacts[2])] == [b"one", b"two"]
    assert sorted(storage_files()) == sorted(a.path.name for a in artifacts)
