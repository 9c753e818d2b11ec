"""``ArtifactQuerySet``: the QuerySet of ``Artifact``, whose ``df()`` adds feature columns."""

from __future__ import annotations

from django.db import models

from .. import collector
from ..dataframe import queryset_to_df
from ..query import RecordQuerySet
from .feature_table import features_table

__all__ = ["ArtifactQuerySet", "ArtifactManager"]


class ArtifactQuerySet(RecordQuerySet):
    """The QuerySet of ``Artifact``: ``df(features=...)`` adds a column per feature.

    Every query of artifacts is one, also through a related manager
    (``ulabel.artifacts.df(features=True)``).
    """

    supports_features = True
    """Whether ``df(features=...)`` works: for artifacts, yes."""

    def df(self, include: str | list[str] | None = None, features: bool | list[str] = False):
        """The artifacts as a ``pandas.DataFrame``, with a column per feature if asked.

        Args:
            include: Related fields to add as columns, as for any registry.
            features: ``True`` for every feature that one of the artifacts has, or
                a list of feature names. A cell is the set of values the artifact
                has (labels by name), NaN where it has none. The first four
                columns of the artifact come first; the dtypes of the features go
                to ``df.attrs["feature_dtypes"]``.

        Raises:
            ln.errors.FieldValidationError: an unknown feature name; the message
                names the closest one.

        Example:
            >>> ln.Artifact.filter(suffix=".h5ad").df(features=["cell_medium", "temperature"])
        """
        if not features:
            return super().df(include=include)
        with collector.paused():
            df = queryset_to_df(self, include=include, short=True)
            if len(df):  # an empty table gets no feature columns, as before any artifact exists
                df = features_table(df, self, features)
        return self._scored(df)


class ArtifactManager(models.Manager.from_queryset(ArtifactQuerySet)):
    """The default manager of ``Artifact`` (``Artifact.objects``)."""
