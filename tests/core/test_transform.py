"""Transform and Run constructors as in LaminDB 1.0: name as key, versions, LaminDB's errors."""

from __future__ import annotations

import pytest


def test_transform_name_is_taken_as_key_with_a_future_warning(instance):
    ln = instance
    with pytest.warns(FutureWarning, match="please pass 'My transform' to `key` instead"):
        transform = ln.Transform(name="My transform")
    assert transform.key == "My transform" and transform.description is None
    assert transform.type == "pipeline"
    with pytest.warns(FutureWarning, match="to `description` instead"):
        transform = ln.Transform(name="Dummy title", key="dir/script.py", type="script")
    assert (transform.key, transform.description) == ("dir/script.py", "Dummy title")


def test_transform_uid_lengths_and_stem(instance):
    ln = instance
    transform = ln.Transform(key="t.py", version="1")
    assert len(transform.uid) == ln.Transform._len_full_uid == 16
    assert len(transform.stem_uid) == ln.Transform._len_stem_uid == 12
    assert transform.uid.endswith("0000") and transform.version == "1"
    with pytest.raises(ln.errors.ValidationError, match="`uid` must be exactly 16 characters long, got 6"):
        ln.Transform(uid="ujPaFZ", key="x")


def test_transform_constructor_errors_are_lamindbs(instance):
    ln = instance
    with pytest.raises(ValueError) as info:
        ln.Transform(key="x", version=0)
    assert info.exconly() == (
        "ValueError: `version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc."
    )
    with pytest.raises(ValueError) as info:
        ln.Transform(x=1)
    assert info.exconly() == (
        "ValueError: Only key, description, version, type, revises, reference, reference_type can be passed, "
        "but you passed: {'x': 1}"
    )
    with pytest.raises(TypeError, match="`revises` has to be of type `Transform`"):
        ln.Transform(revises=ln.ULabel(name="x"))
    with pytest.raises(ln.errors.FieldValidationError, match="type: 'invalid' is not a valid value"):
        ln.Transform(key="x", type="invalid")
    with pytest.raises(ValueError, match="please provide keyword arguments"):
        ln.Transform("x")


def test_transform_revises_makes_the_next_version_and_moves_is_latest(instance):
    ln = instance
    v1 = ln.Transform(key="train.py", type="script", version="1", description="Training").save()
    v2 = ln.Transform(revises=v1, version="2")
    assert v2.uid == v1.stem_uid + "0001"
    assert (v2.key, v2.description, v2.version) == ("train.py", "Training", "2")
    assert v1.is_latest and v2.is_latest  # nothing saved yet
    v2.save()
    assert not v1.is_latest
    assert not ln.Transform.get(v1.uid).is_latest
    assert ln.Transform.get(v2.uid).is_latest
    assert [t.uid for t in v2.versions] == [v1.uid, v2.uid]
    # an older version in revises: the latest is used
    v3 = ln.Transform(revises=v1)
    assert v3.uid == v1.stem_uid + "0002"
    with pytest.raises(ValueError, match="Please increment the previous version: '2'"):
        ln.Transform(revises=v2, version="2")
    with pytest.raises(ln.errors.InconsistentKey, match="`key` is 'other.py', but `revises.key` is 'train.py'"):
        ln.Transform(revises=v2, key="other.py")


def test_transform_of_an_existing_uid_or_key_is_the_existing_record(instance):
    ln = instance
    transform = ln.Transform(key="analysis.ipynb", type="notebook", version="1").save()
    again = ln.Transform(uid=transform.uid, description="An analysis")
    assert again.id == transform.id and not again._state.adding
    assert again.description == "An analysis" and again.key == "analysis.ipynb"
    # no source saved yet: the same key is the same transform
    same = ln.Transform(key="analysis.ipynb", type="notebook")
    assert same.id == transform.id
    assert ln.Transform.filter(key="analysis.ipynb").count() == 1
    # with saved source, the same key is a new version
    transform.source_code = "print(1)"
    transform.save()
    new = ln.Transform(key="analysis.ipynb", type="notebook", version="2")
    assert new._state.adding and new.uid == transform.stem_uid + "0001"
    new.save()
    # the same key and version: the existing record
    assert ln.Transform(key="analysis.ipynb", type="notebook", version="2").id == new.id


def test_transform_latest_run(instance):
    ln = instance
    transform = ln.Transform(key="p", type="pipeline").save()
    assert transform.latest_run is None
    ln.Run(transform).save()
    second = ln.Run(transform=transform).save()
    assert transform.latest_run == second


def test_run_constructor_errors_are_lamindbs(instance):
    ln = instance
    with pytest.raises(ValueError) as info:
        ln.Run(1, 2)
    assert info.exconly() == "ValueError: Only one non-keyword arg allowed: transform"
    with pytest.raises(TypeError) as info:
        ln.Run()
    assert info.exconly() == "TypeError: Pass transform parameter"
    transform = ln.Transform(key="unsaved")
    with pytest.raises(ValueError) as info:
        ln.Run(transform)
    assert info.exconly() == "ValueError: Please save transform record before creating a run"
    transform.save()
    run = ln.Run(transform, reference="test1", reference_type="test2")
    assert (run.reference, run.reference_type, run.transform) == ("test1", "test2", transform)
    with pytest.raises(ln.errors.ValidationError, match="`uid` must be exactly 20 characters long"):
        ln.Run(transform=transform, uid="short")


def test_transform_predecessors_and_successors(instance):
    ln = instance
    parent1 = ln.Transform(key="parent 1").save()
    parent2 = ln.Transform(key="parent 2").save()
    child = ln.Transform(key="Child").save()
    child.predecessors.set([parent1, parent2])
    assert set(child.predecessors.all()) == {parent1, parent2}
    assert list(parent1.successors.all()) == [child]
