"""file_copies: copies that are complete or absent, durable, and never replace a file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import lamindb_core as ln
from lamindb_core import file_copies, files


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sources(folder: Path, n: int) -> list[Path]:
    return [write(folder / f"s{i}.txt", f"data {i}".encode() * (i + 1)) for i in range(n)]


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_file_copies_store_many_stores_each_file_and_never_replaces_one(tmp_path):
    src = sources(tmp_path / "src", 3)
    out = tmp_path / "out"
    write(out / "d1.txt", b"someone else's")
    items = [(s, out / f"d{i}.txt", files.hash_file(s)) for i, s in enumerate(src)]
    assert file_copies.store_many(items, tag="T") == [True, False, True]
    assert (out / "d1.txt").read_bytes() == b"someone else's"
    assert [(out / f"d{i}.txt").read_bytes() for i in (0, 2)] == [b"data 0", b"data 2" * 3]
    assert listing(out) == ["d0.txt", "d1.txt", "d2.txt"]  # no temporary copy left


def test_file_copies_store_many_in_several_batches_makes_the_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(file_copies, "_STORE_BATCH", 3)
    src = sources(tmp_path / "src", 8)
    items = [(s, tmp_path / "out" / f"f{i % 2}" / s.name) for i, s in enumerate(src)]
    assert file_copies.store_many(items) == [True] * 8
    assert [dest.read_bytes() for _, dest in items] == [s.read_bytes() for s in src]
    assert listing(tmp_path / "out" / "f0") == ["s0.txt", "s2.txt", "s4.txt", "s6.txt"]


@pytest.mark.parametrize("renameat2", ["missing", "refused"])
def test_file_copies_store_many_without_renameat2_links_and_never_replaces(tmp_path, monkeypatch, renameat2):
    # a system without renameat2, or a file system that refuses RENAME_NOREPLACE (EINVAL)
    calls = []

    def refuse(tmp: bytes, dest: bytes) -> int:
        calls.append(dest)
        return errno.EINVAL

    monkeypatch.setattr(file_copies, "_renameat2", False if renameat2 == "missing" else refuse)
    src = sources(tmp_path / "src", 3)
    out = tmp_path / "out"
    write(out / "d0.txt", b"taken")
    items = [(s, out / f"d{i}.txt") for i, s in enumerate(src)]
    assert file_copies.store_many(items, tag="T") == [False, True, True]
    assert (out / "d0.txt").read_bytes() == b"taken" and (out / "d2.txt").read_bytes() == b"data 2" * 3
    assert listing(out) == ["d0.txt", "d1.txt", "d2.txt"]
    assert len(calls) == (0 if renameat2 == "missing" else 3)


def test_file_copies_publish_never_replaces_and_the_copy_keeps_its_temporary_name(tmp_path):
    dest = write(tmp_path / "out" / "d.txt", b"first")
    staged = file_copies.stage(write(tmp_path / "s.txt", b"second"), dest, tag="T")
    with pytest.raises(FileExistsError):
        file_copies.publish(staged, dest)
    assert dest.read_bytes() == b"first" and staged.read_bytes() == b"second"
    dest.unlink()
    file_copies.publish(staged, dest)
    assert dest.read_bytes() == b"second" and listing(dest.parent) == ["d.txt"]


def test_file_copies_store_many_of_a_changed_file_stores_nothing(tmp_path):
    src = sources(tmp_path / "src", 4)
    items = [(s, tmp_path / "out" / s.name, files.hash_file(s)) for s in src]
    src[2].write_bytes(b"changed meanwhile")
    with pytest.raises(ln.errors.ContentChanged, match="s2.txt changed after ln.Artifact"):
        file_copies.store_many(items, tag="T")
    assert listing(tmp_path / "out") == []


def test_file_copies_store_many_whose_fsync_fails_stores_nothing(tmp_path, monkeypatch):
    src = sources(tmp_path / "src", 5)
    items = [(s, tmp_path / "out" / s.name) for s in src]
    fsync, calls = os.fsync, []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.EIO, "Input/output error")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        file_copies.store_many(items, tag="T")
    monkeypatch.undo()
    assert listing(tmp_path / "out") == []


@pytest.mark.parametrize("unnamed", [True, False])
def test_file_copies_store_atomic_calls_before_name_before_anything_has_a_name(tmp_path, monkeypatch, unnamed):
    # a journal's sync: nothing of the copy may have a name in the folder before it returned;
    # unnamed: a file without a name (O_TMPFILE) where the system makes one, else a temporary name
    if unnamed and not hasattr(os, "O_TMPFILE"):
        pytest.skip("no files without a name here")
    monkeypatch.setattr(file_copies, "_unnamed", None if unnamed else False)
    out = tmp_path / "out"
    seen = []
    dest = out / "d.txt"
    file_copies.store_atomic(write(tmp_path / "s.txt", b"data"), dest, files.hash_file(tmp_path / "s.txt"),
                             tag="T", before_name=lambda: seen.append(listing(out)))
    assert seen == [[]]
    assert dest.read_bytes() == b"data" and listing(out) == ["d.txt"]
    # never replaced, nothing left beside it
    with pytest.raises(FileExistsError):
        file_copies.store_atomic(write(tmp_path / "t.txt", b"other"), dest, tag="T", before_name=lambda: None)
    assert dest.read_bytes() == b"data" and listing(out) == ["d.txt"]


def test_file_copies_store_atomic_where_no_file_links_through_proc_takes_a_temporary_name(tmp_path, monkeypatch):
    if not hasattr(os, "O_TMPFILE"):
        pytest.skip("no files without a name here")
    link = os.link

    def no_proc_link(src, dst, **kwargs):
        if str(src).startswith("/proc/"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return link(src, dst, **kwargs)

    monkeypatch.setattr(os, "link", no_proc_link)
    monkeypatch.setattr(file_copies, "_NO_UNNAMED", set())
    out = tmp_path / "out"
    for i in range(2):  # the second time the folder is known to refuse
        source = write(tmp_path / f"s{i}.txt", f"data {i}".encode())
        file_copies.store_atomic(source, out / f"d{i}.txt", files.hash_file(source), tag="T", before_name=lambda: None)
    assert [(out / f"d{i}.txt").read_bytes() for i in range(2)] == [b"data 0", b"data 1"]
    assert listing(out) == ["d0.txt", "d1.txt"] and file_copies._NO_UNNAMED == {str(out)}


@pytest.mark.parametrize("failing", ["changed", "before_name", "fsync"])
def test_file_copies_store_atomic_with_before_name_that_fails_stores_nothing(tmp_path, monkeypatch, failing):
    source = write(tmp_path / "s.txt", b"data")
    expected = files.hash_file(source)
    if failing == "changed":
        source.write_bytes(b"changed meanwhile")
    fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def before_name() -> None:
        if failing == "before_name":
            raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "fsync":
        monkeypatch.setattr(os, "fsync", failing_fsync)
    error = {"changed": ln.errors.ContentChanged, "before_name": OSError, "fsync": OSError}[failing]
    with pytest.raises(error):
        file_copies.store_atomic(source, tmp_path / "out" / "d.txt", expected, tag="T", before_name=before_name)
    monkeypatch.setattr(os, "fsync", fsync)
    assert not (tmp_path / "out").exists() or listing(tmp_path / "out") == []


def test_file_copies_read_hashing_reads_past_a_size_hint_that_is_too_small(tmp_path):
    # a file that grew after fstat, or one whose size the system does not tell
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = write(tmp_path / "big.bin", data)
    expected = files.hash_file(path)
    for hint in (0, 10, len(data) - 1):
        fd = os.open(path, os.O_RDONLY)
        try:
            assert files.read_hashing(fd, size_hint=hint) == expected == (len(data), expected[1])
        finally:
            os.close(fd)


def test_cache_folder_holds_what_lies_in_the_cache_folder_links_resolved(instance, tmp_path):
    from lamindb_core.models.artifact_batch import CacheFolder

    cache = Path(instance.setup.settings.cache_dir)
    inside = write(cache / "holds-test" / "a.txt", b"a")
    outside = write(tmp_path / "b.txt", b"b")
    (tmp_path / "link.txt").symlink_to(inside)
    (tmp_path / "linked-folder").symlink_to(inside.parent)
    (cache / "holds-test" / "out.txt").symlink_to(outside)
    try:
        folder = CacheFolder()
        assert [folder.holds(p) for p in (inside, outside, tmp_path / "link.txt", tmp_path / "linked-folder" / "a.txt",
                                          cache / "holds-test" / "out.txt", str(inside))] == [
            True, False, True, True, False, True]
    finally:
        (cache / "holds-test" / "out.txt").unlink()
        inside.unlink()
        inside.parent.rmdir()
