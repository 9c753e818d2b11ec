"""Reading stored data: ``artifact.load()`` and ``artifact.open()``, by suffix, as in LaminDB 1.0.

Each loader takes a local path and returns the data in memory; a suffix
without a loader gives the path back. ``open_backed`` gives access without
reading everything: an AnnData in backed mode for ``.h5ad``, a
``pyarrow.dataset.Dataset`` for ``.parquet`` (also a folder of parquet files).
Heavy libraries are imported when a file needs them.

Nothing here touches the database or imports a registry.

Example:
    >>> from lamindb_core import loaders
    >>> loaders.load_to_memory(Path("data.json"))
    {'a': 1}
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import errors
from .logger import logger
from .upath import UPath

__all__ = [
    "FILE_LOADERS",
    "OPEN_SUFFIXES",
    "PYARROW_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "load_csv",
    "load_fcs",
    "load_h5ad",
    "load_html",
    "load_image",
    "load_json",
    "load_parquet",
    "load_svg",
    "load_to_memory",
    "load_tsv",
    "load_yaml",
    "load_zarr",
    "open_backed",
    "zarr_is_anndata",
]

PYARROW_SUFFIXES = (".parquet", ".csv", ".json", ".orc", ".arrow", ".feather", ".ipc")
"""Suffixes that ``open()`` reads as a ``pyarrow.dataset.Dataset``."""

OPEN_SUFFIXES = ("", ".h5", ".hdf5", ".h5ad", ".zarr", ".anndata.zarr") + PYARROW_SUFFIXES
"""Suffixes that ``open()`` accepts (``""``: a folder of parquet or csv files)."""


def _in_ipython() -> bool:
    return bool(getattr(builtins, "__IPYTHON__", False))


def _anndata():
    try:
        import anndata
    except ImportError:
        raise ImportError("loading AnnData needs anndata: pip install anndata") from None
    return anndata


def load_csv(path: Path, **kwargs) -> Any:
    """A ``.csv`` file as a ``pandas.DataFrame``."""
    import pandas as pd

    return pd.read_csv(path, **kwargs)


def load_tsv(path: Path | str, **kwargs) -> Any:
    """A ``.tsv`` file as a ``pandas.DataFrame``.

    Example:
        >>> load_tsv("table.tsv").shape
        (2, 2)
    """
    import pandas as pd

    return pd.read_csv(Path(path), sep="\t", **kwargs)


def load_parquet(path: Path, **kwargs) -> Any:
    """A ``.parquet`` file as a ``pandas.DataFrame``."""
    if kwargs:
        import pandas as pd

        return pd.read_parquet(path, **kwargs)
    # pyarrow's reader: a process that read through pandas' parquet module aborted at exit about
    # one time in ten here (pandas 2.3 with pyarrow 25 and 26; see bio.sources.load_table)
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas()


def load_h5ad(path: Path | str, **kwargs) -> Any:
    """An ``.h5ad`` file as an ``AnnData``, read into memory."""
    return _anndata().read_h5ad(Path(path), backed=None, **kwargs)


def load_zarr(path: Path | str, **kwargs) -> Any:
    """An AnnData stored as a ``.zarr`` folder."""
    return _anndata().read_zarr(Path(path), **kwargs)


def load_fcs(*args, **kwargs) -> Any:
    """An ``.fcs`` file as an ``AnnData`` (needs the package ``readfcs``)."""
    try:
        import readfcs
    except ImportError:
        raise ImportError("loading .fcs files needs readfcs: pip install readfcs") from None
    return readfcs.read(*args, **kwargs)


def load_json(path: Path | str, **kwargs) -> Any:
    """A ``.json`` file as a ``dict`` (or whatever the JSON holds)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f, **kwargs)


def load_yaml(path: Path | str, **kwargs) -> Any:
    """A ``.yaml`` file as a ``dict``; without PyYAML, the path, with a warning."""
    try:
        import yaml
    except ImportError:
        logger.warning("loading .yaml files needs PyYAML (pip install PyYAML): returning the path")
        return path
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_html(path: Path | str, **kwargs) -> Any:
    """In IPython, show the ``<body>`` of an ``.html`` file and return ``None``; elsewhere, the path."""
    if not _in_ipython():
        return path
    from IPython.display import HTML, display

    text = Path(path).read_text(encoding="utf-8")
    body = re.findall(r"<body(?:.*?)>(?:.*?)</body>", text, re.DOTALL)
    display(HTML(data=body[0].strip() if body else text))
    return None


def load_image(path: Path | str, **kwargs) -> Any:
    """In IPython, show a ``.jpg``, ``.png`` or ``.gif`` and return ``None``; elsewhere, the path."""
    if not _in_ipython():
        return path
    from IPython.display import Image, display

    display(Image(filename=str(path)))
    return None


def load_svg(path: Path | str, **kwargs) -> Any:
    """In IPython, show an ``.svg`` and return ``None``; elsewhere, the path."""
    if not _in_ipython():
        return path
    from IPython.display import SVG, display

    display(SVG(filename=str(path)))
    return None


