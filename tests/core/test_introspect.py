"""What registries are made of (``lamindb_core.introspect``): one answer for every face."""

from __future__ import annotations

import pytest
from django.db import models

from lamindb_core import errors
from lamindb_core.introspect import (
    OPERATORS,
    display_field_names,
    field_dtype,
    field_help,
    field_kind,
    field_type,
    lookups_for,
    name_field,
    offered_lookups,
    operator_word,
    operators_for,
    plural_name,
    python_name,
    qualified_name,
    registries,
    registries_by_module,
    registry_by_name,
    resolve_path,
    variable_name,
)


@pytest.fixture
def bt(instance):
    import lamindb_core.bio as bt

    return bt


# -- registries -------------------------------------------------------------------------------


def test_registries_list_every_module_core_first_without_link_tables(instance):
    known = registries()
    assert known["ULabel"] is instance.ULabel
    assert {"Artifact", "Feature", "Run", "Transform", "Gene", "User", "Space"} <= set(known)
    assert "ArtifactULabel" not in known
    names = list(known)
    assert names.index("ULabel") < names.index("CellType")  # core first, then bio
    assert list(registries_by_module())[:2] == ["core", "bio"]


@pytest.mark.parametrize(
    "name", ["ULabel", "ulabel", "core.ULabel", "CORE.ULABEL", "ln.ULabel", "lamindb.ULabel"]
)
def test_registry_by_name_takes_the_names_a_user_writes(instance, name):
    assert registry_by_name(name) is instance.ULabel


def test_registry_by_name_takes_the_module_aliases_of_a_notebook(instance, bt):
    for name in ("CellType", "celltype", "bt.CellType", "bionty.CellType", "bio.CellType"):
        assert registry_by_name(name) is bt.CellType
    assert registry_by_name("User") is instance.User


def test_registry_by_name_unknown_names_the_closest_and_lists_all(instance):
    with pytest.raises(errors.NotFound) as info:
        registry_by_name("ULabl")
    message = str(info.value)
    assert message.startswith("no registry 'ULabl' in this instance. Did you mean 'ULabel'? Registries: Artifact, ")
    with pytest.raises(errors.NotFound):
        registry_by_name("bt.ULabel")  # a core registry, not a bio one


def test_a_registry_reads_as_a_notebook_writes_it(instance, bt):
    assert [python_name(m) for m in (instance.ULabel, bt.CellType)] == ["ln.ULabel", "bt.CellType"]
    assert qualified_name(bt.CellType) == "bio.CellType"
    # FeatureSet is LaminDB 1.0's Schema
    assert [variable_name(m) for m in (instance.ULabel, bt.CellType, instance.FeatureSet)] == [
        "ulabel", "cell_type", "schema",
    ]
    # the names LaminDB's guide gives lookups (was parsing.snake_plural)
    assert [plural_name(m) for m in (instance.ULabel, bt.CellType, instance.Artifact, instance.FeatureSet)] == [
        "ulabels", "cell_types", "artifacts", "schemas",
    ]


# -- fields -----------------------------------------------------------------------------------


def test_name_field_is_one_rule_for_every_registry(instance, bt):
    ln = instance
    expected = {
        ln.ULabel: "name", ln.Artifact: "key", ln.Transform: "key", ln.User: "name", ln.Space: "name",
        ln.Storage: "root", ln.FeatureValue: "id", bt.Gene: "symbol", bt.CellType: "name",
    }
    assert {m: name_field(m) for m in expected} == expected


def test_name_field_declared_on_a_registry_wins(instance, monkeypatch):
    monkeypatch.setattr(instance.User, "_name_field", "handle", raising=False)
    assert name_field(instance.User) == "handle"


def test_display_field_names_are_the_df_columns(instance):
    assert display_field_names(instance.ULabel) == [
        "uid", "id", "name", "is_concept", "description", "reference", "reference_type", "space_id",
        "run_id", "created_at", "created_by_id", "aux", "_branch_code",
    ]


