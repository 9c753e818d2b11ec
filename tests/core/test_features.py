"""Features and labels: dtypes, add_values, labels, the features table, describe."""

from __future__ import annotations

import datetime as dt
import json
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
    assert ln.Feature(name="x", dtype="cat").dtype == "cat"  # as written, as LaminDB keeps it
    assert ln.Feature(name="z", dtype=" cat[bionty.CellType] ").dtype == "cat[bionty.CellType]"
    assert ln.Feature(name="y", dtype="cat[ULabel|Artifact.key]").dtype == "cat[ULabel|Artifact.key]"


def test_feature_constructor_errors_read_as_in_lamindb(instance):
    ln = instance
    with pytest.raises(ValueError, match="^Only keyword args allowed$"):
        ln.Feature("x")
    with pytest.raises(ValueError, match="^Please pass dtype, one of str, int, float"):
        ln.Feature(name="x")
    with pytest.raises(ValueError, match="dtype has to be a dtype string, a type, or of type Record or list\\[Record\\]"):
        ln.Feature(name="x", dtype=3)
    assert ln.Feature(name="x", dtype=[ln.ULabel, ln.Artifact]).dtype == "cat[ULabel|Artifact]"


def test_features_add_and_get_values(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values(UNS1)
    artifact.features.add_values({"cell_medium": ["DMSO", "IFNG"], "n_cells": 3})
    values = artifact.features.get_values()
    assert values == {
        "cell_medium": {"DMSO", "IFNG"},
        "date_of_study": dt.date(2024, 12, 1),  # a date, as LaminDB returns it
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
            "cell_medium": "DMSO",
        })
    message = str(info.value)
    assert "temperature (float): 'warm': expected float, got str" in message
    assert "date_of_study (date): '01/12/2024': expected an ISO date" in message
    assert "n_cells (int): 2.5: expected int, got float" in message
    assert "study: 'Candidate marker study 3' not found in ULabel.name" in message
    assert artifact.features.get_values() == {}
    assert ln.FeatureValue.filter().count() == 0


def test_features_add_values_unknown_keys_are_refused_first_with_how_to_create_them(setup_features):
    # LaminDB 1.0's message: the keys, then one line per key that creates its feature
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    with pytest.raises(ln.errors.ValidationError) as info:
        artifact.features.add_values({"tempreature": 1.0, "donor": "U0123", "when": "2024-12-01", "study": "nope"})
    assert str(info.value) == (
        "These keys could not be validated: ['tempreature', 'donor', 'when']\n"
        "Here is how to create a feature:\n\n"
        "  ln.Feature(name='tempreature', dtype='float').save()\n"
        "  ln.Feature(name='donor', dtype='cat ? str').save()\n"
        "  ln.Feature(name='when', dtype='date').save()\n"
        "Did you mean 'temperature'?"
    )
    assert artifact.features.get_values() == {}


def test_features_add_values_unknown_labels_say_how_to_create_them(setup_features):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    with pytest.raises(ln.errors.ValidationError) as info:
        artifact.features.add_values({"study": "Study 3", "cell_medium": ["DMSO", "aspirin"], "temperature": 1.0})
    assert str(info.value) == (
        "These values could not be validated: ['Study 3', 'aspirin']\n"
        "Here is how to create ulabels for them:\n\n"
        "  ulabels = ln.ULabel.from_values(['Study 3', 'aspirin'], create=True)\n"
        "  ln.save(ulabels)"
    )
    assert artifact.features.get_values() == {} and ln.FeatureValue.filter().count() == 0


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
    # values that add_values refuses: the same message, nothing removed
    for feature, value, expected in [
        ("date_of_study", "01/12/2024", "date_of_study (date): '01/12/2024': expected an ISO date"),
        ("study_note", "a\x00", "study_note (str): 'a\\x00': contains a NUL character"),
        ("cell_medium", "IFNG\x00", "cell_medium (cat[ULabel]): 'IFNG\\x00': contains a NUL character"),
    ]:
        with pytest.raises(ln.errors.ValidationError) as info:
            artifact.features.remove_values(feature, value)
        assert expected in str(info.value)
    assert artifact.features.get_values() == values


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


