"""Proteins: made by hand (no UniProt table ships offline), found by name, synonym and UniProtKB id."""

from __future__ import annotations

import pandas as pd
import pytest

from lamindb_core.bio.uids import hashed_uid

CD8A = "T-cell surface glycoprotein CD8 alpha chain"
NOT_SHIPPED = (
    "no public source for Protein ships offline: bionty downloads UniProt, and none of the packages "
    "lamindb-core reads ships it; create records by hand, e.g. bt.Protein(name=..., uniprotkb_id=...).save(), "
    "or with bt.Protein.from_values(values, create=True)"
)


@pytest.fixture
def cd8a(bt):
    return bt.Protein(
        name=CD8A, uniprotkb_id="P01732", gene_symbol="CD8A", length=235,
        synonyms="CD8A_HUMAN|T-lymphocyte differentiation antigen T8/Leu-2", ensembl_gene_ids="ENSG00000153563",
    ).save()


def test_protein_saved_with_its_fields_organism_and_hashed_uid(bt, cd8a):
    from lamindb_core.introspect import display_field_names

    record = bt.Protein.get(uniprotkb_id="P01732")
    assert (record.name, record.gene_symbol, record.length, record.organism.name) == (CD8A, "CD8A", 235, "human")
    # as bionty: the hash of the UniProtKB id, 12 characters, the same in every instance
    assert record.uid == hashed_uid("P01732", 12)
    assert bt.Protein(name="made by hand").uid != bt.Protein(name="made by hand").uid  # no id: random
    assert display_field_names(bt.Protein)[:12] == [
        "uid", "id", "name", "uniprotkb_id", "synonyms", "description", "length", "gene_symbol",
        "ensembl_gene_ids", "space_id", "source_id", "organism_id",
    ]
    assert record in bt.Organism.get(name="human").proteins.all()


def test_protein_organism_from_settings_and_unique_uniprotkb_id(bt, instance, cd8a):
    bt.settings.organism = "mouse"
    mouse = bt.Protein(name="T-cell surface glycoprotein CD8 alpha chain", uniprotkb_id="P01731").save()
    assert mouse.organism.name == "mouse"
    assert bt.Protein.filter(name=CD8A).count() == 2  # a name is not unique: one per organism
    # uniprotkb_id is unique: a new record with a saved one is the saved record, as in LaminDB
    again = bt.Protein(name="another name", uniprotkb_id="P01732").save()
    assert again.id == cd8a.id and bt.Protein.get(uniprotkb_id="P01732").name == CD8A


def test_protein_synonyms_validate_inspect_standardize_against_saved_records(bt, cd8a, capsys):
    assert bt.Protein.validate([CD8A, "CD8A_HUMAN"], mute=True).tolist() == [True, False]
    result = bt.Protein.inspect([CD8A, "CD8A_HUMAN", "cd8a_human", "no such protein"], mute=True)
    assert result.validated == [CD8A]
    assert result.synonyms_mapper == {"CD8A_HUMAN": CD8A, "cd8a_human": CD8A}
    assert bt.Protein.standardize(["CD8A_HUMAN", "other"]) == [CD8A, "other"]
    assert bt.Protein.standardize(["CD8A_HUMAN"], return_field="uniprotkb_id") == ["P01732"]
    assert bt.Protein.validate(["P01732", "P99999"], field=bt.Protein.uniprotkb_id, mute=True).tolist() == [True, False]
    cd8a.add_synonym("Leu-2")
    assert bt.Protein.standardize("Leu-2") == CD8A
    cd8a.remove_synonym("Leu-2")
    assert bt.Protein.standardize("Leu-2") == "Leu-2"


def test_protein_from_values_of_saved_names_and_synonyms(bt, cd8a, capsys):
    records = bt.Protein.from_values([CD8A, "CD8A_HUMAN", "CD4 protein"])
    assert [r.id for r in records] == [cd8a.id]
    out = capsys.readouterr().out
    assert f"! not looking in a public source: {NOT_SHIPPED}" in out
    assert "1 found by name, 1 by synonym or case" in out
    created = bt.Protein.from_values(["CD4 protein"], create=True)
    assert [(r.name, r.organism.name, r._state.adding) for r in created] == [("CD4 protein", "human", True)]
    by_id = bt.Protein.from_values(["P01732"], field=bt.Protein.uniprotkb_id, mute=True)
    assert [r.name for r in by_id] == [CD8A]


def test_protein_public_sources_say_none_ships_offline(bt, cd8a):
    from lamindb_core.bio.sources import SourceUnavailable

    for call in (
        lambda: bt.Protein.public(),
        lambda: bt.Protein.from_source(uniprotkb_id="P01730"),
        lambda: bt.Protein.import_source(),
    ):
        with pytest.raises(SourceUnavailable) as info:
            call()
        assert str(info.value) == NOT_SHIPPED
    # a saved protein is what from_source returns, as for any registry
    assert bt.Protein.from_source(uniprotkb_id="P01732") == cd8a
    assert bt.Source.filter(entity="bio.Protein").count() == 0


def test_protein_labels_an_artifact_with_a_feature(bt, instance, cd8a):
    ln = instance
    feature = ln.Feature(name="measured_protein", dtype="cat[bionty.Protein]").save()
    artifact = ln.Artifact(key="proteins.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
    artifact.labels.add(cd8a, feature=feature)
    assert list(artifact.proteins.values_list("name", flat=True)) == [CD8A]
    link = bt.models.ArtifactProtein.get(artifact=artifact)
    assert (link.protein, link.feature) == (cd8a, feature)
    assert set(artifact.labels.get(feature).values_list("uniprotkb_id", flat=True)) == {"P01732"}
    assert ln.Artifact.df(include="proteins__name").loc[artifact.id, "proteins__name"] == {CD8A}
    assert ln.Artifact.filter(proteins__uniprotkb_id="P01732").one() == artifact


def test_protein_feature_dtype_validated_by_the_curator(bt, instance, cd8a, capsys):
    ln = instance
    ln.Feature(name="protein", dtype="cat[bionty.Protein]").save()
    df = pd.DataFrame({"protein": [CD8A, CD8A, "CD4 protein"]})
    curator = ln.Curator.from_df(df, categoricals={"protein": bt.Protein.name})
    assert curator.validate() is False
    out = capsys.readouterr().out
    assert "1 term is not validated in \"protein\" against Protein.name: 'CD4 protein'" in out
    curator.add_new_from("protein")
    assert curator.validate() is True
    artifact = curator.save_artifact(key="examples/proteins.parquet")
    try:
        assert set(artifact.proteins.values_list("name", flat=True)) == {CD8A, "CD4 protein"}
        assert set(artifact.labels.get("protein").values_list("name", flat=True)) == {CD8A, "CD4 protein"}
        assert bt.Protein.get(name="CD4 protein").organism.name == "human"
    finally:
        artifact.path.unlink(missing_ok=True)


def test_feature_set_with_registry_bio_protein_holds_proteins(bt, instance, cd8a):
    ln = instance
    feature_set = ln.FeatureSet(n=1, registry="bio.Protein", dtype="float").save()
    feature_set.proteins.add(cd8a)
    assert cd8a.feature_sets.get() == feature_set
    assert bt.models.FeatureSetProtein.get(featureset=feature_set).protein == cd8a
