"""Artifacts and storage locations (issue 13, items 3 and 4), as LaminDB 1.0 behaves.

A file inside a registered storage location is registered where it lies (never
copied, moved or deleted without being asked); others are copied into
``ln.settings.storage``, which can be switched; keys that are real paths
(``_key_is_virtual=False``); folders; ``from_dir``; argument checks; loaders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.usefixtures("storage_files")


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def commit_callbacks():
    """Run what is to happen on commit (file removals) though the test's transaction is rolled back."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def storage_root(instance) -> Path:
    return Path(instance.setup.settings.storage).resolve()


@pytest.fixture
def in_default(storage_root: Path):
    """A folder inside the instance's storage (not in .lamindb); removed afterwards."""
    folder = storage_root / "my_dir"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def registered(instance, tmp_path: Path):
    """Another folder registered as an ``ln.Storage`` (no instance manages it)."""
    root = tmp_path / "registered_storage"
    root.mkdir()
    instance.Storage(root=root.resolve().as_posix(), type="local").save()
    return root


# -- registered where it lies ------------------------------------------------------


def test_artifact_in_default_storage_is_registered_in_place(instance, in_default, storage_root):
    ln = instance
    path = write(in_default / "my_file.csv", "0")
    artifact = ln.Artifact(path, description="in place")
    assert artifact.key == "my_dir/my_file.csv"
    assert artifact._key_is_virtual is False
    artifact.save()
    assert artifact.path == path.resolve()
    assert artifact.storage.root == storage_root.as_posix()
    assert path.read_text() == "0"
    assert not any(p.name.startswith(artifact.uid) for p in (storage_root / ".lamindb").iterdir())


def test_artifact_in_registered_storage_is_registered_in_place(instance, registered):
    ln = instance
    path = write(registered / "sub" / "a.txt", "hello")
    artifact = ln.Artifact(path).save()
    assert artifact.storage.root == registered.resolve().as_posix()
    assert artifact.key == "sub/a.txt"
    assert artifact.path == path.resolve()
    assert artifact.load() == path.resolve()  # no loader for .txt: the path


def test_artifact_in_registered_storage_refuses_another_key(instance, registered):
    ln = instance
    path = write(registered / "sub" / "a.txt", "hello")
    with pytest.raises(ln.errors.InvalidArgument) as error:
        ln.Artifact(path, key="other.txt")
    assert str(error.value) == (
        f"The path '{path}' is already in registered storage '{registered.resolve().as_posix()}' with key "
        "'sub/a.txt'\nYou passed conflicting key 'other.txt': please move the file before registering it."
    )


def test_artifact_of_a_path_reads_the_storages_with_its_content_query(instance, tmp_path):
    # ln.Artifact(path) asks the database once: the roots of the storages that could hold the
    # path come with the query of the same content and key
    ln = instance
    path = write(tmp_path / "one.csv", "a,b\n1,2\n")
    with CaptureQueriesContext(connection) as queries:
        artifact = ln.Artifact(path, key="one.csv")
    assert len(queries) == 1
    assert (artifact._key_is_virtual, artifact.key) == (True, "one.csv")


def test_artifact_in_storage_registered_elsewhere_is_found(instance, tmp_path):
    # a storage registered after this process made artifacts (here by a statement this process's
    # models do not see, as another process would) holds the next path: registered in place
    ln = instance
    ln.Artifact(write(tmp_path / "before.csv", "x\n1\n"))
    root = tmp_path / "late_storage"
    write(root / "sub" / "c.txt", "late")
    ln.Storage.objects.bulk_create([ln.Storage(root=root.resolve().as_posix(), type="local")])
    artifact = ln.Artifact(root / "sub" / "c.txt")
    assert (artifact.storage.root, artifact.key, artifact._key_is_virtual) == (
        root.resolve().as_posix(), "sub/c.txt", False)
    with pytest.raises(ln.errors.InvalidArgument, match="already in registered storage"):
        ln.Artifact(root / "sub" / "c.txt", key="other.txt")


