"""Genes: offline Ensembl ids for symbols, organisms, feature sets."""

from __future__ import annotations

import pytest


def test_gene_from_values_finds_ensembl_ids_offline(bt, capsys):
    genes = bt.Gene.from_values(["CD8A", "CD4", "CD14"], field=bt.Gene.symbol)
    assert [g.ensembl_gene_id for g in genes] == ["ENSG00000153563", "ENSG00000010610", "ENSG00000170458"]
    assert [g.ncbi_gene_ids for g in genes] == ["925", "920", "929"]
    assert {g.biotype for g in genes} == {"protein_coding"}
    assert all(g._state.adding for g in genes)
    assert "✓ added 3 records from public with Gene.symbol: 'CD8A', 'CD4', 'CD14'" in capsys.readouterr().out
    genes.save()
    assert bt.Gene.filter(symbol__in=["CD8A", "CD4", "CD14"]).count() == 3
    human = bt.Organism.get(name="human")
    assert (human.ontology_id, human.scientific_name) == ("NCBITaxon:9606", "homo_sapiens")
    assert {g.organism_id for g in genes} == {human.id}
    # a second call takes the saved records
    again = bt.Gene.from_values(["CD8A", "CD4"], field="symbol")
    assert [g.id for g in again] == [genes[0].id, genes[1].id]
    assert "Gene.from_values: 2 found by symbol" in capsys.readouterr().out


def test_gene_from_values_by_ensembl_id_and_mouse(bt):
    genes = bt.Gene.from_values(["ENSMUSG00000053977"], field=bt.Gene.ensembl_gene_id, organism="mouse")
    assert [(g.symbol, g.organism.name) for g in genes] == [("Cd8a", "mouse")]
    bt.settings.organism = "mouse"
    assert bt.Gene.from_source(symbol="Cd4").ensembl_gene_id == "ENSMUSG00000023274"


def test_gene_unknown_values_are_created_only_when_asked(bt, capsys):
    assert bt.Gene.from_values(["NOT-A-GENE"], field="symbol") == []
    assert "1 value without a record: 'NOT-A-GENE' (pass create=True to create it)" in capsys.readouterr().out
    created = bt.Gene.from_values(["NOT-A-GENE"], field="symbol", create=True)
    assert created[0].symbol == "NOT-A-GENE" and created[0].ensembl_gene_id is None
    assert created[0].organism.name == "human"


def test_gene_organism_without_source_is_a_clear_message(bt, capsys):
    assert bt.Gene.from_values(["cd8a"], field="symbol", organism="zebrafish") == []
    out = capsys.readouterr().out
    assert "no public Gene source for organism 'zebrafish'; organisms with one: human, mouse" in out


def test_gene_synonym_is_standardized(bt):
    # CD8 is CD8A's previous symbol
    assert bt.Gene.public().standardize(["CD8"]) == ["CD8A"]
    assert bt.Gene.inspect(["CD8"], mute=True).synonyms_mapper == {"CD8": "CD8A"}


def test_feature_set_with_registry_bio_gene_holds_genes(bt, instance):
    ln = instance
    genes = bt.Gene.from_values(["CD8A", "CD4"], field="symbol").save()
    feature_set = ln.FeatureSet(n=2, registry="bio.Gene", dtype="int").save()
    feature_set.genes.add(*genes)
    assert set(feature_set.genes.values_list("symbol", flat=True)) == {"CD8A", "CD4"}
    assert genes[0].feature_sets.get() == feature_set


def test_unknown_field_names_the_closest(bt, instance):
    with pytest.raises(instance.errors.FieldValidationError, match="Gene has no field 'symbl'. Did you mean 'symbol'"):
        bt.Gene.from_values(["CD8A"], field="symbl")


def test_gene_symbol_of_two_genes_gives_both_and_a_synonym_names_the_gene_of_today(bt, capsys):
    # PDCD1: a gene and its copy on an alternative haplotype; ABC1: an alias of HEATR6
    # today, and the previous symbol of ABCA1
    assert bt.Gene.public().standardize(["ABC1"]) == ["HEATR6"]
    records = bt.Gene.from_values(["ABC1", "PDCD1"], bt.Gene.symbol, organism="human")
    assert [(g.symbol, g.ensembl_gene_id) for g in records] == [
        ("HEATR6", "ENSG00000068097"), ("PDCD1", "ENSG00000188389"), ("PDCD1", "ENSG00000276977"),
    ]
    assert "ambiguous validation in the public source for 1 record: 'PDCD1'" in capsys.readouterr().out
    records.save()
    assert bt.Gene.filter(symbol="PDCD1").count() == 2
    # by id, no synonyms: symbols are not Ensembl ids
    assert bt.Gene.from_values(["HES4", "TNFRSF4"], field=bt.Gene.ensembl_gene_id, mute=True) == []
