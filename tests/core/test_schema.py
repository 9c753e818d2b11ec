"""Schema (LaminDB 1.0's FeatureSet), Feature dtypes from Python types and DataFrames,
schemas of artifacts, and renaming features and labels that curated artifacts use."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest


@pytest.fixture
def df():
    return pd.DataFrame({
        "feat1": [1, 2, 3],
        "feat2": [3.1, 4.2, 5.3],
        "feat3": pd.Categorical(["cond1", "cond2", "cond2"]),
        "feat4": ["id1", "id2", "id3"],
        "feat5": [True, False, True],
        "feat6": pd.to_datetime(["2024-12-01", "2024-12-02", "2024-12-03"]),
    })


def test_schema_is_feature_set(instance):
    ln = instance
    assert ln.Schema is ln.FeatureSet
    assert ln.Schema.__name__ == "Schema"
    assert ln.Schema.filter().count() == 0


def test_feature_dtype_from_python_types_and_registries(instance):
    ln = instance
    for dtype, expected in [(int, "int"), (float, "float"), (str, "str"), (bool, "bool"),
                            (dt.datetime, "datetime"), (dt.date, "date"), (dict, "dict"),
                            (ln.ULabel, "cat[ULabel]"), ([ln.ULabel, ln.Artifact], "cat[ULabel|Artifact]")]:
        assert ln.Feature(name=f"f_{expected}", dtype=dtype).dtype == expected
    with pytest.raises(ln.errors.ValidationError, match="dtype has to be a dtype string, a type, or of type Record"):
        ln.Feature(name="x", dtype=3)


def test_feature_from_df_takes_the_columns_dtypes(instance, df):
    ln = instance
    features = ln.Feature.from_df(df)
    assert [(f.name, f.dtype) for f in features] == [
        ("feat1", "int"), ("feat2", "float"), ("feat3", "cat"), ("feat4", "str"),
        ("feat5", "bool"), ("feat6", "datetime"),
    ]
    assert all(f._state.adding for f in features)
    features.save()
    assert ln.Feature.filter().count() == 6
    with pytest.raises(ValueError, match="field must be a Feature FieldAttr"):
        ln.Feature.from_df(df, field=ln.ULabel.name)


def test_schema_from_features_is_found_again_by_its_members(instance, df):
    ln = instance
    features = ln.Feature.from_df(df)
    with pytest.raises(ValueError, match="Can only construct feature sets from validated features"):
        ln.Schema(features)
    features.save()
    schema = ln.Schema(features, name="my schema")
    assert schema._state.adding and schema.id is None
    assert schema.dtype is None and schema.registry == "Feature" and schema.itype == "Feature" and schema.n == 6
    assert schema.members == list(features)
    schema.save()
    assert set(schema.members.values_list("name", flat=True)) == set(df.columns)
    again = ln.Schema(list(reversed(features)))
    assert not again._state.adding and again.id == schema.id and again.name == "my schema"
    assert ln.Schema.filter(itype="Feature").get() == schema
    assert set(ln.Feature.get(name="feat1").schemas.all()) == {schema}
    # another set of members is another schema; a Python type for dtype is taken by its name
    other = ln.Schema(features[:2], dtype=int).save()
    assert other.id != schema.id and other.dtype == "int"


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((), {"features": [], "x": "1"}, ValueError, "Only features, dtype, name are valid keyword arguments"),
    (([],), {}, ValueError, "Provide list of features with at least one element"),
    ((["feature"],), {}, TypeError, "features has to store feature records"),
])
def test_schema_constructor_errors(instance, args, kwargs, error, message):
    ln = instance
    with pytest.raises(error, match=message):
        ln.Schema(*args, **kwargs)


def test_schema_constructor_refuses_a_single_feature_mixed_registries_and_two_arguments(instance):
    ln = instance
    feature = ln.Feature(name="rna", dtype="float").save()
    label = ln.ULabel(name="a label").save()
    with pytest.raises(ValueError, match="Please pass a ListLike of features, not a single feature"):
        ln.Schema(feature)
    with pytest.raises(TypeError, match="schema can only contain a single type"):
        ln.Schema([feature, label])
    with pytest.raises(ValueError, match="Only one non-keyword arg allowed"):
        ln.Schema([feature], 1)


def test_schema_from_values_and_from_df(instance, df):
    ln = instance
    ln.Feature.from_df(df).save()
    schema = ln.Schema.from_values(["feat1", "feat2"], ln.Feature.name)
    assert schema.dtype is None and schema.n == 2
    with pytest.raises(ln.errors.ValidationError) as info:
        ln.Schema.from_values(["feat1", "weird_name"], field=ln.Feature.name, type="float")
    assert str(info.value) == (
        "These values could not be validated: ['weird_name']\n"
        "If there are no typos, add them to their registry: Feature"
    )
    assert ln.Schema.from_values(["weird_name"], ln.Feature.name, raise_validation_error=False) is None
    with pytest.raises(ValueError, match="at least one value"):
        ln.Schema.from_values([], ln.Feature.name)
    with pytest.raises(TypeError, match="must be a Record field"):
        ln.Schema.from_values(["a"], field="name")
    # other registries: the columns' one dtype, "num" by default
    ln.ULabel.from_values(["feat1", "feat2", "feat4"], create=True).save()
    labels = ln.Schema.from_values(["feat1", "feat2"], ln.ULabel.name)
    assert labels.dtype == "num" and labels.registry == "ULabel"
    with pytest.raises(ValueError, match="data types are heterogeneous"):
        ln.Schema.from_df(df, field=ln.ULabel.name)
    assert ln.Schema.from_df(df[["feat1"]], field=ln.ULabel.name).dtype == "int"
    saved = ln.Schema.from_df(df).save()
    assert saved.n == 6 and saved.dtype is None
    assert ln.Schema.from_df(pd.DataFrame({"nope": [1]})) is None
    ln.Schema.filter().delete()
    assert ln.Schema.filter().count() == 0


def test_schema_df_includes_its_features(instance):
    ln = instance
    features = [ln.Feature(name=f"Feature {i}", dtype=int) for i in range(3)]
    ln.save(features)
    schema = ln.Schema(features, name="my schema").save()
    schema.features.set(features)
    df = ln.Schema.filter(name="my schema").df(include="features__name")
    assert df.columns[3] == "features__name"
    assert df["features__name"].iloc[0] == {"Feature 0", "Feature 1", "Feature 2"}
    # LaminDB 2's spelling: "features" is a relation of Schema, not the feature columns
    df2 = ln.Schema.filter(name="my schema").to_dataframe(include="features__name")
    assert df2.equals(df)