def test_artifact_in_place_by_resolved_path_not_by_name(instance, registered, tmp_path):
    # a sibling folder whose name starts with the root's is not inside it; a link from
    # outside to a file inside is registered where its target lies, with the target's key
    ln = instance
    sibling = write(tmp_path / f"{registered.name}front" / "a.txt", "sibling")
    artifact = ln.Artifact(sibling)
    assert artifact._key_is_virtual is True and artifact.storage.root != registered.resolve().as_posix()
    target = write(registered / "sub" / "b.txt", "target")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    artifact = ln.Artifact(link)
    assert (artifact.storage.root, artifact.key) == (registered.resolve().as_posix(), "sub/b.txt")
    assert ln.Storage.containing(link).root == registered.resolve().as_posix()
    assert ln.Storage.containing(registered) is None  # the root itself is not inside


def test_artifact_in_place_key_cannot_change(instance, registered):
    ln = instance
    artifact = ln.Artifact(write(registered / "a.txt", "x")).save()
    artifact.key = "b.txt"
    with pytest.raises(ln.errors.InvalidArgument, match="Changing a non-virtual key of an artifact is not allowed"):
        artifact.save()


def test_artifact_in_place_delete_keeps_the_users_file(instance, in_default):
    ln = instance
    path = write(in_default / "keep.csv", "keep me")
    artifact = ln.Artifact(path, description="x").save()
    with commit_callbacks():
        artifact.delete(permanent=True)
    assert path.read_text() == "keep me"
    assert not ln.Artifact.objects.filter(uid=artifact.uid).exists()


def test_artifact_in_place_delete_with_storage_true_removes_it(instance, in_default):
    ln = instance
    path = write(in_default / "gone.csv", "remove me")
    artifact = ln.Artifact(path, description="x").save()
    with commit_callbacks():
        artifact.delete(permanent=True, storage=True)
    assert not path.exists()


def test_artifact_in_unmanaged_storage_delete_with_storage_true_is_refused(instance, registered):
    ln = instance
    path = write(registered / "a.txt", "x")
    artifact = ln.Artifact(path).save()
    with pytest.raises(ln.errors.IntegrityError, match="Cannot simply delete artifacts outside"):
        artifact.delete(permanent=True, storage=True)
    artifact.delete(permanent=True, storage=False)
    assert path.exists()


def test_artifact_failed_save_of_in_place_file_leaves_it(instance, in_default, monkeypatch):
    ln = instance
    path = write(in_default / "f.csv", "data")
    artifact = ln.Artifact(path, description="x")

    def boom():
        raise RuntimeError("insert failed")

    from lamindb_core.models import artifact_lifecycle

    real_insert = artifact_lifecycle._insert
    monkeypatch.setattr(artifact_lifecycle, "_insert", lambda a, p, d, row: real_insert(a, p, d, boom))
    with pytest.raises(RuntimeError):
        artifact.save()
    assert path.read_text() == "data"


# -- copies: virtual keys and real keys -----------------------------------------------


def test_artifact_outside_storage_is_copied(instance, tmp_path, storage_root):
    ln = instance
    path = write(tmp_path / "a.csv", "a,b\n1,2\n")
    artifact = ln.Artifact(path, key="tables/a.csv").save()
    assert artifact._key_is_virtual is True
    assert artifact.path == storage_root / ".lamindb" / f"{artifact.uid}.csv"
    assert artifact.load().columns.tolist() == ["a", "b"]


def test_artifact_real_key_stores_at_key_and_never_replaces(instance, tmp_path, storage_root):
    ln = instance
    ln.settings.creation._artifact_use_virtual_keys = False
    try:
        artifact = ln.Artifact(write(tmp_path / "a.txt", "one"), key="real/a.txt").save()
        assert artifact._key_is_virtual is False
        assert artifact.path == storage_root / "real" / "a.txt"
        assert artifact.path.read_text() == "one"
        with pytest.raises(ln.errors.InvalidArgument, match="exists: an artifact stored at its key never replaces"):
            ln.Artifact(write(tmp_path / "b.txt", "two"), key="real/a.txt").save()
        assert artifact.path.read_text() == "one"
        with commit_callbacks():
            artifact.delete(permanent=True, storage=True)
        assert not (storage_root / "real" / "a.txt").exists()
    finally:
        ln.settings.creation._artifact_use_virtual_keys = True
        shutil.rmtree(storage_root / "real", ignore_errors=True)


# -- argument checks ----------------------------------------------------------------------


