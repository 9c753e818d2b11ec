"""``artifact.describe()``: an artifact's fields, provenance, schemas, features and labels
as a tree, in the sections LaminDB 1.0 shows.

Sections: General (the fields), Provenance (storage, transform, run, creator, and whether
the artifact is stale: an input of its run has a newer version now),
Dataset features/schema (per slot, such as ``obs`` or ``var``, the members of the linked
schema with their dtype and the artifact's values), Linked features (feature values that
no linked schema holds) and Labels (per label registry). A fixed number of queries: one
for the feature values, one per label link table, one per linked schema, and a few per
generation of lineage for the stale check.
"""

from __future__ import annotations

from django.db import models

from .. import lineage
from ..introspect import name_field
from ..render import tree_text
from ..valueset import sorted_values
from .annotations import _values_of
from .feature import Feature
from .links import label_links

__all__ = ["artifact_tree"]

MAX_MEMBERS = 20  # members of a schema shown; the count says how many there are


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    # rows of cells in aligned columns; trailing spaces dropped
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _general(artifact: models.Model) -> list[str]:
    lines = []
    for name in ("uid", "key", "description", "suffix", "kind", "otype", "size", "hash",
                 "n_files", "n_observations", "version", "is_latest"):
        value = getattr(artifact, name, None)
        if value is not None and value != "":
            lines.append(f".{name} = {value!r}")
    # where the data is, as LaminDB shows it: the stored copy (a local path or s3://...), or,
    # before the artifact is saved, the file it is made from
    try:
        path = artifact.path
    except Exception:  # no data to point at (a record made from a key and a suffix only)
        path = None
    if path is not None:
        lines.append(f".path = {path}")
    return lines


def _provenance(artifact: models.Model) -> list[str]:
    lines = []
    run = artifact.run
    transform = run.transform if run is not None else None
    creator = artifact.created_by
    for label, value in (
        ("storage", artifact.storage.root if artifact.storage_id else None),
        ("transform", (transform.key or transform.uid) if transform is not None else None),
        ("run", f"{run.uid} started {run.started_at:%Y-%m-%d %H:%M:%S %Z}" if run is not None else None),
        ("created_by", f"{creator.handle} ({creator.name})" if creator is not None else None),
        ("created_at", f"{artifact.created_at:%Y-%m-%d %H:%M:%S %Z}" if artifact.created_at else None),
    ):
        if value is not None:
            lines.append(f".{label} = {value}")
    stale = lineage.stale_reason(artifact)  # None for an unsaved artifact
    if stale:
        lines.append(f"stale: {stale}")
    return lines


def _schemas(artifact: models.Model, cells: dict) -> tuple[list, set[str]]:
    """The schema section's items, and the names of the features it shows."""
    items, shown = [], set()
    links = artifact.feature_sets.through.objects.filter(artifact=artifact).select_related("featureset")
    for link in links.order_by("id"):
        schema = link.featureset
        members = list(schema.members[: MAX_MEMBERS + 1])
        rows = []
        for member in members[:MAX_MEMBERS]:
            if isinstance(member, Feature):
                shown.add(member.name)
                values = cells.get(member.name, {}).get(artifact.pk)
                rows.append((member.name, member.dtype, ", ".join(map(str, values)) if values else ""))
            else:
                rows.append((str(getattr(member, name_field(type(member)))), schema.dtype or ""))
        lines = _columns(rows)
        if len(members) > MAX_MEMBERS:
            lines.append(f"... {schema.n - MAX_MEMBERS} more")
        items.append((f"{link.slot or 'unnamed'} • {schema.n}  [{schema.registry}]", lines))
    return items, shown


def artifact_tree(artifact: models.Model) -> str:
    """A readable tree: the artifact's fields, provenance, schemas, features with dtypes
    and values, and labels.

    Example:
        >>> print(artifact_tree(artifact))
        Artifact .h5ad/AnnData
        ├── General
        │   ├── .uid = 'jGN3p3eaCksf7tPQ0000'
        ...
        ├── Dataset features/schema
        │   └── obs • 2  [Feature]
        │       ├── cell_medium  cat[ULabel]  DMSO, IFNG
        ...
    """
    title = "Artifact " + "/".join(x for x in (artifact.suffix, artifact.otype) if x)
    saved = artifact.pk is not None  # an unsaved artifact has fields, and no annotations yet
    cells, meta = _values_of([artifact.pk], None, type(artifact)) if saved else ({}, {})
    schema_items, in_schema = _schemas(artifact, cells) if saved else ([], set())
    linked = [n for n in cells if n not in in_schema]
    rows = []
    for name in sorted(linked, key=lambda n: (not meta[n][2], meta[n][0])):
        values = ", ".join(map(str, cells[name][artifact.pk]))  # a ValueSet: sorted
        rows.append((name, meta[name][1], values))
    labels = []
    for registry, (field, *_rest) in (label_links(type(artifact)) if saved else {}).items():
        names = list(getattr(artifact, field).values_list(name_field(registry), flat=True).distinct()[:20])
        if names:
            labels.append((f".{field}", registry.__name__, ", ".join(map(str, sorted_values(names)))))
    return tree_text(title, [
        ("General", _general(artifact)),
        ("Provenance", _provenance(artifact)),
        ("Dataset features/schema", schema_items),
        ("Linked features", _columns(rows)),
        ("Labels", _columns(labels)),
    ])
