"""``Schema`` (LaminDB 1.0's new name for ``FeatureSet``): the set of features (or of
another registry's records) that an artifact measures.

``ln.Schema`` and ``ln.FeatureSet`` are the same registry, as in LaminDB 1.0.5.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import models

from .. import errors
from ..logger import logger
from ..uids import base62_20
from .feature import Feature, dtype_from_pandas
from .record import ID_HELP, BasicRecord, Record, TracksRun

__all__ = ["Schema", "FeatureSet", "FeatureSetFeature", "ArtifactFeatureSet", "hash_members", "registry_name", "remove_from_schemas"]

NUMBER_TYPE = "num"  # the dtype of a set of genes or proteins, unless given


def hash_members(uids: Iterable[str]) -> str:
    """The hash of a set of members: md5 of their sorted uids, base64, 22 characters.

    Artifacts that measure the same members share one ``Schema`` through it.
    """
    digest = hashlib.md5(",".join(sorted(set(uids))).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def registry_name(model: type) -> str:
    """``Feature``, or ``<module>.<Registry>`` (``bio.Gene``) for a module's registry."""
    label = model._meta.app_label
    return model.__name__ if label == "core" else f"{label}.{model.__name__}"


def _type_str(dtype: Any) -> str | None:
    # LaminDB takes a Python type for dtype (int) as well as its name ("int")
    if dtype is None or isinstance(dtype, str):
        return dtype
    return getattr(dtype, "__name__", str(dtype))


def _check_members(features: Any) -> type:
    """The registry of ``features``, a list of saved records of one registry.

    Raises ``ValueError`` and ``TypeError`` as LaminDB 1.0's ``validate_features``.
    """
    if isinstance(features, models.Model):
        raise ValueError("Please pass a ListLike of features, not a single feature")
    try:
        if len(features) == 0:
            raise ValueError("Provide list of features with at least one element")
    except TypeError:
        raise ValueError("Please pass a ListLike of features, not a single feature") from None
    if not hasattr(features, "__getitem__"):
        raise TypeError("features has to be list-like")
    if not isinstance(features[0], models.Model):
        raise TypeError("features has to store feature records! use .from_values() otherwise")
    kinds = {type(f) for f in features}
    if len(kinds) > 1:
        raise TypeError("schema can only contain a single type")
    if any(f._state.adding or f.pk is None for f in features):
        raise ValueError("Can only construct feature sets from validated features")
    return next(iter(kinds))


def _field_attr(field: Any) -> models.Field:
    inner = getattr(field, "field", None)
    if not isinstance(inner, models.Field) or inner.model is None:
        raise TypeError("Argument `field` must be a Record field, e.g., `Feature.name`")
    return inner