def test_artifact_argument_checks_as_lamindb(instance, tmp_path):
    ln = instance
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2]})
    path = write(tmp_path / "a.csv", "a\n1\n")
    with pytest.raises(ValueError) as error:
        ln.Artifact(path, path)
    assert error.exconly() == "ValueError: Only one non-keyword arg allowed: data"
    with pytest.raises(ValueError, match=r"Do not pass key that contains a managed storage path in `\.lamindb/`"):
        ln.Artifact.from_df(df, key=".lamindb/test_df.parquet")
    with pytest.raises(ValueError, match=r"Do not pass path inside the `\.lamindb/` directory\."):
        ln.Artifact(".lamindb/test_df.parquet", description="Test")
    with pytest.raises(ValueError) as error:
        ln.Artifact.from_df(df, description="test", version=0)
    assert str(error.value) == "`version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc."
    with pytest.raises(TypeError, match="`revises` has to be of type `Artifact`"):
        ln.Artifact.from_df(df, description="x", revises=ln.ULabel(name="x"))
    with pytest.raises(ln.errors.InvalidArgument) as error:
        ln.Artifact.from_df(df, key="test_.def")
    assert str(error.value) == "The suffix '.def' of the provided key is incorrect, it should be '.parquet'."


def test_artifact_version_must_increase_and_uid_is_known_before_save(instance):
    ln = instance
    pd = pytest.importorskip("pandas")
    v1 = ln.Artifact.from_df(pd.DataFrame({"a": [1]}), description="v", version="1").save()
    with pytest.raises(ValueError, match=r"^Please increment the previous version: '1'$"):
        ln.Artifact.from_df(pd.DataFrame({"a": [2]}), revises=v1, version="1")
    v2 = ln.Artifact.from_df(pd.DataFrame({"a": [2]}), revises=v1)
    assert v2.uid == v1.stem_uid + "0001" and v2.description == "v"
    by_key = ln.Artifact.from_df(pd.DataFrame({"a": [3]}), key="k.parquet").save()
    again = ln.Artifact.from_df(pd.DataFrame({"a": [4]}), key="k.parquet")
    assert again.uid == by_key.stem_uid + "0001"


def test_artifact_same_content_returns_the_saved_one_at_construction(instance, tmp_path):
    ln = instance
    path = write(tmp_path / "a.txt", "same")
    first = ln.Artifact(path, description="first").save()
    second = ln.Artifact(path, description="something")
    assert not second._state.adding and second.id == first.id
    assert second.description == "something"


def test_artifact_saved_suffix_and_key_suffix_cannot_change(instance, tmp_path):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "a.h5", "x"), description="x").save()
    artifact.key = "my-test-dataset.suffix"
    with pytest.raises(ln.errors.InvalidArgument, match="The suffix '.suffix' of the provided key is incorrect"):
        artifact.save()
    artifact.key = None
    artifact.suffix = ".parquet"
    with pytest.raises(ln.errors.InvalidArgument, match="the suffix of a saved artifact is its data's"):
        artifact.save()


# -- in-memory objects, loaders, open --------------------------------------------------


def test_artifact_local_filepath_and_memory_rep(instance):
    ln = instance
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2]})
    artifact = ln.Artifact.from_df(df, description="mem")
    assert artifact._local_filepath.exists()
    assert ln.settings.cache_dir in artifact._local_filepath.parents
    assert artifact.load() is df
    artifact.save()
    assert not hasattr(artifact, "_local_filepath")
    assert artifact.load().equals(df)
    dataset = artifact.open()
    assert len(dataset.files) == 1


def test_artifact_data_made_in_the_cache_moves_into_storage(instance, tmp_path):
    ln = instance
    cache = Path(ln.setup.settings.cache_dir)
    folder = write(cache / "test_adata.zarr" / "a.txt", "a").parent
    elsewhere = write(tmp_path / "kept.zarr" / "b.txt", "b").parent
    with commit_callbacks():
        in_cache = ln.Artifact(folder, key="test_cache.zarr").save()
        kept = ln.Artifact(elsewhere, key="kept.zarr").save()
    assert not folder.exists() and in_cache.path.exists() and in_cache.path.name != in_cache.key
    assert (in_cache.path / "a.txt").read_text() == "a"
    assert elsewhere.exists() and kept.path.exists()  # outside the cache, the user's data stays
    write(cache / "rolled_back.txt", "r")
    artifact = ln.Artifact(cache / "rolled_back.txt", key="rolled_back.txt")
    with pytest.raises(RuntimeError), transaction.atomic():
        artifact.save()
        raise RuntimeError("rolled back")
    assert (cache / "rolled_back.txt").exists()  # nothing committed: the source stays
    (cache / "rolled_back.txt").unlink()


