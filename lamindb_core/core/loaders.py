"""``ln.core.loaders``: what ``artifact.load()`` reads each suffix with (:mod:`lamindb_core.loaders`)."""

from ..loaders import (  # noqa: F401
    FILE_LOADERS,
    SUPPORTED_SUFFIXES,
    load_csv,
    load_fcs,
    load_h5ad,
    load_html,
    load_image,
    load_json,
    load_parquet,
    load_svg,
    load_to_memory,
    load_tsv,
    load_yaml,
    load_zarr,
)

__all__ = [
    "FILE_LOADERS", "SUPPORTED_SUFFIXES", "load_csv", "load_fcs", "load_h5ad", "load_html", "load_image",
    "load_json", "load_parquet", "load_svg", "load_to_memory", "load_tsv", "load_yaml", "load_zarr",
]
