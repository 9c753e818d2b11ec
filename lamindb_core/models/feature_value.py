"""``FeatureValue``: values of non-categorical features, shared between artifacts."""

from __future__ import annotations

from django.db import models

from .record import Record, TracksRun


class FeatureValue(Record, TracksRun):
    """A value of a feature (``21.6`` for ``temperature``), stored once and
    linked to every artifact that has it.

    Example:
        >>> ln.FeatureValue.filter(feature__name="temperature").df()
    """

    id = models.BigAutoField(primary_key=True)
    value = models.JSONField(help_text="The value.")
    hash = models.CharField(max_length=22, null=True, blank=True, default=None, db_index=True, help_text="Hash of the value.")
    feature = models.ForeignKey("core.Feature", models.CASCADE, related_name="values", help_text="The feature.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feature", "hash"], name="core_featurevalue_feature_hash_unique")
        ]
