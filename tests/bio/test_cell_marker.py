"""Cell markers: made by hand (no CellMarker table ships offline), unique per organism, linked to genes and proteins."""

from __future__ import annotations

import pandas as pd
import pytest

from lamindb_core.bio.uids import hashed_uid

NOT_SHIPPED = (
    "no public source for CellMarker ships offline: bionty downloads CellMarker, and none of the packages "
    "lamindb-core reads ships it; create records by hand, e.g. bt.CellMarker(name=...).save(), "
    "or with bt.CellMarker.from_values(values, create=True)"
)


@pytest.fixture
def pd1(bt):
    return bt.CellMarker(name="PD1", synonyms="PD-1|CD279", gene_symbol="PDCD1", ncbi_gene_id="5133", uniprotkb_id="Q15116").save()


def test_cell_marker_uid_is_the_hash_of_name_and_organism(bt, pd1):
    from lamindb_core.introspect import display_field_names

    # as bionty: name + organism name, hashed, 12 characters
    assert pd1.uid == hashed_uid("PD1human", 12) and pd1.organism.name == "human"
    mouse = bt.Organism.from_source(name="mouse").save()
    assert bt.CellMarker(name="PD1", organism=mouse).uid == hashed_uid("PD1mouse", 12)
    assert bt.CellMarker(name="PD1", organism_id=mouse.id).uid == hashed_uid("PD1mouse", 12)
    bt.settings.organism = "mouse"
    assert bt.CellMarker(name="Cd36").uid == hashed_uid("Cd36mouse", 12)
    assert display_field_names(bt.CellMarker)[:11] == [
        "uid", "id", "name", "synonyms", "description", "gene_symbol", "ncbi_gene_id", "uniprotkb_id",
        "space_id", "source_id", "organism_id",
    ]


def test_cell_marker_name_is_unique_per_organism(bt, pd1):
    bt.settings.organism = "mouse"
    mouse_pd1 = bt.CellMarker(name="PD1").save()
    assert mouse_pd1.id != pd1.id and mouse_pd1.organism.name == "mouse"
    assert sorted(bt.CellMarker.filter(name="PD1").values_list("organism__name", flat=True)) == ["human", "mouse"]
    # validation is per organism: the mouse marker, then the human one
    assert bt.CellMarker.from_values(["PD1"], mute=True)[0] == mouse_pd1
    assert bt.CellMarker.from_values(["PD1"], organism="human", mute=True)[0] == pd1
    # the same name and organism hash to the same uid: the saved marker, not a second one
    assert bt.CellMarker(name="PD1", organism=pd1.organism).save().id == pd1.id
    with pytest.raises(ValueError, match="cannot save CellMarker: UNIQUE constraint failed|cannot save CellMarker: duplicate key"):
        bt.CellMarker(name="PD1", organism=pd1.organism, uid="someOtherUid").save()


def test_cell_marker_organism_not_set_is_a_clear_message(bt, instance):
    bt.settings.organism = None
    marker = bt.CellMarker(name="CD69")
    with pytest.raises(instance.errors.OrganismNotSet, match="CellMarker requires to specify a organism name"):
        marker.save()


def test_cell_marker_genes_and_proteins(bt, pd1):
    gene = bt.Gene.from_source(symbol="PDCD1").save()
    protein = bt.Protein(name="Programmed cell death protein 1", uniprotkb_id="Q15116", gene_symbol="PDCD1").save()
    pd1.genes.add(gene)
    pd1.proteins.add(protein)
    assert list(gene.cell_markers.all()) == [pd1] and list(protein.cell_markers.all()) == [pd1]
    assert bt.CellMarker.filter(genes__ensembl_gene_id="ENSG00000188389").one() == pd1