class FeatureSet(Record, TracksRun):
    """A set of features (a dataset's schema), identified by the hash of its members and
    shared between artifacts that measure the same set.

    ``ln.FeatureSet`` is another name for it, as in LaminDB 1.0.5.

    Args:
        features: Saved records of one registry: ``Feature`` records, or genes
            (``bt.Gene``) and the like.
        dtype: The type of the members' values; None for features (each has its
            own), ``"num"`` by default for other registries. A Python type (``int``)
            is taken by its name.
        name: A name.

    Constructing a schema whose members exist as a schema returns that one.

    Example:
        >>> features = ln.Feature.from_df(df).save()
        >>> schema = ln.Schema(features, name="my schema").save()
        >>> ln.Schema.from_values(["CD8A", "CD4"], bt.Gene.symbol, type=int).save()
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
        help_text="The registry of the members: 'Feature', or a module's registry such as 'bio.Gene'; LaminDB 1.0 "
        "calls it itype.",
    )
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True, unique=True,
        help_text="Hash of the members' uids: artifacts that measure the same members share one set.",
    )
    features = models.ManyToManyField(
        "core.Feature", through="FeatureSetFeature", related_name="feature_sets", blank=True,
        help_text="The features in the set, when registry is 'Feature'.",
    )

    # LaminDB 1.0's names in queries: Schema.filter(itype="Feature"), _links_artifact__slot="obs"
    _field_aliases = {"itype": "registry", "_links_artifact": "links_artifact", "_artifacts_m2m": "artifacts"}

    def __init__(self, *args, **kwargs):
        if args and len(args) == len(self._meta.concrete_fields):
            super().__init__(*args)  # a row from the database
            return
        if not args and "features" not in kwargs:
            # a record from its fields, as other registries: Schema(n=2, registry="bio.Gene")
            super().__init__(**kwargs)
            return
        if len(args) > 1:
            raise ValueError("Only one non-keyword arg allowed: features")
        features = args[0] if args else kwargs.pop("features")
        dtype = kwargs.pop("dtype", None)
        name = kwargs.pop("name", None)
        if kwargs:
            raise ValueError("Only features, dtype, name are valid keyword arguments")
        members = list(features) if not isinstance(features, models.Model) and hasattr(features, "__iter__") else features
        registry = _check_members(members)
        if dtype is None and registry is not Feature:
            dtype = NUMBER_TYPE
        digest = hash_members(m.uid for m in members)
        existing = type(self).objects.filter(hash=digest).first()
        if existing is not None:
            super().__init__(*[getattr(existing, f.attname) for f in self._meta.concrete_fields])
            self._state.adding = False
            self._state.db = existing._state.db
            return
        super().__init__(
            name=name, dtype=_type_str(dtype), n=len(members), registry=registry_name(registry), hash=digest,
        )
        self._members = members

    @property
    def itype(self) -> str:
        """The registry of the members (``registry``), by LaminDB 1.0's name."""
        return self.registry

    @itype.setter
    def itype(self, value: str) -> None:
        self.registry = value

    @property
    def members(self):
        """The members: the records passed, before the schema is saved; then a QuerySet.

        Example:
            >>> schema.members.df()
        """
        if self._state.adding:
            return getattr(self, "_members", [])
        relation = None
        for f in self._meta.get_fields():
            if f.many_to_many and registry_name(f.related_model) == self.registry:
                relation = f.name if f.concrete else f.get_accessor_name()
                break
        return getattr(self, relation or "features").all()

    def save(self, *args, **kwargs) -> Schema:
        """Save the schema and link its members.

        Example:
            >>> ln.Schema(features, name="my schema").save()
        """
        members = self.__dict__.pop("_members", None)
        super().save(*args, **kwargs)
        if members:
            self.add_members(members)
        return self

    @classmethod
    def from_values(
        cls, values: Any, field: Any = Feature.name, type: Any = None, name: str | None = None,
        mute: bool = False, organism: Any = None, source: Any = None, raise_validation_error: bool = True,
    ) -> Schema | None:
        """A schema of the records that hold ``values`` in ``field``; all must exist.

        Args:
            values: Feature names, gene symbols, ... (a list, a pandas Index).
            field: The field that holds them, e.g. ``bt.Gene.symbol``.
            type: The members' dtype; ``"num"`` by default for other registries than Feature.
            name: A name.
            organism: For registries whose records belong to an organism.
            raise_validation_error: Raise if a value is not validated; else leave it out.

        Raises:
            ln.errors.ValidationError: values that no record holds (they are listed).

        Example:
            >>> ln.Schema.from_values(["CD8A", "CD4"], bt.Gene.symbol, type=int).save()
        """
        registry = _field_attr(field).model
        values = values.tolist() if hasattr(values, "tolist") else list(values)
        if len(values) == 0:
            raise ValueError("Provide a list of at least one value")
        if registry is not Feature and type is None:
            type = NUMBER_TYPE
        extra = {"organism": organism} if organism is not None else {}
        validated = registry.validate(values, field=field, mute=True, **extra)
        good = [v for v, ok in zip(values, validated) if ok]
        if len(good) != len(values):
            bad = [v for v, ok in zip(values, validated) if not ok]
            if raise_validation_error:
                raise errors.ValidationError(
                    f"These values could not be validated: {bad}\n"
                    f"If there are no typos, add them to their registry: {registry.__name__}"
                )
            if not good:
                return None
        if source is not None:
            extra["source"] = source
        records = registry.from_values(good, field=field, mute=True, **extra)
        return cls(features=list(records), name=name, dtype=_type_str(type))

    @classmethod
    def from_df(
        cls, df: Any, field: Any = Feature.name, name: str | None = None, mute: bool = False,
        organism: Any = None, source: Any = None,
    ) -> Schema | None:
        """A schema of the columns of ``df`` that records hold in ``field`` (Feature
        names by default); None if no column is validated.

        For another registry than Feature, the columns must share one dtype, which
        becomes the schema's.

        Raises:
            ValueError: the validated columns have several dtypes.

        Example:
            >>> ln.Schema.from_df(df).save()
        """
        registry = _field_attr(field).model
        columns = [str(c) for c in df.columns]
        extra = {"organism": organism} if organism is not None else {}
        validated = registry.validate(columns, field=field, mute=True, **extra)
        good = [c for c, ok in zip(columns, validated) if ok]
        if not good:
            logger.warning("no validated features, skip creating feature set")
            return None
        if source is not None:
            extra["source"] = source
        records = list(registry.from_values(good, field=field, mute=True, **extra))
        if registry is Feature:
            return cls(features=records, name=name, dtype=None)
        dtypes = {df[c].dtype for c in good}
        if len(dtypes) != 1:
            raise ValueError(f"data types are heterogeneous: {dtypes}")
        return cls(features=records, name=name, dtype=dtype_from_pandas(next(iter(dtypes))))

    def add_members(self, members: list[models.Model]) -> None:
        """Link ``members``, records of one registry, to the set.

        Features are linked through ``features``; the records of a module's
        registry through the relation that registry declares to ``Schema``
        (its reverse, such as ``schema.genes``). A registry without such a
        relation has no member links; the set keeps its ``n`` and ``hash``.

        Example:
            >>> schema.add_members(list(ln.Feature.filter(name__in=["temperature", "study"])))
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


# LaminDB 1.0 calls the registry Schema and keeps FeatureSet as another name for it. Django's
# name for the model stays FeatureSet (model_name "featureset"), so that the migrations of
# modules that point to it (bio's genes) apply in any order and no table is renamed; the class
# reads as Schema (repr, registry listings, ln.Schema.__name__).
FeatureSet.__name__ = FeatureSet.__qualname__ = "Schema"
Schema = FeatureSet


def remove_from_schemas(feature: Feature) -> None:
    """Take ``feature`` out of every schema that holds it (LaminDB 1.0's
    ``make_external``): each schema gets the hash and ``n`` of its remaining members; one
    left without members is unlinked from its artifacts and deleted; one whose remaining
    members are another schema's hands its artifacts to that schema.

    Call it inside a transaction.
    """
    for schema in list(Schema.objects.filter(features=feature)):
        FeatureSetFeature.objects.filter(featureset=schema, feature=feature).delete()
        remaining = list(schema.features.values_list("uid", flat=True))
        links = schema.artifacts.through.objects.filter(featureset=schema)
        if not remaining:
            logger.warning(f"deleting empty feature set: {schema!r}")
            links.delete()
            schema.delete()
            continue
        digest = hash_members(remaining)
        twin = Schema.objects.filter(hash=digest).exclude(pk=schema.pk).first()
        if twin is None:
            schema.hash, schema.n = digest, len(remaining)
            schema.save()
            continue
        for link in links:  # the same members as twin: its artifacts move there
            if not links.model.objects.filter(artifact_id=link.artifact_id, featureset=twin).exists():
                links.model.objects.create(artifact_id=link.artifact_id, featureset=twin, slot=link.slot)
        links.delete()
        schema.delete()


class FeatureSetFeature(BasicRecord):
    """Links a ``Schema`` to its features."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    featureset = models.ForeignKey(Schema, models.CASCADE, related_name="+", help_text="The feature set.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, related_name="links_featureset",
        help_text="A feature in the set.",
    )

    class Meta:
        unique_together = ("featureset", "feature")


class ArtifactFeatureSet(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureSet``; ``slot`` says which part (``var``, ``obs``)."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey("core.Artifact", models.CASCADE, related_name="links_feature_set", help_text="The artifact.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.PROTECT, related_name="links_artifact",
        help_text="A feature set that the artifact measures.",
    )
    slot = models.CharField(
        max_length=40, null=True, blank=True, default=None,
        help_text="The part of the artifact that the set describes: 'columns' of a DataFrame, 'var' or 'obs' of an "
        "AnnData.",
    )
    feature_ref_is_semantic = models.BooleanField(
        null=True, blank=True, default=None,
        help_text="Whether the data names the members by a name or symbol (True) or by an id (False); None if unknown.",
    )

    class Meta:
        unique_together = ("artifact", "featureset")
