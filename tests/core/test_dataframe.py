"""The tables users see: df() columns, include, to-many sets, query counts."""

from __future__ import annotations

import pickle

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lamindb_core.dataframe import annotate_dtypes

# the columns of the guide's tables (../shared/spec/004_*.txt), index "id"
SPEC_COLUMNS = {
    "Artifact": "uid key description suffix kind otype size hash n_files n_observations _hash_type "
    "_key_is_virtual _curator _overwrite_versions space_id storage_id version is_latest run_id "
    "created_at created_by_id aux _branch_code",
    "Feature": "uid name dtype type unit description synonyms _expect_many space_id run_id created_at "
    "created_by_id aux _branch_code",
    "FeatureSet": "uid name n dtype registry hash space_id run_id created_at created_by_id aux _branch_code",
    "FeatureValue": "value hash space_id feature_id run_id created_at created_by_id aux _branch_code",
    "Run": "uid name started_at finished_at reference reference_type _is_consecutive _status_code space_id "
    "transform_id report_id _logfile_id environment_id initiated_by_run_id created_at created_by_id aux "
    "_branch_code",
    "Storage": "uid root description type region instance_uid space_id run_id created_at created_by_id aux "
    "_branch_code",
    "Transform": "uid key description type source_code hash reference reference_type space_id _template_id "
    "version is_latest created_at created_by_id aux _branch_code",
    "ULabel": "uid name is_concept description reference reference_type space_id run_id created_at "
    "created_by_id aux _branch_code",
}


def make_artifact(ln, key: str, suffix: str, size: int = 10):
    storage = ln.Storage.filter().first()
    return ln.Artifact(key=key, suffix=suffix, size=size, storage=storage).save()


def make_feature_value(ln):
    feature = ln.Feature(name="temperature", dtype="float").save()
    return ln.FeatureValue(value=21.6, feature=feature).save()


@pytest.mark.parametrize("registry", sorted(SPEC_COLUMNS))
def test_df_columns_match_the_spec(instance, registry):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    if registry == "Artifact":
        make_artifact(ln, "images/my_image.jpg", ".jpg")
    elif registry == "ULabel":
        ln.ULabel(name="DMSO").save()
    elif registry == "Feature":
        ln.Feature(name="study", dtype="cat[ULabel]").save()
    elif registry == "FeatureValue":
        make_feature_value(ln)
    elif registry == "FeatureSet":
        ln.FeatureSet(n=0, registry="Feature").save()
    df = getattr(ln, registry).df()
    assert len(df) >= 1
    assert list(df.columns) == SPEC_COLUMNS[registry].split()
    assert df.index.name == "id"


def test_df_of_empty_registry_lists_uid_and_id_as_columns(instance):
    df = instance.Collection.df()
    assert len(df) == 0
    assert list(df.columns)[:3] == ["uid", "id", "key"]


def test_df_shows_newest_first_and_respects_limit(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"label {i}") for i in range(5)])
    df = ln.ULabel.df(limit=3)
    assert list(df["name"]) == ["label 4", "label 3", "label 2"]


def test_queryset_df_keeps_query_order(instance):
    ln = instance
    ln.save([ln.ULabel(name=n) for n in ("b", "a", "c")])
    assert list(ln.ULabel.filter(name__in=["a", "b", "c"]).order_by("name").df()["name"]) == ["a", "b", "c"]
    assert list(ln.ULabel.filter(name__in=["a", "b", "c"]).order_by("-name").df()["name"]) == ["c", "b", "a"]
    # no ordering given: ascending id, as in the guide's filter tables
    assert list(ln.ULabel.filter(name__in=["a", "b", "c"]).df()["name"]) == ["b", "a", "c"]


def test_df_missing_values_show_as_none(instance):
    ln = instance
    ln.ULabel(name="DMSO").save()
    row = ln.ULabel.df().iloc[0]
    assert row["description"] is None
    assert row["aux"] is None


