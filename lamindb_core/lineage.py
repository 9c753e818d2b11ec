"""Lineage: the runs that made a record and what they read, and (with children) the runs that
read it and what they made, as a graph: ``artifact.view_lineage()``.

Nodes are artifacts, collections, runs and transforms; an edge points the way data flows
(input -> run -> output; an artifact -> a collection that holds it; a transform -> its runs).
A run's label names its transform. The graph walks one generation at a time with a few
``__in`` queries per generation (never one per node), sees each node once (so a cycle, such as
a run that reads its own output, ends), and keeps at most ``max_nodes`` nodes, nearest to the
focus first; ``more`` counts those left out.

Which registries take part is read from the run registry's relations (``input_*`` are what a
run reads, ``output_*`` what it makes); no registry is named here, so registries that gain
inputs later (collections) join by themselves.

A record is *stale* when the run that made it read an input that has a newer version now, or
an input that is itself stale (upstream, at any distance): :func:`stale_reason`, which
``artifact.describe()`` shows, and the ``stale`` mark of the graph's nodes.

Example:
    >>> graph = artifact.view_lineage()
    >>> graph.to_dict()["nodes"][0]
    {'id': 'artifact:2', 'registry': 'Artifact', 'uid': 'Wd3Fm2Zk...', 'label': 'result.parquet', 'stale': False}
    >>> print(graph)          # text; in Jupyter an SVG (or mermaid) drawing
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.functions import Substr

from . import lineage_render

__all__ = ["LineageGraph", "LineageNode", "graph", "node_id", "stale_reason"]

MAX_NODES = 500  # nodes a graph keeps by default; the rest are counted in ``more``
WALK_LIMIT = 50_000  # nodes a walk visits at most: beyond it ``more`` is a lower bound
CHUNK = 900  # ids per ``__in`` query (SQLite's old limit of bound variables is 999)
LABEL_CHARS = 48


def node_id(record: models.Model) -> str:
    """The node id of a record: ``"<registry lower>:<pk>"``, e.g. ``"artifact:12"``."""
    return f"{record._meta.model_name}:{record.pk}"


def _chunks(ids: list) -> list[list]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _pairs(queryset: models.QuerySet, key: str, ids: set, *columns: str) -> list[tuple]:
    """``values_list(*columns)`` of the rows whose ``key`` is in ``ids``, chunked."""
    rows: list[tuple] = []
    for part in _chunks(sorted(ids)):
        rows.extend(queryset.filter(**{f"{key}__in": part}).values_list(*columns))
    return rows


class _Links:
    """How runs, transforms and data registries link, read from the run registry's fields.

    ``inputs``: data model -> (link table, its column of the data record, its column of the run);
    ``outputs``: data model -> the column of its run; ``parts``: a model whose records hold
    records of another data model (a collection its artifacts) -> (link table, whole column,
    part column, part model).
    """

    def __init__(self, model: type[models.Model]):
        fields = {f.name: f for f in model._meta.get_fields()}
        if "runs" in fields and not fields["runs"].concrete:  # a transform
            run = fields["runs"].related_model
        elif "run" in fields and fields["run"].concrete:  # a record a run made
            run = fields["run"].related_model
        elif "transform" in fields and fields["transform"].concrete:  # a run
            run = model
        else:
            raise TypeError(f"{model.__name__} has no lineage: pass an artifact, collection, run or transform")
        self.run = run
        self.transform = run._meta.get_field("transform").related_model
        self.inputs: dict[type, tuple[type, str, str]] = {}
        self.outputs: dict[type, str] = {}
        for rel in run._meta.get_fields():
            if not rel.is_relation or rel.concrete:
                continue
            name = rel.get_accessor_name()
            if rel.many_to_many and name.startswith("input_"):
                m2m = rel.field
                through = m2m.remote_field.through
                data_col = through._meta.get_field(m2m.m2m_field_name()).attname
                run_col = through._meta.get_field(m2m.m2m_reverse_field_name()).attname
                self.inputs[rel.related_model] = (through, data_col, run_col)
            elif rel.one_to_many and name.startswith("output_"):
                self.outputs[rel.related_model] = rel.field.attname
        data = set(self.inputs) | set(self.outputs)
        self.parts: dict[type, tuple[type, str, str, type]] = {}
        for whole in data:
            for f in whole._meta.get_fields():
                if f.many_to_many and f.concrete and f.related_model in data and f.related_model is not whole:
                    through = f.remote_field.through
                    self.parts[whole] = (
                        through,
                        through._meta.get_field(f.m2m_field_name()).attname,
                        through._meta.get_field(f.m2m_reverse_field_name()).attname,
                        f.related_model,
                    )
        self.data = data
        self.models = {m._meta.model_name: m for m in (run, self.transform, *sorted(data, key=lambda m: m.__name__))}
        if model not in self.models.values():
            raise TypeError(f"{model.__name__} has no lineage: pass an artifact, collection, run or transform")

    def split(self, nodes: set[str]) -> dict[type, set[int]]:
        """Node ids grouped by registry: ``{Artifact: {1, 2}, Run: {3}}``."""
        groups: dict[type, set[int]] = {}
        for node in nodes:
            name, pk = node.split(":")
            groups.setdefault(self.models[name], set()).add(int(pk))
        return groups

    def up(self, nodes: set[str]) -> list[tuple[str, str]]:
        """Edges into ``nodes``: the runs that made them, what runs read, a collection's parts."""
        edges = []
        for model, ids in self.split(nodes).items():
            name = model._meta.model_name
            if model is self.run:
                for data, (through, data_col, run_col) in self.inputs.items():
                    dname = data._meta.model_name
                    for d, r in _pairs(through.objects, run_col, ids, data_col, run_col):
                        edges.append((f"{dname}:{d}", f"{name}:{r}"))
            elif model in self.data:
                col = self.outputs.get(model)
                if col is not None:
                    rows = _pairs(model._base_manager.exclude(**{f"{col}__isnull": True}), "pk", ids, "pk", col)
                    edges.extend((f"{self.run._meta.model_name}:{r}", f"{name}:{pk}") for pk, r in rows)
                if model in self.parts:
                    through, whole_col, part_col, part = self.parts[model]
                    pname = part._meta.model_name
                    for w, p in _pairs(through.objects, whole_col, ids, whole_col, part_col):
                        edges.append((f"{pname}:{p}", f"{name}:{w}"))
        return edges

    def down(self, nodes: set[str]) -> list[tuple[str, str]]:
        """Edges out of ``nodes``: what runs made, the runs that read them, collections holding
        them, a transform's runs."""
        edges = []
        rname = self.run._meta.model_name
        for model, ids in self.split(nodes).items():
            name = model._meta.model_name
            if model is self.run:
                for data, col in self.outputs.items():
                    dname = data._meta.model_name
                    for pk, r in _pairs(data._base_manager, col, ids, "pk", col):
                        edges.append((f"{name}:{r}", f"{dname}:{pk}"))
            elif model is self.transform:
                for pk, t in _pairs(self.run._base_manager, "transform_id", ids, "pk", "transform_id"):
                    edges.append((f"{name}:{t}", f"{rname}:{pk}"))
            else:
                if model in self.inputs:
                    through, data_col, run_col = self.inputs[model]
                    for d, r in _pairs(through.objects, data_col, ids, data_col, run_col):
                        edges.append((f"{name}:{d}", f"{rname}:{r}"))
                for whole, (through, whole_col, part_col, part) in self.parts.items():
                    if part is model:
                        wname = whole._meta.model_name
                        for w, p in _pairs(through.objects, part_col, ids, whole_col, part_col):
                            edges.append((f"{name}:{p}", f"{wname}:{w}"))
        return edges


