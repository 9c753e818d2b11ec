"""Recovery of a storage after a crash, and saves that do not hold the write lock while copying (issue 10: 5, 8).

A process killed during ``ln.save`` of many artifacts must not leave stored files without a
record, temporary files, or a second copy when the save is redone; and while ``ln.save`` copies
files, another process can still write to the database.

Every scenario runs real processes against a fresh instance of its own (its own
``LAMIN_CORE_HOME``; on the PostgreSQL run, a throwaway PostgreSQL database), as users do: a
child saves, is stopped at a chosen point by a small hook in its script, and is killed with
SIGKILL by the test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from lamindb_core import files

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")
N = 500


# ---------------------------------------------------------------------------
# fixtures: an instance of one's own, processes, the storage's contents
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of this module's processes: their own config folder."""
    home = tmp_path_factory.mktemp("home")
    return {**os.environ, "LAMIN_CORE_HOME": str(home)}


@pytest.fixture(scope="module")
def instance_storage(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[Path]:
    """The storage folder of an instance of this module's own (SQLite in it, or a throwaway
    PostgreSQL database): set up once, as that takes a while."""
    db = None
    name = None
    if ON_POSTGRES:
        import secrets
        import string

        import psycopg

        name = "lamin_recovery_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db = urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))
    folder = tmp_path_factory.mktemp("instance") / "store"
    run(env, folder.parent, f"import lamindb_core as ln; ln.setup.init(storage={str(folder)!r}, db={db!r})")
    yield folder.resolve()
    if name is not None:
        import psycopg

        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RESET = """
import lamindb_core as ln
ln.Artifact.objects.all().delete(permanent=True)
ln.ULabel.objects.all().delete()
"""


@pytest.fixture
def storage(instance_storage: Path, env: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    """The instance's storage folder, emptied of artifacts, labels and files after the test."""
    yield instance_storage
    run(env, tmp_path, RESET)
    lamindb = instance_storage / ".lamindb"
    for path in lamindb.iterdir():
        if not path.name.startswith("lamin."):
            files.remove_path(path)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A folder of N small files with distinct content."""
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(N):
        (folder / f"sample_{i:04d}.txt").write_text(f"sample {i}\n" * 3)
    return folder


def run(env: dict[str, str], cwd: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new Python process; fail the test on a non-zero exit."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lamindb_core.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def spawn(tmp_path: Path, env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start ``code`` in a new process (killed at the end of the test if still running)."""
    started: list[subprocess.Popen] = []

    def start(code: str, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until ``marker`` exists; fail with the process's output if it ends first."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the process ended before {marker.name}: {out}\n{err}")
        assert time.monotonic() < deadline, f"{marker.name} did not appear"
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def contents(storage: Path) -> dict[str, list[str]]:
    """The storage's ``.lamindb`` folder, sorted into stored copies, temporary files and journals."""
    lamindb = storage / ".lamindb"
    names = [p.name for p in lamindb.iterdir() if not p.name.startswith("lamin.") and p.name != ".pending"]
    pending = lamindb / ".pending"
    return {
        "stored": sorted(n for n in names if not n.startswith(".")),
        "temporary": sorted(n for n in names if n.startswith(".")),
        "journals": sorted(p.name for p in pending.iterdir()) if pending.exists() else [],
    }


RECORDS = """
import json
import lamindb_core as ln
print(json.dumps(sorted(u + s for u, s in ln.Artifact.objects.values_list("uid", "suffix"))))
"""


def records(env: dict[str, str], cwd: Path) -> list[str]:
    """``<uid><suffix>`` of every artifact record, read by a new process."""
    return json.loads(run(env, cwd, RECORDS).stdout.splitlines()[-1])


# The child that saves N artifacts with ln.save and stops at a point, signalling it with the file
# "reached" and sleeping until it is killed. Points:
#   copies        - during the copies (after 300 of them: 256 stored, the next ones temporary)
#   before-insert - every copy made, before the INSERT
#   after-insert  - the rows inserted, not committed
#   committed     - the transaction committed, the journal not yet removed
SAVER = """
import sys, time
from pathlib import Path
import lamindb_core as ln
from lamindb_core import file_copies

point, folder = sys.argv[1], Path(sys.argv[2])

def stop():
    (folder / "reached").touch()
    time.sleep(600)

if point == "copies":
    copy_to_temp, count = file_copies._copy_to_temp, [0]
    def slow_copy(*args, **kwargs):
        count[0] += 1
        if count[0] == 300:
            stop()
        return copy_to_temp(*args, **kwargs)
    file_copies._copy_to_temp = slow_copy
elif point in ("before-insert", "after-insert"):
    from lamindb_core import bulk
    insert_rows = bulk._insert_rows  # the INSERT of the batch of artifacts
    def stopping_insert_rows(model, *args, **kwargs):
        if model is ln.Artifact and point == "before-insert":
            stop()
        result = insert_rows(model, *args, **kwargs)
        if model is ln.Artifact:
            stop()
        return result
    bulk._insert_rows = stopping_insert_rows
elif point == "committed":
    from lamindb_core import recovery
    close = recovery.Journal.close
    def stopping_close(self):
        stop()
    recovery.Journal.close = stopping_close

artifacts = [ln.Artifact(p, key=p.name) for p in sorted((folder / "data").iterdir())]
ln.save(artifacts)
print("saved", ln.Artifact.filter().count())
"""

SAVE_AGAIN = """
import sys
from pathlib import Path
import lamindb_core as ln
artifacts = [ln.Artifact(p, key=p.name) for p in sorted((Path(sys.argv[1]) / "data").iterdir())]
ln.save(artifacts)
print("saved", ln.Artifact.filter().count())
"""


def crash(spawn, tmp_path: Path, point: str) -> None:
    """Start the saver, wait until it reaches ``point``, kill it with SIGKILL."""
    saver = spawn(SAVER, point, tmp_path)
    wait_for(tmp_path / "reached", saver)
    kill(saver)
    (tmp_path / "reached").unlink()


def assert_one_copy_per_record(storage: Path, env, tmp_path: Path, n: int) -> None:
    found = contents(storage)
    assert found["temporary"] == [] and found["journals"] == []
    assert found["stored"] == records(env, tmp_path)
    assert len(found["stored"]) == n


# ---------------------------------------------------------------------------
# 5. a save killed at any point: recovery, then the save again
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["copies", "before-insert", "after-insert"])
def test_recovery_after_save_killed_leaves_no_orphans_and_redo_stores_one_copy_each(
    point, storage, data, env, tmp_path, spawn
):
    crash(spawn, tmp_path, point)
    left = contents(storage)
    assert left["journals"], "the killed save left no journal"
    assert records(env, tmp_path) == []
    if point != "copies":
        assert len(left["stored"]) == N  # every copy was made: now none of them has a record
    else:
        assert left["stored"] and left["temporary"]

    dry = cli(env, tmp_path, "storage", "recover", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout
    assert contents(storage) == left  # a dry run removes nothing

    result = cli(env, tmp_path, "storage", "recover")
    assert result.returncode == 0, result.stderr
    assert f"removed {len(left['stored'])} stored file(s) without a record" in result.stdout
    assert contents(storage) == {"stored": [], "temporary": [], "journals": []}

    out = run(env, tmp_path, SAVE_AGAIN, tmp_path).stdout
    assert out.splitlines()[-1] == f"saved {N}"
    assert_one_copy_per_record(storage, env, tmp_path, N)


def test_recovery_is_automatic_on_the_next_save_into_the_storage(storage, data, env, tmp_path, spawn):
    crash(spawn, tmp_path, "before-insert")
    assert len(contents(storage)["stored"]) == N
    out = run(env, tmp_path, SAVE_AGAIN, tmp_path).stdout
    assert out.splitlines()[-1] == f"saved {N}"
    assert_one_copy_per_record(storage, env, tmp_path, N)


def test_recovery_keeps_the_files_of_a_save_that_committed_before_it_was_killed(
    storage, data, env, tmp_path, spawn
):
    crash(spawn, tmp_path, "committed")
    assert len(records(env, tmp_path)) == N
    result = cli(env, tmp_path, "storage", "recover")
    assert result.returncode == 0, result.stderr
    assert_one_copy_per_record(storage, env, tmp_path, N)
    out = run(env, tmp_path, SAVE_AGAIN, tmp_path).stdout
    assert out.splitlines()[-1] == f"saved {N}"
    assert_one_copy_per_record(storage, env, tmp_path, N)


@pytest.mark.parametrize("point", ["copies", "after-insert"])
def test_recovery_never_touches_the_files_of_a_live_save(point, storage, data, env, tmp_path, spawn):
    saver = spawn(SAVER, point, tmp_path)
    wait_for(tmp_path / "reached", saver)
    before = contents(storage)
    assert before["stored"] and before["journals"]
    result = cli(env, tmp_path, "storage", "recover")
    assert result.returncode == 0, result.stderr
    assert "removed 0 stored file(s)" in result.stdout and "left 1 save(s) in progress alone" in result.stdout
    assert contents(storage) == before
    if point == "copies" or ON_POSTGRES:
        # another notebook saves into the storage meanwhile (on SQLite, not while the first one
        # is in its transaction: SQLite has one writer at a time); its own recovery runs first
        other = tmp_path / "other.txt"
        other.write_text("another notebook's data")
        run(env, tmp_path, "import sys, lamindb_core as ln; ln.Artifact(sys.argv[1]).save()", other)
        after = contents(storage)
        assert set(before["stored"]) < set(after["stored"]) and before["journals"] == after["journals"]
        assert before["temporary"] == after["temporary"]
    assert saver.poll() is None
    kill(saver)
    assert cli(env, tmp_path, "storage", "recover").returncode == 0
    assert_one_copy_per_record(storage, env, tmp_path, 1 if point == "copies" or ON_POSTGRES else 0)


def test_recovery_function_reports_what_it_removes(storage, data, env, tmp_path, spawn):
    crash(spawn, tmp_path, "before-insert")
    out = run(env, tmp_path, """
        import lamindb_core as ln
        storage = ln.Storage.get(root=ln.setup.settings.storage.root_as_str)
        dry = storage.recover(dry_run=True)
        print(len(dry.removed), dry.dry_run)
        done = storage.recover()
        print(len(done.removed), len(done.journals), done.dry_run)
        print(len(storage.recover().removed))
    """).stdout.splitlines()
    assert out[-3:] == [f"{N} True", f"{N} 1 False", "0"]
    assert contents(storage) == {"stored": [], "temporary": [], "journals": []}


def test_recovery_command_has_help_with_example(env, tmp_path):
    result = cli(env, tmp_path, "storage", "--help")
    assert result.returncode == 0, result.stderr
    assert "recover" in result.stdout and "--dry-run" in result.stdout
    assert "lamin-core storage recover --dry-run" in result.stdout


# ---------------------------------------------------------------------------
# 8. ln.save copies before it takes the write lock
# ---------------------------------------------------------------------------

# saves 40 artifacts whose copies take 0.25 s each; writes "copying" at the first copy and
# "copied" when the last is done
SLOW_SAVER = """
import sys, time
from pathlib import Path
import lamindb_core as ln
from lamindb_core import file_copies

folder = Path(sys.argv[1])
artifacts = [ln.Artifact(p, key=p.name) for p in sorted((folder / "data").iterdir())[:40]]
copy_to_temp, count = file_copies._copy_to_temp, [0]
def slow_copy(*args, **kwargs):
    count[0] += 1
    if count[0] == 1:
        (folder / "copying").touch()
    time.sleep(0.25)
    result = copy_to_temp(*args, **kwargs)
    if count[0] == 40:
        (folder / "copied").touch()
    return result
file_copies._copy_to_temp = slow_copy
ln.save(artifacts)
print("saved", ln.Artifact.filter().count())
"""

# connects, then waits for "copying" and saves a ULabel; says whether the copies were over
LABEL_WRITER = """
import sys, time
from pathlib import Path
import lamindb_core as ln

folder = Path(sys.argv[1])
ln.ULabel.filter().count()
while not (folder / "copying").exists():
    time.sleep(0.01)
ln.ULabel(name="written meanwhile").save()
print("copies over" if (folder / "copied").exists() else "still copying")
"""


def test_save_copies_files_before_it_takes_the_write_lock(storage, data, env, tmp_path, spawn):
    writer = spawn(LABEL_WRITER, tmp_path)
    saver = spawn(SLOW_SAVER, tmp_path)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert out.splitlines()[-1] == "still copying"
    out, err = saver.communicate(timeout=120)
    assert saver.returncode == 0, err
    assert out.splitlines()[-1] == "saved 40"
    assert_one_copy_per_record(storage, env, tmp_path, 40)


# ---------------------------------------------------------------------------
# journals, in this process
# ---------------------------------------------------------------------------


def test_recovery_leaves_a_locked_journal_and_takes_a_released_one(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    journal = recovery.open_journal(folder)
    journal.add(["AbCdEfGhIjKlMnOp0000.txt", "AbCdEfGhIjKlMnOp0001.txt"])
    for name in journal.names:
        (folder / name).write_text("x")
    (folder / journal.temp_name("AbCdEfGhIjKlMnOp0001.txt")).write_text("half")
    report = recovery.recover(folder, has_records=lambda names: set())
    assert (report.live, report.removed, report.journals) == (1, [], [])
    journal.release()  # its save is over, its files are left: as if its process died
    recorded = {"AbCdEfGhIjKlMnOp0000.txt"}
    dry = recovery.recover(folder, has_records=lambda names: recorded & set(names), dry_run=True)
    assert dry.removed == ["AbCdEfGhIjKlMnOp0001.txt"] and len(list(folder.iterdir())) == 4
    report = recovery.recover(folder, has_records=lambda names: recorded & set(names))
    assert report.removed == ["AbCdEfGhIjKlMnOp0001.txt"] and report.kept == ["AbCdEfGhIjKlMnOp0000.txt"]
    assert report.temporary == [journal.temp_name("AbCdEfGhIjKlMnOp0001.txt")]
    assert sorted(p.name for p in folder.iterdir()) == [".pending", "AbCdEfGhIjKlMnOp0000.txt"]
    assert list((folder / ".pending").iterdir()) == []


def test_recovery_ignores_a_torn_line_and_journals_of_other_machines(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    (folder / ".pending").mkdir(parents=True)
    for name in ("Aaaaaaaaaaaaaaaa0000.txt", "Bbbbbbbbbbbbbbbb0000.txt", "Cccccccccccccccc0000.txt"):
        (folder / name).write_text("x")
    header = {"host": recovery._host(), "pid": 1, "session": {}}
    (folder / ".pending" / "0123456789abcdef.jsonl").write_text(
        json.dumps(header) + '\n{"add": ["Aaaaaaaaaaaaaaaa0000.txt"]}\n{"add": ["Bbbbbbbbbbbbbbbb00'
    )
    other = {**header, "host": "another-machine"}
    (folder / ".pending" / "fedcba9876543210.jsonl").write_text(
        json.dumps(other) + '\n{"add": ["Cccccccccccccccc0000.txt"]}\n'
    )
    report = recovery.recover(folder, has_records=lambda names: set())
    # the torn line named a file its save had not created yet: that file is not the save's
    assert report.removed == ["Aaaaaaaaaaaaaaaa0000.txt"]
    assert report.elsewhere == {"fedcba9876543210": "another-machine"}
    assert "run the recovery there" in str(report)
    assert sorted(p.name for p in folder.iterdir()) == [".pending", "Bbbbbbbbbbbbbbbb0000.txt", "Cccccccccccccccc0000.txt"]
    assert [p.name for p in (folder / ".pending").iterdir()] == ["fedcba9876543210.jsonl"]


def test_recovery_reports_the_process_of_each_journal(tmp_path):
    # each recovered journal with the process that wrote it (a save warns only about others')
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    (folder / ".pending").mkdir(parents=True)
    for journal_id, pid in (("0123456789abcdef", 11), ("fedcba9876543210", 22)):
        header = {"host": recovery._host(), "pid": pid, "session": {}}
        (folder / ".pending" / f"{journal_id}.jsonl").write_text(json.dumps(header) + "\n")
    report = recovery.recover(folder, has_records=lambda names: set())
    assert report.processes == {"0123456789abcdef": 11, "fedcba9876543210": 22}


def test_recovery_of_a_rolled_back_transaction_at_the_next_save(instance, tmp_path, capsys):
    from django.db import transaction

    ln = instance
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("saved in a transaction that is rolled back")
    second.write_text("saved next")
    with transaction.atomic():
        path = ln.Artifact(first, key="rolled-back.txt").save().path
        transaction.set_rollback(True)
    assert path.exists()  # Django runs nothing on rollback
    ln.Artifact(second, key="next.txt").save()
    assert not path.exists()
    assert "interrupted" not in capsys.readouterr().out


# ---------------------------------------------------------------------------
# artifact.save() one by one: the process's journal, shared by its saves
# ---------------------------------------------------------------------------

# saves 5 artifacts one by one with artifact.save(), stops at a point of the fifth save (or after
# it), signalling it with the file "reached":
#   copy          - its temporary file written, before it is synced and named
#   before-insert - its file stored, before the INSERT
#   after-insert  - its row inserted and committed (one statement), its names not marked done
#   idle          - every save over: the journal stays, locked, with nothing open
ONE_BY_ONE = """
import sys, time
from pathlib import Path
import lamindb_core as ln
from lamindb_core import file_copies

ln.Artifact  # connects to the instance, after which its models import
from lamindb_core.models import artifact_lifecycle

point, folder = sys.argv[1], Path(sys.argv[2])
count = [0]

def stop():
    (folder / "reached").touch()
    time.sleep(600)

if point == "named-copy":
    file_copies._unnamed = False  # a file system without files without a name
copy_to_temp, fsync_beside, insert_row = file_copies._copy_to_temp, file_copies._fsync_beside, artifact_lifecycle.insert_row
def stopping_copy(*args, **kwargs):
    result = copy_to_temp(*args, **kwargs)
    if count[0] == 4 and point == "named-copy":
        stop()
    return result
def stopping_fsync_beside(*args, **kwargs):
    # the copy complete, without a name, and its journal line synced
    result = fsync_beside(*args, **kwargs)
    if count[0] == 4 and point == "copy":
        stop()
    return result
def stopping_insert_row(*args, **kwargs):
    if count[0] == 4 and point == "before-insert":
        stop()
    result = insert_row(*args, **kwargs)
    if count[0] == 4 and point == "after-insert":
        stop()
    return result
file_copies._copy_to_temp, file_copies._fsync_beside = stopping_copy, stopping_fsync_beside
artifact_lifecycle.insert_row = stopping_insert_row

for path in sorted((folder / "data").iterdir())[:5]:
    ln.Artifact(path, key=path.name).save()
    count[0] += 1
if point == "idle":
    stop()
"""


@pytest.mark.parametrize(
    "point,recorded", [("copy", 4), ("named-copy", 4), ("before-insert", 4), ("after-insert", 5), ("idle", 5)]
)
def test_recovery_after_one_by_one_saves_killed_removes_only_what_has_no_record(
    point, recorded, storage, data, env, tmp_path, spawn
):
    if point == "copy" and not hasattr(os, "O_TMPFILE"):
        pytest.skip("no files without a name here")
    saver = spawn(ONE_BY_ONE, point, tmp_path)
    wait_for(tmp_path / "reached", saver)
    left = contents(storage)
    assert len(left["journals"]) == 1  # one journal for the five saves
    kill(saver)
    assert len(records(env, tmp_path)) == recorded
    if point == "copy":
        # the complete copy had no name yet: nothing of it is left
        assert len(left["stored"]) == 4 and left["temporary"] == []
    elif point == "named-copy":
        assert len(left["stored"]) == 4 and len(left["temporary"]) == 1
    elif point == "before-insert":
        assert len(left["stored"]) == 5 and left["temporary"] == []
    result = cli(env, tmp_path, "storage", "recover")
    assert result.returncode == 0, result.stderr
    removed = 1 if point == "before-insert" else 0
    temporary = 1 if point == "named-copy" else 0
    assert f"removed {removed} stored file(s) without a record and {temporary} temporary file(s)" in result.stdout
    assert_one_copy_per_record(storage, env, tmp_path, recorded)


@pytest.mark.parametrize("point", ["before-insert", "idle"])
def test_recovery_never_touches_the_journal_of_a_live_process_saving_one_by_one(
    point, storage, data, env, tmp_path, spawn
):
    saver = spawn(ONE_BY_ONE, point, tmp_path)
    wait_for(tmp_path / "reached", saver)
    before = contents(storage)
    result = cli(env, tmp_path, "storage", "recover")
    assert result.returncode == 0, result.stderr
    assert "removed 0 stored file(s) without a record and 0 temporary file(s) of 0" in result.stdout
    # a process whose saves are over is no save in progress
    assert ("left 1 save(s) in progress alone" in result.stdout) == (point == "before-insert")
    # another notebook saves one by one meanwhile, and exits: its journal goes with it
    other = tmp_path / "other.txt"
    other.write_text("another notebook's data")
    run(env, tmp_path, "import sys, lamindb_core as ln; ln.Artifact(sys.argv[1]).save()", other)
    after = contents(storage)
    assert len(after["stored"]) == len(before["stored"]) + 1 and after["journals"] == before["journals"]
    assert after["temporary"] == before["temporary"]
    assert saver.poll() is None
    kill(saver)
    assert cli(env, tmp_path, "storage", "recover").returncode == 0
    assert_one_copy_per_record(storage, env, tmp_path, 6 if point == "idle" else 5)


def test_save_journal_is_the_process_journal_and_marks_each_save_done(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    first = recovery.save_journal(folder)
    first.add(["Aaaaaaaaaaaaaaaa0000.txt"])
    (folder / "Aaaaaaaaaaaaaaaa0000.txt").write_text("x")
    second = recovery.save_journal(folder)  # a save in another thread meanwhile
    second.add(["Bbbbbbbbbbbbbbbb0000.txt"])
    (folder / "Bbbbbbbbbbbbbbbb0000.txt").write_text("x")
    assert first.path == second.path and first.id == second.id
    report = recovery.recover(folder, has_records=lambda names: set())
    assert (report.live, report.removed, report.journals) == (1, [], [])
    first.close()
    second.close()
    lines = [json.loads(line) for line in first.path.read_text().splitlines()]
    assert lines[0]["shared"] is True and lines[0]["pid"] == os.getpid()
    assert lines[1:] == [
        {"add": ["Aaaaaaaaaaaaaaaa0000.txt"]}, {"add": ["Bbbbbbbbbbbbbbbb0000.txt"]},
        {"done": ["Aaaaaaaaaaaaaaaa0000.txt"]}, {"done": ["Bbbbbbbbbbbbbbbb0000.txt"]},
    ]
    report = recovery.recover(folder, has_records=lambda names: set())
    assert (report.live, report.removed, report.journals) == (0, [], [])
    third = recovery.save_journal(folder)
    assert third.path == first.path  # the next save: the same journal
    third.close()
    recovery.remove_idle_journals()  # at exit
    assert list((folder / ".pending").iterdir()) == []


def test_recovery_of_a_process_journal_looks_up_only_names_without_done(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    (folder / ".pending").mkdir(parents=True)
    a, b, c = "Aaaaaaaaaaaaaaaa0000.txt", "Bbbbbbbbbbbbbbbb0000.txt", "Cccccccccccccccc0000.txt"
    for name in (a, b, c):
        (folder / name).write_text("x")
    journal_id = "0123456789abcdef"
    (folder / recovery.temp_name(b, journal_id)).write_text("half")
    header = {"host": recovery._host(), "pid": 1, "session": {}, "shared": True}
    lines = [header, {"add": [a]}, {"done": [a]}, {"add": [b]}, {"add": [c]}, {"done": [c]}]
    (folder / ".pending" / f"{journal_id}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    looked_up = []
    report = recovery.recover(folder, has_records=lambda names: looked_up.extend(names) or set())
    assert looked_up == [b] and report.removed == [b] and report.temporary == [recovery.temp_name(b, journal_id)]
    assert sorted(p.name for p in folder.iterdir()) == [".pending", a, c]
    assert list((folder / ".pending").iterdir()) == []


def test_recovery_waits_for_any_session_a_process_journal_names(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    (folder / ".pending").mkdir(parents=True)
    (folder / "Aaaaaaaaaaaaaaaa0000.txt").write_text("x")
    header = {"host": recovery._host(), "pid": 1, "session": {"postgresql_pid": 1}, "shared": True}
    lines = [header, {"session": {"postgresql_pid": 2}}, {"add": ["Aaaaaaaaaaaaaaaa0000.txt"]}]
    (folder / ".pending" / "0123456789abcdef.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    # the process reconnected: its second session may still be committing
    report = recovery.recover(folder, lambda names: set(), session_alive=lambda s: s == {"postgresql_pid": 2})
    assert report.waiting == ["0123456789abcdef"] and report.removed == []
    report = recovery.recover(folder, lambda names: set(), session_alive=lambda s: False)
    assert report.removed == ["Aaaaaaaaaaaaaaaa0000.txt"]


def test_save_journal_writes_a_new_session_before_its_names(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    for pid in (1, 1, 2):
        journal = recovery.save_journal(folder, session={"postgresql_pid": pid})
        journal.add([f"Aaaaaaaaaaaaaaaa000{pid}.txt"])
        journal.close()
    lines = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert lines[0]["session"] == {"postgresql_pid": 1}
    assert lines[5:] == [{"session": {"postgresql_pid": 2}}, {"add": ["Aaaaaaaaaaaaaaaa0002.txt"]},
                         {"done": ["Aaaaaaaaaaaaaaaa0002.txt"]}]
    recovery.remove_idle_journals()


def test_save_journal_is_cut_back_to_its_header_once_no_save_is_open(tmp_path, monkeypatch):
    from lamindb_core import recovery

    monkeypatch.setattr(recovery, "_COMPACT", 200)
    folder = tmp_path / ".lamindb"
    header = None
    for i in range(10):
        journal = recovery.save_journal(folder)
        header = header or journal.path.read_bytes()
        journal.add([f"Aaaaaaaaaaaaaaaa000{i}.txt"])
        journal.close()
        assert journal.path.stat().st_size < 200 + len(header)
    journal = recovery.save_journal(folder)
    journal.add(["Bbbbbbbbbbbbbbbb0000.txt"])
    assert journal.path.read_bytes().startswith(header)
    assert json.loads(journal.path.read_bytes().splitlines()[-1]) == {"add": ["Bbbbbbbbbbbbbbbb0000.txt"]}
    journal.close()
    recovery.remove_idle_journals()


def test_save_journal_left_with_files_is_recovered_and_the_next_save_opens_another(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    journal = recovery.save_journal(folder)
    journal.add(["Aaaaaaaaaaaaaaaa0000.txt"])
    (folder / "Aaaaaaaaaaaaaaaa0000.txt").write_text("x")
    recovery.end_journal(journal, committed=False)  # its file could not be removed
    report = recovery.recover(folder, has_records=lambda names: set())
    assert report.removed == ["Aaaaaaaaaaaaaaaa0000.txt"] and report.journals == [journal.id]
    following = recovery.save_journal(folder)
    assert following.id != journal.id
    following.close()
    recovery.remove_idle_journals()
    assert list((folder / ".pending").iterdir()) == []


def test_a_forked_child_opens_a_journal_of_its_own(tmp_path):
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    parent = recovery.save_journal(folder)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own journal, and none of its parent's descriptors
        child = recovery.save_journal(folder)
        os.write(write, child.id.encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 64).decode() != parent.id
    parent.close()
    recovery.remove_idle_journals()


def test_recovery_removes_the_journal_of_a_process_that_ended_idle_without_a_word(tmp_path):
    # a kernel restarted with SIGTERM runs no exit handler: its journal stays, every name done
    from lamindb_core import recovery

    folder = tmp_path / ".lamindb"
    (folder / ".pending").mkdir(parents=True)
    (folder / "Aaaaaaaaaaaaaaaa0000.txt").write_text("x")
    header = {"host": recovery._host(), "pid": 1, "session": {"postgresql_pid": 1}, "shared": True}
    lines = [header, {"add": ["Aaaaaaaaaaaaaaaa0000.txt"]}, {"done": ["Aaaaaaaaaaaaaaaa0000.txt"]}]
    (folder / ".pending" / "0123456789abcdef.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = recovery.recover(folder, lambda names: set(), session_alive=lambda s: True, dry_run=True)
    assert (report.journals, report.waiting, report.removed) == ([], [], [])
    assert len(list((folder / ".pending").iterdir())) == 1  # a dry run removes nothing
    report = recovery.recover(folder, lambda names: set(), session_alive=lambda s: True)
    assert (report.journals, report.waiting, report.removed) == ([], [], [])
    assert "interrupted" in str(report) and "0 interrupted save(s)" in str(report)
    assert list((folder / ".pending").iterdir()) == [] and (folder / "Aaaaaaaaaaaaaaaa0000.txt").exists()
