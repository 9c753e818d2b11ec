"""Benchmark of lineage graphs (``artifact.view_lineage()``): walking the records and drawing
them (SVG, mermaid, text) with no graphviz, at about 500 and 5,000 nodes, on SQLite and PostgreSQL.

The lineage is a pipeline: stages of ``width`` runs (four transforms take turns), each run reads
two artifacts of the stage before and writes two; a last run reads all artifacts of the last
stage and writes the focus artifact, so every record is upstream of it. About 500 nodes have 8
runs per stage (layers of 8 and 16 boxes: all drawn); about 5,000 have 40 (layers of 80
artifacts, cut to 40 boxes and a "+N more" box) and the graph keeps its default 500 nodes, the
rest counted as "+N more not shown". One raw input has a newer version, so every artifact is
stale and the stale check walks the whole lineage.

Measured, in a new instance per backend and size, the median of ``--repeat`` runs after a
warm-up: ``lineage.graph(focus, distance=...)`` (the walk, the records, the stale check, and
the number of queries), the layout alone, and each drawing from a new graph object (so its
layout is in its time): ``to_svg()``, ``to_mermaid()``, ``to_text()``, and all three as
Jupyter asks for them (``_repr_mimebundle_``); the peak RSS of the process. The results
replace this script's section of ``BENCHMARKS.md``. Aim (issue 15): 500 nodes drawn in < 0.5 s.

Example:
    python benchmarks/bench_lineage.py                       # 500 and 5,000 nodes, both backends
    python benchmarks/bench_lineage.py --sizes 500 --backends sqlite --repeat 3 --output -
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    Scratch,
    add_backends,
    add_run_options,
    check,
    cli_options,
    fmt,
    load_span,
    machine_for_run,
    machine_text,
    package_version,
    publish,
    run_cases,
    section_head,
    shown_command,
    summary,
    timed,
    write_result,
)

BEGIN = "<!-- bench_lineage:begin -->"
END = "<!-- bench_lineage:end -->"
WIDTHS = {500: 8, 5000: 40}  # runs per stage for a size


def build(ln, folder: Path, size: int) -> tuple:
    """The pipeline of about ``size`` nodes (see the module's docstring); the focus artifact and
    the number of nodes."""
    width = WIDTHS.get(size, max(2, size // 125))
    stages = max(1, (size - 2 * width - 2) // (3 * width))
    transforms = [ln.Transform(key=f"stage-{i}.py", type="script").save() for i in range(4)]
    folder.mkdir(parents=True, exist_ok=True)
    serial = iter(range(10**9))

    def artifacts(key: str, runs: list) -> list:
        """One saved artifact per entry of ``runs`` (the run that made it, or None), in one ln.save."""
        made = []
        for run in runs:
            n = next(serial)
            path = folder / f"{n}.csv"
            path.write_text(f"a,b\n{n},{n * 7}\n")
            made.append(ln.Artifact(path, key=f"{key}/{n}.csv", run=run))
        ln.save(made)
        return made

    Link = ln.Run.input_artifacts.through
    previous = artifacts("raw", [None] * (2 * width))
    nodes = 2 * width  # an artifact's graph: artifacts and runs (no transform nodes)
    for stage in range(stages):
        runs = [ln.Run(transforms[stage % 4]) for _ in range(width)]
        ln.save(runs)
        # each run reads two of the stage before, shifted, so that all of them are read
        links = [Link(run_id=run.id, artifact_id=previous[j].id)
                 for i, run in enumerate(runs) for j in (2 * i, (2 * i + 3) % len(previous))]
        Link.objects.bulk_create(links, ignore_conflicts=True)
        previous = artifacts(f"stage{stage}", [run for run in runs for _ in range(2)])
        nodes += 3 * width
    last = ln.Run(transforms[0]).save()
    Link.objects.bulk_create([Link(run_id=last.id, artifact_id=a.id) for a in previous])
    focus = artifacts("result", [last])[0]
    # a new version of the first raw input: everything made from it is stale
    raw = ln.Artifact.filter(key__startswith="raw/").order_by("id").first()
    new = folder / "raw-v2.csv"
    new.write_text("a,b\n-1,-1\n")
    ln.Artifact(new, key=raw.key).save()
    return focus, nodes + 2, stages


def fresh(graph):
    """The same graph with no layout yet: each drawing times its layout too."""
    return dataclasses.replace(graph, _layout=None)


def run_case(backend: str, size: int, repeat: int, pg_url: str) -> dict:
    import lamindb_core as ln
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lamindb_core import lineage, lineage_render

    result: dict = {"backend": backend, "size": size}
    with Scratch(backend, pg_url, f"lamin-bench-lineage-{backend}-{size}-") as scratch:
        scratch.init(ln, "storage", "bench-lineage")
        start = time.perf_counter()
        focus, nodes, stages = build(ln, scratch.workdir / "files", size)
        result["build"] = time.perf_counter() - start
        result["records"] = nodes
        distance = stages + 2
        with CaptureQueriesContext(connection) as queries:
            graph = lineage.graph(focus, distance=distance)
        result["queries"] = len(queries)
        check(len(graph.nodes) + graph.more == nodes, f"{len(graph.nodes)} + {graph.more} nodes, not {nodes}")
        check(sum(n.stale for n in graph.nodes) > len(graph.nodes) // 3, "the new raw version left few stale nodes")
        result["nodes"], result["edges"], result["more"] = len(graph.nodes), len(graph.edges), graph.more
        placed = lineage_render.layout(graph)
        result["boxes"] = len(placed.boxes)
        result["layers"] = len(placed.layers)
        result["cut_layers"] = sum(1 for box_id in placed.boxes if box_id.startswith("more:"))
        for key, func in (
            ("graph", lambda: lineage.graph(focus, distance=distance)),
            ("layout", lambda: lineage_render.layout(graph)),
            ("svg", lambda: fresh(graph).to_svg()),
            ("mermaid", lambda: fresh(graph).to_mermaid()),
            ("text", lambda: fresh(graph).to_text()),
            ("bundle", lambda: fresh(graph)._repr_mimebundle_()),
        ):
            times, value = timed(func, repeat, warmup=1)
            result[key] = summary(times)
            print(f"  {backend} {size}: {key} {statistics.median(times) * 1000:.1f} ms", file=sys.stderr, flush=True)
        svg = fresh(graph).to_svg()
        result["svg_kib"] = len(svg.encode()) / 1024
        check(all(f'data-id="{n.id}"' in svg for n in graph.nodes if n.id in placed.boxes), "a box is missing")
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def render(results: list[dict], machine: dict, command: str, repeat: int) -> str:
    lines = section_head(BEGIN, "## Lineage graphs (`benchmarks/bench_lineage.py`)", machine, command)
    lines += [
        machine_text(machine, "Django", "networkx") + f" Load: {machine['load_span']}.",
        "",
        "A pipeline of stages (runs that read two artifacts of the stage before and write two), one raw input "
        "with a newer version (so the stale check walks everything), and the graph of the last artifact: "
        "every record is upstream of it. `graph()` walks, loads the records and checks staleness; each drawing is "
        f"timed from a new graph object, its layout included; `_repr_mimebundle_` is all three, as Jupyter asks. "
        f"Median of {repeat} runs after a warm-up. Aim (issue 15): 500 nodes drawn in < 0.5 s.",
        "",
        "| backend | records | nodes kept (+ more) | boxes drawn (layers, cut) | queries | graph() [ms] | layout [ms] "
        "| SVG [ms] | mermaid [ms] | text [ms] | all three [ms] | SVG [KiB] | peak RSS [MiB] |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['records']:,} | {r['nodes']:,} (+{r['more']:,}) | {r['boxes']:,} "
            f"({r['layers']}, {r['cut_layers']} cut) | {r['queries']} | {fmt(r['graph']['median'], 'ms')} "
            f"| {fmt(r['layout']['median'], 'ms')} | {fmt(r['svg']['median'], 'ms')} "
            f"| {fmt(r['mermaid']['median'], 'ms')} | {fmt(r['text']['median'], 'ms')} "
            f"| {fmt(r['bundle']['median'], 'ms')} | {r['svg_kib']:.0f} | {r['peak_rss_mib']:.0f} |"
        )
    lines += ["", END, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backends(parser)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000], help="nodes of the lineage (default 500 5000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each step (default 5)")
    add_run_options(parser)
    args = parser.parse_args(argv)
    if args.case:
        backend, size = args.case[0], int(args.case[1])
        return write_result(args.case_result, run_case(backend, size, args.repeat, args.pg_url))
    machine = machine_for_run(args)
    if machine is None:
        return 1
    machine["networkx"] = package_version("networkx")
    start_load = machine["load"]
    results = run_cases(__file__, args.backends, args.sizes, "lineage nodes", cli_options(args, "repeat", "pg_url"))
    machine["load_span"] = load_span(start_load)
    shown = shown_command(__file__, args, "backends", "sizes", "repeat")
    return publish(render(results, machine, shown, args.repeat), args.output)


if __name__ == "__main__":
    sys.exit(main())
