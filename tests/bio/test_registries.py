"""The bio registries in the core machinery: features, labels, df(include=...), view, parents, settings."""

from __future__ import annotations

import pytest


def make_artifact(ln, key="dataset.h5ad"):
    storage = ln.Storage.filter().first()
    return ln.Artifact(key=key, suffix=".h5ad", storage=storage).save()


def test_registry_columns_are_those_of_the_spec(bt):
    from lamindb_core.introspect import display_field_names

    assert display_field_names(bt.CellType) == [
        "uid", "id", "name", "ontology_id", "abbr", "synonyms", "description", "space_id", "source_id",
        "run_id", "created_at", "created_by_id", "aux", "_branch_code",
    ]
    assert display_field_names(bt.Gene)[:12] == [
        "uid", "id", "symbol", "stable_id", "ensembl_gene_id", "ncbi_gene_ids", "biotype", "synonyms",
        "description", "space_id", "source_id", "organism_id",
    ]
    assert display_field_names(bt.Organism)[:9] == [
        "uid", "id", "name", "ontology_id", "scientific_name", "synonyms", "description", "space_id", "source_id",
    ]
    assert display_field_names(bt.Source)[:14] == [
        "uid", "id", "entity", "organism", "name", "in_db", "currently_used", "description", "url", "md5",
        "source_website", "space_id", "dataframe_artifact_id", "version",
    ]
    uid_lengths = {m.__name__: m._meta.get_field("uid").max_length for m in (bt.CellType, bt.Gene, bt.Organism, bt.Source)}
    assert uid_lengths == {"CellType": 8, "Gene": 12, "Organism": 8, "Source": 4}


def test_feature_of_dtype_cat_bio_cell_type(bt, instance):
    ln = instance
    ln.Feature(name="cell_type_by_expert", dtype="cat[bionty.CellType]").save()
    bt.CellType.from_values(["B cell", "T cell"], create=True).save()
    artifact = make_artifact(ln)
    artifact.features.add_values({"cell_type_by_expert": ["B cell", "T cell"]})
    assert set(artifact.cell_types.values_list("name", flat=True)) == {"B cell", "T cell"}
    df = ln.Artifact.df(include="cell_types__name")
    assert df.loc[artifact.id, "cell_types__name"] == {"B cell", "T cell"}
    features = ln.Artifact.df(features=True)
    assert features.loc[artifact.id, "cell_type_by_expert"] == {"B cell", "T cell"}
    assert features.attrs["feature_dtypes"]["cell_type_by_expert"] == "cat[bionty.CellType]"  # as written


def test_from_values_existing_then_public_then_created(bt, capsys):
    bt.CellType.from_source(name="B cell").save()
    capsys.readouterr()
    records = bt.CellType.from_values(["B cell", "T cell", "my new cell"], create=True)
    out = capsys.readouterr().out
    assert "added 1 record from public with CellType.name: 'T cell'" in out
    assert (
        "CellType.from_values: 1 found by name, 1 from the public source (not yet saved), "
        "1 created (not yet saved): 'my new cell'"
    ) in out
    assert [r.ontology_id for r in records] == ["CL:0000236", "CL:0000084", None]
    assert [r._state.adding for r in records] == [False, True, True]


def test_from_values_synonyms_map_to_the_standardized_term(bt, capsys):
    records = bt.CellType.from_values(["T-cell"])
    assert [r.name for r in records] == ["T cell"]
    assert "'T-cell' → 'T cell'" in capsys.readouterr().out


def test_validate_and_inspect_against_the_registry(bt, capsys):
    bt.CellType.from_values(["B cell"]).save()
    assert bt.CellType.validate(["B cell", "T cell"], mute=True).tolist() == [True, False]
    result = bt.CellType.inspect(["B cell", "T cell", "B-cell", "my cell"])
    assert result.validated == ["B cell"]
    assert result.synonyms_mapper == {"B-cell": "B cell"}
    out = capsys.readouterr().out
    assert "'T cell'; add with CellType.from_values(values).save()" in out
    assert "3 of 4 unique values are not validated against CellType.name" in out
    assert "my cell" in result.non_validated and "my cell" not in result.synonyms_mapper
    assert bt.CellType.standardize(["B-cell", "x"]) == ["B cell", "x"]


