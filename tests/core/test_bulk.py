"""ln.save: bulk, one transaction, all or nothing, no duplicates."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_save_many_in_few_statements(instance):
    ln = instance
    records = [ln.ULabel(name=f"label {i}") for i in range(1200)]
    with CaptureQueriesContext(connection) as queries:
        assert ln.save(records) is None
    assert all(r.id is not None and not r._state.adding for r in records)
    assert ln.ULabel.filter(name__startswith="label ").count() == 1200
    inserts = [q for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    # many rows per statement (all 1,200 fit one), never one per record
    assert 1 <= len(inserts) <= 20


def test_save_failing_part_way_leaves_the_database_as_it_was(instance):
    ln = instance
    ln.ULabel(name="kept").save()
    storage = ln.Storage.filter().first()
    good = [ln.ULabel(name=f"new {i}") for i in range(10)]
    bad = ln.ULabel(name="")  # an empty name: cannot be saved
    ok_artifact = ln.Artifact(key="y.txt", suffix=".txt", storage=storage)
    with pytest.raises(ln.errors.ValidationError, match="cannot save ULabel: name is required"):
        ln.save([*good, ok_artifact, bad])
    assert ln.ULabel.filter(name__startswith="new ").count() == 0
    assert ln.Artifact.filter().count() == 0
    assert list(ln.ULabel.filter().values_list("name", flat=True)) == ["kept"]
    # the records look unsaved, so fixing the bad one and saving again works
    assert all(r._state.adding and r.id is None for r in good)
    bad.name = "fixed"
    ln.save([*good, ok_artifact, bad])
    assert ln.ULabel.filter(name__startswith="new ").count() == 10
    assert ln.Artifact.filter().count() == 1 and bad.id is not None


def test_save_turns_the_garbage_collector_back_on_whether_it_saves_or_fails(instance):
    # ln.save pauses the cyclic collector for its rows and ids
    ln = instance
    assert gc.isenabled()
    ln.save([ln.ULabel(name=f"collected {i}") for i in range(3)])
    assert gc.isenabled()
    with pytest.raises(ln.errors.ValidationError):
        ln.save([ln.ULabel(name="collected 9"), ln.ULabel(name="")])
    assert gc.isenabled()
    assert ln.ULabel.filter(name__startswith="collected ").count() == 3
    # a process that turned it off keeps it off
    gc.disable()
    try:
        ln.save([ln.ULabel(name="collected 10")])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_save_fills_an_artifacts_default_storage_as_save_does(instance):
    # a bare artifact (no data) gets the instance's storage in ln.save() as in .save()
    ln = instance
    artifacts = [ln.Artifact(key=f"bare/{i}.txt", suffix=".txt") for i in range(3)]
    ln.save(artifacts)
    root = str(Path(ln.setup.settings.storage).resolve())
    assert [a.storage.root for a in artifacts] == [root] * 3
    assert ln.Artifact.filter(key__startswith="bare/").count() == 3


def test_save_database_error_part_way_rolls_back(instance):
    ln = instance
    storage = ln.Storage.filter().first()
    ln.Artifact(key="a", suffix=".txt", storage=storage, hash="samehash").save()
    labels = [ln.ULabel(name=f"x {i}") for i in range(5)]
    # same hash as the saved artifact: reusing it is fine, but two new ones with
    # one hash and different uids also resolve to the existing record
    twin = ln.Artifact(key="b", suffix=".txt", storage=storage, hash="samehash")
    ln.save([*labels, twin])
    assert twin.key == "a"
    assert ln.Artifact.filter().count() == 1


def test_save_reuses_existing_unique_names_with_one_warning(instance, capsys):
    ln = instance
    ln.save([ln.ULabel(name="DMSO"), ln.ULabel(name="IFNG")])
    capsys.readouterr()
    records = [ln.ULabel(name="DMSO"), ln.ULabel(name="IFNG"), ln.ULabel(name="new one")]
    ln.save(records)
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["! returning 2 existing ULabel record(s) with the same unique value: 'DMSO', 'IFNG'"]
    assert ln.ULabel.filter().count() == 3
    assert records[0].id == ln.ULabel.get(name="DMSO").id


def test_save_same_name_twice_in_one_call_saves_one(instance):
    ln = instance
    a, b = ln.ULabel(name="twin"), ln.ULabel(name="twin")
    ln.save([a, b])
    assert ln.ULabel.filter(name="twin").count() == 1
    assert a.id == b.id


def test_save_feature_reuse_with_other_dtype_fails_and_saves_nothing(instance):
    ln = instance
    ln.Feature(name="temperature", dtype="float").save()
    with pytest.raises(ln.errors.ValidationError, match="exists with dtype 'float', not 'str'"):
        ln.save([ln.ULabel(name="label"), ln.Feature(name="temperature", dtype="str")])
    assert ln.ULabel.filter(name="label").count() == 0


def test_save_orders_registries_by_foreign_keys(instance):
    ln = instance
    transform = ln.Transform(key="pipeline.py", type="script").save()
    run = ln.Run(transform=transform)  # LaminDB 1.0: a run needs a saved transform
    label = ln.ULabel(name="made in the run", run=run)
    ln.save([label, run])
    assert label.run_id == run.id is not None


def test_save_updates_changed_records(instance, labels):
    ln = instance
    labels[0].description = "changed"
    ln.save([labels[0], ln.ULabel(name="fresh")])
    assert ln.ULabel.get(name="DMSO").description == "changed"


def test_save_rejects_what_is_not_a_record(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="ln.save\\(\\) takes records, got 'DMSO'"):
        instance.save(["DMSO"])


def test_insert_link_rows_fills_defaults_like_bulk_create(instance):
    from django.db import IntegrityError, transaction

    from lamindb_core.bulk import insert_link_rows
    from lamindb_core.models.ulabel import ArtifactULabel

    ln = instance
    storage = ln.Storage.filter().first()
    artifacts = [ln.Artifact(key=f"links/{i}.txt", suffix=".txt", storage=storage).save() for i in range(3)]
    labels = [ln.ULabel(name=f"link label {i}") for i in range(2)]
    ln.save(labels)
    feature = ln.Feature(name="link_feature", dtype="cat[ULabel]").save()
    columns = ("artifact_id", "ulabel_id", "feature_id")
    insert_link_rows(ArtifactULabel, columns, [(a.id, labels[0].id, feature.id) for a in artifacts])
    expected = ln.ULabel.filter(name="link label 0").one()
    links = ArtifactULabel.objects.filter(ulabel=expected).order_by("artifact_id")
    assert [link.artifact_id for link in links] == [a.id for a in artifacts]
    user = ln.User.get(handle=ln.setup.settings.user.handle)
    assert all(link.created_by_id == user.id and link.created_at is not None and link.feature == feature
               for link in links)
    assert len({link.created_at for link in links}) == 1  # one timestamp for the call
    # a link that exists: refused, unless it is to be skipped
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_link_rows(ArtifactULabel, columns, [(artifacts[0].id, labels[0].id, feature.id)])
    insert_link_rows(
        ArtifactULabel, columns, [(artifacts[0].id, labels[0].id, feature.id), (artifacts[0].id, labels[1].id, feature.id)],
        skip_existing=True,
    )
    assert ArtifactULabel.objects.filter(artifact=artifacts[0]).count() == 2
    with pytest.raises(ln.errors.InvalidArgument, match="ArtifactULabel has no column label_id"):
        insert_link_rows(ArtifactULabel, ("artifact_id", "label_id"), [(1, 2)])


# -- clear errors for bad input (issue 10, item 22) ---------------------------------


def test_save_of_none_or_a_non_record_is_a_clear_error(instance):
    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match=r"ln.save\(\) takes a record or a list of records, got None"):
        ln.save(None)
    with pytest.raises(ln.errors.InvalidArgument, match=r"got 'DMSO' \(str\)"):
        ln.save("DMSO")
    with pytest.raises(ln.errors.InvalidArgument, match=r"got 5 \(int\)"):
        ln.save(5)
    with pytest.raises(ln.errors.InvalidArgument, match=r"got None \(NoneType\)"):
        ln.save([ln.ULabel(name="a"), None])
    assert not ln.ULabel.filter(name="a").exists()


def test_save_with_a_dangling_foreign_key_names_the_field_and_the_id(instance):
    ln = instance
    good = ln.ULabel(name="fine")
    bad = ln.ULabel(name="orphan", created_by_id=999999)
    with pytest.raises(
        ln.errors.ValidationError, match=r"ULabel\.created_by_id=999999: no User record has id 999999"
    ) as info:
        ln.save([good, bad])
    assert "orphan" in str(info.value)
    assert not ln.ULabel.filter(name__in=["fine", "orphan"]).exists()
    assert good._state.adding and bad._state.adding
    bad.created_by_id = good.created_by_id
    ln.save([good, bad])
    assert ln.ULabel.filter(name__in=["fine", "orphan"]).count() == 2


def test_save_with_a_dangling_foreign_key_on_a_saved_record_changes_nothing(instance):
    ln = instance
    label = ln.ULabel(name="kept").save()
    label.run_id = 424242
    with pytest.raises(ln.errors.ValidationError, match=r"ULabel\.run_id=424242: no Run record has id 424242"):
        ln.save([label])
    assert ln.ULabel.get(name="kept").run_id is None


def test_save_many_ids_belong_to_their_records(instance):
    ln = instance
    # the same ids with and without Django seeing the statements (its cursor on SQLite, or the
    # driver's own when no query is logged)
    first = [ln.ULabel(name=f"id check a {i}") for i in range(700)]
    ln.save(first)
    second = [ln.ULabel(name=f"id check b {i}") for i in range(700)]
    with CaptureQueriesContext(connection):
        ln.save(second)
    stored = dict(ln.ULabel.filter(name__startswith="id check ").values_list("id", "uid"))
    assert len(stored) == 1400
    assert all(stored[r.id] == r.uid for r in first + second)
    assert ln.ULabel.get(first[123].id).name == "id check a 123"


def test_save_many_writes_each_records_values_whether_shared_or_not(instance):
    ln = instance
    # columns of one value for all (the defaults, the moment of the call) go into the statement
    # once: a value that only some records differ in must still reach the right row
    records = [ln.ULabel(name=f"shared {i}", description="same text") for i in range(5)]
    records[3].description = None
    records[4].is_concept = True
    records[2].reference = "only here"
    ln.save(records)
    rows = {uid: rest for uid, *rest in ln.ULabel.filter(name__startswith="shared ").values_list(
        "uid", "description", "is_concept", "reference", "created_at", "_branch_code", "space_id")}
    assert [tuple(rows[r.uid][:3]) for r in records] == [
        ("same text", False, None), ("same text", False, None), ("same text", False, "only here"),
        (None, False, None), ("same text", True, None),
    ]
    assert len({row[3] for row in rows.values()}) == 1  # one moment for the call
    assert {row[3] for row in rows.values()} == {r.created_at for r in records}
    assert {tuple(row[4:]) for row in rows.values()} == {(1, 1)}
    assert all(ln.ULabel.get(r.id).uid == r.uid for r in records)


def test_save_many_equal_values_of_other_types_are_written_as_the_fields_prepare_them(instance):
    ln = instance
    # 1, True and 1.0 are equal in Python: the column's value is the field's (an int, a bool)
    records = [ln.ULabel(name=f"typed {i}", _branch_code=1, is_concept=True) for i in range(3)]
    records[1]._branch_code = True
    records[2]._branch_code = 1.0
    records[1].is_concept = 1
    ln.save(records)
    stored = list(ln.ULabel.filter(name__startswith="typed ").values_list("_branch_code", "is_concept"))
    assert stored == [(1, True)] * 3
    assert all(type(code) is int and type(flag) is bool for code, flag in stored)


def test_save_of_records_holding_an_unsaved_related_record_is_refused_as_save_refuses_it(instance):
    # records that each hold their own record of one saved run (equal, not the same object), and
    # one that holds an unsaved run: Django's own error, nothing saved
    ln = instance
    transform = ln.Transform(key="related.py", type="script").save()
    run = ln.Run(transform=transform).save()
    labels = [ln.ULabel(name=f"related {i}", run=ln.Run.get(id=run.id)) for i in range(3)]
    unsaved = ln.ULabel(name="related unsaved", run=ln.Run(transform=transform))
    with pytest.raises(ValueError, match="unsaved related object 'run'"):
        ln.save([*labels, unsaved])
    assert not ln.ULabel.filter(name__startswith="related ").exists()
    ln.save(labels)
    assert list(ln.ULabel.filter(name__startswith="related ").values_list("run_id", flat=True)) == [run.id] * 3


def test_save_of_a_record_whose_related_record_was_saved_after_it_was_assigned_takes_its_id(instance):
    # Django's check sets the id of a related record saved after the assignment, and forgets a
    # cached record whose id was changed since
    ln = instance
    transform = ln.Transform(key="later.py", type="script").save()
    run = ln.Run(transform=transform)
    labels = [ln.ULabel(name=f"later {i}", run=run) for i in range(3)]
    run.save()
    other = ln.Run(transform=transform).save()
    changed = ln.ULabel(name="later changed", run=run)
    changed.run_id = other.id
    ln.save([*labels, changed])
    assert [label.run_id for label in labels] == [run.id] * 3
    assert ln.ULabel.get(name="later changed").run_id == other.id
