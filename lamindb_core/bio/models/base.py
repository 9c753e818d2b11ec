"""The abstract bio registries: ``BioRecord`` (a registry with a public source) and
``OntologyRecord`` (its ontology fields and parents).

``BioRecord`` adds the class methods that take a public source into account:
``public``, ``from_source``, ``from_values``, ``validate``, ``inspect``,
``standardize``. They are class methods on the model, so they take precedence
over the generic methods of the metaclass for bio registries only.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.db import models, transaction
from django.db.models import Q

from ... import errors, validation
from ...bulk import save as bulk_save
from ...logger import logger
from ...models.record import ID_HELP, Record, TracksRun, TracksUpdates
from ...uids import base62_8
from ...validation import InspectResult, RecordList
from ..public import PublicOntology
from ..settings import settings
from ..sources import SourceSpec, find_spec
from ..uids import hashed_uid
from .source import Source
from .synonyms import HasSynonyms

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BioRecord", "RecordList"]  # RecordList: the generic one, re-exported

# values per IN (...) query: well under SQLite's limit of host parameters
CHUNK = 500
# how many values a message lists
SHOWN = 10


_PUBLIC: dict[SourceSpec, PublicOntology] = {}
# Ensembl gene ids name their organism: ENSG... human, ENSMUSG... mouse
ENSEMBL_PREFIXES = (("ENSMUSG", "mouse"), ("ENSG", "human"))
# from_values: the records of public terms that share a value with the first one
# (genes of one symbol), collected while the generic from_values runs
_MORE_MATCHES: contextvars.ContextVar[dict | None] = contextvars.ContextVar("more_matches", default=None)


def _field_name(cls: type, field: Any) -> str:
    """``bt.Gene.symbol`` (a field attribute), ``"symbol"`` or None → a field name of ``cls``."""
    if field is None:
        return cls._name_field
    inner = getattr(field, "field", None)
    if inner is not None:
        if inner.model is not cls and not issubclass(cls, inner.model):
            raise errors.FieldValidationError(
                f"{inner.model.__name__}.{inner.name} is not a field of {cls.__name__}"
            )
        return inner.name
    if not isinstance(field, str):
        # as LaminDB: a registry or another object where a field belongs is a TypeError
        raise TypeError(f"field takes a field name or {cls.__name__}.<field>, got {field!r}")
    names = [f.name for f in cls._meta.concrete_fields]
    if field not in names:
        raise errors.FieldValidationError(
            f"{cls.__name__} has no field '{field}'.{errors.closest_match_hint(field, names)} "
            f"Fields: {', '.join(n for n in names if not n.startswith('_'))}"
        )
    return field


def _unique_strings(values: Any, cls: type) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if hasattr(values, "tolist"):
        values = values.tolist()
    result = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            continue
        if not isinstance(value, str):
            raise errors.InvalidArgument(f"{cls.__name__}.from_values() takes strings, got {value!r} ({type(value).__name__})")
        result.append(value)
    return list(dict.fromkeys(result))


def _closest_hint(value: str, pool: list) -> str:
    """``" Did you mean 'x'?"`` for the closest string of a large pool (rapidfuzz, not difflib: 100x faster)."""
    from rapidfuzz import fuzz, process

    match = process.extractOne(value, [v for v in pool if isinstance(v, str)], scorer=fuzz.ratio, score_cutoff=75)
    return f" Did you mean '{match[0]}'?" if match else ""


def _row_value(row, field: str, public: PublicOntology) -> Any:
    """A public row's value of ``field`` (its index is the id field)."""
    return row.name if field == public.id_field else row.get(field)


def _shown(values: list[str]) -> str:
    more = f" and {len(values) - SHOWN} more" if len(values) > SHOWN else ""
    return ", ".join(repr(v) for v in values[:SHOWN]) + more