def test_resolve_path_follows_relations_and_names_the_closest(instance):
    field, many = resolve_path(instance.ULabel, "parents__name")
    assert (field.model, field.name, many) == (instance.ULabel, "name", True)
    # a foreign key's column ends at the related registry's primary key, as Django reads it
    assert resolve_path(instance.ULabel, "created_by_id")[0] is instance.User._meta.pk
    with pytest.raises(errors.FieldValidationError, match="User has no field 'nam'. Did you mean 'name'?"):
        resolve_path(instance.ULabel, "created_by__nam")


def test_field_help_is_the_help_text_along_the_path(instance):
    ln = instance
    assert field_help(ln.ULabel, "name") == "Unique name of the label, e.g. 'Candidate marker study 1'."
    assert field_help(ln.ULabel, "created_by__name") == (
        "The user who created the record: the current user by default. Its name: Full name."
    )
    assert field_help(ln.Artifact, "storage_id").startswith("The storage location (root folder) that holds the data")
    with pytest.raises(errors.FieldValidationError, match="Did you mean 'name'?"):
        field_help(ln.ULabel, "created_by__nam")


def test_field_types_are_one_table_for_dtypes_kinds_and_checks(instance):
    ln = instance
    size = ln.Artifact._meta.get_field("size")
    cases = {
        ln.ULabel._meta.get_field("name"): ("str", "text"),
        ln.ULabel._meta.get_field("is_concept"): ("bool", "bool"),
        ln.ULabel._meta.get_field("created_at"): ("datetime", "datetime"),
        size: ("int", "number"),
        ln.ULabel._meta.get_field("aux"): ("dict", "other"),
        models.DateField(): ("date", "datetime"),
        models.DecimalField(): ("num", "number"),
        models.FloatField(): ("float", "number"),
    }
    for field, (dtype, kind) in cases.items():
        assert (field_dtype(field), field_type(field).kind) == (dtype, kind), field
    assert field_dtype(ln.ULabel._meta.get_field("created_by")) == "int"
    assert field_dtype(models.UUIDField()) == "UUIDField" and field_dtype(None) == ""
    assert field_type(size).rejects == (bool,)
    assert [field_kind(ln.ULabel, p) for p in ("name", "is_concept", "created_at", "id", "created_by__name")] == [
        "text", "bool", "datetime", "number", "text",
    ]


# -- lookups ----------------------------------------------------------------------------------


def test_lookups_for_are_djangos_and_ne_without_transforms(instance):
    name = lookups_for(instance.ULabel._meta.get_field("name"))
    assert {"exact", "iexact", "startswith", "istartswith", "icontains", "regex", "in", "isnull", "ne"} <= set(name)
    created = lookups_for(instance.ULabel._meta.get_field("created_at"))
    assert "gte" in created and "year" not in created and "date" not in created


def test_operator_words_map_to_django_lookups(instance):
    assert OPERATORS["contains"] == "icontains" and OPERATORS["starts with"] == "istartswith"
    assert OPERATORS["!="] == "ne" and OPERATORS[">="] == "gte" and OPERATORS["is null"] == "isnull"
    assert [operator_word(lookup) for lookup in ("gt", "exact", "icontains", "startswith")] == [">", "=", "contains", "startswith"]


def test_operators_and_lookups_fit_the_field(instance):
    ULabel = instance.ULabel
    assert operators_for(ULabel, "name") == ("contains", "=", "!=", "starts with", "ends with", "in", "is null")
    assert operators_for(ULabel, "is_concept") == ("=", "is null")
    assert operators_for(ULabel, "created_at") == ("=", "!=", ">", ">=", "<", "<=", "in", "is null")
    assert "contains" not in operators_for(ULabel, "id")
    assert offered_lookups(ULabel, "name") == [
        "icontains", "exact", "ne", "istartswith", "iendswith", "in", "isnull",
        "contains", "startswith", "endswith", "iexact",
    ]
    assert offered_lookups(ULabel, "is_concept") == ["exact", "isnull"]
    assert offered_lookups(ULabel, "id")[-1] == "range"
