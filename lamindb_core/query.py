"""The QuerySet and Manager of every registry.

``RecordQuerySet`` is Django's ``QuerySet`` with LaminDB's additions: ``df()``,
``one()``, ``one_or_none()``, ``get()`` by uid or uid stub, and errors that name
the registry, the query and the closest valid field. Django's own methods keep
their meaning. Related managers (``artifact.ulabels``) use the same class, so
``artifact.ulabels.filter(...).df()`` works.
"""

from __future__ import annotations

import builtins
import copy
import json
import numbers
import re
from contextlib import contextmanager

from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    FieldError,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
)
from django.db import DatabaseError, connections, models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.db.models.query import ValuesListIterable

from . import collector, errors, validation
from .dataframe import aggregate_row, queryset_to_df, split_features_include
from .instance import absent_tables, missing_module_error
from .lookup import Lookup, build_joined_lookup, build_lookup
from .introspect import is_text_field, name_field
from .search import SearchMeta, field_name, search_display_df, search_queryset, search_repr

builtins_list = builtins.list  # RecordQuerySet.list shadows the name in its body

__all__ = [
    "RecordQuerySet",
    "RecordManager",
    "RegistryBaseManager",
    "plain_delete",
    "blocked_delete_error",
    "refuse_save_without_table",
]


def plain_delete(method):
    """Mark a registry's ``delete()`` as one that deletes the row and nothing else,
    so that ``QuerySet.delete()`` may delete many rows in one statement. A
    ``delete()`` without this mark (``Artifact``'s: the trash, files, versions) is
    called for each record."""
    method.deletes_row_only = True
    return method


def _deletes_each(model: type) -> bool:
    delete = model.delete
    return delete is not models.Model.delete and not getattr(delete, "deletes_row_only", False)


def blocked_delete_error(what: str, pronoun: str, exc: ProtectedError | RestrictedError) -> errors.ValidationError:
    """The error for a deletion that protected links refused: it names the records
    that still point to ``what`` (up to five, and how many of each registry)."""
    blockers = list(exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects)
    counts: dict[str, int] = {}
    for obj in blockers:
        counts[type(obj).__name__] = counts.get(type(obj).__name__, 0) + 1
    summary = ", ".join(f"{n} {name} record{'s' if n != 1 else ''}" for name, n in counts.items())
    shown = sorted(blockers, key=lambda obj: (type(obj).__name__, obj.pk))[:5]
    listed = ", ".join(repr(obj) for obj in shown) + (", ..." if len(blockers) > len(shown) else "")
    return errors.ValidationError(
        f"cannot delete {what}: {summary} still {'links' if len(blockers) == 1 else 'link'} to {pronoun}: "
        f"{listed}; delete or relink {'it' if len(blockers) == 1 else 'them'} first"
    )

def _explain_key(model: type, key: str) -> str | None:
    """Why ``key`` (``"created_by__nam"``) is not a valid lookup on ``model``, or None."""
    current, relation = model, None
    parts = key.split("__")
    for i, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            if relation is not None and (relation.get_lookup(part) or relation.get_transform(part)):
                return None
            choices = {f.name for f in current._meta.get_fields() if not f.name.endswith("+")}
            choices |= {f.attname for f in current._meta.concrete_fields}
            return errors.unknown_field(current.__name__, part, choices, path=key)
        if field.is_relation and field.related_model is not None:
            current, relation = field.related_model, field
            continue
        for lookup in parts[i + 1 :]:
            if not (field.get_lookup(lookup) or field.get_transform(lookup)):
                return errors.unknown_lookup(current.__name__, part, lookup, field.get_lookups())
        return None
    return None


def _lookups(args: tuple, kwargs: dict) -> list[tuple[str, object]]:
    """Every ``(key, value)`` of a query's keywords and ``Q`` objects."""
    pairs = list(kwargs.items())
    stack = [a for a in args if isinstance(a, Q)]
    while stack:
        q = stack.pop()
        for child in q.children:
            if isinstance(child, Q):
                stack.append(child)
            elif isinstance(child, tuple):
                pairs.append(child)
    return pairs


