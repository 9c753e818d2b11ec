"""Artifacts in a bucket: save uploads, load/open/cache read through the local cache, versions,
same content, delete, and what a failed upload leaves (nothing)."""

from __future__ import annotations

import secrets

import pytest


def unique_bytes(size: int = 64) -> bytes:
    """Content no other test has."""
    return secrets.token_bytes(size)

from lamindb_core import errors, object_store




def _file(tmp_path, name="data.txt", content=None):
    path = tmp_path / name
    path.write_bytes(content if content is not None else unique_bytes())
    return path


def test_artifact_s3_save_uploads_the_file_and_path_is_an_s3_upath(s3, s3_root, tmp_path, cache_dir):
    ln = s3
    source = _file(tmp_path, "a.txt")
    artifact = ln.Artifact(source, key=f"raw/{secrets.token_hex(3)}/a.txt").save()
    assert artifact.storage.root == s3_root and artifact.storage.type == "s3"
    path = artifact.path
    assert type(path).__name__ == "S3Path"
    assert str(path) == f"{s3_root}/.lamindb/{artifact.uid}.txt"
    assert path.read_bytes() == source.read_bytes()
    local = artifact.cache()
    assert local == cache_dir / s3_root[len("s3://"):] / ".lamindb" / f"{artifact.uid}.txt"
    assert local.read_bytes() == source.read_bytes()


def test_artifact_s3_dataframe_and_anndata_load_back(s3, cache_dir):
    import anndata as ad
    import numpy as np
    import pandas as pd

    ln = s3
    df = pd.DataFrame({"a": np.random.rand(5), "b": list("vwxyz")})
    art = ln.Artifact.from_df(df, key=f"tables/{secrets.token_hex(3)}.parquet").save()
    assert object_store.exists(str(art.path))
    pd.testing.assert_frame_equal(art.load(), df)
    adata = ad.AnnData(np.random.rand(4, 3).astype("float32"))
    art2 = ln.Artifact.from_anndata(adata, key=f"adata/{secrets.token_hex(3)}.h5ad").save()
    loaded = art2.load()
    assert loaded.shape == (4, 3) and np.allclose(loaded.X, adata.X)
    backed = art2.open()
    assert backed.shape == (4, 3)


def test_artifact_s3_same_content_twice_returns_the_saved_record(s3, tmp_path, cache_dir):
    ln = s3
    content = unique_bytes()
    first = ln.Artifact(_file(tmp_path, "x.txt", content), key=f"dup/{secrets.token_hex(3)}.txt").save()
    again = ln.Artifact(_file(tmp_path, "y.txt", content)).save()
    assert again.uid == first.uid and again.id == first.id
    assert ln.Artifact.filter(hash=first.hash).count() == 1


def test_artifact_s3_new_content_under_a_key_is_a_new_version(s3, tmp_path, cache_dir):
    ln = s3
    key = f"versions/{secrets.token_hex(3)}.txt"
    v1 = ln.Artifact(_file(tmp_path, "v1.txt"), key=key).save()
    v2 = ln.Artifact(_file(tmp_path, "v2.txt"), key=key).save()
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001")
    v1.refresh_from_db()
    assert not v1.is_latest and v2.is_latest
    assert v1.path.read_bytes() == (tmp_path / "v1.txt").read_bytes()
    assert v2.path.read_bytes() == (tmp_path / "v2.txt").read_bytes()


def test_artifact_s3_delete_permanent_removes_the_object(s3, tmp_path, cache_dir):
    ln = s3
    artifact = ln.Artifact(_file(tmp_path), key=f"del/{secrets.token_hex(3)}.txt").save()
    url = str(artifact.path)
    assert object_store.exists(url)
    artifact.delete(permanent=True)
    assert not object_store.exists(url)
    assert not ln.Artifact.filter(uid=artifact.uid).exists()


def test_artifact_s3_folder_is_uploaded_and_cached_as_a_folder(s3, tmp_path, cache_dir):
    ln = s3
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        (folder / ("sub" if i % 2 else "") / f"img{i}.png").write_bytes(unique_bytes(32))
    artifact = ln.Artifact(folder, key=f"folders/{secrets.token_hex(3)}").save()
    assert artifact.n_files == 5
    keys = [rel for rel, _ in object_store.list_files(str(artifact.path))]
    assert keys == ["img0.png", "img2.png", "img4.png", "sub/img1.png", "sub/img3.png"]
    local = artifact.cache()
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*.png")) == keys


