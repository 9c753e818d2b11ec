"""Curate DataFrames and AnnData: validate categoricals against registries, then save.

``ln.Curator.from_df(df, categoricals={"cell_medium": ln.ULabel.name})`` and
``ln.Curator.from_anndata(adata, var_index=bt.Gene.symbol, categoricals=...)``
check every value of every categorical column against its registry field.
``validate()`` reports what is missing with close matches, ``add_new_from(key)``
registers the missing values, and ``save_artifact(key=...)`` saves the artifact
with its labels (linked for their features) and feature sets. Nothing is saved
until validation passes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from .. import errors, progress
from ..bulk import save as bulk_save
from ..logger import logger
from ..value_sources import value_source
from .annotations import label_links
from .artifact import Artifact
from .feature import Feature, dtype_from_python
from .feature_set import Schema, hash_members

__all__ = ["Curator", "DataFrameCurator", "AnnDataCurator"]

# how many existing values to compare a missing value with, for close matches
CLOSE_MATCH_POOL = 10_000


def _field_of(attr: Any, key: str) -> tuple[type, str]:
    """``ln.ULabel.name`` (a Django field attribute) → ``(ULabel, "name")``."""
    field = getattr(attr, "field", None)
    if field is not None and getattr(field, "model", None) is not None:
        return field.model, field.name
    if isinstance(attr, tuple) and len(attr) == 2:
        return attr
    raise errors.InvalidArgument(
        f"categoricals[{key!r}] must be a registry field such as ln.ULabel.name, got {attr!r}"
    )


def _registry_name(model: type) -> str:
    label = model._meta.app_label
    return model.__name__ if label == "core" else f"{label}.{model.__name__}"


class _Column:
    """One categorical: its values and the registry field they are checked against."""

    def __init__(self, key: str, values: list[str], model: type, field: str):
        self.key = key
        # unique, in the order of the data (messages list them so)
        self.values = list(dict.fromkeys(str(v) for v in values if v is not None and v == v))
        self.model = model
        self.field = field
        self.missing: list[str] = list(self.values)
        self.records: dict[str, models.Model] = {}

    @property
    def target(self) -> str:
        return f"{self.model.__name__}.{self.field}"

    def validate(self) -> bool:
        self.records = {
            getattr(r, self.field): r
            for r in self.model.objects.filter(**{f"{self.field}__in": self.values})
        }
        self.missing = [v for v in self.values if v not in self.records]
        return not self.missing

    def close_matches(self) -> dict[str, str]:
        pool = list(self.model.objects.values_list(self.field, flat=True)[:CLOSE_MATCH_POOL])
        result = {}
        # one comparison with up to CLOSE_MATCH_POOL values per missing value: slow for
        # large data with many unknown values
        for value in progress.track(self.missing, f"close matches for {self.key}", unit="value"):
            match = difflib.get_close_matches(value, pool, n=1, cutoff=0.7)
            if match:
                result[value] = match[0]
        return result


class DataFrameCurator:
    """Validates the categorical columns of a DataFrame; see ``Curator.from_df``."""

    def __init__(self, df: Any, categoricals: Mapping[str, Any] | None = None, organism: str | None = None):
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise errors.InvalidArgument(f"from_df() takes a pandas DataFrame, got {type(df).__name__}")
        self._data = df
        self._organism = organism
        self._columns: dict[str, _Column] = {}
        for key, attr in (categoricals or {}).items():
            if key not in df.columns:
                hint = errors.closest_match_hint(key, [str(c) for c in df.columns])
                raise errors.ValidationError(f"categoricals: no column '{key}' in the DataFrame.{hint}")
            model, field = _field_of(attr, key)
            self._columns[key] = _Column(key, list(df[key].unique()), model, field)
        self._validated = False

    def _frame(self):
        return self._data

    @property
    def non_validated(self) -> dict[str, list[str]]:
        """``{key: values not in the registry}`` after ``validate()``."""
        return {key: col.missing for key, col in self._columns.items() if col.missing}

    def validate(self) -> bool:
        """Check every categorical value; print what is validated and what is not.

        Returns:
            True if every value is in its registry.
        """
        ok = True
        for key, column in self._columns.items():
            # a module's registry (bio) may come with a public source of values
            source = value_source(column.model)
            warning = source.warnings.get(column.field) if source is not None else None
            if warning:
                logger.warning(warning)
            # values that the public source has are validated: they are saved from it
            if not column.validate() and source is not None and source.save_missing is not None:
                source.save_missing(column.missing, field=column.field, organism=self._organism, key=key)
            if column.validate():
                logger.success(f'"{key}" is validated against {column.target}')
                continue
            ok = False
            matches = column.close_matches()
            shown = ", ".join(
                repr(v) + (f" (did you mean {matches[v]!r}?)" if v in matches else "") for v in column.missing[:20]
            )
            more = f" and {len(column.missing) - 20} more" if len(column.missing) > 20 else ""
            logger.warning(
                f"{len(column.missing)} term{'s are' if len(column.missing) > 1 else ' is'} not validated "
                f'in "{key}" against {column.target}: {shown}{more}'
            )
            logger.warning(f'→ fix typos in the data, or register them: curator.add_new_from("{key}")')
        self._validated = ok
        return ok

    def add_new_from(self, key: str) -> None:
        """Register the values of ``key`` (or of every categorical, ``"all"``) that are
        not in their registry yet, then validate that key again."""
        keys = list(self._columns) if key == "all" else [key]
        for name in keys:
            if name not in self._columns:
                hint = errors.closest_match_hint(name, list(self._columns))
                raise errors.ValidationError(f"no categorical '{name}'.{hint} Categoricals: {', '.join(self._columns)}")
            column = self._columns[name]
            column.validate()
            if not column.missing:
                continue
            new = [column.model(**{column.field: value}) for value in column.missing]
            bulk_save(new)
            logger.success(
                f"added {len(new)} record{'s' if len(new) > 1 else ''} to {column.model.__name__} "
                f'for "{name}": {", ".join(repr(v) for v in column.missing[:10])}'
            )
            column.validate()

    def _require_valid(self) -> None:
        if not self._validated and not self.validate():
            problems = "; ".join(f"{k}: {', '.join(map(repr, v[:10]))}" for k, v in self.non_validated.items())
            raise errors.ValidationError(
                f"not validated, nothing saved: {problems}. Register the values with "
                "curator.add_new_from(key) or fix them in the data"
            )

    def _new_artifact(self, key: str | None, description: str | None, revises: Any):
        return Artifact.from_df(self._data, key=key, description=description, revises=revises)

    def _feature_sets(self) -> list[tuple[str, list[models.Model], str, str | None]]:
        """``(slot, members, registry name, dtype)`` for each feature set of the artifact."""
        columns = [str(c) for c in self._frame().columns]
        features = list(Feature.objects.filter(name__in=columns))
        return [("columns", features, "Feature", None)] if features else []

    def save_artifact(self, key: str | None = None, description: str | None = None, revises: Any = None):
        """Validate, then save the artifact, link its labels (for their features)
        and its feature sets, all or nothing.

        Raises:
            ln.errors.ValidationError: values are not validated; the message lists them.
        """
        self._require_valid()
        artifact = self._new_artifact(key, description, revises)
        try:
            with transaction.atomic():
                features = self._save_features()
                artifact.save()
                for slot, members, registry, dtype in self._feature_sets():
                    feature_set = self._feature_set(members, registry, dtype)
                    artifact.feature_sets.through.objects.get_or_create(
                        artifact=artifact, featureset=feature_set, defaults={"slot": slot}
                    )
                links = label_links(type(artifact))
                for name, column in self._columns.items():
                    if column.model not in links:
                        continue
                    feature = features.get(name)
                    _, through, artifact_fk, label_fk = links[column.model]
                    existing = set(
                        through.objects.filter(**{artifact_fk: artifact}).values_list(f"{label_fk}_id", "feature_id")
                    )
                    # named in the data by its name, for a feature of the data's: a rename is checked
                    refs = (
                        {"label_ref_is_name": True, "feature_ref_is_name": True}
                        if any(f.name == "feature_ref_is_name" for f in through._meta.concrete_fields) else {}
                    )
                    rows = [
                        through(**{artifact_fk: artifact, label_fk: record, "feature": feature, **refs})
                        for record in column.records.values()
                        if (record.id, feature.id if feature else None) not in existing
                    ]
                    through.objects.bulk_create(rows)
        except Exception:
            # the transaction is undone: so is the stored file
            if artifact.pk is not None and not Artifact.objects.filter(pk=artifact.pk).exists():
                artifact.path.unlink(missing_ok=True)
            raise
        return artifact

    def _feature_keys(self) -> list[str]:
        # the categoricals that are columns of the data, and so features
        return list(self._columns)

    def _save_features(self) -> dict[str, Feature]:
        """The features of the categoricals, by name; those that do not exist yet are
        created with the dtype of their registry (``cat[ULabel]``, ``cat[bio.CellType]``),
        as LaminDB 1.0's Curator does."""
        keys = self._feature_keys()
        features = {f.name: f for f in Feature.objects.filter(name__in=keys)}
        for name in keys:
            if name not in features:
                dtype = dtype_from_python(self._columns[name].model)
                features[name] = Feature(name=name, dtype=dtype).save()
                logger.success(f"created feature '{name}' with dtype '{dtype}'")
        return features

    @staticmethod
    def _feature_set(members: list[models.Model], registry: str, dtype: str | None):
        digest = hash_members(m.uid for m in members)
        existing = Schema.objects.filter(hash=digest).first()
        if existing is not None:
            return existing
        feature_set = Schema(n=len(members), registry=registry, dtype=dtype, hash=digest).save()
        feature_set.add_members(members)
        return feature_set


