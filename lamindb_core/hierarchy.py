"""Hierarchies of records: the ancestors and descendants of a record whose registry has
``parents`` (and ``children``), and a view of them.

A registry with a many-to-many field ``parents`` to itself (``ULabel``, the ontology
registries of ``bio``) gets ``record.query_parents()``, ``record.query_children()`` and
``record.view_parents()`` through these functions. They walk the link table level by
level: one query per generation, however many records a generation holds.

Example:
    >>> query_parents(t_cell).values_list("name", flat=True)
    ['lymphocyte', 'leukocyte', 'cell', ...]
    >>> print(view_parents(t_cell, distance=2))
    T cell
    └── lymphocyte
        └── leukocyte
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from . import errors
from .introspect import name_field

if TYPE_CHECKING:
    from django.db import models

__all__ = ["Hierarchy", "query_children", "query_parents", "relative_ids", "view_parents"]


def _links(model: type[models.Model]) -> tuple[Any, str, str]:
    """The link table of ``model.parents`` and its (child column, parent column)."""
    try:
        field = model._meta.get_field("parents")
    except Exception:
        raise errors.InvalidArgument(f"{model.__name__} records have no parents") from None
    if not field.many_to_many or field.related_model is not model:
        raise errors.InvalidArgument(f"{model.__name__}.parents does not link {model.__name__} records")
    return field.remote_field.through, field.m2m_column_name(), field.m2m_reverse_name()


def relative_ids(
    record: models.Model, kind: Literal["parents", "children"], distance: int | None = None
) -> dict[int, list[int]]:
    """``{id: [ids of its parents (or children)]}`` for the record and its relatives up to
    ``distance`` generations away (None: all of them).

    Example:
        >>> relative_ids(label3, "parents")
        {3: [2], 2: [1], 1: []}
    """
    if record.pk is None:
        raise errors.InvalidArgument(f"save the {type(record).__name__} record before querying its {kind}")
    through, child, parent = _links(type(record))
    source, target = (child, parent) if kind == "parents" else (parent, child)
    edges: dict[int, list[int]] = {record.pk: []}
    frontier = [record.pk]
    generation = 0
    while frontier and (distance is None or generation < distance):
        generation += 1
        rows = through.objects.filter(**{f"{source}__in": frontier}).values_list(source, target)
        found: list[int] = []
        for a, b in rows:
            edges.setdefault(a, []).append(b)
            if b not in edges:
                edges[b] = []
                found.append(b)
        frontier = found
    return edges


def _relatives(record: models.Model, kind: Literal["parents", "children"]):
    ids = set(relative_ids(record, kind)) - {record.pk}
    return type(record).objects.filter(pk__in=ids)


def query_parents(record: models.Model):
    """All ancestors of a saved record (parents, their parents, ...), as a QuerySet.

    Example:
        >>> label3.query_parents().list("name")
        ['label1', 'label2']
    """
    return _relatives(record, "parents")


def query_children(record: models.Model):
    """All descendants of a saved record (children, their children, ...), as a QuerySet.

    Example:
        >>> label1.query_children().list("name")
        ['label2', 'label3']
    """
    return _relatives(record, "children")


class Hierarchy:
    """A record with its ancestors (and descendants) up to a distance: what
    ``view_parents`` returns.

    ``str()`` draws it as a tree (ancestors above, descendants below), ``.dot`` is the
    graph in Graphviz's DOT language, and in a notebook it renders as SVG if the
    ``graphviz`` package is installed, else as the text tree.

    Attributes:
        edges: ``(child label, parent label)`` pairs.
    """

    def __init__(self, label: str, parents: dict[str, list[str]], children: dict[str, list[str]]):
        self.label = label
        self._parents = parents
        self._children = children
        self.edges: list[tuple[str, str]] = [(c, p) for c, ps in parents.items() for p in ps]
        self.edges += [(c, p) for p, cs in children.items() for c in cs]

    def _tree(self, tree: dict[str, list[str]], root: str) -> list[str]:
        lines: list[str] = []

        def walk(label: str, prefix: str, seen: frozenset[str]) -> None:
            below = tree.get(label, [])
            for i, other in enumerate(below):
                last = i == len(below) - 1
                lines.append(f"{prefix}{'└── ' if last else '├── '}{other}")
                if other not in seen:  # a cycle is drawn once
                    walk(other, prefix + ("    " if last else "│   "), seen | {other})

        walk(root, "", frozenset({root}))
        return lines

    def __str__(self) -> str:
        lines = [self.label, *self._tree(self._parents, self.label)]
        if self._children:
            lines += ["children:", *self._tree(self._children, self.label)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    @property
    def dot(self) -> str:
        """The graph in DOT: an edge from each parent to its child, the record highlighted."""

        def quoted(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        lines = ["digraph parents {", "  node [shape=box, style=rounded]", f"  {quoted(self.label)} [style=\"rounded,filled\", fillcolor=honeydew]"]
        lines += [f"  {quoted(p)} -> {quoted(c)}" for c, p in dict.fromkeys(self.edges)]
        return "\n".join([*lines, "}"])

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        try:
            import graphviz
        except ImportError:
            return {"text/plain": str(self)}
        graph = graphviz.Digraph(node_attr={"shape": "box", "style": "rounded"})
        graph.node(self.label, style="rounded,filled", fillcolor="honeydew")
        for child, parent in dict.fromkeys(self.edges):
            graph.edge(parent, child)
        return graph._repr_mimebundle_(include=include, exclude=exclude)


def _labels(model: type[models.Model], ids: set[int], field: str) -> dict[int, str]:
    rows = model.objects.filter(pk__in=ids).values_list("pk", field)
    return {pk: str(value) if value is not None else f"{model.__name__} {pk}" for pk, value in rows}


def view_parents(record: models.Model, field: Any = None, with_children: bool = False, distance: int = 5) -> Hierarchy:
    """The record and its ancestors up to ``distance`` generations (with
    ``with_children``: its descendants too), labelled by ``field``.

    Args:
        record: A saved record of a registry with ``parents``.
        field: The field that labels each record: a name or ``Registry.field``;
            default the registry's name field.
        with_children: Show the descendants too.
        distance: How many generations to show.

    Example:
        >>> print(view_parents(label1, ln.ULabel.name, distance=1))
        label1
        └── label2
    """
    model = type(record)
    if field is None:
        field = name_field(model)
    field = getattr(getattr(field, "field", None), "name", field)
    if not isinstance(field, str):
        raise errors.InvalidArgument(f"field takes a field name or {model.__name__}.<field>, got {field!r}")
    up = relative_ids(record, "parents", distance)
    down = relative_ids(record, "children", distance) if with_children else {}
    labels = _labels(model, set(up) | set(down) | {record.pk}, field)

    def named(edges: dict[int, list[int]]) -> dict[str, list[str]]:
        return {labels[a]: [labels[b] for b in bs] for a, bs in edges.items() if bs}

    return Hierarchy(labels[record.pk], named(up), named(down))
