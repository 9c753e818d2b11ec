"""The query API: filter, Q, get by id/uid/stub, one, one_or_none, errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist


@pytest.fixture
def artifacts(instance, labels):
    """The guide's five artifacts; the two .h5ad ones carry labels."""
    ln = instance
    storage = ln.Storage.filter().first()
    dmso, ifng, study1 = labels
    study2 = ln.ULabel(name="Candidate marker study 2").save()
    rows = [
        ("images/my_image.jpg", ".jpg", 29358),
        ("raw/my_fastq.fastq", ".fastq.gz", 20),
        ("iris/iris_collection.parquet", ".parquet", 5088),
        ("example_datasets/dataset1.h5ad", ".h5ad", 25088),
        ("example_datasets/dataset2.h5ad", ".h5ad", 22384),
    ]
    result = [ln.Artifact(key=k, suffix=s, size=n, storage=storage) for k, s, n in rows]
    ln.save(result)
    result[3].ulabels.add(dmso, ifng, study1)
    result[4].ulabels.add(dmso, ifng, study2)
    return result


def keys(qs):
    return sorted(qs.values_list("key", flat=True))


def test_filter_and(instance, artifacts, labels):
    study1 = labels[2]
    assert keys(instance.Artifact.filter(suffix=".h5ad", ulabels=study1)) == ["example_datasets/dataset1.h5ad"]


def test_filter_greater_than(instance, artifacts, labels):
    assert keys(instance.Artifact.filter(ulabels=labels[2], size__gt=1e4)) == ["example_datasets/dataset1.h5ad"]
    assert len(instance.Artifact.filter(size__gt=1e4)) == 3


def test_filter_in(instance, artifacts):
    df = instance.Artifact.filter(suffix__in=[".jpg", ".fastq.gz"]).df()
    assert list(df["key"]) == ["images/my_image.jpg", "raw/my_fastq.fastq"]


def test_filter_q_or_and_not(instance, artifacts):
    ln = instance
    either = ln.Artifact.filter(ln.Q(suffix=".jpg") | ln.Q(suffix=".fastq.gz"))
    assert keys(either) == ["images/my_image.jpg", "raw/my_fastq.fastq"]
    assert len(ln.Artifact.filter(~ln.Q(suffix=".jpg"))) == 4
    both = ln.Artifact.filter(ln.Q(suffix=".h5ad") & ln.Q(size__lt=25000))
    assert keys(both) == ["example_datasets/dataset2.h5ad"]


def test_filter_relations_in_both_directions(instance, artifacts, labels):
    ln = instance
    dmso = labels[0]
    assert len(ln.Artifact.filter(ulabels=dmso)) == 2
    assert len(ln.Artifact.filter(ulabels__name="IFNG")) == 2
    assert sorted(ln.ULabel.filter(artifacts__suffix=".h5ad").distinct().values_list("name", flat=True)) == [
        "Candidate marker study 1", "Candidate marker study 2", "DMSO", "IFNG",
    ]
    user_name = ln.setup.settings.user.name
    assert len(ln.Artifact.filter(created_by__name=user_name)) == 5


def test_filter_chains_and_lookups(instance, artifacts):
    ln = instance
    qs = ln.Artifact.filter(suffix=".h5ad").filter(key__contains="dataset2")
    assert keys(qs) == ["example_datasets/dataset2.h5ad"]
    assert len(ln.Artifact.filter(key__icontains="DATASET")) == 2
    assert len(ln.Artifact.filter(key__startswith="example")) == 2
    assert len(ln.Artifact.filter(key__regex=r"\.h5ad$")) == 2


def test_filter_order_by(instance, artifacts):
    ln = instance
    df = ln.Artifact.filter().order_by("-key").df()
    assert list(df["key"])[:2] == ["raw/my_fastq.fastq", "iris/iris_collection.parquet"]


def test_filter_unknown_field_names_the_closest(instance):
    ln = instance
    with pytest.raises(ln.errors.FieldValidationError) as info:
        ln.ULabel.filter(nme="DMSO")
    assert "ULabel has no field 'nme'" in str(info.value)
    assert "Did you mean 'name'?" in str(info.value)
    with pytest.raises(ln.errors.FieldValidationError, match="Did you mean 'name'"):
        ln.Artifact.filter(created_by__nam="x")
    with pytest.raises(ln.errors.FieldValidationError, match="'startwith' is no lookup of ULabel.name. Did you mean 'startswith'"):
        ln.ULabel.filter(name__startwith="D")
    with pytest.raises(ln.errors.FieldValidationError, match="Did you mean 'name'"):
        ln.ULabel.filter().order_by("nam")


