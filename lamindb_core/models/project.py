"""``Project``, ``Reference`` and ``Person``: project management, as LaminDB 1.0 has it.

A project groups artifacts, transforms, collections, labels, features and schemas;
a reference (a paper, an internal study, a URL) is cited by artifacts, transforms
and collections; people work on projects and author references. Projects and
references are labels of artifacts too: ``artifact.projects.add(project)``, or
``ln.Feature(name="project", dtype="cat[Project]")`` with ``artifact.features.add_values``.
"""

from __future__ import annotations

import re

from django.db import models

from .. import errors
from ..uids import base62_8, base62_12
from .record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, Record, TracksRun,
    TracksUpdates,
)

__all__ = [
    "Person",
    "Project",
    "Reference",
    "PersonProject",
    "ArtifactProject",
    "TransformProject",
    "CollectionProject",
    "ULabelProject",
    "FeatureProject",
    "SchemaProject",
    "ArtifactReference",
    "TransformReference",
    "CollectionReference",
]

# what LaminDB 1.0 accepts as a DOI: 10.<registrant>/<suffix>, optionally as a doi.org URL or "doi:"
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:|DOI:)?10\.\d+/.*$")


class Person(Record, TracksRun, TracksUpdates):
    """A person, for project management: distinct from ``User``, who has an account.

    Example:
        >>> ln.Person(name="Jane Doe", email="jane.doe@example.com", external=False).save()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=8, default=base62_8,
        help_text="Universal id, valid across instances; 8 characters.",
    )
    name = models.CharField(max_length=255, db_index=True, help_text="Name of the person: forename(s) and last name.")
    email = models.EmailField(null=True, blank=True, default=None, help_text="Email address of the person.")
    external = models.BooleanField(
        default=True, db_index=True, help_text="Whether the person is external to the organization; True by default.",
    )


class Project(Record, TracksRun, TracksUpdates):
    """A project: groups the artifacts, transforms, collections, labels, features and
    schemas that belong to it.

    Projects nest (``parents``, ``children``), follow one another (``predecessors``,
    ``successors``) and can be grouped by a type (a project with ``is_type=True``).

    Example:
        >>> project = ln.Project(name="My Project Name", abbr="MPN", url="https://example.com/my_project").save()
        >>> artifact.projects.add(project)
        >>> ln.Artifact.filter(projects__name="My Project Name").df()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    name = models.CharField(max_length=255, db_index=True, help_text="Title or name of the project.")
    type = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="records",
        help_text="The type of project (a project with is_type=True), e.g. 'Program' or 'Task'; type.records lists "
        "its projects.",
    )
    is_type = models.BooleanField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Whether this is a type that groups projects rather than a project.",
    )
    abbr = models.CharField(max_length=32, null=True, blank=True, default=None, db_index=True, help_text="An abbreviation.")
    url = models.URLField(max_length=255, null=True, blank=True, default=None, help_text="A URL of the project.")
    start_date = models.DateField(null=True, blank=True, default=None, help_text="When the project started.")
    end_date = models.DateField(null=True, blank=True, default=None, help_text="When the project ended or ends.")
    parents = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True,
        help_text="The projects that own this one; project.children lists its sub-projects.",
    )
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, related_name="successors", blank=True,
        help_text="The projects that this one needs first; project.successors lists those that need it.",
    )
    people = models.ManyToManyField(
        Person, through="PersonProject", related_name="projects", blank=True,
        help_text="The people who work on the project, with their role.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactProject", related_name="projects", blank=True,
        help_text="The artifacts of the project.",
    )
    transforms = models.ManyToManyField(
        "core.Transform", through="TransformProject", related_name="projects", blank=True,
        help_text="The transforms (notebooks, scripts, pipelines) of the project.",
    )
    ulabels = models.ManyToManyField(
        "core.ULabel", through="ULabelProject", related_name="projects", blank=True,
        help_text="The labels of the project.",
    )
    features = models.ManyToManyField(
        "core.Feature", through="FeatureProject", related_name="projects", blank=True,
        help_text="The features of the project.",
    )
    schemas = models.ManyToManyField(
        "core.FeatureSet", through="SchemaProject", related_name="projects", blank=True,
        help_text="The schemas (feature sets) of the project.",
    )
    collections = models.ManyToManyField(
        "core.Collection", through="CollectionProject", related_name="projects", blank=True,
        help_text="The collections of the project.",
    )
    references = models.ManyToManyField(
        "core.Reference", related_name="projects", blank=True, help_text="The references cited by the project.",
    )
    _status_code = models.SmallIntegerField(
        default=0, db_index=True, help_text="A status code of the project, for the UI; 0 by default.",
    )


