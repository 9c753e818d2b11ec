"""Pathways: Gene Ontology terms made by hand (no GO table ships offline), with parents and genes."""

from __future__ import annotations

import pandas as pd
import pytest

from lamindb_core.bio.uids import hashed_uid

NOT_SHIPPED = (
    "no public source for Pathway ships offline: bionty downloads Gene Ontology, and none of the packages "
    "lamindb-core reads ships it; create records by hand, e.g. bt.Pathway(name=..., ontology_id='GO:...').save(), "
    "or with bt.Pathway.from_values(values, create=True)"
)


@pytest.fixture
def immune(bt):
    return bt.Pathway(
        name="immune system process", ontology_id="GO:0002376", synonyms="immune physiological process",
    ).save()


def test_pathway_is_an_ontology_record_with_the_hashed_uid(bt, immune):
    from lamindb_core.introspect import display_field_names

    # as bionty: the hash of the ontology id, 8 characters
    assert immune.uid == hashed_uid("GO:0002376", 8)
    assert display_field_names(bt.Pathway)[:7] == ["uid", "id", "name", "ontology_id", "abbr", "synonyms", "description"]
    response = bt.Pathway(name="immune response", ontology_id="GO:0006955").save()
    response.parents.add(immune)
    assert list(immune.children.all()) == [response]
    assert [p.name for p in response.query_parents()] == ["immune system process"]
    assert str(response.view_parents()).splitlines() == ["immune response", "└── immune system process"]


def test_pathway_genes(bt, immune):
    genes = bt.Gene.from_values(["CD8A", "CD4"], field=bt.Gene.symbol).save()
    immune.genes.add(*genes)
    assert set(immune.genes.values_list("symbol", flat=True)) == {"CD8A", "CD4"}
    assert list(genes[0].pathways.all()) == [immune]


def test_pathway_synonyms_and_no_public_source(bt, immune, capsys):
    from lamindb_core.bio.sources import SourceUnavailable

    assert bt.Pathway.standardize(["immune physiological process"]) == ["immune system process"]
    assert bt.Pathway.validate(["GO:0002376", "GO:0006955"], field="ontology_id", mute=True).tolist() == [True, False]
    records = bt.Pathway.from_values(["immune system process", "immune physiological process", "GO term x"])
    assert [r.id for r in records] == [immune.id]
    assert f"! not looking in a public source: {NOT_SHIPPED}" in capsys.readouterr().out
    for call in (bt.Pathway.public, lambda: bt.Pathway.from_source(ontology_id="GO:0006955"), bt.Pathway.import_source):
        with pytest.raises(SourceUnavailable) as info:
            call()
        assert str(info.value) == NOT_SHIPPED
    assert bt.Pathway.from_source(ontology_id="GO:0002376") == immune


def test_pathway_labels_and_curator(bt, instance, immune, capsys):
    ln = instance
    ln.Feature(name="pathway", dtype="cat[bionty.Pathway]").save()
    df = pd.DataFrame({"pathway": ["immune system process", "immune response"]})
    curator = ln.Curator.from_df(df, categoricals={"pathway": bt.Pathway.name})
    assert curator.validate() is False
    assert "1 term is not validated in \"pathway\" against Pathway.name: 'immune response'" in capsys.readouterr().out
    curator.add_new_from("pathway")
    artifact = curator.save_artifact(key="examples/pathways.parquet")
    try:
        assert set(artifact.pathways.values_list("name", flat=True)) == {"immune system process", "immune response"}
        assert set(artifact.labels.get("pathway").values_list("name", flat=True)) == {
            "immune system process", "immune response",
        }
        assert bt.models.ArtifactPathway.filter(artifact=artifact, feature__name="pathway").count() == 2
        features = ln.Artifact.df(features=True)
        assert features.loc[artifact.id, "pathway"] == {"immune system process", "immune response"}
        assert features.attrs["feature_dtypes"]["pathway"] == "cat[bionty.Pathway]"
    finally:
        artifact.path.unlink(missing_ok=True)


def test_feature_set_with_registry_bio_pathway(bt, instance, immune):
    ln = instance
    feature_set = ln.FeatureSet(n=1, registry="bio.Pathway", dtype="float").save()
    feature_set.pathways.add(immune)
    assert immune.feature_sets.get() == feature_set
