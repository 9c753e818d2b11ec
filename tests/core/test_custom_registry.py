"""Registries defined in user code: a class in a test, a notebook cell run twice."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection


def drop(model_name: str) -> None:
    """Remove a custom registry's table and forget its class."""
    model = apps.all_models["custom"].pop(model_name.lower(), None)
    apps.clear_cache()
    if model is not None:
        with connection.schema_editor() as editor:
            editor.delete_model(model)
    from lamindb_core.instance import _state

    _state.custom_models.pop(f"custom.{model_name.lower()}", None)


@pytest.fixture
def cleanup():
    names: list[str] = []
    yield names
    for name in names:
        drop(name)


@pytest.mark.no_rollback
def test_custom_registry_from_the_spec(instance, cleanup):
    from lamindb_core import Record, fields

    cleanup.append("Experiment")

    class Experiment(Record):
        name: str = fields.CharField()

    experiment = Experiment(name="my experiment")
    experiment.save()
    df = Experiment.filter(name__startswith="my ").df()
    assert list(df["name"]) == ["my experiment"]
    assert list(df.columns) == ["name", "space_id", "aux", "_branch_code"]
    assert Experiment._meta.app_label == "custom"
    assert Experiment.get(name="my experiment").id == experiment.id
    with pytest.raises(instance.errors.DoesNotExist, match="No Experiment record matches"):
        Experiment.get(name="other")


@pytest.mark.no_rollback
def test_custom_registry_with_tracking_fields_and_relations(instance, cleanup):
    import lamindb_core as ln
    from lamindb_core import Record, fields
    from lamindb_core.models import TracksRun

    cleanup.append("Sample")

    class Sample(Record, TracksRun):
        name: str = fields.CharField(unique=True)
        weight: float = fields.FloatField()
        treatment = fields.ForeignKey(ln.ULabel, related_name="samples")

    dmso = ln.ULabel(name="DMSO-custom").save()
    try:
        Sample(name="s1", weight=1.5, treatment=dmso).save()
        ln.save([Sample(name="s2", weight=2.0, treatment=dmso), Sample(name="s3")])
        assert sorted(Sample.filter(treatment__name="DMSO-custom").values_list("name", flat=True)) == ["s1", "s2"]
        assert sorted(ln.ULabel.filter(samples__weight__gt=1.8).values_list("name", flat=True)) == ["DMSO-custom"]
        df = Sample.df(include="treatment__name")
        assert list(df["treatment__name"]) == [None, "DMSO-custom", "DMSO-custom"]
        with pytest.raises(ln.errors.ValidationError, match="Sample.weight expects float"):
            Sample(name="s4", weight="heavy")
    finally:
        Sample.objects.all().delete()
        dmso.delete()


@pytest.mark.no_rollback
def test_custom_registry_redefined_in_a_notebook_cell_adds_columns(instance, cleanup):
    from IPython.core.interactiveshell import InteractiveShell

    cleanup.append("Donor")
    shell = InteractiveShell.instance()
    try:
        first = shell.run_cell(
            "import lamindb_core as ln\n"
            "from lamindb_core import Record, fields\n"
            "class Donor(Record):\n"
            "    name: str = fields.CharField()\n"
            "Donor(name='donor 1').save()\n"
        )
        assert first.success, first.error_in_exec
        second = shell.run_cell(
            "class Donor(Record):\n"
            "    name: str = fields.CharField()\n"
            "    age: int = fields.IntegerField()\n"
            "Donor(name='donor 2', age=42).save()\n"
            "df = Donor.filter(name__startswith='donor').df()\n"
        )
        assert second.success, second.error_in_exec
        df = shell.user_ns["df"]
        assert list(df["name"]) == ["donor 1", "donor 2"]
        assert df["age"].isna().tolist() == [True, False]
        assert df["age"].iloc[1] == 42
        third = shell.run_cell("Donor(name='donor 3', age=7).save(); n = Donor.filter().count()")
        assert third.success, third.error_in_exec
        assert shell.user_ns["n"] == 3
    finally:
        shell.run_cell("Donor.objects.all().delete()")
        InteractiveShell.clear_instance()


@pytest.mark.no_rollback
def test_custom_registry_type_change_is_refused_once_it_holds_records(instance, cleanup):
    from IPython.core.interactiveshell import InteractiveShell

    cleanup.append("Plate")
    shell = InteractiveShell.instance()
    try:
        first = shell.run_cell(
            "import lamindb_core as ln\n"
            "from lamindb_core import Record, fields\n"
            "class Plate(Record):\n"
            "    name: str = fields.CharField()\n"
            "    wells: str = fields.CharField()\n"
        )
        assert first.success, first.error_in_exec
        # empty: the column is made again with the new type
        second = shell.run_cell(
            "class Plate(Record):\n"
            "    name: str = fields.CharField()\n"
            "    wells: int = fields.IntegerField()\n"
            "Plate(name='p1', wells=96).save()\n"
            "wells = Plate.get(name='p1').wells\n"
        )
        assert second.success, second.error_in_exec
        assert shell.user_ns["wells"] == 96
        third = shell.run_cell(
            "class Plate(Record):\n"
            "    name: str = fields.CharField()\n"
            "    wells: str = fields.CharField()\n"
        )
        assert isinstance(third.error_in_exec, instance.errors.ValidationError)
        assert str(third.error_in_exec) == (
            "Plate changes the type of wells from integer to varchar (CharField), but its table holds 1 "
            "record(s) whose values might not convert: the previous definition stays in use. Give the "
            "field a new name (a new column), or delete the records first"
        )
        # the previous definition stays: values keep their type
        fourth = shell.run_cell("Plate(name='p2', wells=384).save(); w = sorted(Plate.filter().values_list('wells', flat=True))")
        assert fourth.success, fourth.error_in_exec
        assert shell.user_ns["w"] == [96, 384]
        assert apps.get_model("custom", "plate")._meta.get_field("wells").get_internal_type() == "IntegerField"
    finally:
        shell.run_cell("Plate.objects.all().delete()")
        InteractiveShell.clear_instance()
