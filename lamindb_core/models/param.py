"""``Param`` and ``ParamValue``: parameters of runs and models, as LaminDB 1.0 has them.

A param is to a run (or a model artifact) what a feature is to a dataset:
``ln.Param(name="learning_rate", dtype="float").save()``, then
``run.params.add_values({"learning_rate": 0.01})`` or, for an artifact of kind
``"model"``, ``artifact.params.add_values(...)``. Each value is stored once per param
(``ParamValue``) and linked to every run and artifact that has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from .. import errors
from ..dtypes import SIMPLE_DTYPES, check_value, infer_dtype, is_missing, list_item_dtype, normalize_dtype, plain_value
from ..instance import current_user_id
from .annotations import _hash_value
from .feature import dtype_from_python
from .record import ID_HELP, BasicRecord, Record, TracksRun, TracksUpdates

__all__ = ["Param", "ParamValue", "ArtifactParamValue", "RunParamValue", "SchemaParam", "ParamManager", "ParamsDescriptor"]


class Param(Record, TracksRun, TracksUpdates):
    """A parameter of runs and models, with a dtype: ``learning_rate: float``.

    Names are unique: constructing a param whose name exists returns the existing one
    when the dtype agrees, and raises an error when it does not.

    Example:
        >>> ln.Param(name="learning_rate", dtype="float").save()
        >>> run.params.add_values({"learning_rate": 0.01})
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    name = models.CharField(
        max_length=100, unique=True, db_index=True, help_text="Unique name of the param, e.g. 'learning_rate'.",
    )
    dtype = models.CharField(
        max_length=64, db_index=True,
        help_text="Type of its values: str, int, float, num, bool, date, datetime, dict, or a list of one of them "
        "(list[int], ...).",
    )
    type = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="records",
        help_text="A param that groups this one, e.g. 'ModelTraining'; param.records lists those it groups.",
    )
    is_type = models.BooleanField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Whether the param is a type that groups params rather than a param with values.",
    )
    _expect_many = models.BooleanField(
        default=False, help_text="Whether a run has many values of it (an aggregation); False by default.",
    )
    schemas = models.ManyToManyField(
        "core.FeatureSet", through="SchemaParam", related_name="params", blank=True,
        help_text="The schemas that hold the param.",
    )

    def __init__(self, *args, **kwargs):
        if not args and "dtype" in kwargs and kwargs["dtype"] is not None:
            dtype = dtype_from_python(kwargs["dtype"])
            if isinstance(dtype, str) and list_item_dtype(dtype) is not None:
                dtype = dtype.strip()
            elif isinstance(dtype, str) and dtype.strip() not in SIMPLE_DTYPES:
                normalize_dtype(dtype)  # a dtype of no kind at all: the list of valid forms
            if dtype not in SIMPLE_DTYPES and list_item_dtype(dtype) is None:
                raise errors.ValidationError(
                    f"invalid dtype {kwargs['dtype']!r} for a param; valid: {', '.join(SIMPLE_DTYPES)}, "
                    "or a list of one of them such as list[int]"
                )
            kwargs["dtype"] = dtype
        super().__init__(*args, **kwargs)

    def _check_reuse(self, existing: Param) -> None:
        if self.dtype != existing.dtype:
            raise errors.ValidationError(
                f"Param '{self.name}' exists with dtype '{existing.dtype}', not '{self.dtype}': "
                "use another name, or the existing dtype"
            )