def _keys(args: tuple, kwargs: dict) -> list[str]:
    return [key for key, _ in _lookups(args, kwargs)]


@contextmanager
def _field_errors(model: type, args: tuple = (), kwargs: dict | None = None, names: tuple = ()):
    """Turn Django's ``FieldError`` into one that names the registry and the closest field."""
    try:
        yield
    except FieldError as exc:
        for key in [*_keys(args, kwargs or {}), *(n.lstrip("-") for n in names if isinstance(n, str))]:
            reason = _explain_key(model, key)
            if reason is not None:
                raise errors.FieldValidationError(reason) from None
        raise errors.FieldValidationError(f"{model.__name__}: {exc}") from None


def _rewrite_aliases(model: type, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Apply a registry's field aliases (``Transform``: ``name`` means ``key``)."""
    aliases = getattr(model, "_field_aliases", None)
    if not aliases:
        return args, kwargs

    def rename(key: str) -> str:
        head, sep, tail = key.partition("__")
        return aliases.get(head, head) + sep + tail

    def rewrite_q(q: Q) -> Q:
        clone = copy.copy(q)
        clone.children = [
            rewrite_q(c) if isinstance(c, Q) else (rename(c[0]), c[1]) if isinstance(c, tuple) else c
            for c in q.children
        ]
        return clone

    new_args = tuple(rewrite_q(a) if isinstance(a, Q) else a for a in args)
    return new_args, {rename(k): v for k, v in kwargs.items()}


def _check_regexes(model: type, db: str, args: tuple, kwargs: dict) -> None:
    """Refuse a ``__regex`` / ``__iregex`` pattern that the database cannot
    compile, when the query is built: run, it would fail with an obscure error
    (SQLite: "user-defined function raised exception") and, on PostgreSQL,
    abort the transaction it runs in."""
    for key, pattern in _lookups(args, kwargs):
        if not isinstance(pattern, str) or not key.endswith(("__regex", "__iregex")):
            continue
        connection = connections[db]
        reason = None
        if connection.vendor == "postgresql":
            # PostgreSQL's own dialect (\m, [[:alpha:]]): ask it, in a savepoint
            try:
                with transaction.atomic(using=db), connection.cursor() as cursor:
                    cursor.execute("SELECT '' ~ %s", [pattern])
            except DatabaseError as exc:
                reason = str(exc).strip().splitlines()[0]
        else:
            # SQLite's REGEXP is Python's re
            try:
                re.compile(pattern)
            except re.error as exc:
                reason = str(exc)
        if reason is not None:
            raise errors.InvalidArgument(
                f"{model.__name__}.{key}: {pattern!r} is no valid regular expression ({reason})"
            )


def _check_tables(qs: models.QuerySet, alias: str) -> None:
    """Raise ``ln.errors.MissingModule`` if ``qs`` needs a table that the instance at
    ``alias`` lacks (a module it was set up without); an empty query needs none."""
    absent = absent_tables(alias)
    if not absent or qs.query.is_empty():
        return
    # the registry's table and every table the query joins
    for table in (qs.model._meta.db_table, *(t.table_name for t in qs.query.alias_map.values())):
        if table in absent:
            raise missing_module_error(table, alias)


def fetch_all_rows(qs: models.QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` query, read with one ``fetchall``.

    Django reads 100 rows per ``fetchmany`` call, a thousand calls at 100,000
    rows; here the database driver reads them at once. The field converters
    still apply (``results_iter``) and the query is the one Django would send;
    a query Django reorders or names (annotations, ``extra``, ``flat``/``named``)
    goes the usual way.

    Example:
        >>> fetch_all_rows(ln.ULabel.filter(is_concept=False).values_list("name", "pk"))
        [('DMSO', 1), ('IFNG', 2)]
    """
    query = qs.query
    if qs._iterable_class is not ValuesListIterable or query.annotation_select or query.extra_select:
        return list(qs)
    alias = qs.db  # raises MissingModule for an absent table, as any query does
    if query.is_empty():
        return []
    compiler = query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return list(compiler.results_iter([rows], tuple_expected=True))


# One string of all values (and one of all pks) instead of a row per record: the database
# joins them in C, and Python makes no tuple, value or int per row. The separator is the
# ASCII unit separator; a value that holds it sends the lookup back to rows.
JOINED_SEPARATOR = "\x1f"
_JOINED_SQL = {
    "sqlite": (
        "WITH t(v, k) AS ({}) SELECT group_concat(v, char(31)), group_concat(k), count(*) FROM t WHERE v IS NOT NULL"
    ),
    "postgresql": (
        "WITH t(v, k) AS ({}) SELECT string_agg(v::text, chr(31)), string_agg(k::text, ','), count(*) "
        "FROM t WHERE v IS NOT NULL"
    ),
}


def fetch_joined_column(qs: models.QuerySet) -> tuple[str, str, int] | None:
    """The values of a ``values_list(field, "pk")`` query joined by :data:`JOINED_SEPARATOR`,
    its integer pks joined by ``","`` (rows of a None value left out, row order kept), and
    how many rows; None where that would not hold the rows of ``fetch_all_rows``: an
    ordered or sliced query (aggregates keep no order), a pk that is no integer, a column
    with a converter, another database. A value may hold the separator: the caller checks
    that the values split into as many as the rows.

    Example:
        >>> fetch_joined_column(ln.ULabel.filter().values_list("name", "pk"))
        ('DMSO\\x1fIFNG', '1,2', 2)
    """
    query = qs.query
    model = qs.model
    if (
        qs._iterable_class is not ValuesListIterable or query.annotation_select or query.extra_select
        or qs.ordered or query.is_sliced or not isinstance(model._meta.pk, models.IntegerField)
    ):
        return None
    alias = qs.db
    connection = connections[alias]
    template = _JOINED_SQL.get(connection.vendor)
    if template is None or query.is_empty():
        return None
    compiler = query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    columns = [s[0] for s in compiler.select[: compiler.col_count]]
    if len(columns) != 2 or compiler.get_converters(columns):
        return None
    row = aggregate_row(alias, template.format(sql), params)
    if row is None:
        return None
    joined, pks, count = row
    if count == 0:
        return "", "", 0
    return joined, pks, count


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

    supports_features = False
    """Whether ``df(features=...)`` works: only for artifacts (``ArtifactQuerySet``)."""

    @property
    def db(self) -> str:
        """The database alias the query runs on, as Django's ``QuerySet.db``.

        Django asks for it right before it sends SQL (reading, counting, updating,
        deleting, bulk inserts): a query that needs a table of a module that the
        instance was set up without raises ``ln.errors.MissingModule`` here,
        instead of the database's "no such table".
        """
        alias = super().db
        _check_tables(self, alias)
        return alias

    def filter(self, *args, **kwargs):
        """Narrow the query; see Django's ``QuerySet.filter``."""
        args, kwargs = _rewrite_aliases(self.model, args, kwargs)
        with _field_errors(self.model, args, kwargs):
            qs = super().filter(*args, **kwargs)
        _check_regexes(self.model, qs.db, args, kwargs)
        return qs

    def exclude(self, *args, **kwargs):
        """Leave out matching records; see Django's ``QuerySet.exclude``."""
        args, kwargs = _rewrite_aliases(self.model, args, kwargs)
        with _field_errors(self.model, args, kwargs):
            qs = super().exclude(*args, **kwargs)
        _check_regexes(self.model, qs.db, args, kwargs)
        return qs

    def order_by(self, *field_names):
        """Order the records, ``"-field"`` for descending."""
        with _field_errors(self.model, names=field_names):
            return super().order_by(*field_names)

    def delete(self, permanent: bool | None = None):
        """Delete the records of the query, as each record's ``delete()`` would.

        For a registry with its own ``delete()`` (``Artifact``: the trash, its
        file, the latest version) that method is called for each record, in one
        transaction: ``ln.Artifact.filter(...).delete()`` moves the artifacts to
        the trash, ``.delete(permanent=True)`` deletes them and their files (on
        commit) for good. Records of other registries are deleted for good, in
        one statement.

        All or nothing: if one record cannot be deleted, none is.

        Args:
            permanent: For registries with a trash: True deletes for good.

        Returns:
            Django's ``(count, {registry: count})`` where rows are deleted in one
            statement; None where each record's ``delete()`` is called.

        Raises:
            ln.errors.ValidationError: other records still point to one of them;
                the message names them. Nothing is deleted.
            ln.errors.InvalidArgument: a sliced query (``[:n]``), a ``values()``
                query, or ``permanent=False`` for a registry without a trash.

        Example:
            >>> ln.Artifact.filter(key__startswith="tmp/").delete()                # to the trash
            >>> ln.Artifact.filter(_branch_code=-1).delete(permanent=True)        # empty the trash
        """
        model = self.model
        if self.query.is_sliced:
            raise errors.InvalidArgument(
                f"cannot delete a sliced {model.__name__} query ([:n]); select the records with "
                ".filter(id__in=...) instead"
            )
        if self._fields is not None:
            raise errors.InvalidArgument(
                f"cannot delete after .values() or .values_list(); call .delete() on the {model.__name__} query itself"
            )
        if _deletes_each(model):
            kwargs = {} if permanent is None else {"permanent": permanent}
            with transaction.atomic(using=self.db):
                many = getattr(model, "_delete_many", None)  # the registry's own, with fewer queries
                if many is not None:
                    many(self, **kwargs)
                else:
                    for record in self:
                        record.delete(**kwargs)
            return None
        if permanent is False:
            raise errors.InvalidArgument(
                f"{model.__name__} has no trash: .delete() deletes its records for good"
            )
        try:
            with transaction.atomic(using=self.db):
                return super().delete()
        except (ProtectedError, RestrictedError) as exc:
            n = self.count()
            what = f"{n} {model.__name__} record{'s' if n != 1 else ''}"
            raise blocked_delete_error(what, "them" if n != 1 else "it", exc) from None

    delete.alters_data = True
    delete.queryset_only = True

    def _idlike_filter(self, idlike: int | str) -> RecordQuerySet:
        model = self.model
        if isinstance(idlike, numbers.Integral):
            return self.filter(pk=int(idlike))
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
            ln.errors.InvalidArgument: the id is neither an integer nor a
                non-empty string.
            ln.errors.DoesNotExist: no record matches; the message names the query.
            ln.errors.MultipleResultsFound: more than one record matches.

        Example:
            >>> ln.ULabel.get("C5PU6WG7")
            >>> ln.ULabel.filter(is_concept=False).get(name="DMSO")
        """
        qs, idlike = self, None
        if args and not isinstance(args[0], Q) and not hasattr(args[0], "resolve_expression"):
            idlike, args = args[0], args[1:]
            if isinstance(idlike, bool) or not isinstance(idlike, (numbers.Integral, str)):
                raise errors.InvalidArgument(
                    f"{self.model.__name__}.get() takes an integer id, a uid or a uid stub (str), "
                    f"a Q object or field=value; got {idlike!r} ({type(idlike).__name__})"
                )
            if idlike == "":
                raise errors.InvalidArgument(
                    f"{self.model.__name__}.get(''): an empty uid matches every record; "
                    "pass a uid, a uid stub or field=value"
                )
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

    def latest_version(self) -> RecordQuerySet:
        """The latest version of each version family in the query (``is_latest``).

        Raises:
            ValueError: the registry has no versions (LaminDB's message).

        Example:
            >>> ln.Artifact.filter(key__startswith="iris/").latest_version().df()
        """
        if not any(f.name == "is_latest" for f in self.model._meta.concrete_fields):
            raise ValueError("Record isn't subclass of `lamindb.core.IsVersioned`")
        return self.filter(is_latest=True)

    def df(self, include: str | list[str] | None = None, features: bool | list[str] = False):
        """The records as a ``pandas.DataFrame``, index ``id``, in the query's order.

        Args:
            include: Related fields to add as columns (``"created_by__name"``,
                ``"ulabels__name"``); a to-many relation gives a set per row.
            features: ``True`` or a list of feature names: ``Artifact`` only, whose
                QuerySet (``ArtifactQuerySet``) adds a column per feature.

        Raises:
            ln.errors.InvalidArgument: ``features`` for a registry other than ``Artifact``.

        Example:
            >>> ln.Artifact.filter(suffix=".h5ad").df(include="ulabels__name")
        """
        if features:
            raise errors.InvalidArgument(
                f"features= is only available for Artifact, not for {self.model.__name__}"
            )
        return self._scored(queryset_to_df(self, include=include))

    def to_dataframe(self, include: str | list[str] | None = None, features: bool | list[str] = False):
        """The records as a ``pandas.DataFrame``: LaminDB 2's name for ``df()``.

        ``include="features"`` (or a list holding ``"features"``) adds a column per
        feature, as ``df(features=True)`` does; the other entries of ``include`` are
        related fields. Both spellings work, so that code written for LaminDB 1 or
        2 runs unchanged.

        Example:
            >>> ln.Artifact.filter(suffix=".parquet").to_dataframe(include="features")
            >>> ln.ULabel.filter().to_dataframe(include="created_by__name")
        """
        include, wants = split_features_include(include, self.supports_features)
        return self.df(include=include, features=features or wants)

    def list(self, field: str | None = None) -> list:
        """The records as a list, or the values of ``field``.

        Example:
            >>> label.parents.list()
            >>> ln.ULabel.filter(name__startswith="Project").list("name")
            ['Project 0', 'Project 1']
        """
        if field is None:
            return builtins_list(self)
        fname = field_name(self.model, field, purpose="list(field=...)")
        return builtins_list(self.values_list(fname, flat=True))

    def validate(self, values, field=None, mute: bool = False, **kwargs):
        """Whether a record of the query holds each value, exactly: a boolean array.

        Example:
            >>> ln.User.filter().validate(["testuser1", "Test User1"], "handle")
            array([ True, False])
        """
        return validation.validate(self, values, field=field, mute=mute)

    def inspect(self, values, field=None, mute: bool = False, **kwargs):
        """Which values the records of the query hold, which not, and what they may mean;
        see ``Registry.inspect``."""
        return validation.inspect(self, values, field=field, mute=mute)

    def standardize(self, values, field=None, return_field=None, mute: bool = False, **kwargs) -> list:
        """The values, each replaced by the name of the record it names by a synonym or
        in other case; other values stay as they are.

        Example:
            >>> ln.ULabel.filter().standardize(["dmso", "unknown"])
            ['DMSO', 'unknown']
        """
        return validation.standardize(self, values, field=field, return_field=return_field, mute=mute)

    def _scored(self, df):
        # the table of a search result gets its score column
        if self._search_meta is not None:
            df = self._search_meta.add_score(df)
        return df

    # -- search and lookup (search.py, lookup.py) ----------------------------

    _search_meta: SearchMeta | None = None  # set on the result of search()

    def _clone(self):
        clone = super()._clone()
        clone._search_meta = self._search_meta
        return clone

    def search(self, string: str, *, field=None, limit: int | None = 20, case_sensitive: bool = False):
        """Records that match ``string``, best first; ``.df()`` has a ``score`` column (0 to 100).

        Ranking: an exact match (also of one of the ``|``-separated ``synonyms``)
        first, then whole-word and prefix matches, then fuzzy ones that survive a
        typo. A text index does the first cut, so this stays fast at a million records.

        Args:
            string: What to search for.
            field: A field or a list of fields; all text fields by default.
            limit: How many records, at most (None: all candidates).
            case_sensitive: Whether case must match.

        Returns:
            A QuerySet ordered by relevance, annotated with ``score``; it shows a
            table of the searched field, ``uid`` and ``score``.

        Example:
            >>> ln.ULabel.search("Candidate marker").df()
            >>> artifact.ulabels.search("study", field="name")
        """
        return search_queryset(self, string, field=field, limit=limit, case_sensitive=case_sensitive)

    def lookup(self, field=None, return_field=None) -> Lookup:
        """An object whose attributes are the values of ``field``, for Tab completion.

        Args:
            field: The field to name the attributes after; by default the
                registry's name field (``name``, ``key``, ...).
            return_field: Give the values of this field instead of records.

        Example:
            >>> ulabels = ln.ULabel.filter(is_concept=False).lookup()
            >>> ulabels.candidate_marker_study_1
            >>> ulabels.dict()["Candidate marker study 1"]
        """
        model = self.model
        if field is None:
            # a registry may name another field for lookups (User: the handle)
            fname = getattr(model, "_lookup_field", None) or name_field(model)
            if not is_text_field(model._meta.get_field(fname)):
                raise errors.FieldValidationError(
                    f"{model.__name__} has no text field to look up; pass field= one of: "
                    f"{', '.join(f.name for f in model._meta.concrete_fields)}"
                )
        else:
            fname = field_name(model, field, purpose="lookup(field=...)")
        rname = None if return_field is None else field_name(model, return_field, purpose="return_field")
        fetch = None
        if rname is None:
            manager = model._base_manager.db_manager(self.db)
            fetch = manager.in_bulk
            joined = fetch_joined_column(self.values_list(fname, "pk"))
            if joined is not None:
                values, pks, count = joined
                lookup = build_joined_lookup(
                    model.__name__, fname, values, JOINED_SEPARATOR, count,
                    lambda: json.loads(f"[{pks}]"), fetch,  # twice as fast as int() of each
                )
                if lookup is not None:  # else a value held the separator: rows
                    return lookup
        with collector.paused():  # the rows are no garbage either
            rows = fetch_all_rows(self.values_list(fname, rname or "pk"))
            lookup = build_lookup(model.__name__, fname, rows, return_field=rname, fetch=fetch)
            # freed while collection is paused, the rows' tuples leave the collector's count;
            # freed after it, the collection that resuming starts scans them (10 ms at 100,000)
            del rows
        return lookup

    def __repr__(self) -> str:
        if self._search_meta is not None:
            return search_repr(self)
        return super().__repr__()

    def _repr_html_(self) -> str | None:
        # a search result shows its table in a notebook; other querysets keep Django's repr
        if self._search_meta is not None:
            return search_display_df(self).to_html()
        return None


class RecordManager(models.Manager.from_queryset(RecordQuerySet)):
    """The default manager of every registry (``Registry.objects``)."""


class RegistryBaseQuerySet(models.QuerySet):
    """Django's ``QuerySet``, for an instance that may lack a module's tables.

    Django's deletion (``Collector``) reads related rows with
    ``_base_manager.using(alias)``: for a module's registry that the instance lacks
    the query is empty, as tables that do not exist hold no rows. Any other query
    that needs such a table raises ``ln.errors.MissingModule``, as
    ``RecordQuerySet``'s do.
    """

    def using(self, alias: str | None) -> models.QuerySet:
        """Run on database ``alias``; no rows where its instance has no table for the registry."""
        qs = super().using(alias)
        return qs.none() if self.model._meta.db_table in absent_tables(alias or "default") else qs

    @property
    def db(self) -> str:
        """The database alias the query runs on; see ``RecordQuerySet.db``."""
        alias = super().db
        _check_tables(self, alias)
        return alias


class RegistryBaseManager(models.Manager.from_queryset(RegistryBaseQuerySet)):
    """The base manager of every registry (``Registry._base_manager``), in place of
    Django's plain one.

    Django reads related rows through a registry's base manager when it deletes
    (``Collector``: cascades, ``PROTECT`` checks): deleting an artifact on an
    instance without a module finds no rows in the module's link tables, which
    that instance does not have, instead of failing on them. ``ln.save`` and
    ``df(include=...)`` read and insert through it too: there a query that needs
    such a table raises ``ln.errors.MissingModule``.
    """


def refuse_save_without_table(sender: type, *, using: str, **kwargs) -> None:
    """``pre_save`` handler: saving a record of a module that the instance lacks raises
    ``ln.errors.MissingModule`` (``bulk_create`` is checked by ``RecordQuerySet.db``).
    """
    absent = absent_tables(using)
    if absent and sender._meta.db_table in absent:
        raise missing_module_error(sender._meta.db_table, using)
