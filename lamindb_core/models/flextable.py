"""``RunData`` and ``FlexTable``: tables of values in long form, as LaminDB 1.0 has them.

Each row of such a table is one value of one feature (or param) in one row of the
table: ``RunData(run=run, feature=feature, row=1, value_int=42)``. Exactly one of
``feature`` and ``param`` is set, and exactly one value field. LaminDB 1.0.5 marks
these registries experimental; they are not in the ``ln`` namespace there either
(``ln.models.RunData``).
"""

from __future__ import annotations

from django.core import exceptions as django_exceptions
from django.db import models

from .. import errors
from ..uids import base62_12
from .record import ID_HELP, BasicRecord, Record, TracksRun, TracksUpdates

__all__ = ["RunData", "FlexTable", "FlexTableData"]

_VALUE_FIELDS = (
    "value_int", "value_float", "value_str", "value_datetime", "value_ulabel", "value_person", "value_artifact",
    "value_collection", "value_project", "value_json",
)


class DataMixin(models.Model):
    """The fields of a row of values: the feature or param, the row number, and one value."""

    space = models.ForeignKey(
        "core.Space", models.PROTECT, default=1, db_default=1, related_name="+",
        help_text="The space that holds the value; the instance's (id 1) by default.",
    )
    feature = models.ForeignKey(
        "core.Feature", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="The feature whose value this is; None if it is a param's.",
    )
    param = models.ForeignKey(
        "core.Param", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="The param whose value this is; None if it is a feature's.",
    )
    row = models.IntegerField(help_text="The row of the table that holds the value; -1 for a result.")
    value_int = models.BigIntegerField(null=True, blank=True, default=None, help_text="An integer value.")
    value_float = models.FloatField(null=True, blank=True, default=None, help_text="A float value.")
    value_str = models.TextField(null=True, blank=True, default=None, help_text="A text value.")
    value_datetime = models.DateTimeField(null=True, blank=True, default=None, help_text="A datetime value.")
    value_ulabel = models.ForeignKey(
        "core.ULabel", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="A label as the value.",
    )
    value_person = models.ForeignKey(
        "core.Person", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="A person as the value.",
    )
    value_artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="An artifact as the value.",
    )
    value_collection = models.ForeignKey(
        "core.Collection", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="A collection as the value.",
    )
    value_project = models.ForeignKey(
        "core.Project", models.CASCADE, null=True, blank=True, default=None, related_name="+",
        help_text="A project as the value.",
    )
    value_json = models.JSONField(null=True, blank=True, default=None, help_text="A JSON value, e.g. a list or a dict.")

    class Meta:
        abstract = True

    def _problem(self) -> str | None:
        # the two rules of a row: one feature or param, one value
        if (self.feature_id is None) == (self.param_id is None):
            return "Exactly one of feature or param must be set"
        n_values = sum(getattr(self, f"{name}_id" if name in _FK_VALUES else name) is not None for name in _VALUE_FIELDS)
        if n_values != 1:
            return f"Exactly one value field must be set, got {n_values}"
        return None

    def clean(self) -> None:
        """Django's validation (``full_clean()``).

        Raises:
            django.core.exceptions.ValidationError: not exactly one of ``feature`` and
                ``param``, or not exactly one value field set.
        """
        problem = self._problem()
        if problem:
            raise django_exceptions.ValidationError(problem)

    def save(self, *args, **kwargs):
        """Save the value.

        Raises:
            ln.errors.ValidationError: not exactly one of ``feature`` and ``param``,
                or not exactly one value field set; nothing is written.
        """
        problem = self._problem()
        if problem:
            raise errors.ValidationError(f"cannot save {type(self).__name__}: {problem}")
        return super().save(*args, **kwargs)


_FK_VALUES = {"value_ulabel", "value_person", "value_artifact", "value_collection", "value_project"}


class RunData(DataMixin, BasicRecord):
    """A value that a run produced or used, in long form: one feature (or param) in one row.

    Example:
        >>> RunData(run=run, feature=feature, row=1, value_int=42).save()
        >>> RunData(run=run, feature=accuracy, row=-1, value_float=0.93).save()   # a result
    """

    id = models.BigAutoField(primary_key=True, help_text=ID_HELP)
    run = models.ForeignKey(
        "core.Run", models.CASCADE, related_name="_rundata", help_text="The run that the value belongs to.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(feature__isnull=False, param__isnull=True)
                | models.Q(feature__isnull=True, param__isnull=False),
                name="run_data_feature_param_mutex",
            ),
            models.UniqueConstraint(fields=["run", "row", "feature", "param"], name="run_data_unique"),
        ]
        indexes = [models.Index(fields=["run", "row"], name="core_rundata_run_row")]


class FlexTable(Record, TracksRun, TracksUpdates):
    """A table of values in long form (``FlexTableData``), optionally with a schema.

    Example:
        >>> table = FlexTable(name="Sample sheet", description="Samples of study 1").save()
        >>> FlexTableData(tidytable=table, feature=feature, row=0, value_str="sample1").save()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; up to 12 characters.",
    )
    name = models.CharField(max_length=255, db_index=True, help_text="Name of the table.")
    schema = models.ForeignKey(
        "core.FeatureSet", models.SET_NULL, null=True, blank=True, default=None, related_name="_tidytables",
        help_text="The schema (feature set) of the table's columns, if any.",
    )
    type = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="records",
        help_text="The type of table (a table with is_type=True), e.g. 'SampleSheet'; type.records lists its tables.",
    )
    is_type = models.BooleanField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Whether this is a type that groups tables rather than a table.",
    )
    description = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True, help_text="A description.",
    )
    projects = models.ManyToManyField(
        "core.Project", related_name="_tidytables", blank=True, help_text="The projects of the table.",
    )
    ulabels = models.ManyToManyField(
        "core.ULabel", related_name="_tidytables", blank=True, help_text="The labels of the table.",
    )


class FlexTableData(DataMixin, BasicRecord):
    """A value of a ``FlexTable``: one feature (or param) in one row."""

    id = models.BigAutoField(primary_key=True, help_text=ID_HELP)
    tidytable = models.ForeignKey(
        FlexTable, models.CASCADE, related_name="data", help_text="The table that the value belongs to.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(feature__isnull=False, param__isnull=True)
                | models.Q(feature__isnull=True, param__isnull=False),
                name="tidy_table_data_feature_param_mutex",
            ),
            models.UniqueConstraint(fields=["tidytable", "row", "feature", "param"], name="tidy_table_data_unique"),
        ]
        indexes = [models.Index(fields=["tidytable", "row"], name="core_flextabledata_table_row")]
