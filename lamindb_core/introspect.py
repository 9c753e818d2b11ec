"""What registries are made of: the one answer to the questions every face asks about them.

- Registries by name: ``registries()``, ``registry_by_name("bt.CellType")``, and how a
  notebook writes them (``python_name``: ``ln.ULabel``; ``variable_name``: ``ulabel``).
- Fields: their order in ``df()`` (``display_field_names``), paths such as
  ``created_by__name`` (``resolve_path``), and the relations the browsers show.
- The field that names a record (``name_field``): ``name``, ``key``, ``symbol``, ...
- A field's type (``field_type``): its dtype as ``ln.view`` writes it, its kind for the
  filter rows (text, number, datetime, bool, other) and the Python values it takes.
- Filter lookups: the Django lookups a field has (``lookups_for``) and the operators of a
  filter row (``FILTER_OPERATORS``: the widget's words and the Django lookups they send).

The library, the ``%ln`` magic, the widget browser and the REST API all ask here, so they
agree. Nothing here imports a registry: registries come in as arguments, or from Django's
app registry for the modules of the current instance.

Example:
    >>> from lamindb_core import introspect
    >>> model = introspect.registry_by_name("ln.ULabel")
    >>> introspect.name_field(model), introspect.field_kind(model, "created_at")
    ('name', 'datetime')
    >>> introspect.OPERATORS["starts with"]
    'istartswith'
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Lookup

from . import errors
from .instance import absent_tables, current_instance, ensure_django

__all__ = [
    "FIELD_TYPES",
    "FILTER_OPERATORS",
    "MODULE_ALIASES",
    "NOTEBOOK_ALIASES",
    "OPERATORS",
    "FieldType",
    "Operator",
    "display_field_names",
    "field_choices",
    "field_dtype",
    "field_help",
    "field_kind",
    "field_type",
    "is_text_field",
    "is_visible",
    "lookups_for",
    "module_of",
    "name_field",
    "offered_lookups",
    "operator_word",
    "operators_for",
    "plural_name",
    "python_name",
    "qualified_name",
    "registries",
    "registries_by_module",
    "registry_by_name",
    "resolve_path",
    "snake_name",
    "text_fields",
    "to_many_relations",
    "to_one_relations",
    "variable_name",
]


# -- registries ------------------------------------------------------------------------

# module names that users write in front of a registry: ln.ULabel, bt.CellType, bionty.Gene
MODULE_ALIASES = {
    "ln": "core", "lamindb": "core", "lamindb_core": "core", "core": "core",
    "bt": "bio", "bionty": "bio", "bio": "bio",
    "custom": "custom",
}
# how a notebook imports a module: `import lamindb_core as ln`, `import lamindb_core.bio as bt`;
# a registry of another module (one defined in the notebook) goes by its class name
NOTEBOOK_ALIASES = {"core": "ln", "bio": "bt"}


def module_of(model: type[models.Model]) -> str:
    """The module a registry belongs to: ``core``, ``bio``, ``custom``, ..."""
    return model._meta.app_label


def qualified_name(model: type[models.Model]) -> str:
    """The registry's name with its module: ``core.ULabel``, ``bio.CellType``."""
    return f"{module_of(model)}.{model.__name__}"


def _is_registry(model: type[models.Model]) -> bool:
    # link tables (ArtifactULabel) and Django's automatic through tables are no registries
    return not getattr(model, "_is_link_table", False) and not model._meta.auto_created


