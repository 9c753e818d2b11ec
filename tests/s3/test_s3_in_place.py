"""Objects already in a bucket are registered where they lie, never copied nor deleted; many
small files go up concurrently, with their bytes counted for the progress bar."""

from __future__ import annotations

import secrets

import pytest

from lamindb_core import object_store


def test_artifact_s3_existing_object_is_registered_in_place_with_its_etag_hash(s3, s3_server, tmp_path, cache_dir):
    ln = s3
    bucket = s3_server.create_bucket()
    content = secrets.token_bytes(100)
    s3_server.client().put_object(Bucket=bucket, Key="external/x.csv", Body=content)
    url = f"s3://{bucket}/external/x.csv"
    artifact = ln.Artifact(url).save()
    local = tmp_path / "x.csv"
    local.write_bytes(content)
    from lamindb_core import files

    assert (artifact.size, artifact.hash, artifact._hash_type) == (*files.hash_file(local), "md5")
    assert artifact.storage.root == f"s3://{bucket}" and artifact.storage.instance_uid is None
    assert artifact.key == "external/x.csv" and not artifact._key_is_virtual
    assert str(artifact.path) == url
    assert artifact.cache().read_bytes() == content
    # never deleted by this instance: the bucket is not its storage
    artifact.delete(permanent=True)
    assert object_store.exists(url)
    assert not ln.Artifact.filter(uid=artifact.uid).exists()


def test_artifact_s3_object_in_the_instance_bucket_stays_on_delete(s3, s3_root, s3_server, cache_dir):
    ln = s3
    bucket, prefix = object_store.parse(s3_root).bucket, object_store.parse(s3_root).key
    key = f"{prefix}/incoming/{secrets.token_hex(3)}.txt"
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=secrets.token_bytes(20))
    artifact = ln.Artifact(f"s3://{bucket}/{key}").save()
    assert artifact.storage.root == s3_root
    assert artifact.key == key[len(prefix) + 1:]
    artifact.delete(permanent=True)
    assert object_store.exists(f"s3://{bucket}/{key}")


def test_artifact_s3_existing_folder_is_registered_with_its_files(s3, s3_server, cache_dir):
    ln = s3
    bucket = s3_server.create_bucket()
    for i in range(3):
        s3_server.client().put_object(Bucket=bucket, Key=f"run1/part{i}.txt", Body=secrets.token_bytes(10))
    artifact = ln.Artifact(f"s3://{bucket}/run1").save()
    assert artifact.n_files == 3 and artifact.size == 30 and artifact._hash_type == "md5-d"
    assert sorted(p.name for p in artifact.cache().iterdir()) == ["part0.txt", "part1.txt", "part2.txt"]


def test_artifact_s3_missing_object_is_a_clear_error(s3, s3_server):
    bucket = s3_server.create_bucket()
    with pytest.raises(FileNotFoundError, match=f"no object at s3://{bucket}/nothing.csv"):
        s3.Artifact(f"s3://{bucket}/nothing.csv")


def test_save_s3_many_small_files_go_up_in_one_concurrent_batch(s3, tmp_path, cache_dir, monkeypatch):
    ln = s3
    batches = []
    real = object_store.put_many

    def counting(pairs, on_bytes=None, md5s=None):
        batches.append(len(pairs))
        return real(pairs, on_bytes, md5s)

    monkeypatch.setattr(object_store, "put_many", counting)
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(40):
        (folder / f"f{i:02d}.txt").write_bytes(secrets.token_bytes(16))
    artifacts = ln.Artifact.from_dir(folder, key=f"small-{secrets.token_hex(3)}")
    ln.save(artifacts)
    assert batches == [40]
    assert all(object_store.exists(str(a.path)) for a in artifacts)
    assert ln.Artifact.filter(key__startswith=artifacts[0].key.rsplit("/", 1)[0]).count() == 40


def test_object_store_put_many_counts_every_byte_for_the_progress_bar(s3, s3_root, tmp_path):
    pairs, total = [], 0
    for i in range(10):
        path = tmp_path / f"p{i}"
        path.write_bytes(secrets.token_bytes(100 + i))
        total += 100 + i
        pairs.append((path, object_store.join(s3_root, f"progress-{secrets.token_hex(3)}/p{i}")))
    counted = []
    object_store.put_many(pairs, on_bytes=counted.append)
    assert sum(counted) == total
    counted.clear()
    object_store.get_file(pairs[0][1], tmp_path / "back", on_bytes=counted.append)
    assert sum(counted) == 100


def test_object_store_cache_is_trimmed_least_recently_used_first(s3, s3_root, tmp_path):
    import os
    import time

    cache = tmp_path / "cache"
    urls = []
    for i in range(3):
        path = tmp_path / f"c{i}"
        path.write_bytes(secrets.token_bytes(1000))
        url = object_store.join(s3_root, f"cache-{secrets.token_hex(3)}/c{i}")
        object_store.put_file(path, url)
        urls.append(url)
    first = object_store.cache(urls[0], cache, size=1000)
    second = object_store.cache(urls[1], cache, size=1000)
    old = time.time() - 3600
    os.utime(first, (old, old))
    os.utime(second, (old + 1, old + 1))
    third = object_store.cache(urls[2], cache, size=1000, max_bytes=2000)
    assert not first.exists() and second.exists() and third.exists()


def test_object_store_is_cloud_only_for_paths_and_urls():
    import pandas as pd
    from pathlib import Path

    assert object_store.is_cloud("s3://bucket/x.csv")
    assert object_store.is_cloud(object_store.upath("s3://bucket/x.csv"))
    assert not object_store.is_cloud(Path("/data/x.csv"))
    assert not object_store.is_cloud("file:///data/x.csv")
    assert not object_store.is_cloud(pd.DataFrame({"url": ["s3://bucket/x.csv"]}))
