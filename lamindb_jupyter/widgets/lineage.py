"""The Lineage view of the widget browser: a record's lineage graph, each box a button.

The drawing is ``view_lineage()``'s SVG (laid out in Python, its text escaped), in an
``ipywidgets.HTML``; over each box lies a transparent ``ipywidgets.Button`` placed by CSS
at the box's position (``lamindb_core.browsing.record_lineage`` gives them), so a click on
a box reaches the kernel with no JavaScript of ours: the view calls ``on_open(registry,
id)``, and the browser opens that record.

Example:
    >>> view = LineageView(on_open=lambda registry, pk: print(registry, pk))
    >>> view.show(artifact)
    >>> view.nodes[f"run:{artifact.run_id}"].click()      # what a click on the run's box does
    Run 3
"""

from __future__ import annotations

import html
import secrets
from typing import Any, Callable

import ipywidgets as w
from django.db import models

from lamindb_core import browsing, errors

__all__ = ["LineageView"]

# the drawing scrolls inside a box of at most this height
MAX_HEIGHT_PX = 520

# The canvas holds the drawing and the buttons; each button sits on its box. Only theme
# variables, so a dark theme needs nothing more.
STYLE = """
.lamindb-lineage-canvas {position: relative !important; display: block !important; overflow: visible !important;
  margin: 0 !important; padding: 0 !important; flex: none !important;}
.lamindb-lineage-canvas > .widget-html {position: absolute !important; left: 0; top: 0; margin: 0 !important;
  padding: 0 !important; height: auto !important;}
.lamindb-lineage-canvas > .widget-html > .widget-html-content {height: auto !important; line-height: 0 !important;}
.lamindb-lineage-canvas svg {display: block;}
.lamindb-lineage-canvas > .lamindb-lineage-hit {position: absolute !important; margin: 0 !important; padding: 0 !important;
  min-width: 0 !important; background: transparent !important; box-shadow: none !important; cursor: pointer;
  border: 2px solid transparent !important; border-radius: 7px !important;}
.lamindb-lineage-canvas > .lamindb-lineage-hit:hover, .lamindb-lineage-canvas > .lamindb-lineage-hit:focus {
  border-color: var(--jp-brand-color1, #1976d2) !important; background: rgba(25, 118, 210, 0.08) !important;}
.lamindb-lineage-status {color: var(--jp-ui-font-color2, #666); font-size: var(--jp-ui-font-size1, 13px);}
"""


class LineageView(w.VBox):
    """A record's lineage: the drawing, with a button on each box that opens its record.

    Args:
        on_open: Called with a node's registry name (``"Run"``) and record id when its box
            is clicked.
        distance: Steps (a run and what it read or made) the graph follows each way.

    Attributes:
        nodes: The buttons on the boxes, by node id (``"artifact:12"``).
        data: ``lamindb_core.browsing.record_lineage`` of the record shown, or None.
    """

    def __init__(self, on_open: Callable[[str, int], None], distance: int = 5) -> None:
        self.on_open = on_open
        self.distance = distance
        self.data: dict[str, Any] | None = None
        self.nodes: dict[str, w.Button] = {}
        self._token = secrets.token_hex(4)  # scopes this view's CSS: two browsers share a page
        self.status = w.HTML()
        self.drawing = w.HTML()
        self.canvas = w.Box([self.drawing])
        self.canvas.add_class("lamindb-lineage-canvas")
        self.canvas.add_class(f"lamindb-lineage-{self._token}")
        self.scroller = w.Box([self.canvas], layout=w.Layout(overflow="auto", max_height=f"{MAX_HEIGHT_PX}px"))
        self.scroller.add_class("lamindb-lineage-scroller")
        super().__init__([self.status, self.scroller])
        self.add_class("lamindb-lineage")
        self.clear()

    def clear(self, message: str = "") -> None:
        """Show no graph, only ``message`` (escaped)."""
        self.data = None
        self._set_buttons([])
        self.drawing.value = ""
        self.canvas.layout.width = self.canvas.layout.height = "0px"
        self.scroller.layout.display = "none"
        self.status.value = self._status(message) if message else ""

    def show(self, record: models.Model) -> None:
        """Draw ``record``'s lineage; a record of a registry without lineage shows why."""
        try:
            data = browsing.record_lineage(record, distance=self.distance)
        except errors.InvalidArgument as exc:
            self.clear(str(exc))
            return
        self.data = data
        placed = data["layout"]
        nodes = {node["id"]: node for node in data["nodes"]}
        rules, buttons = [], []
        for box in placed["boxes"]:
            node = nodes.get(box["id"])
            if node is None:  # a "+N more" box: nothing to open
                continue
            i = len(buttons)
            tip = f"{node['registry']} {node['uid']}: {node['label']}" + (f"\n{node['note']}" if node["note"] else "")
            if box["id"] != data["focus"]:
                tip += "\nclick to open this record"
            button = w.Button(description="", tooltip=tip, layout=w.Layout(width=f"{box['width']:.0f}px",
                                                                            height=f"{box['height']:.0f}px"))
            button.add_class("lamindb-lineage-hit")
            button.add_class(f"lamindb-lineage-hit-{i}")
            button.on_click(lambda _b, node_id=node["id"]: self.open_node(node_id))
            buttons.append((node["id"], button))
            rules.append(
                f".lamindb-lineage-{self._token} > .lamindb-lineage-hit-{i} "
                f"{{left: {box['x']:.1f}px; top: {box['y']:.1f}px;}}"
            )
        self.drawing.value = f"<style>{STYLE}{''.join(rules)}</style>{data['svg']}"
        self._set_buttons(buttons)
        self.canvas.layout.width = f"{placed['width']:.0f}px"
        self.canvas.layout.height = f"{placed['height']:.0f}px"
        self.scroller.layout.display = "block"
        stale = sum(node["stale"] for node in data["nodes"])
        parts = [f"{len(data['nodes'])} records, {len(data['edges'])} links"]
        if stale:
            parts.append(f"{stale} stale (red dashed border)")
        if data["more"]:
            parts.append(f"+{data['more']} more further away: open a record nearer to them")
        parts.append("click a box to open its record")
        self.status.value = self._status(" · ".join(parts))

    def open_node(self, node_id: str) -> None:
        """Open the record of a node (what a click on its box does)."""
        if self.data is None:
            return
        node = next((n for n in self.data["nodes"] if n["id"] == node_id), None)
        if node is not None:
            self.on_open(node["registry"], node["record_id"])

    def _set_buttons(self, buttons: list[tuple[str, w.Button]]) -> None:
        old = list(self.nodes.values())
        self.nodes = dict(buttons)
        self.canvas.children = [self.drawing, *self.nodes.values()]
        for button in old:  # their models would stay in the kernel and the page
            button.close()

    @staticmethod
    def _status(text: str) -> str:
        return f'<div class="lamindb-lineage-status"><style>{STYLE}</style>{html.escape(text)}</div>'
