"""The REST API's lineage route, through a real Jupyter server (pytest-jupyter's jp_fetch)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError


async def get(jp_fetch, *parts, **params):
    response = await jp_fetch("lamindb", *parts, params=params or None, method="GET")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def get_error(jp_fetch, *parts, **params) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lamindb", *parts, params=params or None, method="GET")
    return info.value.code, json.loads(info.value.response.body)["message"]


@pytest.fixture(scope="module")
def rest_lineage(instance):
    """Committed (the handlers read in their own thread): raw -> normalize.py's run -> normalized
    -> <b>report</b>.py's run -> report; removed when the module's tests are done."""
    ln = instance
    normalize = ln.Transform(key="rest-lineage/normalize.py", type="script").save()
    report_t = ln.Transform(key="rest-lineage/<b>report</b>.py", type="script").save()
    run1, run2 = ln.Run(normalize).save(), ln.Run(report_t).save()
    raw = ln.Artifact.from_df(pd.DataFrame({"rest_lineage": [1, 2]}), key="rest-lineage/raw.parquet").save()
    run1.input_artifacts.add(raw)
    normalized = ln.Artifact.from_df(
        pd.DataFrame({"rest_lineage": [0.5, 1.0]}), key="rest-lineage/normalized.parquet", run=run1
    ).save()
    run2.input_artifacts.add(normalized)
    report = ln.Artifact.from_df(pd.DataFrame({"rest_lineage": ["ok"]}), key="rest-lineage/report.parquet", run=run2).save()
    records = dict(normalize=normalize, report_t=report_t, run1=run1, run2=run2, raw=raw, normalized=normalized,
                   report=report)
    yield records
    for artifact in (report, normalized, raw):
        artifact.delete(permanent=True)
    for record in (run2, run1, report_t, normalize):
        record.delete()


def node(kind, record):
    return f"{kind}:{record.pk}"


async def test_lineage_of_an_artifact_has_its_nodes_and_edges(jp_fetch, rest_lineage):
    r = rest_lineage
    data = await get(jp_fetch, "registries", "Artifact", "records", r["normalized"].uid, "lineage")
    assert data["registry"] == "Artifact" and data["id"] == r["normalized"].pk
    assert data["focus"] == node("artifact", r["normalized"])
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {
        node("artifact", r["raw"]), node("run", r["run1"]), node("artifact", r["normalized"]),
        node("run", r["run2"]), node("artifact", r["report"]),
    }
    assert nodes[node("artifact", r["raw"])] == {
        "id": node("artifact", r["raw"]), "registry": "Artifact", "uid": r["raw"].uid,
        "label": "rest-lineage/raw.parquet", "stale": False, "note": "", "record_id": r["raw"].pk,
    }
    assert nodes[node("run", r["run1"])]["label"] == f"rest-lineage/normalize.py (run {r['run1'].uid[:8]})"
    assert nodes[node("run", r["run2"])]["registry"] == "Run"
    assert {(e["source"], e["target"]) for e in data["edges"]} == {
        (node("artifact", r["raw"]), node("run", r["run1"])),
        (node("run", r["run1"]), node("artifact", r["normalized"])),
        (node("artifact", r["normalized"]), node("run", r["run2"])),
        (node("run", r["run2"]), node("artifact", r["report"])),
    }
    assert data["more"] == 0
    # where each box is drawn: one per node, left to right in the direction of data flow
    boxes = {b["id"]: b for b in data["layout"]["boxes"]}
    assert set(boxes) == set(nodes)
    xs = [boxes[node(k, r[n])]["x"] for k, n in
          [("artifact", "raw"), ("run", "run1"), ("artifact", "normalized"), ("run", "run2"), ("artifact", "report")]]
    assert xs == sorted(xs) and len(set(xs)) == 5
    assert all(b["x"] + b["width"] <= data["layout"]["width"] for b in boxes.values())


async def test_lineage_svg_names_every_node_and_escapes_text(jp_fetch, rest_lineage):
    r = rest_lineage
    data = await get(jp_fetch, "registries", "Artifact", "records", str(r["report"].pk), "lineage")
    svg = data["svg"]
    root = ET.fromstring(svg)  # well-formed XML: the panel parses it
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f".//{ns}g")
    assert {g.get("data-id") for g in groups} == {n["id"] for n in data["nodes"]}
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{ns}text"))
    assert "rest-lineage/report.parquet" in texts and "rest-lineage/normalized.parquet" in texts
    # the transform named <b>report</b>.py is text, never markup; no element can run code
    assert "<b>" not in svg and "&lt;b&gt;report&lt;/b&gt;.py" in svg
    assert {e.tag.removeprefix(ns) for e in root.iter()} <= {"svg", "defs", "marker", "path", "rect", "text", "g", "title"}
    assert not any(name.startswith("on") or "href" in name for e in root.iter() for name in e.attrib)


async def test_lineage_without_children_distance_and_without_svg(jp_fetch, rest_lineage):
    r = rest_lineage
    up = await get(jp_fetch, "registries", "Artifact", "records", r["normalized"].uid, "lineage",
                   with_children="false", svg="false")
    assert {n["id"] for n in up["nodes"]} == {
        node("artifact", r["raw"]), node("run", r["run1"]), node("artifact", r["normalized"])}
    assert "svg" not in up
    near = await get(jp_fetch, "registries", "Artifact", "records", r["report"].uid, "lineage", distance="1")
    assert {n["id"] for n in near["nodes"]} == {
        node("artifact", r["report"]), node("run", r["run2"]), node("artifact", r["normalized"])}


async def test_lineage_of_a_run_and_of_a_transform(jp_fetch, rest_lineage):
    r = rest_lineage
    data = await get(jp_fetch, "registries", "Run", "records", r["run2"].uid, "lineage")
    assert data["focus"] == node("run", r["run2"])
    assert {n["id"] for n in data["nodes"]} >= {
        node("artifact", r["normalized"]), node("run", r["run2"]), node("artifact", r["report"])}
    data = await get(jp_fetch, "registries", "Transform", "records", str(r["report_t"].pk), "lineage",
                     with_children="false")
    assert data["focus"] == node("transform", r["report_t"])
    assert (node("transform", r["report_t"]), node("run", r["run2"])) in {
        (e["source"], e["target"]) for e in data["edges"]}
    label = {n["id"]: n["label"] for n in data["nodes"]}[node("transform", r["report_t"])]
    assert label == "rest-lineage/<b>report</b>.py"  # JSON carries the text as it is


async def test_registries_say_which_have_lineage(jp_fetch, instance):
    data = await get(jp_fetch, "registries")
    with_lineage = {r["name"] for r in data["registries"] if r["lineage"]}
    assert with_lineage == {"Artifact", "Collection", "Run", "Transform"}


@pytest.mark.parametrize(
    "parts, params, code, message",
    [
        (("ULabel", "records", "1", "lineage"), {}, 400,
         "ULabel records have no lineage: only Artifact, Collection, Run and Transform records have one"),
        (("Artifcat", "records", "1", "lineage"), {}, 404, "no registry 'Artifcat' in this instance. Did you mean 'Artifact'?"),
        (("Artifact", "records", "999999999", "lineage"), {}, 404, "no Artifact record with id or uid 999999999"),
        (("Artifact", "records", "1", "lineage"), {"distance": "0"}, 400, "distance"),
        (("Artifact", "records", "1", "lineage"), {"distance": "21"}, 400, "distance"),
        (("Artifact", "records", "1", "lineage"), {"with_children": "maybe"}, 400,
         "with_children must be true or false, got 'maybe'"),
    ],
)
async def test_lineage_errors_say_what_is_wrong(jp_fetch, rest_lineage, parts, params, code, message):
    status, text = await get_error(jp_fetch, "registries", *parts, **params)
    assert status == code
    assert text.startswith(message), text


async def test_lineage_marks_records_made_from_an_outdated_input_stale(jp_fetch, rest_lineage, instance):
    r = rest_lineage
    # the same key, new content: a new version of raw, which normalize.py's run did not read
    raw2 = instance.Artifact.from_df(pd.DataFrame({"rest_lineage": [3, 4]}), key="rest-lineage/raw.parquet").save()
    try:
        data = await get(jp_fetch, "registries", "Artifact", "records", r["report"].uid, "lineage", svg="false")
        nodes = {n["id"]: n for n in data["nodes"]}
        assert {n for n, v in nodes.items() if v["stale"]} == {node("artifact", r["normalized"]), node("artifact", r["report"])}
        assert nodes[node("artifact", r["normalized"])]["note"] == "stale: input rest-lineage/raw.parquet has a newer version"
        assert nodes[node("artifact", r["report"])]["note"] == "stale: input rest-lineage/normalized.parquet is stale"
        assert nodes[node("artifact", r["raw"])]["note"] == f"newer version: {raw2.uid}"
    finally:
        raw2.delete(permanent=True)
