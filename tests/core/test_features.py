"""Features and labels: dtypes, add_values, labels, the features table, describe."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def setup_features(instance, labels):
    ln = instance
    ln.save([
        ln.Feature(name="cell_medium", dtype="cat[ULabel]"),
        ln.Feature(name="temperature", dtype="float"),
        ln.Feature(name="study", dtype="cat[ULabel]"),
        ln.Feature(name="date_of_study", dtype="date"),
        ln.Feature(name="study_note", dtype="str"),
        ln.Feature(name="n_cells", dtype="int"),
    ])
    ln.ULabel(name="Candidate marker study 2").save()
    return ln


def make_artifacts(ln, n):
    storage = ln.Storage.filter().first()
    artifacts = [ln.Artifact(key=f"dataset{i}.h5ad", suffix=".h5ad", storage=storage) for i in range(n)]
    ln.save(artifacts)
    return artifacts


UNS1 = {
    "temperature": 21.6,
    "study": "Candidate marker study 1",
    "date_of_study": "2024-12-01",
    "study_note": "We had a great time performing this study and the results look compelling.",
}


def test_feature_bad_dtype_lists_valid_forms(instance):
    ln = instance
    with pytest.raises(ln.errors.ValidationError) as info:
        ln.Feature(name="x", dtype="flot")
    assert "invalid dtype 'flot'. Did you mean 'float'?" in str(info.value)
    assert "cat[<Registry>.<field>]" in str(info.value)
    with pytest.raises(ln.errors.ValidationError, match="no registry 'ULabl'. Did you mean 'ULabel'"):
        ln.Feature(name="x", dtype="cat[ULabl]")
    with pytest.raises(ln.errors.ValidationError, match="ULabel has no field 'nam'"):
        ln.Feature(name="x", dtype="cat[ULabel.nam]")
    assert ln.Feature(name="x", dtype="cat").dtype == "cat[ULabel]"
    assert ln.Feature(name="y", dtype="cat[ULabel|Artifact.key]").dtype == "cat[ULabel|Artifact.key]"


def test_features_add_and_get_values(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values(UNS1)
    artifact.features.add_values({"cell_medium": ["DMSO", "IFNG"], "n_cells": 3})
    values = artifact.features.get_values()
    assert values == {
        "cell_medium": {"DMSO", "IFNG"},
        "date_of_study": "2024-12-01",
        "n_cells": 3,
        "study": "Candidate marker study 1",
        "study_note": UNS1["study_note"],
        "temperature": 21.6,
    }
    # labels of categorical features are linked for their feature
    assert set(artifact.labels.get("cell_medium").values_list("name", flat=True)) == {"DMSO", "IFNG"}
    assert set(artifact.ulabels.values_list("name", flat=True)) == {"DMSO", "IFNG", "Candidate marker study 1"}


def test_features_add_values_reports_every_problem_and_writes_nothing(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    with pytest.raises(ln.errors.ValidationError) as info:
        artifact.features.add_values({
            "temperature": "warm",
            "date_of_study": "01/12/2024",
            "study": "Candidate marker study 3",
            "n_cells": 2.5,
            "tempreature": 1.0,
            "cell_medium": "DMSO",
        })
    message = str(info.value)
    assert "unknown feature(s) 'tempreature'. Did you mean 'temperature'?" in message
    assert "temperature (float): 'warm': expected float, got str" in message
    assert "date_of_study (date): '01/12/2024': expected an ISO date" in message
    assert "n_cells (int): 2.5: expected int, got float" in message
    assert "study: 'Candidate marker study 3' not found in ULabel.name" in message
    assert artifact.features.get_values() == {}
    assert ln.FeatureValue.filter().count() == 0


def test_features_values_are_shared_between_artifacts(setup_features):
    ln = setup_features
    a1, a2 = make_artifacts(ln, 2)
    a1.features.add_values({"temperature": 21.6})
    a2.features.add_values({"temperature": 21.6})
    a2.features.add_values({"temperature": 21.6})  # twice: no duplicate link
    assert ln.FeatureValue.filter(feature__name="temperature").count() == 1
    assert ln.Artifact.filter(_feature_values__value=21.6).count() == 2


def test_features_remove_values(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values({**UNS1, "cell_medium": ["DMSO", "IFNG"]})
    artifact.features.remove_values("temperature")
    artifact.features.remove_values("cell_medium", "DMSO")
    values = artifact.features.get_values()
    assert "temperature" not in values
    assert values["cell_medium"] == "IFNG"
    assert ln.FeatureValue.filter(feature__name="temperature").count() == 0


def test_labels_add_checks_the_feature_dtype(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    study1 = ln.ULabel.get(name="Candidate marker study 1")
    artifact.labels.add(study1, feature="study")
    assert list(artifact.labels.get("study").values_list("name", flat=True)) == ["Candidate marker study 1"]
    with pytest.raises(ln.errors.ValidationError, match="dtype 'float': it takes no ULabel records"):
        artifact.labels.add(study1, feature="temperature")
    artifact.labels.add(ln.ULabel.filter(name__in=["DMSO", "IFNG"]))
    assert artifact.ulabels.count() == 3
    with pytest.raises(ln.errors.ValidationError, match="is not a label"):
        artifact.labels.add(artifact)


def test_df_features_true_is_one_flat_table(setup_features):
    ln = setup_features
    a1, a2, a3 = make_artifacts(ln, 3)
    a1.features.add_values({**UNS1, "cell_medium": ["DMSO", "IFNG"]})
    a2.features.add_values({"temperature": 22.6, "study": "Candidate marker study 2", "date_of_study": "2025-02-13",
                            "cell_medium": ["DMSO", "IFNG"]})
    df = ln.Artifact.df(features=True)
    assert list(df.columns) == ["uid", "key", "description", "cell_medium", "study", "temperature",
                                "date_of_study", "study_note"]
    assert df.loc[a1.id, "temperature"] == {21.6}
    assert df.loc[a2.id, "study"] == {"Candidate marker study 2"}
    assert df.loc[a1.id, "cell_medium"] == {"DMSO", "IFNG"}
    assert math.isnan(df.loc[a3.id, "temperature"])
    assert math.isnan(df.loc[a2.id, "study_note"])
    only = ln.Artifact.filter(id__in=[a1.id, a2.id]).df(features=["temperature", "study"])
    assert list(only.columns) == ["uid", "key", "description", "temperature", "study"]
    with pytest.raises(ln.errors.FieldValidationError, match="unknown feature\\(s\\) 'temprature'"):
        ln.Artifact.df(features=["temprature"])


@pytest.mark.parametrize("n", [4, 40])
def test_df_features_and_bulk_annotation_use_a_fixed_number_of_queries(setup_features, n):
    ln = setup_features
    artifacts = make_artifacts(ln, n)
    values = {
        a: {"temperature": 20.0 + i, "study": "Candidate marker study 1", "cell_medium": ["DMSO", "IFNG"],
            "date_of_study": "2024-12-01", "n_cells": i}
        for i, a in enumerate(artifacts)
    }
    with CaptureQueriesContext(connection) as annotate_queries:
        ln.Artifact.features.add_values(values)
    with CaptureQueriesContext(connection) as table_queries:
        df = ln.Artifact.df(features=True, limit=None)
    assert len(df) == n
    assert df["n_cells"].map(lambda s: next(iter(s))).tolist() == list(range(n))[::-1]
    # rows, the categorical dtypes, feature values, label links, the features' dtypes
    assert len(table_queries) == 5
    links_query = table_queries.captured_queries[3]["sql"]
    # only the link tables of registries that a feature's dtype names (cat[ULabel])
    assert "core_artifactulabel" in links_query and "bio_" not in links_query
    assert len(annotate_queries) <= 14  # independent of the number of artifacts


def test_view_shows_a_dtype_row(setup_features, capsys):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values({**UNS1, "cell_medium": ["DMSO"]})
    capsys.readouterr()
    ln.view(ln.Artifact.df(features=True))
    lines = capsys.readouterr().out.splitlines()
    header, dtypes = lines[0], lines[1]
    assert header.split()[:4] == ["uid", "key", "description", "cell_medium"]
    assert dtypes.split()[:5] == ["str", "str", "str", "cat[ULabel]", "cat[ULabel]"]
    assert "float" in dtypes and "date" in dtypes


def test_describe_shows_fields_provenance_features_and_labels(setup_features, capsys):
    ln = setup_features
    ln.track("pd7UR7Z8hoTq0000")
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values({**UNS1, "cell_medium": ["DMSO", "IFNG"]})
    capsys.readouterr()
    artifact.describe()
    out = capsys.readouterr().out
    assert out.startswith("Artifact .h5ad\n├── General\n│   ├── .uid = ")
    assert "├── Provenance" in out and ".transform = " in out and ".created_by = " in out
    assert "temperature    float        21.6" in out
    assert "cell_medium    cat[ULabel]  DMSO, IFNG" in out
    assert "└── Labels" in out and ".ulabels  ULabel  Candidate marker study 1, DMSO, IFNG" in out