class Reference(Record, TracksRun, TracksUpdates):
    """A reference: a paper, a preprint, an internal study, a document or a URL.

    Example:
        >>> reference = ln.Reference(
        ...     name="A Paper Title", abbr="APT", url="https://doi.org/10.1000/xyz123",
        ...     pubmed_id=12345678, doi="10.1000/xyz123", date=datetime.date(2023, 11, 21),
        ... ).save()
        >>> artifact.references.add(reference)
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=12, default=base62_12,
        help_text="Universal id, valid across instances; 12 characters.",
    )
    name = models.CharField(max_length=255, db_index=True, help_text="Title or name of the reference.")
    abbr = models.CharField(
        max_length=32, null=True, blank=True, default=None, db_index=True, help_text="An abbreviation of the reference.",
    )
    type = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="records",
        help_text="The type of reference (a reference with is_type=True), e.g. 'Study' or 'Paper'; type.records "
        "lists its references.",
    )
    is_type = models.BooleanField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Whether this is a type that groups references rather than a reference.",
    )
    url = models.URLField(max_length=255, null=True, blank=True, default=None, help_text="A URL of the reference.")
    pubmed_id = models.BigIntegerField(null=True, blank=True, default=None, db_index=True, help_text="A PubMed id.")
    doi = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="Digital Object Identifier, e.g. '10.1000/xyz123' or 'https://doi.org/10.1000/xyz123'.",
    )
    description = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True, help_text="A description.",
    )
    text = models.TextField(
        null=True, blank=True, default=None, help_text="The abstract or full text, to make the reference searchable.",
    )
    date = models.DateField(null=True, blank=True, default=None, help_text="When the reference was created or published.")
    authors = models.ManyToManyField(
        Person, related_name="references", blank=True, help_text="The people who authored the reference.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="ArtifactReference", related_name="references", blank=True,
        help_text="The artifacts that cite the reference.",
    )
    transforms = models.ManyToManyField(
        "core.Transform", through="TransformReference", related_name="references", blank=True,
        help_text="The transforms that cite the reference.",
    )
    collections = models.ManyToManyField(
        "core.Collection", through="CollectionReference", related_name="references", blank=True,
        help_text="The collections that cite the reference.",
    )

    def save(self, *args, **kwargs) -> Reference:
        """Save the reference.

        Raises:
            ln.errors.ValidationError: ``doi`` is not a DOI (``10.<number>/<suffix>``,
                optionally as a doi.org URL or with ``doi:``); nothing is written.
        """
        if self.doi is not None and not _DOI.match(self.doi):
            raise errors.ValidationError(
                f"Reference.doi: {self.doi!r} is not a DOI; expected e.g. 10.1000/xyz123 or https://doi.org/10.1000/xyz123"
            )
        return super().save(*args, **kwargs)


# -- link tables ----------------------------------------------------------------------


class PersonProject(BasicRecord, TracksRun):
    """Links a ``Person`` to a ``Project``, with the person's role in it."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    person = models.ForeignKey(Person, models.CASCADE, related_name="links_project", help_text="The person.")
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_person", help_text="The project.")
    role = models.CharField(
        max_length=255, null=True, blank=True, default=None, help_text="The person's role in the project, e.g. 'lead'.",
    )

    class Meta:
        unique_together = ("person", "project")


class ArtifactProject(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Project``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_project", help_text="The artifact.")
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_artifact", help_text="The project.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactproject",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "project", "feature")


class TransformProject(BasicRecord, TracksRun):
    """Links a ``Transform`` to a ``Project``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    transform = models.ForeignKey("core.Transform", models.CASCADE, related_name="links_project", help_text="The transform.")
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_transform", help_text="The project.")

    class Meta:
        unique_together = ("transform", "project")


class CollectionProject(BasicRecord, TracksRun):
    """Links a ``Collection`` to a ``Project``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    collection = models.ForeignKey(
        "core.Collection", models.CASCADE, related_name="links_project", help_text="The collection.",
    )
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_collection", help_text="The project.")

    class Meta:
        unique_together = ("collection", "project")


class ULabelProject(BasicRecord, TracksRun):
    """Links a ``ULabel`` to a ``Project``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    ulabel = models.ForeignKey("core.ULabel", models.CASCADE, related_name="links_project", help_text="The label.")
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_ulabel", help_text="The project.")

    class Meta:
        unique_together = ("ulabel", "project")


class FeatureProject(BasicRecord, TracksRun):
    """Links a ``Feature`` to a ``Project``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    feature = models.ForeignKey("core.Feature", models.CASCADE, related_name="links_project", help_text="The feature.")
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_feature", help_text="The project.")

    class Meta:
        unique_together = ("feature", "project")


class SchemaProject(BasicRecord, TracksRun):
    """Links a ``Schema`` (feature set) to a ``Project``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    schema = models.ForeignKey(
        "core.FeatureSet", models.CASCADE, related_name="links_project", help_text="The schema (feature set).",
    )
    project = models.ForeignKey(Project, models.PROTECT, related_name="links_schema", help_text="The project.")

    class Meta:
        unique_together = ("schema", "project")


class ArtifactReference(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``Reference``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_reference", help_text="The artifact.",
    )
    reference = models.ForeignKey(Reference, models.PROTECT, related_name="links_artifact", help_text="The reference.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactreference",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "reference", "feature")


class TransformReference(BasicRecord, TracksRun):
    """Links a ``Transform`` to a ``Reference``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    transform = models.ForeignKey(
        "core.Transform", models.CASCADE, related_name="links_reference", help_text="The transform.",
    )
    reference = models.ForeignKey(Reference, models.PROTECT, related_name="links_transform", help_text="The reference.")

    class Meta:
        unique_together = ("transform", "reference")


class CollectionReference(BasicRecord, TracksRun):
    """Links a ``Collection`` to a ``Reference``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    collection = models.ForeignKey(
        "core.Collection", models.CASCADE, related_name="links_reference", help_text="The collection.",
    )
    reference = models.ForeignKey(
        Reference, models.PROTECT, related_name="links_collection", help_text="The reference.",
    )

    class Meta:
        unique_together = ("collection", "reference")