class _Upstream:
    """``links.up`` that remembers: a node's edges in are asked for once, so the stale check
    walks for free where the graph walked already."""

    def __init__(self, links: _Links):
        self.links = links
        self.known: dict[str, list[tuple[str, str]]] = {}

    def __call__(self, nodes: set[str]) -> list[tuple[str, str]]:
        new = nodes - self.known.keys()
        if new:
            for node in new:
                self.known[node] = []
            for edge in self.links.up(new):
                self.known[edge[1]].append(edge)
        return [edge for node in nodes for edge in self.known[node]]

    def through_runs(self, nodes: set[str]) -> list[tuple[str, str]]:
        """The edges in that pass a run: what runs read and made, not a collection's parts."""
        run = self.links.run._meta.model_name + ":"
        return [(s, t) for s, t in self(nodes) if s.startswith(run) or t.startswith(run)]


def _walk(step: Any, start: set[str], hops: int | None, seen: dict[str, int], edges: set,
          upward: bool, limit: int = WALK_LIMIT) -> None:
    """Breadth first from ``start`` along ``step``, ``hops`` generations at most (None: all);
    adds nodes to ``seen`` (node -> distance) and pairs to ``edges``."""
    frontier, distance = set(start), 0
    while frontier and (hops is None or distance < hops) and len(seen) < limit:
        distance += 1
        found = set()
        for source, target in step(frontier):
            edges.add((source, target))
            other = source if upward else target
            if other not in seen:
                seen[other] = distance
                found.add(other)
        frontier = found


