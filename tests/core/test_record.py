"""Records: uids, repr, constructor checks, saving, reuse of unique names, delete."""

from __future__ import annotations

import datetime as dt
import re

import pytest


@pytest.mark.parametrize(
    "registry, length",
    [("ULabel", 8), ("Feature", 12), ("Storage", 12), ("Artifact", 20), ("Transform", 16),
     ("Run", 20), ("FeatureSet", 20), ("Collection", 20), ("User", 8)],
)
def test_record_uid_has_the_registry_length(instance, registry, length):
    model = getattr(instance, registry)
    field = model._meta.get_field("uid")
    uid = field.get_default()
    assert len(uid) == length == field.max_length
    assert re.fullmatch(r"[0-9A-Za-z]+", uid)


def test_record_versioned_uid_ends_in_0000(instance):
    assert instance.Artifact._meta.get_field("uid").get_default().endswith("0000")
    assert instance.Transform._meta.get_field("uid").get_default().endswith("0000")


def test_record_repr_matches_the_spec(instance):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    label = ln.ULabel(name="Candidate marker study 1").save()
    text = repr(label)
    pattern = (
        r"ULabel\(uid='[0-9A-Za-z]{8}', name='Candidate marker study 1', is_concept=False, "
        r"created_by_id=\d+, run_id=\d+, space_id=1, created_at=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)"
    )
    assert re.fullmatch(pattern, text), text


def test_record_created_by_is_the_local_user(instance):
    ln = instance
    label = ln.ULabel(name="DMSO").save()
    assert label.created_by.handle == ln.setup.settings.user.handle
    assert label.space_id == 1


def test_record_unknown_field_names_the_closest(instance):
    with pytest.raises(instance.errors.FieldValidationError) as info:
        instance.Storage(rooot="/tmp/x")
    message = str(info.value)
    assert "Storage has no field 'rooot'" in message
    assert "Did you mean 'root'?" in message
    assert "description" in message  # the valid fields are listed


def test_ulabel_constructor_errors_are_lamindbs(instance):
    # LaminDB 1.0's messages, which its code and tests match exactly
    with pytest.raises(ValueError) as info:
        instance.ULabel(nme="DMSO")
    assert info.exconly() == "ValueError: Only name, description, reference, reference_type are valid keyword arguments"
    with pytest.raises(ValueError) as info:
        instance.ULabel(1)
    assert info.exconly() == "ValueError: Only one non-keyword arg allowed"
    with pytest.raises(ValueError) as info:
        instance.User("an arg")
    assert info.exconly() == "ValueError: please provide keyword arguments, not plain arguments"
    with pytest.raises(instance.errors.ValidationError, match="`uid` must be exactly 8 characters long, got 3"):
        instance.ULabel(name="x", uid="abc")


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"name": 12}, "ULabel.name expects str, got 12 (int)"),
        ({"name": "x", "is_concept": "yes"}, "ULabel.is_concept expects bool, got 'yes' (str)"),
        ({"name": "x" * 151}, "ULabel.name takes at most 150 characters, got 151"),
    ],
)
def test_record_wrong_type_names_the_field(instance, kwargs, expected):
    with pytest.raises(instance.errors.ValidationError) as info:
        instance.ULabel(**kwargs)
    assert str(info.value) == expected


def test_record_wrong_type_numbers_and_dates(instance):
    ln = instance
    with pytest.raises(ln.errors.ValidationError, match="Artifact.size expects int"):
        ln.Artifact(size=1.5)
    with pytest.raises(ln.errors.ValidationError, match="Artifact.size expects int"):
        ln.Artifact(size=True)
    transform = ln.Transform(key="t.py", type="script").save()
    with pytest.raises(ln.errors.ValidationError, match="Run.started_at expects datetime"):
        ln.Run(transform=transform, started_at="2024-01-01")
    import numpy as np

    ln.Artifact(size=np.int64(3))  # numpy integers are integers
    ln.Run(transform=transform, started_at=dt.datetime.now(dt.timezone.utc))


def test_record_wrong_related_type_names_the_field(instance, labels):
    with pytest.raises(instance.errors.ValidationError, match="Artifact.storage expects a Storage record"):
        instance.Artifact(storage=labels[0])


def test_record_many_to_many_in_constructor_explains_what_to_do(instance, labels):
    with pytest.raises(instance.errors.FieldValidationError, match=r"record.ulabels.add"):
        instance.Artifact(ulabels=labels)


def test_record_existing_unique_name_returns_existing_with_warning(instance, capsys):
    ln = instance
    first = ln.ULabel(name="DMSO", description="first").save()
    capsys.readouterr()
    second = ln.ULabel(name="DMSO").save()
    out = capsys.readouterr().out
    assert out.startswith("! returning the existing record")
    assert second.id == first.id and second.uid == first.uid
    assert second.description == "first"
    assert ln.ULabel.filter(name="DMSO").count() == 1


def test_record_feature_with_same_name_other_dtype_is_an_error(instance):
    ln = instance
    ln.Feature(name="temperature", dtype="float").save()
    assert ln.Feature(name="temperature", dtype="float").save().dtype == "float"
    with pytest.raises(ln.errors.ValidationError, match="exists with dtype 'float', not 'int'"):
        ln.Feature(name="temperature", dtype="int").save()
    assert ln.Feature.filter(name="temperature").count() == 1