def registries_by_module(modules: Iterable[str] | None = None) -> dict[str, list[type[models.Model]]]:
    """The registries of each module of the current instance, core first, each sorted by name.

    Link tables are left out; ``custom`` holds registries defined in user code.
    Configures Django for the current instance if nothing has yet (a fresh process).

    Args:
        modules: Only these modules (``["core", "bio"]``).

    Example:
        >>> [m.__name__ for m in registries_by_module(["core"])["core"]][:3]
        ['Artifact', 'Collection', 'Feature']
    """
    ensure_django()
    enabled = list(dict.fromkeys(["core", *current_instance().modules, "custom"]))
    if modules is not None:
        wanted = set(modules)
        enabled = [m for m in enabled if m in wanted]
    result: dict[str, list[type[models.Model]]] = {}
    for module in enabled:
        try:
            config = apps.get_app_config(module)
        except LookupError:  # a module that is not installed in this process
            continue
        found = sorted((m for m in config.get_models() if _is_registry(m)), key=lambda m: m.__name__)
        if found:
            result[module] = found
    return result


def registries() -> dict[str, type[models.Model]]:
    """The registries of the current instance by name (``"ULabel"``), core first.

    A registry whose name another module's registry took first is listed as
    ``module.Name`` (``"custom.Gene"``). ``ln.view()`` leaves ``User`` and ``Space``
    out; the browsers and the magic offer them.

    Example:
        >>> registries()["ULabel"]
        <class 'lamindb_core.models.ulabel.ULabel'>
    """
    result: dict[str, type[models.Model]] = {}
    for found in registries_by_module().values():
        for model in found:
            result[model.__name__ if model.__name__ not in result else qualified_name(model)] = model
    return result


def registry_by_name(name: str, known: Mapping[str, type[models.Model]] | None = None) -> type[models.Model]:
    """The registry called ``name``: ``ULabel``, ``ulabel``, ``core.ULabel``, ``ln.ULabel``,
    ``bt.CellType``, ``bionty.CellType``.

    A name without a module means the first registry of that name (core first); case
    does not matter.

    Args:
        name: The name as a user writes it.
        known: The registries to look in; those of the current instance by default.

    Raises:
        ln.errors.NotFound: ``no registry 'ULabl' in this instance. Did you mean 'ULabel'?
            Registries: Artifact, ...``.
    """
    known = registries() if known is None else known
    if name in known:
        return known[name]
    module, dot, bare = name.strip().rpartition(".")
    module = MODULE_ALIASES.get(module.lower(), module.lower()) if dot else ""
    for model in dict.fromkeys(known.values()):  # in the table's order: core first
        if model.__name__.lower() == bare.lower() and (not dot or module_of(model) == module):
            return model
    raise errors.NotFound(
        f"no registry {name!r} in this instance.{errors.closest_match_hint(name, known)} "
        f"Registries: {', '.join(known)}"
    )


def python_name(model: type[models.Model]) -> str:
    """The expression that names a registry in a notebook: ``ln.ULabel``, ``bt.CellType``."""
    alias = NOTEBOOK_ALIASES.get(module_of(model))
    return f"{alias}.{model.__name__}" if alias else model.__name__


def snake_name(name: str) -> str:
    """``ULabel`` → ``ulabel``, ``CellType`` → ``cell_type``, ``RNA`` → ``rna``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def variable_name(model: type[models.Model]) -> str:
    """A variable for one record of a registry: ``ulabel``, ``cell_type``, ``feature_set``."""
    return snake_name(model.__name__)


def plural_name(model: type[models.Model]) -> str:
    """A variable for many records of a registry, as LaminDB's guide names a lookup:
    ``ulabels``, ``cell_types``."""
    return snake_name(model.__name__) + "s"


# -- fields ------------------------------------------------------------------------------

# fields that LaminDB lists after a registry's own fields, in this order
TAIL_FIELDS = ("version", "is_latest", "run_id", "created_at", "created_by_id", "updated_at", "aux", "_branch_code")
# bookkeeping that no face shows as data: the space a record lives in, its auxiliary JSON
HIDDEN_FIELDS = ("space", "aux")
# text fields that identify, version or fingerprint a record rather than name it
NOT_NAMES = frozenset({"uid", "version", "hash"})


def is_visible(field: models.Field) -> bool:
    """Whether the faces show a field: not private (``_branch_code``), not bookkeeping
    (``space``, ``aux``)."""
    return not field.name.startswith("_") and field.name not in HIDDEN_FIELDS


def display_field_names(model: type[models.Model]) -> list[str]:
    """The columns of ``df()`` in LaminDB's order: ``uid`` first, ``id``, the
    registry's own fields, foreign keys as ``<name>_id``, then the tracking
    fields (``version``, ``is_latest``, ``run_id``, ``created_at``,
    ``created_by_id``, ``aux``, ``_branch_code``). ``updated_at`` is left out, and
    so are the names in the registry's ``_df_hidden``.
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
    # columns a registry keeps out of df(), as LaminDB's own output shows them (Artifact.schema_id)
    names = [n for n in names if n not in getattr(model, "_df_hidden", ())]
    model._display_field_names = tuple(names)
    return names


