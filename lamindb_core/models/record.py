"""The abstract ``Record`` and the mixins that registries share.

``BasicRecord`` is any registry; ``Record`` adds ``aux``, ``_branch_code`` and
``space``. ``TracksRun`` adds ``run``, ``created_at`` and ``created_by``;
``TracksUpdates`` adds ``updated_at``; ``IsVersioned`` adds ``version`` and
``is_latest``.
"""

from __future__ import annotations

from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.db.models.base import DEFERRED, ModelState
from django.db.models.fields.related import ForeignKey
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from .. import errors
from ..context import current_run_id
from ..dtypes import json_value, text_problem
from ..instance import current_user_id
from ..introspect import field_type, is_text_field
from ..logger import logger
from ..query import RecordManager, blocked_delete_error, plain_delete
from ..render import record_repr
from ..transfer import transfer_to_default
from ..uids import base62, increment_base62
from .registry import Registry

__all__ = ["BasicRecord", "Record", "TracksRun", "TracksUpdates", "IsVersioned"]

_attributes = attrgetter("__dict__")  # a record's attribute values by name, read fast
_model_state_attributes = attrgetter("_state.__dict__")

# Help texts that many registries share, core and modules alike: every registry's id, and the
# fields that each link of an artifact to a label has (ArtifactULabel, ArtifactCellType, ...).
ID_HELP = "Internal id, valid only in this instance's database; uid is valid across instances."
LINK_FEATURE_HELP = (
    "The feature the label was added for (artifact.labels.add(label, feature=...), ln.Curator); "
    "None if it was added without one."
)
LABEL_REF_IS_NAME_HELP = "Whether the data names the label by its name (True) or by an id (False); None if unknown."
FEATURE_REF_IS_NAME_HELP = "Whether the data names the feature by its name (True) or by an id (False); None if unknown."


def _storable_problem(model: type, field: models.Field, value: Any) -> str | None:
    """Why a text or JSON field's value cannot be stored on every backend (a NUL
    character, a lone surrogate; NaN, infinity or a set in JSON), or None."""
    if isinstance(value, str) and is_text_field(field):
        problem = text_problem(value)
    elif value is not None and isinstance(field, models.JSONField):
        try:
            json_value(value)
            problem = None
        except ValueError as exc:
            problem = str(exc)
    else:
        return None
    if problem is None:
        return None
    shown = value if not isinstance(value, str) or len(value) <= 60 else value[:57] + "..."
    return f"{model.__name__}.{field.name}: {shown!r} {problem}"


def _text_fields(model: type) -> list[models.Field]:
    """The concrete text and JSON fields of a registry, whose values are checked at save."""
    cached = model.__dict__.get("_text_field_list")
    if cached is None:
        cached = [
            f for f in model._meta.concrete_fields
            if is_text_field(f) or isinstance(f, models.JSONField)
        ]
        model._text_field_list = cached
    return cached


def _check_value(model: type, field: models.Field, value: Any) -> None:
    problem = _storable_problem(model, field, value)
    if problem:
        raise errors.ValidationError(problem)
    if value is None:
        if not field.null and not field.has_default() and not field.primary_key:
            raise errors.ValidationError(f"{model.__name__}.{field.name} cannot be None")
        return
    ftype = field_type(field)
    if ftype is None or not ftype.accepts:
        return
    if isinstance(value, ftype.rejects) or not isinstance(value, ftype.accepts):
        raise errors.ValidationError(
            f"{model.__name__}.{field.name} expects {ftype.dtype}, got {value!r} ({type(value).__name__})"
        )
    if ftype.kind == "text" and field.max_length is not None and len(value) > field.max_length:
        raise errors.ValidationError(
            f"{model.__name__}.{field.name} takes at most {field.max_length} characters, "
            f"got {len(value)}"
        )