def test_df_features_works_on_every_query_of_artifacts(setup_features):
    # the features table comes from Artifact's QuerySet: related managers and chains use it too
    ln = setup_features
    a1, a2 = make_artifacts(ln, 2)
    a1.features.add_values({"temperature": 21.6, "study": "Candidate marker study 1"})
    study = ln.ULabel.get(name="Candidate marker study 1")
    df = study.artifacts.filter(key__endswith=".h5ad").df(features=True)
    assert list(df.index) == [a1.id]
    assert list(df.columns) == ["uid", "key", "description", "study", "temperature"]
    assert df.attrs["feature_dtypes"] == {"study": "cat[ULabel]", "temperature": "float"}
    assert ln.Artifact.objects.all().supports_features is True
    assert study.artifacts.all().supports_features is True
    assert ln.ULabel.objects.all().supports_features is False
    # no artifact matches: no feature columns, and no query for them
    empty = ln.Artifact.filter(key="nope").df(features=True)
    assert len(empty) == 0 and "temperature" not in empty.columns


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
    with CaptureQueriesContext(connection) as captured:
        df = ln.Artifact.df(features=True, limit=None)
    # (inside the test's transaction on PostgreSQL, the rows' JSON arrays under a savepoint)
    table_queries = [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(df) == n
    assert df["n_cells"].map(lambda s: next(iter(s))).tolist() == list(range(n))[::-1]
    # rows, the categorical dtypes, links to feature values, the values, label links, the
    # labels' names, the features' dtypes
    assert len(table_queries) == 7
    links_query = table_queries[4]["sql"]
    # only the link tables of registries that a feature's dtype names (cat[ULabel])
    assert "core_artifactulabel" in links_query and "bio_" not in links_query
    assert not any("bio_" in q["sql"] for q in table_queries)
    assert len(annotate_queries) <= 14  # independent of the number of artifacts


def test_view_shows_a_dtype_row(setup_features, capsys):
    ln = setup_features
    artifact = make_artifacts(ln, 1)[0]
    artifact.features.add_values({**UNS1, "cell_medium": ["DMSO"]})
    capsys.readouterr()
    import pandas as pd

    # every column, wherever the test runs (pandas fits a table to the terminal in a session it
    # takes for interactive, as a pytest-xdist worker is)
    with pd.option_context("display.max_columns", None, "display.width", 1000):
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
    assert f".path = {artifact.path}\n" in out  # where the data is, as in LaminDB
    assert "├── Provenance" in out and ".transform = " in out and ".created_by = " in out
    assert "temperature    float        21.6" in out
    assert "cell_medium    cat[ULabel]  DMSO, IFNG" in out
    assert "└── Labels" in out and ".ulabels  ULabel  Candidate marker study 1, DMSO, IFNG" in out
    assert artifact.describe(return_str=True) == out.rstrip("\n")


def test_describe_of_an_unsaved_artifact_shows_its_fields(instance, tmp_path, capsys):
    ln = instance
    path = tmp_path / "mini.csv"
    path.write_text("test\n1\n2\n3\n")
    artifact = ln.Artifact(path, description="test")
    text = artifact.describe(return_str=True)
    assert text.startswith("Artifact .csv\n├── General") and ".description = 'test'" in text
    assert f".path = {path}" in text  # the file it is made from, until it is saved
    assert "Provenance" in text and "Labels" not in text  # empty sections are left out


# -- values the database cannot store: refused, nothing written (issue 10, items 9 and 26) --


def _stored(ln):
    """What the value tables hold: (feature values, value links, label links)."""
    return (
        sorted(ln.FeatureValue.filter().values_list("feature__name", "hash")),
        ln.Artifact._feature_values.through.objects.count(),
        ln.Artifact.ulabels.through.objects.count(),
    )


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"temperature": math.inf}, "temperature (float): inf: infinite numbers cannot be stored"),
        ({"temperature": -math.inf}, "temperature (float): -inf: infinite numbers cannot be stored"),
        ({"temperature": [20.5, math.inf]}, "temperature (float): inf: infinite numbers cannot be stored"),
        ({"params": {"alpha": math.nan}}, "params (dict): {'alpha': nan}: at ['alpha']: NaN cannot be stored in JSON"),
        ({"params": {"alpha": [1, math.inf]}}, "params (dict): {'alpha': [1, inf]}: at ['alpha'][1]: infinite numbers cannot be stored"),
        ({"params": {"genes": {"a"}}}, "params (dict): {'genes': {'a'}}: at ['genes']: a set cannot be stored in JSON; use a list"),
        ({"params": {1: "one"}}, "params (dict): {1: 'one'}: at key 1: dict keys must be strings, got int"),
        ({"study_note": "a\x00b"}, "study_note (str): 'a\\x00b': contains a NUL character"),
        ({"study_note": "a\ud800"}, "study_note (str): 'a\\ud800': contains a lone surrogate"),
        ({"params": {"note": "a\x00"}}, "params (dict): {'note': 'a\\x00'}: at ['note']: contains a NUL character"),
        ({"params": {"a\x00": 1}}, "params (dict): {'a\\x00': 1}: at key 'a\\x00': contains a NUL character"),
        ({"study": "DMSO\x00"}, "study (cat[ULabel]): 'DMSO\\x00': contains a NUL character"),
        ({1: 2.0}, "feature names are strings, got 1 (int)"),
        ({None: 2.0}, "feature names are strings, got None (NoneType)"),
        ({"tempera\x00ture": 2.0}, "feature name 'tempera\\x00ture': contains a NUL character"),
    ],
)
def test_features_values_the_database_refuses_are_validation_errors(setup_features, values, expected):
    ln = setup_features
    ln.Feature(name="params", dtype="dict").save()
    artifact = make_artifacts(ln, 1)[0]
    before = _stored(ln)
    with pytest.raises(ln.errors.ValidationError) as info:
        # with a valid value in the same call: it is not written either
        artifact.features.add_values({"n_cells": 3, "cell_medium": "DMSO", **values})
    assert expected in str(info.value)
    assert _stored(ln) == before
    assert artifact.features.get_values() == {}