def field_choices(model: type[models.Model]) -> list[str]:
    """The names a field path may use on a registry, sorted: fields and relations, forward
    and reverse, without hidden reverse accessors."""
    names = []
    for f in model._meta.get_fields():
        if f.name.endswith("+") or (f.is_relation and f.auto_created and f.related_name == "+"):
            continue
        names.append(f.name)
    return sorted(set(names))


def resolve_path(model: type[models.Model], path: str) -> tuple[models.Field | None, bool]:
    """Follow ``"created_by__name"`` from ``model``.

    Returns:
        The last field (the related registry's primary key where the path ends at a
        relation) and whether the path crosses a to-many relation.

    Raises:
        ln.errors.FieldValidationError: a part of the path does not exist; the
            message names the closest field.

    Example:
        >>> resolve_path(ln.ULabel, "parents__name")
        (<django.db.models.fields.CharField: name>, True)
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
            choices = field_choices(current)
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


def field_help(model: type[models.Model], path: str) -> str:
    """What a field path holds, from the fields' ``help_text``, for a tooltip: a field's own
    text; along relations (``created_by__name``), each relation's text, then the field's.

    Returns:
        The text; ``""`` where no field of the path has one (a reverse relation has none).

    Raises:
        ln.errors.FieldValidationError: a part of the path does not exist.

    Example:
        >>> field_help(ln.ULabel, "created_by__handle")
        "The user who created the record: the current user by default. Its handle: Unique handle, ..."
    """
    resolve_path(model, path)  # names the closest field where a part does not exist
    texts = []
    current = model
    for i, part in enumerate(path.split("__")):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # an attname at the end, created_by_id
            field = next(f for f in current._meta.concrete_fields if f.attname == part)
        text = " ".join(str(getattr(field, "help_text", "")).split())
        if text:
            texts.append(text if i == 0 else f"Its {part}: {text}")
        if field.is_relation:
            current = field.related_model
    return " ".join(texts)


def to_one_relations(model: type[models.Model]) -> list[models.Field]:
    """The registry's visible foreign keys (``created_by``, ``run``), in field order."""
    return [
        f for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is not None and is_visible(f)
    ]


def to_many_relations(model: type[models.Model]) -> list:
    """The registry's visible to-many relations (``ulabels``, ``parents``, ``children``),
    forward and reverse, without link tables, hidden reverse accessors, and relations
    to registries of modules that the current instance lacks."""
    fields = []
    absent = absent_tables()
    for f in model._meta.get_fields():
        if not f.is_relation or not (f.many_to_many or f.one_to_many) or not is_visible(f):
            continue
        related = f.related_model
        if related is None or getattr(related, "_is_link_table", False) or f.name.endswith("+"):
            continue
        if related._meta.db_table in absent:
            continue
        fields.append(f)
    return fields


# by registry (a search asks four times); weak: a migration's historical models come and go
_TEXT_FIELDS: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()


def text_fields(model: type[models.Model]) -> list[str]:
    """The public text fields of a registry (``CharField``, ``TextField``), in field order."""
    names = _TEXT_FIELDS.get(model)
    if names is None:
        names = _TEXT_FIELDS[model] = tuple(
            f.name for f in model._meta.concrete_fields if is_text_field(f) and not f.name.startswith("_")
        )
    return list(names)


