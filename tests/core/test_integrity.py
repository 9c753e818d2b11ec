"""Data integrity: what is stored is what was hashed; surprising sources are refused.

Each test reproduces a way data was lost or mixed up (issue 10) and checks what a
user sees: the error and its message, the records, the stored bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from lamindb_core import files


def b64_md5(data: bytes) -> str:
    """The spec's hash, computed here independently of the library."""
    return base64.urlsafe_b64encode(hashlib.md5(data).digest()).decode()[:22]


pytestmark = pytest.mark.usefixtures("storage_files")


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def stored_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_keeping_stat(path: Path, content: bytes) -> None:
    """Overwrite ``path`` in place with content of the same size and its old modification time:
    only reading the bytes can tell."""
    st = path.stat()
    assert len(content) == st.st_size
    with open(path, "r+b") as f:
        f.write(content)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


# -- 1. a file edited between ln.Artifact() and save() -------------------------


def test_integrity_file_edited_before_save_is_refused_and_nothing_is_stored(instance, tmp_path, storage_files):
    ln = instance
    path = write(tmp_path / "counts.csv", b"gene,n\nCD8A,1\n")
    artifact = ln.Artifact(path, key="counts.csv")
    path.write_bytes(b"gene,n\nCD8A,999\n")
    with pytest.raises(ln.errors.ContentChanged, match=r"counts\.csv changed after ln\.Artifact\(\) read it"):
        artifact.save()
    assert ln.Artifact.filter().count() == 0
    assert storage_files() == []
    assert artifact._state.adding


def test_integrity_edit_that_keeps_size_and_mtime_is_caught_by_hashing_the_copy(instance, tmp_path, storage_files):
    ln = instance
    original = b"AAAA original bytes"
    path = write(tmp_path / "reads.fastq", original)
    artifact = ln.Artifact(path, key="reads.fastq")
    edit_keeping_stat(path, b"BBBB replaced bytes")
    with pytest.raises(ln.errors.ContentChanged, match=r"the copy has 19 bytes with hash " + b64_md5(b"BBBB replaced bytes")):
        artifact.save()
    assert ln.Artifact.filter().count() == 0
    assert storage_files() == []  # not even the temporary copy
    # the original bytes saved later are stored as themselves, not as the edited file
    path.write_bytes(original)
    again = ln.Artifact(path, key="reads.fastq").save()
    assert again.hash == b64_md5(original) and again.path.read_bytes() == original


def test_integrity_bulk_save_refuses_an_edited_file_and_stores_none_of_the_batch(instance, tmp_path, storage_files):
    ln = instance
    paths = [write(tmp_path / f"f{i}.txt", f"file {i}".encode()) for i in range(4)]
    artifacts = [ln.Artifact(p, key=f"bulk/f{i}.txt") for i, p in enumerate(paths)]
    edit_keeping_stat(paths[2], b"FILE 2")
    with pytest.raises(ln.errors.ContentChanged, match=r"f2\.txt changed"):
        ln.save(artifacts)
    assert ln.Artifact.filter().count() == 0
    assert storage_files() == []


def test_integrity_file_edited_to_saved_content_does_not_return_the_old_artifact(instance, tmp_path):
    # the edit is noticed before the hash is used to look up same content
    ln = instance
    first = ln.Artifact(write(tmp_path / "a.txt", b"version one"), key="a.txt").save()
    path = write(tmp_path / "b.txt", b"version zero")
    artifact = ln.Artifact(path, key="b.txt")
    path.write_bytes(b"version one")  # now the saved content, same size and stat may not tell
    with pytest.raises(ln.errors.ContentChanged):
        artifact.save()
    assert ln.Artifact.filter().count() == 1 and first.path.read_bytes() == b"version one"


def test_integrity_same_content_found_by_the_constructor_is_the_saved_artifact(instance, tmp_path):
    # LaminDB: ln.Artifact(...) returns the saved artifact of the same content; editing the
    # file afterwards changes nothing saved
    ln = instance
    first = ln.Artifact(write(tmp_path / "a.txt", b"version one"), key="a.txt").save()
    path = write(tmp_path / "b.txt", b"version one")
    artifact = ln.Artifact(path, key="b.txt")
    assert not artifact._state.adding and artifact.id == first.id
    path.write_bytes(b"version two, longer")
    artifact.save()
    assert ln.Artifact.filter().count() == 1 and first.path.read_bytes() == b"version one"
    assert ln.Artifact.get(first.id).hash == first.hash


def test_integrity_folder_edited_before_save_is_refused(instance, tmp_path, storage_files):
    ln = instance
    folder = tmp_path / "plate"
    write(folder / "a.txt", b"alpha")
    write(folder / "sub" / "b.txt", b"beta")
    artifact = ln.Artifact(folder, key="plate")
    edit_keeping_stat(folder / "sub" / "b.txt", b"BETA")
    with pytest.raises(ln.errors.ContentChanged, match="plate changed"):
        artifact.save()
    assert ln.Artifact.filter().count() == 0 and storage_files() == []


# -- 2. a folder's hash covers its files' names ---------------------------------


def test_integrity_folders_with_swapped_file_names_are_two_artifacts(instance, tmp_path, lamindb_dir):
    ln = instance
    one, two = tmp_path / "one", tmp_path / "two"
    write(one / "control.csv", b"c")
    write(one / "treated.csv", b"t")
    write(two / "control.csv", b"t")
    write(two / "treated.csv", b"c")
    a1 = ln.Artifact(one, key="run/one").save()
    a2 = ln.Artifact(two, key="run/two").save()
    assert a1.hash != a2.hash and a1.id != a2.id
    assert stored_tree(a1.path) == {"control.csv": b"c", "treated.csv": b"t"}
    assert stored_tree(a2.path) == {"control.csv": b"t", "treated.csv": b"c"}


