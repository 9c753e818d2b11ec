"""``ULabel``: universal labels, for anything that has no registry of its own."""

from __future__ import annotations

from django.db import models

from .. import errors, hierarchy
from ..uids import base62_8
from .record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, Record, TracksRun,
    TracksUpdates,
)


class ULabel(Record, TracksRun, TracksUpdates):
    """A universal label: a study, a treatment, a project, a concept.

    Labels form a hierarchy through ``parents`` and ``children``. The name is
    unique: constructing a label whose name exists returns the existing one.

    Example:
        >>> study = ln.ULabel(name="Candidate marker study 1").save()
        >>> ln.ULabel.filter(name__startswith="Candidate").df()
    """

    _len_full_uid = 8

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=8, default=base62_8,
        help_text="Universal id, valid across instances; 8 characters.",
    )
    name = models.CharField(
        max_length=150, unique=True, db_index=True,
        help_text="Unique name of the label, e.g. 'Candidate marker study 1'.",
    )
    is_concept = models.BooleanField(
        default=False, db_index=True,
        help_text="Whether the label is a concept that groups labels, e.g. 'Project', rather than a value to label "
        "with.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="A reference, such as an ontology id or a URL.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None, db_index=True,
        help_text="The kind of reference, e.g. 'url' or an ontology's name.",
    )
    parents = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True,
        help_text="Parent labels; label.children lists the labels below one.",
    )

    def __init__(self, *args, **kwargs):
        """Create a label: ``ln.ULabel(name="Candidate marker study 1")``.

        Raises:
            ValueError: a positional argument, or a keyword that is not a field
                (LaminDB 1.0's messages).
            TypeError: no name.

        Example:
            >>> ln.ULabel(name="DMSO", description="dimethyl sulfoxide").save()
        """
        if len(args) == len(self._meta.concrete_fields):
            super().__init__(*args, **kwargs)
            return
        if args:
            raise ValueError("Only one non-keyword arg allowed")
        if not kwargs.keys() <= self._init_fields().keys():
            raise ValueError("Only name, description, reference, reference_type are valid keyword arguments")
        if kwargs.get("name") is None:
            raise TypeError("['name'] are required.")
        super().__init__(**kwargs)

    def query_parents(self):
        """All labels above this one (its parents, theirs, ...), as a QuerySet.

        Example:
            >>> ln.ULabel.get(name="T cell").query_parents().list("name")
            ['lymphocyte', 'cell type']
        """
        return hierarchy.query_parents(self)

    def query_children(self):
        """All labels below this one (its children, theirs, ...), as a QuerySet."""
        return hierarchy.query_children(self)

    def view_parents(self, field=None, with_children: bool = False, distance: int = 5) -> hierarchy.Hierarchy:
        """The label and the labels above it (and below it, ``with_children``) as a tree, up to
        ``distance`` generations; see :func:`lamindb_core.hierarchy.view_parents`.

        Example:
            >>> ln.ULabel.get(name="T cell").view_parents(distance=2)
            T cell
            └── lymphocyte
                └── cell type
        """
        return hierarchy.view_parents(self, field=field, with_children=with_children, distance=distance)

    def save(self, *args, **kwargs) -> ULabel:
        """Save the label.

        Renaming a label that curated artifacts were validated with (linked by
        ``ln.Curator`` for a feature) is refused: those artifacts' data names the
        label by its old name.

        Raises:
            ln.errors.RecordNameChangeIntegrityError: the label is renamed while
                curated artifacts link to it; ``artifact.labels.make_external(label)``
                first.
        """
        if self.pk is not None and not self._state.adding and self._state.db in (None, "default"):
            old = type(self)._base_manager.filter(pk=self.pk).values_list("name", flat=True).first()
            if old is not None and old != self.name:
                curated = (
                    self.links_artifact.filter(label_ref_is_name=True, feature__isnull=False, feature_ref_is_name__isnull=False)
                    .values_list("artifact__uid", flat=True).distinct()
                )
                uids = list(curated)
                if uids:
                    raise errors.rename_refused("label", old, self.name, uids, "artifact.labels.make_external(label)")
        return super().save(*args, **kwargs)


class ArtifactULabel(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``ULabel``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, related_name="links_ulabel",
        help_text="The labeled artifact.",
    )
    ulabel = models.ForeignKey("core.ULabel", models.PROTECT, related_name="links_artifact", help_text="The label.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactulabel",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "ulabel", "feature")