# How _InitPlan checks a constructor keyword: a plain field's value (text has a short way),
# a foreign key's id (as Django: not checked), a foreign key's record.
_CHECK_VALUE, _CHECK_TEXT, _CHECK_NONE, _CHECK_RECORD = range(4)
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _class_attribute(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


_ABSENT = object()  # a value not in a record's __dict__ (deferred)


def _related_unchanged(cache: dict, values: dict, relations: dict) -> bool:
    """Whether Django's ``_prepare_related_fields_for_save`` would change nothing and raise
    nothing for a record whose cached related objects are ``cache`` and whose attribute values
    are ``values``: every cached object of a foreign key is saved and is the one its id names
    (the default storage of 500 artifacts: a few dict lookups each, not Django's walk through
    every field of each record, a tenth of their ``ln.save``'s instructions)."""
    for name, obj in cache.items():
        relation = relations.get(name)
        if relation is None or obj is None:
            continue  # no concrete foreign key's object (a reverse one-to-one's), or none
        attname, target, empty = relation
        related = obj.__dict__
        pk = related.get(obj._meta.pk.attname)
        value = values.get(attname, _ABSENT)
        if (pk is None or isinstance(pk, tuple) or value is _ABSENT or value in empty
                or related.get(target, _ABSENT) != value):
            return False  # deferred, unsaved, changed since: Django's own check says what to do
    return True


def _same_related_unchanged(caches: list[dict], states: list[dict], relations: dict) -> bool:
    """``_related_unchanged`` of every record at once where all cache the same foreign keys'
    objects, each object of a key with the same primary key, which is what every record's key
    holds (500 artifacts, each with its own record of the one storage): read and compared in C;
    False where that does not say (then record by record)."""
    first = caches[0]
    n = len(caches)
    if not all(caches) or list(map(len, caches)).count(len(first)) != n:  # one caches none
        return False
    for name in first:
        try:
            objs = list(map(itemgetter(name), caches))
        except KeyError:  # a record caches another object
            return False
        relation = relations.get(name)
        if relation is None:
            continue  # no concrete foreign key's object (a reverse one-to-one's)
        attname, target, empty = relation
        kind = type(objs[0])
        if (set(map(type, objs)) != {kind} or hasattr(kind, "__bool__") or hasattr(kind, "__len__")
                or target != kind._meta.pk.attname):
            return False  # a falsy object, or a key to another field than the primary key
        try:
            held = list(map(itemgetter(target), map(_attributes, objs)))
            ids = list(map(itemgetter(attname), states))
        except KeyError:  # deferred
            return False
        pk = held[0]
        if pk is None or isinstance(pk, tuple) or pk in empty or held.count(pk) != n or ids.count(pk) != n:
            return False
    return True


class _InitPlan:
    """What constructing a record of one registry from keywords does, worked out once.

    Django's ``Model.__init__`` asks every field for its default and sets it through
    ``setattr`` (about 15 µs a ``ULabel``); for the keywords that name fields, this does
    the same in a few dict operations: the constant defaults are copied from one dict,
    default callables (a uid, the current user, the current run) are called for each
    record unless their field is given, ids and plain values go into ``__dict__`` as
    Django's attribute descriptors put them, and a related record is set through its
    descriptor (which caches it and sets ``_state.db``). ``pre_init`` and ``post_init``
    are sent as Django sends them. Anything else (a property, a deferred value, a field
    whose attribute is not Django's plain descriptor, an abstract class) takes Django's
    own path, after the same checks.
    """

    def __init__(self, cls: type):
        opts = cls._meta
        # key -> (field, how to check it)
        self.keys: dict[str, tuple[models.Field, int]] = {}
        for key, field in cls._init_fields().items():
            if field.many_to_many:
                self.keys[key] = (field, _CHECK_NONE)
            elif field.is_relation:
                self.keys[key] = (field, _CHECK_RECORD if key == field.name else _CHECK_NONE)
            else:
                ftype = field_type(field)
                text = ftype is not None and ftype.kind == "text" and not isinstance(field, models.JSONField)
                self.keys[key] = (field, _CHECK_TEXT if text else _CHECK_VALUE)
        self.property_names = opts._property_names
        self.uid_length = cls._uid_length()
        # the fields Django's keyword path sets, in its order
        fields = [f for f in opts.fields if f.column is not None and not f.generated]
        self.fast = not opts.abstract and all(
            type(_class_attribute(cls, f.attname)) in _PLAIN_DESCRIPTORS
            and (not f.is_relation or isinstance(f, ForeignKey))
            for f in fields
        )
        self.defaults: dict[str, Any] = {}  # attname -> constant default (None where called)
        # (name, attname, default function, related model, its key) of defaults called per record
        self.called: list[tuple[str, str, Any, Any, str | None]] = []
        self.attnames: dict[str, str] = {}  # a plain value's key -> attname
        self.related: dict[str, int] = {}  # a foreign key's name -> its position
        for position, f in enumerate(fields):
            self.defaults[f.attname] = None
            if isinstance(f, ForeignKey):
                self.related[f.name] = position
            self.attnames[f.attname] = f.attname
            get_default = type(f).get_default
            if f.has_default() and callable(f.default) and get_default is models.Field.get_default:
                self.called.append((f.name, f.attname, f.default, None, None))
            elif f.has_default() and callable(f.default) and get_default is ForeignKey.get_default:
                # ForeignKey.get_default: a record that the default returns stands for its id
                target = f.target_field.attname
                self.called.append((f.name, f.attname, f.default, f.remote_field.model, target))
            elif (f.has_default() and callable(f.default)) or f.has_db_default() or get_default not in (
                models.Field.get_default, ForeignKey.get_default
            ):
                self.called.append((f.name, f.attname, f.get_default, None, None))
            else:
                # Django's default for this field is the same object every time
                self.defaults[f.attname] = f.get_default()

    def check(self, cls: type, kwargs: dict[str, Any]) -> bool:
        """Raise if a keyword is no field, a many-to-many field or a value its field
        cannot hold; return whether ``build`` can construct the record."""
        uid = kwargs.get("uid")
        length = self.uid_length
        if length is not None and isinstance(uid, str) and len(uid) != length:
            # LaminDB's check: a uid of another length is a typo or a stem, never a record
            raise errors.ValidationError(f"`uid` must be exactly {length} characters long, got {len(uid)}.")
        fast = self.fast
        keys = self.keys
        for key, value in kwargs.items():
            entry = keys.get(key)
            if entry is None:
                if key in self.property_names:
                    fast = False
                    continue
                valid = [n for n in cls._init_fields() if n != "id"]
                raise errors.FieldValidationError(errors.unknown_field(cls.__name__, key, valid))
            field, how = entry
            if value is DEFERRED:
                fast = False  # Django leaves the field deferred; checked below as before
            if how == _CHECK_TEXT:
                if type(value) is not str or text_problem(value) is not None or (
                    field.max_length is not None and len(value) > field.max_length
                ):
                    _check_value(cls, field, value)
            elif how == _CHECK_VALUE:
                _check_value(cls, field, value)
            elif field.many_to_many:
                raise errors.FieldValidationError(
                    f"{cls.__name__}.{key} is a many-to-many field: save the record first, "
                    f"then call record.{key}.add(...)"
                )
            elif how == _CHECK_RECORD:
                if value is not None and not isinstance(value, field.related_model):
                    raise errors.ValidationError(
                        f"{cls.__name__}.{key} expects a {field.related_model.__name__} record, "
                        f"got {value!r} ({type(value).__name__})"
                    )
                if field.attname in kwargs:
                    fast = False
        return fast

    def build(self, record: models.Model, cls: type, kwargs: dict[str, Any]) -> None:
        """Set up ``record`` as Django's ``Model.__init__(**kwargs)`` would, for
        keywords that ``check`` accepted."""
        if pre_init.receivers:  # what send() checks first
            pre_init.send(sender=cls, args=(), kwargs=kwargs)
        values = record.__dict__
        values["_state"] = ModelState()
        values.update(self.defaults)  # Django's order: _state, then the fields
        for name, attname, default, model, target in self.called:
            if name not in kwargs and attname not in kwargs:
                value = default()
                if model is not None and isinstance(value, model):
                    value = getattr(value, target)
                values[attname] = value
        related = None
        attnames = self.attnames
        for key, value in kwargs.items():
            attname = attnames.get(key)
            if attname is not None:
                values[attname] = value
            else:
                if related is None:
                    related = []
                related.append((self.related[key], key, value))
        if related is not None:
            # through the descriptor, in field order, as Django: it checks the type,
            # caches the record, sets the id and the record's database
            for _, name, value in sorted(related, key=lambda item: item[0]):
                setattr(record, name, value)
        if post_init.receivers:
            post_init.send(sender=cls, instance=record)


class BasicRecord(models.Model, metaclass=Registry):
    """Any registry: a Django model with LaminDB's query API and checks.

    Constructor keywords are checked: an unknown field is an error that names
    the closest field, and a value of the wrong type is an error that names the
    field.
    """

    objects = RecordManager()

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs):
        # Django builds records from the database with one positional value per
        # column; user construction passes keywords
        if args:
            if len(args) != len(self._meta.concrete_fields):
                raise ValueError("please provide keyword arguments, not plain arguments")
            super().__init__(*args, **kwargs)
            return
        cls = type(self)
        plan = cls.__dict__.get("_init_plan_cache")
        if plan is None:
            plan = cls._init_plan_cache = _InitPlan(cls)
        if not plan.check(cls, kwargs):
            # a property, a deferred value, an id and an object for the same field: Django's way
            super().__init__(**kwargs)
            return
        plan.build(self, cls, kwargs)

    @classmethod
    def _init_fields(cls) -> dict[str, models.Field]:
        cached = cls.__dict__.get("_init_field_map")
        if cached is None:
            cached = {}
            for f in cls._meta.concrete_fields:
                cached[f.name] = f
                cached[f.attname] = f
            for f in cls._meta.many_to_many:
                cached[f.name] = f
            cls._init_field_map = cached
        return cached

    @classmethod
    def _required_fields(cls) -> list[models.Field]:
        cached = cls.__dict__.get("_required_field_list")
        if cached is None:
            cached = [
                f for f in cls._meta.concrete_fields
                if not f.null and not f.has_default() and not f.primary_key
                and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
            ]
            cls._required_field_list = cached
        return cached

    def _check_required(self) -> None:
        """Raise if a field without default has no value (an empty name, a missing storage)."""
        missing = [
            f.name for f in self._required_fields()
            if getattr(self, f.attname) is None or getattr(self, f.attname) == ""
        ]
        if missing:
            cls = type(self)
            raise errors.ValidationError(
                f"cannot save {cls.__name__}: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} required"
            )

    def _check_kwargs(self, kwargs: dict[str, Any]) -> None:
        """Raise if a constructor keyword is no field, a many-to-many field, or a
        value its field cannot hold (the constructor calls it through ``_InitPlan``)."""
        cls = type(self)
        plan = cls.__dict__.get("_init_plan_cache")
        if plan is None:
            plan = cls._init_plan_cache = _InitPlan(cls)
        plan.check(cls, kwargs)

    @classmethod
    def _uid_length(cls) -> int | None:
        """The exact length of a uid passed to the constructor, or None if any is taken.

        Registries set ``_len_full_uid`` where LaminDB checks it (``Transform``,
        ``Run``, ``ULabel``); versioned registries check their uid's length.
        """
        length = getattr(cls, "_len_full_uid", None)
        if length is None and issubclass(cls, IsVersioned):
            length = cls._meta.get_field("uid").max_length
        return length

    def __repr__(self) -> str:
        return record_repr(self)

    __str__ = __repr__

    # -- saving --------------------------------------------------------------

    def _unique_lookup(self) -> Q | None:
        """A query for records that share a unique value with this one (not ``id``)."""
        query = None
        for f in self._meta.concrete_fields:
            if f.unique and not f.primary_key:
                value = getattr(self, f.attname)
                if value is not None:
                    part = Q(**{f.attname: value})
                    query = part if query is None else query | part
        for constraint in self._meta.total_unique_constraints:
            if constraint.condition is None:
                values = {name: getattr(self, self._meta.get_field(name).attname) for name in constraint.fields}
                if all(v is not None for v in values.values()):
                    part = Q(**values)
                    query = part if query is None else query | part
        return query

    @classmethod
    def _check_storable_many(cls, records: list[models.Model]) -> None:
        """Refuse records with text that no database stores (a NUL character, a
        lone surrogate) in any text or JSON field, naming the registry and the
        field; ``save()`` and ``ln.save()`` call it before they write anything.

        The same on SQLite (which would store NUL) and PostgreSQL (which refuses
        it); a lone surrogate cannot be encoded as UTF-8 at all. One regular
        expression search per field over all the records' values.

        Raises:
            ln.errors.ValidationError: ``cannot save ULabel: ULabel.name: 'a\\x00' contains a NUL character ...``
        """
        kinds = set(map(type, records))
        by_model: dict[type, list[models.Model]] = {kinds.pop(): records} if len(kinds) == 1 else {}
        if not by_model:
            for record in records:
                by_model.setdefault(type(record), []).append(record)
        for model, group in by_model.items():
            states = list(map(_attributes, group))
            for field in _text_fields(model):
                name = field.attname
                if isinstance(field, models.JSONField):
                    try:
                        values = list(map(itemgetter(name), states))
                    except KeyError:  # a deferred field
                        values = [s.get(name) for s in states]
                    suspects = [v for v in values if v is not None] if values.count(None) < len(values) else []
                else:
                    # one search over all values at once; a record at a time only on a hit
                    try:
                        # every value a string or None (empty strings go too), read in C
                        joined = "".join(filter(None, map(itemgetter(name), states)))
                    except (KeyError, TypeError):  # a deferred field, a value of another type
                        joined = "".join(v for v in (s.get(name) for s in states) if isinstance(v, str))
                    suspects = []
                    if joined and text_problem(joined):
                        suspects = [v for v in (s.get(name) for s in states) if isinstance(v, str)]
                for value in suspects:
                    problem = _storable_problem(model, field, value)
                    if problem:
                        raise errors.ValidationError(f"cannot save {model.__name__}: {problem}")

    @classmethod
    def _cached_relations(cls) -> dict[str, tuple[str, str, Any]]:
        """For each concrete foreign key, by the name under which a record caches its related
        object: the key's attribute (``storage_id``), the related record's attribute that it
        holds (``id``) and the values that count as empty."""
        cached = cls.__dict__.get("_cached_relation_map")
        if cached is None:
            cached = {
                f.cache_name: (f.attname, f.target_field.attname, f.empty_values)
                for f in cls._meta.concrete_fields if f.is_relation
            }
            cls._cached_relation_map = cached
        return cached

    @classmethod
    def _prepare_new_many(cls, records: list[models.Model]) -> None:
        """What ``save()`` does to a new record before its INSERT, for the new records of one
        ``ln.save()``: foreign keys to records saved earlier in the call, the registry's
        defaults (:meth:`_fill_defaults`), the required fields.

        Only a record that holds a related object goes through Django's check of it (one made
        with ``created_by_id=...`` or the defaults holds none); ``_fill_defaults`` runs only
        where a registry has its own; the required fields are read a field at a time, and the
        first record that misses one raises what its own ``save()`` would.
        """
        # the records that hold a related object, read without the descriptor of
        # ModelState.fields_cache (which makes a dict for each record)
        caches = [state.get("fields_cache") for state in map(_model_state_attributes, records)]
        states = list(map(_attributes, records))
        if any(caches):
            relations = None if cls._meta.private_fields else cls._cached_relations()
            if relations is None or not _same_related_unchanged(caches, states, relations):
                for record, cache in compress(zip(records, caches), caches):
                    if relations is None or not _related_unchanged(cache, record.__dict__, relations):
                        record._prepare_related_fields_for_save(operation_name="save")
        cls._fill_defaults_many(records)
        for field in cls._required_fields():
            attname = field.attname
            try:
                values = list(map(itemgetter(attname), states))
            except KeyError:  # a deferred field: Django's descriptor loads it
                values = [getattr(record, attname) for record in records]
            if None in values or "" in values:
                for record, value in zip(records, values):
                    if value is None or value == "":
                        record._check_required()  # raises, naming every field this record misses

    def _fill_defaults(self) -> None:
        """Fill in values that a registry supplies when a new record is saved
        (an artifact's storage); ``save()`` and ``ln.save()`` both call it."""

    @classmethod
    def _fill_defaults_many(cls, records: list[models.Model]) -> None:
        """:meth:`_fill_defaults` of each record, for ``ln.save()`` (no call per record for a
        registry that does not override it)."""
        if cls._fill_defaults is not BasicRecord._fill_defaults:
            for record in records:
                record._fill_defaults()

    def _saves_alone(self) -> bool:
        """Whether ``ln.save()`` must call this record's ``save()`` instead of
        inserting it in bulk (an artifact that copies its file)."""
        return False

    @classmethod
    def _alone_among(cls, records: list[models.Model]) -> list[models.Model]:
        """The records of this registry that :meth:`_saves_alone` (none, without a call per
        record, for a registry that does not override it)."""
        if cls._saves_alone is BasicRecord._saves_alone:
            return []
        return [r for r in records if r._saves_alone()]

    @classmethod
    def _prepare_alone_many(cls, records: list, saved: list) -> Any:
        """What ``ln.save()`` does for records that ``_saves_alone`` before it opens
        its transaction, so that no write lock is held meanwhile (an artifact's
        file copies). Returns ``None``, or a function that ``ln.save()`` calls
        with ``True`` (committed) or ``False`` once its transaction has ended."""
        return None

    @classmethod
    def _save_alone_many(cls, records: list, saved: list) -> None:
        """Save records that ``_saves_alone``, appending each to ``saved`` once it
        is saved; registries override this to save many at once."""
        for record in records:
            record.save()
            saved.append(record)

    def _after_bulk_save(self) -> None:
        """Called once ``ln.save()`` succeeded, for each record it saved alone."""

    def _discard_after_rollback(self) -> None:
        """Undo what ``save()`` did outside the database, after ``ln.save()`` failed."""

    def _check_reuse(self, existing: BasicRecord) -> None:
        """Raise if returning ``existing`` instead of saving this record would be wrong.

        Registries override this: a ``Feature`` of the same name but another
        dtype is an error, not a duplicate.
        """

    def _adopt(self, existing: BasicRecord) -> None:
        self.__dict__.update({k: v for k, v in existing.__dict__.items() if k != "_state"})
        self._state.adding = False
        self._state.db = existing._state.db

    def save(self, *args, **kwargs) -> BasicRecord:
        """Save the record, and return it.

        A record read from another instance (``Registry.using``) is copied into
        the current instance, once. A new record whose unique field (a name, a
        uid) matches an existing record is not duplicated: this record takes on
        the existing one's values, with a warning. Where that would be wrong (same name, other meaning) a clear
        error is raised instead.

        Raises:
            ln.errors.ValidationError: a text field holds a NUL character or a lone
                surrogate (refused on every backend), a required field is empty,
                or the record conflicts with another; nothing is written.

        Example:
            >>> ulabel = ln.ULabel(name="my label").save()
        """
        self._check_storable_many([self])
        if self._state.db not in (None, DEFAULT_DB_ALIAS) and kwargs.get("using") is None:
            # read from another instance (Registry.using): copy it into this one
            return transfer_to_default(self)
        if self._state.adding:
            self._fill_defaults()
            self._check_required()
            lookup = self._unique_lookup()
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
            except IntegrityError as exc:
                existing = type(self).objects.filter(lookup).first() if lookup is not None else None
                if existing is None:
                    raise errors.ValidationError(
                        f"cannot save {type(self).__name__}: {exc}"
                    ) from exc
                self._check_reuse(existing)
                logger.warning(f"returning the existing record with the same unique value: {existing!r}")
                self._adopt(existing)
        else:
            super().save(*args, **kwargs)
        return self

    @plain_delete
    def delete(self, *args, permanent: bool | None = None, **kwargs) -> None:
        """Delete the record, for good.

        Args:
            permanent: Accepted for symmetry with ``Artifact.delete``; records of
                registries without a trash are always deleted for good, so
                ``False`` is an error.

        Raises:
            ln.errors.ValidationError: other records still point to this one and
                may not lose it; the message names them. Nothing is deleted.
        """
        if permanent is False:
            raise errors.InvalidArgument(f"{type(self).__name__} has no trash: .delete() deletes the record for good")
        try:
            with transaction.atomic():
                super().delete(*args, **kwargs)
        except (ProtectedError, RestrictedError) as exc:
            raise blocked_delete_error(repr(self), "it", exc) from None


