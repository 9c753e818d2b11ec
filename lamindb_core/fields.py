"""Field types for registries, with LaminDB's defaults.

They are Django's fields with defaults that suit a registry that grows:
nullable (so that a column can be added to a filled table), not required in
forms, and text of up to 255 characters. Pass any Django argument to change them.

Example:
    >>> from lamindb_core import Record, fields
    >>> class Experiment(Record):
    ...     name: str = fields.CharField()
    ...     temperature: float = fields.FloatField()
    >>> Experiment(name="my experiment", temperature=21.5).save()
"""

from __future__ import annotations

from django.db import models

__all__ = [
    "CharField",
    "TextField",
    "BooleanField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "FloatField",
    "DecimalField",
    "DateField",
    "DateTimeField",
    "JSONField",
    "URLField",
    "EmailField",
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
]


def _nullable(kwargs: dict) -> dict:
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return kwargs


class CharField(models.CharField):
    """Text of up to ``max_length`` characters (255 by default), nullable."""

    def __init__(self, max_length: int = 255, **kwargs):
        super().__init__(max_length=max_length, **_nullable(kwargs))


class TextField(models.TextField):
    """Text of any length, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class BooleanField(models.BooleanField):
    """True, False or None."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class IntegerField(models.IntegerField):
    """A 32-bit integer, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class BigIntegerField(models.BigIntegerField):
    """A 64-bit integer, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class SmallIntegerField(models.SmallIntegerField):
    """A 16-bit integer, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class FloatField(models.FloatField):
    """A float, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class DecimalField(models.DecimalField):
    """A decimal number (``max_digits`` 12, ``decimal_places`` 4 by default), nullable."""

    def __init__(self, max_digits: int = 12, decimal_places: int = 4, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **_nullable(kwargs))


class DateField(models.DateField):
    """A date, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class DateTimeField(models.DateTimeField):
    """A time-zone aware date and time, nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class JSONField(models.JSONField):
    """A JSON value (dict, list, number, string), nullable."""

    def __init__(self, **kwargs):
        super().__init__(**_nullable(kwargs))


class URLField(models.URLField):
    """A URL, nullable."""

    def __init__(self, max_length: int = 255, **kwargs):
        super().__init__(max_length=max_length, **_nullable(kwargs))


class EmailField(models.EmailField):
    """An e-mail address, nullable."""

    def __init__(self, max_length: int = 255, **kwargs):
        super().__init__(max_length=max_length, **_nullable(kwargs))


class ForeignKey(models.ForeignKey):
    """A link to one record of another registry; nullable, and a linked record
    cannot be deleted while it is linked (``PROTECT``) unless told otherwise."""

    def __init__(self, to, on_delete=models.PROTECT, **kwargs):
        super().__init__(to, on_delete=on_delete, **_nullable(kwargs))


class OneToOneField(models.OneToOneField):
    """A link to one record that no other record of this registry links to."""

    def __init__(self, to, on_delete=models.PROTECT, **kwargs):
        super().__init__(to, on_delete=on_delete, **_nullable(kwargs))


class ManyToManyField(models.ManyToManyField):
    """Links to any number of records of another registry."""

    def __init__(self, to, **kwargs):
        kwargs.setdefault("blank", True)
        super().__init__(to, **kwargs)