def test_df_include_to_one_and_to_many(instance, labels):
    ln = instance
    dmso, ifng, study1 = labels
    a1 = make_artifact(ln, "example_datasets/dataset1.h5ad", ".h5ad")
    a2 = make_artifact(ln, "images/my_image.jpg", ".jpg")
    a1.ulabels.add(dmso, ifng, study1)
    df = ln.Artifact.df(include=["created_by__name", "ulabels__name", "suffix"])
    assert list(df.columns) == ["uid", "key", "description", "created_by__name", "ulabels__name", "suffix"]
    assert df.loc[a1.id, "ulabels__name"] == {"DMSO", "IFNG", "Candidate marker study 1"}
    # an artifact with no labels shows {None}, as in the guide
    assert df.loc[a2.id, "ulabels__name"] == {None}
    assert df.loc[a1.id, "created_by__name"] == ln.setup.settings.user.name
    assert df.loc[a2.id, "suffix"] == ".jpg"


def test_df_include_takes_a_string(instance, labels):
    df = instance.ULabel.df(include="created_by__handle")
    assert list(df.columns) == ["uid", "name", "is_concept", "created_by__handle"]


def test_df_include_unknown_field_names_the_closest(instance):
    with pytest.raises(instance.errors.FieldValidationError) as info:
        instance.Artifact.df(include="ulabels__nme")
    assert "ULabel has no field 'nme'" in str(info.value)
    assert "Did you mean 'name'?" in str(info.value)
    with pytest.raises(instance.errors.FieldValidationError, match="Did you mean 'ulabels'"):
        instance.Artifact.df(include="ulabel__name")


def test_df_features_outside_artifact_is_a_clear_error(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="only available for Artifact"):
        instance.ULabel.df(features=True)


@pytest.mark.parametrize("n", [3, 30])
def test_df_runs_a_fixed_number_of_queries(instance, labels, n):
    ln = instance
    artifacts = [make_artifact(ln, f"file_{i}.txt", ".txt") for i in range(n)]
    for artifact in artifacts:
        artifact.ulabels.add(*labels)
    with CaptureQueriesContext(connection) as queries:
        df = ln.Artifact.df(include=["created_by__name", "ulabels__name", "feature_sets__registry"])
    assert len(df) == n
    # one for the rows and to-one relations, one per to-many relation
    assert len(queries) == 3


def test_related_manager_has_the_queryset_methods(instance, labels):
    ln = instance
    artifact = make_artifact(ln, "raw/my_fastq.fastq", ".fastq.gz")
    artifact.ulabels.add(*labels)
    df = artifact.ulabels.filter(name__startswith="Candidate").df()
    assert list(df["name"]) == ["Candidate marker study 1"]
    assert artifact.ulabels.get(name="DMSO").name == "DMSO"


def test_df_of_a_sliced_queryset(instance, labels):
    df = instance.ULabel.filter()[:2].df()
    assert len(df) == 2


# -- clear errors for bad input (issue 10, item 22) ---------------------------------


def test_df_with_a_bad_limit_is_a_clear_error(instance):
    ln = instance
    for bad in (-1, 1.5, "5", True):
        with pytest.raises(ln.errors.InvalidArgument, match=r"df\(limit=...\) takes a number >= 0 or None"):
            ln.ULabel.df(limit=bad)
    assert ln.ULabel.df(limit=0).empty and "name" in ln.ULabel.df(limit=0).columns


def test_df_with_a_bad_include_is_a_clear_error(instance):
    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match=r"df\(include=...\) takes a field path .* or a list of them, got 5 \(int\)"):
        ln.ULabel.df(include=5)
    with pytest.raises(ln.errors.InvalidArgument, match=r"got \[None\]"):
        ln.ULabel.filter().df(include=[None])