class Record(BasicRecord):
    """Metadata record: the base class of every registry.

    Subclassing ``Record`` creates a registry (an SQL table); instantiating it
    creates a record.

    Example:
        >>> from lamindb_core import Record, fields
        >>> class Experiment(Record):
        ...     name: str = fields.CharField()
        >>> Experiment(name="my experiment").save()
        >>> Experiment.filter(name__startswith="my ").df()
    """

    aux = models.JSONField(
        default=None, null=True, blank=True,
        help_text="Auxiliary field for dictionary-like metadata.",
    )
    _branch_code = models.SmallIntegerField(
        default=1, db_index=True,
        help_text="Where the record is: 1 main, 0 archive, -1 trash; filter() shows only 1 unless the query names "
        "_branch_code.",
    )
    space = models.ForeignKey(
        "core.Space", models.PROTECT, default=1, related_name="+",
        help_text="The space in which the record lives; the space 'all' (id 1) by default.",
    )

    class Meta:
        abstract = True


class TracksRun(models.Model):
    """Adds ``run``, ``created_at`` and ``created_by``, filled in automatically."""

    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="+",
        help_text="The run that created the record: the run of ln.track() when it was saved, else None.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the record was created.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="+",
        help_text="The user who created the record: the current user by default.",
    )

    class Meta:
        abstract = True


