"""``ln.view()``'s text tables: written without pandas' formatters, the same as ``to_string()``."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from lamindb_core.overview import text_table

UTC = dt.timezone.utc


def random_text(rng: random.Random) -> str:
    alphabet = "abcXYZ 019-_./é€\t\n\r"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))


def random_frame(rng: random.Random) -> pd.DataFrame:
    rows = rng.randint(1, 9)
    data = {}
    for i in range(rng.randint(1, 8)):
        kind = rng.choice(["text", "text_none", "int", "bool", "bool_none", "time", "time_nat", "none", "mixed"])
        if kind == "text":
            values = [random_text(rng) for _ in range(rows)]
        elif kind == "text_none":
            values = [rng.choice([None, random_text(rng)]) for _ in range(rows)]
        elif kind == "int":
            values = [rng.randint(-(10 ** rng.randint(0, 12)), 10 ** rng.randint(0, 12)) for _ in range(rows)]
        elif kind == "bool":
            values = [rng.random() < 0.5 for _ in range(rows)]
        elif kind == "bool_none":
            values = [rng.choice([None, True, False]) for _ in range(rows)]
        elif kind in ("time", "time_nat"):
            values = [
                dt.datetime(2025, 1, rng.randint(1, 28), rng.choice([0, 14]), rng.choice([0, 5]),
                            rng.choice([0, 59]), rng.choice([0, 0, 123456]), tzinfo=UTC)
                for _ in range(rows)
            ]
            if kind == "time_nat":
                values[rng.randrange(rows)] = None
        elif kind == "none":
            values = [None] * rows
        else:
            values = [rng.choice([None, "x", 3, True]) for _ in range(rows)]
        name = rng.choice(["uid", "name", "x", "a_long_column_name_here", "is_latest", "n"]) + str(i)
        dtype = object if kind in ("text", "text_none", "none", "mixed") else None
        data[name] = pd.Series(values, dtype=dtype)
    df = pd.DataFrame(data)
    ids = [rng.randint(0 if rng.random() < 0.8 else -50, 10 ** rng.randint(0, 7)) for _ in range(rows)]
    df.index = pd.Index(ids, name=rng.choice(["id", None, "a\tb"]))
    return df


def test_overview_text_table_is_to_string_on_random_tables():
    rng = random.Random(16)
    written = 0
    for _ in range(400):
        df = random_frame(rng)
        text = text_table(df)
        assert text is not None, df.dtypes
        assert text == df.to_string(), df.dtypes
        written += 1
    assert written == 400


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"x": [1.5, None]}),  # floats: pandas' own precision rules
        pd.DataFrame({"x": [{"a": 1}, None]}),  # JSON
        pd.DataFrame({"x": [dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 2)]}),  # no time zone
        pd.DataFrame({"x": ["a"]}, index=pd.Index(["k"])),  # a text index
        pd.DataFrame({"x": []}),  # empty
        pd.DataFrame({("a", "b"): [1]}),  # two header rows (ln.view(df) with dtypes)
        pd.DataFrame({"x": pd.array([1, None], dtype="Int64")}),  # pandas' nullable dtypes: pd.NA
        pd.DataFrame({"x": pd.array([True, None], dtype="boolean")}),
        pd.DataFrame({"x": pd.array(["a", None], dtype="string")}),
    ],
)
def test_overview_text_table_leaves_other_tables_to_pandas(df):
    assert text_table(df) is None


def test_overview_text_table_is_to_string_for_every_registry(instance, labels):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    ln.ULabel(name="tab\there", description="two\nlines").save()
    shown = 0
    for model in (ln.ULabel, ln.Storage, ln.Transform, ln.Run, ln.User, ln.Space, ln.Feature):
        df = model.df()
        if len(df) == 0:
            continue
        text = text_table(df)
        if text is not None:
            assert text == df.to_string(), model.__name__
            shown += 1
    assert shown >= 5


def test_overview_view_prints_the_same_text_as_pandas(instance, labels, capsys, monkeypatch):
    ln = instance
    ln.view()
    ours = capsys.readouterr().out
    monkeypatch.setattr("lamindb_core.overview.text_table", lambda df: None)
    ln.view()
    assert capsys.readouterr().out == ours
    assert "Candidate marker study 1" in ours


def test_overview_view_in_a_notebook_displays_the_dataframes(instance, labels, monkeypatch, capsys):
    import IPython.display

    ln = instance
    shown = []
    monkeypatch.setattr("lamindb_core.overview._shell", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    ln.view(limit=2)
    tables = {df.attrs["registry"]: df for df in shown}
    assert list(tables["core.ULabel"]["name"]) == ["Candidate marker study 1", "IFNG"]
    assert tables["core.ULabel"].attrs["limited"] == (2, 3, True)  # the notebook says "the first 2 of 3"
    assert "ULabel" in capsys.readouterr().out.splitlines()
