"""The widget browser's Lineage view: a record's graph, each box a button that opens its record."""

from __future__ import annotations

import html
import re

import pytest

from lamindb_jupyter.widgets import LineageView, browse


@pytest.fixture
def pipeline(instance):
    """raw -> normalize.py's run -> normalized -> <img ...>.py's run -> report (records without
    data: nothing to store, and the test's transaction takes them back)."""
    ln = instance
    storage = ln.Storage.filter().first()
    normalize = ln.Transform(key="widget-lineage/normalize.py", type="script").save()
    markup = ln.Transform(key="widget-lineage/<img src=x onerror=alert(1)>.py", type="script").save()
    run1, run2 = ln.Run(normalize).save(), ln.Run(markup).save()

    def artifact(key, run=None):
        return ln.Artifact(key=f"widget-lineage/{key}", suffix=".parquet", storage=storage, run=run).save()

    raw = artifact("raw.parquet")
    run1.input_artifacts.add(raw)
    normalized = artifact("normalized.parquet", run=run1)
    run2.input_artifacts.add(normalized)
    report = artifact("report.parquet", run=run2)
    return dict(normalize=normalize, markup=markup, run1=run1, run2=run2, raw=raw, normalized=normalized, report=report)


def node(kind, record):
    return f"{kind}:{record.pk}"


def test_lineage_toggle_is_off_for_registries_without_lineage(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    assert browser.show_lineage.disabled
    assert browser.show_lineage.tooltip == (
        "ULabel records have no lineage: only artifacts, collections, runs and transforms have one"
    )
    assert browser.lineage.layout.display == "none"
    browser.registry.value = "Artifact"
    assert not browser.show_lineage.disabled
    browser.show_lineage.value = True
    assert browser.lineage.layout.display == "flex"
    assert "pick a record to see its lineage" in browser.lineage.status.value
    assert browser.lineage.nodes == {}


def test_lineage_view_draws_the_picked_record_with_a_button_on_each_box(instance, pipeline):
    p = pipeline
    browser = browse(instance.Artifact, debounce=0)
    browser.record.value = p["normalized"].pk
    assert browser.lineage.layout.display == "none"  # off until the toggle is on
    browser.show_lineage.value = True
    view = browser.lineage
    expected = {node("artifact", p["raw"]), node("run", p["run1"]), node("artifact", p["normalized"]),
                node("run", p["run2"]), node("artifact", p["report"])}
    assert set(view.nodes) == expected
    assert view.data["focus"] == node("artifact", p["normalized"])
    assert "5 records, 4 links · click a box to open its record" in html.unescape(view.status.value)
    # the drawing names every record; the transform named markup stays text
    drawing = view.drawing.value
    assert "<svg" in drawing and "widget-lineage/raw.parquet" in drawing and "widget-lineage/report.parquet" in drawing
    assert "<img" not in drawing and "&lt;img src=x onerror=alert(1)&gt;.py" in drawing
    # each button lies on its box: its size from the layout, its place from the view's CSS
    boxes = {b["id"]: b for b in view.data["layout"]["boxes"]}
    for node_id, button in view.nodes.items():
        box = boxes[node_id]
        assert button.layout.width == f"{box['width']:.0f}px" and button.layout.height == f"{box['height']:.0f}px"
        index = next(c for c in button._dom_classes if re.fullmatch(r"lamindb-lineage-hit-\d+", c))
        assert f"> .{index} {{left: {box['x']:.1f}px; top: {box['y']:.1f}px;}}" in drawing
    assert view.canvas.layout.width == f"{view.data['layout']['width']:.0f}px"
    run_tip = view.nodes[node("run", p["run1"])].tooltip
    assert run_tip.startswith(f"Run {p['run1'].uid}: widget-lineage/normalize.py (run ")
    assert "click to open this record" in run_tip
    assert "click to open" not in view.nodes[node("artifact", p["normalized"])].tooltip  # the focus


def test_a_click_on_a_box_opens_its_record_and_its_lineage(instance, pipeline):
    p = pipeline
    browser = browse(instance.Artifact, debounce=0)
    browser.record.value = p["normalized"].pk
    browser.show_lineage.value = True
    browser.lineage.nodes[node("run", p["run2"])].click()
    # the run's registry, the run picked in the table and the Details picker, its details
    assert browser.registry.value == "Run"
    assert browser.record.value == p["run2"].pk and browser.rows.value == p["run2"].pk
    details = html.unescape(browser.detail.value)
    assert f".uid = '{p['run2'].uid}'" in details
    assert ".input_artifacts  Artifact  widget-lineage/normalized.parquet" in details
    # the Lineage view stays on and now centres on the run
    assert browser.show_lineage.value and browser.lineage.data["focus"] == node("run", p["run2"])
    assert node("artifact", p["report"]) in browser.lineage.nodes
    # and from the run to what it made
    browser.lineage.nodes[node("artifact", p["report"])].click()
    assert browser.registry.value == "Artifact" and browser.record.value == p["report"].pk
    assert "widget-lineage/report.parquet" in browser.detail.value
    assert browser.lineage.data["focus"] == node("artifact", p["report"])


def test_a_click_opens_a_record_that_is_not_on_the_page(instance, pipeline):
    p = pipeline
    browser = browse(instance.Artifact, debounce=0, page_size=1)  # only the newest artifact: report
    assert browser.page.ids == [p["report"].pk]
    browser.record.value = p["report"].pk
    browser.show_lineage.value = True
    browser.lineage.nodes[node("artifact", p["normalized"])].click()
    assert browser.record.value == p["normalized"].pk
    picked = dict((value, label) for label, value in browser.record.options)[p["normalized"].pk]
    assert picked == f"{p['normalized'].uid} · widget-lineage/normalized.parquet"
    assert browser.rows.value is None  # not on the page
    assert "widget-lineage/normalized.parquet" in browser.detail.value
    assert browser.lineage.data["focus"] == node("artifact", p["normalized"])


def test_lineage_toggle_off_clears_the_view_and_its_buttons(instance, pipeline):
    p = pipeline
    browser = browse(instance.Artifact, debounce=0)
    browser.record.value = p["report"].pk
    browser.show_lineage.value = True
    buttons = list(browser.lineage.nodes.values())
    assert buttons
    browser.show_lineage.value = False
    assert browser.lineage.layout.display == "none"
    assert browser.lineage.nodes == {} and browser.lineage.drawing.value == ""
    assert all(b.comm is None for b in buttons)  # closed: no widget left behind in the page
    browser.record.value = 0  # nothing picked, toggle on again: a hint
    browser.show_lineage.value = True
    assert "pick a record to see its lineage" in browser.lineage.status.value


def test_lineage_view_on_its_own_calls_back_with_registry_and_id(instance, pipeline):
    p = pipeline
    opened = []
    view = LineageView(on_open=lambda registry, pk: opened.append((registry, pk)), distance=1)
    view.show(p["report"])
    assert set(view.nodes) == {node("artifact", p["report"]), node("run", p["run2"]),
                               node("artifact", p["normalized"])}
    view.nodes[node("run", p["run2"])].click()
    view.open_node(node("artifact", p["normalized"]))
    assert opened == [("Run", p["run2"].pk), ("Artifact", p["normalized"].pk)]
    view.show(instance.ULabel(name="widget-lineage label").save())
    assert view.nodes == {} and "ULabel records have no lineage" in view.status.value
