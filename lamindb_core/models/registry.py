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

import numbers

from django.apps import apps
from django.db.models.base import ModelBase

from .. import errors, text_lookups, validation
from ..config import MODULES
from ..dataframe import first_rows, split_features_include
from ..errors import MissingModule
from ..instance import ensure_custom_table, ensure_django, instance_alias
from ..query import RegistryBaseManager

__all__ = ["Registry"]

CUSTOM_APP = "custom"


def _containing_app(module: str | None):
    if not module:
        return None
    return apps.get_containing_app_config(module)


def _module_package(module: str | None) -> str | None:
    # the optional module (``bio``) whose package defines a class, or None
    for name, package in MODULES.items():
        if module and (module == package or module.startswith(package + ".")):
            return name
    return None


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
        previous = None
        if not abstract and getattr(meta, "app_label", None) is None:
            if not apps.apps_ready:
                ensure_django()
            module = _module_package(attrs.get("__module__"))
            if module is not None and not apps.is_installed(MODULES[module]):
                # a module's registry, not user code's, and not core's (whose package holds the module's)
                raise MissingModule(
                    f"the registries of the module {module!r} are not loaded in this process: it set up "
                    f"Django for an instance without {module}. Restart Python (in a notebook: the kernel) "
                    f"and import {MODULES[module]} before the first query"
                )
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
            # on this project's fields only: other apps in the process keep Django's lookups
            text_lookups.register_on(cls)
            if custom:
                try:
                    ensure_custom_table(cls)
                except BaseException:
                    # the table refused the new definition: the previous one stays
                    apps.all_models[CUSTOM_APP].pop(name.lower(), None)
                    if previous is not None:
                        apps.all_models[CUSTOM_APP][name.lower()] = previous
                    apps.clear_cache()
                    raise
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

    @property
    def _base_manager(cls):
        """Django's base manager of the registry: a ``RegistryBaseManager``, which knows
        that an instance may lack the tables of a module (unless ``Meta`` names one)."""
        if cls._meta.abstract or cls._meta.base_manager_name:
            return cls._meta.base_manager
        # the class's own: a subclass gets one for its own table
        manager = cls.__dict__.get("_registry_base_manager")
        if manager is None:
            # made as Django makes its automatic base manager (Options.base_manager)
            manager = RegistryBaseManager()
            manager.name = "_base_manager"
            manager.model = cls
            manager.auto_created = True
            cls._registry_base_manager = manager
        return manager

    def __repr__(cls) -> str:
        """The registry's fields as LaminDB 1.0 lists them: simple fields (the
        registry's own first), relational fields (forward ones first), then the
        relations to each module's registries (``Bio fields``)."""
        if cls._meta.abstract:
            return f"<abstract registry {cls.__name__}>"
        inherited = {f.name for base in cls.__bases__ if hasattr(base, "_meta") for f in base._meta.get_fields()}

        def own_first(fields: list) -> list:
            return [f for f in fields if f.name not in inherited] + [f for f in fields if f.name in inherited]

        simple = own_first([
            f for f in cls._meta.get_fields()
            if not f.is_relation and not f.name.startswith("_") and f.name not in ("id", "aux")
        ])

        def shown(f) -> bool:
            return not f.name.startswith(("links_", "_")) and not f.name.endswith("+") and f.related_model is not None

        forward = [f for f in (*cls._meta.fields, *cls._meta.many_to_many) if f.is_relation and shown(f)]
        # the fields of TracksRun (created_by, run) before Record's (space), as LaminDB 1.0 defines them
        rank = {"created_by": 0, "run": 1, "space": 2}
        forward.sort(key=lambda f: (f.name not in inherited, rank.get(f.name, 3) if f.name in inherited else 0))
        others = own_first([f for f in cls._meta.get_fields() if f.is_relation and shown(f) and f not in forward])
        core, modules = [], {}
        for f in (*forward, *others):
            label = f.related_model._meta.app_label
            name = f.related_model.__name__ if label in ("core", cls._meta.app_label) else f"{label}.{f.related_model.__name__}"
            line = f"    .{f.name}: {name}"
            if label in ("core", cls._meta.app_label):
                core.append(line)
            else:
                modules.setdefault(label, []).append(line)
        lines = [cls.__name__, "  Simple fields", *(f"    .{f.name}: {f.get_internal_type()}" for f in simple)]
        if core:
            lines += ["  Relational fields", *core]
        for label in sorted(modules):
            lines += [f"  {label.capitalize()} fields", *modules[label]]
        return "\n".join(lines)

    # -- the query API -----------------------------------------------------

    def filter(cls, *queries, **expressions):
        """Query records.

        Takes ``Q`` objects and Django lookups; relations work in both directions.
        Records in the trash (``_branch_code=-1``) are left out unless the query
        names ``_branch_code``; ``_branch_code=None`` finds records in any branch.

        Args:
            *queries: ``ln.Q`` objects, combined with ``|``, ``&``, ``~``.
            **expressions: ``field=value`` or ``field__lookup=value``.

        Returns:
            A lazy ``QuerySet``.

        Example:
            >>> ln.ULabel.filter(name__startswith="Candidate").df()
            >>> ln.Artifact.filter(ln.Q(suffix=".jpg") | ln.Q(suffix=".fastq.gz"))
        """
        if not queries and not expressions and hasattr(cls, "_branch_code"):
            # ln.X.filter(), where search, df and the faces start: its filter on _branch_code
            # is built once per registry (it cost 60 µs, a seventieth of a search); each call
            # gets a clone, as Django's chaining makes from a queryset
            base = cls.__dict__.get("_registry_default_queryset")
            if base is None:
                base = cls._registry_default_queryset = cls.objects.filter().filter(_branch_code=1)
            qs = base._chain()
            _ = qs.db  # raises MissingModule now, as filter() does, if the instance lacks the table
            return qs
        names_branch = any(key.startswith("_branch_code") for key in expressions)
        if expressions.get("_branch_code", 0) is None:
            # LaminDB's spelling of "in any branch": the trash too
            expressions = {k: v for k, v in expressions.items() if k != "_branch_code"}
        qs = cls.objects.filter(*queries, **expressions)
        if not names_branch and hasattr(cls, "_branch_code"):
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
            limit: How many records, at most (None: all). When more match,
                ``df.attrs["limited"]`` is ``(limit, total, exact)`` and a notebook with
                ``%load_ext lamindb_jupyter`` says "the first 100 of 2,340". The count
                stops at 100,000 (``exact`` False: "of more than 100,000"); counting
                millions of rows takes longer than the rows themselves.

        Raises:
            ln.errors.InvalidArgument: ``limit`` is negative or not an integer.

        Example:
            >>> ln.ULabel.df(include="created_by__name")
        """
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 0
        ):
            raise errors.InvalidArgument(f"df(limit=...) takes a number >= 0 or None (all records), got {limit!r}")
        # when more records match, attrs["limited"] says how many (one COUNT up to 100,000, only then)
        return first_rows(cls.filter().order_by("-id"), limit, include=include, features=features)

    def to_dataframe(cls, include: str | list[str] | None = None, features: bool | list[str] = False, limit: int = 100):
        """The latest records as a ``pandas.DataFrame``: LaminDB 2's name for ``df()``.

        ``include="features"`` (alone or in a list) adds a column per feature, as
        ``df(features=True)`` does (``Artifact``); the other entries of ``include``
        are related fields. Code written for LaminDB 1 (``df``) or 2
        (``to_dataframe``) runs unchanged.

        Example:
            >>> ln.Artifact.to_dataframe(include="features")
        """
        include, wants = split_features_include(include, cls.filter().supports_features)
        return cls.df(include=include, features=features or wants, limit=limit)

    # -- search, lookup, values (search.py, lookup.py, validation.py) --------

    def search(cls, string: str, *, field=None, limit: int | None = 20, case_sensitive: bool = False):
        """Search the registry: records that match ``string``, best first.

        An exact match comes first (also of one of the ``|``-separated
        ``synonyms``), then whole-word and prefix matches, then fuzzy matches
        that survive a typo ("T-cel", "b cel"). A text index (SQLite FTS5,
        PostgreSQL ``pg_trgm``) does the first cut.

        Args:
            string: The text to search for.
            field: The field or fields to search (a name, ``ln.ULabel.name``, or a
                list); all text fields by default.
            limit: Maximum number of records (None: all candidates).
            case_sensitive: Whether case must match.

        Returns:
            A QuerySet ordered by relevance and annotated with ``score`` (0 to 100):
            its ``.df()`` has a ``score`` column, and it displays as a table of the
            searched field, ``uid`` and ``score``.

        Raises:
            ln.errors.InvalidArgument: ``string`` is None or empty.

        Example:
            >>> ln.ULabel.search("ULabel7", field="name")
                        uid  score
            name
            ULabel7  g7Hk9b2v  100.0
            ULabel5  t4Jm6s0q   60.0
        """
        return cls.filter().search(string, field=field, limit=limit, case_sensitive=case_sensitive)

    def lookup(cls, field=None, return_field=None):
        """An auto-complete object: one attribute per value of ``field``.

        Args:
            field: The field to look up; defaults to the registry's name field
                (``name``; ``key`` for artifacts).
            return_field: Return this field's value instead of the record.

        Returns:
            A ``Lookup``: ``lookup.candidate_marker_study_1`` is a record,
            ``lookup["Candidate marker study 1"]`` too, ``lookup.dict()`` maps
            values to records.

        Example:
            >>> ulabels = ln.ULabel.lookup()
            >>> ulabels.candidate_marker_study_1
            >>> ln.ULabel.lookup(return_field="uid").dmso
        """
        return cls.filter().lookup(field=field, return_field=return_field)

    def from_values(cls, values, field=None, create: bool = False, organism=None, source=None, mute: bool = False):
        """Records for a list of values: existing ones, and new unsaved ones with ``create=True``.

        Existing records are found with one query per 500 values; for registries
        with ``synonyms``, a value that names a record by a synonym (or in other
        case) gives that record. A line says what was found and what was created.

        Args:
            values: Strings (a list, a pandas Series or Index, ...).
            field: The field that holds the values; the name field by default.
            create: Make new (unsaved) records for values that no record holds.
            organism: For registries whose records belong to an organism (genes).
            source: For registries with public sources.
            mute: Print nothing.

        Returns:
            A list of records with a ``save()`` method (``ln.save`` of the list).

        Example:
            >>> ln.ULabel.from_values(["DMSO", "IFNG"], create=True).save()
        """
        return validation.from_values(
            cls.filter(), values, field=field, create=create, organism=organism, source=source, mute=mute
        )

    def validate(cls, values, field=None, mute: bool = False):
        """Whether a record holds each value, exactly: a numpy boolean array.

        Example:
            >>> ln.ULabel.validate(["DMSO", "nope"])
            array([ True, False])
        """
        return validation.validate(cls.filter(), values, field=field, mute=mute)

    def inspect(cls, values, field=None, mute: bool = False):
        """Which values are validated, which are not, and what they may mean.

        Returns:
            An ``InspectResult`` with ``validated``, ``non_validated``,
            ``synonyms_mapper`` (values that name a record by a synonym or in other
            case) and ``close_matches`` (what search finds for the others).

        Example:
            >>> result = ln.ULabel.inspect(["DMSO", "dmso", "DMS0"])
            >>> result.non_validated, result.synonyms_mapper
            (['dmso', 'DMS0'], {'dmso': 'DMSO'})
        """
        return validation.inspect(cls.filter(), values, field=field, mute=mute)

    def standardize(cls, values, field=None, return_field=None, mute: bool = False, **kwargs):
        """The values, each replaced by the name of the record it names by a synonym
        or in other case; other values stay as they are.

        Example:
            >>> ln.ULabel.standardize(["dmso", "unknown"])
            ['DMSO', 'unknown']
        """
        return validation.standardize(cls.filter(), values, field=field, return_field=return_field, mute=mute)

    def using(cls, instance: str):
        """Query another registered instance, read-only.

        The full query API works on the result (``filter``, ``get``, ``df``,
        ``search``, ``lookup``). Saving a record read this way copies it (and
        its parents) into the current instance, once; an artifact's data is
        copied into this instance's storage (``ln.settings.storage``).

        Args:
            instance: ``"owner/name"`` (or ``"name"`` of the local user).

        Raises:
            ln.errors.InstanceNotFound: no such instance; the message lists the
                registered ones.

        Example:
            >>> ln.ULabel.using("testuser1/other").search("ULabel7", field="name")
            >>> ln.ULabel.using("testuser1/other").get(name="DMSO").save()  # transfer
        """
        qs = cls.objects.using(instance_alias(instance)).all()
        if hasattr(cls, "_branch_code"):
            qs = qs.filter(_branch_code=1)
        return qs
