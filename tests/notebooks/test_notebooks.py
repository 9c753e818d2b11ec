"""The notebooks in notebooks/ run headlessly in a real kernel without any error output."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamindb_core.demo import run_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.sqlite_only  # the notebooks set up their own embedded instance
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path, tmp_path):
    # its own config folder: the notebook's instance does not become the session's current one
    nb, failures = run_notebook(path, tmp_path, timeout=180, env={"LAMIN_CORE_HOME": str(tmp_path / "home")})
    assert (tmp_path / "home" / "current-instance").exists()
    assert failures == []
    outputs = "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
    )
    assert "Traceback" not in outputs


def test_notebooks_exist():
    assert {"registries.ipynb", "magics.ipynb", "s3.ipynb", "lineage.ipynb"} <= {p.name for p in NOTEBOOKS}
