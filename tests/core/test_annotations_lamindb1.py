"""LaminDB 1.0's annotation API: schemas of curated artifacts, renaming what they were
validated with, artifacts by features, labels copied and moved, params of runs and models."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("storage_files")


@pytest.fixture
def curated(instance):
    """An artifact that a Curator saved: two categoricals, whose features it created."""
    ln = instance
    df = pd.DataFrame({
        "feature_to_rename": ["label-to-rename", "label-to-rename", "label-not-to-rename"],
        "feature_to_rename2": ["label-not-to-rename"] * 3,
    })
    curator = ln.Curator.from_df(
        df, categoricals={"feature_to_rename": ln.ULabel.name, "feature_to_rename2": ln.ULabel.name}
    )
    curator.add_new_from("feature_to_rename")
    curator.add_new_from("feature_to_rename2")
    return curator.save_artifact(description="test-rename")


def test_curator_creates_the_features_it_validates_and_links_labels_for_them(instance, curated):
    ln = instance
    assert ln.Feature.get(name="feature_to_rename").dtype == "cat[ULabel]"
    assert curated.ulabels.through.objects.filter(feature__name="feature_to_rename", ulabel__name="label-to-rename").exists()
    # LaminDB 1.0's names of the schemas: _schemas_m2m, artifact.features[slot]
    assert ln.Artifact.filter(_schemas_m2m__features__name="feature_to_rename").get() == curated
    assert curated._schemas_m2m.get().itype == "Feature"
    assert curated._schemas_m2m.filter(itype="Feature", _links_artifact__slot="columns").count() == 1
    assert set(curated.features["columns"].df()["name"]) == {"feature_to_rename", "feature_to_rename2"}
    with pytest.raises(ValueError, match="No linked feature set for slot: obs"):
        curated.features["obs"]
    df = ln.Artifact.filter(id=curated.id).df(include=["_schemas_m2m__hash", "_schemas_m2m__name"])
    assert list(df.columns[-2:]) == ["feature_sets__hash", "feature_sets__name"]
    assert df["feature_sets__hash"].iloc[0] == {curated._schemas_m2m.get().hash}


def test_renaming_what_curated_artifacts_use_needs_make_external(instance, curated):
    ln = instance
    ulabel = ln.ULabel.get(name="label-to-rename")
    ulabel.name = "label-renamed"
    with pytest.raises(ln.errors.RecordNameChangeIntegrityError, match="will no longer be validated"):
        ulabel.save()
    assert ln.ULabel.filter(name="label-to-rename").exists()
    curated.labels.make_external(ulabel)
    assert not curated.ulabels.through.objects.filter(feature__name="feature_to_rename", ulabel=ulabel).exists()
    assert ulabel in curated.ulabels.all()  # the label stays, without its feature
    ulabel.save()
    assert ln.ULabel.get(ulabel.id).name == "label-renamed"

    feature = ln.Feature.get(name="feature_to_rename")
    feature.name = "feature_renamed"
    with pytest.raises(ln.errors.RecordNameChangeIntegrityError) as error:
        feature.save()
    assert str(error.value) == (
        f"You are trying to rename feature from 'feature_to_rename' to 'feature_renamed'!\n"
        f"   → The following 1 artifact will no longer be validated: ['{curated.uid}']\n\n"
        "To rename this feature, make it external:\n   → run `artifact.features.make_external(feature)`"
    )
    curated.features.make_external(feature)
    assert not ln.Artifact.filter(_schemas_m2m__features__name="feature_to_rename").exists()
    schema = curated._schemas_m2m.get()
    assert schema.n == 1 and list(schema.features.values_list("name", flat=True)) == ["feature_to_rename2"]
    feature.save()
    # the last member out: the schema is deleted
    curated.features.make_external(ln.Feature.get(name="feature_to_rename2"))
    assert curated._schemas_m2m.count() == 0 and ln.Schema.filter().count() == 0


def test_artifact_features_add_schema(instance, tmp_path):
    ln = instance
    feature = ln.Feature(name="feature name", dtype="cat").save()
    schema = ln.Schema(features=[feature]).save()
    (tmp_path / "mini.csv").write_text("a,b\n1,2\n")
    artifact = ln.Artifact(tmp_path / "mini.csv", description="test")
    with pytest.raises(ValueError, match="Please save the artifact or collection before adding a feature set!"):
        artifact.features.add_schema(schema, slot="random")
    artifact.save()
    assert str(artifact.features) == "no linked features"
    artifact.features.add_schema(schema, slot="random")
    assert artifact._schemas_m2m.first() == schema
    assert list(artifact.features["random"]) == [feature]


@pytest.fixture
def annotated(instance, labels):
    ln = instance
    ln.save([ln.Feature(name="temperature", dtype="float"), ln.Feature(name="project", dtype="cat[ULabel]"),
             ln.Feature(name="experiment", dtype=ln.ULabel), ln.Feature(name="is_validated", dtype=bool)])
    ln.ULabel.from_values(["project_1", "Experiment 1", "Experiment 2"], create=True).save()
    storage = ln.Storage.filter().first()
    a1, a2 = (ln.Artifact(key=f"a{i}.parquet", suffix=".parquet", storage=storage) for i in (1, 2))
    ln.save([a1, a2])
    a1.features.add_values({"temperature": 100.0, "project": "project_1", "experiment": "Experiment 1", "is_validated": True})
    a2.features.add_values({"temperature": 21.0, "experiment": "Experiment 2"})
    return ln, a1, a2


def test_artifacts_by_feature_values(annotated):
    ln, a1, a2 = annotated
    assert ln.Artifact.features.get(temperature=100.0) == a1
    assert ln.Artifact.features.get(project="project_1") == a1
    assert ln.Artifact.features.get(is_validated=True) == a1
    assert ln.Artifact.features.filter(temperature=100.0, project="project_1").one() == a1
    assert ln.Artifact.features.filter(experiment__contains="ment 1").one() == a1
    assert set(ln.Artifact.features.filter(experiment__contains="Experi")) == {a1, a2}
    assert ln.Artifact.features.filter(temperature__lt=21).one_or_none() is None
    assert set(ln.Artifact.features.filter(temperature__gte=21)) == {a1, a2}
    assert ln.Artifact.features.filter(experiment=ln.ULabel.get(name="Experiment 2")).one() == a2
    with pytest.raises(ln.errors.ValidationError) as info:
        ln.Artifact.features.filter(temperature_with_typo=100.0, project="project_1")
    assert str(info.value) == (
        "Some keys in the filter expression are not registered as features: ['temperature_with_typo']"
    )
    with pytest.raises(ln.errors.DoesNotExist, match="Did not find a ULabel matching `name=project__1`"):
        ln.Artifact.features.get(project="project__1")
    with pytest.raises(ln.errors.InvalidArgument, match="unknown comparator '__near'"):
        ln.Artifact.features.filter(temperature__near=1)


def test_labels_added_for_a_feature_move_there_and_add_from_copies_them(annotated):
    ln, a1, a2 = annotated
    dmso = ln.ULabel.get(name="DMSO")
    a2.ulabels.add(dmso)
    assert a2.links_ulabel.get(ulabel=dmso).feature is None
    ln.Feature(name="cell_medium", dtype="cat[ULabel]").save()
    a2.features.add_values({"cell_medium": "DMSO"})
    assert a2.links_ulabel.get(ulabel=dmso).feature.name == "cell_medium"  # one link, for the feature
    # names for a categorical feature
    a2.labels.add("IFNG", ln.Feature.get(name="cell_medium"))
    assert set(a2.labels.get(ln.Feature.get(name="cell_medium")).list("name")) == {"DMSO", "IFNG"}
    assert sorted(a2.labels.get(ln.Feature.get(name="cell_medium"), flat_names=True)) == ["DMSO", "IFNG"]
    with pytest.raises(ValueError, match="Please pass a record"):
        a2.labels.add("IFNG")
    artifact = ln.Artifact(key="a3.parquet", suffix=".parquet", storage=ln.Storage.filter().first()).save()
    artifact.labels.add([])  # nothing to add
    artifact.labels.add_from(a2)
    assert sorted(artifact.labels.get("cell_medium").list("name")) == ["DMSO", "IFNG"]
    assert sorted(artifact.labels.get("experiment").list("name")) == ["Experiment 2"]
    unsaved = ln.Artifact(key="a4.parquet", suffix=".parquet", storage=ln.Storage.filter().first())
    with pytest.raises(ValueError, match="Please save the artifact/collection before adding a label!"):
        unsaved.labels.add(dmso)


def test_labels_names_need_a_saved_feature_and_get_of_an_unknown_feature_is_a_type_error(annotated):
    ln, a1, _ = annotated
    unsaved = ln.Feature(name="experiment_unsaved", dtype="cat")
    with pytest.raises(ValueError) as info:
        a1.labels.add("experiment_1", unsaved)
    assert str(info.value) == (
        "Please pass a record (a `Record` object), not a string, e.g., via: label = ln.ULabel(name='experiment_1')"
    )
    with pytest.raises(ln.errors.ValidationError, match="not validated. If it looks correct: record.save()"):
        a1.labels.add(ln.ULabel(name="unsaved"), unsaved)  # the record first, then the feature
    with pytest.raises(TypeError, match="no feature is named 'x'"):
        a1.labels.get("x")
    with pytest.raises(TypeError, match="got int"):
        a1.labels.get(1)
    assert a1.labels.get("experiment").list("name") == ["Experiment 1"]


def test_feature_of_bare_cat_takes_the_registry_of_its_first_labels(annotated):
    ln, a1, a2 = annotated
    experiment = ln.Feature(name="stage", dtype="cat").save()
    assert ln.Feature.get(name="stage").dtype == "cat"  # as written
    assert ln.Feature(name="stage", dtype="cat[ULabel]").save().id == experiment.id  # the same dtype, spelled otherwise
    a1.labels.add(ln.ULabel(name="stage 1").save(), feature=experiment)
    assert ln.Feature.get(name="stage").dtype == "cat[ULabel]" and experiment.dtype == "cat[ULabel]"
    project = ln.Feature(name="project_record", dtype="cat").save()
    a2.features.add_values({"project_record": ln.Project(name="Project X").save()})
    assert ln.Feature.get(name="project_record").dtype == "cat[Project]"
    assert a2.links_project.get().feature == project


def test_feature_values_errors_read_as_in_lamindb(annotated):
    ln, a1, _ = annotated
    ln.Feature(name="cell_medium_cat", dtype="cat").save()
    with pytest.raises(TypeError) as info:
        a1.features.add_values({"cell_medium_cat": 27.2})
    assert str(info.value) == "Value for feature 'cell_medium_cat' with type 'cat' must be a string or record."
    with pytest.raises(ln.errors.ValidationError) as info:  # a new feature sharing a word with one: no hint
        a1.features.add_values({"date_of_experiment": "2024-12-01"})
    assert str(info.value).endswith("ln.Feature(name='date_of_experiment', dtype='date').save()")
    ln.Feature(name="date_of_experiment", dtype="date").save()
    with pytest.raises(ln.errors.ValidationError) as info:
        a1.features.add_values({"date_of_experiment": "Typo2024-12-01"})
    assert str(info.value) == "Expected dtype for 'date_of_experiment' is 'date', got 'cat ? str'"
    ln.Feature(name="datetime_of_experiment", dtype="datetime").save()
    a1.features.add_values({"date_of_experiment": "2024-12-01", "datetime_of_experiment": "2024-12-01 00:00:00"})
    values = a1.features.get_values()
    assert values["date_of_experiment"] == dt.date(2024, 12, 1)
    assert values["datetime_of_experiment"] == dt.datetime(2024, 12, 1, 0, 0, 0)
    df = ln.Artifact.filter(id=a1.id).df(features=["date_of_experiment"])
    assert df.loc[a1.id, "date_of_experiment"] == {"2024-12-01"}  # the table shows the text, as LaminDB's
    with pytest.raises(TypeError, match="no feature is named 'experiment 1'"):
        a1.labels.add(ln.ULabel.get(name="Experiment 1"), "experiment 1")
    with pytest.raises(ln.errors.ValidationError) as info:
        a1.features.add_values({"cell_medium_cat": ln.ULabel(name="unsaved")})
    assert str(info.value).startswith("Please save ULabel(") and str(info.value).endswith(" before annotation.")
    with pytest.raises(ln.errors.ValidationError) as info:  # a numpy array of strings
        a1.features.add_values({"treatment_arm": np.array(["DMSO", "IFNG"], dtype=object)})
    assert str(info.value).endswith("ln.Feature(name='treatment_arm', dtype='cat ? str').save()")
    with pytest.raises(ln.errors.ValidationError, match="cannot add feature values:"):  # several: all listed
        a1.features.add_values({"date_of_experiment": "Typo", "temperature": "warm"})


def test_params_take_lists_and_one_wrong_type_reads_as_in_lamindb(instance):
    ln = instance
    run = ln.Run(transform=ln.Transform(key="lists.py", type="script").save()).save()
    param4 = ln.Param(name="param4", dtype="int").save()
    with pytest.raises(ln.errors.ValidationError) as info:
        run.params.add_values({"param4": [1, 2]})
    assert str(info.value) == "Expected dtype for 'param4' is 'int', got 'list[int]'"
    param4.dtype = "list[int]"
    param4.save()
    run.params.add_values({"param4": [1, 2]})
    assert run.params.get_values() == {"param4": [1, 2]}
    assert ln.Param(name="sizes", dtype="list[float]").dtype == "list[float]"
    with pytest.raises(ln.errors.ValidationError, match="or a list of one of them such as list\\[int\\]"):
        ln.Param(name="bad", dtype="cat[ULabel]")
    ln.Param(name="names", dtype="list[str]").save()
    with pytest.raises(ln.errors.ValidationError, match="cannot add param values:"):  # several: all listed
        run.params.add_values({"names": [1], "param4": ["a"]})


def test_params_of_runs_and_models(instance, tmp_path):
    ln = instance
    ln.Param(name="learning_rate", dtype="float").save()
    ln.Param(name="quantification", dtype=dict).save()
    path = tmp_path / "mymodel.pt"
    path.write_bytes(b"weights")
    model = ln.Artifact(path, kind="model", description="hello").save()
    with pytest.raises(ln.errors.ValidationError, match="Can only set features for dataset-like artifacts."):
        model.features.add_values({"temperature": 27})
    model.params.add_values({"learning_rate": 0.01})
    model.params.add_values({"quantification": {"name": "mcquant", "container": "labsyspharm/quantification"}})
    assert model.params.get_values() == {
        "learning_rate": 0.01,
        "quantification": {"name": "mcquant", "container": "labsyspharm/quantification"},
    }
    with pytest.raises(ln.errors.ValidationError) as info:
        model.params.add_values({"batch_size": 32})
    assert str(info.value) == (
        "These keys could not be validated: ['batch_size']\nHere is how to create a param:\n\n"
        "  ln.Param(name='batch_size', dtype='int').save()"
    )
    with pytest.raises(ln.errors.ValidationError, match=r"Expected dtype for 'learning_rate' is 'float', got 'cat \? str'"):
        model.params.add_values({"learning_rate": "fast"})
    dataset = ln.Artifact.from_df(pd.DataFrame({"a": [1]}), key="df.parquet").save()
    with pytest.raises(ln.errors.ValidationError, match="Can only set params for model-like artifacts."):
        dataset.params.add_values({"learning_rate": 0.01})
    transform = ln.Transform(key="train.py", type="script").save()
    run = ln.Run(transform=transform).save()
    run.params.add_values({"learning_rate": 0.01})
    assert run.params.get_values() == {"learning_rate": 0.01}
    # one value, shared by the model and the run
    assert ln.ParamValue.filter(param__name="learning_rate").count() == 1
    with pytest.raises(ln.errors.ValidationError, match="exists with dtype 'float', not 'int'"):
        ln.Param(name="learning_rate", dtype=int).save()