class BioRecord(HasSynonyms, Record, TracksRun, TracksUpdates):
    """A registry whose records can come from a public source.

    Subclasses set ``_name_field`` (``name`` or ``symbol``), ``_id_field``
    (``ontology_id`` or ``ensembl_gene_id``) and ``_organism_dependent``.
    """

    _name_field: ClassVar[str] = "name"
    _id_field: ClassVar[str | None] = "ontology_id"  # None: no id of a public source (CellMarker)
    _organism_dependent: ClassVar[bool] = False
    # set on records made from a public row: the ontology ids of their parents
    _parent_ids: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs):
        # a term of a public source gets the uid its id hashes to, as in LaminDB: the
        # same term has the same uid in every instance (Django's own calls pass args)
        if kwargs and not args and not kwargs.get("uid"):
            key = type(self)._uid_key(kwargs)
            if key:
                kwargs["uid"] = hashed_uid(key, type(self)._meta.get_field("uid").max_length)
        super().__init__(*args, **kwargs)

    @classmethod
    def _uid_key(cls, kwargs: dict) -> str | None:
        """The text whose hash is a new record's uid: its ontology id (a gene's Ensembl
        id, else its stable id); None for a record without one (its uid is random)."""
        for name in (cls._id_field, "stable_id"):
            value = kwargs.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    # -- sources -------------------------------------------------------------

    @classmethod
    def _has_organism_field(cls) -> bool:
        return "organism" in {f.name for f in cls._meta.concrete_fields}

    @classmethod
    def _organism_name(cls, organism: Any) -> str | None:
        """The organism's name: the one passed, else ``bt.settings.organism``.

        Raises:
            ln.errors.OrganismNotSet: a registry whose records belong to an organism
                (``Gene``), and neither is set.
        """
        if not cls._organism_dependent:
            return None
        if organism is None:
            organism = settings.organism
            if organism is None and cls._has_organism_field():
                raise errors.OrganismNotSet(
                    f"{cls.__name__} requires to specify a organism name via `organism=` or `bt.settings.organism=`!"
                )
        name = getattr(organism, "name", organism)
        if name is not None and not isinstance(name, str):
            raise errors.InvalidArgument(f"organism takes a name such as 'human' or an Organism record, got {organism!r}")
        return name

    @classmethod
    def _organism_of_ids(cls, organism: Any, field: str, values: Any) -> Any:
        """For values of the id field (Ensembl gene ids) and no organism passed: the
        organism their prefix names (``ENSMUSG...``: mouse), as LaminDB infers it."""
        if organism is not None or field != cls._id_field or not cls._has_organism_field():
            return organism
        for value in values if not isinstance(values, str) else [values]:
            if isinstance(value, str) and value:
                for prefix, name in ENSEMBL_PREFIXES:
                    if value.startswith(prefix):
                        return name
                break
        return organism

    @classmethod
    def _spec(cls, organism: Any = None, source: Any = None) -> SourceSpec:
        if source is not None:
            return find_spec(cls.__name__, organism=getattr(source, "organism", None), name=getattr(source, "name", source))
        if organism is None and settings.organism is None:
            # no default organism: the registry's first source (human genes), as LaminDB's public()
            return find_spec(cls.__name__)
        return find_spec(cls.__name__, organism=cls._organism_name(organism))

    @classmethod
    def public(cls, organism: Any = None, source: Any = None) -> PublicOntology:
        """The public source of this registry, in memory: search, inspect, validate it.

        Args:
            organism: For organism-dependent registries (``Gene``,
                ``DevelopmentalStage``, ``Ethnicity``): a name or an ``Organism``
                record; default ``bt.settings.organism``.
            source: A ``Source`` record, to choose among several sources.

        Raises:
            lamindb_core.bio.sources.SourceUnavailable: no public source for this
                organism, or its package is not installed.

        Example:
            >>> bt.CellType.public().search("P cell").head(3)
            >>> bt.Gene.public(organism="mouse").validate(["Cd8a", "CD8A"])
        """
        spec = cls._spec(organism, source)
        # one object per source and process: it keeps its lookup tables between calls
        public = _PUBLIC.get(spec)
        if public is None:
            public = _PUBLIC[spec] = PublicOntology(spec, entity_label=cls.__name__)
        return public

    @classmethod
    def _source_record(cls, spec: SourceSpec):
        """The ``Source`` row of a public source, created the first time it is used."""
        entity = f"bio.{spec.entity}"
        version = spec.version
        record = Source.objects.filter(entity=entity, organism=spec.organism, name=spec.name, version=version).first()
        if record is not None:
            return record
        with transaction.atomic():
            Source.objects.filter(entity=entity, organism=spec.organism, name=spec.name, currently_used=True).update(
                currently_used=False
            )
            record = Source.of_spec(spec).save()
        return record

    @classmethod
    def _organism_record(cls, organism: Any):
        """The saved ``Organism`` record for a name (created from the public taxonomy if needed)."""
        from .organism import Organism

        if isinstance(organism, Organism):
            if organism._state.adding:
                organism.save()
            return organism
        name = cls._organism_name(organism)
        record = Organism.filter(name=name).first()
        if record is None:
            record = Organism.from_source(name=name, mute=True).save()
        return record

    @classmethod
    def _record_from_row(cls, row, spec: SourceSpec, source_record, organism_record) -> BioRecord:
        concrete = {f.name for f in cls._meta.concrete_fields}
        fields = {cls._id_field: row.name}
        for column, value in row.items():
            if column in concrete and column != cls._id_field:
                fields[column] = value if isinstance(value, str) and value != "" else None
        fields["source"] = source_record
        if organism_record is not None and "organism" in concrete:
            fields["organism"] = organism_record
        record = cls(**fields)
        parents = row.get("parents") if hasattr(row, "get") else None
        if isinstance(parents, str) and parents:
            record._parent_ids = tuple(parents.split("|"))
        return record

    # -- from the source -------------------------------------------------------

    @classmethod
    def from_source(cls, *, organism: Any = None, source: Any = None, mute: bool = False, **kwargs) -> BioRecord:
        """An unsaved record with the fields of a public term, found by one field.

        An existing record with that value is returned instead. A value that is
        only a synonym gives the record of the standardized term, with a warning.

        Args:
            organism: For ``Gene`` and other organism-dependent registries.
            source: A ``Source`` record.
            mute: Silence the warnings.
            **kwargs: One field and value, e.g. ``ontology_id="CL:0000084"``,
                ``name="T cell"`` or ``symbol="CD8A"``.

        Raises:
            ln.errors.DoesNotExist: the public source has no such term; the message
                names the source and version, and the closest term.

        Example:
            >>> record = bt.CellType.from_source(ontology_id="CL:0000084")
            >>> record.name, record.synonyms
            ('T cell', 'T lymphocyte|T-cell|T-lymphocyte')
            >>> record.save()
        """
        if len(kwargs) != 1:
            example = f"{cls._id_field}=...) or ({cls._name_field}=..." if cls._id_field else f"{cls._name_field}=..."
            raise errors.InvalidArgument(
                f"{cls.__name__}.from_source() takes one field, e.g. {cls.__name__}.from_source({example})"
            )
        (key, value), = kwargs.items()
        field = _field_name(cls, key)
        organism = cls._organism_of_ids(organism, field, [value])
        existing = cls._existing([value], field, organism).get(value)
        if existing is not None:
            return existing
        public = cls.public(organism=organism, source=source)
        if field not in (public.id_field, *public._table.columns):
            raise errors.FieldValidationError(
                f"the public {cls.__name__} source has no field '{field}'; use {public.id_field} or {public.name_field}"
            )
        rows = public.rows_for([value], field)
        if value not in rows:
            standardized = public.synonym_matches([value], field).get(value)
            if standardized is None:
                hint = _closest_hint(str(value), public._column(field))
                raise cls.DoesNotExist(
                    f"No {cls.__name__} with {field}={value!r} in the public source "
                    f"{public.source} ({public.version}).{hint}"
                )
            if not mute:
                logger.warning(f"{value!r} is a synonym of {standardized!r}: returning the record of {standardized!r}")
            rows = public.rows_for([standardized], field)
            value = standardized
        organism_record = cls._organism_record(organism) if cls._has_organism_field() else None
        return cls._record_from_row(rows[value], public.spec, cls._source_record(public.spec), organism_record)

    # -- the database ---------------------------------------------------------

    @classmethod
    def _scope(cls, organism: Any, field: str | None = None, source: Any = None):
        """The registry's records: of the organism for registries with an ``organism``
        field (unless ``field`` is an id, unique across organisms), of ``source`` if given."""
        qs = cls.filter()
        if cls._organism_dependent and cls._has_organism_field() and field not in (cls._id_field, "uid"):
            qs = qs.filter(organism__name=cls._organism_name(organism))
        if source is not None and not isinstance(source, str):
            qs = qs.filter(source=source)
        return qs

    @classmethod
    def _existing(cls, values, field: str, organism: Any) -> dict[str, BioRecord]:
        """``{value: record}`` for the values that a record holds exactly (the generic lookup)."""
        found = validation.existing_records(cls._scope(organism, field), list(values), field)
        return {value: records[0] for value, records in found.items()}

    @classmethod
    def from_values(
        cls,
        values: Any,
        field: Any = None,
        create: bool = False,
        organism: Any = None,
        source: Any = None,
        mute: bool = False,
    ) -> RecordList:
        """Records for a list of values: existing ones first, then from the public source,
        then (with ``create=True``) new plain records for the rest.

        The generic ``Registry.from_values`` does the database part (exact values,
        then synonyms and case), scoped to the organism for genes; values found in
        no record are looked up in the public source, exactly or by synonym.
        Nothing is saved: call ``.save()`` on the result (or ``ln.save``).

        Args:
            values: Strings (a list, a Series, an array).
            field: The field they are values of, e.g. ``bt.Gene.symbol``; default the name field.
            create: Make plain records for values found nowhere.
            organism: For ``Gene``: a name or ``Organism`` record; default ``bt.settings.organism``.
            source: A ``Source`` record, to choose the public source.
            mute: Print nothing.

        Example:
            >>> genes = bt.Gene.from_values(["CD8A", "CD4", "CD14"], field=bt.Gene.symbol)
            ✓ added 3 records from public with Gene.symbol: 'CD8A', 'CD4', 'CD14'
            >>> [g.ensembl_gene_id for g in genes]
            ['ENSG00000153563', 'ENSG00000010610', 'ENSG00000170458']
            >>> bt.CellType.from_values(["B cell", "T cell"], create=True).save()
        """
        field = _field_name(cls, field)
        if hasattr(values, "tolist"):
            values = values.tolist()
        elif isinstance(values, str):
            values = [values]
        else:
            values = list(values)
        # LaminDB leaves out empty strings (a DataFrame's empty cells)
        values = [v for v in values if v != ""]
        organism = cls._organism_of_ids(organism, field, values)
        more: dict[int, list] = {}
        token = _MORE_MATCHES.set(more)
        try:
            records = validation.from_values(
                cls._scope(organism, field), values, field=field, create=create, organism=organism, source=source,
                mute=mute,
            )
        finally:
            _MORE_MATCHES.reset(token)
        if more:
            # the other public terms of a value that several share (a symbol of two genes)
            records = RecordList(r for record in records for r in (record, *more.get(id(record), ())))
        if create and cls._organism_dependent and cls._has_organism_field():
            # plain records of an organism-dependent registry belong to the organism too
            plain = [r for r in records if r._state.adding and r.organism_id is None]
            if plain:
                organism_record = cls._organism_record(organism)
                for record in plain:
                    record.organism = organism_record
        return records

    @classmethod
    def _records_from_source(
        cls, values: list, field: str, organism: Any = None, source: Any = None, mute: bool = False
    ) -> dict[str, BioRecord]:
        """The hook of the generic ``from_values``: records for values found in the public source.

        ``mute`` is ``from_values(mute=...)``, passed along by the generic ``from_values``.
        """
        return cls._from_public([v for v in values if isinstance(v, str)], field, organism, source, mute)

    @classmethod
    def _from_public(cls, values: list[str], field: str, organism: Any, source: Any, mute: bool) -> dict[str, BioRecord]:
        """Unsaved records for the values found in the public source (directly or through synonyms).

        A value that several terms hold (a symbol of two genes) gives all of them, as
        LaminDB does, with a warning: the first is its record here, the others are
        collected for ``from_values``.
        """
        try:
            public = cls.public(organism=organism, source=source)
        except errors.OrganismNotSet:
            raise
        except errors.InvalidArgument as exc:  # no source for this organism, or not installed
            if not mute:
                logger.warning(f"not looking in a public source: {exc}")
            return {}
        columns = {public.id_field, *public._table.columns}
        if field not in columns:
            return {}
        rows = public.rows_all(values, field)
        mapper = public.synonym_matches([v for v in values if v not in rows], field)
        standardized_rows = public.rows_all(set(mapper.values()), field)
        if not rows and not standardized_rows:
            return {}
        source_record = cls._source_record(public.spec)
        organism_record = cls._organism_record(organism) if cls._has_organism_field() else None
        # the standardized terms may exist in the database already
        existing = cls._existing(set(mapper.values()), field, organism) if mapper else {}
        result: dict[str, BioRecord] = {}
        by_id: dict[str, BioRecord] = {}
        more = _MORE_MATCHES.get()
        ambiguous: list[str] = []

        def records_of(matches: list) -> BioRecord:
            made = [by_id.setdefault(row.name, cls._record_from_row(row, public.spec, source_record, organism_record)) for row in matches]
            if len(made) > 1 and more is not None:
                more.setdefault(id(made[0]), [r for r in made[1:] if r not in more.get(id(made[0]), [])])
            return made[0]

        for value, matches in rows.items():
            if len(matches) > 1:
                ambiguous.append(value)
            result[value] = records_of(matches)
        for value, standardized in mapper.items():
            if standardized in existing:
                result[value] = existing[standardized]
            elif standardized in standardized_rows:
                result[value] = records_of(standardized_rows[standardized])
        if not mute:
            direct = [v for v in values if v in rows]
            if direct:
                logger.success(
                    f"added {len(direct)} record{'s' if len(direct) != 1 else ''} from public with "
                    f"{cls.__name__}.{field}: {_shown(direct)}"
                )
            if mapper:
                pairs = ", ".join(f"{k!r} → {v!r}" for k, v in list(mapper.items())[:SHOWN])
                logger.warning(
                    f"{len(mapper)} value{'s are synonyms' if len(mapper) != 1 else ' is a synonym'} in the public "
                    f"{cls.__name__} source, standardized: {pairs}"
                )
            if ambiguous:
                logger.warning(
                    f"ambiguous validation in the public source for {len(ambiguous)} record"
                    f"{'s' if len(ambiguous) != 1 else ''}: {_shown(ambiguous)}; returning every matching term"
                )
        return result

    @classmethod
    def save_from_public(cls, values: Any, field: Any = None, organism: Any = None, key: str | None = None) -> list[str]:
        """Save records for the values that the public source has exactly (not through
        synonyms) and the registry lacks; return those values. Used by ``ln.Curator``.

        Example:
            >>> bt.Gene.save_from_public(["CD8A", "CD4", "CD14"], field="symbol", key="var_index")
            ✓ added 3 records from public with Gene.symbol for "var_index": 'CD8A', 'CD4', 'CD14'
        """
        field = _field_name(cls, field)
        values = _unique_strings(values, cls)
        organism = cls._organism_of_ids(organism, field, values)
        present = validation.existing_values(cls._scope(organism, field), values, field)
        missing = [v for v in values if v not in present]
        if not missing:
            return []
        try:
            public = cls.public(organism=organism)
        except errors.OrganismNotSet:
            raise
        except errors.InvalidArgument:
            return []
        if field not in (public.id_field, *public._table.columns):
            return []
        rows = public.rows_for(missing, field)
        if not rows:
            return []
        found = [v for v in missing if v in rows]
        logger.info(f"saving validated records of {key!r}" if key else f"saving validated {cls.__name__} records")
        source_record = cls._source_record(public.spec)
        organism_record = cls._organism_record(organism) if cls._has_organism_field() else None
        by_id: dict[str, BioRecord] = {}
        for value in found:
            row = rows[value]
            by_id.setdefault(row.name, cls._record_from_row(row, public.spec, source_record, organism_record))
        bulk_save(list(by_id.values()))
        where = f' for "{key}"' if key else ""
        logger.success(
            f"added {len(found)} record{'s' if len(found) != 1 else ''} from public with "
            f"{cls.__name__}.{field}{where}: {_shown(found)}"
        )
        return found

    @classmethod
    def validate(
        cls, values: Any, field: Any = None, *, mute: bool = False, organism: Any = None, source: Any = None
    ) -> np.ndarray:
        """A boolean array: which values a record of the registry holds, exactly (the
        database, not the public source; genes of the organism; records of ``source``).

        Example:
            >>> bt.CellType.validate(["B cell", "my cell"])
            array([ True, False])
        """
        field = _field_name(cls, field)
        organism = cls._organism_of_ids(organism, field, _unique_strings(values, cls))
        return validation.validate(cls._scope(organism, field, source), values, field=field, mute=mute)

    @classmethod
    def inspect(
        cls,
        values: Any,
        field: Any = None,
        *,
        mute: bool = False,
        organism: Any = None,
        source: Any = None,
        public_aware: bool = True,
    ) -> InspectResult:
        """Which values are in the registry, which are not, and which are synonyms.

        The generic ``Registry.inspect`` checks the database; for the values it
        does not validate, the public source is consulted too (unless
        ``public_aware=False``): its synonyms join ``synonyms_mapper``, and a
        message says which values can be added from it with ``from_values``.

        Example:
            >>> result = bt.CellType.inspect(["B cell", "T-cell", "my cell"])
            >>> result.synonyms_mapper
            {'T-cell': 'T cell'}
        """
        field = _field_name(cls, field)
        organism = cls._organism_of_ids(organism, field, _unique_strings(values, cls))
        result = validation.inspect(cls._scope(organism, field, source), values, field=field, mute=mute)
        rest = [v for v in result.non_validated if v not in result.synonyms_mapper and isinstance(v, str)]
        if not rest or not public_aware:
            return result
        try:
            public = cls.public(organism=organism, source=source)
        except errors.OrganismNotSet:
            raise
        except errors.InvalidArgument:
            return result
        if field not in (public.id_field, *public._table.columns):
            return result
        rows = public.rows_for(rest, field)
        in_public = [v for v in rest if v in rows]
        public_synonyms = public.synonym_matches([v for v in rest if v not in rows], field)
        result.synonyms_mapper.update(public_synonyms)
        if not mute:
            if public_synonyms:
                pairs = ", ".join(f"{k!r} → {v!r}" for k, v in list(public_synonyms.items())[:SHOWN])
                logger.warning(
                    f"{len(public_synonyms)} term{'s are synonyms' if len(public_synonyms) != 1 else ' is a synonym'} "
                    f"in the public source: {pairs}; standardize with {cls.__name__}.standardize(values)"
                )
            if in_public:
                logger.warning(
                    f"{len(in_public)} term{'s are' if len(in_public) != 1 else ' is'} not in the registry but in the "
                    f"public source: {_shown(in_public)}; add with {cls.__name__}.from_values(values).save()"
                )
        return result

    @classmethod
    def standardize(
        cls,
        values: Any,
        field: Any = None,
        *,
        return_field: Any = None,
        return_mapper: bool = False,
        case_sensitive: bool = False,
        mute: bool = False,
        public_aware: bool = True,
        keep: Literal["first", "last", False] = "first",
        synonyms_field: str = "synonyms",
        organism: Any = None,
        source: Any = None,
    ) -> list | str | dict:
        """The values with synonyms (and, unless ``case_sensitive``, case variants)
        replaced by the standardized term: the registry's records first, then the
        public source (``public_aware``).

        Args:
            values: A string or strings.
            field: The field the values are of; default the name field. Synonyms
                count for the name field only.
            return_field: The field to return for a standardized value (default ``field``).
            return_mapper: Return ``{value: standardized}`` for the values that changed.
            case_sensitive: Whether a value in other case is left alone.
            mute: Print nothing.
            public_aware: Also standardize with the public source.
            keep: Accepted as in LaminDB: a synonym shared by several terms is left
                alone here rather than mapped to one of them.
            synonyms_field: Accepted as in LaminDB; the registries' synonyms field is ``synonyms``.
            organism: For ``Gene``: a name or ``Organism`` record.
            source: A ``Source`` record: the registry's records of that source, and its public source.

        Example:
            >>> bt.CellType.standardize(["T-cell", "B cell"])
            ['T cell', 'B cell']
            >>> bt.CellType.standardize(["T-cell"], return_mapper=True)
            {'T-cell': 'T cell'}
        """
        single = isinstance(values, str)
        raw = [values] if single else (values.tolist() if hasattr(values, "tolist") else list(values))
        field = _field_name(cls, field)
        return_field = _field_name(cls, return_field) if return_field is not None else field
        organism = cls._organism_of_ids(organism, field, _unique_strings(raw, cls))
        scope = cls._scope(organism, field, source)
        strings = list(dict.fromkeys(v for v in raw if isinstance(v, str)))
        present = validation.existing_values(scope, strings, field)
        pending = [v for v in strings if v not in present]
        mapper: dict[str, Any] = {}
        for value, record in (validation.standardize_map(scope, pending, field).items() if pending else ()):
            if case_sensitive and value.lower() == str(getattr(record, field)).lower() and value not in (
                (getattr(record, "synonyms", None) or "").split("|")
            ):
                continue
            mapper[value] = getattr(record, return_field)
        if return_field != field:
            for record in validation.existing_records(scope, [v for v in strings if v in present], field).values():
                mapper[getattr(record[0], field)] = getattr(record[0], return_field)
        pending = [v for v in pending if v not in mapper]
        if pending and public_aware:
            try:
                public = cls.public(organism=organism, source=source)
            except errors.OrganismNotSet:
                raise
            except errors.InvalidArgument:
                public = None
            if public is not None and field in (public.id_field, *public._table.columns):
                found = public.synonym_matches(pending, field)
                if case_sensitive:
                    found = {k: v for k, v in found.items() if k.lower() != v.lower()}
                if return_field != field and found:
                    rows = public.rows_for(set(found.values()), field)
                    found = {k: _row_value(rows[v], return_field, public) for k, v in found.items() if v in rows}
                if found and not mute:
                    logger.warning(
                        f"found {len(found)} synonym{'s' if len(found) != 1 else ''} in the public source: "
                        f"{_shown(list(found))}; add the records with {cls.__name__}.from_values(values).save()"
                    )
                mapper.update(found)
        if return_mapper:
            return {v: mapper[v] for v in strings if v in mapper and mapper[v] != v}
        result = [mapper.get(v, v) if isinstance(v, str) else v for v in raw]
        return result[0] if single else result

    @classmethod
    def _update_in_db(cls, source, n_terms: int) -> bool:
        """Set ``source.in_db``: whether the registry holds every term of the source."""
        in_db = cls.filter(source=source).count() >= n_terms
        if source.in_db != in_db:
            Source.objects.filter(pk=source.pk).update(in_db=in_db)
            source.in_db = in_db
        return in_db

    @classmethod
    def import_source(
        cls,
        source: Any = None,
        ontology_ids: list[str] | None = None,
        organism: Any = None,
        ignore_conflicts: bool = True,
    ) -> None:
        """Save the terms of a public source that the registry lacks, in bulk, with
        their hierarchy (``parents``); ``source.in_db`` then says whether the registry
        holds the whole source.

        Args:
            source: A ``Source`` record; default the public source in use.
            ontology_ids: Only these terms (and their ancestors); default all.
            organism: For ``Gene``: a name or ``Organism`` record.
            ignore_conflicts: Accepted as in LaminDB: existing terms are kept as
                they are, never duplicated.

        Example:
            >>> bt.Ethnicity.import_source()
            >>> bt.Source.get(entity="bio.Ethnicity", currently_used=True).in_db
            True
        """
        public = cls.public(organism=organism, source=source)
        source_record = cls._source_record(public.spec)
        logger.info(f"importing {cls.__name__} records from {public.source}, {public.version}")
        organism_record = None
        if cls._has_organism_field():
            organism_record = cls._organism_record(organism if organism is not None else public.organism)
        cls._import_rows(public, source_record, organism_record, ontology_ids)
        cls._update_in_db(source_record, len(public))
        logger.success("import is completed!")

    @classmethod
    def _import_rows(cls, public, source_record, organism_record, ontology_ids: list[str] | None) -> None:
        """``import_source`` for a registry without a hierarchy: the rows it lacks."""
        table = public._table
        wanted = table.index.tolist() if ontology_ids is None else [t for t in dict.fromkeys(ontology_ids) if t in table.index]
        present = validation.existing_values(cls.filter(), wanted, cls._id_field)
        new = [t for t in wanted if t not in present]
        records = [cls._record_from_row(table.loc[t], public.spec, source_record, organism_record) for t in new]
        logger.info(f"adding {len(records)} new records")
        bulk_save(records)

    # -- saving -----------------------------------------------------------------

    def _fill_defaults(self) -> None:
        # a new record of an organism-bound registry (a gene made by hand) without an
        # organism belongs to bt.settings.organism, as in LaminDB; none set: OrganismNotSet
        super()._fill_defaults()
        cls = type(self)
        if self._state.adding and cls._has_organism_field() and self.organism_id is None:
            self.organism = cls._organism_record(None)

    def _saves_alone(self) -> bool:
        # ln.save() hands records whose ancestors are to be saved to _save_alone_many
        return bool(settings.auto_save_parents and self._parent_ids and hasattr(type(self), "parents"))

    @classmethod
    def _save_alone_many(cls, records: list, saved: list) -> None:
        """``ln.save`` with ``bt.settings.auto_save_parents``: insert the records in
        bulk, then the ancestors of all of them at once, then every parent link."""
        parent_ids = [r._parent_ids for r in records]
        for record in records:
            record._parent_ids = ()  # inserted in bulk, without saving ancestors one by one
        try:
            bulk_save(records)
        finally:
            for record, ids in zip(records, parent_ids):
                record._parent_ids = ids
        saved.extend(records)
        cls._save_ancestors_of(records)

    def save(self, *args, parents: bool | None = None, **kwargs) -> BioRecord:
        """Save the record; with ``parents=True`` (or ``bt.settings.auto_save_parents``) a
        record from a public ontology also saves its ancestors and links its parents.

        Example:
            >>> bt.CellType.from_source(ontology_id="CL:0000084").save(parents=True)
            >>> bt.CellType.get(name="T cell").parents.df()
        """
        super().save(*args, **kwargs)
        if parents is None:
            parents = settings.auto_save_parents
        if parents and self._parent_ids and hasattr(type(self), "parents"):
            type(self)._save_ancestors_of([self])
        return self
