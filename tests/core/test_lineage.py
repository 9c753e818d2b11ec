"""Lineage graphs: what ``view_lineage()`` returns for artifacts, collections, runs and
transforms (its JSON form, its drawings) and the stale mark, on both backends."""

from __future__ import annotations

import itertools
from xml.etree import ElementTree

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lamindb_core import lineage, lineage_render

pytestmark = pytest.mark.usefixtures("storage_files")

_values = itertools.count()


def frame_artifact(ln, key, run=None, **kwargs):
    """A saved artifact with content no other has (same content would be the same artifact)."""
    return ln.Artifact.from_df(pd.DataFrame({"a": [next(_values)]}), key=key, run=run, **kwargs).save()


@pytest.fixture
def pipeline(instance):
    """raw -> make.py's run -> mid -> use.py's run -> result."""
    ln = instance
    make = ln.Transform(key="make.py", type="script").save()
    use = ln.Transform(key="use.py", type="script").save()
    run1, run2 = ln.Run(make).save(), ln.Run(use).save()
    raw = frame_artifact(ln, "raw.parquet")
    run1.input_artifacts.add(raw)
    mid = frame_artifact(ln, "mid.parquet", run=run1)
    run2.input_artifacts.add(mid)
    result = frame_artifact(ln, "result.parquet", run=run2)
    return dict(make=make, use=use, run1=run1, run2=run2, raw=raw, mid=mid, result=result)


def ids(p, *names):
    return {lineage.node_id(p[name]) for name in names}


def edge_set(data):
    return {(e["source"], e["target"]) for e in data["edges"]}


def test_lineage_to_dict_has_upstream_and_downstream_in_data_flow_direction(instance, pipeline):
    p = pipeline
    data = p["mid"].view_lineage().to_dict()
    assert set(data) == {"focus", "nodes", "edges", "more"}
    assert data["focus"] == f"artifact:{p['mid'].pk}"
    assert {n["id"] for n in data["nodes"]} == ids(p, "raw", "run1", "mid", "run2", "result")
    assert data["nodes"][0]["id"] == data["focus"]  # nearest first
    node = {n["id"]: n for n in data["nodes"]}[f"run:{p['run1'].pk}"]
    assert node == {"id": f"run:{p['run1'].pk}", "registry": "Run", "uid": p["run1"].uid,
                    "label": f"make.py (run {p['run1'].uid[:8]})", "stale": False}
    assert {n["label"] for n in data["nodes"] if n["registry"] == "Artifact"} == {
        "raw.parquet", "mid.parquet", "result.parquet"}
    a, r = "artifact:{}".format, "run:{}".format
    assert edge_set(data) == {
        (a(p["raw"].pk), r(p["run1"].pk)), (r(p["run1"].pk), a(p["mid"].pk)),
        (a(p["mid"].pk), r(p["run2"].pk)), (r(p["run2"].pk), a(p["result"].pk)),
    }
    assert data["more"] == 0


def test_lineage_without_children_and_with_a_distance(instance, pipeline):
    p = pipeline
    up = p["mid"].view_lineage(with_children=False).to_dict()
    assert {n["id"] for n in up["nodes"]} == ids(p, "raw", "run1", "mid")
    near = p["result"].view_lineage(distance=1).to_dict()  # one step: the run and what it read
    assert {n["id"] for n in near["nodes"]} == ids(p, "result", "run2", "mid")
    assert p["raw"].view_lineage(with_children=False).to_dict()["edges"] == []  # made by no run


def test_lineage_of_a_run_a_transform_and_a_collection(instance, pipeline):
    ln, p = instance, pipeline
    run_graph = p["run1"].view_lineage().to_dict()
    assert run_graph["focus"] == f"run:{p['run1'].pk}"
    assert {n["id"] for n in run_graph["nodes"]} == ids(p, "raw", "run1", "mid", "run2", "result")
    t_graph = p["use"].view_lineage().to_dict()
    assert t_graph["focus"] == f"transform:{p['use'].pk}"
    assert {n["id"] for n in t_graph["nodes"]} == ids(p, "use", "run2", "mid", "run1", "raw", "result")
    assert (f"transform:{p['use'].pk}", f"run:{p['run2'].pk}") in edge_set(t_graph)
    assert {n["label"] for n in t_graph["nodes"] if n["registry"] == "Transform"} == {"use.py"}
    collection = ln.Collection([p["mid"], p["result"]], key="both", run=p["run2"]).save()
    c_graph = collection.view_lineage(with_children=False).to_dict()
    cid = f"collection:{collection.pk}"
    assert c_graph["focus"] == cid
    assert {(f"artifact:{p['mid'].pk}", cid), (f"artifact:{p['result'].pk}", cid),
            (f"run:{p['run2'].pk}", cid)} <= edge_set(c_graph)
    # and an artifact's children include the collections that hold it
    assert (f"artifact:{p['result'].pk}", cid) in edge_set(p["result"].view_lineage().to_dict())


