"""Public sources: what ships, how it is read and cached, search, inspect, validate."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from lamindb_core.bio import sources


@pytest.mark.parametrize(
    ("ontology_id", "name", "synonyms"),
    [
        ("CL:0000084", "T cell", "T lymphocyte|T-cell|T-lymphocyte"),
        ("CL:0000236", "B cell", "B lymphocyte|B-cell|B-lymphocyte"),
        ("CL:0000540", "neuron", "nerve cell"),
        ("CL:0002072", "nodal myocyte", "P cell|cardiac pacemaker cell|myocytus nodalis"),
        ("CL:0000696", "PP cell", "type F enteroendocrine cell"),
    ],
)
def test_from_source_cell_type_names_and_synonyms(bt, ontology_id, name, synonyms):
    record = bt.CellType.from_source(ontology_id=ontology_id)
    assert record._state.adding  # unsaved
    assert (record.name, record.ontology_id) == (name, ontology_id)
    assert set(record.synonyms.split("|")) >= set(synonyms.split("|"))
    assert record.description
    assert record.source.name == "cl" and record.source.entity == "bio.CellType"


def test_from_source_by_name_and_saving(bt):
    record = bt.CellType.from_source(name="B cell").save()
    assert record.ontology_id == "CL:0000236"
    # an existing record is returned instead of a new one
    assert bt.CellType.from_source(ontology_id="CL:0000236").id == record.id


def test_from_source_unknown_ontology_id_names_the_source(bt):
    with pytest.raises(bt.CellType.DoesNotExist) as info:
        bt.CellType.from_source(ontology_id="CL:9999999")
    message = str(info.value)
    assert "No CellType with ontology_id='CL:9999999' in the public source cl" in message
    assert sources.find_spec("CellType").version in message


def test_from_source_synonym_gives_the_standardized_term_with_a_warning(bt, capsys):
    record = bt.CellType.from_source(name="T-lymphocyte")
    assert record.name == "T cell"
    assert "'T-lymphocyte' is a synonym of 'T cell'" in capsys.readouterr().out


def test_public_search_p_cell_puts_synonym_and_name_matches_first(bt):
    result = bt.CellType.public().search("P cell")
    assert set(result["name"].head(2)) == {"nodal myocyte", "PP cell"}
    assert result["name"].iloc[0] == "nodal myocyte"  # exact synonym match
    assert result["score"].iloc[0] == 100
    assert list(result["score"]) == sorted(result["score"], reverse=True)
    assert len(result) == 20


def test_public_search_survives_a_typo_and_rejects_empty(bt, instance):
    public = bt.CellType.public()
    assert public.search("T-cel")["name"].iloc[0] == "T cell"
    with pytest.raises(instance.errors.InvalidArgument, match="non-empty string"):
        public.search("  ")


def test_public_validate_inspect_standardize(bt, capsys):
    public = bt.CellType.public()
    assert public.validate(["T cell", "T-cell", "my cell"], mute=True).tolist() == [True, False, False]
    result = public.inspect(["T cell", "T-cell", "my cell"])
    assert result.validated == ["T cell"]
    assert result.non_validated == ["T-cell", "my cell"]
    assert result.synonyms_mapper == {"T-cell": "T cell"}
    out = capsys.readouterr().out
    assert "'T-cell' → 'T cell'" in out and "'my cell'" in out
    assert public.standardize(["T-cell", "t cell", "my cell"]) == ["T cell", "T cell", "my cell"]
    assert public.lookup().t_cell["name"] == "T cell"


def test_public_df_and_repr_show_source_and_version(bt):
    public = bt.CellType.public()
    df = public.df()
    assert df.index.name == "ontology_id"
    assert {"name", "synonyms", "description", "parents"} <= set(df.columns)
    assert len(df) > 3000
    text = repr(public)
    assert "Source: cl, v" in text and "cellxgene-ontology-guide" in text


@pytest.mark.parametrize(
    ("registry", "organism", "ontology_id", "name"),
    [
        ("Tissue", None, "UBERON:0002048", "lung"),
        ("Disease", None, "MONDO:0004992", "cancer"),
        ("ExperimentalFactor", None, "EFO:0009922", "10x 3' v3"),
        ("Phenotype", None, "PATO:0000384", "male"),
        ("DevelopmentalStage", "human", "HsapDv:0000258", "adult stage"),
        ("DevelopmentalStage", "mouse", "MmusDv:0000110", "mature stage"),
        ("Ethnicity", None, "HANCESTRO:0005", "European ancestry"),
        ("CellLine", None, "CVCL_0030", "HeLa"),
        ("Organism", None, "NCBITaxon:10090", "mouse"),
    ],
)
def test_every_registry_has_a_public_source(bt, registry, organism, ontology_id, name):
    model = getattr(bt, registry)
    public = model.public(organism=organism)
    assert public.df().loc[ontology_id, "name"] == name
    assert model.from_source(ontology_id=ontology_id, organism=organism).name == name


def test_organism_without_a_gene_source_is_a_clear_error(bt):
    with pytest.raises(sources.SourceUnavailable) as info:
        bt.Gene.public(organism="zebrafish")
    assert str(info.value) == "no public Gene source for organism 'zebrafish'; organisms with one: human, mouse"


def test_source_rows_record_the_ontology_and_version_used(bt):
    bt.CellType.from_source(ontology_id="CL:0000084")
    spec = sources.find_spec("CellType")
    source = bt.Source.get(entity="bio.CellType", currently_used=True)
    assert (source.name, source.organism, source.version) == ("cl", "all", spec.version)
    assert source.aux == {"package": "cellxgene-ontology-guide", "package_version": spec.package_version}
    assert spec.version in source.url and source.url.endswith("cl.owl")
    # using the source again adds no row
    bt.CellType.from_source(ontology_id="CL:0000236")
    assert bt.Source.filter(entity="bio.CellType").count() == 1


def test_package_versions_are_those_importlib_metadata_reads():
    # the version in a .dist-info folder's name, as importlib.metadata reads it from METADATA,
    # for every distribution of this environment (names written any way the specifications allow)
    from importlib import metadata

    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert {sources.ONTOLOGY_PACKAGE, sources.GENE_PACKAGE, "django", "pandas"} <= {sources._normalized(n) for n in names}
    for name in names:
        assert sources._installed_version(name) == metadata.version(name), name
        assert sources._installed_version(name.upper().replace("-", "_")) == metadata.version(name), name
    assert sources._installed_version("no-such-package-lamindb-core") is None


def test_package_version_of_other_installations_and_a_missing_package(tmp_path, monkeypatch):
    # an .egg-info (no version in its name) and two .dist-info folders of one name: importlib.metadata
    # decides; a package that is not installed is a clear error
    (tmp_path / "egged.egg-info").mkdir()
    (tmp_path / "egged.egg-info" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: egged\nVersion: 3.1.4\n")
    for version in ("1.0", "2.0"):
        (tmp_path / f"twice-{version}.dist-info").mkdir()
        (tmp_path / f"twice-{version}.dist-info" / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: twice\nVersion: {version}\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sources, "_versions", {})
    assert sources._dist_info_version("egged") is None and sources._installed_version("egged") == "3.1.4"
    assert sources._dist_info_version("twice") is None and sources._installed_version("twice") in ("1.0", "2.0")
    spec = dataclasses.replace(sources.find_spec("CellType"), package="no-such-package-lamindb-core")
    with pytest.raises(sources.SourceUnavailable, match="no-such-package-lamindb-core, which is not installed"):
        spec.package_version


def test_cache_is_a_parquet_file_and_a_second_process_reads_it(tmp_path):
    # (how fast a cached load is: benchmarks/bench_bio.py, not a timed assertion here)
    code = (
        "from lamindb_core.bio import sources as s; "
        "table = s.load_table(s.find_spec('CellType')); print(len(table), table.loc['CL:0000084', 'name'])"
    )
    env = {**os.environ, "LAMIN_CORE_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    files = list((tmp_path / "bio").glob("CellType__all__cl__*.parquet"))
    assert len(files) == 1
    written = files[0].stat().st_mtime_ns
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert second.stdout == first.stdout and second.stdout.split(maxsplit=1)[1].strip() == "T cell"
    assert files[0].stat().st_mtime_ns == written  # read from the cache, not written again


def test_import_of_bio_stays_light(tmp_path):
    code = (
        "import sys, lamindb_core.bio as bt; bt.settings.organism = 'mouse'; "
        "print(sorted(m for m in ('django.db', 'django.apps', 'pandas', 'rapidfuzz', 'zstandard') if m in sys.modules))"
    )
    env = {**os.environ, "LAMIN_CORE_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert not (tmp_path / "instances").exists()


@pytest.mark.parametrize(("registry", "organism", "query"), [("Gene", "human", "CD8"), ("Disease", None, "breast cancer")])
def test_public_search_top_is_the_head_of_the_full_ranking(bt, registry, organism, query):
    public = getattr(bt, registry).public(organism=organism)
    full = public.search(query, limit=None)
    top = public.search(query, limit=20)
    assert top.index.tolist() == full.index[:20].tolist()
    assert top["score"].tolist() == full["score"][:20].tolist()


def test_public_search_by_field(bt):
    public = bt.Gene.public()
    assert public.search("ENSG00000153563", field="ensembl_gene_id").index[0] == "ENSG00000153563"
    assert public.search("CD8a molecule", field=["description", "symbol"])["symbol"].iloc[0] == "CD8A"
    with pytest.raises(ValueError, match="no field 'symbl'. Did you mean 'symbol'"):
        public.search("CD8A", field="symbl")


def test_first_load_shows_a_bar_in_the_compressed_bytes_read(tmp_path, monkeypatch, capsys):
    # the first load reads the package's file once; with bars on (and no delay) the bar
    # ends at the file's size; a cached load shows none
    tqdm = pytest.importorskip("tqdm")
    from lamindb_core import progress

    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(progress.ENV_VAR, "1")
    monkeypatch.setattr(progress, "DELAY", 0)
    spec = sources.find_spec("CellType")
    size = sources._ontology_file(spec.key).stat().st_size
    sources.clear_memory_cache()
    table = sources.load_table(spec)
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("first load of CellType (cl): 100%") and len(table) > 1000
    shown = tqdm.tqdm.format_sizeof(size, divisor=1024)  # 186k: as tqdm writes the total
    assert f"| {shown}/{shown} [" in last
    sources.clear_memory_cache()
    sources.load_table(spec)  # from the parquet file
    assert capsys.readouterr().err == ""