def test_artifact_bulk_save_moves_files_made_in_the_cache_links_resolved(instance, tmp_path):
    # ln.save of files: those in the cache folder (or linked from elsewhere to a file in it) go
    # once saved, a file outside stays, a link in the cache to a file outside stays
    ln = instance
    cache = Path(ln.setup.settings.cache_dir)
    inside = write(cache / "bulk-moves" / "in.txt", "in")
    target = write(cache / "bulk-moves" / "target.txt", "target")
    outside = write(tmp_path / "out.txt", "out")
    link_in = tmp_path / "link-in.txt"
    link_in.symlink_to(target)
    link_out = cache / "bulk-moves" / "link-out.txt"
    link_out.symlink_to(write(tmp_path / "far.txt", "far"))
    try:
        artifacts = [ln.Artifact(p, key=f"bulk-moves/{p.name}") for p in (inside, outside, link_in, link_out)]
        with commit_callbacks():
            ln.save(artifacts)
        assert [p.exists() or p.is_symlink() for p in (inside, outside, link_in, link_out)] == [
            False, True, False, True]
        assert [a.path.read_text() for a in artifacts] == ["in", "out", "target", "far"]
    finally:
        shutil.rmtree(cache / "bulk-moves", ignore_errors=True)


def test_artifact_anndata_formats(instance):
    ln = instance
    ad = pytest.importorskip("anndata")
    np = pytest.importorskip("numpy")
    adata = ad.AnnData(X=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert ln.Artifact.from_anndata(adata, key="x.h5ad").suffix == ".h5ad"
    zarr = ln.Artifact.from_anndata(adata, key="x.zarr")
    assert zarr.suffix == ".zarr" and zarr.n_files >= 1 and zarr.otype == "AnnData"
    with pytest.raises(ValueError, match="Error when specifying AnnData storage format"):
        ln.Artifact.from_anndata(adata, key="test_.def")
    with pytest.raises(ln.errors.InvalidArgument, match="The suffix '' of the provided key is incorrect"):
        ln.Artifact.from_anndata(adata, key="test_")
    zarr.save()
    assert zarr.path.is_dir()
    assert zarr.load().shape == (2, 2)
    h5ad = ln.Artifact.from_anndata(adata, description="backed", format="h5ad").save()
    backed = h5ad.open()
    try:
        assert backed.isbacked and backed.shape == (2, 2)
    finally:
        backed.file.close()


def test_artifact_from_anndata_path(instance, tmp_path):
    ln = instance
    ad = pytest.importorskip("anndata")
    np = pytest.importorskip("numpy")
    path = tmp_path / "adata_file.h5ad"
    ad.AnnData(X=np.ones((2, 2))).write_h5ad(path)
    artifact = ln.Artifact.from_anndata(str(path), description="file").save()
    assert artifact.otype == "AnnData" and artifact.kind == "dataset"
    with pytest.raises(ln.errors.InvalidArgument, match="pass an AnnData or a path to AnnData-like"):
        ln.Artifact.from_anndata(str(write(tmp_path / "a.txt", "x")))


def test_artifact_loads_json_yaml_and_html(instance, tmp_path, monkeypatch):
    ln = instance
    # outside IPython (an InteractiveShell that an earlier test made sets builtins.__IPYTHON__)
    monkeypatch.delattr("builtins.__IPYTHON__", raising=False)
    data = ln.Artifact(write(tmp_path / "tmp.json", json.dumps({"a": 1})), key="tmp.json")
    assert data.load() == {"a": 1}
    pytest.importorskip("yaml")
    assert ln.Artifact(write(tmp_path / "c.yaml", "a: 1\nb: 2\n"), key="c.yaml").load() == {"a": 1, "b": 2}
    html = write(tmp_path / "r.html", "<html><body><h1>T</h1></body></html>")
    assert ln.Artifact(html, key="r.html").load() == html
    rds = ln.Artifact(write(tmp_path / "somefile.rds", "R data"), key="somefile.rds").save()
    loaded = rds.load()  # no Python loader: the path, as LaminDB's UPath
    assert isinstance(loaded, ln.UPath) and loaded == rds.path


def test_artifact_loads_fcs_as_anndata(instance, tmp_path, monkeypatch):
    ln = instance
    pytest.importorskip("readfcs")  # the `fcs` extra
    monkeypatch.chdir(tmp_path)
    artifact = ln.Artifact(ln.core.datasets.file_fcs_alpert19(), key="cytometry/Alpert19.fcs").save()
    adata = artifact.load()
    assert type(adata).__name__ == "AnnData" and adata.shape == (2000, 22)
    assert "Time" in set(adata.var.index) | set(adata.var["channel"])


# -- folders and from_dir ----------------------------------------------------------------


def test_artifact_folder_in_place_and_copied(instance, in_default, tmp_path, storage_root):
    ln = instance
    for i, text in enumerate(["0", "0", "1"]):
        write(in_default / f"my_file{i}.csv", text)
    in_place = ln.Artifact(in_default).save()
    assert in_place.key == "my_dir" and in_place.n_files == 3 and in_place.path == in_default.resolve()
    assert in_place.cache() == in_default.resolve()
    outside = tmp_path / "outside"
    for i in range(2):
        write(outside / f"f{i}.txt", str(i))
    copied = ln.Artifact(outside, key="my_new_folder").save()
    assert copied.n_files == 2 and copied.path == storage_root / ".lamindb" / copied.uid
    assert sorted(p.name for p in copied.path.iterdir()) == ["f0.txt", "f1.txt"]


def test_artifact_from_dir(instance, tmp_path, in_default):
    ln = instance
    outside = tmp_path / "my_dir"
    for name, text in [("a.csv", "0"), ("b.csv", "0"), ("sub/c.csv", "1")]:
        write(outside / name, text)
    artifacts = ln.Artifact.from_dir(outside, key="folder")
    assert sorted(a.key for a in artifacts) == ["folder/a.csv", "folder/sub/c.csv"]
    ln.save(artifacts)
    again = ln.Artifact.from_dir(outside, key="folder")
    assert len(again) == 2 and all(not a._state.adding for a in again)
    for name in ("x.txt", "y.txt"):
        write(in_default / name, name)
    placed = ln.Artifact.from_dir(in_default)
    assert sorted(a.key for a in placed) == ["my_dir/x.txt", "my_dir/y.txt"]
    with pytest.raises(ln.errors.InvalidArgument, match="The path"):
        ln.Artifact.from_dir(in_default, key="other")


def test_upath_view_tree(instance, tmp_path, capsys):
    ln = instance
    write(tmp_path / "t" / "a.csv", "1")
    write(tmp_path / "t" / "sub" / "b.txt", "2")
    ln.UPath(tmp_path / "t").view_tree()
    out = capsys.readouterr().out
    assert "1 sub-directories & 2 files with suffixes '.csv', '.txt'" in out
    assert "└── b.txt" in out


# -- ln.settings.storage -----------------------------------------------------------------


def test_settings_storage_switches_where_new_artifacts_go(instance, tmp_path):
    ln = instance
    before = ln.settings.storage.root
    other = tmp_path / "more-space"
    try:
        ln.settings.storage = str(other)
        assert ln.settings.storage.root == other.resolve()
        # ln.setup.settings.storage follows, as in LaminDB
        assert ln.setup.settings.storage.root_as_str == other.resolve().as_posix()
        assert ln.setup.settings.storage.record.root == other.resolve().as_posix()
        assert ln.Storage.filter(root=other.resolve().as_posix()).one().instance_uid == ln.setup.settings.instance.uid
        artifact = ln.Artifact(write(tmp_path / "n.txt", "new place"), description="n").save()
        assert artifact.path == other.resolve() / ".lamindb" / f"{artifact.uid}.txt"
        with pytest.raises(ln.errors.InvalidArgument, match="not gs://"):
            ln.settings.storage = "gs://bucket/prefix"  # buckets: tests/s3
    finally:
        ln.settings.storage = before
    assert ln.settings.storage.root == before and ln.setup.settings.storage.root == before
