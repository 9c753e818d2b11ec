"""``ln.setup.init(storage="s3://...")``: the bucket is checked before anything is registered."""

from __future__ import annotations

import json

import pytest

from lamindb_core import errors, object_store


def test_init_s3_records_the_bucket_as_the_instance_storage(s3, s3_root):
    ln = s3
    assert ln.setup.settings.storage.type == "s3"
    assert ln.setup.settings.storage.root_as_str == s3_root
    storage = ln.Storage.get(root=s3_root)
    assert storage.type == "s3"
    assert storage.instance_uid == ln.setup.settings.instance.uid
    marker = json.loads(object_store.read_text(f"{s3_root}/.lamindb/lamin.instance.json"))
    assert marker["uid"] == ln.setup.settings.instance.uid and marker["created"] is True



def _slugs() -> list[str]:
    from lamindb_core import config

    return sorted(i.slug for i in config.list_instances())


def test_init_s3_missing_bucket_names_it_and_registers_nothing(s3):
    ln = s3
    before = _slugs()
    with pytest.raises(errors.StorageError, match="the bucket 'no-such-bucket' at http://127.0.0.1:.* does not exist"):
        ln.setup.init(storage="s3://no-such-bucket/lamin", name="pytest-s3-missing")
    assert _slugs() == before
    ln.setup.connect("pytest-s3")


def test_init_s3_wrong_credentials_is_one_clear_error(s3, auth_server, monkeypatch):
    ln = s3
    before = _slugs()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    with pytest.raises(errors.StorageError, match="credentials for the bucket 'locked-bucket' .* were refused"):
        ln.setup.init(storage=f"s3://locked-bucket/lamin?endpoint_url={auth_server.endpoint}", name="pytest-s3-creds")
    assert _slugs() == before
    ln.setup.connect("pytest-s3")


def test_init_s3_denied_write_is_one_clear_error(s3, auth_server, monkeypatch):
    ln = s3
    before = _slugs()
    key, secret = auth_server.reader_key
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    object_store._FILESYSTEMS.clear()
    with pytest.raises(errors.StorageError, match="writing to the bucket failed: access to the bucket 'locked-bucket'.*denied"):
        ln.setup.init(storage=f"s3://locked-bucket/lamin?endpoint_url={auth_server.endpoint}", name="pytest-s3-ro")
    assert _slugs() == before
    object_store._FILESYSTEMS.clear()
    ln.setup.connect("pytest-s3")


def test_init_s3_unresponsive_server_fails_fast(s3, monkeypatch):
    import socket
    import time

    ln = s3
    before = _slugs()
    monkeypatch.setattr(object_store, "CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(object_store, "READ_TIMEOUT", 1)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(errors.StorageError, match=f"the server http://127.0.0.1:{port} of the bucket 'any-bucket' did not answer"):
            ln.setup.init(storage=f"s3://any-bucket/lamin?endpoint_url=http://127.0.0.1:{port}", name="pytest-s3-silent")
        assert time.monotonic() - start < 30
    assert _slugs() == before
    ln.setup.connect("pytest-s3")


def test_init_s3_other_protocol_is_refused(s3):
    with pytest.raises(errors.InvalidArgument, match="not gs://"):
        s3.setup.init(storage="gs://bucket/lamin", name="pytest-gs")
    s3.setup.connect("pytest-s3")


@pytest.mark.postgres_only
def test_init_s3_second_machine_joins_the_team_instance(s3, s3_root, s3_db, tmp_path):
    import os
    import subprocess
    import sys
    import textwrap

    ln = s3
    ln.ULabel(name="made by the first member").save()
    code = textwrap.dedent(f"""
        import lamindb_core as ln
        settings = ln.setup.init(storage={s3_root!r}, db={s3_db!r})
        print("SLUG", settings.slug, settings.uid)
        print("LABEL", ln.ULabel.get(name="made by the first member").name)
    """)
    home = tmp_path / "second-machine"
    home.mkdir()
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "LAMIN_CORE_HOME": str(home)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"SLUG {ln.setup.settings.instance.slug} {ln.setup.settings.instance.uid}" in result.stdout
    assert "LABEL made by the first member" in result.stdout


def test_delete_s3_instance_removes_its_objects_and_marker_only(s3, s3_server, tmp_path):
    import os
    import subprocess
    import sys
    import textwrap

    bucket = s3_server.create_bucket()
    s3_server.client().put_object(Bucket=bucket, Key="lamin/users-file.txt", Body=b"not the instance's")
    source = tmp_path / "d.txt"
    source.write_bytes(b"stored by the instance")
    code = textwrap.dedent(f"""
        import lamindb_core as ln
        ln.setup.init(storage="s3://{bucket}/lamin", name="to-delete")
        ln.Artifact({str(source)!r}, key="d.txt").save()
        print("SUMMARY", ln.setup.deletion_summary("to-delete"))
        ln.setup.delete("to-delete", force=True)
    """)
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "LAMIN_CORE_HOME": str(home)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"1 artifact file(s) in s3://{bucket}/lamin/.lamindb" in result.stdout
    assert [rel for rel, _ in object_store.list_files(f"s3://{bucket}")] == ["lamin/users-file.txt"]
    assert (home / "cloud-instances").is_dir()
    assert list((home / "cloud-instances").rglob("lamin.db*")) == []