def test_df_sets_print_sorted_as_in_the_guide(instance):
    ln = instance
    names = ["T cell", "B cell", "NK cell", "monocyte", "neutrophil", "macrophage", "dendritic cell", "platelet"]
    labels = [ln.ULabel(name=n) for n in names]
    ln.save(labels)
    artifact = make_artifact(ln, "example_datasets/dataset1.h5ad", ".h5ad")
    artifact.ulabels.add(*labels)
    empty = make_artifact(ln, "images/my_image.jpg", ".jpg")
    df = ln.Artifact.df(include="ulabels__name")
    cell = df.loc[artifact.id, "ulabels__name"]
    # a Python set would print these eight in hash order; the cell prints them sorted, every run
    assert cell == set(names)
    assert repr(cell) == "{'B cell', 'NK cell', 'T cell', 'dendritic cell', 'macrophage', 'monocyte', 'neutrophil', 'platelet'}"
    assert "{B cell, NK cell, T cell, dendritic cell, macrophage, monocyte, neutrophil, platelet}" in df.to_string()
    assert repr(df.loc[empty.id, "ulabels__name"]) == "{None}"
    assert pickle.loads(pickle.dumps(cell)) == cell  # df.to_pickle() keeps it


def test_df_limited_says_how_many_match(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(5)])
    total = ln.ULabel.filter().count()
    df = ln.ULabel.df(limit=3)
    assert len(df) == 3 and df.attrs["limited"] == (3, total, True)
    assert "limited" not in ln.ULabel.df(limit=total).attrs  # all of them: nothing to say
    assert "limited" not in ln.ULabel.df(limit=None).attrs


def test_df_limited_counts_up_to_the_cap(instance, monkeypatch):
    # past COUNT_CAP matching records, the count stops: "more than COUNT_CAP"
    import lamindb_core.dataframe as dataframe
    from lamindb_core.dataframe import count_up_to, total_text

    ln = instance
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(6)])
    total = ln.ULabel.filter().count()
    monkeypatch.setattr(dataframe, "COUNT_CAP", total - 1)
    df = ln.ULabel.df(limit=2)
    assert list(df.index) == list(ln.ULabel.filter().order_by("-id").values_list("id", flat=True)[:2])
    assert df.attrs["limited"] == (2, total - 1, False)
    assert total_text(*df.attrs["limited"][1:]) == f"more than {total - 1:,}"
    monkeypatch.setattr(dataframe, "COUNT_CAP", total)  # exactly the cap: exact
    assert ln.ULabel.df(limit=2).attrs["limited"] == (2, total, True)
    # a filter, a search's order and a slice count as their own rows
    batches = ln.ULabel.filter(name__startswith="Batch")
    assert count_up_to(batches, 6) == (6, True) and count_up_to(batches, 5) == (5, False)
    assert count_up_to(ln.ULabel.search("Batch 00"), 100) == (ln.ULabel.search("Batch 00").count(), True)
    assert count_up_to(batches.order_by("name")[1:5], 100) == (4, True)
    assert count_up_to(batches.order_by("name")[1:5], 3) == (3, False)
    assert count_up_to(batches.distinct(), 100) == (6, True)


def test_df_dtype_row_comes_from_the_table_itself(instance, labels, tmp_path):
    # the dtypes are recorded when the table is built, as plain data: ln.view shows them
    # without looking the registry up again, and the table still writes to parquet
    ln = instance
    df = ln.ULabel.df(include=["created_by__handle", "artifacts__id"])
    annotated = annotate_dtypes(df.assign(score=1.0))
    assert list(annotated.columns) == [
        ("uid", "str"), ("name", "str"), ("is_concept", "bool"),
        ("created_by__handle", "str"), ("artifacts__id", "int"), ("score", ""),
    ]
    df.iloc[:, :3].to_parquet(tmp_path / "ulabels.parquet")


# -- columns read as JSON arrays (text and integer fields, in the order of the ids) -------


