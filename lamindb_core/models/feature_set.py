"""``FeatureSet``: the set of features (or of another registry's records) that an artifact measures."""

from __future__ import annotations

from django.db import models

from ..uids import base62_20
from .record import ID_HELP, BasicRecord, Record, TracksRun


class FeatureSet(Record, TracksRun):
    """A set of features, identified by the hash of its members and shared
    between artifacts that measure the same set.

    Example:
        >>> ln.FeatureSet.df()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=20, default=base62_20,
        help_text="Universal id, valid across instances; 20 characters.",
    )
    name = models.CharField(
        max_length=150, null=True, blank=True, default=None, db_index=True,
        help_text="A name of your choice, e.g. 'measured genes'.",
    )
    n = models.IntegerField(help_text="Number of members.")
    dtype = models.CharField(
        max_length=64, null=True, blank=True, default=None,
        help_text="Type of the members' values when they share one, e.g. 'num' for the genes of a count matrix.",
    )
    registry = models.CharField(
        max_length=120, db_index=True,
        help_text="The registry of the members: 'Feature', or a module's registry such as 'bio.Gene'.",
    )
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True, unique=True,
        help_text="Hash of the members' uids: artifacts that measure the same members share one set.",
    )
    features = models.ManyToManyField(
        "core.Feature", through="FeatureSetFeature", related_name="feature_sets", blank=True,
        help_text="The features in the set, when registry is 'Feature'.",
    )

    def add_members(self, members: list[models.Model]) -> None:
        """Link ``members``, records of one registry, to the set.

        Features are linked through ``features``; the records of a module's
        registry through the relation that registry declares to ``FeatureSet``
        (its reverse, such as ``feature_set.genes``). A registry without such a
        relation has no member links; the set keeps its ``n`` and ``hash``.

        Example:
            >>> feature_set.add_members(list(ln.Feature.filter(name__in=["temperature", "study"])))
        """
        if not members:
            return
        relation = self._relation_to(type(members[0]))
        if relation is not None:
            getattr(self, relation).add(*members)

    @classmethod
    def _relation_to(cls, registry: type) -> str | None:
        # declared here (features) or on the registry, whose reverse is on the set
        for f in cls._meta.get_fields():
            if f.many_to_many and f.related_model is registry:
                return f.name if f.concrete else f.get_accessor_name()
        return None


class FeatureSetFeature(BasicRecord):
    """Links a ``FeatureSet`` to its features."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(FeatureSet, models.CASCADE, related_name="+", help_text="The feature set.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, related_name="links_featureset",
        help_text="A feature in the set.",
    )

    class Meta:
        unique_together = ("featureset", "feature")
