"""``OntologyRecord``: a term of a public ontology, with its ``parents`` and ``children``.

Saving a term from a public ontology saves its ancestors and links every parent, as
LaminDB does (``bt.settings.auto_save_parents``); ``import_source()`` imports a whole
source with its hierarchy. ``query_parents()``, ``query_children()`` and
``view_parents()`` walk the hierarchy (see :mod:`lamindb_core.hierarchy`).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from ... import hierarchy
from ...bulk import save as bulk_save
from ...logger import logger
from ...models.record import ID_HELP
from ...uids import base62_8
from .base import BioRecord

__all__ = ["OntologyRecord"]

# link rows per INSERT
LINK_BATCH = 5000


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

    # -- the hierarchy ----------------------------------------------------------

    def query_parents(self):
        """All ancestors of the term (parents, their parents, ...), as a QuerySet.

        Example:
            >>> bt.CellType.get(name="T cell").query_parents().list("name")
            ['lymphocyte', 'leukocyte', ...]
        """
        return hierarchy.query_parents(self)

    def query_children(self):
        """All descendants of the term (children, their children, ...), as a QuerySet.

        Example:
            >>> bt.CellType.get(name="lymphocyte").query_children().count()
        """
        return hierarchy.query_children(self)

    def view_parents(self, field: Any = None, with_children: bool = False, distance: int = 5) -> hierarchy.Hierarchy:
        """The term and its ancestors (and descendants) as a tree; see
        :func:`lamindb_core.hierarchy.view_parents`.

        Example:
            >>> bt.CellType.get(name="T cell").view_parents(distance=2)
            T cell
            └── lymphocyte
                └── leukocyte
        """
        return hierarchy.view_parents(self, field=field, with_children=with_children, distance=distance)

    @classmethod
    def _link_parents(cls, table, ontology_ids, ids_by_ontology_id: dict[str, int]) -> int:
        """Link each of ``ontology_ids`` to its parents in ``table`` (a public source)
        where both are records; existing links stay. Returns the links written."""
        through = cls.parents.through
        model = cls.__name__.lower()
        child_column, parent_column = f"from_{model}_id", f"to_{model}_id"
        rows = []
        parents_of = table["parents"]
        for term in ontology_ids:
            child = ids_by_ontology_id.get(term)
            text = parents_of.get(term) if child is not None else None
            if not isinstance(text, str) or not text:
                continue
            for parent in text.split("|"):
                parent_id = ids_by_ontology_id.get(parent)
                if parent_id is not None and parent_id != child:
                    rows.append(through(**{child_column: child, parent_column: parent_id}))
        through.objects.bulk_create(rows, ignore_conflicts=True, batch_size=LINK_BATCH)
        return len(rows)

    @classmethod
    def _ancestors_in(cls, table, ontology_ids) -> list[str]:
        """The ancestors of ``ontology_ids`` in ``table``, each once, the terms themselves left out."""
        own = set(ontology_ids)
        seen: set[str] = set()
        found: list[str] = []
        queue = [p for term in ontology_ids if term in table.index for p in cls._parent_terms(table, term)]
        while queue:
            term = queue.pop()
            if term in seen or term not in table.index:
                continue
            seen.add(term)
            if term not in own:
                found.append(term)
            queue.extend(cls._parent_terms(table, term))
        return found

    @staticmethod
    def _parent_terms(table, term: str) -> list[str]:
        text = table.at[term, "parents"]
        return text.split("|") if isinstance(text, str) and text else []

    @classmethod
    def _save_ancestors_of(cls, records: list) -> None:
        """Save the ancestors of saved terms from their public source and link every
        parent: one ``from_values`` and one bulk save per source, however many terms."""
        by_source: dict[Any, list] = {}
        for record in records:
            if record._parent_ids and record.pk is not None:
                by_source.setdefault(record.source_id, []).append(record)
        for source_id, terms in by_source.items():
            source = terms[0].source if source_id else None
            public = cls.public(source=source) if source is not None else cls.public()
            table = public._table
            wanted = cls._ancestors_in(table, [t.ontology_id for t in terms])
            ancestors = list(cls.from_values(wanted, field="ontology_id", source=source, mute=True)) if wanted else []
            for ancestor in ancestors:
                ancestor._parent_ids = ()  # their parents are linked below, with everyone's
            bulk_save(ancestors)
            by_id = {r.ontology_id: r.id for r in [*ancestors, *terms]}
            cls._link_parents(table, list(by_id), by_id)
            # a term made by hand with parents from a source: its own list
            for term in terms:
                if term.ontology_id not in table.index:
                    through = cls.parents.through
                    model = cls.__name__.lower()
                    through.objects.bulk_create(
                        [through(**{f"from_{model}_id": term.id, f"to_{model}_id": by_id[p]}) for p in term._parent_ids if p in by_id],
                        ignore_conflicts=True,
                    )
            if source is not None:
                cls._update_in_db(source, len(table))
            if len(terms) == 1:
                what = f"of {terms[0].name!r} and linked its parents"
            else:
                what = f"of {len(terms)} {cls.__name__} records and linked their parents"
            logger.success(f"saved {len(wanted)} ancestor{'s' if len(wanted) != 1 else ''} {what}")

    @classmethod
    def _import_rows(cls, public, source_record, organism_record, ontology_ids: list[str] | None) -> None:
        """``import_source`` for an ontology: the terms (all, or the given ones and their
        ancestors) that the registry lacks, then the links of all of them."""
        table = public._table
        if ontology_ids is None:
            wanted = table.index.tolist()
        else:
            unknown = [t for t in ontology_ids if t not in table.index]
            if unknown:
                logger.warning(
                    f"{len(unknown)} ontology id{'s are' if len(unknown) != 1 else ' is'} not in "
                    f"{public.source} ({public.version}): {', '.join(map(repr, unknown[:10]))}"
                )
            known = [t for t in dict.fromkeys(ontology_ids) if t in table.index]
            wanted = known + cls._ancestors_in(table, known)
        ids = dict(cls.objects.exclude(ontology_id=None).values_list("ontology_id", "id"))
        new = [t for t in wanted if t not in ids]
        records = [cls._record_from_row(table.loc[t], public.spec, source_record, organism_record) for t in new]
        for record in records:
            record._parent_ids = ()  # linked below, all at once
        if ontology_ids is None:
            logger.info(f"adding {len(records)} new records")
        bulk_save(records)
        ids.update({r.ontology_id: r.id for r in records})
        n_links = cls._link_parents(table, wanted, ids)
        if ontology_ids is None:
            logger.info(f"added the parents/children links ({n_links} in the source)")
