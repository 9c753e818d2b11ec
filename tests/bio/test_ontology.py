"""LaminDB 1.0's ontology behaviour: uids from ontology ids, parents saved with a term,
import_source, the hierarchy, synonyms, organisms, the Source registry."""

from __future__ import annotations

import pytest


def test_uid_of_a_public_term_is_the_hash_of_its_ontology_id(bt):
    # the uids LaminDB gives these terms, in every instance
    assert bt.Ethnicity.from_source(ontology_id="HANCESTRO:0597").uid == "7RNCY3yC"
    assert bt.CellType.from_source(ontology_id="CL:0000084").uid == "22LvKd01"
    assert len(bt.Gene.from_source(ensembl_gene_id="ENSG00000153563").uid) == 12
    # a term made by hand: a random uid, no clash between two of them
    assert bt.CellType(name="my cell").uid != bt.CellType(name="my cell 2").uid


def test_save_of_a_public_term_saves_and_links_its_parents_by_default(bt):
    record = bt.Ethnicity.from_source(ontology_id="HANCESTRO:0005").save()
    parent = bt.Ethnicity.get(ontology_id="HANCESTRO:0004")
    assert parent in record.parents.all()
    assert record in parent.children.all()
    # the opt-out
    b_cell = bt.CellType.from_source(ontology_id="CL:0000236").save(parents=False)
    assert b_cell.parents.count() == 0
    bt.settings.auto_save_parents = False
    t_cell = bt.CellType.from_source(ontology_id="CL:0000084").save()
    assert t_cell.parents.count() == 0


def test_ln_save_of_from_values_links_the_parents(bt, instance):
    ln = instance
    ln.save(bt.Ethnicity.from_values(["HANCESTRO:0597", "HANCESTRO:0006"], field=bt.Ethnicity.ontology_id))
    record = bt.Ethnicity.get("7RNCY3yC")
    # HANCESTRO v2025-10-14 (the release shipped offline) also files it under 'ethnicity category'
    assert set(record.parents.values_list("name", flat=True)) == {"South East Asian ancestry", "ethnicity category"}
    # part of the source: not all of it is in the registry
    assert record.source.in_db is False


def test_import_source_imports_every_term_with_its_hierarchy(bt, capsys):
    record = bt.Ethnicity.from_source(ontology_id="HANCESTRO:0005").save()
    bt.Ethnicity.get(ontology_id="HANCESTRO:0004").delete()
    capsys.readouterr()
    bt.Ethnicity.import_source()
    out = capsys.readouterr().out
    assert "importing Ethnicity records from hancestro" in out and "import is completed!" in out
    public = bt.Ethnicity.public()
    assert bt.Ethnicity.filter().count() == len(public)
    parent = bt.Ethnicity.get(ontology_id="HANCESTRO:0004")
    assert parent in record.parents.all()  # the existing term is linked to the new parent
    assert "South East Asian ancestry" in bt.Ethnicity.get("7RNCY3yC").parents.values_list("name", flat=True)
    assert bt.Ethnicity.get(ontology_id="HANCESTRO:0005").source.in_db is True
    # a second import adds nothing
    bt.Ethnicity.import_source()
    assert bt.Ethnicity.filter().count() == len(public)


def test_import_source_of_some_terms_brings_their_ancestors(bt):
    bt.CellType.import_source(ontology_ids=["CL:0000084"])
    t_cell = bt.CellType.get(ontology_id="CL:0000084")
    assert "lymphocyte" in t_cell.query_parents().values_list("name", flat=True)
    assert bt.CellType.get(name="cell").children.exists()
    assert t_cell.source.in_db is False


def test_query_parents_children_and_view_parents(bt):
    t_cell = bt.CellType.from_source(ontology_id="CL:0000084").save()
    ancestors = set(t_cell.query_parents().values_list("name", flat=True))
    assert {"lymphocyte", "leukocyte", "cell"} <= ancestors and "T cell" not in ancestors
    lymphocyte = bt.CellType.get(name="lymphocyte")
    assert t_cell in lymphocyte.query_children()
    assert lymphocyte not in lymphocyte.query_children()
    view = t_cell.view_parents(distance=2)
    lines = str(view).splitlines()
    assert lines[:3] == ["T cell", "└── lymphocyte", "    └── mononuclear leukocyte"]
    assert '"lymphocyte" -> "T cell"' in view.dot
    assert "children:" in str(lymphocyte.view_parents(bt.CellType.ontology_id, with_children=True, distance=1))


def test_view_parents_of_labels_made_by_hand(bt):
    root = bt.CellType(name="my root").save()
    child = bt.CellType(name="my child").save()
    child.parents.add(root)
    assert str(child.view_parents()) == "my child\n└── my root"
    assert list(root.query_children()) == [child]


