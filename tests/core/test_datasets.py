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
    assert df["cell_medium"].dtype == object and df["cell_medium"].unique().tolist() == ["DMSO", "IFNG"]  # as LaminDB's
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


# -- the rest of LaminDB 1.0's datasets that its tests and guides call -----------------------------


def test_datasets_small_files_are_as_lamindbs(cwd):
    assert datasets.file_mini_csv() == cwd / "mini.csv"
    assert pd.read_csv(cwd / "mini.csv")["test"].tolist() == [1, 2, 3]
    assert datasets.file_bam().read_text() == "Mock bam artifact."
    assert datasets.small_dataset1(format="df", with_typo=True)[0]["cell_medium"].tolist() == ["DMSO", "IFNJ", "DMSO"]


@pytest.mark.parametrize("make, name, n_par, n_events", [
    (datasets.file_fcs, "example.fcs", 8, 1000),
    (datasets.file_fcs_alpert19, "Alpert19.fcs", 22, 2000),
])
def test_datasets_fcs_files_are_valid_fcs_3_1(cwd, make, name, n_par, n_events):
    path = make()
    assert path == cwd / name
    data = path.read_bytes()
    assert data[:6] == b"FCS3.1"
    text_start, text_end, data_start, data_end = (int(data[10 + 8 * i: 18 + 8 * i]) for i in range(4))
    text = data[text_start: text_end + 1].decode()
    fields = text[1:].split("/")
    keywords = dict(zip(fields[0::2], fields[1::2]))
    assert int(keywords["$PAR"]) == n_par and int(keywords["$TOT"]) == n_events
    assert int(keywords["$BEGINDATA"]) == data_start and int(keywords["$ENDDATA"]) == data_end
    values = np.frombuffer(data[data_start: data_end + 1], dtype="<f4").reshape(n_events, n_par)
    assert keywords["$P1N"] == "Time" and np.all(np.diff(values[:, 0]) >= 0)
    assert make().read_bytes() == data  # the same every time


def test_datasets_dir_scrnaseq_cellranger_is_a_cellranger_folder(cwd):
    sample = datasets.dir_scrnaseq_cellranger("sample_001")
    assert sample.resolve() == cwd / "sample_001"  # relative to basedir, as in LaminDB
    names = sorted(p.relative_to(sample).as_posix() for p in sample.rglob("*") if p.is_file())
    assert len(names) == 15 and "filtered_feature_bc_matrix/matrix.mtx.gz" in names
    contents = [(sample / n).read_text() for n in names]
    assert len(set(contents)) == len(contents)  # distinct files, distinct hashes
    datasets.dir_scrnaseq_cellranger("sample_001", output_only=False)
    assert (cwd / "fastq" / "sample_001_R1_001.fastq.gz").exists()
    assert [(sample / n).read_text() for n in names] == contents


def test_datasets_iris_in_meter():
    df = datasets.df_iris_in_meter()
    assert df.columns.tolist() == ["sepal_length", "sepal_width", "petal_length", "petal_width", "iris_organism_name"]
    assert df["sepal_length"].iloc[0] == pytest.approx(0.051)
    assert len(datasets.df_iris_in_meter_study1()) == len(datasets.df_iris_in_meter_study2()) == 75
    assert set(datasets.df_iris_in_meter_study2()["iris_organism_name"]) == {"versicolor", "virginica"}


def test_datasets_anndata_with_obs_has_human_ensembl_genes():
    adata = datasets.anndata_with_obs()
    assert adata.shape == (40, 100)
    assert adata.obs.columns.tolist() == ["cell_type", "cell_type_id", "tissue", "disease"]
    assert all(g.startswith("ENSG") and len(g) == 15 for g in adata.var_names)
    assert adata.var_names[0] == "ENSG00000000003" and adata.obs_names[0] == "obs0"


def test_datasets_pbmc68k_is_deterministic_and_shaped_as_lamindbs(cwd):
    adata = datasets.anndata_pbmc68k_reduced()
    assert adata.shape == (70, 765)
    assert adata.obs.columns.tolist() == ["cell_type", "n_genes", "percent_mito", "louvain"]
    assert "CD14+ Monocytes" in adata.obs["cell_type"].cat.categories
    assert set(adata.obsm) == {"X_pca", "X_umap"} and adata.var_names.is_unique
    np.testing.assert_array_equal(adata.X, datasets.anndata_pbmc68k_reduced().X)
    path = datasets.anndata_file_pbmc68k_test()
    assert path == cwd / "pbmc68k_test.h5ad"
    import anndata as ad

    test = ad.read_h5ad(path)
    assert test.shape == (30, 200) and test.raw.shape == (30, 100)
    assert test.obsp["test"].shape == (30, 30) and test.varp["test"].shape == (200, 200)
    assert test.layers["test"][0].sum() == 200 and test.layers["test"][1:].sum() == 0