def _load_rds(path: Path | str, **kwargs) -> Any:
    logger.warning("R's .rds files do not load in Python (laminr loads them): returning the path")
    return path


FILE_LOADERS: dict[str, Callable[..., Any]] = {
    ".csv": load_csv,
    ".tsv": load_tsv,
    ".h5ad": load_h5ad,
    ".parquet": load_parquet,
    ".fcs": load_fcs,
    ".zarr": load_zarr,
    ".anndata.zarr": load_zarr,
    ".html": load_html,
    ".json": load_json,
    ".yaml": load_yaml,
    ".yml": load_yaml,
    ".gif": load_image,
    ".jpg": load_image,
    ".png": load_image,
    ".svg": load_svg,
    ".rds": _load_rds,
}
"""The loader of each suffix."""

SUPPORTED_SUFFIXES = [suffix for suffix in FILE_LOADERS if suffix != ".rds"]
"""Suffixes that ``load()`` reads into memory."""


def _suffix(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".anndata.zarr"):
        return ".anndata.zarr"
    return path.suffix.lower()


def load_to_memory(path: Path | str, suffix: str | None = None, **kwargs) -> Any:
    """Read a local file or folder by its suffix (see ``FILE_LOADERS``); a suffix
    without a loader gives the path back, as an ``ln.UPath``.

    Args:
        path: The file or folder.
        suffix: The suffix to read it as; by default, the path's.
        **kwargs: Passed to the loader (e.g. ``pandas.read_csv``'s).

    Example:
        >>> load_to_memory("iris.csv").shape
        (150, 5)
        >>> load_to_memory("notes.rds")
        UPath('notes.rds')
    """
    path = Path(path)
    loader = FILE_LOADERS.get((suffix if suffix is not None else _suffix(path)).lower())
    result = path if loader is None else loader(path, **kwargs)
    # a path comes back as LaminDB's path class, as LaminDB returns it
    return UPath(result) if isinstance(result, Path) and not isinstance(result, UPath) else result


def zarr_is_anndata(path: Path) -> bool:
    """Whether a ``.zarr`` folder holds an AnnData (its root attributes say so)."""
    for name in (".zattrs", "zarr.json"):
        attrs = path / name
        if attrs.is_file():
            try:
                meta = json.loads(attrs.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return False
            meta = meta.get("attributes", meta)
            return meta.get("encoding-type") == "anndata"
    return False


def _is_pyarrow_folder(path: Path) -> bool:
    suffixes = {p.suffix for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")}
    return len(suffixes) == 1 and next(iter(suffixes)) in PYARROW_SUFFIXES


def open_backed(path: Path, suffix: str, mode: str = "r") -> Any:
    """Access stored data without loading all of it.

    ``.h5ad``: an ``AnnData`` in backed mode (call ``.file.close()`` when done);
    ``.zarr``: the AnnData of the folder, its arrays read lazily by zarr;
    ``.h5``/``.hdf5``: an ``h5py.File``; a parquet or csv file, or a folder of
    them (all of one suffix): a ``pyarrow.dataset.Dataset``.

    Raises:
        ValueError: another suffix, or ``mode`` other than ``"r"``.

    Example:
        >>> open_backed(Path("table.parquet"), ".parquet").files
        ['table.parquet']
    """
    if suffix not in OPEN_SUFFIXES:
        raise ValueError(
            "Artifact should have a zarr, h5, tiledbsoma object or a compatible `pyarrow.dataset.dataset` "
            "directory as the underlying data, please use one of the following suffixes for the object name: "
            f"{', '.join(OPEN_SUFFIXES[1:])}. Or no suffix for a folder with {', '.join(PYARROW_SUFFIXES)} files "
            "(no mixing allowed)."
        )
    if mode != "r":
        raise ValueError("Only a tiledbsoma store can be openened with `mode!='r'`.")
    if suffix == ".h5ad":
        return _anndata().read_h5ad(path, backed="r")
    if suffix in (".zarr", ".anndata.zarr"):
        if not zarr_is_anndata(path):
            raise errors.InvalidArgument(f"{path} is a zarr folder that holds no AnnData: open it with zarr.open()")
        return load_zarr(path)
    if suffix in (".h5", ".hdf5"):
        import h5py

        return h5py.File(path, mode="r")
    if suffix == "" and not (path.is_dir() and _is_pyarrow_folder(path)):
        raise ValueError(
            f"{path} is not a folder of files of one of the suffixes {', '.join(PYARROW_SUFFIXES)} (no mixing allowed)"
        )
    import pyarrow.dataset as ds

    fmt = {".csv": "csv", ".json": "json", ".orc": "orc", ".arrow": "ipc", ".feather": "ipc", ".ipc": "ipc"}
    if suffix == "":
        inner = {p.suffix for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")}.pop()
        return ds.dataset(path, format=fmt.get(inner, "parquet"))
    return ds.dataset(path, format=fmt.get(suffix, "parquet"))
