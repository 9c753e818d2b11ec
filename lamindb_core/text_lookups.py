"""Case-sensitive ``contains``/``startswith``/``endswith`` on SQLite, as on PostgreSQL.

Django runs these lookups on SQLite as ``LIKE``, which SQLite compares without
case for ASCII letters: ``name__startswith="cand"`` would find "Candidate" on
SQLite and nothing on PostgreSQL, and ``name__contains`` would behave like
``name__icontains``. Here they run as ``GLOB``, which is case-sensitive and, for
a prefix, uses the column's index. The ``i``-lookups are unchanged.

Only the text fields of this project's registries get them (``register_on``,
which the ``Registry`` metaclass calls for each registry): the lookups are
registered on the field instances, not on Django's field classes, so Django's own
models and other apps in the same process keep Django's ``LIKE``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import lookups

__all__ = ["glob_escape", "register_on", "LOOKUPS"]


def glob_escape(text: str) -> str:
    """Escape GLOB's special characters: ``*``, ``?`` and ``[`` match themselves.

    Example:
        >>> glob_escape("a*b?[c]")
        'a[*]b[?][[]c]'
    """
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


class _GlobMixin:
    pattern = "{}"

    def as_sqlite(self, compiler, connection):
        if not isinstance(self.rhs, str):  # an expression (F(), a subquery): Django's way
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} GLOB %s", [*lhs_params, self.pattern.format(glob_escape(self.rhs))]


class Contains(_GlobMixin, lookups.Contains):
    """``field__contains``: case-sensitive on every backend."""

    pattern = "*{}*"


class StartsWith(_GlobMixin, lookups.StartsWith):
    """``field__startswith``: case-sensitive on every backend; uses the index on SQLite."""

    pattern = "{}*"


class EndsWith(_GlobMixin, lookups.EndsWith):
    """``field__endswith``: case-sensitive on every backend."""

    pattern = "*{}"


LOOKUPS = (Contains, StartsWith, EndsWith)


def register_on(model: type[models.Model]) -> None:
    """Make ``contains``, ``startswith`` and ``endswith`` case-sensitive on the text
    fields that ``model`` declares (idempotent).

    Fields inherited from an abstract registry are the model's own copies, so each
    registry's fields are covered once it is registered; a concrete parent's fields
    were covered with the parent.

    Example:
        >>> register_on(ULabel)
        >>> ULabel._meta.get_field("name").get_lookup("startswith") is StartsWith
        True
    """
    for field in model._meta.local_fields:
        if isinstance(field, (models.CharField, models.TextField)):
            for lookup in LOOKUPS:
                field.register_lookup(lookup)