def test_lineage_of_a_cycle_ends(instance):
    ln = instance
    run = ln.Run(ln.Transform(key="loop.py", type="script").save()).save()
    made = frame_artifact(ln, "made.parquet", run=run)
    run.input_artifacts.add(made)  # a run that reads its own output
    data = made.view_lineage().to_dict()
    assert edge_set(data) == {(f"run:{run.pk}", f"artifact:{made.pk}"), (f"artifact:{made.pk}", f"run:{run.pk}")}
    assert len(data["nodes"]) == 2


def test_lineage_keeps_max_nodes_and_counts_the_rest(instance):
    ln = instance
    run = ln.Run(ln.Transform(key="fan.py", type="script").save()).save()
    for i in range(12):
        frame_artifact(ln, f"out/{i}.parquet", run=run)
    g = lineage.graph(run, max_nodes=5)
    assert len(g.nodes) == 5 and g.nodes[0].id == f"run:{run.pk}"
    assert g.to_dict()["more"] == 8
    assert all(e["source"] in {n.id for n in g.nodes} and e["target"] in {n.id for n in g.nodes}
               for e in g.to_dict()["edges"])


def test_lineage_queries_do_not_grow_with_the_width_of_a_generation(instance):
    ln = instance

    def fan(width, name):
        run = ln.Run(ln.Transform(key=name, type="script").save()).save()
        for i in range(width):
            run.input_artifacts.add(frame_artifact(ln, f"{name}/in{i}.parquet"))
            frame_artifact(ln, f"{name}/out{i}.parquet", run=run)
        return run

    counts = []
    for width, name in ((1, "narrow.py"), (15, "wide.py")):
        run = fan(width, name)
        with CaptureQueriesContext(connection) as queries:
            g = run.view_lineage()
        assert len(g.nodes) == 1 + 2 * width
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_lineage_refuses_unsaved_records_and_other_registries(instance):
    ln = instance
    with pytest.raises(ValueError, match="save the Artifact before viewing its lineage"):
        ln.Artifact.from_df(pd.DataFrame({"a": [-1]}), key="unsaved.parquet").view_lineage()
    with pytest.raises(TypeError, match="ULabel has no lineage"):
        lineage.graph(ln.ULabel(name="no lineage").save())


def test_lineage_stale_after_a_new_version_of_an_input(instance, pipeline):
    ln, p = instance, pipeline
    assert not any(n["stale"] for n in p["result"].view_lineage().to_dict()["nodes"])
    assert lineage.stale_reason(p["result"]) is None
    raw2 = frame_artifact(ln, "raw.parquet")  # the same key, new content: a new version
    assert raw2.uid[:16] == p["raw"].uid[:16] and raw2.is_latest
    g = p["result"].view_lineage()
    stale = {n["id"] for n in g.to_dict()["nodes"] if n["stale"]}
    assert stale == ids(p, "mid", "result")  # mid read the old raw; result read the stale mid
    assert lineage.stale_reason(p["mid"]) == (
        f"input 'raw.parquet' ({p['raw'].uid}) has a newer version: {raw2.uid}")
    assert lineage.stale_reason(p["result"]) == (
        f"input 'mid.parquet' ({p['mid'].uid}) is stale: upstream, 'raw.parquet' ({p['raw'].uid}) "
        f"has a newer version: {raw2.uid}")
    assert lineage.stale_reason(p["raw"]) is None and lineage.stale_reason(raw2) is None
    # the stale check looks past the graph's distance: raw is not drawn, mid is still stale
    near = p["result"].view_lineage(distance=1)
    assert {n.id for n in near.nodes} == ids(p, "result", "run2", "mid")
    assert near.node(f"artifact:{p['mid'].pk}").stale
    assert "  Artifact  mid.parquet  (stale: input raw.parquet has a newer version)" in str(near).splitlines()


# -- drawings -----------------------------------------------------------------


def focus_group(svg, node_id):
    """The SVG group of one node."""
    start = svg.index(f'data-id="{node_id}"')
    return svg[start:svg.index("</g>", start)]


def mermaid_name(mermaid, label):
    """The mermaid node name (n0, n1, ...) whose text holds the label."""
    line = next(line for line in mermaid.splitlines() if f"<br/>{label}\"]" in line)
    return line.strip().split("[")[0]