def valid_fields(message: str) -> list[str]:
    """The fields an unknown-field message lists, in its order."""
    assert message.count("Valid fields: ") == 1, message
    return message.split("Valid fields: ")[1].rstrip(".").split(", ")


def test_filter_unknown_field_is_one_clean_message_of_public_fields(instance):
    ln = instance
    with pytest.raises(ln.errors.FieldValidationError) as info:
        ln.ULabel.filter(nme="x")
    message = str(info.value)
    assert message.startswith("ULabel has no field 'nme'. Did you mean 'name'? Valid fields: ")
    fields = valid_fields(message)
    # public fields, sorted; no private ones (_branch_code) first, no stray "(in 'nme')" last
    assert fields == sorted(fields) and fields[0] == "artifacts"
    assert not [f for f in fields if f.startswith("_")]
    assert {"name", "uid", "is_concept", "created_by"} <= set(fields)
    assert message.endswith("updated_at.") and "(in " not in message
    # further down a path: the path first, then the registry that lacks the field
    with pytest.raises(ln.errors.FieldValidationError) as info:
        ln.ULabel.filter(created_by__nam="x")
    assert str(info.value).startswith("'created_by__nam': User has no field 'nam'. Did you mean 'name'? Valid fields: ")
    with pytest.raises(ln.errors.FieldValidationError) as info:
        ln.ULabel.filter(name__startwith="x")
    assert str(info.value) == "'startwith' is no lookup of ULabel.name. Did you mean 'startswith'?"
    # df(include=...) and a constructor (Storage(...); ULabel's message is LaminDB's) read the same
    for call in (lambda: ln.Artifact.df(include="ulabel__name"), lambda: ln.Storage(rooot="x")):
        with pytest.raises(ln.errors.FieldValidationError) as info:
            call()
        assert not [f for f in valid_fields(str(info.value)) if f.startswith("_")]
        assert "(in " not in str(info.value)
    # a near miss of a private field is still offered
    with pytest.raises(ln.errors.FieldValidationError, match="Did you mean '_branch_code'"):
        ln.ULabel.filter(_branch_cod=1)


def test_filter_transform_name_means_key(instance):
    ln = instance
    ln.Transform(key="registries.ipynb", description="Query & search registries", type="notebook").save()
    assert len(ln.Transform.filter(name__contains="search")) == 0
    assert len(ln.Transform.filter(name__contains="registries")) == 1


def test_filter_leaves_out_the_trash(instance, labels):
    ln = instance
    labels[0]._branch_code = -1
    labels[0].save()
    assert "DMSO" not in set(ln.ULabel.filter().values_list("name", flat=True))
    assert list(ln.ULabel.filter(_branch_code=-1).values_list("name", flat=True)) == ["DMSO"]
    assert "DMSO" not in set(ln.ULabel.df()["name"])


def test_filter_without_arguments_gives_a_new_queryset_each_time(instance, labels):
    # filter() starts from one default queryset per registry: what one caller does with its
    # queryset never shows in the next one's
    ln = instance
    first = ln.ULabel.filter()
    names = set(first.values_list("name", flat=True))
    narrowed = first.filter(name="DMSO").order_by("-id")
    assert list(narrowed.values_list("name", flat=True)) == ["DMSO"]
    list(first)  # evaluated: its rows are cached on it
    ln.ULabel(name="saved after the first filter").save()
    again = ln.ULabel.filter()
    assert again is not first and not again.query.order_by
    assert set(again.values_list("name", flat=True)) == names | {"saved after the first filter"}


def test_get_by_id_uid_stub_and_field(instance, labels):
    ln = instance
    study1 = labels[2]
    assert ln.ULabel.get(study1.id) == study1
    assert ln.ULabel.get(study1.uid) == study1
    assert ln.ULabel.get(name="Candidate marker study 1") == study1
    stub = study1.uid[:5]
    if ln.ULabel.filter(uid__startswith=stub).count() == 1:
        assert ln.ULabel.get(stub) == study1


def test_get_versioned_stem_returns_latest(instance):
    ln = instance
    storage = ln.Storage.filter().first()
    v1 = ln.Artifact(uid="abcdefghijklmnop0000", key="x.txt", suffix=".txt", storage=storage, is_latest=False).save()
    v2 = ln.Artifact(uid="abcdefghijklmnop0001", key="x.txt", suffix=".txt", storage=storage).save()
    assert ln.Artifact.get("abcdefghijklmnop") == v2
    assert ln.Artifact.get("abcdefghijklmnop0000") == v1