class AnnDataCurator(DataFrameCurator):
    """Validates ``var`` names against ``var_index`` and the categorical ``obs``
    columns; see ``Curator.from_anndata``."""

    def __init__(self, adata: Any, var_index: Any, categoricals: Mapping[str, Any] | None = None, organism: str | None = None):
        try:
            import anndata as ad
        except ImportError:
            raise errors.InvalidArgument("from_anndata() needs anndata: pip install 'lamindb-jupyter[anndata]'") from None
        if not isinstance(adata, ad.AnnData):
            raise errors.InvalidArgument(f"from_anndata() takes an AnnData, got {type(adata).__name__}")
        super().__init__(adata.obs, categoricals=categoricals, organism=organism)
        self._adata = adata
        model, field = _field_of(var_index, "var_index")
        self._columns = {"var_index": _Column("var_index", list(adata.var_names), model, field), **self._columns}

    def _frame(self):
        return self._adata.obs

    def _feature_keys(self) -> list[str]:
        return [key for key in self._columns if key != "var_index"]

    def _new_artifact(self, key: str | None, description: str | None, revises: Any):
        return Artifact.from_anndata(self._adata, key=key, description=description, revises=revises)

    def _feature_sets(self):
        sets = []
        var = self._columns["var_index"]
        members = [var.records[v] for v in var.values if v in var.records]
        dtype = str(self._adata.X.dtype) if self._adata.X is not None else None
        dtype = "int" if dtype and "int" in dtype else "float" if dtype and "float" in dtype else dtype
        if members:
            sets.append(("var", members, _registry_name(var.model), dtype))
        obs = list(Feature.objects.filter(name__in=[str(c) for c in self._adata.obs.columns]))
        if obs:
            sets.append(("obs", obs, "Feature", None))
        return sets


class Curator:
    """Entry points: ``Curator.from_df`` and ``Curator.from_anndata``.

    Example:
        >>> curator = ln.Curator.from_df(df, categoricals={"cell_medium": ln.ULabel.name})
        >>> curator.validate()
        >>> curator.add_new_from("cell_medium")
        >>> artifact = curator.save_artifact(key="examples/dataset.parquet")
    """

    @classmethod
    def from_df(cls, df: Any, categoricals: Mapping[str, Any] | None = None, organism: str | None = None) -> DataFrameCurator:
        """A curator for a DataFrame whose ``categoricals`` map columns to registry fields."""
        return DataFrameCurator(df, categoricals=categoricals, organism=organism)

    @classmethod
    def from_anndata(
        cls, adata: Any, var_index: Any, categoricals: Mapping[str, Any] | None = None, organism: str | None = None
    ) -> AnnDataCurator:
        """A curator for an AnnData: ``var_index`` is the registry field of the var
        names (e.g. ``bt.Gene.symbol``), ``categoricals`` map ``obs`` columns to fields."""
        return AnnDataCurator(adata, var_index=var_index, categoricals=categoricals, organism=organism)