# -- stale records ------------------------------------------------------------


def _outdated(links: _Links, nodes: set[str]) -> dict[str, models.Model]:
    """The data nodes that have a newer version now: node -> its newest version's record."""
    found: dict[str, models.Model] = {}
    for model, ids in links.split(nodes).items():
        if model not in links.data or not hasattr(model, "is_latest"):
            continue
        old = [(pk, uid) for pk, uid, latest in _pairs(model._base_manager, "pk", ids, "pk", "uid", "is_latest")
               if not latest]
        if not old:
            continue
        stem_len = model._meta.get_field("uid").max_length - 4
        stems = {uid[:stem_len] for _pk, uid in old}
        family = model._base_manager.annotate(_stem=Substr("uid", 1, stem_len))
        if any(f.name == "_branch_code" for f in model._meta.get_fields()):
            family = family.exclude(_branch_code=-1)  # a version in the trash is no newer version
        newest: dict[str, models.Model] = {}
        for part in _chunks(sorted(stems)):
            for record in family.filter(_stem__in=part).order_by("is_latest", "pk"):
                newest[record.uid[:stem_len]] = record  # the latest, else the last made, wins
        for pk, uid in old:
            newer = newest.get(uid[:stem_len])
            if newer is not None and newer.pk != pk and (newer.is_latest or newer.pk > pk):
                found[f"{model._meta.model_name}:{pk}"] = newer
    return found


@dataclass
class _Stale:
    """Why a node is stale: its run read ``via``; ``root`` (``via`` or upstream of it) has a
    newer version, ``newer``."""

    via: str
    root: str
    newer: models.Model


def _stale_map(links: _Links, starts: set[str], upstream: _Upstream | None = None,
               ) -> tuple[dict[str, _Stale], dict[str, models.Model]]:
    """For the data nodes ``starts`` and everything upstream of them (through runs' inputs):
    the stale ones with their reason, and the outdated ones with their newer version."""
    seen = {node: 0 for node in starts}
    edges: set[tuple[str, str]] = set()
    upstream = upstream or _Upstream(links)
    _walk(upstream.through_runs, starts, None, seen, edges, upward=True)
    outdated = _outdated(links, set(seen))
    readers: dict[str, list[str]] = {}
    for source, target in edges:
        readers.setdefault(source, []).append(target)
    stale: dict[str, _Stale] = {}
    queue = deque(sorted(outdated))
    while queue:
        node = queue.popleft()
        root = node if node in outdated else stale[node].root
        for run in readers.get(node, ()):
            for made in sorted(readers.get(run, ())):
                if made not in stale and made != node:
                    newer = outdated[root]
                    stale[made] = _Stale(via=node, root=root, newer=newer)
                    queue.append(made)
    return stale, outdated


def _name(record: models.Model) -> str:
    name = getattr(record, "key", None) or getattr(record, "description", None) or record.uid
    return f"'{name}' ({record.uid})"


