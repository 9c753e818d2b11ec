"""``Source``: which public source, and which version of it, records came from."""

from __future__ import annotations

from django.db import models

from ...models.record import ID_HELP, Record, TracksRun, TracksUpdates
from ...uids import base62_4


class Source(Record, TracksRun, TracksUpdates):
    """A public source of a bio registry in a given version, e.g. the Cell Ontology v2026-03-26.

    A row is written the first time records are made from a source
    (``from_source``, ``from_values``, curation); ``currently_used`` marks the
    version in use.
    ``aux`` records the package that shipped the data and its version.

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
