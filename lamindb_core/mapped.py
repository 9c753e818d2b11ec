"""``MappedCollection``: a map-style dataset over AnnData files, for training loops.

``Collection.mapped()`` returns one. It opens each ``.h5ad`` file in backed
mode (nothing is loaded until a row is read), and maps a global row index to a
file and a row in it. ``ds[i]`` is a dict: ``"X"`` (the row as a 1-d NumPy
array, its columns the variables that the files share with ``join="inner"``,
or all of them with ``"outer"``), one entry per ``obs_keys`` column (an integer
code with ``encode_labels``, see ``ds.encoders``), ``obsm_keys`` and
``layers_keys`` entries, and ``"_store_idx"`` (which file). PyTorch's
``DataLoader`` takes it as it is; PyTorch is not needed to use it.

Example:
    >>> ds = MappedCollection(["a.h5ad", "b.h5ad"], obs_keys="cell_type")
    >>> len(ds), ds[0]["X"].shape, ds.encoders["cell_type"]
    (60, (200,), {'B cell': 0, 'T cell': 1})
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from . import errors

__all__ = ["MappedCollection"]


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class MappedCollection:
    """Rows of several AnnData files as one indexable dataset.

    Args:
        path_list: The ``.h5ad`` files, in order.
        layers_keys: What ``"X"`` is read from: ``"X"`` (default) or layer names;
            each becomes an entry of the item.
        obs_keys: ``obs`` columns to return with each row.
        obsm_keys: ``obsm`` arrays to return with each row (``"obsm_<key>"``).
        obs_filter: Keep only rows whose ``obs`` column has one of the values,
            e.g. ``{"cell_type": ("B cell", "T cell")}``.
        join: ``"inner"`` (the variables all files share, in the first file's
            order), ``"outer"`` (all variables; missing ones are 0), or None (the
            files must have the same variables).
        encode_labels: Encode ``obs_keys`` (all, or those listed) as integers.
        unknown_label: A label (or one per key, as a dict) left out of the
            encoding: its rows get the code -1.
        dtype: The dtype of ``"X"``, e.g. ``"float32"``.

    Raises:
        ln.errors.InvalidArgument: no file, an unknown join, or files without
            the given keys.
    """

    def __init__(self, path_list: list[str | Path], layers_keys: str | list[str] | None = None,
                 obs_keys: str | list[str] | None = None, obsm_keys: str | list[str] | None = None,
                 obs_filter: dict[str, Any] | None = None, join: Literal["inner", "outer"] | None = "inner",
                 encode_labels: bool | list[str] = True, unknown_label: str | dict[str, str] | None = None,
                 cache_categories: bool = True, parallel: bool = False, dtype: str | None = None):
        import anndata as ad
        import numpy as np

        if join not in ("inner", "outer", None):
            raise errors.InvalidArgument(f"join is 'inner', 'outer' or None, got {join!r}")
        self.path_list = [Path(p) for p in path_list]
        if not self.path_list:
            raise errors.InvalidArgument("a MappedCollection needs at least one .h5ad file")
        self.layers_keys = _as_list(layers_keys) or ["X"]
        self.obs_keys = _as_list(obs_keys)
        self.obsm_keys = _as_list(obsm_keys)
        self.join_vars = join
        self.dtype = dtype
        self.storages = [ad.read_h5ad(p, backed="r") for p in self.path_list]
        for path, adata in zip(self.path_list, self.storages):
            missing = [k for k in self.obs_keys if k not in adata.obs.columns]
            missing += [k for k in self.obsm_keys if k not in adata.obsm]
            missing += [k for k in self.layers_keys if k != "X" and k not in adata.layers]
            if missing:
                self.close()
                raise errors.InvalidArgument(f"{path.name} has no {', '.join(missing)}")
        self.var_joint = self._joint_variables()
        # per file: the rows kept, and where each joint variable is in the file (-1: absent)
        self.indices: list[np.ndarray] = []
        for adata in self.storages:
            keep = np.ones(adata.n_obs, dtype=bool)
            for key, values in (obs_filter or {}).items():
                wanted = values if isinstance(values, (tuple, list, set)) else (values,)
                keep &= adata.obs[key].isin(list(wanted)).to_numpy()
            self.indices.append(np.flatnonzero(keep))
        self.var_indices = [self._positions(adata) for adata in self.storages]
        self.n_obs_list = [len(i) for i in self.indices]
        self.n_obs = sum(self.n_obs_list)
        self.storage_offsets = np.cumsum([0, *self.n_obs_list])
        encode = self.obs_keys if encode_labels is True else ([] if encode_labels is False else list(encode_labels))
        self.encoders: dict[str, dict[Any, int]] = {}
        for key in encode:
            unknown = unknown_label.get(key) if isinstance(unknown_label, dict) else unknown_label
            labels: set = set()
            for adata, rows in zip(self.storages, self.indices):
                labels.update(adata.obs[key].to_numpy()[rows].tolist())
            labels.discard(unknown)
            self.encoders[key] = {label: code for code, label in enumerate(sorted(labels, key=str))}

    def _joint_variables(self) -> list[str] | None:
        names = [list(adata.var_names) for adata in self.storages]
        if self.join_vars is None:
            if any(n != names[0] for n in names[1:]):
                raise errors.InvalidArgument("the files have different variables: pass join='inner' or 'outer'")
            return None
        if self.join_vars == "inner":
            shared = set(names[0]).intersection(*names[1:])
            return [v for v in names[0] if v in shared]
        seen: dict[str, None] = {}
        for n in names:
            seen.update(dict.fromkeys(n))
        return list(seen)

    def _positions(self, adata: Any) -> Any:
        import numpy as np

        if self.var_joint is None:
            return None
        where = {v: i for i, v in enumerate(adata.var_names)}
        return np.array([where.get(v, -1) for v in self.var_joint], dtype=np.int64)

    def __len__(self) -> int:
        return self.n_obs

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and variables."""
        n_vars = len(self.var_joint) if self.var_joint is not None else self.storages[0].n_vars
        return self.n_obs, n_vars

    def _row(self, matrix: Any, row: int, positions: Any) -> Any:
        import numpy as np

        values = matrix[row]
        if hasattr(values, "toarray"):
            values = values.toarray()
        values = np.asarray(values).reshape(-1)
        if positions is not None:
            out = np.zeros(len(positions), dtype=values.dtype)
            present = positions >= 0
            out[present] = values[positions[present]]
            values = out
        return values.astype(self.dtype) if self.dtype is not None else values

    def __getitem__(self, idx: int) -> dict[str, Any]:
        import numpy as np

        if idx < 0:
            idx += self.n_obs
        if not 0 <= idx < self.n_obs:
            raise IndexError(f"index {idx} is out of range for {self.n_obs} rows")
        store = int(np.searchsorted(self.storage_offsets, idx, side="right") - 1)
        row = int(self.indices[store][idx - self.storage_offsets[store]])
        adata = self.storages[store]
        item: dict[str, Any] = {}
        for key in self.layers_keys:
            matrix = adata.X if key == "X" else adata.layers[key]
            item[key] = self._row(matrix, row, self.var_indices[store])
        for key in self.obsm_keys:
            item[f"obsm_{key}"] = np.asarray(adata.obsm[key][row])
        for key in self.obs_keys:
            label = adata.obs[key].iloc[row]
            item[key] = self.encoders[key].get(label, -1) if key in self.encoders else label
        item["_store_idx"] = store
        return item

    def close(self) -> None:
        """Close the files."""
        for adata in self.storages:
            if getattr(adata, "isbacked", False):
                adata.file.close()

    def __enter__(self) -> MappedCollection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