def test_lineage_svg_mermaid_and_text_name_every_node(instance, pipeline):
    p = pipeline
    g = p["mid"].view_lineage()
    svg, mermaid, text = g.to_svg(), g.to_mermaid(), str(g)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert mermaid.splitlines()[0] == "flowchart LR"
    for node in g.to_dict()["nodes"]:
        assert f'data-id="{node["id"]}"' in svg and f">{node['label']}</text>" in svg
        assert f"{node['registry']}<br/>{node['label']}\"]" in mermaid
        assert f"{node['registry']}  {node['label']}" in text
    # the focus: filled yellow and bold in SVG, class focus in mermaid, * in text
    assert 'fill="#fff3b0"' in focus_group(svg, f"artifact:{p['mid'].pk}")
    assert 'fill="#fff3b0"' not in focus_group(svg, f"artifact:{p['raw'].pk}")
    assert f"class {mermaid_name(mermaid, 'mid.parquet')} focus" in mermaid
    assert "* Artifact  mid.parquet" in text.splitlines()
    # data flows left to right: raw, then make.py's run, then mid
    lines = text.splitlines()
    assert lines.index("  Artifact  raw.parquet") < lines.index("* Artifact  mid.parquet")
    assert f"    -> Run  make.py (run {p['run1'].uid[:8]})" in lines
    assert mermaid.count(" --> ") == 4
    # what Jupyter shows: IPython's formatter takes the bundle
    from IPython.core.formatters import DisplayFormatter

    shown, _metadata = DisplayFormatter().format(g)
    assert shown["image/svg+xml"].startswith("<svg") and shown["text/plain"] == text
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/vnd.mermaid", "text/plain"}
    assert bundle["text/plain"] == text and set(g._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}


def test_lineage_of_a_cycle_renders(instance):
    ln = instance
    run = ln.Run(ln.Transform(key="loop.py", type="script").save()).save()
    made = frame_artifact(ln, 'made "a & <b>".parquet', run=run)
    run.input_artifacts.add(made)
    g = made.view_lineage()
    svg, mermaid, text = g.to_svg(), g.to_mermaid(), g.to_text()
    ElementTree.fromstring(svg)  # well-formed: the label is escaped
    assert ">made &quot;a &amp; &lt;b&gt;&quot;.parquet</text>" in svg and f">loop.py (run {run.uid[:8]})</text>" in svg
    assert '["Artifact<br/>made #quot;a #amp; #lt;b#gt;#quot;.parquet"]' in mermaid
    assert svg.count("marker-end=") == 2  # both edges drawn
    assert mermaid.count(" --> ") == 2
    assert '    -> Artifact  made "a & <b>".parquet' in text and f"    -> Run  loop.py (run {run.uid[:8]})" in text


def test_lineage_stale_mark_in_drawings_and_describe(instance, pipeline):
    ln, p = instance, pipeline
    assert "stale" not in p["mid"].describe(return_str=True)
    raw2 = frame_artifact(ln, "raw.parquet")
    g = p["result"].view_lineage()
    svg, mermaid, text = g.to_svg(), g.to_mermaid(), g.to_text()
    assert "  Artifact  mid.parquet  (stale: input raw.parquet has a newer version)" in text.splitlines()
    assert "* Artifact  result.parquet  (stale: input mid.parquet is stale)" in text.splitlines()
    assert f"  Artifact  raw.parquet  (newer version: {raw2.uid})" in text.splitlines()
    mid_group = focus_group(svg, f"artifact:{p['mid'].pk}")
    assert "Artifact · stale" in mid_group and 'stroke="#c62828"' in mid_group
    assert "Artifact · stale" not in focus_group(svg, f"artifact:{p['raw'].pk}")
    assert 'Artifact · stale<br/>mid.parquet"]' in mermaid
    assert f"class {mermaid_name(mermaid, 'mid.parquet')},{mermaid_name(mermaid, 'result.parquet')} stale" in mermaid
    described = p["mid"].describe(return_str=True)
    assert f"stale: input 'raw.parquet' ({p['raw'].uid}) has a newer version: {raw2.uid}" in described


def test_lineage_truncation_shows_more(instance):
    ln = instance
    run = ln.Run(ln.Transform(key="fan.py", type="script").save()).save()
    outputs = [frame_artifact(ln, f"out/{i}.parquet", run=run) for i in range(12)]
    g = run.view_lineage()
    placed = lineage_render.layout(g, max_per_layer=5)
    assert [len(layer) for layer in placed.layers] == [1, 5]
    text = lineage_render.text(g, placed)
    assert "  +8 more" in text.splitlines() and "    -> +8 more" in text.splitlines()
    assert ">+8 more</text>" in lineage_render.svg(g, placed)
    assert '["+8 more"]' in lineage_render.mermaid(g, placed)
    # the focus stays when its layer is cut
    focus_placed = lineage_render.layout(outputs[-1].view_lineage(), max_per_layer=1)
    assert f"artifact:{outputs[-1].pk}" in focus_placed.boxes
    # and nodes the walk left out
    small = lineage.graph(run, max_nodes=4)
    assert small.more == 9
    assert "+9 more not shown" in small.to_svg() and '["+9 more not shown"]' in small.to_mermaid()
    assert "+9 more not shown" in small.to_text()