def test_df_columns_read_as_json_arrays_are_the_rows_the_driver_gives(instance, monkeypatch):
    # the first four columns of a table of artifacts (text and ids) come as one JSON array
    # each; read row by row instead, the table is the same, in every order and with a join
    import lamindb_core.dataframe as dataframe

    ln = instance
    texts = ["plain", 'a "quote", a comma', "caf\u00e9 \u2603", "back\\slash", "tab\there", "", None]
    artifacts = [make_artifact(ln, f"json{i}.csv", ".csv") for i in range(len(texts))]
    for artifact, text in zip(artifacts, texts):
        artifact.description = text
        artifact.save()
    queries = {
        "newest first": lambda: ln.Artifact.df(features=True, limit=None),
        "by id": lambda: ln.Artifact.filter(key__startswith="json").df(include="created_by__handle"),
        "by key": lambda: ln.Artifact.filter(key__startswith="json").order_by("-key").df(features=True),
        "a labels' table": lambda: ln.ULabel.filter().df(include="created_by__handle"),
    }
    read = {}
    for name, query in queries.items():
        with CaptureQueriesContext(connection) as captured:
            read[name] = query()
        read[name + " arrays"] = any("lamindb_rows" in q["sql"] for q in captured.captured_queries)
    monkeypatch.setattr(dataframe, "_read_columns", lambda qs, select, field_by_name: None)
    for name, query in queries.items():
        by_rows = query()
        assert read[name].equals(by_rows) and read[name].attrs == by_rows.attrs, name
        assert list(read[name].index) == list(by_rows.index) and read[name].index.dtype == by_rows.index.dtype
        assert [type(v) for v in read[name]["key" if "key" in by_rows else "uid"]] == \
            [type(v) for v in by_rows["key" if "key" in by_rows else "uid"]]
    assert read["newest first arrays"] and read["by id arrays"]
    assert not read["by key arrays"]  # an order the arrays do not check: row by row
    by_id = read["by id"]
    assert [by_id.loc[a.id, "description"] for a in artifacts] == texts
    assert by_id.loc[artifacts[0].id, "created_by__handle"] == ln.setup.settings.user.handle


def test_df_json_arrays_in_any_order_come_in_the_order_of_the_ids():
    from lamindb_core.dataframe import _in_id_order

    columns = [[3, 1, 2], ["c", "a", "b"]]
    assert _in_id_order(columns, descending=False) == [[1, 2, 3], ["a", "b", "c"]]
    assert _in_id_order(columns, descending=True) == [[3, 2, 1], ["c", "b", "a"]]
    in_order = [[1, 2, 3], ["a", "b", "c"]]
    assert _in_id_order(in_order, descending=False) is in_order
    assert _in_id_order(in_order, descending=True) == [[3, 2, 1], ["c", "b", "a"]]
    assert _in_id_order([[3, 2, 1], ["c", "b", "a"]], descending=False) == in_order
    assert _in_id_order([[7], ["x"]], descending=True) == [[7], ["x"]]


def test_df_json_arrays_that_the_database_refuses_are_read_as_rows(instance, monkeypatch):
    # an array over the database's size of one value fails: the rows instead, and in a
    # transaction the failed statement is undone alone (a savepoint), the transaction goes on
    from django.db import transaction

    import lamindb_core.dataframe as dataframe

    ln = instance
    for i in range(3):
        make_artifact(ln, f"refused{i}.csv", ".csv")
    expected = ln.Artifact.df(features=True, limit=None)
    # a function no database has: the statement fails as a too large array would
    monkeypatch.setitem(dataframe._ARRAYS, connection.vendor, "lamindb_no_such_function({})")
    with CaptureQueriesContext(connection) as captured:
        assert ln.Artifact.df(features=True, limit=None).equals(expected)
    assert any("lamindb_no_such_function" in q["sql"] for q in captured.captured_queries)
    with transaction.atomic():
        added = make_artifact(ln, "refused_in_a_transaction.csv", ".csv")
        df = ln.Artifact.df(features=True, limit=None)
        assert df.index[0] == added.id and len(df) == len(expected) + 1
        assert ln.Artifact.filter(key="refused_in_a_transaction.csv").exists()  # the transaction goes on
    assert ln.Artifact.filter(key="refused_in_a_transaction.csv").exists()
