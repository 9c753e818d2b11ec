"""``bt.CellType.public()``: a public ontology or gene table as a searchable, inspectable object.

It holds the whole public source in memory (read from the package's data, or
from the parquet cache; see ``sources.py``) and answers without touching the
database:

    >>> cl = bt.CellType.public()
    >>> cl
    PublicOntology
    Entity: CellType
    Organism: all
    Source: cl, v2026-03-26 (cellxgene-ontology-guide 1.11.1)
    #terms: 3324
    >>> cl.search("P cell").head(2)             # exact name or synonym first, then close ones
    >>> cl.validate(["T cell", "T-cell"])      # array([ True, False])
    >>> cl.inspect(["T cell", "T-cell"])       # T-cell is a synonym of T cell
    >>> cl.standardize(["T-cell"])             # ['T cell']
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import errors
from ..logger import logger
from .sources import SourceSpec, load_table

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["PublicOntology", "InspectResult", "SearchIndex", "rank"]

# search: scores 0 to 100; an exact match is 100, a match of the whole query inside
# a longer term 80 to 100 (higher the closer the lengths), otherwise the
# normalized edit similarity
EXACT = 100.0
CONTAINS_BASE = 80.0


def _lowered_set(text: Any) -> set[str]:
    return {v.lower() for v in text.split("|")} if isinstance(text, str) and text else set()


def _loose_key(value: str) -> str:
    """``"Hep-G2"`` and ``"HEPG2"`` → ``"hepg2"``: case, hyphens, spaces and other punctuation left out."""
    return re.sub(r"[\W_]+", "", value.lower())


def _to_list(values: Any) -> list:
    if isinstance(values, str):
        return [values]
    if hasattr(values, "tolist"):
        values = values.tolist()
    return list(values)


@dataclass
class InspectResult:
    """What ``inspect`` found: ``validated`` and ``non_validated`` values, and
    ``synonyms_mapper`` from synonyms (or case variants) to standardized names."""

    validated: list[str]
    non_validated: list[str]
    synonyms_mapper: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"InspectResult(validated={self.validated!r}, non_validated={self.non_validated!r}, "
            f"synonyms_mapper={self.synonyms_mapper!r})"
        )


class SearchIndex:
    """The strings of a source's terms, flattened once for fast ranking: every name and
    every ``|``-separated synonym, folded to lower case unless ``case_sensitive``."""

    def __init__(self, names: list, synonyms: list, case_sensitive: bool = False):
        import numpy as np

        fold = (lambda x: x) if case_sensitive else str.lower
        self.case_sensitive = case_sensitive
        strings: list[str] = []
        owners: list[int] = []
        is_synonym: list[bool] = []
        for i, name in enumerate(names):
            if isinstance(name, str):
                strings.append(fold(name))
                owners.append(i)
                is_synonym.append(False)
            text = synonyms[i] if i < len(synonyms) else None
            if isinstance(text, str) and text:
                for synonym in text.split("|"):
                    strings.append(fold(synonym))
                    owners.append(i)
                    is_synonym.append(True)
        self.strings = strings
        self.owners = np.array(owners, dtype=np.int64)
        self.is_synonym = np.array(is_synonym, dtype=bool)
        self.lengths = np.array([len(x) for x in strings], dtype=np.int64)
        # one text with a separator that no query contains: str.find scans it in C
        self.text = "\n".join(strings)
        self.starts = np.cumsum([0] + [len(x) + 1 for x in strings[:-1]]) if strings else np.zeros(0, dtype=np.int64)

    def rank(self, query: str, limit: int | None = None) -> list[tuple[int, float, bool]]:
        """``(term position, score, matched by synonym)``, best first, at most ``limit``; see ``rank``."""
        import numpy as np
        from rapidfuzz import fuzz, process

        if not self.strings:
            return []
        q = query.strip() if self.case_sensitive else query.strip().lower()
        scores = process.cdist([q], self.strings, scorer=fuzz.ratio, workers=1, dtype=np.float32)[0].astype(np.float64)
        if q and "\n" not in q:
            hits = []
            position = self.text.find(q)
            while position != -1:
                hits.append(position)
                position = self.text.find(q, position + 1)
            if hits:
                index = np.unique(np.searchsorted(self.starts, np.array(hits), side="right") - 1)
                contained = CONTAINS_BASE + (EXACT - CONTAINS_BASE) * len(q) / self.lengths[index]
                scores[index] = np.maximum(scores[index], contained)
                exact = index[self.lengths[index] == len(q)]
                scores[exact] = EXACT
        keep = np.flatnonzero(scores > 0)
        if limit is not None and len(keep) > 50 * limit:
            # the best strings only: a term's best string is among them if the term is in the top
            # `limit`, unless many strings of few terms crowd the cut; then all are ranked
            top = keep[np.argpartition(-scores[keep], 50 * limit)[: 50 * limit]]
            if len(np.unique(self.owners[top])) >= limit:
                cut = scores[top].min()
                above = keep[scores[keep] > cut]
                # strings tied at the cut are all kept unless the terms above it suffice
                keep = above if len(np.unique(self.owners[above])) >= limit else keep[scores[keep] >= cut]
        # per term its best string: higher score, then a name before a synonym, then shorter
        order = keep[np.lexsort((self.lengths[keep], self.is_synonym[keep], -scores[keep], self.owners[keep]))]
        _, first = np.unique(self.owners[order], return_index=True)
        best = order[first]
        best = best[np.lexsort((self.owners[best], self.lengths[best], self.is_synonym[best], -scores[best]))]
        if limit is not None:
            best = best[:limit]
        return [(int(self.owners[j]), float(scores[j]), bool(self.is_synonym[j])) for j in best]


def rank(query: str, names: list[str], synonyms: list[str | None], case_sensitive: bool = False) -> list[tuple[int, float, bool]]:
    """Score each term for ``query``: ``(position, score, matched_by_synonym)``, best first.

    A term's score is the best over its name and its ``|``-separated synonyms:
    100 for an exact match, 80-100 for a string that contains the whole query
    (the closer the lengths, the higher), else the normalized edit similarity
    (rapidfuzz's ``ratio``). At equal scores a name match comes before a synonym
    match, then shorter strings. Terms scoring 0 are left out.

    Example:
        >>> rank("P cell", ["PP cell", "nodal myocyte", "T cell"], [None, "P cell|myocytus nodalis", None])[:2]
        [(1, 100.0, True), (0, 97.14..., False)]
    """
    return SearchIndex(names, synonyms, case_sensitive).rank(query)


class PublicOntology:
    """A public source held in memory: ``df()``, ``search()``, ``inspect()``, ``validate()``,
    ``standardize()``, ``lookup()``.

    Made by ``bt.<Registry>.public(organism=...)``; the index of ``df()`` is the
    ontology id (``ensembl_gene_id`` for genes).
    """

    def __init__(self, spec: SourceSpec, entity_label: str | None = None):
        self.spec = spec
        self._table = load_table(spec)
        self._entity_label = entity_label or spec.entity
        self._folded: dict[str, dict[str, int]] = {}
        self._indexes: dict[str, SearchIndex] = {}

    # -- description ---------------------------------------------------------

    @property
    def entity(self) -> str:
        """The registry this source feeds, e.g. ``CellType``."""
        return self._entity_label

    @property
    def organism(self) -> str:
        """``all``, ``human`` or ``mouse``."""
        return self.spec.organism

    @property
    def source(self) -> str:
        """Short source name, e.g. ``cl``."""
        return self.spec.name

    @property
    def version(self) -> str:
        """The source's version, e.g. ``v2026-03-26``."""
        return self.spec.version

    @property
    def name_field(self) -> str:
        """The field that names a term: ``symbol`` for genes, ``name`` otherwise."""
        return "symbol" if "symbol" in self._table.columns else "name"

    @property
    def id_field(self) -> str:
        """The index: ``ontology_id``, or ``ensembl_gene_id`` for genes."""
        return self._table.index.name

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        return (
            f"PublicOntology\nEntity: {self.entity}\nOrganism: {self.organism}\n"
            f"Source: {self.source}, {self.version} ({self.spec.package} {self.spec.package_version})\n"
            f"#terms: {len(self)}"
        )

    def df(self) -> pd.DataFrame:
        """The whole source as a DataFrame (a copy), indexed by ontology id."""
        return self._table.copy()

    # -- matching ---------------------------------------------------------

    def _check_field(self, field: str | None) -> str:
        if field is None:
            return self.name_field
        field = getattr(getattr(field, "field", None), "name", field)
        columns = [self.id_field, *self._table.columns]
        if field not in columns:
            raise errors.FieldValidationError(
                f"the public {self.entity} source has no field '{field}'."
                f"{errors.closest_match_hint(field, columns)} Fields: {', '.join(columns)}"
            )
        return field

    def _column(self, field: str) -> list:
        if field == self.id_field:
            return self._table.index.tolist()
        return self._table[field].tolist()

    def _positions(self, field: str, folded: bool = False) -> dict[str, int]:
        """``{value: row position}``, first row wins; ``folded`` lowercases the keys."""
        key = f"{field}:{folded}"
        if key not in self._folded:
            mapping: dict[str, int] = {}
            for i, value in enumerate(self._column(field)):
                if isinstance(value, str):
                    mapping.setdefault(value.lower() if folded else value, i)
            self._folded[key] = mapping
        return self._folded[key]

    def _synonym_positions(self) -> dict[str, int]:
        """``{synonym (lowercased): row position}`` for unambiguous synonyms.

        A synonym of several terms is ambiguous, unless the source says which of them
        it names today: a gene's alias symbol wins over another gene's previous symbol
        (``ABC1``: an alias of HEATR6, the previous symbol of ABCA1 → HEATR6).
        """
        key = "synonyms"
        if key not in self._folded:
            candidates: dict[str, list[int]] = {}
            for i, text in enumerate(self._table["synonyms"].tolist()):
                if not isinstance(text, str):
                    continue
                for synonym in text.split("|"):
                    rows = candidates.setdefault(synonym.lower(), [])
                    if not rows or rows[-1] != i:
                        rows.append(i)
            previous = self._table["previous_symbols"].tolist() if "previous_symbols" in self._table else None
            mapping: dict[str, int] = {}
            for synonym, rows in candidates.items():
                if len(rows) > 1 and previous is not None:
                    rows = [i for i in rows if synonym not in _lowered_set(previous[i])]
                if len(rows) == 1:
                    mapping[synonym] = rows[0]
            self._folded[key] = mapping
        return self._folded[key]

    def _loose_positions(self) -> dict[str, int]:
        """``{name without case and punctuation: row position}`` for names that stay unambiguous."""
        key = "loose"
        if key not in self._folded:
            mapping: dict[str, int] = {}
            ambiguous: set[str] = set()
            for i, value in enumerate(self._column(self.name_field)):
                if isinstance(value, str):
                    k = _loose_key(value)
                    if k in mapping:
                        ambiguous.add(k)
                    mapping.setdefault(k, i)
            self._folded[key] = {k: v for k, v in mapping.items() if k not in ambiguous and k}
        return self._folded[key]

    def _all_positions(self, field: str) -> dict[str, list[int]]:
        """``{value: [row positions]}`` of the values that several rows hold (genes of one symbol)."""
        key = f"{field}:shared"
        if key not in self._folded:
            seen: dict[str, list[int]] = {}
            for i, value in enumerate(self._column(field)):
                if isinstance(value, str):
                    seen.setdefault(value, []).append(i)
            self._folded[key] = {v: ps for v, ps in seen.items() if len(ps) > 1}
        return self._folded[key]

    def rows_all(self, values: Iterable[str], field: str | None = None) -> dict[str, list[pd.Series]]:
        """``{value: [rows]}``: every row that holds each value exactly, in table order.

        Example:
            >>> [row.name for row in bt.Gene.public().rows_all(["PDCD1"], "symbol")["PDCD1"]]
        """
        field = self._check_field(field)
        positions = self._positions(field)
        shared = self._all_positions(field) if field != self.id_field else {}
        result = {}
        for value in values:
            i = positions.get(value) if isinstance(value, str) else None
            if i is not None:
                result[value] = [self._table.iloc[j] for j in shared.get(value, [i])]
        return result

    def rows_for(self, values: Iterable[str], field: str | None = None) -> dict[str, pd.Series]:
        """``{value: row}`` for the values that match ``field`` exactly (row name: the ontology id)."""
        field = self._check_field(field)
        positions = self._positions(field)
        result = {}
        for value in values:
            i = positions.get(value) if isinstance(value, str) else None
            if i is not None:
                result[value] = self._table.iloc[i]
        return result

    def synonym_matches(self, values: Iterable[str], field: str | None = None) -> dict[str, str]:
        """``{value: standardized value}`` for values that are not exact but match a
        name case-insensitively or a synonym."""
        field = self._check_field(field)
        exact = self._positions(field)
        folded = self._positions(field, folded=True)
        synonyms = self._synonym_positions() if field == self.name_field and "synonyms" in self._table else {}
        loose = self._loose_positions() if field == self.name_field and self.spec.loose_names else None
        column = self._column(field)
        result = {}
        for value in values:
            if not isinstance(value, str) or value in exact:
                continue
            i = folded.get(value.lower())
            if i is None:
                i = synonyms.get(value.lower())
            if i is None and loose is not None:
                i = loose.get(_loose_key(value))
            if i is not None and isinstance(column[i], str):
                result[value] = column[i]
        return result

    def validate(self, values: Any, field: str | None = None, mute: bool = False) -> np.ndarray:
        """A boolean array: which values match ``field`` exactly (the name field by default).

        Example:
            >>> bt.CellType.public().validate(["T cell", "T-cell"])
            array([ True, False])
        """
        import numpy as np

        field = self._check_field(field)
        values = _to_list(values)
        positions = self._positions(field)
        result = np.array([isinstance(v, str) and v in positions for v in values], dtype=bool)
        if not mute:
            unique = set(values)
            valid = {v for v, ok in zip(values, result) if ok}
            logger.info(f"{len(valid)} of {len(unique)} unique terms are validated for {field}")
        return result

    def inspect(self, values: Any, field: str | None = None, mute: bool = False) -> InspectResult:
        """Which values are validated, which are not, and which are synonyms of a standardized name.

        Example:
            >>> result = bt.CellType.public().inspect(["T cell", "T-cell", "my cell"])
            ! 1 term is a synonym: 'T-cell' → 'T cell'; standardize with .standardize(values)
            >>> result.non_validated
            ['T-cell', 'my cell']
        """
        field = self._check_field(field)
        values = list(dict.fromkeys(_to_list(values)))
        mask = self.validate(values, field=field, mute=True)
        validated = [v for v, ok in zip(values, mask) if ok]
        non_validated = [v for v, ok in zip(values, mask) if not ok]
        mapper = self.synonym_matches(non_validated, field=field)
        if not mute:
            share = 100 * len(validated) / len(values) if values else 100.0
            logger.success(f"{len(validated)} unique term{'s' if len(validated) != 1 else ''} ({share:.0f}%) are validated for {field}")
            if mapper:
                pairs = ", ".join(f"{k!r} → {v!r}" for k, v in list(mapper.items())[:10])
                logger.warning(
                    f"{len(mapper)} term{'s are synonyms' if len(mapper) > 1 else ' is a synonym'}: {pairs}; "
                    "standardize with .standardize(values)"
                )
            rest = [v for v in non_validated if v not in mapper]
            if rest:
                logger.warning(
                    f"{len(rest)} term{'s are' if len(rest) > 1 else ' is'} not in the public {self.entity} source: "
                    + ", ".join(repr(v) for v in rest[:10])
                )
        return InspectResult(validated, non_validated, mapper)

    def standardize(self, values: Any, field: str | None = None) -> list:
        """The values with synonyms (and case variants) replaced by the standardized name."""
        values = _to_list(values)
        mapper = self.synonym_matches(values, field=field)
        return [mapper.get(v, v) for v in values]

    def search(self, string: str, field: str | list[str] | None = None, limit: int | None = 20, case_sensitive: bool = False) -> pd.DataFrame:
        """Terms ranked by how well they match ``string``, with a ``score`` column (0-100).

        An exact match of the name or of a synonym scores 100; a term that
        contains the whole string scores 80-100; other terms their edit similarity.

        Args:
            string: The text to look for.
            field: The field to search (default: the name, with its synonyms).
            limit: How many rows to return (None: every row that scores above 0).
            case_sensitive: Whether case must match.

        Example:
            >>> bt.CellType.public().search("P cell").head(2)
                                   name  ...  score
            ontology_id
            CL:0002072        nodal myocyte  ...  100.0
            CL:0000696              PP cell  ...   97.1
        """
        if not isinstance(string, str) or not string.strip():
            raise errors.InvalidArgument(f"search() takes a non-empty string, got {string!r}")
        fields = [field] if isinstance(field, str) or field is None else list(field)
        if fields != [None]:
            fields = [self._check_field(f) for f in fields]
        key = f"search:{fields}:{case_sensitive}"
        index = self._indexes.get(key)
        if index is None:
            if fields == [None]:
                names = self._column(self.name_field)
                synonyms = self._column("synonyms") if "synonyms" in self._table else []
            else:
                # several fields: the first counts as the name, the others as synonyms
                columns = [self._column(f) for f in fields]
                names = columns[0]
                synonyms = [
                    "|".join(str(c[i]) for c in columns[1:] if isinstance(c[i], str)) or None for i in range(len(names))
                ]
            index = self._indexes[key] = SearchIndex(names, synonyms, case_sensitive)
        ranked = index.rank(string, limit=limit)
        result = self._table.iloc[[i for i, _, _ in ranked]].copy()
        result["score"] = [round(score, 1) for _, score, _ in ranked]
        return result

    def lookup(self, field: str | None = None):
        """An object whose attributes are the values of ``field`` made into identifiers
        (``t_cell``); each gives the term's row. ``.dict()`` maps the raw values to rows.

        Example:
            >>> cell_types = bt.CellType.public().lookup()
            >>> cell_types.t_cell.name
            'T cell'
        """
        field = self._check_field(field)
        rows = {}
        for i, value in enumerate(self._column(field)):
            if isinstance(value, str):
                rows.setdefault(value, i)
        return PublicLookup({value: self._table.iloc[i] for value, i in rows.items()})


def _identifier(value: str) -> str:
    name = re.sub(r"\W+", "_", value.strip().lower()).strip("_") or "_"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"_{name}"
    return name


class PublicLookup:
    """Attribute access to public terms; see ``PublicOntology.lookup``."""

    def __init__(self, rows: dict[str, Any]):
        self._rows = rows
        self._by_identifier: dict[str, Any] = {}
        for value, row in rows.items():
            self._by_identifier.setdefault(_identifier(value), row)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_by_identifier"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return sorted(self._by_identifier)

    def __getitem__(self, value: str):
        return self._rows[value]

    def _ipython_key_completions_(self) -> list[str]:
        return list(self._rows)

    def dict(self) -> dict[str, Any]:
        """``{raw value: row}``."""
        return dict(self._rows)