def test_save_parents_links_the_ancestors(bt):
    t_cell = bt.CellType.from_source(ontology_id="CL:0000084").save(parents=True)
    assert list(t_cell.parents.values_list("name", flat=True)) == ["lymphocyte"]
    lymphocyte = bt.CellType.get(name="lymphocyte")
    assert t_cell in lymphocyte.children.all()
    assert bt.CellType.filter(name="cell").exists()  # the root
    # with parents=False only the record is saved (LaminDB saves the parents by default)
    bt.CellType.from_source(ontology_id="CL:0000236").save(parents=False)
    assert bt.CellType.get(name="B cell").parents.count() == 0


def test_from_values_mute_silences_the_public_source_too(bt, capsys):
    capsys.readouterr()
    records = bt.CellType.from_values(["T-cell", "B cell"], mute=True)
    assert [r.name for r in records] == ["T cell", "B cell"]
    assert capsys.readouterr().out == ""
    bt.CellType.from_values(["T-cell", "B cell"])
    out = capsys.readouterr().out
    assert "'T-cell' → 'T cell'" in out and "added 1 record from public with CellType.name: 'B cell'" in out


def test_bulk_save_with_auto_save_parents_saves_every_ancestor_once(bt, capsys):
    import lamindb_core as ln
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bt.settings.auto_save_parents = True
    records = bt.CellType.from_values(["CD8-positive, alpha-beta T cell", "B cell"], mute=True)
    capsys.readouterr()
    with CaptureQueriesContext(connection) as queries:
        ln.save(records)
    out = capsys.readouterr().out
    # one batch for both records' ancestors, no record saved twice
    assert out.splitlines() == ["✓ saved 14 ancestors of 2 CellType records and linked their parents"]
    assert bt.CellType.filter().count() == 16
    assert list(bt.CellType.get(name="B cell").parents.values_list("name", flat=True)) == ["lymphocyte of B lineage"]
    cd8 = bt.CellType.get(name="CD8-positive, alpha-beta T cell")
    assert list(cd8.parents.values_list("name", flat=True)) == ["mature alpha-beta T cell"]
    assert bt.CellType.get(name="lymphocyte").children.filter(name="T cell").exists()
    assert len(queries) < 40  # not a query per ancestor


def test_bio_records_search_and_lookup_fields(bt):
    bt.CellType.from_values(["B cell", "T cell"]).save()
    assert bt.CellType.filter(synonyms__contains="T-lymphocyte").one().name == "T cell"
    assert bt.CellType.get(ontology_id="CL:0000236").name == "B cell"
    # the generic search and lookup work on bio registries, synonyms included
    assert bt.CellType.search("T-lymphocyte").first().name == "T cell"
    assert bt.CellType.lookup().b_cell.ontology_id == "CL:0000236"


def test_view_lists_the_bio_module(bt, instance, capsys):
    ln = instance
    bt.CellType.from_values(["B cell"]).save()
    ln.view(modules="bio")
    out = capsys.readouterr().out
    assert "* module: bio *" in out
    assert "CellType" in out and "Source" in out


def test_settings_organism(bt):
    bt.settings.organism = "mouse"
    assert bt.settings.organism == "mouse"
    assert bt.Gene.public().organism == "mouse"
    with pytest.raises(ValueError, match="organism name"):
        bt.settings.organism = ""


def test_bio_on_an_instance_without_the_module_says_how_to_add_it(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import lamindb_core as ln, lamindb_core.bio as bt\n"
        "ln.setup.init(storage='./plain')\n"
        "try:\n"
        "    bt.Organism(name='my organism').save()\n"
        "except ln.errors.MissingModule as error:\n"
        "    print(error)\n"
        "ln.setup.init(storage='./plain', modules='bio')\n"
        "print(bt.Organism(name='my organism').save().name)\n"
    )
    env = {**os.environ, "LAMIN_CORE_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[1].startswith("Organism is a registry of the module 'bio', which the instance ")
    assert lines[1].endswith(f"ln.setup.init(storage='{(tmp_path / 'plain').resolve()}', name='plain', modules='bio') adds it, and the instance keeps its data")
    assert lines[2:] == [lines[2], "my organism"] and "exists already, connecting" in lines[2]


def test_value_sources_of_the_bio_registries_are_registered(bt):
    # lamindb_core.bio registers them when Django loads it: the Curator finds them by registry
    from lamindb_core.value_sources import value_source

    gene = value_source(bt.Gene)
    assert gene is not None and gene.save_missing == bt.Gene.save_from_public
    assert "gene symbols" in gene.warnings["symbol"]
    assert value_source(bt.CellType).warnings == {}
    assert value_source(bt.Source) is None  # no public source of sources