def name_field(model: type[models.Model]) -> str:
    """The field that names a record: in labels and details, relation paths
    (``created_by__name``), ``lookup()``, ``search()`` and a Curator's matching.

    The registry's ``_name_field`` if it declares one (``Gene``: ``symbol``); else
    ``name``; else ``key``; else its first public text field that is no uid, version
    or hash (``Storage``: ``root``); else ``uid``; else the primary key (``id``), for a
    registry without a text field that names its records (``FeatureValue``).

    Example:
        >>> name_field(ln.ULabel), name_field(ln.Artifact), name_field(bt.Gene)
        ('name', 'key', 'symbol')
    """
    declared = getattr(model, "_name_field", None)
    if declared:
        return declared
    names = text_fields(model)
    for preferred in ("name", "key"):
        if preferred in names:
            return preferred
    others = [n for n in names if n not in NOT_NAMES]
    if others:
        return others[0]
    return "uid" if "uid" in names else model._meta.pk.name


# -- field types -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldType:
    """What a kind of field means to the faces.

    Attributes:
        dtype: The dtype that ``ln.view`` writes under a column: ``str``, ``int``,
            ``float``, ``num``, ``bool``, ``date``, ``datetime``, ``dict``.
        kind: What a filter row compares it as: ``text``, ``number``, ``datetime``,
            ``bool`` or ``other``; it decides the operators offered.
        accepts: The Python types a record's value may have (checked when a record is
            made); empty where anything JSON-able goes.
        rejects: Subtypes of ``accepts`` that are still wrong (``True`` is no ``int``).
    """

    dtype: str
    kind: str
    accepts: tuple[type, ...] = ()
    rejects: tuple[type, ...] = ()


_TEXT = FieldType("str", "text", (str,))
# The one table of field types: the first class a field is an instance of decides, so a
# subclass comes before its base (DateTimeField is a DateField; BigAutoField an IntegerField).
FIELD_TYPES: tuple[tuple[type[models.Field], FieldType], ...] = (
    (models.BooleanField, FieldType("bool", "bool", (bool,))),
    (models.CharField, _TEXT),
    (models.TextField, _TEXT),
    (models.DateTimeField, FieldType("datetime", "datetime", (dt.datetime,))),
    (models.DateField, FieldType("date", "datetime", (dt.date,), (dt.datetime,))),
    (models.FloatField, FieldType("float", "number", (numbers.Real, decimal.Decimal), (bool,))),
    (models.DecimalField, FieldType("num", "number", (numbers.Real, decimal.Decimal), (bool,))),
    (models.IntegerField, FieldType("int", "number", (numbers.Integral,), (bool,))),
    (models.JSONField, FieldType("dict", "other")),
)


def field_type(field: models.Field | None) -> FieldType | None:
    """The ``FieldType`` of a field; None for a relation or a field the table has not."""
    if field is None or field.is_relation:
        return None
    for field_class, ftype in FIELD_TYPES:
        if isinstance(field, field_class):
            return ftype
    return None


def is_text_field(field: models.Field | None) -> bool:
    """Whether a field holds text (``CharField``, ``TextField`` and their subclasses)."""
    ftype = field_type(field)
    return ftype is not None and ftype.kind == "text"


def field_dtype(field: models.Field | None) -> str:
    """The dtype of a field as ``ln.view`` writes it (``str``, ``int``, ...); ``int`` for a
    foreign key, the class name for a field the table has not, ``""`` for None."""
    if field is None:
        return ""
    if field.is_relation:
        return "int"
    ftype = field_type(field)
    return ftype.dtype if ftype is not None else type(field).__name__


def field_kind(model: type[models.Model], path: str) -> str:
    """``text``, ``number``, ``bool``, ``datetime`` or ``other`` for a field path.

    Raises:
        ln.errors.FieldValidationError: no such path.
    """
    target, _ = resolve_path(model, path)
    ftype = field_type(target)
    return ftype.kind if ftype is not None else "other"


