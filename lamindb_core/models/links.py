"""The link tables of an artifact registry: to feature values and to each label registry.

The artifact registry comes in as an argument (``type(artifact)``, ``qs.model``): its
links are read from its relations, so that modules' registries (``bio``) count as well.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, models

from ..instance import absent_tables

__all__ = ["value_links", "label_links"]


def value_links(artifact_model: type[models.Model]) -> type[models.Model]:
    """The link table between ``artifact_model`` and ``FeatureValue``.

    Example:
        >>> value_links(ln.Artifact)
        <class 'lamindb_core.models.artifact.ArtifactFeatureValue'>
    """
    return artifact_model._meta.get_field("_feature_values").remote_field.through


def label_links(artifact_model: type[models.Model], using: str = DEFAULT_DB_ALIAS) -> dict[type, tuple[str, type, str, str]]:
    """For each label registry that artifacts link to with a feature: the name of
    the relation on the artifact, its link table, and the link table's fields to
    the artifact and to the label.

    Relations declared on the artifact (``Artifact.ulabels``) and on the label
    registry (a module's registry with ``artifacts = ManyToManyField(Artifact, ...)``)
    both count, unless the instance at ``using`` lacks the registry's module.

    Example:
        >>> label_links(ln.Artifact)[ln.ULabel]
        ('ulabels', ArtifactULabel, 'artifact', 'ulabel')
    """
    result = {}
    absent = absent_tables(using)
    for f in artifact_model._meta.get_fields():
        if not f.many_to_many or f.related_model._meta.db_table in absent:
            continue
        if f.concrete:  # declared on the artifact
            through, target = f.remote_field.through, f.related_model
            artifact_fk, label_fk, name = f.m2m_field_name(), f.m2m_reverse_field_name(), f.name
        else:  # declared on the label registry
            through, target = f.through, f.related_model
            artifact_fk, label_fk = f.field.m2m_reverse_field_name(), f.field.m2m_field_name()
            name = f.get_accessor_name()
        if any(tf.name == "feature" for tf in through._meta.concrete_fields):
            result[target] = (name, through, artifact_fk, label_fk)
    return result