def test_artifact_s3_failed_upload_leaves_no_record_and_no_object(s3, tmp_path, cache_dir, monkeypatch):
    ln = s3
    artifact = ln.Artifact(_file(tmp_path), key=f"fail/{secrets.token_hex(3)}.txt")
    url = object_store.join(artifact.storage.root, f".lamindb/{artifact.uid}.txt")
    real_put = object_store.put_file

    def put_then_fail(local, dest, on_bytes=None, md5=None):
        real_put(local, dest, on_bytes, md5)  # the object is complete, then the connection drops
        raise errors.StorageError("uploading failed: the server did not answer")

    monkeypatch.setattr(object_store, "put_file", put_then_fail)
    with pytest.raises(errors.StorageError, match="did not answer"):
        artifact.save()
    assert not ln.Artifact.filter(uid=artifact.uid).exists()
    assert not object_store.exists(url)


def test_artifact_s3_changed_bytes_are_refused_before_the_upload(s3, tmp_path, cache_dir):
    import os

    ln = s3
    source = _file(tmp_path)
    artifact = ln.Artifact(source, key=f"changed/{secrets.token_hex(3)}.txt")
    url = object_store.join(artifact.storage.root, f".lamindb/{artifact.uid}.txt")
    # edited in place after ln.Artifact() hashed it: same size, same modification time
    stat = source.stat()
    with open(source, "r+b") as out:
        out.write(unique_bytes(64))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(errors.ContentChanged, match="is not what ln.Artifact.. hashed.*nothing was saved"):
        artifact.save()
    assert not ln.Artifact.filter(uid=artifact.uid).exists()
    assert not object_store.exists(url)


def test_artifact_s3_changed_folder_is_refused_and_removed(s3, tmp_path, cache_dir, monkeypatch):
    ln = s3
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_bytes(unique_bytes(16))
    artifact = ln.Artifact(folder, key=f"changed-folder/{secrets.token_hex(3)}")
    url = object_store.join(artifact.storage.root, f".lamindb/{artifact.uid}")
    real_put = object_store.put_many

    def put_other_bytes(pairs, on_bytes=None, md5s=None):
        other = tmp_path / "other.txt"
        other.write_bytes(unique_bytes(16))  # same size, other content
        return real_put([(other, dest) for _, dest in pairs], on_bytes)

    monkeypatch.setattr(object_store, "put_many", put_other_bytes)
    with pytest.raises(errors.ContentChanged, match="nothing was saved"):
        artifact.save()
    assert not ln.Artifact.filter(uid=artifact.uid).exists()
    assert object_store.list_files(url) == []


def test_artifact_s3_failed_insert_removes_the_uploaded_object(s3, tmp_path, cache_dir, monkeypatch):
    ln = s3
    artifact = ln.Artifact(_file(tmp_path), key=f"insert/{secrets.token_hex(3)}.txt")
    url = object_store.join(artifact.storage.root, f".lamindb/{artifact.uid}.txt")

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("lamindb_core.models.artifact_lifecycle.insert_row", fail)  # the INSERT of save()
    with pytest.raises(RuntimeError, match="went away"):
        artifact.save()
    monkeypatch.undo()
    assert not ln.Artifact.filter(uid=artifact.uid).exists()
    assert not object_store.exists(url)


def test_artifact_s3_missing_object_on_load_names_it(s3, tmp_path, cache_dir):
    ln = s3
    artifact = ln.Artifact(_file(tmp_path), key=f"gone/{secrets.token_hex(3)}.txt").save()
    url = str(artifact.path)
    object_store.remove(url)  # removed behind the registry's back
    with pytest.raises(FileNotFoundError, match=f"the data of Artifact.* is missing: {url}"):
        artifact.cache()
    assert list(cache_dir.rglob("*.tmp")) == []


def test_artifact_s3_describe_and_df_show_the_bucket(s3, s3_root, tmp_path, cache_dir):
    ln = s3
    artifact = ln.Artifact(_file(tmp_path), key=f"shown/{secrets.token_hex(3)}.txt").save()
    text = artifact.describe(return_str=True)
    assert artifact.uid in text and s3_root in text
    df = ln.Artifact.filter(uid=artifact.uid).df(include="storage__root")
    assert df["storage__root"].tolist() == [s3_root]