def test_integrity_folder_hash_changes_when_a_file_moves_to_a_subfolder(tmp_path):
    write(tmp_path / "x" / "a.txt", b"a")
    write(tmp_path / "y" / "sub" / "a.txt", b"a")
    assert files.hash_dir(tmp_path / "x")[1] != files.hash_dir(tmp_path / "y")[1]


# -- 12. folders with symbolic links ------------------------------------------


def test_integrity_folder_links_follow_one_rule_for_hash_size_count_and_copy(instance, tmp_path, capsys):
    ln = instance
    outside = tmp_path / "outside"
    for i in range(5):
        write(outside / f"o{i}.txt", b"outside")
    folder = tmp_path / "data"
    write(folder / "real.txt", b"real")
    write(folder / "sub" / "deep.txt", b"deep")
    (folder / "to_outside_folder").symlink_to(outside, target_is_directory=True)
    (folder / "to_outside_file.txt").symlink_to(outside / "o0.txt")
    (folder / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "alias.txt").symlink_to(folder / "real.txt")  # a file inside: counts as that file
    artifact = ln.Artifact(folder, key="linked")
    out = capsys.readouterr().out
    assert f"left out 4 symbolic link(s) or special file(s) of {folder}" in out
    assert "dangling.txt, loop, to_outside_file.txt, to_outside_folder" in out
    assert artifact.n_files == 3
    assert artifact.size == len(b"real") * 2 + len(b"deep")
    artifact.save()
    assert stored_tree(artifact.path) == {"alias.txt": b"real", "real.txt": b"real", "sub/deep.txt": b"deep"}
    assert not any(p.is_symlink() for p in artifact.path.rglob("*"))


# -- 13. surprising sources ---------------------------------------------------


def test_integrity_empty_path_is_refused(instance, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(instance.errors.InvalidArgument, match="the path is empty"):
        instance.Artifact("")
    with pytest.raises(instance.errors.InvalidArgument, match="the path is empty"):
        instance.Artifact("   ")


def test_integrity_storage_folder_and_its_contents_are_refused(instance, lamindb_dir):
    ln = instance
    storage = lamindb_dir.parent
    with pytest.raises(ln.errors.InvalidArgument, match=f"the folder {storage} contains {lamindb_dir}"):
        ln.Artifact(storage)
    with pytest.raises(ln.errors.InvalidArgument, match=f"the folder {storage.parent} contains"):
        ln.Artifact(storage.parent)
    with pytest.raises(ln.errors.InvalidArgument, match=f"{lamindb_dir} is inside {lamindb_dir}"):
        ln.Artifact(lamindb_dir)
    # a path inside a .lamindb/ folder: LaminDB's check and message, before the path is read
    stored = write(lamindb_dir / "someone-elses-file.txt", b"x")
    with pytest.raises(ValueError, match=r"^Do not pass path inside the `\.lamindb/` directory\.$"):
        ln.Artifact(stored)


@pytest.mark.sqlite_only
def test_integrity_live_database_is_refused(instance, lamindb_dir):
    with pytest.raises(ValueError, match=r"^Do not pass path inside the `\.lamindb/` directory\.$"):
        instance.Artifact(lamindb_dir / "lamin.db")


def test_integrity_fifo_and_devices_are_refused_without_blocking(instance, tmp_path):
    ln = instance
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ln.errors.InvalidArgument, match=r"pipe is not a regular file or folder \(a FIFO\)"):
        ln.Artifact(fifo)
    with pytest.raises(ln.errors.InvalidArgument, match=r"/dev/zero is not a regular file or folder \(a device\)"):
        ln.Artifact("/dev/zero")


def test_integrity_fifo_inside_a_folder_is_left_out(instance, tmp_path, capsys):
    folder = tmp_path / "with_pipe"
    write(folder / "a.txt", b"a")
    os.mkfifo(folder / "pipe")
    artifact = instance.Artifact(folder).save()
    assert "left out 1 symbolic link(s) or special file(s)" in capsys.readouterr().out
    assert artifact.n_files == 1 and stored_tree(artifact.path) == {"a.txt": b"a"}


def test_integrity_file_replaced_by_fifo_before_save_is_refused(instance, tmp_path, storage_files):
    ln = instance
    path = write(tmp_path / "a.txt", b"a")
    artifact = ln.Artifact(path)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(ln.errors.InvalidArgument):
        artifact.save()
    assert storage_files() == [] and ln.Artifact.filter().count() == 0


# -- 21. a symbolic link keeps its own suffix -----------------------------------


def test_integrity_symlinked_file_takes_its_suffix_from_the_link(instance, tmp_path):
    target = write(tmp_path / "blobs" / "0a1b2c", b"sample,value\nA,1\n")
    link = tmp_path / "table.csv"
    link.symlink_to(target)
    artifact = instance.Artifact(link, key="tables/table.csv").save()
    assert artifact.suffix == ".csv"
    assert artifact.path.name.endswith(".csv") and not artifact.path.is_symlink()
    assert artifact.path.read_bytes() == b"sample,value\nA,1\n"


@pytest.mark.sqlite_only
def test_integrity_embedded_commits_are_synced_to_disk(instance):
    # a commit returns once it is on disk (synchronous=FULL): WAL's usual NORMAL may lose the last
    # commits in a power cut, records whose files are kept
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