def stale_reason(record: models.Model) -> str | None:
    """Why a saved artifact (or collection) is stale, or None: which input of the run that made
    it has a newer version now, or which input is itself stale and from what.

    Example:
        >>> stale_reason(result)
        "input 'raw.parquet' (pQ9sL0aBc2Xy7LmN0000) has a newer version: pQ9sL0aBc2Xy7LmN0001"
    """
    if record.pk is None:
        return None
    links = _Links(type(record))
    if type(record) not in links.data:
        return None
    node = node_id(record)
    stale, _outdated_nodes = _stale_map(links, {node})
    if node not in stale:
        return None
    reason = stale[node]
    records = _load(links, {reason.via, reason.root})
    via, root = records[reason.via], records[reason.root]
    if reason.via == reason.root:
        return f"input {_name(via)} has a newer version: {reason.newer.uid}"
    return f"input {_name(via)} is stale: upstream, {_name(root)} has a newer version: {reason.newer.uid}"


# -- the graph ----------------------------------------------------------------


def _short(text: str) -> str:
    # keys are paths: their end (the file name) tells most
    return text if len(text) <= LABEL_CHARS else "…" + text[-(LABEL_CHARS - 1):]


def _label(record: models.Model) -> str:
    """A node's short text: a key (or description, or uid), with the version if set; a run
    names its transform."""
    if hasattr(record, "transform_id"):  # a run (no data registry points to a transform)
        return _short(_label(record.transform)) + f" (run {record.uid[:8]})"
    name = getattr(record, "key", None) or getattr(record, "description", None) or record.uid[:12]
    version = getattr(record, "version", None)
    return _short(f"{name} v{version}" if version else str(name))


def _load(links: _Links, nodes: set[str]) -> dict[str, models.Model]:
    """The records of ``nodes``: one query (per chunk) per registry."""
    records = {}
    for model, ids in links.split(nodes).items():
        queryset = model._base_manager.all()
        if model is links.run:
            queryset = queryset.select_related("transform")
        for part in _chunks(sorted(ids)):
            for record in queryset.filter(pk__in=part):
                records[node_id(record)] = record
    return records


