"""Progress bars (``lamindb_core.progress``): when one may show, and what ``ln.save`` shows.

Bars appear only after ``progress.DELAY`` seconds of work; the tests that read a bar set it
to 0 instead of waiting, so that nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import pytest

from lamindb_core import progress
from lamindb_core.logger import logger


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_process(monkeypatch):
    """No setting from the environment, the default verbosity, and no Jupyter kernel."""
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    monkeypatch.setattr(logger, "verbosity", 1)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)


@pytest.fixture
def no_delay(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "DELAY", 0)


def fake_kernel(monkeypatch, has_kernel: bool) -> None:
    shell = types.SimpleNamespace(kernel=object() if has_kernel else None)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)


# -- the decision ----------------------------------------------------------------------


def test_progress_shows_in_a_terminal_and_not_in_a_pipe():
    assert progress.enabled(Terminal()) is True
    assert progress.enabled(io.StringIO()) is False  # a script's output piped to a file


@pytest.mark.parametrize("value", ["0", "false", "No", "off"])
def test_progress_env_var_turns_bars_off_even_in_a_terminal(monkeypatch, value):
    monkeypatch.setenv(progress.ENV_VAR, value)
    assert progress.enabled(Terminal()) is False


@pytest.mark.parametrize("value", ["1", "true", "yes", "ON"])
def test_progress_env_var_turns_bars_on_in_a_non_interactive_run(monkeypatch, value):
    monkeypatch.setenv(progress.ENV_VAR, value)
    assert progress.enabled(io.StringIO()) is True


def test_progress_verbosity_0_turns_bars_off_whatever_the_env_var(monkeypatch, instance):
    ln = instance
    monkeypatch.setenv(progress.ENV_VAR, "1")
    ln.settings.verbosity = 0
    assert logger.verbosity == 0  # one setting: ln.settings.verbosity is the logger's
    assert progress.enabled(Terminal()) is False
    ln.settings.verbosity = 1
    assert progress.enabled(Terminal()) is True


def test_progress_settings_verbosity_refuses_what_is_not_a_number(instance):
    with pytest.raises(TypeError, match="ln.settings.verbosity takes 0, 1 or 2"):
        instance.settings.verbosity = "quiet"
    assert instance.settings.verbosity == 1
    assert repr(instance.settings) == "Settings(verbosity=1)"


def test_progress_shows_in_a_jupyter_kernel_whose_stderr_is_no_terminal(monkeypatch):
    fake_kernel(monkeypatch, has_kernel=True)
    assert progress.in_jupyter_kernel() is True
    assert progress.enabled(io.StringIO()) is True


def test_progress_terminal_ipython_with_ipykernel_loaded_is_no_kernel(monkeypatch):
    fake_kernel(monkeypatch, has_kernel=False)
    assert progress.in_jupyter_kernel() is False
    assert progress.enabled(io.StringIO()) is False


# -- the bars ------------------------------------------------------------------------------


def test_progress_writes_nothing_when_off():
    stream = io.StringIO()
    with progress.progress(1000, "copying", unit="B", file=stream) as bar:
        bar.update(1000)
    assert list(progress.track(range(3), "checking", file=stream)) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_progress_bar_counts_bytes_when_on(monkeypatch, no_delay):
    monkeypatch.setenv(progress.ENV_VAR, "1")
    stream = io.StringIO()
    with progress.progress(450, "copying", unit="B", file=stream) as bar:
        bar.update(400)
        bar.update(50)
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("copying: 100%") and "| 450/450 [" in last and "B/s]" in last


def test_progress_track_counts_items_and_closes_its_bar_on_break(monkeypatch, no_delay):
    monkeypatch.setenv(progress.ENV_VAR, "1")
    stream = io.StringIO()
    for item in progress.track(["a", "b", "c"], "checking", unit="artifact", file=stream):
        if item == "b":
            break
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("checking:  33%") and "| 1/3 [" in last and last.endswith("\n")


def test_progress_work_under_the_delay_shows_nothing(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setenv(progress.ENV_VAR, "1")
    monkeypatch.setattr(progress, "DELAY", 3600)  # no test lasts an hour
    stream = Terminal()
    with progress.progress(10, "copying", file=stream) as bar:
        bar.update(10)
    assert stream.getvalue() == ""


# -- ln.save of many artifacts ---------------------------------------------------------------


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def many_artifacts(ln, tmp_path: Path) -> list:
    # 4 new files of 100 bytes, a new version of 50 bytes (copied ahead too), and a
    # file whose content is saved already (not copied): 450 bytes to copy
    ln.Artifact(write(tmp_path / "old.txt", b"o" * 30), key="old.txt").save()
    ln.Artifact(write(tmp_path / "v1.txt", b"v" * 20), key="v.txt").save()
    artifacts = [ln.Artifact(write(tmp_path / f"f{i}.txt", bytes([65 + i]) * 100), key=f"p/f{i}.txt")
                 for i in range(4)]
    artifacts.append(ln.Artifact(write(tmp_path / "v2.txt", b"w" * 50), key="v.txt"))
    artifacts.append(ln.Artifact(write(tmp_path / "again.txt", b"o" * 30), key="again.txt"))
    return artifacts


def test_progress_ln_save_of_many_artifacts_shows_the_bytes_copied(
    instance, tmp_path, capsys, monkeypatch, no_delay, storage_files
):
    ln = instance
    artifacts = many_artifacts(ln, tmp_path)
    capsys.readouterr()
    monkeypatch.setenv(progress.ENV_VAR, "1")
    ln.save(artifacts)
    err = capsys.readouterr().err
    assert err.count("storing 5 artifacts:") >= 2  # the bar at 0, then as it fills
    last = err.split("\r")[-1]
    assert last.startswith("storing 5 artifacts: 100%") and "| 450/450 [" in last
    assert all(not a._state.adding for a in artifacts)


def test_progress_ln_save_of_many_artifacts_shows_nothing_when_off(
    instance, tmp_path, capsys, monkeypatch, no_delay, storage_files
):
    ln = instance
    artifacts = many_artifacts(ln, tmp_path)
    capsys.readouterr()
    monkeypatch.setenv(progress.ENV_VAR, "0")
    ln.save(artifacts)
    assert capsys.readouterr().err == ""
    assert all(not a._state.adding for a in artifacts)


def test_progress_artifact_save_shows_the_bytes_of_its_copy(
    instance, tmp_path, capsys, monkeypatch, no_delay, storage_files
):
    ln = instance
    artifact = ln.Artifact(write(tmp_path / "one.txt", b"x" * 700), key="one.txt")
    capsys.readouterr()
    monkeypatch.setenv(progress.ENV_VAR, "1")
    artifact.save()
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("storing 1 artifact: 100%") and "| 700/700 [" in last
    # content saved already is not copied: no bar
    ln.Artifact(write(tmp_path / "same.txt", b"x" * 700), key="same.txt").save()
    assert "storing" not in capsys.readouterr().err


# -- bulk annotation and the Curator --------------------------------------------------------


def test_progress_bulk_annotation_counts_the_artifacts(instance, tmp_path, capsys, monkeypatch, no_delay, storage_files):
    ln = instance
    ln.Feature(name="progress_score", dtype="int").save()
    artifacts = [ln.Artifact(write(tmp_path / f"a{i}.txt", f"a{i}".encode()), key=f"a/{i}.txt") for i in range(3)]
    ln.save(artifacts)
    capsys.readouterr()
    monkeypatch.setenv(progress.ENV_VAR, "1")
    ln.Artifact.features.add_values({a: {"progress_score": i} for i, a in enumerate(artifacts)})
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("checking feature values: 100%") and "| 3/3 [" in last
    assert artifacts[2].features.get_values() == {"progress_score": 2}


def test_progress_curator_close_matches_count_the_unknown_values(instance, capsys, monkeypatch, no_delay):
    import pandas as pd

    ln = instance
    ln.save([ln.ULabel(name=n) for n in ("DMSO", "IFNG")])
    curator = ln.Curator.from_df(
        pd.DataFrame({"perturbation": ["DMSO", "IFNg", "DMS0", "other"]}),
        categoricals={"perturbation": ln.ULabel.name},
    )
    capsys.readouterr()
    monkeypatch.setenv(progress.ENV_VAR, "1")
    assert curator.validate() is False
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("close matches for perturbation: 100%") and "| 3/3 [" in last
