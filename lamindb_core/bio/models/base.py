"""The abstract bio registries: ``BioRecord`` (a registry with a public source) and
``OntologyRecord`` (its ontology fields and parents).

``BioRecord`` adds the class methods that take a public source into account:
``public``, ``from_source``, ``from_values``, ``validate``, ``inspect``,
``standardize``. They are class methods on the model, so they take precedence
over the generic methods of the metaclass for bio registries only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

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

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BioRecord", "OntologyRecord", "RecordList"]  # RecordList: the generic one, re-exported

# values per IN (...) query: well under SQLite's limit of host parameters
CHUNK = 500
# how many values a message lists
SHOWN = 10


_PUBLIC: dict[SourceSpec, PublicOntology] = {}


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
        raise errors.FieldValidationError(f"field takes a field name or {cls.__name__}.<field>, got {field!r}")
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


def _shown(values: list[str]) -> str:
    more = f" and {len(values) - SHOWN} more" if len(values) > SHOWN else ""
    return ", ".join(repr(v) for v in values[:SHOWN]) + more


class BioRecord(Record, TracksRun, TracksUpdates):
    """A registry whose records can come from a public source.

    Subclasses set ``_name_field`` (``name`` or ``symbol``), ``_id_field``
    (``ontology_id`` or ``ensembl_gene_id``) and ``_organism_dependent``.
    """

    _name_field: ClassVar[str] = "name"
    _id_field: ClassVar[str] = "ontology_id"
    _organism_dependent: ClassVar[bool] = False
    # set on records made from a public row: the ontology ids of their parents
    _parent_ids: tuple[str, ...] = ()

    class Meta:
        abstract = True

    # -- sources -------------------------------------------------------------

    @classmethod
    def _organism_name(cls, organism: Any) -> str | None:
        if not cls._organism_dependent:
            return None
        if organism is None:
            return settings.organism
        name = getattr(organism, "name", organism)
        if not isinstance(name, str):
            raise errors.InvalidArgument(f"organism takes a name such as 'human' or an Organism record, got {organism!r}")
        return name

    @classmethod
    def _spec(cls, organism: Any = None, source: Any = None) -> SourceSpec:
        if source is not None:
            return find_spec(cls.__name__, organism=getattr(source, "organism", None), name=getattr(source, "name", source))
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
        from .source import Source

        entity = f"bio.{spec.entity}"
        version = spec.version
        record = Source.objects.filter(entity=entity, organism=spec.organism, name=spec.name, version=version).first()
        if record is not None:
            return record
        with transaction.atomic():
            Source.objects.filter(entity=entity, organism=spec.organism, name=spec.name, currently_used=True).update(
                currently_used=False
            )
            record = Source(
                entity=entity,
                organism=spec.organism,
                name=spec.name,
                version=version,
                in_db=False,
                currently_used=True,
                description=spec.description,
                url=spec.url,
                source_website=spec.website,
                aux={"package": spec.package, "package_version": spec.package_version},
            ).save()
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
            raise errors.InvalidArgument(
                f"{cls.__name__}.from_source() takes one field, e.g. "
                f"{cls.__name__}.from_source({cls._id_field}=...) or ({cls._name_field}=...)"
            )
        (key, value), = kwargs.items()
        field = _field_name(cls, key)
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
        organism_record = cls._organism_record(organism) if "organism" in {f.name for f in cls._meta.concrete_fields} else None
        return cls._record_from_row(rows[value], public.spec, cls._source_record(public.spec), organism_record)

    # -- the database ---------------------------------------------------------

    @classmethod
    def _scope(cls, organism: Any):
        """The registry's records, of the organism for organism-dependent registries with an ``organism`` field."""
        qs = cls.filter()
        if cls._organism_dependent and "organism" in {f.name for f in cls._meta.concrete_fields}:
            qs = qs.filter(organism__name=cls._organism_name(organism))
        return qs

    @classmethod
    def _existing(cls, values, field: str, organism: Any) -> dict[str, BioRecord]:
        """``{value: record}`` for the values that a record holds exactly (the generic lookup)."""
        found = validation.existing_records(cls._scope(organism), list(values), field)
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
        records = validation.from_values(
            cls._scope(organism), values, field=field, create=create, organism=organism, source=source, mute=mute
        )
        if create and cls._organism_dependent and "organism" in {f.name for f in cls._meta.concrete_fields}:
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
        """Unsaved records for the values found in the public source (directly or through synonyms)."""
        try:
            public = cls.public(organism=organism, source=source)
        except errors.InvalidArgument as exc:  # no source for this organism, or not installed
            if not mute:
                logger.warning(f"not looking in a public source: {exc}")
            return {}
        columns = {public.id_field, *public._table.columns}
        if field not in columns:
            return {}
        rows = public.rows_for(values, field)
        mapper = public.synonym_matches([v for v in values if v not in rows], field)
        standardized_rows = public.rows_for(set(mapper.values()), field)
        if not rows and not standardized_rows:
            return {}
        source_record = cls._source_record(public.spec)
        organism_record = (
            cls._organism_record(organism) if "organism" in {f.name for f in cls._meta.concrete_fields} else None
        )
        # the standardized terms may exist in the database already
        existing = cls._existing(set(mapper.values()), field, organism) if mapper else {}
        result: dict[str, BioRecord] = {}
        by_id: dict[str, BioRecord] = {}
        for value, row in rows.items():
            result[value] = by_id.setdefault(row.name, cls._record_from_row(row, public.spec, source_record, organism_record))
        for value, standardized in mapper.items():
            if standardized in existing:
                result[value] = existing[standardized]
            elif standardized in standardized_rows:
                row = standardized_rows[standardized]
                result[value] = by_id.setdefault(row.name, cls._record_from_row(row, public.spec, source_record, organism_record))
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
        present = validation.existing_values(cls._scope(organism), values, field)
        missing = [v for v in values if v not in present]
        if not missing:
            return []
        try:
            public = cls.public(organism=organism)
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
        organism_record = cls._organism_record(organism) if "organism" in {f.name for f in cls._meta.concrete_fields} else None
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
    def validate(cls, values: Any, field: Any = None, organism: Any = None, mute: bool = False) -> np.ndarray:
        """A boolean array: which values a record of the registry holds, exactly (the
        database, not the public source; genes of the organism).

        Example:
            >>> bt.CellType.validate(["B cell", "my cell"])
            array([ True, False])
        """
        return validation.validate(cls._scope(organism), values, field=_field_name(cls, field), mute=mute)

    @classmethod
    def inspect(cls, values: Any, field: Any = None, organism: Any = None, mute: bool = False) -> InspectResult:
        """Which values are in the registry, which are not, and which are synonyms.

        The generic ``Registry.inspect`` checks the database; for the values it
        does not validate, the public source is consulted too: its synonyms join
        ``synonyms_mapper``, and a message says which values can be added from it
        with ``from_values``.

        Example:
            >>> result = bt.CellType.inspect(["B cell", "T-cell", "my cell"])
            >>> result.synonyms_mapper
            {'T-cell': 'T cell'}
        """
        field = _field_name(cls, field)
        result = validation.inspect(cls._scope(organism), values, field=field, mute=mute)
        rest = [v for v in result.non_validated if v not in result.synonyms_mapper and isinstance(v, str)]
        if not rest:
            return result
        try:
            public = cls.public(organism=organism)
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
    def standardize(cls, values: Any, field: Any = None, organism: Any = None) -> list:
        """The values, with synonyms replaced by the standardized name (registry first, then public)."""
        raw = [values] if isinstance(values, str) else (values.tolist() if hasattr(values, "tolist") else list(values))
        mapper = cls.inspect(raw, field=field, organism=organism, mute=True).synonyms_mapper
        return [mapper.get(v, v) for v in raw]

    # -- saving -----------------------------------------------------------------

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