@pytest.mark.parametrize("missing", [None, math.nan, "numpy nan", "pd.NA", "pd.NaT"])
def test_features_missing_values_are_refused_not_dropped(setup_features, missing):
    import numpy as np
    import pandas as pd

    ln = setup_features
    shown = {"numpy nan": "nan", "pd.NA": "<NA>", "pd.NaT": "NaT"}.get(missing, repr(missing))
    missing = {"numpy nan": np.float64("nan"), "pd.NA": pd.NA, "pd.NaT": pd.NaT}.get(missing, missing)
    artifact = make_artifacts(ln, 1)[0]
    before = _stored(ln)
    with pytest.raises(ln.errors.ValidationError) as info:
        artifact.features.add_values({"n_cells": 3, "temperature": missing})
    message = str(info.value)
    assert f"temperature (float): {shown}: a missing value is not stored" in message
    assert "leave the feature out" in message
    assert _stored(ln) == before
    # also inside a list of values
    with pytest.raises(ln.errors.ValidationError, match="temperature \\(float\\): .*a missing value"):
        artifact.features.add_values({"temperature": [21.6, missing]})
    assert _stored(ln) == before


def test_features_dict_values_round_trip(setup_features):
    import numpy as np

    ln = setup_features
    ln.Feature(name="params", dtype="dict").save()
    a1, a2 = make_artifacts(ln, 2)
    params = {"alpha": 0.5, "layers": [64, 32], "opt": {"name": "adam", "betas": (0.9, 0.999)}, "n": np.int64(3)}
    a1.features.add_values({"params": params, "temperature": np.float64(21.6)})
    values = a1.features.get_values()
    assert values == {
        "params": {"alpha": 0.5, "layers": [64, 32], "opt": {"name": "adam", "betas": [0.9, 0.999]}, "n": 3},
        "temperature": 21.6,
    }
    assert isinstance(values["params"], dict)
    # several dicts for one feature: a list of them, as a set cannot hold dicts
    a2.features.add_values({"params": [{"b": 2}, {"a": 1}]})
    assert a2.features.get_values() == {"params": [{"a": 1}, {"b": 2}]}


