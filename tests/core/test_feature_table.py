"""The feature columns of ``Artifact.df(features=True)``: each way of reading them gives one table."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_features import make_artifacts



@pytest.fixture
def ft(instance):
    # the models are imported once an instance is set up
    from lamindb_core.models import feature_table

    return feature_table


@pytest.fixture
def annotated(instance, labels):
    """Twelve artifacts with values of every kind: one or two labels, a dict, a note with a
    comma and quotes, and none at all for some."""
    ln = instance
    ln.save([
        ln.Feature(name="cell_medium", dtype="cat[ULabel]"),
        ln.Feature(name="temperature", dtype="float"),
        ln.Feature(name="n_cells", dtype="int"),
        ln.Feature(name="study_note", dtype="str"),
        ln.Feature(name="params", dtype="dict"),
    ])
    artifacts = make_artifacts(ln, 12)
    ln.Artifact.features.add_values({
        a: {"temperature": 20.0 + i / 10, "n_cells": i,
            **({"cell_medium": ["DMSO", "IFNG"] if i % 2 else ["DMSO"]} if i % 3 else {}),
            **({"study_note": 'a "note", with a comma', "params": [{"b": i}, {"a": 1}]} if i % 4 == 0 else {})}
        for i, a in enumerate(artifacts) if i != 5
    })
    return ln, artifacts


def cells_of(df) -> dict:
    """Every cell as (its type, its text): a ValueSet prints its values sorted, NaN as nan."""
    return {(pk, name): (type(df.loc[pk, name]).__name__, repr(df.loc[pk, name]))
            for pk in df.index for name in df.columns}


def assert_cells_are_get_values(ln, df):
    from lamindb_core.models.annotations import JSONText

    for pk in df.index:
        values = ln.Artifact.get(pk).features.get_values()
        for name in ("cell_medium", "temperature", "n_cells", "study_note", "params"):
            cell, want = df.loc[pk, name], values.get(name)
            if want is None:
                assert isinstance(cell, float) and math.isnan(cell), (pk, name, cell)
            elif name == "params":
                assert cell == {JSONText(json.dumps(v, sort_keys=True)) for v in want}
            else:
                assert cell == (set(want) if isinstance(want, (set, list)) else {want}), (pk, name, cell)


def test_feature_table_by_id_range_is_the_table_by_query(annotated, ft, monkeypatch):
    # all artifacts are read by their id range; with no range dense enough, by the table's
    # query and lists of ids: the same table, in every order of its rows
    ln, artifacts = annotated
    queries = {
        "newest first": lambda: ln.Artifact.df(features=True, limit=None),
        "by key": lambda: ln.Artifact.filter().order_by("key").df(features=True),
        "by id": lambda: ln.Artifact.filter().df(features=True),
        "a few": lambda: ln.Artifact.filter(id__in=[artifacts[0].id, artifacts[7].id]).df(features=True),
    }
    by_range = {name: query() for name, query in queries.items()}
    monkeypatch.setattr(ft, "_DENSE", 2.0)  # never dense: the general path
    by_query = {name: query() for name, query in queries.items()}
    for name in queries:
        assert list(by_range[name].columns) == list(by_query[name].columns)
        assert by_range[name].attrs == by_query[name].attrs
        assert cells_of(by_range[name]) == cells_of(by_query[name]), name
        assert_cells_are_get_values(ln, by_range[name])
    assert list(by_range["by key"]["key"]) == sorted(a.key for a in artifacts)
    assert by_range["newest first"].loc[artifacts[7].id, "cell_medium"] == {"DMSO", "IFNG"}
    assert repr(by_range["newest first"].loc[artifacts[7].id, "cell_medium"]) == "{'DMSO', 'IFNG'}"
    assert math.isnan(by_range["newest first"].loc[artifacts[5].id, "temperature"])


def test_feature_table_range_leaves_out_the_artifacts_the_table_does_not_hold(annotated):
    # the id range of the table holds an artifact that its query leaves out: its links are
    # read with the range and not shown
    ln, artifacts = annotated
    left_out = artifacts[4]
    df = ln.Artifact.filter(id__in=[a.id for a in artifacts if a is not left_out]).df(features=True)
    assert left_out.id not in df.index and len(df) == 11
    assert_cells_are_get_values(ln, df)
    only = ln.Artifact.filter(id__in=[artifacts[3].id, artifacts[4].id]).df(features=["n_cells"])
    assert list(only.columns) == ["uid", "key", "description", "n_cells"]
    assert [only.loc[a.id, "n_cells"] for a in artifacts[3:5]] == [{3}, {4}]


@pytest.mark.parametrize("dense", [0.3, 2.0])
def test_feature_table_leaves_out_an_artifact_saved_after_its_rows(annotated, ft, monkeypatch, dense):
    # an artifact annotated between the query of the rows and those of the links is in
    # neither the range of the table's ids nor its rows: the table is as it was
    ln, artifacts = annotated
    monkeypatch.setattr(ft, "_DENSE", dense)
    before = ln.Artifact.df(features=True, limit=None)
    read_links = ft._value_links
    added = []

    def save_one_first(*args):
        if not added:
            storage = ln.Storage.filter().first()
            added.append(ln.Artifact(key="late.h5ad", suffix=".h5ad", storage=storage).save())
            added[0].features.add_values({"n_cells": 99, "cell_medium": ["IFNG"]})
        return read_links(*args)

    monkeypatch.setattr(ft, "_value_links", save_one_first)
    during = ln.Artifact.df(features=True, limit=None)
    assert added and added[0].id not in during.index
    assert cells_of(during) == cells_of(before)


def test_feature_table_reads_values_one_by_one_where_the_joined_texts_do_not_parse(annotated, ft, monkeypatch):
    ln, _ = annotated
    joined = ln.Artifact.df(features=True, limit=None)
    monkeypatch.setattr(ft, "_decode_joined", lambda texts, count: None)
    assert cells_of(ln.Artifact.df(features=True, limit=None)) == cells_of(joined)


def test_feature_table_positions_and_distinct_ids_over_dense_and_sparse_ids(ft):
    for keys in (np.array([7, 3, 5, 4]), np.array([10**12, 3, 5 * 10**9, 4])):  # a table / a search
        queries = np.concatenate([keys[::-1], [0, 6, 10**13, int(keys.max()) + 1]])
        positions = ft._positions(keys, queries)
        assert positions.tolist() == [3, 2, 1, 0, -1, -1, -1, -1]
        assert ft._distinct(np.concatenate([keys, keys])).tolist() == sorted(keys.tolist())
    assert ft._positions(np.array([], dtype=np.int64), np.array([1, 2])).tolist() == [-1, -1]


def test_feature_table_joined_json_texts_decode_as_each_text_does(ft):
    from lamindb_core.models.annotations import JSONText

    texts = ['"plain"', '"with \\"quote\\", comma"', "0", "-7", "21.7", "1e5", "true", "null",
             '{"b": 1, "a": [1, 2]}', "[1, 2]"]
    values = ft._decode_joined(",".join(texts), len(texts))
    assert values == [ft.decode_value(t) for t in texts]
    assert [type(v) for v in values] == [type(ft.decode_value(t)) for t in texts]
    assert values[8] == JSONText('{"a": [1, 2], "b": 1}') and isinstance(values[8], JSONText)
    assert ft._decode_joined('"a",', 2) is None  # not JSON
    assert ft._decode_joined('"a", "b"', 1) is None  # more values than rows
