"""``Feature``: the dimensions that artifacts are annotated with."""

from __future__ import annotations

from django.db import models

from .. import errors
from ..dtypes import normalize_dtype
from ..uids import base62_12
from .record import ID_HELP, Record, TracksRun, TracksUpdates


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