class OntologyRecord(BioRecord):
    """A term of a public ontology: ``name``, ``ontology_id``, ``abbr``, ``synonyms``,
    ``description``, ``source``, and ``parents`` / ``children``."""

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=8, default=base62_8,
        help_text="Universal id, valid across instances; 8 characters.",
    )
    name = models.CharField(
        max_length=256, db_index=True,
        help_text="Name of the term as its ontology writes it, e.g. 'T cell'.",
    )
    ontology_id = models.CharField(
        max_length=32, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="The term's id in its ontology, e.g. 'CL:0000084' for a cell type.",
    )
    abbr = models.CharField(
        max_length=32, unique=True, null=True, blank=True, default=None, db_index=True,
        help_text="A unique abbreviation, e.g. 'scRNA-seq'.",
    )
    synonyms = models.TextField(
        null=True, blank=True, default=None,
        help_text="Other names of the term, separated by '|'; from_values() finds the term by them too.",
    )
    description = models.TextField(
        null=True, blank=True, default=None,
        help_text="The ontology's definition of the term.",
    )
    source = models.ForeignKey(
        "bio.Source", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="The public source and version the term came from; None for a term made by hand.",
    )
    parents = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True,
        help_text="Parent terms in the ontology; term.children lists the terms below one.",
    )

    class Meta:
        abstract = True

    @classmethod
    def _save_ancestors_of(cls, records: list) -> None:
        """Save the ancestors of saved terms from their public source and link every
        parent: one ``from_values`` and one bulk save per source, however many terms."""
        by_source: dict[Any, list] = {}
        for record in records:
            if record._parent_ids and record.pk is not None:
                by_source.setdefault(record.source_id, []).append(record)
        through = cls.parents.through
        model = cls.__name__.lower()
        for source_id, terms in by_source.items():
            source = terms[0].source if source_id else None
            public = cls.public(source=source) if source is not None else cls.public()
            table = public._table
            own = {t.ontology_id for t in terms}
            wanted: list[str] = []
            seen: set[str] = set()
            queue = [p for t in terms for p in t._parent_ids]
            while queue:
                term = queue.pop()
                if term in seen or term not in table.index:
                    continue
                seen.add(term)
                if term not in own:
                    wanted.append(term)
                parents = table.at[term, "parents"]
                if isinstance(parents, str) and parents:
                    queue.extend(parents.split("|"))
            ancestors = list(cls.from_values(wanted, field="ontology_id", source=source, mute=True)) if wanted else []
            for ancestor in ancestors:
                ancestor._parent_ids = ()  # their parents are linked below, with everyone's
            bulk_save(ancestors)
            by_id = {r.ontology_id: r for r in [*ancestors, *terms]}
            rows = []
            for record in by_id.values():
                if record.ontology_id in table.index:
                    parent_ids = (table.at[record.ontology_id, "parents"] or "").split("|")
                else:
                    parent_ids = record._parent_ids
                rows.extend(
                    through(**{f"from_{model}_id": record.id, f"to_{model}_id": by_id[p].id})
                    for p in parent_ids if p in by_id
                )
            through.objects.bulk_create(rows, ignore_conflicts=True)
            if len(terms) == 1:
                what = f"of {terms[0].name!r} and linked its parents"
            else:
                what = f"of {len(terms)} {cls.__name__} records and linked their parents"
            logger.success(f"saved {len(wanted)} ancestor{'s' if len(wanted) != 1 else ''} {what}")
