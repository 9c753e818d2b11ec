"""``artifact.labels``: add, get and copy the labels of an artifact, for a feature or without."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction

from .. import errors
from ..dtypes import parse_dtype
from ..introspect import name_field
from ..logger import logger
from .annotations import _save_label_links, settle_bare_cat
from .feature import Feature
from .links import label_links

__all__ = ["LabelManager", "LabelsDescriptor"]


class LabelManager:
    """``artifact.labels``: add and get labels, optionally for a feature.

    Example:
        >>> artifact.labels.add(study1, feature=study)
        >>> artifact.labels.get(study)
    """

    def __init__(self, artifact: models.Model):
        self.artifact = artifact

    def _feature(self, feature: str | Feature | None) -> Feature | None:
        if feature is None or isinstance(feature, Feature):
            return feature
        try:
            return Feature.objects.get(name=feature)
        except Feature.DoesNotExist:
            # LaminDB 1.0 takes only a Feature (TypeError); a name is taken too, if a feature has it
            raise TypeError(f"feature has to be a Feature or the name of one: no feature is named {feature!r}") from None

    def add(self, records: models.Model | Iterable[models.Model] | str, feature: str | Feature | None = None) -> None:
        """Link labels (records of a label registry) to the artifact, for ``feature`` or without one.

        Names (strings) are taken for a saved categorical feature: they name records of
        the feature's first registry (``ULabel`` for ``cat[ULabel]``). A label that the
        artifact has without a feature is moved to the feature.

        Raises:
            ValueError: the artifact is not saved, or names come without a saved feature.
            ln.errors.ValidationError: the feature's dtype does not admit this registry,
                or a record or the feature is unsaved.
            TypeError: no feature has the name given for ``feature``.

        Example:
            >>> artifact.labels.add(ln.ULabel.get(name="project 1"), feature=project)
            >>> artifact.labels.add(["DMSO", "IFNG"], feature=cell_medium)
        """
        if isinstance(records, (str, models.Model)):
            items = [records]
        elif isinstance(records, models.QuerySet):
            items = list(records)
        else:
            items = list(records)
        if not items:
            return
        if self.artifact._state.adding or self.artifact.pk is None:
            raise ValueError("Please save the artifact/collection before adding a label!")
        if isinstance(feature, Feature) and (feature._state.adding or feature.pk is None):
            if any(isinstance(item, str) for item in items):
                self._resolve_names(items, None)  # names need a saved feature: LaminDB's ValueError
            for record in items:  # LaminDB checks the records before the feature
                if isinstance(record, models.Model) and (record.pk is None or record._state.adding):
                    raise errors.ValidationError(f"{record!r} not validated. If it looks correct: record.save()")
            dtype = feature.dtype if feature.dtype and feature.dtype != "cat" else "cat[ULabel]"
            raise errors.ValidationError(
                f"Feature not validated. If it looks correct: ln.Feature(name='{feature.name}', type='{dtype}').save()"
            )
        feature = self._feature(feature)
        if any(isinstance(item, str) for item in items):
            items = self._resolve_names(items, feature)
        links = label_links(type(self.artifact))
        triples = []
        for record in items:
            if not isinstance(record, models.Model) or type(record) not in links:
                names = ", ".join(m.__name__ for m in links)
                raise errors.ValidationError(f"{record!r} is not a label; labels are records of {names}")
            if record.pk is None or record._state.adding:
                raise errors.ValidationError(f"{record!r} not validated. If it looks correct: record.save()")
            if feature is not None and feature.dtype.strip() != "cat":  # a bare cat takes any label registry
                targets = parse_dtype(feature.dtype)
                if isinstance(targets, str) or not any(type(record) is t.model for t in targets):
                    raise errors.ValidationError(
                        f"feature '{feature.name}' has dtype '{feature.dtype}': it takes no {type(record).__name__} records"
                    )
            triples.append((self.artifact, feature, record))
        with transaction.atomic():
            settle_bare_cat(triples)
            by_registry: dict[type, list] = {}
            for triple in triples:
                by_registry.setdefault(type(triple[2]), []).append(triple)
            for registry, group in by_registry.items():
                _save_label_links(links[registry], group)

    @staticmethod
    def _resolve_names(items: list, feature: Feature | None) -> list:
        # names of records of the feature's first registry; every name must exist
        names = [item for item in items if isinstance(item, str)]
        if feature is None or not feature.dtype.startswith("cat"):
            raise ValueError(
                "Please pass a record (a `Record` object), not a string, e.g., via: "
                f"label = ln.ULabel(name='{names[0]}')"
            )
        target = parse_dtype(feature.dtype)[0]
        field = target.match_field()
        found = {getattr(r, field): r for r in target.model.objects.filter(**{f"{field}__in": names})}
        missing = [n for n in dict.fromkeys(names) if n not in found]
        if missing:
            raise errors.ValidationError(
                f"These values could not be validated: {missing}\nHere is how to create them: "
                f"ln.save({target.model.__name__}.from_values({missing}, create=True))"
            )
        return [found[item] if isinstance(item, str) else item for item in items]

    def add_from(self, other: models.Model) -> None:
        """Link every label of ``other``, an artifact, to this one, each for the feature it
        has there (or without one).

        Example:
            >>> artifact2.labels.add_from(artifact1)
        """
        if self.artifact._state.adding or self.artifact.pk is None:
            raise ValueError("Please save the artifact/collection before adding a label!")
        if not isinstance(other, type(self.artifact)):
            raise errors.InvalidArgument(f"add_from() takes a {type(self.artifact).__name__}, got {type(other).__name__}")
        links = label_links(type(self.artifact))
        features = {}
        with transaction.atomic():
            for registry, link in links.items():
                _, through, artifact_fk, label_fk = link
                rows = list(through.objects.filter(**{artifact_fk: other}).values_list(f"{label_fk}_id", "feature_id"))
                if not rows:
                    continue
                records = registry._base_manager.in_bulk({r for r, _ in rows})
                wanted = {f for _, f in rows if f is not None} - set(features)
                features.update(Feature.objects.in_bulk(wanted))
                triples = [(self.artifact, features.get(f) if f is not None else None, records[r]) for r, f in rows]
                _save_label_links(link, triples)

    def make_external(self, label: models.Model) -> None:
        """Dissociate ``label`` from the features it was added for on this artifact, so
        that it can be renamed; the artifact keeps the label, without a feature.

        Example:
            >>> artifact.labels.make_external(ln.ULabel.get(name="old name"))
        """
        links = label_links(type(self.artifact))
        if type(label) not in links:
            raise errors.ValidationError(f"{label!r} is not a label of {type(self.artifact).__name__}")
        _, through, artifact_fk, label_fk = links[type(label)]
        rows = through.objects.filter(**{artifact_fk: self.artifact, label_fk: label})
        features = list(rows.filter(feature__isnull=False).values_list("feature__name", flat=True).distinct())
        with transaction.atomic():
            if rows.filter(feature__isnull=True).exists():
                rows.filter(feature__isnull=False).delete()
            else:
                keep = rows.filter(feature__isnull=False).order_by("id").first()
                if keep is not None:
                    rows.filter(feature__isnull=False).exclude(pk=keep.pk).delete()
                    refs = {"feature_ref_is_name": None} if hasattr(keep, "feature_ref_is_name") else {}
                    rows.filter(pk=keep.pk).update(feature=None, **refs)
        if features:
            logger.warning(
                f'{type(label).__name__} "{getattr(label, name_field(type(label)))}" is no longer associated with '
                f"the following feature{'s' if len(features) > 1 else ''}:\n{features}"
            )

    def get(self, feature: str | Feature, flat_names: bool = False, mute: bool = False) -> models.QuerySet | dict | list:
        """The labels added for ``feature``: a QuerySet, or ``{registry: QuerySet}``
        when the feature admits several registries; with ``flat_names``, the names of
        all of them in one list.

        Raises:
            TypeError: ``feature`` is neither a Feature nor the name of one.

        Example:
            >>> artifact.labels.get(cell_type).list("name")
            >>> artifact.labels.get(cell_type, flat_names=True)
        """
        if not isinstance(feature, (str, Feature)):
            raise TypeError(f"feature has to be a Feature or the name of one, got {type(feature).__name__}")
        feature = self._feature(feature)
        targets = parse_dtype(feature.dtype)
        if isinstance(targets, str):
            raise errors.ValidationError(f"feature '{feature.name}' has dtype '{feature.dtype}': it has values, not labels; use artifact.features.get_values()")
        links = label_links(type(self.artifact))
        result = {}
        for target in targets:
            model = target.model
            _, through, artifact_fk, label_fk = links[model]
            related_query = through._meta.get_field(label_fk).remote_field.related_name or through.__name__.lower()
            result[target.display] = model.objects.filter(
                **{f"{related_query}__{artifact_fk}": self.artifact, f"{related_query}__feature": feature}
            ).distinct()
        if flat_names:
            return [getattr(r, name_field(type(r))) for qs in result.values() for r in qs]
        return next(iter(result.values())) if len(result) == 1 else result

    def __repr__(self) -> str:
        lines = []
        for registry, (field, *_rest) in label_links(type(self.artifact)).items():
            names = list(getattr(self.artifact, field).values_list(name_field(registry), flat=True)[:20])
            if names:
                lines.append(f".{field}: {', '.join(map(str, names))}")
        return "\n".join(lines) or "no labels"


class LabelsDescriptor:
    """``artifact.labels``."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return LabelManager(instance)
