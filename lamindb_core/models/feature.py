"""``Feature``: the dimensions that artifacts are annotated with."""

from __future__ import annotations

from django.db import models

from .. import errors
from ..dtypes import normalize_dtype
from ..uids import base62_12
from .record import Record, TracksRun, TracksUpdates


class Feature(Record, TracksRun, TracksUpdates):
    """A feature: a named dimension with a dtype, such as ``temperature: float``
    or ``cell_medium: cat[ULabel]``.

    Names are unique. Constructing a feature whose name exists returns the
    existing one when the dtype agrees, and raises an error when it does not.

    Example:
        >>> ln.Feature(name="temperature", dtype="float").save()
    """

    id = models.AutoField(primary_key=True)
    uid = models.CharField(unique=True, db_index=True, max_length=12, default=base62_12, help_text="Universal id.")
    name = models.CharField(max_length=150, unique=True, db_index=True, help_text="Name of the feature.")
    dtype = models.CharField(max_length=255, db_index=True, help_text="str, int, float, bool, date, datetime, cat[ULabel], ...")
    type = models.CharField(max_length=100, null=True, blank=True, default=None, db_index=True, help_text="A type of feature, to group features.")
    unit = models.CharField(max_length=30, null=True, blank=True, default=None, db_index=True, help_text="Unit of measure.")
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    synonyms = models.TextField(null=True, blank=True, default=None, help_text="Bar-separated synonyms.")
    _expect_many = models.BooleanField(default=True, help_text="Whether an artifact has many values of it.")

    def __init__(self, *args, **kwargs):
        # a bad dtype is rejected at once, with the list of valid forms
        if not args and isinstance(kwargs.get("dtype"), str):
            kwargs["dtype"] = normalize_dtype(kwargs["dtype"])
        elif not args and "dtype" in kwargs and kwargs["dtype"] is not None:
            normalize_dtype(kwargs["dtype"])  # raises for a non-string
        super().__init__(*args, **kwargs)

    def _check_reuse(self, existing: Feature) -> None:
        if self.dtype != existing.dtype:
            raise errors.ValidationError(
                f"Feature '{self.name}' exists with dtype '{existing.dtype}', not '{self.dtype}': "
                "use another name, or the existing dtype"
            )
