"""``Feature``: the dimensions that artifacts are annotated with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from .. import errors
from ..dtypes import SIMPLE_DTYPES, check_dtype, normalize_dtype
from ..uids import base62_12
from ..validation import RecordList
from .record import ID_HELP, Record, TracksRun, TracksUpdates

__all__ = ["Feature", "dtype_from_python", "dtype_from_pandas"]

# Python types that LaminDB 1.0 takes for a dtype: Feature(name="n_cells", dtype=int)
_PYTHON_DTYPES = {bool: "bool", int: "int", float: "float", str: "str", dict: "dict", dt.datetime: "datetime", dt.date: "date"}


def dtype_from_python(dtype: Any) -> Any:
    """A dtype string for a Python type (``int`` → ``"int"``), a registry (``ln.ULabel``
    → ``"cat[ULabel]"``) or a list of registries (``"cat[ULabel|bio.CellType]"``);
    anything else is returned as it is, for ``normalize_dtype`` to judge.

    Example:
        >>> dtype_from_python(int), dtype_from_python(ln.ULabel)
        ('int', 'cat[ULabel]')
    """
    if isinstance(dtype, type) and dtype in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[dtype]
    registries = dtype if isinstance(dtype, (list, tuple)) else [dtype]
    if registries and all(isinstance(r, type) and issubclass(r, models.Model) for r in registries):
        names = []
        for r in registries:
            label = r._meta.app_label
            names.append(r.__name__ if label == "core" else f"{label}.{r.__name__}")
        return f"cat[{'|'.join(names)}]"
    return dtype


def dtype_from_pandas(pandas_dtype: Any) -> str:
    """The feature dtype of a pandas column dtype: ``int64`` → ``int``, ``float32`` →
    ``float``, ``bool`` → ``bool``, ``datetime64[ns]`` → ``datetime``, a categorical →
    ``cat``, strings and objects → ``str``.

    Example:
        >>> dtype_from_pandas(pd.Series([1, 2]).dtype)
        'int'
    """
    import pandas as pd
    from pandas.api import types

    if isinstance(pandas_dtype, pd.CategoricalDtype):
        return "cat"
    if types.is_bool_dtype(pandas_dtype):
        return "bool"
    if types.is_integer_dtype(pandas_dtype):
        return "int"
    if types.is_float_dtype(pandas_dtype):
        return "float"
    if types.is_datetime64_any_dtype(pandas_dtype):
        return "datetime"
    return "str"


class Feature(Record, TracksRun, TracksUpdates):
    """A feature: a named dimension with a dtype, such as ``temperature: float``
    or ``cell_medium: cat[ULabel]``.

    Names are unique. Constructing a feature whose name exists returns the
    existing one when the dtype agrees, and raises an error when it does not.

    Example:
        >>> ln.Feature(name="temperature", dtype="float").save()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    name = models.CharField(
        max_length=150, unique=True, db_index=True,
        help_text="Unique name, e.g. 'temperature'; a DataFrame column of that name is this feature.",
    )
    dtype = models.CharField(
        max_length=255, db_index=True,
        help_text="Type of its values: str, int, float, num, bool, date, datetime, dict, or cat[ULabel] "
        "(cat[bio.CellType], ...) for records.",
    )
    type = models.CharField(
        max_length=100, null=True, blank=True, default=None, db_index=True,
        help_text="A type of your choice to group features, e.g. 'clinical'.",
    )
    unit = models.CharField(
        max_length=30, null=True, blank=True, default=None, db_index=True,
        help_text="Unit of its values, e.g. 'degree Celsius'.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    synonyms = models.TextField(
        null=True, blank=True, default=None,
        help_text="Other names, separated by '|', e.g. 'temp|T'.",
    )
    _expect_many = models.BooleanField(
        default=True,
        help_text="Whether an artifact has many values of it (one per observation, as a column), not one; True by "
        "default.",
    )

    # LaminDB 1.0's name of the reverse relation to the schemas (feature sets)
    _field_aliases = {"schemas": "feature_sets"}

    def __init__(self, *args, **kwargs):
        """Create a feature: ``ln.Feature(name="temperature", dtype="float")``.

        ``dtype`` is a dtype string, kept as written (``"cat"``,
        ``"cat[bionty.CellType]"``), a Python type (``int``), or a registry or list of
        registries (``ln.ULabel``, ``[ln.ULabel, bt.CellType]``).

        Raises:
            ValueError: positional arguments, or no dtype (LaminDB 1.0's messages).
            ln.errors.ValidationError: a dtype that is neither a string, a type nor
                registries; an invalid dtype string (the message lists the valid forms).
        """
        if len(args) == len(self._meta.concrete_fields):  # a row from the database
            super().__init__(*args, **kwargs)
            return
        if args:
            raise ValueError("Only keyword args allowed")
        if kwargs.get("dtype") is None:
            raise ValueError(f"Please pass dtype, one of {', '.join(SIMPLE_DTYPES)}, cat, cat[<Registry>]")
        dtype = dtype_from_python(kwargs["dtype"])
        if not isinstance(dtype, str):
            raise errors.ValidationError(
                f"dtype has to be a dtype string, a type, or of type Record or list[Record]; got {dtype!r}"
            )
        # a bad dtype is rejected at once, with the list of valid forms; a good one is kept as
        # written, as LaminDB keeps it ("cat", "cat[bionty.CellType]")
        kwargs["dtype"] = check_dtype(dtype)
        super().__init__(**kwargs)

    def save(self, *args, **kwargs) -> Feature:
        """Save the feature.

        Renaming a feature that is in the schema of an artifact is refused: the
        artifact's data names the column by the old name.

        Raises:
            ln.errors.RecordNameChangeIntegrityError: the feature is renamed while an
                artifact's schema holds it; ``artifact.features.make_external(feature)``
                first.
        """
        if self.pk is not None and not self._state.adding and self._state.db in (None, "default"):
            old = type(self)._base_manager.filter(pk=self.pk).values_list("name", flat=True).first()
            if old is not None and old != self.name:
                uids = list(
                    self.feature_sets.filter(artifacts__isnull=False).values_list("artifacts__uid", flat=True).distinct()
                )
                if uids:
                    raise errors.rename_refused("feature", old, self.name, uids, "artifact.features.make_external(feature)")
        return super().save(*args, **kwargs)

    def _check_reuse(self, existing: Feature) -> None:
        if normalize_dtype(self.dtype) != normalize_dtype(existing.dtype):
            raise errors.ValidationError(
                f"Feature '{self.name}' exists with dtype '{existing.dtype}', not '{self.dtype}': "
                "use another name, or the existing dtype"
            )

    @property
    def schemas(self):
        """The schemas (feature sets) that hold this feature: ``feature_sets``, by LaminDB 1.0's name."""
        return self.feature_sets

    @classmethod
    def from_df(cls, df: Any, field: Any = None) -> RecordList:
        """One feature per column of ``df``, its dtype from the column's: unsaved, or
        the existing feature of that name once saved.

        Categorical columns become ``cat`` (``cat[ULabel]``) features.

        Raises:
            ValueError: ``field`` is not ``Feature.name``.

        Example:
            >>> ln.Feature.from_df(df).save()
        """
        if field is not None and getattr(getattr(field, "field", None), "model", None) is not cls:
            raise ValueError("field must be a Feature FieldAttr!")
        return RecordList(cls(name=str(name), dtype=dtype_from_pandas(column.dtype)) for name, column in df.items())