def test_add_remove_synonym_and_set_abbr(bt, instance):
    t_cell = bt.CellType.from_source(name="T cell").save()
    t_cell.add_synonym(["my T", "our T"])
    assert "my T" in bt.CellType.get(name="T cell").synonyms.split("|")
    assert bt.CellType.from_values(["our T"])[0] == t_cell
    t_cell.remove_synonym("my T")
    assert "my T" not in bt.CellType.get(name="T cell").synonyms.split("|")
    b_cell = bt.CellType.from_source(name="B cell").save()
    with pytest.raises(instance.errors.ValidationError, match="already associated with other records"):
        b_cell.add_synonym("our T")
    with pytest.raises(instance.errors.ValidationError, match="can't contain"):
        b_cell.add_synonym("a|b")
    b_cell.add_synonym("our T", force=True)
    b_cell.set_abbr("BC")
    b_cell = bt.CellType.get(name="B cell")
    assert b_cell.abbr == "BC" and "BC" in b_cell.synonyms.split("|")
    with pytest.raises(NotImplementedError, match="No abbr field"):
        bt.Gene.from_source(symbol="CD8A").set_abbr("x")


def test_organism_not_set_is_raised_where_an_organism_is_needed(bt, instance):
    bt.settings.organism = None
    with pytest.raises(instance.errors.OrganismNotSet, match="Gene requires to specify a organism"):
        bt.Gene.from_values(["CD8A"], bt.Gene.symbol)
    # Ensembl ids name their organism
    assert [g.organism.name for g in bt.Gene.from_values(["ENSG00000153563"], bt.Gene.ensembl_gene_id)] == ["human"]
    genes = bt.Gene.from_values(["ENSMUSG00000053977"], field=bt.Gene.ensembl_gene_id)
    assert [(g.symbol, g.organism.name) for g in genes] == [("Cd8a", "mouse")]
    # registries without an organism field use their (human) source
    assert bt.Ethnicity.from_source(ontology_id="HANCESTRO:0005").name
    bt.settings.organism = "human"
    assert bt.Gene.from_values(["CD8A"], bt.Gene.symbol)[0].ensembl_gene_id == "ENSG00000153563"
    assert instance.errors.OrganismNotSet is instance.core.exceptions.OrganismNotSet


def test_from_values_takes_a_field_not_a_registry(bt):
    with pytest.raises(TypeError, match="field takes a field name"):
        bt.CellType.from_values(["T cell"], field=bt.CellType)


def test_from_values_skips_empty_strings_and_keeps_the_source_entity(bt):
    records = bt.CellType.from_values(["CL:0000084", "CL:0000182", ""], "ontology_id")
    assert {r.name for r in records} == {"T cell", "hepatocyte"}
    assert records[0].source.entity == "bio.CellType"


def test_from_values_by_synonym_and_existing(bt):
    bt.CellType.from_source(name="T cell").save()
    records = bt.CellType.from_values(["T cell", "T-cell", "t cell", "B cell", "B-cell"], "name")
    assert sorted(r.name for r in records) == ["B cell", "T cell"]
    assert all(isinstance(r.source, bt.Source) for r in records)


def test_standardize_and_inspect_public_aware(bt, capsys):
    bt.CellType.from_source(name="B cell").save()
    assert bt.CellType.standardize(["B-cell", "T-cell", "x"]) == ["B cell", "T cell", "x"]
    assert bt.CellType.standardize(["T-cell"], public_aware=False) == ["T-cell"]
    assert bt.CellType.standardize(["B-cell", "T-cell", "B cell"], return_mapper=True) == {
        "B-cell": "B cell", "T-cell": "T cell",
    }
    assert bt.CellType.standardize("b cell") == "B cell"
    assert bt.CellType.standardize(["b cell"], case_sensitive=True) == ["b cell"]
    assert bt.CellType.standardize(["B-cell"], return_field="ontology_id") == ["CL:0000236"]
    assert bt.CellType.inspect(["T-cell"], mute=True).synonyms_mapper == {"T-cell": "T cell"}
    assert bt.CellType.inspect(["T-cell"], mute=True, public_aware=False).synonyms_mapper == {}


def test_cell_line_names_in_other_case(bt):
    assert [r.name for r in bt.CellLine.from_values(["HEPG2"], mute=True)] == ["Hep-G2"]
    assert bt.CellLine.standardize(["HEPG2", "hep g2"]) == ["Hep-G2", "Hep-G2"]


def test_a_new_instance_lists_the_sources_that_ship_offline(bt):
    sources = bt.Source.filter(currently_used=True)
    entities = set(sources.values_list("entity", flat=True))
    assert {"bio.CellType", "bio.Gene", "bio.Organism", "bio.Ethnicity", "bio.Disease"} <= entities
    cl = sources.get(entity="bio.CellType")
    assert (cl.name, cl.organism, cl.in_db) == ("cl", "all", False)
    assert cl.version == bt.CellType.public().version
    assert set(bt.Source.filter(entity="bio.Gene").values_list("organism", flat=True)) >= {"human", "mouse"}
    # records made from the source point to that row
    assert bt.CellType.from_source(name="T cell").source == cl
