"""Lineage: which runs made a record and which records they read, and (with children) which
runs read it and what they made: ``artifact.view_lineage()``.

A record here is anything with a ``run`` (the run that made it) and ``input_of_runs`` (the
runs that read it), such as an artifact; a run's ``input_*`` and ``output_*`` relations
name what it read and made. Records come in as arguments; no registry is named. Each
generation costs a few queries; a record seen once is not walked again, so lineage with a
cycle (a run that reads its own output) ends.

Example:
    >>> print(view_lineage(artifact))
    artifact 'results/summary.csv' (Wd3Fm2Zk)
    └── run Ab3dE6gH of transform 'analysis.py'
        └── artifact 'raw/data.csv' (pQ9sL0aB)
"""

from __future__ import annotations

from typing import Any

from .hierarchy import Hierarchy

__all__ = ["view_lineage"]


def _label(record: Any) -> str:
    """How a record shows in the lineage: its kind and its key (or description, or uid)."""
    kind = type(record).__name__.lower()
    if kind == "run":
        transform = record.transform
        name = transform.key or transform.description or transform.uid
        return f"run {record.uid[:8]} of transform '{name}'"
    name = getattr(record, "key", None) or getattr(record, "description", None)
    # the uid tells versions (and records of one name) apart
    return f"{kind} '{name}' ({record.uid[:8]})" if name else f"{kind} {record.uid}"


def _run_relations(run: Any, prefix: str) -> list[str]:
    """The names of a run's relations to records it read (``input_``) or made (``output_``)."""
    names = set()
    for field in type(run)._meta.get_fields():
        if not field.is_relation or not (field.many_to_many or field.one_to_many):
            continue
        accessor = field.name if field.concrete else field.get_accessor_name()
        if accessor and accessor.startswith(prefix):
            names.add(accessor)
    return sorted(names)


def _walk(record: Any, upward: bool, distance: int) -> dict[str, list[str]]:
    """``{label: [labels one step away]}``: upward, the run that made a record and the records
    that run read; downward, the runs that read a record and the records they made."""
    edges: dict[str, list[str]] = {}
    seen = {(type(record), record.pk)}
    frontier = [record]
    for _ in range(distance):
        next_frontier = []
        for item in frontier:
            if type(item).__name__ == "Run":
                relations = _run_relations(item, "input_" if upward else "output_")
                linked = [other for name in relations for other in getattr(item, name).all().order_by("id")]
            elif upward:
                linked = [item.run] if getattr(item, "run_id", None) is not None else []
            else:
                linked = list(item.input_of_runs.all().order_by("id")) if hasattr(item, "input_of_runs") else []
            edges[_label(item)] = [_label(other) for other in linked]
            for other in linked:
                if (type(other), other.pk) not in seen:
                    seen.add((type(other), other.pk))
                    next_frontier.append(other)
        frontier = next_frontier
    return {label: others for label, others in edges.items() if others}


def view_lineage(record: Any, with_children: bool = True, distance: int = 5) -> Hierarchy:
    """The record with the runs that made it and their inputs, up to ``distance`` steps
    (with ``with_children``, the runs that read it and their outputs too).

    Shown as a tree (``str()``), in a notebook as a graph if ``graphviz`` is installed;
    ``.edges`` holds the pairs.

    Args:
        record: A saved artifact (or another record with ``run`` and ``input_of_runs``).
        with_children: Show what was made from the record as well.
        distance: How many steps to follow each way.

    Example:
        >>> print(view_lineage(artifact, with_children=False))
    """
    if record.pk is None:
        raise ValueError(f"save the {type(record).__name__} before viewing its lineage")
    up = _walk(record, upward=True, distance=distance)
    down = _walk(record, upward=False, distance=distance) if with_children else {}
    return Hierarchy(_label(record), up, down)
