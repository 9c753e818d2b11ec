"""``ln.Artifact.features.filter(temperature=21.6, cell_medium="DMSO")``: artifacts by their
feature values and labels, as LaminDB 1.0 queries them.

Each keyword is a feature name, optionally with a comparator (``temperature__gt=21``,
``experiment__contains="ment 1"``); all keywords must hold. A value of a categorical
feature is a record or the name of one (the comparator applies to the name). The values
of a non-categorical feature are compared in Python: a feature has few distinct values
(each is stored once), and JSON comparisons differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

import operator
from typing import Any

from django.db import models

from .. import errors
from ..dtypes import parse_dtype
from .feature import Feature
from .feature_value import FeatureValue
from .links import label_links, value_links

__all__ = ["filter_by_features", "COMPARATORS"]


def _contains(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and b in a


def _icontains(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and b.lower() in a.lower()


def _ordered(op):
    def compare(a: Any, b: Any) -> bool:
        try:
            return not isinstance(a, bool) and op(a, b)
        except TypeError:  # a string against a number: no match
            return False

    return compare


COMPARATORS = {
    "": operator.eq,
    "exact": operator.eq,
    "iexact": lambda a, b: isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower(),
    "lt": _ordered(operator.lt),
    "lte": _ordered(operator.le),
    "gt": _ordered(operator.gt),
    "gte": _ordered(operator.ge),
    "contains": _contains,
    "icontains": _icontains,
    "startswith": lambda a, b: isinstance(a, str) and isinstance(b, str) and a.startswith(b),
    "istartswith": lambda a, b: isinstance(a, str) and isinstance(b, str) and a.lower().startswith(b.lower()),
    "endswith": lambda a, b: isinstance(a, str) and isinstance(b, str) and a.endswith(b),
    "in": lambda a, b: a in b,
}
"""The comparators a keyword may carry, for values; label names take Django's lookups."""


def _split(key: str) -> tuple[str, str]:
    name, _, comparator = key.partition("__")
    if comparator and comparator not in COMPARATORS:
        raise errors.InvalidArgument(
            f"features.filter(): unknown comparator '__{comparator}' in {key!r}; "
            f"use one of: {', '.join('__' + c for c in COMPARATORS if c)}"
        )
    return name, comparator


def _value_ids(feature: Feature, comparator: str, value: Any) -> list[int]:
    compare = COMPARATORS[comparator]
    if isinstance(value, (list, tuple, set)) and comparator != "in":
        raise errors.InvalidArgument(f"features.filter(): {feature.name}={value!r}: pass one value, or use __in")
    return [pk for pk, stored in FeatureValue.objects.filter(feature=feature).values_list("id", "value")
            if compare(stored, value)]


def _label_condition(model: type, feature: Feature, comparator: str, value: Any) -> models.Q:
    targets = parse_dtype(feature.dtype)
    links = label_links(model)
    if isinstance(value, models.Model):
        if type(value) not in links:
            raise errors.InvalidArgument(f"features.filter(): {value!r} is not a label of {model.__name__}")
        _, through, artifact_fk, label_fk = links[type(value)]
        ids = through.objects.filter(feature=feature, **{label_fk: value}).values(f"{artifact_fk}_id")
        return models.Q(pk__in=ids)
    if not isinstance(value, str) and comparator != "in":
        raise errors.InvalidArgument(
            f"features.filter(): {feature.name} ({feature.dtype}) takes a record or a name, got {value!r}"
        )
    condition = models.Q(pk__in=[])
    found = False
    for target in targets:
        if target.model not in links:
            continue
        field = target.match_field()
        labels = target.model.objects.filter(**{f"{field}__{comparator or 'exact'}": value})
        if not labels.exists():
            continue
        found = True
        _, through, artifact_fk, label_fk = links[target.model]
        ids = through.objects.filter(feature=feature, **{f"{label_fk}__in": labels}).values(f"{artifact_fk}_id")
        condition |= models.Q(pk__in=ids)
    if not found:
        registry = targets[0].model
        lookup = f"{targets[0].match_field()}{'__' + comparator if comparator else ''}"
        raise registry.DoesNotExist(f"Did not find a {registry.__name__} matching `{lookup}={value}`")
    return condition


def filter_by_features(model: type, expressions: dict[str, Any]) -> models.QuerySet:
    """The records of ``model`` (artifacts) that have every feature value of ``expressions``.

    Raises:
        ln.errors.ValidationError: a key is not a feature; the message lists them.
        ln.errors.DoesNotExist: no label has the name given for a categorical feature.
        ln.errors.InvalidArgument: an unknown comparator.

    Example:
        >>> filter_by_features(ln.Artifact, {"temperature__gt": 21, "project": "project_1"})
    """
    parsed = [(*_split(key), value) for key, value in expressions.items()]
    names = list(dict.fromkeys(name for name, _, _ in parsed))
    features = {f.name: f for f in Feature.objects.filter(name__in=names)}
    unknown = [n for n in names if n not in features]
    if unknown:
        raise errors.ValidationError(
            f"Some keys in the filter expression are not registered as features: {unknown}"
        )
    qs = model.filter()
    through = value_links(model)
    for name, comparator, value in parsed:
        feature = features[name]
        if feature.dtype.startswith("cat"):
            qs = qs.filter(_label_condition(model, feature, comparator, value))
        else:
            ids = through.objects.filter(featurevalue_id__in=_value_ids(feature, comparator, value)).values("artifact_id")
            qs = qs.filter(pk__in=ids)
    return qs
