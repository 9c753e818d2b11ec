"""ln.core.datasets: the guide's example data, made offline and the same every time."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lamindb_core.core import datasets


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_datasets_is_reachable_as_ln_core_datasets(instance):
    assert instance.core.datasets is datasets
    assert set(datasets.__all__) >= {"file_jpg_paradisi05", "file_fastq", "df_iris", "small_dataset1", "small_dataset2"}


def test_datasets_file_jpg_paradisi05_is_a_small_jpeg_in_the_current_folder(cwd):
    path = datasets.file_jpg_paradisi05()
    assert path == cwd / "paradisi05_laminopathic_nuclei.jpg"
    data = path.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"  # JPEG start and end markers
    assert b"JFIF" in data[:20]
    assert 1_000 < len(data) < 50_000
    assert datasets.file_jpg_paradisi05().read_bytes() == data  # the same every time


def test_datasets_file_fastq_has_the_guides_size_and_hash(cwd):
    path = datasets.file_fastq()
    assert path == cwd / "input.fastq.gz"
    assert path.name.endswith(".fastq.gz")
    data = path.read_bytes()
    assert len(data) == 20
    assert base64.urlsafe_b64encode(hashlib.md5(data).digest()).decode()[:22] == "hi7ZmAzz8sfMd3vIQr-57Q"


def test_datasets_file_fastq_in_storage_root(instance, cwd):
    path = datasets.file_fastq(in_storage_root=True)
    try:
        assert path.parent.resolve() == Path(instance.setup.settings.storage).resolve()
        assert path.read_text() == "Mock fastq artifact."
    finally:
        path.unlink()


def test_datasets_df_iris_is_the_150_row_iris_table():
    df = datasets.df_iris()
    assert df.shape == (150, 5)
    assert df.columns.tolist() == [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
        "target",
    ]
    assert df.dtypes.tolist() == [np.float64] * 4 + [np.int64]
    assert df["target"].value_counts().sort_index().tolist() == [50, 50, 50]
    assert df.iloc[0].tolist() == [5.1, 3.5, 1.4, 0.2, 0]
    assert df.iloc[-1].tolist() == [5.9, 3.0, 5.1, 1.8, 2]
    assert df["sepal length (cm)"].mean() == pytest.approx(5.8433, abs=1e-4)


def test_datasets_small_dataset1_anndata():
    adata = datasets.small_dataset1(format="anndata")
    assert adata.shape == (3, 3)
    assert adata.obs_names.tolist() == ["sample1", "sample2", "sample3"]
    assert adata.var_names.tolist() == ["CD8A", "CD4", "CD14"]
    np.testing.assert_array_equal(np.asarray(adata.X), [[1, 3, 5], [2, 4, 6], [3, 5, 7]])
    obs = adata.obs
    assert obs.columns.tolist() == ["cell_medium", "sample_note", "cell_type_by_expert", "cell_type_by_model"]
    assert isinstance(obs["cell_medium"].dtype, pd.CategoricalDtype)
    assert obs["cell_medium"].tolist() == ["DMSO", "IFNG", "DMSO"]
    assert obs["sample_note"].tolist() == ["was ok", "looks naah", "pretty! 🤩"]
    assert obs["cell_type_by_expert"].tolist() == ["B cell", "T cell", "T cell"]
    assert obs["cell_type_by_model"].tolist() == ["B cell", "T cell", "T cell"]
    assert adata.uns == {
        "temperature": 21.6,
        "study": "Candidate marker study 1",
        "date_of_study": "2024-12-01",
        "study_note": "We had a great time performing this study and the results look compelling.",
    }


def test_datasets_small_dataset2_anndata():
    adata = datasets.small_dataset2(format="anndata")
    assert adata.shape == (3, 3)
    assert adata.obs_names.tolist() == ["sample4", "sample5", "sample6"]
    assert adata.var_names.tolist() == ["CD8A", "CD4", "CD38"]
    np.testing.assert_array_equal(np.asarray(adata.X), [[2, 3, 4], [3, 4, 2], [3, 5, 3]])
    assert adata.obs.columns.tolist() == ["cell_medium", "cell_type_by_model"]
    assert adata.obs["cell_medium"].tolist() == ["DMSO", "IFNG", "IFNG"]
    assert adata.obs["cell_type_by_model"].tolist() == ["B cell", "T cell", "T cell"]
    assert adata.uns == {"temperature": 22.6, "study": "Candidate marker study 2", "date_of_study": "2025-02-13"}


def test_datasets_small_dataset_as_df_gives_table_and_metadata():
    df, metadata = datasets.small_dataset1(format="df")
    assert df.shape == (3, 7)
    assert df.columns.tolist()[:3] == ["CD8A", "CD4", "CD14"]
    assert df["CD14"].tolist() == [5, 6, 7]
    assert metadata["study"] == "Candidate marker study 1"
    assert df.attrs == metadata
    df2, metadata2 = datasets.small_dataset2(format="df")
    assert df2.columns.tolist() == ["CD8A", "CD4", "CD38", "cell_medium", "cell_type_by_model"]
    assert metadata2["temperature"] == 22.6


def test_datasets_small_dataset_returns_fresh_objects():
    a, b = datasets.small_dataset1(format="anndata"), datasets.small_dataset1(format="anndata")
    a.uns["temperature"] = 0.0
    assert b.uns["temperature"] == 21.6


def test_datasets_small_dataset_rejects_unknown_format(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="format is 'anndata' or 'df', got 'csv'"):
        datasets.small_dataset1(format="csv")


def test_datasets_files_ship_inside_the_package():
    from importlib.resources import files

    data = files("lamindb_core.core") / "data"
    assert (data / "iris.csv").is_file()
    assert (data / "paradisi05_laminopathic_nuclei.jpg").is_file()