def test_df_features_cells_are_get_values_for_all_and_for_a_few(setup_features):
    # all artifacts (their values read by id range) and two far apart (read by a list of ids):
    # every cell is the set of what get_values() gives, dicts as their JSON text
    from lamindb_core.models.annotations import JSONText

    ln = setup_features
    ln.Feature(name="params", dtype="dict").save()
    artifacts = make_artifacts(ln, 30)
    ln.Artifact.features.add_values({
        a: {"temperature": 20.0 + i / 10, "n_cells": i, "study": "Candidate marker study 1",
            **({"cell_medium": ["DMSO", "IFNG"], "params": [{"b": i}, {"a": 1}]} if i % 7 == 0 else {}),
            **({"study_note": 'quoted "note", with a comma'} if i % 5 == 0 else {})}
        for i, a in enumerate(artifacts)
    })
    few = [artifacts[0].id, artifacts[-1].id]
    found = ln.Artifact.search("dataset2")  # a query ordered by its score
    assert len(found.df(features=True)) == len(found) > 0
    for df in (ln.Artifact.df(features=True, limit=None), ln.Artifact.filter(id__in=few).df(features=True),
               found.df(features=True)):
        for pk in df.index:
            values = ln.Artifact.get(pk).features.get_values()
            for name in ("cell_medium", "study", "temperature", "n_cells", "study_note", "params"):
                cell, want = df.loc[pk, name], values.get(name)
                if want is None:
                    assert isinstance(cell, float) and math.isnan(cell), (pk, name, cell)
                elif name == "params":
                    assert cell == {JSONText(json.dumps(v, sort_keys=True)) for v in want}
                else:
                    assert cell == (set(want) if isinstance(want, (set, list)) else {want}), (pk, name, cell)


# -- the class-level bulk form takes saved artifacts only (issue 10, item 10) --------


def test_features_bulk_add_values_refuses_keys_that_are_not_saved_artifacts(setup_features):
    ln = setup_features
    label = ln.ULabel.get(name="DMSO")
    storage = ln.Storage.filter().first()
    # an artifact with the same id as the label: it must not be annotated
    twin = ln.Artifact.filter(id=label.id).first() or ln.Artifact(
        id=label.id, key="twin.h5ad", suffix=".h5ad", storage=storage
    ).save()
    good = make_artifacts(ln, 1)[0]
    before = _stored(ln)
    with pytest.raises(ln.errors.InvalidArgument) as info:
        ln.Artifact.features.add_values({good: {"temperature": 1.5}, label: {"temperature": 21.6}})
    assert f"keys must be saved Artifact records, got {label!r} (ULabel)" in str(info.value)
    unsaved = ln.Artifact(key="unsaved.h5ad", suffix=".h5ad", storage=storage)
    with pytest.raises(ln.errors.ValidationError, match=r"Artifact\(.*'unsaved.h5ad'.*\) is not saved yet"):
        # as pairs: an unsaved record cannot be a dict key
        ln.Artifact.features.add_values([(good, {"temperature": 1.5}), (unsaved, {"temperature": 21.6})])
    with pytest.raises(ln.errors.InvalidArgument, match=r"keys must be saved Artifact records, got 'dataset0.h5ad' \(str\)"):
        ln.Artifact.features.add_values({"dataset0.h5ad": {"temperature": 21.6}})
    gone = make_artifacts(ln, 1)[0]
    ln.Artifact.objects.filter(id=gone.id).delete(permanent=True)
    with pytest.raises(ln.errors.ValidationError, match=r"no longer exists"):
        ln.Artifact.features.add_values({good: {"temperature": 1.5}, gone: {"temperature": 21.6}})
    with pytest.raises(ln.errors.InvalidArgument, match=r"values for .* must be a dict of feature names to values, got 21.6"):
        ln.Artifact.features.add_values({good: 21.6})
    assert _stored(ln) == before
    assert twin.features.get_values() == {} and good.features.get_values() == {}