# -- filter lookups ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """A filter condition as the faces offer it.

    Attributes:
        lookup: The Django lookup it sends (``icontains``); ``ne`` is this project's one
            addition: not equal, which excludes the records that are.
        word: What the widget's filter row shows (``contains``); None where the row
            offers no word for it and only the REST API and the panel take it.
        kinds: The field kinds it is offered for.
    """

    lookup: str
    word: str | None
    kinds: tuple[str, ...]


_ANY = ("text", "number", "datetime", "bool", "other")
_NOT_BOOL = ("text", "number", "datetime", "other")
_ORDERED = ("number", "datetime", "other")
# The one table of filter operators. A filter row shows the words in this order; the panel
# offers the lookups in this order; a person typing in a filter row means any case.
FILTER_OPERATORS: tuple[Operator, ...] = (
    Operator("icontains", "contains", ("text",)),
    Operator("exact", "=", _ANY),
    Operator("ne", "!=", _NOT_BOOL),
    Operator("istartswith", "starts with", ("text",)),
    Operator("iendswith", "ends with", ("text",)),
    Operator("gt", ">", _ORDERED),
    Operator("gte", ">=", _ORDERED),
    Operator("lt", "<", _ORDERED),
    Operator("lte", "<=", _ORDERED),
    Operator("in", "in", _NOT_BOOL),
    Operator("isnull", "is null", _ANY),
    Operator("contains", None, ("text",)),
    Operator("startswith", None, ("text",)),
    Operator("endswith", None, ("text",)),
    Operator("iexact", None, ("text",)),
    Operator("range", None, _ORDERED),
)
# a filter row's word -> the Django lookup it sends
OPERATORS: dict[str, str] = {op.word: op.lookup for op in FILTER_OPERATORS if op.word}
_WORDS = {lookup: word for word, lookup in OPERATORS.items()}


def operator_word(lookup: str) -> str:
    """The word a filter row shows for a lookup (``gt`` → ``>``), or the lookup itself."""
    return _WORDS.get(lookup, lookup)


def lookups_for(field: models.Field | None) -> list[str]:
    """The lookups a filter on ``field`` may use, sorted: those Django registers for the
    field (``field.get_lookups()``, without transforms such as ``year``) and ``ne``.

    Example:
        >>> lookups_for(ln.ULabel._meta.get_field("name"))[:4]
        ['contains', 'endswith', 'exact', 'gt']
    """
    if field is None:
        field = models.IntegerField()
    names = {name for name, cls in field.get_lookups().items() if isinstance(cls, type) and issubclass(cls, Lookup)}
    return sorted(names | {"ne"})


def _offered(model: type[models.Model], path: str) -> list[Operator]:
    target, _ = resolve_path(model, path)
    ftype = field_type(target)
    kind = ftype.kind if ftype is not None else "other"
    valid = set(lookups_for(target))
    return [op for op in FILTER_OPERATORS if kind in op.kinds and op.lookup in valid]


def operators_for(model: type[models.Model], path: str) -> tuple[str, ...]:
    """The words a widget's filter row offers for a field: ``contains`` for text, ``>``
    for numbers and dates, ``=`` and ``is null`` for booleans.

    Example:
        >>> operators_for(ln.ULabel, "is_concept")
        ('=', 'is null')
    """
    return tuple(op.word for op in _offered(model, path) if op.word)


def offered_lookups(model: type[models.Model], path: str) -> list[str]:
    """The lookups the JupyterLab panel offers for a field, in the table's order:
    ``icontains`` first for text, then ``exact``, ``ne``, ... (the REST API takes every
    lookup of ``lookups_for``).

    Example:
        >>> offered_lookups(ln.ULabel, "is_concept")
        ['exact', 'isnull']
    """
    return [op.lookup for op in _offered(model, path)]
