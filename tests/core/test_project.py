"""Project, Reference and Person as LaminDB 1.0.5 has them; Artifact.schema; RunData and FlexTable."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

pytestmark = pytest.mark.usefixtures("storage_files")


@pytest.fixture
def artifact(instance):
    return instance.Artifact.from_df(pd.DataFrame({"a": [1, 2]}), key="projects/a.parquet").save()


def test_project_groups_artifacts_transforms_and_people(instance, artifact):
    ln = instance
    project = ln.Project(name="My Project Name", abbr="MPN", url="https://example.com/my_project").save()
    assert len(project.uid) == 12 and project.created_by.handle == ln.setup.settings.user.handle
    person = ln.Person(name="Jane Doe", email="jane.doe@example.com", external=False).save()
    project.people.add(person, through_defaults={"role": "lead"})
    artifact.projects.add(project)
    transform = ln.Transform(key="analysis.py", type="script").save()
    transform.projects.add(project)
    assert ln.Artifact.filter(projects__name="My Project Name").one() == artifact
    assert project.transforms.one() == transform
    assert person.projects.one() == project and person.links_project.one().role == "lead"
    child = ln.Project(name="Sub-project").save()
    child.parents.add(project)
    assert project.children.one() == child
    assert ln.Project.search("My Projct").list("name")[0] == "My Project Name"


def test_project_is_a_label_of_artifacts_through_a_feature(instance, artifact):
    ln = instance
    ln.Project(name="Project A").save()
    ln.Feature(name="project", dtype="cat[Project]").save()
    artifact.features.add_values({"project": "Project A"})
    link = artifact.links_project.one()
    assert link.project.name == "Project A" and link.feature.name == "project"
    assert artifact.features.get_values()["project"] == "Project A"


def test_project_with_a_label_in_use_cannot_be_deleted(instance, artifact):
    ln = instance
    project = ln.Project(name="Project B").save()
    artifact.projects.add(project)
    with pytest.raises(ln.errors.ValidationError):
        project.delete()
    assert ln.Project.filter(name="Project B").exists()


def test_reference_is_cited_by_artifacts_and_checks_its_doi(instance, artifact):
    ln = instance
    reference = ln.Reference(
        name="A Paper Title", abbr="APT", url="https://doi.org/10.1000/xyz123", pubmed_id=12345678,
        doi="10.1000/xyz123", text="Some text I want to be searchable.", date=dt.date(2023, 11, 21),
    ).save()
    artifact.references.add(reference)
    reference.authors.add(ln.Person(name="Jane Doe").save())
    assert ln.Artifact.filter(references__doi="10.1000/xyz123").one() == artifact
    assert reference.authors.one().references.one() == reference
    project = ln.Project(name="Cited").save()
    project.references.add(reference)
    assert reference.projects.one() == project
    with pytest.raises(ln.errors.ValidationError, match="'not-a-doi' is not a DOI"):
        ln.Reference(name="Bad", doi="not-a-doi").save()
    assert not ln.Reference.filter(name="Bad").exists()


def test_artifact_schema_is_empty_until_set(instance, artifact):
    ln = instance
    assert artifact.schema is None
    schema = ln.Schema(features=[ln.Feature(name="a", dtype="int").save()], name="columns a").save()
    artifact.schema = schema
    artifact.save()
    assert ln.Artifact.get(artifact.id).schema == schema
    assert schema.validated_artifacts.one() == artifact
    text = repr(ln.Artifact)
    for line in (".schema: Schema", ".projects: Project", ".references: Reference"):
        assert line in text


@pytest.fixture
def run(instance):
    transform = instance.Transform(key="Test transform", type="script").save()
    return instance.Run(transform, name="Test Run").save()


def test_rundata_holds_one_value_of_one_feature_or_param(instance, run):
    ln = instance
    from lamindb_core.models import RunData

    feature = ln.Feature(name="test_feature", dtype="float").save()
    param = ln.Param(name="test_param", dtype="str").save()
    when = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert RunData(run=run, feature=feature, row=1, value_int=42).save().value_int == 42
    assert RunData(run=run, feature=feature, row=4, value_datetime=when).save().value_datetime == when
    assert RunData(run=run, param=param, row=-1, value_str="a result").save().feature is None
    assert sorted(run._rundata.values_list("row", flat=True)) == [-1, 1, 4]
    both = RunData(run=run, feature=feature, param=param, row=3, value_int=44)
    with pytest.raises(DjangoValidationError, match="Exactly one of feature or param must be set"):
        both.full_clean()
    with pytest.raises(ln.errors.ValidationError, match="cannot save RunData: Exactly one of feature or param"):
        both.save()
    with pytest.raises(ln.errors.ValidationError, match="Exactly one value field must be set, got 2"):
        RunData(run=run, feature=feature, row=5, value_int=1, value_float=1.0).save()
    assert run._rundata.count() == 3


def test_flextable_holds_rows_of_values(instance):
    ln = instance
    from lamindb_core.models import FlexTable, FlexTableData

    table = FlexTable(uid="test-table", name="Test Table", description="Test Description").save()
    feature = ln.Feature(name="sample", dtype="str").save()
    for row, name in enumerate(["s1", "s2"]):
        FlexTableData(tidytable=table, feature=feature, row=row, value_str=name).save()
    assert list(FlexTable.get(uid="test-table").data.order_by("row").values_list("value_str", flat=True)) == ["s1", "s2"]
    table.projects.add(ln.Project(name="Tables").save())
    assert table.projects.one().name == "Tables"
