"""``ln.settings`` and ``ln.setup.settings.storage`` / ``cache_dir`` as LaminDB 1.0 spells them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lamindb_core.logger import logger


@pytest.fixture
def verbosity(instance):
    """Put the verbosity back after a test that changes it."""
    before = instance.settings.verbosity
    yield
    instance.settings.verbosity = before


@pytest.mark.parametrize(
    ("name", "level"),
    [("error", 0), ("warning", 0), ("success", 1), ("info", 1), ("hint", 2), ("debug", 2)],
)
def test_settings_verbosity_takes_laminDB_level_names(instance, verbosity, name, level):
    instance.settings.verbosity = name
    assert instance.settings.verbosity == level
    assert logger.verbosity == level


def test_settings_verbosity_warning_silences_successes_but_not_warnings(instance, verbosity, capsys):
    instance.settings.verbosity = "warning"
    logger.success("saved")
    logger.warning("careful")
    assert capsys.readouterr().out == "! careful\n"
    instance.settings.verbosity = "success"
    logger.success("saved")
    assert capsys.readouterr().out == "✓ saved\n"


def test_settings_verbosity_refuses_an_unknown_name(instance, verbosity):
    with pytest.raises(TypeError, match="'error', 'warning', 'success', 'info', 'hint', 'debug'; got 'loud'"):
        instance.settings.verbosity = "loud"
    assert instance.settings.verbosity == 1


def test_settings_verbosity_round_trips_what_was_read(instance, verbosity):
    # the pattern of LaminDB's code: remember, quieten, restore
    previous = instance.settings.verbosity
    instance.settings.verbosity = "error"
    instance.settings.verbosity = previous
    assert instance.settings.verbosity == 1


def test_settings_creation_has_laminDB_switches_with_their_defaults(instance):
    creation = instance.settings.creation
    assert creation is instance.settings.creation  # one object: what is set stays set
    assert creation.search_names is True
    assert creation.artifact_skip_size_hash is False
    assert creation.artifact_silence_missing_run_warning is False
    assert creation._artifact_use_virtual_keys is True
    assert instance.settings.track_run_inputs is True


def test_settings_creation_switches_leave_saving_as_it_is(instance, tmp_path, capsys):
    # none of these three has an effect in lamindb-core (their docstrings say why):
    # an artifact saved with all of them flipped still gets its size and hash,
    # is stored under .lamindb/, and no warning about a missing run shows either way
    # (_artifact_use_virtual_keys does what LaminDB does: tests/core/test_artifact_storage.py)
    ln = instance
    creation = ln.settings.creation
    saved = (creation.search_names, creation.artifact_skip_size_hash, creation.artifact_silence_missing_run_warning)
    creation.search_names = False
    creation.artifact_skip_size_hash = True
    creation.artifact_silence_missing_run_warning = True
    try:
        path = tmp_path / "switches.csv"
        pd.DataFrame({"a": [1, 2]}).to_csv(path)
        artifact = ln.Artifact(path, key="switches/switches.csv").save()
        assert artifact.size == path.stat().st_size and artifact.hash
        assert artifact.path.parent.name == ".lamindb"
        assert "run" not in capsys.readouterr().out
    finally:
        (creation.search_names, creation.artifact_skip_size_hash, creation.artifact_silence_missing_run_warning) = saved


def test_setup_settings_storage_is_the_instance_folder(instance):
    storage = instance.setup.settings.storage
    root = Path(instance.setup.settings.instance.storage).resolve()
    assert storage.root == root
    assert storage.root_as_str == root.as_posix()
    assert storage.type == "local" and storage.type_is_cloud is False and storage.region is None
    assert repr(storage) == f"StorageSettings(root='{root.as_posix()}', type='local')"


def test_setup_settings_storage_record_is_the_storage_registered(instance):
    ln = instance
    storage = ln.setup.settings.storage
    assert storage.record.root == storage.root_as_str
    assert storage.uid == ln.Storage.get(root=str(storage.root)).uid


def test_settings_storage_is_setup_settings_storage(instance):
    assert instance.settings.storage == instance.setup.settings.storage
    assert instance.settings.storage.root == instance.setup.settings.storage.root


def test_setup_settings_cache_dir_is_a_folder_in_the_config_home(instance):
    from lamindb_core.config import config_home

    cache_dir = instance.setup.settings.cache_dir
    assert cache_dir == config_home() / "cache"
    assert cache_dir.is_dir()
    assert instance.settings.cache_dir == cache_dir


def test_setup_settings_instance_and_user_still_answer(instance):
    settings = instance.setup.settings
    assert settings.instance.slug.endswith(settings.instance.name)
    assert settings.user.handle
    assert f"storage:  {settings.instance.storage}" in repr(settings)


def test_setup_settings_storage_is_still_a_path_for_path_and_open(instance):
    # before it was an object, ln.setup.settings.storage was the root's Path
    storage = instance.setup.settings.storage
    assert Path(storage) == storage.root
    assert (Path(storage) / ".lamindb").is_dir()


@pytest.fixture
def tracked(instance):
    """A saved artifact made before ``ln.track()``, and the run that tracking starts."""
    ln = instance
    artifact = ln.Artifact.from_df(pd.DataFrame({"a": [1, 2]}), key="inputs/before.parquet").save()
    ln.track("pd7UR7Z8hoTq0000")
    yield artifact, ln.context.run
    # the per-test rollback forgets the run (conftest); the switch is ours to restore
    instance.settings.track_run_inputs = True


def test_settings_track_run_inputs_makes_a_loaded_artifact_an_input_of_the_run(tracked):
    artifact, run = tracked
    artifact.load()
    assert list(artifact.input_of_runs.all()) == [run]


def test_settings_track_run_inputs_off_leaves_the_run_without_inputs(instance, tracked):
    artifact, run = tracked
    instance.settings.track_run_inputs = False
    artifact.load()
    artifact.cache()
    assert artifact.input_of_runs.count() == 0
    artifact.cache(is_run_input=True)  # one call decides for itself
    assert list(artifact.input_of_runs.all()) == [run]


def test_settings_track_run_inputs_never_makes_an_output_its_runs_input(instance, tracked):
    ln = instance
    _, run = tracked
    output = ln.Artifact.from_df(pd.DataFrame({"b": [3]}), key="inputs/output.parquet").save()
    assert output.run == run
    output.load()
    assert output.input_of_runs.count() == 0


def test_artifact_load_is_run_input_false_and_true_without_a_run(instance):
    ln = instance
    artifact = ln.Artifact.from_df(pd.DataFrame({"a": [1]}), key="inputs/untracked.parquet").save()
    artifact.load(is_run_input=False)
    artifact.load()  # no run: nothing to link, no error
    assert artifact.input_of_runs.count() == 0
    with pytest.raises(ln.errors.InvalidArgument, match="call ln.track"):
        artifact.load(is_run_input=True)


def test_settings_storage_refuses_another_protocol_and_a_file(instance, tmp_path):
    # switching to a local folder: tests/core/test_artifact_storage.py; to a bucket: tests/s3
    ln = instance
    before = ln.settings.storage.root_as_str
    with pytest.raises(ln.errors.InvalidArgument, match="not gs://"):
        ln.settings.storage = "gs://bucket/elsewhere"
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ln.errors.InvalidArgument, match="is a file, not a folder"):
        ln.settings.storage = afile
    assert ln.settings.storage.root_as_str == before
