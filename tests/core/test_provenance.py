"""Provenance: what a tracked run reads and writes, what ln.finish() keeps, and lineage queries.

In this process; the notebook (nbclient) and the script (a subprocess) that do the same are in
test_provenance_runs.py.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.usefixtures("storage_files")


@pytest.fixture
def script_process(monkeypatch):
    """This test process as a script's, not an interactive session's (another test may have left an
    IPython shell in the process)."""
    from lamindb_core.models import tracking

    monkeypatch.setattr(tracking, "_ipython_shell", lambda: None)


@pytest.fixture
def saved(instance):
    """Two artifacts and a collection of them, saved before any run."""
    ln = instance
    first = ln.Artifact.from_df(pd.DataFrame({"a": [1, 2]}), key="prov/first.parquet").save()
    second = ln.Artifact.from_df(pd.DataFrame({"a": [3]}), key="prov/second.parquet").save()
    collection = ln.Collection([first, second], key="prov/both").save()
    yield first, second, collection
    instance.settings.track_run_inputs = True


def test_provenance_artifact_load_cache_open_record_one_input(instance, saved, script_process):
    ln = instance
    first, second, _ = saved
    first.load()
    assert first.input_of_runs.count() == 0  # outside a run nothing is recorded
    ln.track("Prv0000000010000")
    run = ln.context.run
    first.load()
    first.load()
    first.cache()
    second.open()
    assert list(run.input_artifacts.order_by("id")) == [first, second]
    assert list(first.input_of_runs.all()) == [run]
    through = ln.Artifact.input_of_runs.through
    assert through.objects.filter(run_id=run.id).count() == 2  # loading twice records once


def test_provenance_records_saved_in_a_run_point_to_it_and_are_never_its_inputs(instance, saved, script_process):
    ln = instance
    ln.track("Prv0000000020000")
    run = ln.context.run
    output = ln.Artifact.from_df(pd.DataFrame({"b": [1]}), key="prov/output.parquet").save()
    label = ln.ULabel(name="prov label").save()
    feature = ln.Feature(name="prov_feature", dtype="int").save()
    collection = ln.Collection([output], key="prov/outputs").save()
    assert (output.run, label.run, feature.run, collection.run) == (run, run, run, run)
    output.load()
    collection.load()
    assert run.input_artifacts.count() == 0 and run.input_collections.count() == 0
    assert list(run.output_artifacts.all()) == [output]
    assert list(run.output_collections.all()) == [collection]


def test_provenance_track_run_inputs_off_records_nothing(instance, saved, script_process):
    ln = instance
    first, _, collection = saved
    ln.track("Prv0000000030000")
    ln.settings.track_run_inputs = False
    first.load()
    collection.load()
    assert ln.context.run.input_artifacts.count() == 0 and ln.context.run.input_collections.count() == 0
    collection.cache(is_run_input=True)  # one call decides for itself
    assert list(ln.context.run.input_collections.all()) == [collection]


def test_provenance_collection_load_cache_open_record_the_collection(instance, saved, script_process):
    ln = instance
    first, second, collection = saved
    ln.track("Prv0000000040000")
    run = ln.context.run
    assert collection.load().shape == (3, 1)
    assert [str(p) for p in collection.cache()] == [str(first.path), str(second.path)]
    assert collection.open().to_table().num_rows == 3
    assert list(run.input_collections.all()) == [collection]
    assert list(collection.input_of_runs.all()) == [run]
    # lineage is the collection's: its artifacts are not inputs one by one
    assert run.input_artifacts.count() == 0


def test_provenance_collection_mapped_records_the_collection(instance, script_process):
    ln = instance
    adata = ad.AnnData(np.ones((2, 3), dtype="float32"), obs=pd.DataFrame({"cell_type": ["T", "B"]}, index=["a", "b"]))
    artifact = ln.Artifact.from_anndata(adata, key="prov/cells.h5ad").save()
    collection = ln.Collection([artifact], key="prov/cells").save()
    ln.track("Prv0000000050000")
    with collection.mapped(obs_keys="cell_type") as dataset:
        assert len(dataset) == 2
    assert list(ln.context.run.input_collections.all()) == [collection]


def test_provenance_a_collection_made_in_a_run_reads_its_artifacts(instance, saved, script_process):
    ln = instance
    first, second, collection = saved
    ln.track("Prv0000000060000")
    run = ln.context.run
    third = ln.Artifact.from_df(pd.DataFrame({"a": [4]}), key="prov/third.parquet").save()
    bigger = collection.append(third).save()
    assert bigger.run == run
    # as in LaminDB: the artifacts it was made of and the version it revises are inputs; its own output is not
    assert list(run.input_artifacts.order_by("id")) == [first, second]
    assert list(run.input_collections.all()) == [collection]


def test_provenance_lineage_queries_are_django_queries(instance, saved, script_process):
    ln = instance
    first, second, _ = saved
    ln.track("Prv0000000070000")
    run = ln.context.run
    # a key of its own: other tests' transforms of this session share the session's script name
    key = "prov-lineage-queries.py"
    run.transform.key = key
    run.transform.save()
    first.load()
    output = ln.Artifact.from_df(pd.DataFrame({"c": [1]}), key="prov/made-from-first.parquet").save()
    assert list(ln.Artifact.filter(input_of_runs__transform__key=key)) == [first]
    assert list(ln.Artifact.filter(input_of_runs__transform__uid="Prv0000000070000")) == [first]
    assert list(ln.Artifact.filter(run__input_artifacts=first)) == [output]
    assert list(ln.Artifact.filter(run__input_artifacts=second)) == []
    assert list(ln.Run.filter(input_artifacts__key="prov/first.parquet")) == [run]


def test_provenance_run_cells_outside_jupyter_lists_inputs_and_outputs_without_cells(instance, saved, script_process):
    ln = instance
    first, _, collection = saved
    ln.track("Prv0000000080000")
    first.load()
    collection.load()
    output = ln.Artifact.from_df(pd.DataFrame({"d": [1]}), key="prov/cells-out.parquet").save()
    cells = ln.context.run.cells()
    assert list(cells.columns) == ["direction", "registry", "uid", "key", "description", "cell_id", "execution_count"]
    assert cells[["direction", "registry", "key"]].values.tolist() == [
        ["input", "Artifact", "prov/first.parquet"],
        ["input", "Collection", "prov/both"],
        ["output", "Artifact", "prov/cells-out.parquet"],
    ]
    assert cells["uid"].tolist()[2] == output.uid
    assert cells["cell_id"].isna().all() and cells["execution_count"].isna().all()
    assert ln.context.run.cell_records.count() == 0  # outside Jupyter there is no cell to store


def _notebook(path, cells):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(c[2:]) if c.startswith("> ") else nbformat.v4.new_code_cell(c) for c in cells
    ])
    nbformat.write(nb, path)
    return path


def test_finish_of_a_notebook_keeps_its_source_and_a_report(instance, tmp_path, script_process):
    ln = instance
    path = _notebook(tmp_path / "prov-report.ipynb", ["> # Provenance report", "x = 21 * 2", "print(x)"])
    ln.track(path=str(path))
    run, transform = ln.context.run, ln.context.transform
    assert transform.type == "notebook" and transform.key == "prov-report.ipynb"
    ln.finish()
    run.refresh_from_db()
    transform.refresh_from_db()
    assert run.finished_at is not None
    assert transform.source_code == "# %% [markdown]\n# # Provenance report\n\n# %%\nx = 21 * 2\n\n# %%\nprint(x)\n"
    from lamindb_core.models.run_report import hash_text

    assert transform.hash == hash_text(transform.source_code)
    report = run.report
    assert report.suffix == ".html" and report.description == f"Report of run {run.uid}"
    assert report._branch_code == 0 and report.run is None  # hidden, and none of the run's outputs
    html = report.path.read_text()
    assert "21" in html and "Provenance report" in html
    assert ln.Artifact.filter(suffix=".html").count() == 0  # hidden from queries, as LaminDB's reports
    assert list(run.output_artifacts.all()) == []


def test_finish_reuses_an_unchanged_notebooks_transform_and_versions_a_changed_one(instance, tmp_path,
                                                                                   script_process):
    ln = instance
    path = _notebook(tmp_path / "prov-versions.ipynb", ["> # Versions", "y = 1"])
    ln.track(path=str(path))
    first = ln.context.transform
    ln.finish()
    ln.track(path=str(path))  # unchanged: the same transform
    assert ln.context.transform.id == first.id
    ln.finish()
    _notebook(path, ["> # Versions", "y = 2"])
    ln.track(path=str(path))  # changed: a new version
    second = ln.context.transform
    assert second.id != first.id and second.stem_uid == first.stem_uid and second.is_latest
    run = ln.context.run
    # edited after ln.track(): finish() keeps the saved source and moves the run to a new version
    _notebook(path, ["> # Versions", "y = 3"])
    ln.finish()
    run.refresh_from_db()
    third = run.transform
    assert third.id not in (first.id, second.id) and third.stem_uid == first.stem_uid
    assert "y = 3" in third.source_code and "y = 2" in ln.Transform.get(id=second.id).source_code


def test_finish_that_fails_writes_nothing_and_keeps_the_run_tracked(instance, tmp_path, script_process,
                                                                    monkeypatch):
    ln = instance
    from lamindb_core.models import run_report

    path = _notebook(tmp_path / "prov-fails.ipynb", ["> # Fails", "z = 1"])
    ln.track(path=str(path))
    run = ln.context.run
    _notebook(path, ["> # Fails", "z = 2"])  # edited: finish() would make a new version

    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_report.Transform, "save", refuse)
    reports_before = ln.Artifact.filter(_branch_code=0).count()
    with pytest.raises(RuntimeError, match="disk full"):
        ln.finish()
    assert ln.context.run is run  # still tracked: finish() can be called again
    fresh = ln.Run.get(id=run.id)
    assert fresh.finished_at is None and fresh.report_id is None and fresh.transform_id == run.transform_id
    assert run.finished_at is None and run.report_id is None
    assert ln.Artifact.filter(_branch_code=0).count() == reports_before
    assert not list(Path(ln.settings.cache_dir).glob("run_report_*"))  # the rendered report is not left behind
    monkeypatch.undo()
    ln.finish()
    assert ln.Run.get(id=run.id).report is not None


def test_notebook_source_is_py_percent_without_outputs():
    from lamindb_core.models.run_report import notebook_source

    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Title\n", "\n", "Text"]},
        {"cell_type": "code", "source": "a = 1\n", "outputs": [{"text": "ignored"}], "execution_count": 4},
    ]}
    assert notebook_source(nb) == "# %% [markdown]\n# # Title\n#\n# Text\n\n# %%\na = 1\n"