def test_get_missing_raises_does_not_exist_naming_the_query(instance):
    ln = instance
    with pytest.raises(ln.errors.DoesNotExist) as info:
        ln.ULabel.get(name="no such label")
    assert str(info.value) == "No ULabel record matches name='no such label'"
    # the same error is catchable the Django way and as ln.core.exceptions
    assert isinstance(info.value, ObjectDoesNotExist)
    assert isinstance(info.value, ln.ULabel.DoesNotExist)
    assert isinstance(info.value, ln.core.exceptions.DoesNotExist)
    with pytest.raises(ln.errors.DoesNotExist, match="No ULabel record matches 'zzzzzzzz'"):
        ln.ULabel.get("zzzzzzzz")


def test_get_several_raises_multiple_results_found(instance, labels):
    ln = instance
    with pytest.raises(ln.errors.MultipleResultsFound) as info:
        ln.ULabel.get(is_concept=False)
    assert "More than one ULabel record matches is_concept=False" in str(info.value)
    assert isinstance(info.value, MultipleObjectsReturned)


def test_get_with_too_long_uid_is_a_clear_error(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="ULabel uids have 8"):
        instance.ULabel.get("x" * 9)


def test_one_and_one_or_none(instance, labels):
    ln = instance
    assert ln.ULabel.filter(name="DMSO").one() == labels[0]
    assert ln.ULabel.filter(name="nothing").one_or_none() is None
    with pytest.raises(ln.errors.DoesNotExist):
        ln.ULabel.filter(name="nothing").one()
    with pytest.raises(ln.errors.MultipleResultsFound):
        ln.ULabel.filter().one()
    with pytest.raises(ln.errors.MultipleResultsFound):
        ln.ULabel.filter().one_or_none()


def test_queryset_delete(instance, labels):
    ln = instance
    ln.ULabel.filter(name__in=["DMSO", "IFNG"]).delete()
    assert list(ln.ULabel.filter().values_list("name", flat=True)) == ["Candidate marker study 1"]


def test_queryset_is_lazy_and_chainable(instance, labels):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ln = instance
    with CaptureQueriesContext(connection) as queries:
        qs = ln.ULabel.filter(name__startswith="D").filter(is_concept=False).order_by("name")
    assert len(queries) == 0
    assert [label.name for label in qs] == ["DMSO"]


def test_filter_text_lookups_are_case_sensitive_on_every_backend(instance):
    ln = instance
    ln.save([ln.ULabel(name=n) for n in ("Candidate marker", "candidate x", "a*b?", "IFNG")])
    names = lambda **kw: sorted(ln.ULabel.filter(**kw).values_list("name", flat=True))  # noqa: E731
    assert names(name__startswith="Cand") == ["Candidate marker"]
    assert names(name__istartswith="cand") == ["Candidate marker", "candidate x"]
    assert names(name__contains="andi") == ["Candidate marker", "candidate x"]
    assert names(name__contains="ANDI") == []
    assert names(name__icontains="ANDI") == ["Candidate marker", "candidate x"]
    assert names(name__endswith="NG") == ["IFNG"]
    # GLOB's wildcards in the value match themselves
    assert names(name__contains="*b?") == ["a*b?"]
    assert names(name__startswith="a*") == ["a*b?"]


def test_filter_text_lookups_of_other_apps_stay_djangos(instance):
    from django.db import connection, models
    from django.db.migrations.recorder import MigrationRecorder

    ln = instance
    # Django's own model (the migrations table) keeps Django's lookups, on Django's classes too
    migrations = MigrationRecorder.Migration.objects
    assert "GLOB" not in str(migrations.filter(app__startswith="co").query)
    assert models.CharField.get_lookups()["startswith"] is models.lookups.StartsWith
    if connection.vendor == "sqlite":
        assert "GLOB" in str(ln.ULabel.filter(name__startswith="co").query)
        # Django's LIKE on SQLite ignores case; this project's fields do not
        assert migrations.filter(app__contains="CORE").exists()
        assert not ln.ULabel.filter(name__contains="ZZ-none").exists()


# -- clear errors for bad input (issue 10, item 22) ---------------------------------


def test_filter_with_an_invalid_regex_is_a_clear_error(instance, labels):
    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match=r"ULabel\.name__regex: '\(a' is no valid regular expression"):
        ln.ULabel.filter(name__regex="(a")
    with pytest.raises(ln.errors.InvalidArgument, match=r"name__iregex: '\[a' is no valid"):
        ln.ULabel.filter(ln.Q(name="x") | ln.Q(name__iregex="[a"))
    with pytest.raises(ln.errors.InvalidArgument, match=r"is no valid regular expression"):
        ln.ULabel.objects.exclude(name__regex="a)")
    assert list(ln.ULabel.filter(name__regex="^(D|I)").order_by("name").values_list("name", flat=True)) == ["DMSO", "IFNG"]
    assert ln.ULabel.filter(name__iregex="^dms").count() == 1