def test_record_save_returns_the_record_and_updates(instance):
    ln = instance
    label = ln.ULabel(name="DMSO").save()
    label.description = "dimethyl sulfoxide"
    assert label.save() is label
    assert ln.ULabel.get(name="DMSO").description == "dimethyl sulfoxide"


def test_record_missing_required_value_is_a_clear_error(instance):
    # LaminDB 1.0: a label without a name cannot even be constructed
    with pytest.raises(TypeError, match=r"\['name'\] are required"):
        instance.ULabel()
    with pytest.raises(instance.errors.ValidationError, match="cannot save ULabel: name is required"):
        instance.ULabel(name="").save()
    assert instance.ULabel.filter().count() == 0


def test_record_delete(instance, labels):
    ln = instance
    labels[0].delete()
    assert ln.ULabel.filter(name="DMSO").count() == 0


def test_record_delete_of_a_linked_record_is_refused_and_loses_nothing(instance, labels):
    ln = instance
    storage = ln.Storage.filter().first()
    artifact = ln.Artifact(key="a.txt", suffix=".txt", storage=storage).save()
    artifact.ulabels.add(labels[0])
    with pytest.raises(ln.errors.ValidationError, match=r"1 ArtifactULabel record still link"):
        labels[0].delete()
    assert ln.ULabel.filter(name="DMSO").count() == 1
    assert artifact.ulabels.count() == 1


def test_record_parents_and_children(instance, labels):
    dmso, ifng, _ = labels
    concept = instance.ULabel(name="Treatment", is_concept=True).save()
    dmso.parents.add(concept)
    ifng.parents.add(concept)
    assert set(concept.children.values_list("name", flat=True)) == {"DMSO", "IFNG"}
    assert list(instance.ULabel.filter(parents=concept).order_by("name").values_list("name", flat=True)) == ["DMSO", "IFNG"]


def test_registry_repr_lists_fields(instance):
    text = repr(instance.ULabel)
    assert text.startswith("ULabel\n  Simple fields")
    assert ".name: CharField" in text
    assert ".parents: ULabel" in text


# -- text that no database stores (issue 10, item 20) ---------------------------------

BAD_TEXT = [
    ("a\ud800", "contains a lone surrogate ('\\ud800') at position 1, which cannot be encoded as UTF-8"),
    ("a\x00b", "contains a NUL character ('\\x00') at position 1, which PostgreSQL cannot store"),
    # beside other non-ASCII text (the check's path for text that is not ASCII)
    ("Zürich\udcff", "contains a lone surrogate ('\\udcff') at position 6, which cannot be encoded as UTF-8"),
]


@pytest.mark.parametrize("text, problem", BAD_TEXT)
def test_record_text_no_database_stores_is_refused_at_construction(instance, text, problem):
    ln = instance
    with pytest.raises(ln.errors.ValidationError) as info:
        ln.ULabel(name=text)
    assert str(info.value) == f"ULabel.name: {text!r} {problem}"
    with pytest.raises(ln.errors.ValidationError, match=r"^Feature\.description: "):
        ln.Feature(name="f", dtype="float", description=text)
    with pytest.raises(ln.errors.ValidationError, match=r"^ULabel\.aux: .* at \['note'\]: contains a"):
        ln.ULabel(name="fine", aux={"note": text})


@pytest.mark.parametrize("text, problem", BAD_TEXT)
def test_record_text_no_database_stores_is_refused_at_save(instance, labels, text, problem):
    ln = instance
    before = sorted(ln.ULabel.filter().values_list("name", "description"))
    # set after construction: save() refuses it
    label = ln.ULabel(name="fine")
    label.name = text
    with pytest.raises(ln.errors.ValidationError) as info:
        label.save()
    assert str(info.value) == f"cannot save ULabel: ULabel.name: {text!r} {problem}"
    assert label._state.adding
    # an update of a saved record
    dmso = labels[0]
    dmso.description = f"dimethyl {text}"
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save ULabel: ULabel\.description: 'dimethyl "):
        dmso.save()
    # ln.save: nothing of the call is written
    good, bad = ln.ULabel(name="good"), ln.ULabel(name="bad")
    bad.description = text
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save ULabel: ULabel\.description: "):
        ln.save([good, bad])
    assert good._state.adding and bad._state.adding
    # other registries and fields; JSON fields too
    feature = ln.Feature(name="f", dtype="float")
    feature.unit = text
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save Feature: Feature\.unit: "):
        ln.save([feature])
    other = ln.ULabel(name="other")
    other.aux = {"notes": ["fine", text]}
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save ULabel: ULabel\.aux: .* at \['notes'\]\[1\]: "):
        other.save()
    assert sorted(ln.ULabel.filter().values_list("name", "description")) == before
    assert not ln.Feature.filter(name="f").exists()


def test_record_artifact_key_no_database_stores_is_refused_and_no_file_is_kept(instance, tmp_path):
    ln = instance
    path = tmp_path / "a.txt"
    path.write_bytes(b"some content for item 20")
    artifact = ln.Artifact(path, key="a.txt")
    artifact.key = "a\x00.txt"
    from pathlib import Path

    root = Path(artifact.storage.root)
    stored_before = sorted(p.name for p in root.rglob("*") if p.is_file())
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save Artifact: Artifact\.key: 'a\\x00\.txt' contains a NUL"):
        artifact.save()
    with pytest.raises(ln.errors.ValidationError, match=r"^cannot save Artifact: Artifact\.key: "):
        ln.save([artifact, ln.Artifact(path, key="b.txt")])
    assert ln.Artifact.filter(hash=artifact.hash).count() == 0
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == stored_before
