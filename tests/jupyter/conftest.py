"""Fixtures for the notebook extension: a real IPython shell with ``%load_ext lamindb_jupyter``.

Each test runs in a transaction that is rolled back (as in ``tests/core``); the shell is
IPython's singleton, with the extension loaded for the test and unloaded afterwards, and
its namespace emptied.
"""

from __future__ import annotations

import os
import tempfile

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
