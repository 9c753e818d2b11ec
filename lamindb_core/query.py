"""The QuerySet and Manager of every registry.

``RecordQuerySet`` is Django's ``QuerySet`` with LaminDB's additions: ``df()``,
``one()``, ``one_or_none()``, ``get()`` by uid or uid stub, and errors that name
the registry, the query and the closest valid field. Django's own methods keep
their meaning. Related managers (``artifact.ulabels``) use the same class, so
``artifact.ulabels.filter(...).df()`` works.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.core.exceptions import FieldError, MultipleObjectsReturned, ObjectDoesNotExist
from django.db import models

from . import errors
from .dataframe import queryset_to_df

__all__ = ["RecordQuerySet", "RecordManager"]

_UNKNOWN_KEYWORD = re.compile(r"Cannot resolve keyword '([^']+)' into field\. Choices are: (.*)")


@contextmanager
def _field_errors(model: type):
    """Turn Django's ``FieldError`` into one that names the registry and the closest field."""
    try:
        yield
    except FieldError as exc:
        message = str(exc)
        match = _UNKNOWN_KEYWORD.search(message)
        if match is None:
            raise errors.FieldValidationError(f"{model.__name__}: {message}") from None
        keyword, choices = match.group(1), [c.strip() for c in match.group(2).split(",")]
        hint = errors.closest_match_hint(keyword, choices)
        raise errors.FieldValidationError(
            f"{model.__name__} has no field '{keyword}' here.{hint} Valid fields: {', '.join(choices)}"
        ) from None


def _describe_query(args: tuple, kwargs: dict) -> str:
    parts = [str(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return ", ".join(parts) or "(no conditions)"


class RecordQuerySet(models.QuerySet):
    """A lazy, chainable query over one registry.

    Example:
        >>> qs = ln.ULabel.filter(name__startswith="Candidate")
        >>> qs.df()
        >>> qs.one_or_none()
    """

    def filter(self, *args, **kwargs):
        """Narrow the query; see Django's ``QuerySet.filter``."""
        with _field_errors(self.model):
            return super().filter(*args, **kwargs)

    def exclude(self, *args, **kwargs):
        """Leave out matching records; see Django's ``QuerySet.exclude``."""
        with _field_errors(self.model):
            return super().exclude(*args, **kwargs)

    def order_by(self, *field_names):
        """Order the records, ``"-field"`` for descending."""
        with _field_errors(self.model):
            return super().order_by(*field_names)

    def _idlike_filter(self, idlike: int | str) -> RecordQuerySet:
        model = self.model
        if isinstance(idlike, int):
            return self.filter(pk=idlike)
        if not hasattr(model, "uid"):
            raise errors.InvalidArgument(f"{model.__name__} has no uid: pass an integer id or field=value")
        uid_length = model._meta.get_field("uid").max_length
        if len(idlike) == uid_length:
            return self.filter(uid=idlike)
        if len(idlike) > uid_length:
            raise errors.InvalidArgument(
                f"{idlike!r} is {len(idlike)} characters long; {model.__name__} uids have {uid_length}"
            )
        is_versioned = any(f.name == "is_latest" for f in model._meta.concrete_fields)
        if is_versioned and len(idlike) == uid_length - 4:
            # the uid stem of a versioned registry: its latest version
            return self.filter(uid__startswith=idlike, is_latest=True)
        return self.filter(uid__startswith=idlike)

    def get(self, *args, **kwargs):
        """Exactly one record, by an id, a uid, a uid stub, or ``field=value``.

        Raises:
            ln.errors.DoesNotExist: no record matches; the message names the query.
            ln.errors.MultipleResultsFound: more than one record matches.

        Example:
            >>> ln.ULabel.get("C5PU6WG7")
            >>> ln.ULabel.filter(is_concept=False).get(name="DMSO")
        """
        qs, idlike = self, None
        if args and isinstance(args[0], (int, str)) and not isinstance(args[0], bool):
            idlike, args = args[0], args[1:]
            qs = self._idlike_filter(idlike)
        try:
            return super(RecordQuerySet, qs).get(*args, **kwargs)
        except ObjectDoesNotExist:
            query = _describe_query(((repr(idlike),) if idlike is not None else ()) + args, kwargs)
            raise self.model.DoesNotExist(f"No {self.model.__name__} record matches {query}") from None
        except MultipleObjectsReturned:
            query = _describe_query(((repr(idlike),) if idlike is not None else ()) + args, kwargs)
            raise self.model.MultipleObjectsReturned(
                f"More than one {self.model.__name__} record matches {query}; "
                "narrow the query or use .filter()"
            ) from None

    def one(self):
        """The one record of the query.

        Raises:
            ln.errors.DoesNotExist: the query matches no record.
            ln.errors.MultipleResultsFound: it matches several.
        """
        records = list(self[:2]) if not self.query.is_sliced else list(self)
        if not records:
            raise self.model.DoesNotExist(f"No {self.model.__name__} record matches the query")
        if len(records) > 1:
            raise self.model.MultipleObjectsReturned(
                f"More than one {self.model.__name__} record matches the query"
            )
        return records[0]

    def one_or_none(self):
        """The one record of the query, or None if there is none.

        Raises:
            ln.errors.MultipleResultsFound: the query matches several records.
        """
        try:
            return self.one()
        except errors.DoesNotExist:
            return None

    def df(self, include: str | list[str] | None = None, features: bool | list[str] = False):
        """The records as a ``pandas.DataFrame``, index ``id``, in the query's order.

        Args:
            include: Related fields to add as columns (``"created_by__name"``,
                ``"ulabels__name"``); a to-many relation gives a set per row.
            features: ``True`` or a list of feature names (``Artifact`` only).

        Example:
            >>> ln.Artifact.filter(suffix=".h5ad").df(include="ulabels__name")
        """
        return queryset_to_df(self, include=include, features=features)


class RecordManager(models.Manager.from_queryset(RecordQuerySet)):
    """The default manager of every registry (``Registry.objects``)."""
