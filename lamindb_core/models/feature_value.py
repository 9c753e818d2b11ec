"""``FeatureValue``: values of non-categorical features, shared between artifacts."""

from __future__ import annotations

from django.db import models

from .record import ID_HELP, BasicRecord, Record, TracksRun


class FeatureValue(Record, TracksRun):
    """A value of a feature (``21.6`` for ``temperature``), stored once and
    linked to every artifact that has it.

    Example:
        >>> ln.FeatureValue.filter(feature__name="temperature").df()
    """

    id = models.BigAutoField(primary_key=True, help_text=ID_HELP)
    value = models.JSONField(help_text="The value, as JSON, e.g. 21.6 or 'cold'.")
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True,
        help_text="Hash of the value: each value of a feature is stored once and linked to every artifact that has it.",
    )
    feature = models.ForeignKey(
        "core.Feature", models.CASCADE, related_name="values",
        help_text="The feature whose value this is.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feature", "hash"], name="core_featurevalue_feature_hash_unique")
        ]


class ArtifactFeatureValue(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureValue``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_featurevalue", help_text="The artifact.")
    featurevalue = models.ForeignKey(
        "core.FeatureValue", models.PROTECT, related_name="links_artifact",
        help_text="A value of a feature that the artifact has.",
    )

    class Meta:
        unique_together = ("artifact", "featurevalue")
