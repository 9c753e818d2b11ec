"""``ln.settings.storage = "s3://..."``: where new artifacts go; buckets and folders mixed."""

from __future__ import annotations

import secrets

import pytest

from lamindb_core import errors, object_store


@pytest.fixture
def switch_back(s3):
    yield
    s3.setup.settings._switch_storage(None)


def test_settings_storage_s3_switch_registers_the_bucket_and_stores_there(s3, s3_server, tmp_path, cache_dir, switch_back):
    ln = s3
    root = f"s3://{s3_server.create_bucket()}/other"
    ln.settings.storage = root
    assert ln.settings.storage.type == "s3" and ln.settings.storage.root_as_str == root
    record = ln.Storage.get(root=root)
    assert record.type == "s3" and record.instance_uid == ln.setup.settings.instance.uid
    source = tmp_path / "s.txt"
    source.write_bytes(secrets.token_bytes(30))
    in_bucket = ln.Artifact(source, key=f"switched/{secrets.token_hex(3)}.txt").save()
    assert str(in_bucket.path).startswith(f"{root}/.lamindb/")
    assert in_bucket.cache().read_bytes() == source.read_bytes()
    # a local folder in the same instance
    ln.settings.storage = tmp_path / "local-store"
    local_source = tmp_path / "l.txt"
    local_source.write_bytes(secrets.token_bytes(30))
    local = ln.Artifact(local_source, key=f"switched/{secrets.token_hex(3)}.txt").save()
    assert local.storage.type == "local" and local.path.read_bytes() == local_source.read_bytes()
    assert {a.storage.type for a in ln.Artifact.filter(uid__in=[in_bucket.uid, local.uid])} == {"s3", "local"}


def test_settings_storage_s3_missing_bucket_is_refused_and_nothing_registered(s3, switch_back):
    ln = s3
    before = ln.Storage.filter().count()
    with pytest.raises(errors.StorageError, match="the bucket 'no-such-bucket-2'.* does not exist"):
        ln.settings.storage = "s3://no-such-bucket-2/x"
    assert ln.Storage.filter().count() == before
    assert ln.settings.storage.root_as_str == ln.setup.settings.storage.root_as_str


def test_settings_storage_s3_back_to_the_instance_bucket(s3, s3_root, s3_server, switch_back):
    ln = s3
    ln.settings.storage = f"s3://{s3_server.create_bucket()}/third"
    ln.settings.storage = s3_root
    assert ln.settings.storage.root_as_str == s3_root
    assert ln.settings.storage_record().root == s3_root