def test_cell_marker_synonyms_validate_inspect_standardize(bt, pd1):
    assert bt.CellMarker.validate(["PD1", "CD279", "CD8"], mute=True).tolist() == [True, False, False]
    result = bt.CellMarker.inspect(["PD1", "CD279", "pd-1", "CD8"], mute=True)
    assert result.validated == ["PD1"]
    assert result.synonyms_mapper == {"CD279": "PD1", "pd-1": "PD1"}
    assert bt.CellMarker.standardize(["CD279", "CD8"]) == ["PD1", "CD8"]
    assert bt.CellMarker.standardize(["CD279"], return_mapper=True) == {"CD279": "PD1"}
    pd1.add_synonym("PDCD1")
    assert bt.CellMarker.get(name="PD1").synonyms == "PD-1|CD279|PDCD1"


def test_cell_marker_from_values_and_no_public_source(bt, pd1, capsys):
    from lamindb_core.bio.sources import SourceUnavailable

    records = bt.CellMarker.from_values(["PD1", "CD279", "CD8"])
    assert [r.id for r in records] == [pd1.id]
    out = capsys.readouterr().out
    assert f"! not looking in a public source: {NOT_SHIPPED}" in out
    assert "1 value without a record: 'CD8' (pass create=True to create it)" in out
    for call in (bt.CellMarker.public, lambda: bt.CellMarker.from_source(name="CD8"), bt.CellMarker.import_source):
        with pytest.raises(SourceUnavailable) as info:
            call()
        assert str(info.value) == NOT_SHIPPED
    with pytest.raises(ValueError, match=r"takes one field, e.g. CellMarker.from_source\(name=...\)$"):
        bt.CellMarker.from_source(name="CD8", gene_symbol="CD8A")


def test_cell_marker_labels_and_curator(bt, instance, pd1, capsys):
    ln = instance
    ln.Feature(name="marker", dtype="cat[bio.CellMarker]").save()
    df = pd.DataFrame({"marker": ["PD1", "CD8", "PD1"]})
    curator = ln.Curator.from_df(df, categoricals={"marker": bt.CellMarker.name})
    assert curator.validate() is False
    assert "1 term is not validated in \"marker\" against CellMarker.name: 'CD8'" in capsys.readouterr().out
    curator.add_new_from("marker")
    assert curator.validate() is True
    artifact = curator.save_artifact(key="examples/markers.parquet")
    try:
        assert set(artifact.cell_markers.values_list("name", flat=True)) == {"PD1", "CD8"}
        assert set(artifact.labels.get("marker").values_list("name", flat=True)) == {"PD1", "CD8"}
        link = bt.models.ArtifactCellMarker.get(artifact=artifact, cellmarker=pd1)
        assert link.feature.name == "marker"
        other = ln.Artifact(key="markers.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
        other.labels.add(pd1)
        assert list(other.cell_markers.all()) == [pd1]
        assert ln.Artifact.filter(cell_markers__name="CD8").one() == artifact
    finally:
        artifact.path.unlink(missing_ok=True)


def test_feature_set_with_registry_bio_cell_marker(bt, instance, pd1):
    ln = instance
    feature_set = ln.FeatureSet(n=1, registry="bio.CellMarker", dtype="float").save()
    feature_set.cell_markers.add(pd1)
    assert pd1.feature_sets.get() == feature_set


def test_view_and_describe_show_the_new_registries(bt, instance, pd1, capsys):
    ln = instance
    protein = bt.Protein(name="Programmed cell death protein 1", uniprotkb_id="Q15116").save()
    bt.Pathway(name="immune system process", ontology_id="GO:0002376").save()
    ln.view(modules="bio")
    out = capsys.readouterr().out
    assert {"CellMarker", "Protein", "Pathway"} <= set(out.splitlines())
    artifact = ln.Artifact(key="described.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
    feature = ln.Feature(name="panel_protein", dtype="cat[bionty.Protein]").save()
    artifact.labels.add(pd1)
    artifact.labels.add(protein, feature=feature)
    artifact.describe()
    described = capsys.readouterr().out.splitlines()
    assert "│   └── panel_protein  cat[bionty.Protein]  Programmed cell death protein 1" in described
    assert described[-2:] == [
        "    ├── .cell_markers  CellMarker  PD1",
        "    └── .proteins      Protein     Programmed cell death protein 1",
    ]
