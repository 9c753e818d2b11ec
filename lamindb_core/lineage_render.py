"""Drawing a lineage graph with no graphviz binary and no network: a layered layout in
Python, then SVG (for Jupyter), mermaid (``text/vnd.mermaid``) and plain text.

The layout: layers are the topological generations of the graph's condensation (its
strongly connected components), so a cycle shares a layer and still draws; within a layer,
nodes are ordered by the barycenter of their neighbours, a few sweeps each way; data flows
left to right. A layer keeps at most ``max_per_layer`` nodes (the focus always among them)
and shows the others as one "+N more" node; the graph's own ``more`` (nodes the walk left
out) is a "+N more" line.

Example:
    >>> from lamindb_core import lineage_render
    >>> print(lineage_render.text(graph))
    lineage of Artifact 'mid.parquet': 5 nodes, 4 edges
    ...
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from typing import Any

__all__ = ["Box", "Layout", "layout", "mermaid", "svg", "text"]

MAX_PER_LAYER = 40
CHAR_WIDTH = 6.8  # px of a 12 px sans-serif character, on average
BOX_HEIGHT = 36
ROW_GAP = 12
LAYER_GAP = 64
MARGIN = 16
HEADER = 28
MAX_BOX_WIDTH = 360
WAYPOINT_HEIGHT = 14  # the room a passing edge takes in a layer

# fill, stroke per registry; the focus is filled yellow, a stale record's border is red and dashed
COLORS = {
    "Artifact": ("#e8f1fb", "#4a7fb5"),
    "Collection": ("#e8f6ea", "#3f8f52"),
    "Run": ("#fdf0e2", "#c07a2a"),
    "Transform": ("#f1eafb", "#7d5ab5"),
}
MORE_COLORS = ("#f4f4f4", "#999999")
FOCUS_FILL = "#fff3b0"
STALE_STROKE = "#c62828"
OUTDATED_COLOR = "#a65f00"  # the title of a record that has a newer version


@dataclass
class Box:
    """A node placed in the drawing: ``node`` is None for a "+N more" box."""

    id: str
    layer: int
    x: float
    y: float
    width: float
    node: Any = None
    hidden: int = 0  # for a "+N more" box, how many nodes it stands for

    @property
    def title(self) -> str:
        """The box's first line: the registry (and "stale"), or "+N more"."""
        if self.node is None:
            return f"+{self.hidden} more"
        if self.node.stale:
            return f"{self.node.registry} · stale"
        return f"{self.node.registry} · newer version exists" if self.node.note else self.node.registry

    @property
    def label(self) -> str:
        """The box's second line: the node's label (empty for a "+N more" box)."""
        return "" if self.node is None else self.node.label


@dataclass
class Layout:
    """Boxes in layers (left to right), the edges between them, the drawing's size, and for
    an edge that spans layers its waypoints, ``(x in, x out, y)`` per layer between."""

    boxes: dict[str, Box]
    layers: list[list[str]]
    edges: list[tuple[str, str]]
    width: float
    height: float
    waypoints: dict[tuple[str, str], list[tuple[float, float, float]]]


def _order(layers: list[list[str]], layer_of: dict[str, int], preds: dict, succs: dict) -> None:
    """Reorder each layer by the barycenter of its neighbours in other layers (in place)."""
    def coords() -> dict[str, float]:
        return {n: i - (len(layer) - 1) / 2 for layer in layers for i, n in enumerate(layer)}

    for _sweep in range(2):
        for direction, neighbours in ((range(len(layers)), preds), (range(len(layers) - 1, -1, -1), succs)):
            for i in direction:
                pos = coords()
                def key(n: str, i: int = i, pos: dict = pos, neighbours: dict = neighbours) -> float:
                    near = [pos[m] for m in neighbours.get(n, ()) if layer_of[m] != i]
                    return sum(near) / len(near) if near else pos[n]
                layers[i].sort(key=key)


