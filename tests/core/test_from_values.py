"""``from_values``, ``validate`` and ``inspect``: existing records, new ones, synonyms, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def medium(instance):
    """A feature with synonyms, and one without."""
    ln = instance
    records = [
        ln.Feature(name="cell_medium", dtype="str", synonyms="culture medium|medium"),
        ln.Feature(name="temperature", dtype="float"),
    ]
    ln.save(records)
    return records


# ---------------------------------------------------------------------------
# from_values
# ---------------------------------------------------------------------------


def test_from_values_create_and_save_as_in_the_guide(instance, capsys):
    ln = instance
    records = ln.ULabel.from_values(["DMSO", "IFNG"], create=True)
    assert capsys.readouterr().out == "✓ ULabel.from_values: 0 found by name, 2 created (not yet saved): 'DMSO', 'IFNG'\n"
    assert [r._state.adding for r in records] == [True, True]
    assert records.save() is records
    assert sorted(ln.ULabel.filter().values_list("name", flat=True)) == ["DMSO", "IFNG"]


def test_from_values_existing_records_first(instance, labels, capsys):
    ln = instance
    records = ln.ULabel.from_values(["IFNG", "Candidate marker study 2", "DMSO"], create=True)
    out = capsys.readouterr().out
    assert out == (
        "✓ ULabel.from_values: 2 found by name, 1 created (not yet saved): 'Candidate marker study 2'\n"
    )
    assert [r.name for r in records] == ["IFNG", "Candidate marker study 2", "DMSO"]
    assert records[0].pk == labels[1].pk and records[2].pk == labels[0].pk
    assert records[1]._state.adding


def test_from_values_without_create_says_what_is_missing(instance, labels, capsys):
    records = instance.ULabel.from_values(["DMSO", "nope", "other"])
    assert [r.name for r in records] == ["DMSO"]
    assert capsys.readouterr().out == (
        "! ULabel.from_values: 1 found by name; 2 values without a record: 'nope', 'other' "
        "(pass create=True to create them)\n"
    )


def test_from_values_one_query_per_chunk_of_500(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"label {i}") for i in range(700)])
    values = [f"label {i}" for i in range(1200)]
    with CaptureQueriesContext(connection) as queries:
        records = ln.ULabel.from_values(values, create=True, mute=True)
    assert len(queries) == 3
    assert len(records) == 1200
    assert sum(r._state.adding for r in records) == 500


def test_from_values_takes_series_and_field_attribute(instance, labels):
    ln = instance
    records = ln.ULabel.from_values(pd.Series(["DMSO", "DMSO", None, "IFNG"]), field=ln.ULabel.name, mute=True)
    assert [r.name for r in records] == ["DMSO", "IFNG"]
    by_uid = ln.ULabel.from_values([labels[2].uid], field="uid", mute=True)
    assert [r.name for r in by_uid] == ["Candidate marker study 1"]


def test_from_values_synonyms_and_case_give_the_existing_record(instance, medium, capsys):
    ln = instance
    records = ln.Feature.from_values(["culture medium", "Temperature", "pressure"])
    out = capsys.readouterr().out
    assert "2 by synonym or case ('culture medium' → 'cell_medium', 'Temperature' → 'temperature')" in out
    assert [r.name for r in records] == ["cell_medium", "temperature"]
    assert [r._state.adding for r in records] == [False, False]
    # a feature needs a dtype: none is created from a name alone (LaminDB's constructor error)
    with pytest.raises(ValueError, match="Please pass dtype"):
        ln.Feature.from_values(["culture medium", "pressure"], create=True)


def test_from_values_two_synonyms_of_one_record_give_it_once(instance, medium):
    records = instance.Feature.from_values(["medium", "culture medium"], mute=True)
    assert [r.name for r in records] == ["cell_medium"]


def test_from_values_field_does_not_exist(instance):
    with pytest.raises(instance.errors.FieldValidationError) as info:
        instance.ULabel.from_values(["DMSO"], field="nme")
    message = str(info.value)
    assert message.startswith("ULabel has no field 'nme'. Did you mean 'name'? Valid fields: ")
    assert "description" in message and "uid" in message


def test_from_values_field_of_another_registry(instance):
    with pytest.raises(instance.errors.FieldValidationError, match="Feature.name is not a field of ULabel"):
        instance.ULabel.from_values(["DMSO"], field=instance.Feature.name)


def test_from_values_saved_records_are_searchable(instance):
    ln = instance
    ln.ULabel.from_values(["Candidate marker study 1", "Candidate marker study 2"], create=True, mute=True).save()
    assert [r.name for r in ln.ULabel.search("candidate study")] == [
        "Candidate marker study 1", "Candidate marker study 2"
    ]


# ---------------------------------------------------------------------------
# validate, inspect
# ---------------------------------------------------------------------------


def test_validate_returns_a_boolean_array(instance, labels, capsys):
    result = instance.ULabel.validate(["DMSO", "nope", "IFNG", "DMSO"])
    assert isinstance(result, np.ndarray) and result.dtype == bool
    assert result.tolist() == [True, False, True, True]
    assert capsys.readouterr().out == "! 1 of 3 unique values is not validated against ULabel.name: 'nope'\n"


def test_validate_is_case_sensitive_and_takes_a_field(instance, labels):
    ln = instance
    assert ln.ULabel.validate(["dmso"], mute=True).tolist() == [False]
    assert ln.ULabel.validate([labels[0].uid, "zzzzzzzz"], field="uid", mute=True).tolist() == [True, False]


def test_inspect_validated_synonyms_and_close_matches(instance, medium, capsys):
    result = instance.Feature.inspect(["cell_medium", "medium", "Temperature", "temperatur", "pressure"])
    assert result.validated == ["cell_medium"]
    assert result.non_validated == ["medium", "Temperature", "temperatur", "pressure"]
    assert result.synonyms_mapper == {"medium": "cell_medium", "Temperature": "temperature"}
    assert result.close_matches == {"temperatur": ["temperature"]}
    assert result.frac_validated == 0.2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "! 4 of 5 unique values are not validated against Feature.name: "
        "'medium', 'Temperature', 'temperatur', 'pressure'"
    )
    assert out[1] == (
        "→ 2 name a record by synonym or case: 'medium' → 'cell_medium', "
        "'Temperature' → 'temperature' (see .synonyms_mapper)"
    )
    assert out[2] == "→ close matches: 'temperatur': 'temperature' (see .close_matches)"


def test_inspect_all_validated(instance, labels, capsys):
    result = instance.ULabel.inspect(["DMSO", "IFNG"])
    assert result.non_validated == [] and result.frac_validated == 1.0
    assert capsys.readouterr().out == "✓ all 2 unique values are validated against ULabel.name\n"


def test_inspect_unknown_field(instance):
    with pytest.raises(instance.errors.FieldValidationError, match="ULabel has no field 'nam'"):
        instance.ULabel.inspect(["DMSO"], field="nam")