# -- concurrent annotation (issue 10, item 6) ----------------------------------------

CONCURRENT_SCRIPT = """
import json, sys, time
from pathlib import Path
import lamindb_core as ln

own, shared, folder, n = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
artifacts = [ln.Artifact.get(id=own), ln.Artifact.get(id=shared)]
ln.Feature.get(name="concurrent_temperature")  # connected before the start
(folder / f"ready-{own}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
ok, failures = 0, []
for i in range(n):
    # the same new values in every process: a new FeatureValue each time, a link
    # to a shared artifact, a label link
    values = {"concurrent_temperature": 1000.0 + i, "concurrent_note": f"note {i}", "concurrent_label": "concurrent label"}
    for artifact in artifacts:
        try:
            artifact.features.add_values(values)
            ok += 1
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:300])
print(json.dumps({"ok": ok, "failures": failures[:3], "n_failures": len(failures)}))
"""


@pytest.mark.no_rollback
def test_features_concurrent_add_values_of_the_same_new_values_all_succeed(instance, tmp_path):
    import json
    import os
    import subprocess
    import sys
    import time

    ln = instance
    n_processes, n_calls = 3, 20
    storage = ln.Storage.filter().first()
    try:
        ln.save([
            ln.Feature(name="concurrent_temperature", dtype="float"),
            ln.Feature(name="concurrent_note", dtype="str"),
            ln.Feature(name="concurrent_label", dtype="cat[ULabel]"),
        ])
        ln.ULabel(name="concurrent label").save()
        artifacts = [ln.Artifact(key=f"concurrent/{i}.h5ad", suffix=".h5ad", storage=storage) for i in range(n_processes + 1)]
        ln.save(artifacts)
        shared = artifacts[-1]
        script = tmp_path / "annotate.py"
        script.write_text(CONCURRENT_SCRIPT)
        # the children share LAMIN_CORE_HOME (and PYTHONPATH): the session's instance
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(a.id), str(shared.id), str(tmp_path), str(n_calls)],
                env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for a in artifacts[:n_processes]
        ]
        deadline = time.time() + 120
        while len(list(tmp_path.glob("ready-*"))) < n_processes and time.time() < deadline:
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
        (tmp_path / "go").touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        assert [r["failures"] for r in results] == [[]] * n_processes
        assert [r["ok"] for r in results] == [2 * n_calls] * n_processes
        # each value once, linked once per artifact
        assert ln.FeatureValue.filter(feature__name="concurrent_temperature").count() == n_calls
        assert ln.FeatureValue.filter(feature__name="concurrent_note").count() == n_calls
        for artifact in artifacts:
            values = artifact.features.get_values()
            assert values["concurrent_temperature"] == {1000.0 + i for i in range(n_calls)}
            assert values["concurrent_label"] == "concurrent label"
        assert ln.Artifact._feature_values.through.objects.filter(artifact=shared).count() == 2 * n_calls
        assert ln.Artifact.ulabels.through.objects.filter(artifact=shared).count() == 1
    finally:
        ln.Artifact.objects.filter(key__startswith="concurrent/").delete(permanent=True)
        ln.FeatureValue.filter(feature__name__startswith="concurrent_").delete()
        ln.Feature.filter(name__startswith="concurrent_").delete()
        ln.ULabel.filter(name="concurrent label").delete()


def test_features_table_decodes_values_as_json_does():
    # the table's fast path for numbers and plain strings gives what json.loads gives
    from lamindb_core.models.annotations import JSONText, decode_value

    texts = ['"plain"', '"caf\\u00e9"', '"with \\"quote\\""', '""', "0", "-7", "1007", "21.7", "-0.5", "1e5",
             "2E-3", "12345678901234567890", "true", "false", "null", '"2024-01-08"']
    for text in texts:
        value = decode_value(text)
        assert value == json.loads(text) and type(value) is type(json.loads(text)), text
    assert decode_value('{"b": 1, "a": [1, 2]}') == JSONText('{"a": [1, 2], "b": 1}')