class ParamValue(Record):
    """A value of a param (``0.01`` for ``learning_rate``), stored once and linked to
    every run and artifact that has it.

    Example:
        >>> ln.ParamValue.filter(param__name="learning_rate").df()
    """

    id = models.BigAutoField(primary_key=True, help_text=ID_HELP)
    param = models.ForeignKey(Param, models.CASCADE, related_name="values", help_text="The param whose value this is.")
    value = models.JSONField(help_text="The value, as JSON, e.g. 0.01 or {'name': 'mcquant'}.")
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True,
        help_text="Hash of the value: each value of a param is stored once.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the value was stored.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="+", help_text="Who stored it.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactParamValue", related_name="_param_values", blank=True,
        help_text="The model artifacts that have the value.",
    )
    runs = models.ManyToManyField(
        "core.Run", through="RunParamValue", related_name="_param_values", blank=True,
        help_text="The runs that have the value.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["param", "hash"], name="core_paramvalue_param_hash_unique")]


class ArtifactParamValue(BasicRecord):
    """Links an ``Artifact`` (a model) to a ``ParamValue``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_paramvalue", help_text="The artifact.")
    paramvalue = models.ForeignKey(
        ParamValue, models.PROTECT, related_name="links_artifact", help_text="A param value of the artifact.",
    )

    class Meta:
        unique_together = ("artifact", "paramvalue")


class RunParamValue(BasicRecord):
    """Links a ``Run`` to a ``ParamValue``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    run = models.ForeignKey("core.Run", models.CASCADE, related_name="links_paramvalue", help_text="The run.")
    paramvalue = models.ForeignKey(ParamValue, models.PROTECT, related_name="links_run", help_text="A param value of the run.")

    class Meta:
        unique_together = ("run", "paramvalue")


class SchemaParam(BasicRecord):
    """Links a ``Schema`` to its params."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    schema = models.ForeignKey("core.FeatureSet", models.CASCADE, related_name="+", help_text="The schema.")
    param = models.ForeignKey(Param, models.PROTECT, related_name="links_schema", help_text="A param in the schema.")

    class Meta:
        unique_together = ("schema", "param")


class ParamManager:
    """``run.params`` and ``artifact.params`` (of a model): add and read param values.

    Example:
        >>> run.params.add_values({"learning_rate": 0.01, "preprocess": {"norm": True}})
        >>> run.params.get_values()
        {'learning_rate': 0.01, 'preprocess': {'norm': True}}
    """

    def __init__(self, host: models.Model):
        self.host = host

    def _links(self) -> tuple[type, str]:
        # the host's link table to ParamValue, and its field to the host
        relation = type(self.host)._meta.get_field("_param_values")
        through = relation.through
        host_fk = "artifact" if any(f.name == "artifact" for f in through._meta.concrete_fields) else "run"
        return through, host_fk

    def add_values(self, values: Mapping[str, Any]) -> None:
        """Add param values, all or nothing.

        Raises:
            ln.errors.ValidationError: the artifact is not a model, a key is not a
                param (the message tells how to create it), or a value does not fit
                its param's dtype.
        """
        host = self.host
        if not isinstance(values, Mapping):
            raise errors.InvalidArgument(f"add_values() takes a dict of param names to values, got {type(values).__name__}")
        if hasattr(host, "kind") and getattr(host, "kind", None) != "model":
            raise errors.ValidationError("Can only set params for model-like artifacts.")
        if host.pk is None or host._state.adding:
            raise errors.ValidationError(f"save the {type(host).__name__} first")
        params = {p.name: p for p in Param.objects.filter(name__in=list(values))}
        unknown = [name for name in values if name not in params]
        if unknown:
            hint = "\n".join(f"  ln.Param(name='{n}', dtype='{infer_dtype(values[n])}').save()" for n in unknown)
            raise errors.ValidationError(
                f"These keys could not be validated: {unknown}\nHere is how to create a param:\n\n{hint}"
            )
        wanted, problems = [], []
        for name, value in values.items():
            param = params[name]
            value = plain_value(value)
            if is_missing(value):
                problems.append(f"{name} ({param.dtype}): a missing value is not stored; leave the param out")
                continue
            try:
                stored = check_value(param.dtype, value)
            except ValueError as exc:
                inferred = infer_dtype(value, lists=True)
                problems.append(f"Expected dtype for '{name}' is '{param.dtype}', got '{inferred}'" + (
                    f" ({exc})" if inferred == param.dtype else ""))
                continue
            wanted.append((param, stored, _hash_value(stored)))
        if len(problems) == 1:  # one alone, as LaminDB says it
            raise errors.ValidationError(problems[0])
        if problems:
            raise errors.ValidationError("cannot add param values:\n  - " + "\n  - ".join(problems))
        through, host_fk = self._links()
        with transaction.atomic():
            ids = []
            for param, stored, digest in wanted:
                value_record = ParamValue.objects.filter(param=param, hash=digest).first()
                if value_record is None:
                    value_record = ParamValue(param=param, value=stored, hash=digest).save()
                ids.append(value_record.id)
            existing = set(through.objects.filter(**{host_fk: host, "paramvalue_id__in": ids}).values_list("paramvalue_id", flat=True))
            through.objects.bulk_create(
                [through(**{host_fk: host, "paramvalue_id": pk}) for pk in dict.fromkeys(ids) if pk not in existing]
            )

    def get_values(self) -> dict[str, Any]:
        """``{param name: value}``; a list where a param has several values."""
        through, host_fk = self._links()
        rows = through.objects.filter(**{host_fk: self.host}).order_by("paramvalue__param__name", "paramvalue_id")
        result: dict[str, list] = {}
        for name, value in rows.values_list("paramvalue__param__name", "paramvalue__value"):
            result.setdefault(name, []).append(value)
        return {name: vs[0] if len(vs) == 1 else vs for name, vs in result.items()}

    def __repr__(self) -> str:
        values = self.get_values()
        if not values:
            return "no linked params"
        return "\n".join(f"{name}: {value!r}" for name, value in values.items())


class ParamsDescriptor:
    """``run.params``, ``artifact.params``: the param manager of one record."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return ParamManager(instance)