class TracksUpdates(models.Model):
    """Adds ``updated_at``."""

    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="When the record was last saved.")

    class Meta:
        abstract = True


class IsVersioned(models.Model):
    """Adds ``version`` and ``is_latest``; the last 4 characters of ``uid`` count versions."""

    version = models.CharField(
        max_length=30, null=True, blank=True, db_index=True,
        help_text="A version label of your choice, e.g. '1.0'; the last 4 characters of uid count versions anyway.",
    )
    is_latest = models.BooleanField(
        default=True, db_index=True,
        help_text="Whether this is the latest version; saving a new version moves it there.",
    )

    class Meta:
        abstract = True

    # the record of which a new, unsaved record is the next version (``revises=``)
    _revises: Any = None

    @property
    def stem_uid(self) -> str:
        """The uid without its 4-character version suffix: shared by all versions."""
        return self.uid[:-4]

    @property
    def versions(self) -> Any:
        """All versions of this record, oldest first.

        Example:
            >>> transform.versions.df()
        """
        return type(self).filter(uid__startswith=self.stem_uid).order_by("id")

    @classmethod
    def _next_version(cls, revises: Any, version: str | None) -> tuple[str, Any]:
        """The uid of a new version of ``revises`` (or of a new family), and the
        record it revises: the latest of the family, if ``revises`` is not.

        Raises:
            TypeError: ``revises`` is a record of another registry.
            ValueError: ``version`` is not a string, or repeats the previous version.
        """
        if revises is not None and not isinstance(revises, cls):
            raise TypeError(f"`revises` has to be of type `{cls.__name__}`")
        if version is not None and not isinstance(version, str):
            raise ValueError("`version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc.")
        length = cls._meta.get_field("uid").max_length
        if revises is None:
            return base62(length - 4) + "0000", None
        if revises._state.adding:
            raise ValueError(f"save the {cls.__name__} that `revises` names first: {revises!r}")
        if not revises.is_latest:
            latest = cls.objects.filter(uid__startswith=revises.stem_uid, is_latest=True).order_by("-id").first()
            if latest is not None:
                logger.warning(f"didn't pass the latest version in `revises`, retrieved it: {latest!r}")
                revises = latest
        if version is not None and version == revises.version:
            raise ValueError(f"Please increment the previous version: '{revises.version}'")
        uids = cls.objects.filter(uid__startswith=revises.stem_uid).values_list("uid", flat=True)
        # base62 digits are in ASCII order: the largest suffix is the last version (the
        # startswith check again because SQLite's LIKE ignores case)
        last = max(uid[-4:] for uid in uids if uid.startswith(revises.stem_uid))
        return revises.stem_uid + increment_base62(last), revises

    def _save_version(self, save: Any) -> None:
        """Insert this new version with ``save()`` and make it the latest of its
        family, in one transaction: the previous latest is unmarked, in the
        database and in the ``revises`` record in memory."""
        cls = type(self)
        with transaction.atomic():
            cls.objects.filter(uid__startswith=self.stem_uid, is_latest=True).exclude(pk=self.pk).update(
                is_latest=False
            )
            save()
            # also when save() returned an existing record of the same uid: the family keeps a latest
            cls.objects.filter(pk=self.pk).update(is_latest=True)
            self.is_latest = True
        if self._revises is not None:
            self._revises.is_latest = False
        self._revises = None
