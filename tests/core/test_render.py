"""How a record reads (``lamindb_core.render``): the same fields and values in repr, HTML,
the widget and the REST API."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from lamindb_core.browsing import describe_record, record_detail
from lamindb_core.render import (
    record_items,
    record_label,
    record_repr,
    shown_fields,
    value_json,
    value_repr,
    value_text,
)
from lamindb_core.valueset import ValueSet

MOMENT = dt.datetime(2025, 1, 12, 14, 5, 49, 123456, tzinfo=dt.timezone.utc)


def test_shown_fields_are_own_fields_then_foreign_keys_then_created_at(instance):
    assert [f.attname for f in shown_fields(instance.ULabel)] == [
        "uid", "name", "is_concept", "description", "reference", "reference_type",
        "created_by_id", "run_id", "space_id", "created_at",
    ]
    assert [f.attname for f in shown_fields(instance.ULabel, relations=False)] == [
        "uid", "name", "is_concept", "description", "reference", "reference_type", "created_at",
    ]
    # versions come after the own fields, as in df(); never updated_at, aux or private fields
    artifact = [f.attname for f in shown_fields(instance.Artifact)]
    assert artifact.index("version") < artifact.index("is_latest") < artifact.index("created_by_id")
    assert not {"id", "updated_at", "aux", "_branch_code", "_key_is_virtual"} & set(artifact)


def test_record_items_leave_out_none_and_what_was_not_loaded(instance, labels):
    dmso = labels[0]
    names = [name for name, _ in record_items(dmso)]
    assert "description" not in names and names[:3] == ["uid", "name", "is_concept"]
    assert ("description", None) in record_items(dmso, missing=True)
    partial = instance.ULabel.objects.only("uid", "name").get(pk=dmso.pk)
    assert [name for name, _ in record_items(partial)] == ["uid", "name"]


def test_record_repr_is_the_repr_of_a_record(instance, labels):
    dmso = labels[0]
    assert repr(dmso) == record_repr(dmso)
    assert record_repr(dmso).startswith(f"ULabel(uid='{dmso.uid}', name='DMSO', is_concept=False, created_by_id=")
    assert record_repr(dmso).endswith(" UTC)")


def test_record_label_is_the_name_field_or_the_registry_and_id(instance, labels):
    assert record_label(labels[0]) == "DMSO"
    feature = instance.Feature(name="temperature", dtype="float").save()
    value = instance.FeatureValue(value=21.6, feature=feature).save()
    assert record_label(value) == f"FeatureValue {value.pk}"


@pytest.mark.parametrize(
    ("value", "text", "json", "written"),
    [
        (None, "", None, "None"),
        (float("nan"), "", None, "nan"),
        (False, "False", False, "False"),
        (21.5, "21.5", 21.5, "21.5"),
        ("DMSO", "DMSO", "DMSO", "'DMSO'"),
        (MOMENT, "2025-01-12 14:05:49 UTC", "2025-01-12T14:05:49.123456+00:00", "2025-01-12 14:05:49 UTC"),
        (dt.date(2024, 5, 1), "2024-05-01", "2024-05-01", "2024-05-01"),
        (decimal.Decimal("1.5"), "1.5", 1.5, "1.5"),
        (ValueSet(("IFNG", "DMSO", None)), "DMSO, IFNG", ["DMSO", "IFNG"], None),
        ({10, 9}, "9, 10", [9, 10], None),
        ({"b": 1, "a": [1, 2]}, '{"a": [1, 2], "b": 1}', {"b": 1, "a": [1, 2]}, None),
    ],
)
def test_a_value_reads_the_same_in_every_face(value, text, json, written):
    assert value_text(value) == text
    assert value_json(value) == json
    if written is not None:
        assert value_repr(value) == written


def test_numpy_and_pandas_values_read_as_plain_values():
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert value_json(np.int64(3)) == 3 and value_json(np.float64("nan")) is None
    assert value_text(pd.NaT) == "" and value_json(pd.NaT) is None
    assert value_text(pd.Timestamp(MOMENT)) == "2025-01-12 14:05:49 UTC"


def test_details_and_describe_show_the_shown_fields(instance, labels):
    dmso, ifng, _ = labels
    dmso.parents.add(ifng)
    detail = record_detail(dmso)
    assert [f["name"] for f in detail["fields"]] == [f.attname for f in shown_fields(instance.ULabel, relations=False)]
    assert detail["label"] == "DMSO"
    text = describe_record(dmso)
    assert text.startswith("ULabel DMSO\n")
    assert f".uid = '{dmso.uid}'" in text and ".is_concept = False" in text
    assert ".created_at = " in text and text.split(".created_at = ")[1].split("\n")[0].endswith(" UTC")
    assert ".parents  ULabel  IFNG" in text
