"""The ``lamin-core`` command line, run as a user runs it: in a new process, reading its output.

``run_cli`` (tests/conftest.py) runs ``python -m lamindb_core.cli`` with an empty config folder
of its own; help texts are checked in this process through ``main``.
"""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from lamindb_core import __version__
from lamindb_core.cli import COMMANDS, main

OS_HANDLE = re.sub(r"[^a-z0-9_-]", "-", getpass.getuser().lower()).strip("-") or "user"
TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")


def assert_one_line_error(result: subprocess.CompletedProcess, message: str) -> None:
    """Exit code 1, and standard error is exactly one line ``error: ...`` containing ``message``."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0], lines[0]


@pytest.fixture
def cli_db():
    """``--db`` arguments for a new instance: none on SQLite, a throwaway database on PostgreSQL."""
    created: list[str] = []

    def make() -> list[str]:
        if not ON_POSTGRES:
            return []
        import secrets
        import string

        import psycopg

        name = "lamin_cli_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return ["--db", urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))]

    yield make
    if created:
        import psycopg

        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------
# help and version
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_every_command_has_help_with_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: lamin-core {command}")
    assert "Example:" in out
    example = out.split("Example:", 1)[1]
    assert f"lamin-core {command}" in example


def test_cli_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command, (_, help_text, _) in COMMANDS.items():
        assert re.search(rf"^\s+{command}\s+\S", out, re.MULTILINE), command
    assert "Example:" in out


def test_cli_without_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: lamin-core")


def test_cli_version(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"lamin-core {__version__}\n"


def test_cli_console_script_is_installed():
    script = Path(sys.executable).parent / "lamin-core"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"lamin-core {__version__}\n"


def test_cli_unknown_command_is_a_usage_error(run_cli):
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


# ---------------------------------------------------------------------------
# init, info, connect, delete
# ---------------------------------------------------------------------------


def test_cli_init_prints_handle_and_info_shows_it(run_cli, tmp_path, cli_db):
    db = cli_db()
    result = run_cli("init", "--storage", "./mydata", *db, "--modules", "bio")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"→ initialized lamindb: {OS_HANDLE}/mydata\n"
    if not db:
        assert (tmp_path / "mydata" / ".lamindb" / "lamin.db").is_file()
    assert (tmp_path / "cli-home" / "instances" / f"{OS_HANDLE}--mydata.json").is_file()

    info = run_cli("info")
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert lines[:2] == [f"Current instance: {OS_HANDLE}/mydata", f"  storage:  {tmp_path / 'mydata'}"]
    database = db[1].split("://")[1] if db else f"{tmp_path}/mydata/.lamindb/lamin.db"
    assert lines[2].startswith("  database: ") and lines[2].endswith(database)
    assert lines[3] == "  modules:  bio"
    assert lines[4].startswith(f"User: {OS_HANDLE} (")
    assert lines[5:] == ["Registered instances:", f"  * {OS_HANDLE}/mydata  {lines[2].split(': ', 1)[1]}"]


def test_cli_info_without_instance_sets_nothing_up(run_cli, tmp_path):
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "Current instance: none (the first query sets up an embedded default instance)"
    )
    assert result.stdout.splitlines()[-1] == "Registered instances: none"
    assert not (tmp_path / "cli-home" / "instances").exists()


def test_cli_connect_switches_and_next_process_uses_it(run_cli, tmp_path, cli_db):
    assert run_cli("init", "--storage", "a", *cli_db()).returncode == 0
    assert run_cli("init", "--storage", "b", *cli_db()).returncode == 0
    result = run_cli("connect", f"{OS_HANDLE}/a")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"→ connected lamindb: {OS_HANDLE}/a\n"
    info = run_cli("info").stdout.splitlines()
    assert info[0] == f"Current instance: {OS_HANDLE}/a"
    registered = info[info.index("Registered instances:") + 1 :]
    assert [(line[:4], line.split()[-2]) for line in registered] == [
        ("  * ", f"{OS_HANDLE}/a"),
        ("    ", f"{OS_HANDLE}/b"),
    ]
    query = subprocess.run(
        [sys.executable, "-c", "import lamindb_core as ln; print(ln.setup.settings.instance.slug)"],
        env={**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "cli-home")},
        capture_output=True, text=True, timeout=60,
    )
    assert query.stdout == f"{OS_HANDLE}/a\n"


def test_cli_connect_unknown_instance_is_one_line_error(run_cli, tmp_path):
    result = run_cli("connect", "someone/nothing")
    assert_one_line_error(result, "instance 'someone/nothing' not found")
    assert result.stderr.rstrip().endswith("registered instances: none")


def test_cli_connect_path_like_identifier_is_one_line_error(run_cli):
    result = run_cli("connect", "me/../../secrets")
    assert_one_line_error(result, "'me/../../secrets' is not an instance: use owner/name or name")


@pytest.mark.sqlite_only
def test_cli_delete_removes_file_and_registration(run_cli, tmp_path):
    assert run_cli("init", "--storage", "mydata").returncode == 0
    result = run_cli("delete", "mydata")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"→ deleted instance {OS_HANDLE}/mydata (it was the current one)\n"
    assert not (tmp_path / "mydata" / ".lamindb").exists()
    assert not (tmp_path / "cli-home" / "instances" / f"{OS_HANDLE}--mydata.json").exists()
    assert run_cli("info").stdout.splitlines()[-1] == "Registered instances: none"


def test_cli_delete_unknown_instance_lists_registered(run_cli):
    assert run_cli("init", "--storage", "kept").returncode == 0
    result = run_cli("delete", "typo")
    assert_one_line_error(
        result, f"instance '{OS_HANDLE}/typo' not found in "
    )
    assert result.stderr.rstrip().endswith(f"registered instances: {OS_HANDLE}/kept")


@pytest.mark.sqlite_only
def test_cli_delete_with_artifact_files_needs_force(run_cli, tmp_path):
    assert run_cli("init", "--storage", "mydata").returncode == 0
    (tmp_path / "mydata" / ".lamindb" / "AbCdEfGh12345678.csv").write_text("a,b\n")
    assert_one_line_error(run_cli("delete", "mydata"), "holds 1 artifact file(s)")
    result = run_cli("delete", "mydata", "--force")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "mydata" / ".lamindb").exists()


def test_cli_init_twice_same_storage_connects(run_cli):
    assert run_cli("init", "--storage", "mydata").returncode == 0
    result = run_cli("init", "--storage", "mydata")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"→ instance {OS_HANDLE}/mydata exists already, connecting\n"


def test_cli_init_same_name_other_storage_is_one_line_error(run_cli, tmp_path):
    assert run_cli("init", "--storage", "first", "--name", "lab").returncode == 0
    result = run_cli("init", "--storage", "second", "--name", "lab")
    assert_one_line_error(
        result,
        f"instance '{OS_HANDLE}/lab' exists already with storage {tmp_path / 'first'}",
    )


def test_cli_init_unreachable_postgres_names_host(run_cli, tmp_path):
    result = run_cli("init", "--storage", "pg", "--db", "postgresql://me:secret@127.0.0.1:1/lab")
    assert_one_line_error(result, "cannot connect to postgresql://me@127.0.0.1:1/lab: ")
    assert "secret" not in result.stderr  # the password is never shown
    assert not (tmp_path / "cli-home" / "instances").exists()


def test_cli_init_unknown_module_is_one_line_error(run_cli):
    result = run_cli("init", "--storage", "x", "--modules", "bio,chem")
    assert_one_line_error(result, "unknown module(s) chem; available: bio")


def test_cli_init_requires_storage(run_cli):
    result = run_cli("init")
    assert result.returncode == 2
    assert "the following arguments are required: --storage" in result.stderr


@pytest.mark.sqlite_only
def test_cli_delete_of_an_instance_with_records_asks(run_cli, tmp_path):
    assert run_cli("init", "--storage", "mydata").returncode == 0
    code = "import lamindb_core as ln; ln.save([ln.ULabel(name=n) for n in 'ab'])"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "cli-home")}, check=True)
    question = f"{OS_HANDLE}/mydata holds 2 record(s) (core_ulabel: 2). Delete the instance with them? [y/N] "
    result = run_cli("delete", "mydata", input="n\n")
    assert result.stdout == question
    assert_one_line_error(result, f"not deleted: {OS_HANDLE}/mydata holds 2 record(s) (core_ulabel: 2); answer y, or pass --force")
    result = run_cli("delete", "mydata", input="")  # no answer (no terminal): nothing is deleted
    assert result.returncode == 1 and (tmp_path / "mydata" / ".lamindb" / "lamin.db").is_file()
    result = run_cli("delete", "mydata", input="y\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == question + f"→ deleted instance {OS_HANDLE}/mydata (it was the current one)\n"
    assert not (tmp_path / "mydata" / ".lamindb").exists()
