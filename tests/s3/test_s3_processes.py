"""What other processes see: an upload interrupted by a killed process is recovered, two
processes fill the cache at once, and ``using(...)`` transfers an S3 artifact to another instance."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import time

from lamindb_core import object_store


def _run(code: str, env: dict | None = None, wait: bool = True):
    full = {**os.environ, **(env or {})}
    args = [sys.executable, "-c", textwrap.dedent(code)]
    if not wait:
        return subprocess.Popen(args, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, env=full, capture_output=True, text=True, timeout=120)


def test_recover_s3_removes_the_object_of_a_killed_save(s3, s3_root, tmp_path):
    ln = s3
    source = tmp_path / "killed.txt"
    source.write_bytes(secrets.token_bytes(50))
    result = _run(f"""
        import os
        import lamindb_core as ln
        ln.setup.connect("pytest-s3")
        ln.Artifact  # the registries: Django is set up
        from lamindb_core.models import artifact_lifecycle
        def die(*args, **kwargs):
            os._exit(3)  # killed after the upload, before the record is committed
        artifact_lifecycle._insert = die
        artifact = ln.Artifact({str(source)!r}, key="killed.txt")
        print("UID", artifact.uid, flush=True)
        artifact.save()
    """)
    assert result.returncode == 3, result.stderr
    uid = result.stdout.split("UID ")[1].split()[0]
    url = object_store.join(s3_root, f".lamindb/{uid}.txt")
    assert object_store.exists(url)
    assert not ln.Artifact.filter(uid=uid).exists()
    storage = ln.Storage.get(root=s3_root)
    for _ in range(50):  # PostgreSQL notices the dead client's session within moments
        report = storage.recover()
        if not report.waiting:
            break
        time.sleep(0.2)
    assert f"{uid}.txt" in report.removed
    assert not object_store.exists(url)


def test_cache_s3_two_processes_at_once_get_the_whole_file(s3, tmp_path):
    ln = s3
    content = secrets.token_bytes(3 * 2**20)
    source = tmp_path / "big.bin"
    source.write_bytes(content)
    artifact = ln.Artifact(source, key=f"shared/{secrets.token_hex(3)}.bin").save()
    cache = tmp_path / "shared-cache"
    code = f"""
        import hashlib
        import lamindb_core as ln
        ln.setup.connect("pytest-s3")
        path = ln.Artifact.get(uid={artifact.uid!r}).cache()
        print("PATH", path, hashlib.md5(path.read_bytes()).hexdigest())
    """
    procs = [_run(code, env={"LAMIN_CORE_CACHE_DIR": str(cache)}, wait=False) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    import hashlib

    expected = hashlib.md5(content).hexdigest()
    found = [out.split("PATH ")[1].split() for out, _ in outputs]
    assert len({path for path, _ in found}) == 1 and all(digest == expected for _, digest in found)
    assert [p.name for p in cache.rglob("*") if p.name.endswith(".tmp")] == []


def test_using_transfer_copies_between_a_bucket_and_a_local_instance(s3, s3_root, tmp_path, cache_dir):
    ln = s3
    source = tmp_path / "t.txt"
    source.write_bytes(secrets.token_bytes(40))
    artifact = ln.Artifact(source, key=f"transfer/{secrets.token_hex(3)}.txt").save()
    url = str(artifact.path)
    back = tmp_path / "back.txt"
    back.write_bytes(secrets.token_bytes(30))
    ln.setup.connect("pytest")
    try:
        remote = ln.Artifact.using("pytest-s3").get(uid=artifact.uid)
        remote.save()
        local = ln.Artifact.get(uid=artifact.uid)
        # a copy in this instance's own folder; the bucket is not registered here
        assert local.storage.type == "local" and local.storage.root == str(ln.settings.storage.root)
        assert local.path.read_bytes() == source.read_bytes()
        assert not ln.Storage.filter(root=s3_root).exists()
        local.delete(permanent=True)
        assert object_store.exists(url)  # the other instance's object stays
        mine = ln.Artifact(back, key=f"transfer/{secrets.token_hex(3)}.txt").save()
    finally:
        ln.setup.connect("pytest-s3")
    # the other way: a local instance's artifact goes up into this instance's bucket
    ln.Artifact.using("pytest").get(uid=mine.uid).save()
    there = ln.Artifact.get(uid=mine.uid)
    assert there.storage.root == s3_root and object_store.exists(str(there.path))
    assert there.cache().read_bytes() == back.read_bytes()
    there.delete(permanent=True)
    ln.setup.connect("pytest")
    try:
        ln.Artifact.get(uid=mine.uid).delete(permanent=True)
    finally:
        ln.setup.connect("pytest-s3")
