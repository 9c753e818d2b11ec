"""Curator: validate categoricals, register new values, save with labels and feature sets."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def curation_setup(instance, labels):
    ln = instance
    ln.save([ln.Feature(name="cell_medium", dtype="cat[ULabel]"), ln.Feature(name="sample_note", dtype="str")])
    return ln


@pytest.fixture
def df():
    return pd.DataFrame({
        "cell_medium": pd.Categorical(["DMSO", "IFNG", "DMSO"]),
        "sample_note": ["was ok", "looks naah", "pretty! 🤩"],
        "treatment": ["DMS0", "aspirin", "aspirin"],
    })


def test_curator_validate_reports_every_missing_value_with_close_matches(curation_setup, df, capsys):
    ln = curation_setup
    curator = ln.Curator.from_df(df, categoricals={"cell_medium": ln.ULabel.name, "treatment": ln.ULabel.name})
    assert curator.validate() is False
    out = capsys.readouterr().out.splitlines()
    assert out[0] == '✓ "cell_medium" is validated against ULabel.name'
    assert out[1] == (
        "! 2 terms are not validated in \"treatment\" against ULabel.name: "
        "'DMS0' (did you mean 'DMSO'?), 'aspirin'"
    )
    assert out[2] == '! → fix typos in the data, or register them: curator.add_new_from("treatment")'
    assert curator.non_validated == {"treatment": ["DMS0", "aspirin"]}


def test_curator_save_refuses_until_validated_and_saves_nothing(curation_setup, df, tmp_path):
    ln = curation_setup
    curator = ln.Curator.from_df(df, categoricals={"treatment": ln.ULabel.name})
    with pytest.raises(ln.errors.ValidationError, match="not validated, nothing saved: treatment: 'DMS0', 'aspirin'"):
        curator.save_artifact(key="examples/df.parquet")
    assert ln.Artifact.filter().count() == 0


def test_curator_add_new_from_then_save_links_labels_and_feature_set(curation_setup, df, capsys):
    ln = curation_setup
    ln.Feature(name="treatment", dtype="cat[ULabel]").save()
    curator = ln.Curator.from_df(df, categoricals={"cell_medium": ln.ULabel.name, "treatment": ln.ULabel.name})
    curator.validate()
    capsys.readouterr()
    curator.add_new_from("treatment")
    assert capsys.readouterr().out.strip() == (
        "✓ added 2 records to ULabel for \"treatment\": 'DMS0', 'aspirin'"
    )
    assert curator.validate() is True
    artifact = curator.save_artifact(key="examples/df.parquet")
    try:
        assert artifact.otype == "DataFrame" and artifact.n_observations == 3
        assert set(artifact.labels.get("cell_medium").values_list("name", flat=True)) == {"DMSO", "IFNG"}
        assert set(artifact.labels.get("treatment").values_list("name", flat=True)) == {"DMS0", "aspirin"}
        feature_set = artifact.feature_sets.get()
        assert feature_set.registry == "Feature" and feature_set.n == 3
        assert set(feature_set.features.values_list("name", flat=True)) == {"cell_medium", "sample_note", "treatment"}
        df_view = ln.Artifact.df(include=["feature_sets__registry", "ulabels__name"])
        assert df_view.loc[artifact.id, "feature_sets__registry"] == {"Feature"}
        # the same columns again share the feature set
        again = ln.Curator.from_df(df.assign(sample_note=["a", "b", "c"]), categoricals={"cell_medium": ln.ULabel.name})
        other = again.save_artifact(key="examples/df2.parquet")
        assert other.feature_sets.get() == feature_set
    finally:
        for a in ln.Artifact.filter():
            a.path.unlink(missing_ok=True)


def test_curator_bad_input_is_clear(curation_setup, df):
    ln = curation_setup
    with pytest.raises(ln.errors.ValidationError, match="no column 'cel_medium' in the DataFrame. Did you mean 'cell_medium'"):
        ln.Curator.from_df(df, categoricals={"cel_medium": ln.ULabel.name})
    with pytest.raises(ln.errors.InvalidArgument, match="must be a registry field such as ln.ULabel.name"):
        ln.Curator.from_df(df, categoricals={"cell_medium": "ULabel"})
    with pytest.raises(ln.errors.InvalidArgument, match="takes a pandas DataFrame"):
        ln.Curator.from_df([1, 2])
    curator = ln.Curator.from_df(df, categoricals={"cell_medium": ln.ULabel.name})
    with pytest.raises(ln.errors.ValidationError, match="no categorical 'treatmnt'"):
        curator.add_new_from("treatmnt")


def test_curator_from_anndata_validates_var_index_and_obs(curation_setup, capsys):
    ln = curation_setup
    from lamindb_core.core import datasets

    adata = datasets.small_dataset1(format="anndata")
    ln.save([ln.ULabel(name=g) for g in ["CD8A", "CD4"]])  # var names as labels, for the core test
    curator = ln.Curator.from_anndata(adata, var_index=ln.ULabel.name, categoricals={"cell_medium": ln.ULabel.name})
    assert curator.validate() is False
    assert curator.non_validated == {"var_index": ["CD14"]}
    curator.add_new_from("var_index")
    artifact = curator.save_artifact(key="example_datasets/dataset1.h5ad")
    try:
        slots = dict(artifact.feature_sets.through.objects.filter(artifact=artifact).values_list("slot", "featureset__registry"))
        assert slots == {"var": "ULabel", "obs": "Feature"}
        assert artifact.feature_sets.get(registry="ULabel").n == 3
    finally:
        artifact.path.unlink(missing_ok=True)
