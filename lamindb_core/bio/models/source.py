"""``Source``: which public source, and which version of it, records came from."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, models

from ...models.record import ID_HELP, Record, TracksRun, TracksUpdates
from ...uids import base62_4
from ..sources import SOURCES, SourceSpec, SourceUnavailable
from ..uids import hashed_uid

__all__ = ["Source", "seed_sources"]


class Source(Record, TracksRun, TracksUpdates):
    """A public source of a bio registry in a given version, e.g. the Cell Ontology v2026-03-26.

    A new instance starts with a row for each source that ships offline (the
    ``bio`` extra's packages); a source that appears later (a package upgraded to
    a new ontology release) gets its row the first time records are made from it
    (``from_source``, ``from_values``, curation). ``currently_used`` marks the
    version in use, ``in_db`` whether the registry holds all of its terms.
    ``aux`` records the package that shipped the data and its version. The uid is
    the hash of entity, name, organism and version.

    Example:
        >>> bt.Source.filter(entity="bio.CellType", currently_used=True).one()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=4, default=base62_4,
        help_text="Universal id, valid across instances; 4 characters.",
    )
    entity = models.CharField(
        max_length=256, db_index=True,
        help_text="The registry the source is for, e.g. 'bio.CellType'.",
    )
    organism = models.CharField(
        max_length=64, db_index=True,
        help_text="The organism the source is for: 'all', or e.g. 'human' or 'mouse'.",
    )
    name = models.CharField(
        max_length=64, db_index=True,
        help_text="Short name of the source, e.g. 'cl' (Cell Ontology) or 'ensembl'.",
    )
    in_db = models.BooleanField(
        default=False,
        help_text="Whether all terms of the source were saved into the registry.",
    )
    currently_used = models.BooleanField(
        default=False, db_index=True,
        help_text="Whether this is the version that from_source(), from_values() and curation use.",
    )
    description = models.TextField(
        null=True, blank=True, default=None,
        help_text="The source's full name, e.g. 'Cell Ontology'.",
    )
    url = models.CharField(
        max_length=512, null=True, blank=True, default=None,
        help_text="Where this version of the source is published.",
    )
    md5 = models.CharField(max_length=64, null=True, blank=True, default=None, help_text="MD5 hash of the source file.")
    source_website = models.CharField(
        max_length=512, null=True, blank=True, default=None,
        help_text="The source's website.",
    )
    dataframe_artifact = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="+",
        help_text="An artifact holding the source as a DataFrame.",
    )
    version = models.CharField(max_length=256, db_index=True, help_text="Version of the source, e.g. '2024-08-16'.")

    class Meta:
        unique_together = ("entity", "name", "organism", "version")

    def __init__(self, *args, **kwargs):
        # the same source and version has the same uid everywhere (Django's own calls pass args)
        if kwargs and not args and not kwargs.get("uid"):
            key = "".join(str(kwargs.get(k) or "") for k in ("entity", "name", "organism", "version"))
            if key:
                kwargs["uid"] = hashed_uid(key, 4)
        super().__init__(*args, **kwargs)

    @classmethod
    def of_spec(cls, spec: SourceSpec, currently_used: bool = True, **kwargs: Any) -> Source:
        """An unsaved record of a public source that ships offline.

        Raises:
            lamindb_core.bio.sources.SourceUnavailable: its package is not installed.
        """
        return cls(
            entity=f"bio.{spec.entity}",
            organism=spec.organism,
            name=spec.name,
            version=spec.version,
            in_db=False,
            currently_used=currently_used,
            description=spec.description,
            url=spec.url,
            source_website=spec.website,
            aux={"package": spec.package, "package_version": spec.package_version},
            **kwargs,
        )

    def set_as_currently_used(self) -> Source:
        """Make this the version that ``from_source()``, ``from_values()`` and curation use.

        Example:
            >>> bt.Source.get(entity="bio.CellType", version="2024-08-16").set_as_currently_used()
        """
        type(self).objects.filter(entity=self.entity, organism=self.organism, name=self.name).exclude(
            pk=self.pk
        ).update(currently_used=False)
        self.currently_used = True
        self.save()
        return self


def seed_sources(sender: Any, *, using: str, instance: Any = None, seeded: Any = None, **kwargs: Any) -> None:
    """``post_migrate`` handler of the bio app: a ``Source`` row for each public source
    that ships offline and has none yet, marked ``currently_used`` where no version of it is.

    Like the core app's seeds it runs for the current instance only (``instance`` and
    ``seeded``, sent by :mod:`lamindb_core.instance`); the local user's id comes from
    ``seeded.user_id``.
    """
    if instance is None or using != DEFAULT_DB_ALIAS or getattr(seeded, "user_id", None) is None:
        return
    existing = set(Source.objects.values_list("entity", "name", "organism", "version"))
    in_use = set(Source.objects.filter(currently_used=True).values_list("entity", "name", "organism"))
    new = []
    for spec in SOURCES:
        try:
            key = (f"bio.{spec.entity}", spec.name, spec.organism, spec.version)
            if key in existing:
                continue
            new.append(Source.of_spec(spec, currently_used=key[:3] not in in_use, created_by_id=seeded.user_id))
        except (SourceUnavailable, KeyError, OSError):
            continue  # the package that ships it is not installed
    Source.objects.bulk_create(new, ignore_conflicts=True)
