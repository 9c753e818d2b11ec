"""Fixtures for the notebook extension: a real IPython shell with ``%load_ext lamindb_jupyter``.

Each test runs in a transaction that is rolled back (as in ``tests/core``); the shell is
IPython's singleton, with the extension loaded for the test and unloaded afterwards, and
its namespace emptied.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# IPython keeps its profile and history here, never in the real home
os.environ.setdefault("IPYTHONDIR", tempfile.mkdtemp(prefix="ipython-"))


@pytest.fixture(autouse=True)
def rollback(rolled_back):
    """Undo every row a test writes (unless it is marked ``no_rollback``); forget its run."""
    with rolled_back():
        yield


@pytest.fixture(scope="session")
def ipython():
    """IPython's shell (the singleton, as ``get_ipython()`` returns it), history in memory."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


@pytest.fixture
def shell(ipython, rollback):
    """The shell after ``%load_ext lamindb_jupyter``; unloaded and emptied after the test."""
    result = ipython.run_cell("%load_ext lamindb_jupyter")
    assert result.success, result.error_in_exec
    yield ipython
    ipython.run_cell("%unload_ext lamindb_jupyter")
    ipython.reset(new_session=False)
    ipython.config.pop("LnMagic", None)  # %config LnMagic.limit = ... lives in the shell's config


@pytest.fixture
def labels(instance):
    """The guide's labels, and one whose name is HTML."""
    ln = instance
    names = ["DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2", "<img src=x onerror=alert(1)>"]
    records = [ln.ULabel(name=n) for n in names]
    ln.save(records)
    return {r.name: r for r in records}


@pytest.fixture
def artifacts(instance, labels):
    """Four artifacts of the guide (no files): a jpg, a fastq, two h5ad with labels and a feature."""
    ln = instance
    storage = ln.Storage.filter().first()
    rows = [
        ("images/my_image.jpg", ".jpg", 29358),
        ("raw/my_fastq.fastq", ".fastq.gz", 20),
        ("example_datasets/dataset1.h5ad", ".h5ad", 25088),
        ("example_datasets/dataset2.h5ad", ".h5ad", 22384),
    ]
    records = [ln.Artifact(key=key, suffix=suffix, size=size, storage=storage) for key, suffix, size in rows]
    ln.save(records)
    jpg, fastq, dataset1, dataset2 = records
    dataset1.ulabels.add(labels["Candidate marker study 1"], labels["DMSO"])
    dataset2.ulabels.add(labels["Candidate marker study 2"], labels["IFNG"])
    ln.Feature(name="temperature", dtype="float").save()
    dataset2.features.add_values({"temperature": 21.6})
    return {"jpg": jpg, "fastq": fastq, "dataset1": dataset1, "dataset2": dataset2}


@pytest.fixture
def run(shell):
    """``run(cell)``: run a cell, fail the test with its error if it raised; returns the result."""

    def run_cell(cell: str):
        result = shell.run_cell(cell)
        assert result.error_before_exec is None, result.error_before_exec
        assert result.error_in_exec is None, repr(result.error_in_exec)
        return result

    return run_cell


@pytest.fixture
def usage_error(shell):
    """``usage_error(cell)``: run a cell that must fail with a UsageError; returns its one-line message."""
    from IPython.core.error import UsageError

    def run_cell(cell: str) -> str:
        result = shell.run_cell(cell)
        assert isinstance(result.error_in_exec, UsageError), repr(result.error_in_exec)
        message = str(result.error_in_exec)
        assert "\n" not in message
        return message

    return run_cell


@pytest.fixture
def html(shell):
    """``html(obj)``: what a notebook shows for ``obj``, its text/html."""

    def formatted(obj) -> str:
        data, _ = shell.display_formatter.format(obj)
        return data["text/html"]

    return formatted


@pytest.fixture
def completions(shell):
    """``completions(text)``: the texts IPython offers at the end of ``text``, via ``shell.Completer``."""
    from IPython.core.completer import provisionalcompleter

    def complete(text: str, offset: int | None = None) -> list[str]:
        with provisionalcompleter():
            found = shell.Completer.completions(text, len(text) if offset is None else offset)
            return [c.text for c in found]

    return complete


# -- a new process: what a fresh kernel sees ---------------------------------------------------------

# Runs the cells (JSON on stdin) in a new InteractiveShell; prints one JSON list of outcomes.
NEW_SHELL = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config, colors="nocolor")
    outcomes = []
    for cell in json.loads(sys.stdin.read()):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = shell.run_cell(cell)
        error = result.error_before_exec or result.error_in_exec
        outcomes.append({
            "cell": cell,
            "error": type(error).__name__ if error is not None else None,
            "message": str(error) if error is not None else "",
            "out": out.getvalue(),
            "result": type(result.result).__name__,
        })
    sys.__stdout__.write("\\n" + json.dumps(outcomes) + "\\n")
    """
)

NewShell = Callable[..., list[dict]]


@pytest.fixture
def new_shell(tmp_path: Path) -> NewShell:
    """``new_shell(*cells, home=..., cwd=..., env=...)``: run cells in a new process's new IPython shell.

    Returns one dict per cell: ``error`` (the exception's type name or ``None``),
    ``message``, ``out`` (what the cell printed, stdout and stderr) and ``result`` (the
    type name of the cell's value). ``home`` is its ``LAMIN_CORE_HOME`` (default: an
    empty folder), ``cwd`` its working directory (default: ``tmp_path``).

    Example:
        >>> [load, query] = new_shell("%load_ext lamindb_jupyter", "%ln filter ULabel", home=home)
        >>> assert query["error"] is None, query
    """

    def run(*cells: str, home: Path | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None, timeout: float = 180) -> list[dict]:
        if home is None:
            home = tmp_path / "new-shell-home"
            home.mkdir(exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-c", NEW_SHELL],
            input=json.dumps(list(cells)),
            env={**os.environ, "LAMIN_CORE_HOME": str(home), **(env or {})},
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])

    return run


@pytest.fixture(scope="module")
def prepared_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config home where an instance was set up (by another process) with two ULabels.

    The instance is embedded SQLite, or on the PostgreSQL run a database of its own on the
    test server, dropped afterwards.
    """
    folder = tmp_path_factory.mktemp("prepared")
    home = folder / "home"
    home.mkdir()
    test_db = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
    db_url = None
    if urlsplit(test_db).scheme in ("postgresql", "postgres"):
        import psycopg

        name = "lamin_test_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        with psycopg.connect(test_db, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db_url = urlunsplit(urlsplit(test_db)._replace(path="/" + name))
    code = (
        "import lamindb_core as ln\n"
        f"ln.setup.init(storage={str(folder / 'registries')!r}, db={db_url!r}, modules='bio')\n"
        "ln.save([ln.ULabel(name='DMSO'), ln.ULabel(name='Candidate marker study 1')])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "LAMIN_CORE_HOME": str(home)},
        cwd=folder, capture_output=True, text=True, timeout=180,
    )
    try:
        assert result.returncode == 0, result.stderr
        yield home
    finally:
        if db_url is not None:
            with psycopg.connect(test_db, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
