"""Provenance of real runs: tests/core/provenance/derive.py as a subprocess and derive.ipynb in a
kernel (nbclient), each loading an artifact and saving one made from it under ln.track().

Both use this session's instance (they inherit LAMIN_CORE_HOME), so the tests commit
(``no_rollback``) and remove what they made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).parent / "provenance"

pytestmark = [pytest.mark.no_rollback, pytest.mark.usefixtures("storage_files")]


@pytest.fixture
def raw(instance, request):
    """A saved artifact to read (committed), and the keys of the test; removes all a run made afterwards."""
    ln = instance
    name = request.node.name[:40]
    artifact = ln.Artifact.from_df(pd.DataFrame({"a": [1, 2, 3]}), key=f"prov-runs/{name}/raw.parquet").save()
    keys = {"PROV_RAW": artifact.key, "PROV_OUT": f"prov-runs/{name}/out.parquet"}
    yield artifact, keys
    runs = ln.Run.filter(transform__key__startswith="derive")
    reports = [r.report_id for r in runs if r.report_id is not None]
    ln.Artifact.filter(key__startswith=f"prov-runs/{name}/", _branch_code=None).delete(permanent=True)
    runs.delete()
    ln.Artifact.filter(id__in=reports, _branch_code=None).delete(permanent=True)
    ln.Transform.filter(key__startswith="derive").delete()


def _execute(path: Path, workdir: Path, env: dict[str, str]):
    """Run a notebook in a fresh kernel, sending each cell's id as JupyterLab does (``metadata.cellId`` of
    the execute_request; nbclient itself sends none)."""
    import nbformat
    from nbclient import NotebookClient

    class JupyterLabLikeClient(NotebookClient):
        running_cell_id: str | None = None

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()

            def execute(code, silent=False, store_history=True, user_expressions=None, allow_stdin=None,
                        stop_on_error=True):
                content = {"code": code, "silent": silent, "store_history": store_history,
                           "user_expressions": user_expressions or {}, "allow_stdin": False,
                           "stop_on_error": stop_on_error}
                msg = kc.session.msg("execute_request", content, metadata={"cellId": self.running_cell_id})
                kc.shell_channel.send(msg)
                return msg["header"]["msg_id"]

            kc.execute = execute
            return kc

    nb = nbformat.read(path, as_version=4)
    client = JupyterLabLikeClient(
        nb, timeout=180, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(workdir)}},
        on_cell_execute=lambda cell, cell_index: setattr(client, "running_cell_id", cell.get("id")),
    )
    client.execute(env={**os.environ, **env, "JPY_SESSION_NAME": str(path)})
    errors = [(i, o.get("evalue")) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == [], errors
    return nb


def test_provenance_of_a_script_run_as_a_subprocess(instance, raw, tmp_path):
    ln = instance
    artifact, keys = raw
    script = shutil.copy(HERE / "derive.py", tmp_path / "derive.py")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180,
                            env={**os.environ, **keys}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = ln.Artifact.get(key=keys["PROV_OUT"])
    run = output.run
    assert run.transform.key == "derive.py" and run.transform.type == "script"
    assert run.transform.source_code == (HERE / "derive.py").read_text()
    assert run.finished_at is not None and run.report is None  # a script has no report
    assert list(run.input_artifacts.all()) == [artifact]
    assert list(ln.Artifact.filter(run__input_artifacts=artifact)) == [output]
    assert list(ln.Artifact.filter(input_of_runs__transform__key="derive.py")) == [artifact]
    cells = run.cells()
    assert cells[["direction", "key"]].values.tolist() == [["input", keys["PROV_RAW"]], ["output", keys["PROV_OUT"]]]
    assert cells["cell_id"].isna().all()  # outside Jupyter the cell fields stay empty


def test_provenance_of_a_notebook_run_with_nbclient(instance, raw, tmp_path):
    import nbformat

    from lamindb_core.models.run_report import notebook_source

    ln = instance
    artifact, keys = raw
    path = Path(shutil.copy(HERE / "derive.ipynb", tmp_path / "derive.ipynb"))
    nb = _execute(path, tmp_path, keys)
    output = ln.Artifact.get(key=keys["PROV_OUT"])
    run = output.run
    transform = run.transform
    assert (transform.key, transform.type, transform.description) == ("derive.ipynb", "notebook", "Derive a table")
    assert transform.source_code == notebook_source(nbformat.read(path, as_version=4))
    assert transform.source_code.startswith("# %% [markdown]\n# # Derive a table\n")
    assert run.finished_at is not None
    assert "Derive a table" in run.report.path.read_text() and run.report.suffix == ".html"
    assert list(run.input_artifacts.all()) == [artifact] and list(run.output_artifacts.all()) == [output]

    # the cell of each input and output: its id and the [n] the notebook shows
    read_cell, save_cell = nb.cells[2], nb.cells[3]
    assert (read_cell.execution_count, save_cell.execution_count) == (2, 3)
    cells = run.cells()
    assert cells[["direction", "key", "cell_id", "execution_count"]].values.tolist() == [
        ["input", keys["PROV_RAW"], "derive-cell-2", 2],
        ["output", keys["PROV_OUT"], "derive-cell-3", 3],
    ]
    assert artifact.run_cells.get(run=run).cell_id == read_cell.id

    # run again unchanged: the same transform; a changed cell: a new version
    output.delete(permanent=True)
    _execute(path, tmp_path, keys)
    again = ln.Artifact.get(key=keys["PROV_OUT"])
    assert again.run.transform_id == transform.id
    again.delete(permanent=True)
    changed = nbformat.read(path, as_version=4)
    changed.cells[3].source = changed.cells[3].source.replace("df * 3", "df * 4")
    nbformat.write(changed, path)
    _execute(path, tmp_path, keys)
    newer = ln.Artifact.get(key=keys["PROV_OUT"]).run.transform
    assert newer.id != transform.id and newer.stem_uid == transform.stem_uid and newer.is_latest
    assert "df * 4" in newer.source_code and "df * 3" in ln.Transform.get(id=transform.id).source_code
