"""QuerySets as pandas DataFrames.

``queryset_to_df`` builds the table of ``QuerySet.df()`` and ``Registry.df()``
in a fixed number of queries: one for the direct fields and the to-one
relations, one per to-many relation in ``include``. It never queries per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from . import errors
from .valueset import ValueSet

if TYPE_CHECKING:  # pandas is imported when a table is built, not at import time
    import pandas as pd

__all__ = ["display_field_names", "queryset_to_df", "first_rows", "resolve_path", "annotate_dtypes", "field_dtype", "LIMITED"]

# fields that LaminDB lists after a registry's own fields, in this order
TAIL_FIELDS = (
    "version",
    "is_latest",
    "run_id",
    "created_at",
    "created_by_id",
    "updated_at",
    "aux",
    "_branch_code",
)
TEXT_FIELDS = (models.CharField, models.TextField)
# df.attrs key: ``(rows, total)`` when a DataFrame holds the first ``rows`` of ``total``
# matching records, so that a notebook can say "the first 100 of 2,340"
LIMITED = "limited"


def display_field_names(model: type[models.Model]) -> list[str]:
    """The columns of ``df()`` in LaminDB's order: ``uid`` first, ``id``, the
    registry's own fields, foreign keys as ``<name>_id``, then the tracking
    fields (``version``, ``is_latest``, ``run_id``, ``created_at``,
    ``created_by_id``, ``aux``, ``_branch_code``). ``updated_at`` is left out.
    """
    cached = model.__dict__.get("_display_field_names")
    if cached is not None:
        return list(cached)
    concrete = model._meta.concrete_fields
    names = [f.name for f in concrete if not f.is_relation]
    names += [f.attname for f in concrete if f.is_relation]
    for name in TAIL_FIELDS:
        if name in names:
            names.remove(name)
            names.append(name)
    if "uid" in names:
        names.remove("uid")
        names.insert(0, "uid")
    if "updated_at" in names:
        names.remove("updated_at")
    model._display_field_names = tuple(names)
    return names


def _field_choices(model: type[models.Model]) -> list[str]:
    names = []
    for f in model._meta.get_fields():
        if f.name.endswith("+") or (f.is_relation and f.auto_created and f.related_name == "+"):
            continue
        names.append(f.name)
    return sorted(set(names))


def resolve_path(model: type[models.Model], path: str) -> tuple[models.Field | None, bool]:
    """Follow ``"created_by__name"`` from ``model``.

    Returns:
        The last field (None where the path ends at a relation's primary key)
        and whether the path crosses a to-many relation.

    Raises:
        ln.errors.FieldValidationError: a part of the path does not exist; the
            message names the closest field.
    """
    current = model
    many = False
    parts = path.split("__")
    last: models.Field | None = None
    for i, part in enumerate(parts):
        is_last = i == len(parts) - 1
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            attnames = {f.attname: f for f in current._meta.concrete_fields}
            if is_last and part in attnames:
                return attnames[part], many
            choices = _field_choices(current)
            raise errors.FieldValidationError(errors.unknown_field(current.__name__, part, choices, path=path)) from None
        if field.is_relation:
            if field.many_to_many or field.one_to_many:
                many = True
            current = field.related_model
            last = current._meta.pk if is_last else None
        else:
            if not is_last:
                raise errors.FieldValidationError(
                    f"'{path}': {current.__name__}.{part} is not a relation, so nothing follows '__'"
                )
            last = field
    return last, many


def _column(values: list, field: models.Field | None) -> pd.Series:
    import pandas as pd

    if field is not None and isinstance(field, TEXT_FIELDS):
        # object dtype keeps None as None, as LaminDB shows it
        return pd.Series(values, dtype=object)
    return pd.Series(values)


def queryset_to_df(qs, include: str | list[str] | None = None, short: bool = False) -> pd.DataFrame:
    """The records of ``qs`` as a DataFrame; see ``QuerySet.df``.

    Args:
        qs: The query.
        include: Related fields to add as columns (``"created_by__name"``).
        short: Only the first four columns of the registry's own, as with
            ``include``; ``ArtifactQuerySet.df(features=...)`` adds its feature
            columns to these.

    The DataFrame's ``attrs`` hold the registry (``"registry"``: ``"core.ULabel"``)
    and each column's dtype (``"field_dtypes"``), which ``annotate_dtypes`` shows.
    """
    import pandas as pd

    model = qs.model
    if isinstance(include, str):
        include = [include]
    if include is not None and (
        not isinstance(include, (list, tuple)) or not all(isinstance(p, str) and p for p in include)
    ):
        raise errors.InvalidArgument(
            "df(include=...) takes a field path such as 'created_by__name' or a list of them, "
            f"got {include!r} ({type(include).__name__})"
        )
    include = list(include or [])
    names = display_field_names(model)
    field_by_name = {}
    for f in model._meta.concrete_fields:
        field_by_name[f.name] = f
        field_by_name[f.attname] = f
    if include or short:
        names = names[:4]
    # one query for direct fields and to-one paths, one per to-many path
    to_one: list[str] = []
    to_many: list[str] = []
    for path in include:
        field, many = resolve_path(model, path)
        field_by_name[path] = field
        if path in names:
            continue
        (to_many if many else to_one).append(path)
    columns = [n for n in names if n != "id"]
    select = ["id", *columns, *to_one]
    if not qs.ordered and not qs.query.is_sliced:
        qs = qs.order_by("id")
    rows = list(qs.values_list(*select))
    if not rows:
        ordered = [n for n in names] + [p for p in include if p not in names]
        empty = pd.DataFrame(columns=ordered)
        _describe_columns(empty, model, field_by_name)
        return empty
    data = {}
    transposed = list(zip(*rows))
    ids = list(transposed[0])
    for name, values in zip(select[1:], transposed[1:]):
        data[name] = _column(list(values), field_by_name.get(name))
    for path in to_many:
        sets: dict[int, ValueSet] = {}
        # the queryset's database: another instance's for Registry.using(...)
        linked = model._base_manager.db_manager(qs.db).filter(pk__in=qs.values("pk")).values_list("pk", path)
        for pk, value in linked:
            found = sets.get(pk)
            if found is None:
                sets[pk] = ValueSet((value,))
            else:
                found.add(value)
        # a ValueSet prints sorted ({'B cell', 'T cell'}), the same in every run
        data[path] = pd.Series([sets.get(pk) or ValueSet((None,)) for pk in ids], dtype=object)
    order = [n for n in names if n != "id"] + [p for p in include if p not in names]
    df = pd.DataFrame({name: data[name] for name in order})
    df.index = pd.Index(ids, name="id")
    _describe_columns(df, model, field_by_name)
    return df


def _describe_columns(df: pd.DataFrame, model: type[models.Model], field_by_name: dict) -> None:
    # Recorded while the registry is at hand: a DataFrame can carry only plain
    # data in attrs (pandas writes them into parquet files as JSON).
    df.attrs["registry"] = model._meta.label
    df.attrs["field_dtypes"] = {
        str(column): field_dtype(field_by_name[column]) for column in df.columns if column in field_by_name
    }


def first_rows(qs, limit: int | None, include: str | list[str] | None = None, features: bool | list[str] = False) -> pd.DataFrame:
    """``qs.df(include, features)`` of at most ``limit`` records, and how many match.

    It fetches ``limit + 1`` records to learn whether there are more, and only then
    counts them (one ``COUNT`` query): the DataFrame gets ``attrs["limited"] =
    (limit, total)``, which the notebook shows as "the first 100 of 2,340".

    Example:
        >>> first_rows(ln.ULabel.filter(), 100).attrs.get("limited")
        (100, 2340)
    """
    if limit is None:
        return qs.df(include=include, features=features)
    if not qs.ordered and not qs.query.is_sliced:
        qs = qs.order_by("id")  # the order of QuerySet.df(); a slice needs it first
    df = qs[: limit + 1].df(include=include, features=features)
    if len(df) > limit:
        df = df.iloc[:limit]
        df.attrs[LIMITED] = (limit, qs.count())
    return df


_FIELD_DTYPES = (
    (models.BooleanField, "bool"),
    (models.CharField, "str"),
    (models.TextField, "str"),
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.FloatField, "float"),
    (models.DecimalField, "num"),
    (models.IntegerField, "int"),
    (models.JSONField, "dict"),
)


def field_dtype(field: models.Field | None) -> str:
    """The dtype name of a field, as ``ln.view`` shows it (``str``, ``int``, ...)."""
    if field is None:
        return ""
    if field.is_relation:
        return "int"
    for field_type, name in _FIELD_DTYPES:
        if isinstance(field, field_type):
            return name
    return type(field).__name__


def annotate_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose header has a second row with each column's dtype:
    the feature dtype (``cat[ULabel]``, ``float``) for feature columns, the field's
    dtype (``str``) for the others.

    Example:
        >>> annotate_dtypes(ln.Artifact.df(features=True)).columns[3]
        ('cell_medium', 'cat[ULabel]')
    """
    import pandas as pd

    feature_dtypes = df.attrs.get("feature_dtypes", {})
    field_dtypes = df.attrs.get("field_dtypes", {})
    dtypes = []
    for column in df.columns:
        if column in feature_dtypes:
            dtypes.append(feature_dtypes[column] or "")
        else:
            dtypes.append(field_dtypes.get(str(column), ""))
    annotated = df.copy()
    annotated.columns = pd.MultiIndex.from_arrays([list(df.columns), dtypes])
    return annotated
