"""The metaclass of every registry: ``Registry``.

A class whose metaclass is ``Registry`` is a registry (an SQL table); its
instances are records. The class methods that users call on a registry,
``filter``, ``get``, ``df``, live here, so they exist on the class and not on
its records.

Subclassing ``Record`` outside an installed module, for example in a notebook
cell, puts the registry into the ``custom`` app and creates its table on the
spot; defining the class again replaces the old definition and adds the columns
of new fields.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.base import ModelBase

from .. import errors
from ..instance import ensure_custom_table, ensure_django

__all__ = ["Registry"]

CUSTOM_APP = "custom"


def _containing_app(module: str | None):
    if not module:
        return None
    return apps.get_containing_app_config(module)


class Registry(ModelBase):
    """Metaclass of ``Record``: every class it makes is a registry.

    Example:
        >>> import lamindb_core as ln
        >>> ln.ULabel.filter(name__startswith="Candidate").df()
        >>> ln.ULabel.get("C5PU6WG7")
    """

    def __new__(mcs, name, bases, attrs, **kwargs):
        meta = attrs.get("Meta")
        abstract = bool(getattr(meta, "abstract", False))
        custom = False
        if not abstract and getattr(meta, "app_label", None) is None:
            if not apps.apps_ready:
                ensure_django()
            if _containing_app(attrs.get("__module__")) is None:
                custom = True
                meta = type("Meta", (meta,) if meta is not None else (), {"app_label": CUSTOM_APP})
                attrs["Meta"] = meta
                # a notebook cell that runs again redefines the class: forget the old one
                previous = apps.all_models[CUSTOM_APP].pop(name.lower(), None)
                if previous is not None:
                    apps.clear_cache()
        cls = super().__new__(mcs, name, bases, attrs, **kwargs)
        if not cls._meta.abstract:
            mcs._attach_errors(cls)
            if custom:
                ensure_custom_table(cls)
        return cls

    @staticmethod
    def _attach_errors(cls) -> None:
        # Django's per-registry exceptions, catchable as ln.errors.* as well
        qualname = cls.__qualname__
        cls.DoesNotExist = type(
            "DoesNotExist",
            (cls.DoesNotExist, errors.DoesNotExist),
            {"__module__": cls.__module__, "__qualname__": f"{qualname}.DoesNotExist"},
        )
        cls.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (cls.MultipleObjectsReturned, errors.MultipleResultsFound),
            {"__module__": cls.__module__, "__qualname__": f"{qualname}.MultipleObjectsReturned"},
        )

    def __repr__(cls) -> str:
        if cls._meta.abstract:
            return f"<abstract registry {cls.__name__}>"
        simple, relational = [], []
        for f in cls._meta.get_fields():
            if f.is_relation:
                if getattr(f, "related_name", None) == "+" or f.name.endswith("+"):
                    continue
                target = f.related_model.__name__ if f.related_model else "?"
                relational.append(f"    .{f.name}: {target}")
            elif not f.name.startswith("_") and f.name != "id":
                simple.append(f"    .{f.name}: {type(f).__name__}")
        lines = [cls.__name__, "  Simple fields", *simple]
        if relational:
            lines += ["  Relational fields", *relational]
        return "\n".join(lines)

    # -- the query API -----------------------------------------------------

    def filter(cls, *queries, **expressions):
        """Query records.

        Takes ``Q`` objects and Django lookups; relations work in both directions.
        Records in the trash (``_branch_code=-1``) are left out unless the query
        names ``_branch_code``.

        Args:
            *queries: ``ln.Q`` objects, combined with ``|``, ``&``, ``~``.
            **expressions: ``field=value`` or ``field__lookup=value``.

        Returns:
            A lazy ``QuerySet``.

        Example:
            >>> ln.ULabel.filter(name__startswith="Candidate").df()
            >>> ln.Artifact.filter(ln.Q(suffix=".jpg") | ln.Q(suffix=".fastq.gz"))
        """
        qs = cls.objects.filter(*queries, **expressions)
        if not any(key.startswith("_branch_code") for key in expressions) and hasattr(
            cls, "_branch_code"
        ):
            qs = qs.filter(_branch_code=1)
        return qs

    def get(cls, idlike: int | str | None = None, **expressions):
        """Get exactly one record.

        Args:
            idlike: An integer id, a full uid, or a uid stub (a unique prefix).
            **expressions: ``field=value`` lookups, as in ``filter``.

        Raises:
            ln.errors.DoesNotExist: no record matches.
            ln.errors.MultipleResultsFound: more than one matches.

        Example:
            >>> ln.ULabel.get("C5PU6WG7")
            >>> ln.ULabel.get(name="Candidate marker study 1")
        """
        if idlike is None:
            return cls.objects.get(**expressions)
        return cls.objects.get(idlike, **expressions)

    def df(cls, include: str | list[str] | None = None, features: bool | list[str] = False, limit: int = 100):
        """The latest records as a ``pandas.DataFrame``, newest first, index ``id``.

        Shows every direct field but ``updated_at``; foreign keys appear as
        ``<field>_id``.

        Args:
            include: Related fields to add as columns, such as ``"created_by__name"``
                (one value per row) or ``"ulabels__name"`` (a set per row).
            features: ``True`` or a list of feature names: one column per feature
                (``Artifact`` only).
            limit: How many records, at most.

        Example:
            >>> ln.ULabel.df(include="created_by__name")
        """
        qs = cls.filter().order_by("-id")
        if limit is not None:
            qs = qs[:limit]
        return qs.df(include=include, features=features)