def test_get_with_an_id_of_another_type_is_a_clear_error(instance, labels):
    ln = instance
    for bad in (1.5, True, ["DMSO"]):
        with pytest.raises(ln.errors.InvalidArgument, match=r"get\(\) takes an integer id, a uid or a uid stub"):
            ln.ULabel.get(bad)
    with pytest.raises(ln.errors.InvalidArgument, match=r"got 1\.5 \(float\)"):
        ln.ULabel.filter().get(1.5)
    assert ln.ULabel.get(labels[0].id).name == "DMSO"


def test_get_with_an_empty_uid_is_a_clear_error(instance, labels):
    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match=r"get\(''\): an empty uid"):
        ln.ULabel.get("")
    with pytest.raises(ln.errors.InvalidArgument, match=r"an empty uid"):
        ln.ULabel.filter().get("")


# -- LaminDB 1.0's QuerySet methods, and LaminDB 2's to_dataframe (issue 13) ----------


def test_queryset_list_inspect_validate_standardize(instance, labels):
    ln = instance
    qs = ln.ULabel.filter(name__in=["DMSO", "IFNG"]).order_by("name")
    assert qs.list() == list(qs)
    assert qs.list("name") == ["DMSO", "IFNG"]
    assert qs.list(ln.ULabel.name) == ["DMSO", "IFNG"]
    concept = ln.ULabel(name="concept").save()
    concept.children.add(*labels)
    assert len(labels[0].parents.list()) == 1 and labels[0].parents.list("name") == ["concept"]
    result = qs.inspect(["DMSO", "Candidate marker study 1"], "name", mute=True)
    assert result["validated"] == ["DMSO"] and result["non_validated"] == ["Candidate marker study 1"]
    assert qs.validate(["DMSO", "nope"], ln.ULabel.name, mute=True).tolist() == [True, False]
    assert qs.standardize(["dmso", "unknown", "IFNG"], mute=True) == ["DMSO", "unknown", "IFNG"]
    assert ln.ULabel.standardize("ifng", mute=True) == "IFNG"
    assert ln.ULabel.standardize(["dmso"], return_field="uid", mute=True) == [labels[0].uid]


def test_users_are_looked_up_by_handle(instance):
    ln = instance
    user = ln.User.filter().first()
    assert ln.User.lookup()[user.handle] == user
    assert ln.User.filter(handle=user.handle).lookup(field=ln.User.handle)[user.handle] == user
    assert ln.User.inspect([user.handle], mute=True)["validated"] == [user.handle]
    assert ln.User.validate(user.handle, ln.User.handle, mute=True).tolist() == [True]


def test_to_dataframe_is_df(instance, labels):
    ln = instance
    assert ln.ULabel.to_dataframe().equals(ln.ULabel.df())
    qs = ln.ULabel.filter(name__startswith="D")
    assert qs.to_dataframe(include="created_by__handle").equals(qs.df(include="created_by__handle"))
    with pytest.raises(ln.errors.InvalidArgument, match="only available for Artifact"):
        qs.df(features=True)


def test_to_dataframe_include_features_is_df_features(instance, labels):
    ln = instance
    ln.Feature(name="temperature", dtype="float").save()
    artifact = ln.Artifact(key="a.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
    artifact.features.add_values({"temperature": 21.6})
    expected = ln.Artifact.filter().df(features=True)
    assert list(expected.columns)[-1] == "temperature"
    assert ln.Artifact.filter().to_dataframe(include="features").equals(expected)
    assert ln.Artifact.to_dataframe(include="features").equals(ln.Artifact.df(features=True))
    both = ln.Artifact.filter().to_dataframe(include=["features", "created_by__handle"])
    assert both.equals(ln.Artifact.filter().df(include="created_by__handle", features=True))


@pytest.mark.usefixtures("storage_files")
def test_latest_version_keeps_the_latest_of_each_family(instance, tmp_path):
    ln = instance
    path = tmp_path / "v.txt"
    first = []
    for key in ("a.txt", "b.txt"):
        path.write_text(key)
        first.append(ln.Artifact(path, key=key).save())
    path.write_text("a, second version")
    second = ln.Artifact(path, key="a.txt").save()
    assert second.stem_uid == first[0].stem_uid
    qs = ln.Artifact.filter(key__in=["a.txt", "b.txt"]).latest_version()
    assert sorted(qs.values_list("uid", flat=True)) == sorted([second.uid, first[1].uid])
    assert ln.Artifact.filter(key="a.txt").latest_version().one() == second
    with pytest.raises(ValueError, match="Record isn't subclass of `lamindb.core.IsVersioned`"):
        ln.ULabel.filter().latest_version()
