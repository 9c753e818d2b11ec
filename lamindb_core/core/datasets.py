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

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import errors

if TYPE_CHECKING:  # pandas and anndata are imported when a dataset is made
    import anndata as ad
    import pandas as pd

__all__ = ["file_jpg_paradisi05", "file_fastq", "df_iris", "small_dataset1", "small_dataset2"]

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
        df.attrs.update(metadata)
        return df, dict(metadata)
    try:
        import anndata as ad
    except ImportError:
        raise ImportError(
            "small datasets as AnnData need anndata: pip install 'lamindb-jupyter[anndata]'"
        ) from None
    return ad.AnnData(df[list(measurements)], obs=df[list(obs)], uns=dict(metadata))


def small_dataset1(format: Literal["anndata", "df"] = "anndata") -> ad.AnnData | tuple[pd.DataFrame, dict[str, Any]]:
    """The guide's first small dataset: 3 samples, the genes CD8A, CD4 and CD14.

    ``obs`` has ``cell_medium`` (DMSO, IFNG, DMSO), ``sample_note``,
    ``cell_type_by_expert`` and ``cell_type_by_model`` (B cell, T cell, T cell);
    ``uns`` has ``temperature`` 21.6, ``study`` "Candidate marker study 1",
    ``date_of_study`` "2024-12-01" and a ``study_note``.

    Args:
        format: ``"anndata"`` for an AnnData; ``"df"`` for a tuple of one
            DataFrame (measurements and metadata columns, index ``sample1`` to
            ``sample3``) and the dataset-level metadata, as in LaminDB 1.0.

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
            "cell_medium": pd.Categorical(["DMSO", "IFNG", "DMSO"]),
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