@dataclass
class LineageNode:
    """A node of a lineage graph.

    Attributes:
        id: ``"<registry lower>:<pk>"``, e.g. ``"artifact:12"``.
        registry: The registry's name, e.g. ``"Artifact"``.
        uid: The record's uid.
        label: Short text: a key, a description or a uid; a run's names its transform.
        stale: Whether an input of the run that made it has a newer version now (or is stale).
        note: What rendering adds: why it is stale, or that a newer version exists.
    """

    id: str
    registry: str
    uid: str
    label: str
    stale: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The node as JSON: ``{"id", "registry", "uid", "label", "stale"}``."""
        return {"id": self.id, "registry": self.registry, "uid": self.uid, "label": self.label, "stale": self.stale}


@dataclass
class LineageGraph:
    """A record's lineage: nodes (artifacts, collections, runs, transforms), edges in the
    direction of data flow, the focus (the record asked about) and ``more``, the number of
    nodes left out.

    In Jupyter it draws itself as SVG (with a mermaid and a text alternative); ``str()`` is
    the text form for a terminal; ``to_dict()`` is the JSON form.

    Example:
        >>> graph = ln.Artifact.get(key="result.parquet").view_lineage()
        >>> [node.label for node in graph.nodes]
        ['result.parquet', 'make.py (run Ab3dE6gH)', 'raw.parquet']
    """

    focus: str
    nodes: list[LineageNode]
    edges: list[tuple[str, str]]
    more: int = 0
    _by_id: dict[str, LineageNode] = field(default_factory=dict, repr=False)
    _layout: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {node.id: node for node in self.nodes}

    def node(self, id: str) -> LineageNode:
        """The node with this id, e.g. ``graph.node("artifact:12")``."""
        return self._by_id[id]

    def to_dict(self) -> dict[str, Any]:
        """The graph as JSON, as the REST API and the widget read it.

        Example:
            >>> graph.to_dict()
            {'focus': 'artifact:2', 'nodes': [{'id': 'artifact:2', 'registry': 'Artifact', 'uid': '...',
             'label': 'result.parquet', 'stale': False}, ...],
             'edges': [{'source': 'run:1', 'target': 'artifact:2'}, ...], 'more': 0}
        """
        return {
            "focus": self.focus,
            "nodes": [node.to_dict() for node in self.nodes],
            "edges": [{"source": s, "target": t} for s, t in self.edges],
            "more": self.more,
        }

    def layout(self) -> lineage_render.Layout:
        """Where each node is drawn (layers left to right, "+N more" boxes); made once."""
        if self._layout is None:
            self._layout = lineage_render.layout(self)
        return self._layout

    def to_svg(self) -> str:
        """The graph drawn as SVG, laid out in Python (no graphviz).

        Example:
            >>> Path("lineage.svg").write_text(artifact.view_lineage().to_svg())
        """
        return lineage_render.svg(self, self.layout())

    def to_mermaid(self) -> str:
        """The graph as a mermaid flowchart, e.g. for a Markdown file.

        Example:
            >>> print(artifact.view_lineage().to_mermaid())
            flowchart LR
            ...
        """
        return lineage_render.mermaid(self, self.layout())

    def to_text(self) -> str:
        """The graph as text, layer by layer; the same as ``str(graph)``.

        Example:
            >>> print(artifact.view_lineage().to_text())
        """
        return lineage_render.text(self, self.layout())

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # Jupyter shows the SVG; frontends without SVG take mermaid or the text
        bundle = {"image/svg+xml": self.to_svg(), "text/vnd.mermaid": self.to_mermaid(), "text/plain": self.to_text()}
        return {k: v for k, v in bundle.items() if (not include or k in include) and (not exclude or k not in exclude)}


def graph(record: models.Model, with_children: bool = True, distance: int = 5,
          max_nodes: int = MAX_NODES) -> LineageGraph:
    """The lineage of a saved artifact, collection, run or transform.

    Upstream: the run that made the record (labelled with its transform), what that run read,
    the runs that made those, and so on; a collection's artifacts. With ``with_children``:
    downstream too, the runs that read the record and what they made, and the collections that
    hold it. A transform's graph starts from its runs.

    Args:
        record: A saved artifact, collection, run or transform.
        with_children: Show what was made from the record as well.
        distance: How many steps (a run and what it read or made) to follow each way.
        max_nodes: Nodes to keep, nearest the focus first; ``more`` counts the others.

    Raises:
        ValueError: the record is not saved.
        TypeError: the record is not an artifact, collection, run or transform.

    Example:
        >>> g = lineage.graph(artifact, with_children=False)
        >>> g.to_dict()["edges"]
        [{'source': 'run:1', 'target': 'artifact:2'}, {'source': 'artifact:1', 'target': 'run:1'}]
    """
    if record.pk is None:
        raise ValueError(f"save the {type(record).__name__} before viewing its lineage")
    links = _Links(type(record))
    focus = node_id(record)
    seen = {focus: 0}
    edges: set[tuple[str, str]] = set()
    hops = 2 * distance
    start = {focus}
    if type(record) is links.transform:
        # a transform's lineage is that of its runs
        _walk(links.down, start, 1, seen, edges, upward=False)
        start = set(seen) - {focus}
        hops -= 1
    upstream = _Upstream(links)
    _walk(upstream, start, hops, seen, edges, upward=True)
    if with_children:
        _walk(links.down, start, hops, seen, edges, upward=False)
    # nearest first; among equals, by registry and pk, so a graph reads the same every time
    order = sorted(seen, key=lambda n: (seen[n], n.split(":")[0], int(n.split(":")[1])))
    kept = order[:max(1, max_nodes)]
    records = _load(links, set(kept))
    kept = [n for n in kept if n in records]  # a row deleted while walking
    data_nodes = {n for n in kept if links.models[n.split(":")[0]] in links.data}
    stale, outdated = _stale_map(links, data_nodes, upstream) if data_nodes else ({}, {})
    extra = _load(links, {s.via for n, s in stale.items() if n in records} - set(records))
    nodes = []
    for n in kept:
        r = records[n]
        note = ""
        if n in stale:
            via = records.get(stale[n].via) or extra[stale[n].via]
            what = "has a newer version" if stale[n].via == stale[n].root else "is stale"
            note = f"stale: input {_label(via)} {what}"
        elif n in outdated:
            note = f"newer version: {outdated[n].uid}"
        nodes.append(LineageNode(n, type(r).__name__, r.uid, _label(r), n in stale, note))
    keep = set(kept)
    shown = sorted((s, t) for s, t in edges if s in keep and t in keep)
    return LineageGraph(focus=focus, nodes=nodes, edges=shown, more=len(seen) - len(kept))