def layout(graph: Any, max_per_layer: int = MAX_PER_LAYER) -> Layout:
    """Place a :class:`~lamindb_core.lineage.LineageGraph`'s nodes in layers, left to right.

    An edge that spans layers passes through a waypoint in each layer between (ordered with
    the boxes, so it goes around them rather than through them).

    Example:
        >>> placed = layout(graph)
        >>> [len(layer) for layer in placed.layers]
        [1, 1, 1, 1, 1]
    """
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(node.id for node in graph.nodes)
    g.add_edges_from(graph.edges)
    condensed = nx.condensation(g)
    members = condensed.graph["mapping"]
    component_layer = {}
    for i, generation in enumerate(nx.topological_generations(condensed)):
        for component in generation:
            component_layer[component] = i
    layer_of = {n: component_layer[members[n]] for n in g}
    layers: list[list[str]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for node in graph.nodes:  # nearest the focus first: those a cut layer keeps
        layers[layer_of[node.id]].append(node.id)

    # at most max_per_layer boxes in a layer (the focus, nearest of all, among them); the rest
    # in one "+N more" box
    moved: dict[str, str] = {}
    hidden: dict[str, int] = {}
    for i, layer in enumerate(layers):
        if len(layer) > max_per_layer:
            more_id = f"more:{i}"
            keep = layer[: max(1, max_per_layer - 1)]
            moved.update((n, more_id) for n in layer[len(keep):])
            hidden[more_id] = len(layer) - len(keep)
            layers[i] = keep + [more_id]
            layer_of[more_id] = i
    edges = []
    seen = set()
    for s, t in graph.edges:
        pair = (moved.get(s, s), moved.get(t, t))
        if pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            edges.append(pair)

    # waypoints of edges that span layers
    routes: dict[tuple[str, str], list[str]] = {}
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for s, t in edges:
        chain = [s]
        for i in range(layer_of[s] + 1, layer_of[t]):
            point = f"~{s}>{t}@{i}"
            layers[i].append(point)
            layer_of[point] = i
            chain.append(point)
        chain.append(t)
        routes[(s, t)] = chain[1:-1]
        for a, b in zip(chain, chain[1:]):
            succs.setdefault(a, []).append(b)
            preds.setdefault(b, []).append(a)
    _order(layers, layer_of, preds, succs)

    nodes = {node.id: node for node in graph.nodes}

    def height(n: str) -> float:
        return WAYPOINT_HEIGHT if n.startswith("~") else BOX_HEIGHT + ROW_GAP

    columns = [sum(height(n) for n in layer) for layer in layers]
    tallest = max(columns, default=BOX_HEIGHT)
    boxes: dict[str, Box] = {}
    points: dict[str, tuple[float, float, float]] = {}  # waypoint -> (x in, x out, y)
    x = MARGIN
    for i, layer in enumerate(layers):
        width = 0.0
        for n in layer:
            if n.startswith("~"):
                continue
            box = Box(n, i, 0, 0, 0, nodes.get(n), hidden.get(n, 0))
            chars = max(len(box.label) * (1.1 if n == graph.focus else 1), 0.85 * len(box.title) + 2)  # bold; 10 px
            width = max(width, min(MAX_BOX_WIDTH, chars * CHAR_WIDTH + 20))
        width = width or WAYPOINT_HEIGHT
        y = HEADER + MARGIN + (tallest - columns[i]) / 2
        for n in layer:
            if n.startswith("~"):
                points[n] = (x, x + width, y + WAYPOINT_HEIGHT / 2)
            else:
                boxes[n] = Box(n, i, x, y, width, nodes.get(n), hidden.get(n, 0))
            y += height(n)
        x += width + LAYER_GAP
    width = max(x - LAYER_GAP + MARGIN + 40, 320)  # 40: room for the arc of a cycle in the last layer
    height_ = HEADER + 2 * MARGIN + tallest - ROW_GAP
    real_layers = [[n for n in layer if not n.startswith("~")] for layer in layers]
    waypoints = {edge: [points[p] for p in route] for edge, route in routes.items()}
    return Layout(boxes, real_layers, edges, width, height_, waypoints)


def _fit(text: str, width: float) -> str:
    # a label wider than its box ends in an ellipsis (the full text is in the tooltip)
    chars = int((width - 16) / CHAR_WIDTH)
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "…"


def _heading(graph: Any) -> str:
    focus = graph.node(graph.focus)
    counts = f"{len(graph.nodes)} nodes, {len(graph.edges)} edges"
    more = f"; +{graph.more} more not shown" if graph.more else ""
    return f"lineage of {focus.registry} '{focus.label}': {counts}{more}"


def svg(graph: Any, placed: Layout | None = None) -> str:
    """The graph as an SVG document: boxes coloured by registry, the focus filled yellow and
    bold, stale records with a red dashed border and "stale" in their title line; each box
    carries ``data-id`` (the node id) and a tooltip with the uid.

    Example:
        >>> svg(graph)[:4]
        '<svg'
    """
    placed = placed or layout(graph)
    esc = html.escape
    arrow = f"lineage-arrow-{secrets.token_hex(4)}"  # ids of inline SVGs share one page
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed.width:.0f}" height="{placed.height:.0f}" '
        f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12" class="lamin-lineage">',
        f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>',
        f'<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="13" fill="#333">{esc(_heading(graph))}</text>',
    ]
    for s, t in placed.edges:
        a, b = placed.boxes[s], placed.boxes[t]
        y1, y2 = a.y + BOX_HEIGHT / 2, b.y + BOX_HEIGHT / 2
        if b.layer > a.layer:
            # a curve to each waypoint, a straight line through it, a curve to the target
            stops = [(a.x + a.width, a.x + a.width, y1), *placed.waypoints.get((s, t), ()), (b.x, b.x, y2)]
            d = f"M {stops[0][1]:.1f} {y1:.1f}"
            for (_x, exit_x, ya), (x_in, x_out, yb) in zip(stops, stops[1:]):
                bend = (x_in - exit_x) / 2
                d += f" C {exit_x + bend:.1f} {ya:.1f} {x_in - bend:.1f} {yb:.1f} {x_in:.1f} {yb:.1f}"
                if x_out > x_in:
                    d += f" L {x_out:.1f} {yb:.1f}"
        elif b.layer == a.layer:
            # within a layer (a cycle): an arc on the right, into the target's right side
            x1, x2 = a.x + a.width, b.x + b.width
            d = f"M {x1:.1f} {y1:.1f} C {x1 + 44:.1f} {y1:.1f} {x2 + 44:.1f} {y2:.1f} {x2:.1f} {y2:.1f}"
        else:
            # back to an earlier layer (a cycle): from the left side, below, into the right side
            x1, x2 = a.x, b.x + b.width
            d = (f"M {x1:.1f} {y1:.1f} C {x1 - 44:.1f} {y1 + 48:.1f} {x2 + 44:.1f} {y2 + 48:.1f} "
                 f"{x2:.1f} {y2:.1f}")
        out.append(f'<path d="{d}" fill="none" stroke="#888" stroke-width="1.2" marker-end="url(#{arrow})"/>')
    for box in placed.boxes.values():
        node = box.node
        if node is None:
            fill, stroke = MORE_COLORS
            dash, bold, title_color, tip = ' stroke-dasharray="3 3"', False, "#555", box.title
        else:
            fill, stroke = COLORS.get(node.registry, MORE_COLORS)
            focus = node.id == graph.focus
            fill = FOCUS_FILL if focus else fill
            dash = f' stroke-dasharray="5 3"' if node.stale else ""
            stroke = STALE_STROKE if node.stale else stroke
            bold = focus
            title_color = STALE_STROKE if node.stale else OUTDATED_COLOR if node.note else "#555"
            tip = f"{node.registry} {node.uid}: {node.label}" + (f"\n{node.note}" if node.note else "")
        width = 3 if node is not None and node.id == graph.focus else 1.4
        out.append(
            f'<g class="lineage-node" data-id="{esc(box.id)}"><title>{esc(tip)}</title>'
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{BOX_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>'
            + (f'<text x="{box.x + 8:.1f}" y="{box.y + 13:.1f}" font-size="10" fill="{title_color}">'
               if node is not None else f'<text x="{box.x + 8:.1f}" y="{box.y + 22:.1f}" fill="{title_color}">')
            + f'{esc(box.title)}</text>'
        )
        if box.label:
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{box.x + 8:.1f}" y="{box.y + 28:.1f}" fill="#111"{weight}>'
                       f'{esc(_fit(box.label, box.width))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _mermaid_text(text: str) -> str:
    # mermaid's entity codes: a quote or angle bracket in a label would end or break it
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(graph: Any, placed: Layout | None = None) -> str:
    """The graph as a mermaid flowchart (``text/vnd.mermaid``), left to right: classes per
    registry, ``focus`` and ``stale``; a stale node's text says "stale".

    Example:
        >>> print(mermaid(graph).splitlines()[0])
        flowchart LR
    """
    placed = placed or layout(graph)
    names = {box_id: f"n{i}" for i, box_id in enumerate(placed.boxes)}
    lines = ["flowchart LR", f"  %% {_mermaid_text(_heading(graph))}"]
    classes: dict[str, list[str]] = {}
    for box_id, box in placed.boxes.items():
        name = names[box_id]
        text = f"{box.title}<br/>{_mermaid_text(box.label)}" if box.label else box.title
        lines.append(f'  {name}["{text}"]')
        node = box.node
        kind = "more" if node is None else node.registry.lower()
        classes.setdefault(kind, []).append(name)
        if node is not None and node.stale:
            classes.setdefault("stale", []).append(name)
        if node is not None and node.id == graph.focus:
            classes.setdefault("focus", []).append(name)
    if graph.more:
        lines.append(f'  more_all["+{graph.more} more not shown"]')
        classes.setdefault("more", []).append("more_all")
    for s, t in placed.edges:
        lines.append(f"  {names[s]} --> {names[t]}")
    styles = {registry.lower(): f"fill:{f},stroke:{s}" for registry, (f, s) in COLORS.items()}
    styles["more"] = f"fill:{MORE_COLORS[0]},stroke:{MORE_COLORS[1]},stroke-dasharray:3 3"
    styles["stale"] = f"stroke:{STALE_STROKE},stroke-dasharray:5 3"
    styles["focus"] = f"fill:{FOCUS_FILL},stroke-width:3px,font-weight:bold"
    for kind in (*styles,):
        if kind in classes:
            lines.append(f"  classDef {kind} {styles[kind]}")
    # stale and focus last: a later class wins
    for kind in sorted(classes, key=lambda k: (k in ("stale", "focus"), k == "focus")):
        lines.append(f"  class {','.join(classes[kind])} {kind}")
    return "\n".join(lines)


def text(graph: Any, placed: Layout | None = None) -> str:
    """The graph as text for a terminal: layer by layer, each node on a line (``*`` marks the
    focus; a note says "stale" or that a newer version exists), then ``->`` and the nodes it
    feeds.

    Example:
        >>> print(text(graph))
        lineage of Artifact 'mid.parquet': 5 nodes, 4 edges
          Artifact  raw.parquet
            -> Run  make.py (run Ab3dE6gH)
        ...
    """
    placed = placed or layout(graph)
    targets: dict[str, list[str]] = {}
    for s, t in placed.edges:
        targets.setdefault(s, []).append(t)
    row = {box_id: (i, j) for i, layer in enumerate(placed.layers) for j, box_id in enumerate(layer)}
    for listed in targets.values():
        listed.sort(key=row.__getitem__)  # in the order they are listed below

    def name(box: Box) -> str:
        return box.title if box.node is None else f"{box.node.registry}  {box.node.label}"

    lines = [_heading(graph)]
    for layer in placed.layers:
        for box_id in layer:
            box = placed.boxes[box_id]
            mark = "* " if box.node is not None and box.node.id == graph.focus else "  "
            note = f"  ({box.node.note})" if box.node is not None and box.node.note else ""
            lines.append(f"{mark}{name(box)}{note}")
            for t in targets.get(box_id, ()):
                lines.append(f"    -> {name(placed.boxes[t])}")
    if graph.more:
        lines.append(f"+{graph.more} more not shown (the graph keeps the nodes nearest the focus)")
    return "\n".join(lines)
