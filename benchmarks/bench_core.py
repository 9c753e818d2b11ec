"""Benchmark of the core registry: ULabels at 10,000 and 100,000 records, on SQLite and PostgreSQL.

Measures, in a fresh instance per backend and size:

- constructing N ``ln.ULabel`` records (Python objects only) and saving them with ``ln.save``;
- ``ln.ULabel.filter(name__startswith=...).df()`` with a prefix that matches 1% of the rows;
- ``ln.ULabel.get(uid)`` and ``ln.ULabel.get(name=...)`` on random records;
- ``ln.ULabel.df()`` (the latest 100) and ``ln.ULabel.filter().df()`` (all N rows);
- ``ln.view()``: its first call in the process and again (text output, into a buffer);

and, once, the time of ``python -c "import lamindb_core"`` in a fresh process. The results
replace this script's section of ``BENCHMARKS.md`` (between its HTML comment markers).

Example:
    python benchmarks/bench_core.py                                  # both sizes, both backends
    python benchmarks/bench_core.py --sizes 10000 --backends sqlite --repeat 3 --output -
    python benchmarks/bench_core.py --profile /tmp/prof              # also write cProfile files

Each (backend, size) runs in its own process with its own ``LAMIN_CORE_HOME``, so caches and
connections never carry over. PostgreSQL databases are created as ``lamin_bench_<random>`` on
the server of ``--pg-url`` and dropped at the end.

What every script shares (options, one process per case, throwaway instances, timing, the
machine, the sections of ``BENCHMARKS.md``) is in ``bench_common.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import (
    Profiler,
    Scratch,
    add_backends,
    add_run_options,
    analyzed,
    settle_autovacuum,
    check,
    cli_options,
    fmt,
    load_span,
    machine_for_run,
    machine_text,
    publish,
    run_cases,
    section_head,
    shown_command,
    summary,
    table_head,
    timed,
    timed_calls,
    usage_error,
    write_result,
)
from floors import VARIANTS, insert_floor

BEGIN = "<!-- bench_core:begin -->"
END = "<!-- bench_core:end -->"

# Names as a lab would give them: study, assay, tissue, treatment and a running number. Each
# (study, assay) pair is 1% of the rows, so "<study> <assay> " is the prefix of the filter.
STUDIES = (
    "Candidate marker study", "Cohort expansion", "Dose finding", "Pilot screen",
    "Perturbation atlas", "Longitudinal follow-up", "Biomarker validation", "Organoid panel",
    "Knockout screen", "Reference atlas",
)
ASSAYS = (
    "scRNA-seq", "bulk RNA-seq", "ATAC-seq", "CITE-seq", "flow cytometry", "mass spectrometry",
    "imaging", "ChIP-seq", "whole-genome sequencing", "spatial transcriptomics",
)
TISSUES = (
    "blood", "bone marrow", "liver", "lung", "kidney", "spleen", "brain", "skin", "colon",
    "heart", "pancreas", "lymph node",
)
TREATMENTS = ("DMSO", "IFNG", "LPS", "dexamethasone", "TNF", "vehicle", "IL-2", "untreated")
FILTER_PREFIX = f"{STUDIES[3]} {ASSAYS[7]} "

# runs of each floor variant (at most --repeat): each costs a new instance
FLOOR_RUNS = 3

TARGETS = {
    "construct_save": 1.0,  # s, at 10,000 labels
    "construct": 0.08,  # s, at 10,000 labels (issue 16)
    "save": 0.2,  # s, at 10,000 labels, search index included (issue 16)
    "get_uid": 1e-3,  # s
    "get_name": 1e-3,  # s
    "import": 0.3,  # s, net of interpreter start-up
    "view": 0.010,  # s, again (issue 16)
}


def label_names(n: int, seed: int = 0) -> list[str]:
    """``n`` unique label names in shuffled order, 1% of them starting with ``FILTER_PREFIX``.

    Example:
        >>> label_names(2)
        ['Candidate marker study scRNA-seq brain IL-2 1', 'Cohort expansion scRNA-seq blood TNF 2']
    """
    rng = random.Random(seed)
    names = [
        f"{STUDIES[i % 10]} {ASSAYS[(i // 10) % 10]} {rng.choice(TISSUES)} {rng.choice(TREATMENTS)} {i + 1}"
        for i in range(n)
    ]
    rng.shuffle(names)
    return names


# ---------------------------------------------------------------------------
# one (backend, size): runs in its own process
# ---------------------------------------------------------------------------


# new processes whose first ln.view() is timed
FIRST_VIEW_PROCESSES = 5
# the aim of issue 16 for the first ln.view() of a process
VIEW_FIRST_AIM = 0.025

# a new process on the case's instance: one df() (pandas imported, the ORM's first query made),
# then its first ln.view(), printed into a buffer
FIRST_VIEW = """
import contextlib, io, sys, time
import lamindb_core as ln
ln.setup.connect(sys.argv[1])
ln.ULabel.filter(name__startswith=sys.argv[2]).df()
with contextlib.redirect_stdout(io.StringIO()):
    start = time.perf_counter()
    ln.view()
    seconds = time.perf_counter() - start
print(seconds)
"""


def first_views(instance: str) -> list[float]:
    """Seconds of the first ``ln.view()`` in each of ``FIRST_VIEW_PROCESSES`` new processes on
    ``instance`` (the config folder is this process's ``$LAMIN_CORE_HOME``)."""
    from django.db import connections

    connections.close_all()  # no connection of this process stays open beside the children
    times = []
    for _ in range(FIRST_VIEW_PROCESSES):
        done = subprocess.run([sys.executable, "-c", FIRST_VIEW, instance, FILTER_PREFIX],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"first ln.view() in a new process failed:\n{done.stderr}")
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return times


def run_case(backend: str, size: int, repeat: int, samples: int, pg_url: str, profile_dir: Path | None) -> dict:
    """Measure one backend at one size; the config folder is ``$LAMIN_CORE_HOME`` (set by the caller)."""
    import lamindb_core as ln

    profiled = Profiler(profile_dir, f"{backend}-{size}")
    result: dict = {"backend": backend, "size": size}
    names = label_names(size)
    with Scratch(backend, pg_url, f"lamin-bench-{backend}-{size}-") as scratch:
        # constructing and saving: every run in a new, empty instance
        construct, save, total, init = [], [], [], []
        floors: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        labels: list = []
        for run in range(repeat + (1 if profiled.enabled else 0)):
            if run < min(repeat, FLOOR_RUNS):
                # the database's own floor, each variant in a new, empty instance, in turn with
                # the runs of ln.save so that a change of the machine's load touches both
                for variant in VARIANTS:
                    scratch.init(ln, f"floor-{variant}-{run}", f"floor-{variant}-{run}")
                    scratch.drop_older()
                    gc.collect()
                    floors[variant].append(insert_floor(ln, backend, names, variant))
                    print(f"  {backend} {size}: floor {variant}: {floors[variant][-1]:.3f} s", file=sys.stderr, flush=True)
            init.append(scratch.init(ln, f"storage{run}", f"bench-{run}"))
            # the previous instance goes now (init closed its connection): PostgreSQL's
            # autovacuum would otherwise analyze its rows on the second core while we measure
            scratch.drop_older()
            labels = []
            gc.collect()
            if profiled.enabled and run == repeat:
                # the profiled run is an extra one, so that the profiler's overhead is in no figure
                profiled("construct", lambda: labels.extend(ln.ULabel(name=name) for name in names))
                profiled("save", lambda: ln.save(labels))
                break
            t0 = time.perf_counter()
            labels = [ln.ULabel(name=name) for name in names]
            t1 = time.perf_counter()
            ln.save(labels)
            t2 = time.perf_counter()
            construct.append(t1 - t0)
            save.append(t2 - t1)
            total.append(t2 - t0)
            print(f"  {backend} {size}: run {run + 1}/{repeat}: construct {t1 - t0:.3f} s, save {t2 - t1:.3f} s",
                  file=sys.stderr, flush=True)
        result["init"] = summary(init)
        result["construct"] = summary(construct)
        result["save"] = summary(save)
        result["construct_save"] = summary(total)
        for variant, times in floors.items():
            result[f"floor_{variant}"] = summary(times)
        check(ln.ULabel.filter().count() == size, "the instance should hold exactly the saved labels")

        # queries, on the last instance: N labels and nothing else
        if backend == "postgres":
            # the queries on a database whose autovacuum is done with the new rows (see settle_autovacuum)
            result["settled"] = settle_autovacuum()
        stats_before = analyzed(ln.ULabel) if backend == "postgres" else None
        start = time.perf_counter()
        first = ln.ULabel.filter(name__startswith=FILTER_PREFIX).df()
        result["first_df"] = time.perf_counter() - start
        times, df = timed(lambda: ln.ULabel.filter(name__startswith=FILTER_PREFIX).df(), repeat, warmup=0)
        check(len(df) == len(first) == size // 100, f"the filter found {len(df)} rows, not {size // 100}")
        result["filter_df"] = {**summary(times), "rows": len(df)}
        profiled("filter_df", lambda: ln.ULabel.filter(name__startswith=FILTER_PREFIX).df())

        sample = random.Random(1).sample(labels, min(samples, size))
        uids = [label.uid for label in sample]
        by_name = [label.name for label in sample]
        check(ln.ULabel.get(uids[0]).name == by_name[0], "get(uid) returned another label")
        result["get_uid"] = summary(timed_calls(ln.ULabel.get, uids))
        result["get_name"] = summary(timed_calls(lambda name: ln.ULabel.get(name=name), by_name))
        profiled("get_uid", lambda: [ln.ULabel.get(uid) for uid in uids])
        profiled("get_name", lambda: [ln.ULabel.get(name=name) for name in by_name])

        for key, query, rows in (
            ("registry_df", lambda: ln.ULabel.df(), min(100, size)),
            ("filter_all_df", lambda: ln.ULabel.filter().df(), size),
        ):
            times, df = timed(query, repeat, warmup=1)
            check(len(df) == rows, f"{key}: {len(df)} rows, not {rows}")
            result[key] = {**summary(times), "rows": len(df)}
            profiled(key, query)

        # ln.view(): its first call in the process, then again; printed into a buffer (a terminal's text)
        def view() -> str:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                ln.view()
            return out.getvalue()

        start = time.perf_counter()
        shown = view()
        result["view_first_here"] = time.perf_counter() - start
        check("ULabel" in shown.splitlines() and "Collection" not in shown.splitlines(), "view: wrong registries")
        # a first call is one sample: the median of FIRST_VIEW_PROCESSES new processes on this instance
        result["view_first"] = summary(first_views(ln.setup.settings.instance.name))
        times, _ = timed(view, repeat, warmup=0)
        result["view"] = summary(times)
        profiled("view", view)
        if backend == "postgres":
            # the planner's choices (and so some figures) differ before and after the first ANALYZE
            result["analyzed"] = "before the queries" if stats_before else (
                "during the queries" if analyzed(ln.ULabel) else "not yet")
    return result


# ---------------------------------------------------------------------------
# the driver: import time, one process per case, the report
# ---------------------------------------------------------------------------


def measure_import(runs: int) -> dict:
    """Wall time of fresh interpreters: bare, ``import lamindb_core``, ``ln.ULabel`` (Django set
    up, no database), and a first query on an existing embedded instance."""
    commands = {
        "bare": "pass",
        "import": "import lamindb_core",
        "registry": "import lamindb_core as ln; ln.ULabel",
        "query": "import lamindb_core as ln; ln.ULabel.get(name='Candidate marker study')",
    }
    times: dict[str, list[float]] = {key: [] for key in commands}
    with tempfile.TemporaryDirectory(prefix="lamin-bench-import-") as home:
        env = {**os.environ, "LAMIN_CORE_HOME": home}
        setup = "import lamindb_core as ln; ln.setup.init(storage='storage', name='startup'); "
        setup += "ln.ULabel(name='Candidate marker study').save()"
        subprocess.run([sys.executable, "-c", setup], env=env, cwd=home, check=True, stdout=subprocess.DEVNULL)
        for run in range(runs + 1):  # the first round warms the file cache and the .pyc files
            for key, code in commands.items():
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], env=env, cwd=home, check=True,
                               stdout=subprocess.DEVNULL)
                if run:
                    times[key].append(time.perf_counter() - start)
    return {key: summary(value) for key, value in times.items()}


ROWS = (
    # key, label, unit, target
    ("construct", "construct N `ULabel` objects", "s", "< 0.08 s at 10,000 (LaminDB 1.0: 10 s)"),
    ("save", "`ln.save` of the N labels", "s", "< 0.2 s at 10,000 (LaminDB 1.0: 0.8-0.9 s)"),
    ("construct_save", "**construct + save**", "s", "< 1 s at 10,000 (LaminDB 1.0: > 10 s)"),
    ("floor_multirow", "floor: the same rows, `ln.save`'s statements through the driver alone", "s", ""),
    ("floor_executemany", "floor: the same rows, one `INSERT` per row (`executemany`)", "s", ""),
    ("floor_multirow_plain", "floor: the same rows and statements, without the search indexes", "s", ""),
    ("filter_df", "`filter(name__startswith=...).df()`, 1% of rows", "ms", ""),
    ("get_uid", "`get(uid)`", "ms", "< 1 ms"),
    ("get_name", "`get(name=...)`", "ms", "< 1 ms"),
    ("registry_df", "`ULabel.df()` (latest 100)", "ms", ""),
    ("filter_all_df", "`filter().df()`, all N rows", "ms", ""),
    ("view", "`ln.view()` again (text output)", "ms", "< 10 ms (LaminDB 1.0: 23 ms)"),
)


def meets(key: str, size: int, seconds: float) -> bool | None:
    """Whether a median meets its target; None where there is no target."""
    if key in ("construct_save", "construct", "save"):
        return seconds < TARGETS[key] if size == 10_000 else None
    if key in TARGETS:
        return seconds < TARGETS[key]
    return None


def render(results: list[dict], imports: dict | None, machine: dict, command: str, repeat: int, samples: int) -> str:
    """The Markdown section, markers included."""
    lines = section_head(BEGIN, "## Core registry: ULabel (`benchmarks/bench_core.py`)", machine, command)
    lines += [machine_text(machine, "Django", "pandas", "numpy"), ""]
    if results:
        lines.append(
            "Each cell: median (min), over "
            f"{repeat} runs; `get` over {samples} random records, one call each. "
            "✗ marks a median over its target."
        )
        lines.append("")
        lines += table_head(results)
        for key, label, unit, target in ROWS:
            cells = []
            if not all(key in r for r in results):
                continue
            for r in results:
                value = r[key]
                ok = meets(key, r["size"], value["median"])
                mark = " ✗" if ok is False else ""
                cells.append(f"{fmt(value['median'], unit)} ({fmt(value['min'], unit)}){mark}")
            lines.append(f"| {label} [{unit}] | {target} | " + " | ".join(cells) + " |")
        lines.append("| rows returned by the `startswith` filter | | "
                     + " | ".join(f"{r['filter_df']['rows']:,}" for r in results) + " |")
        lines.append("| first `.df()` in the process (imports pandas) [ms] | | "
                     + " | ".join(fmt(r["first_df"], "ms") for r in results) + " |")
        cells = []
        for r in results:
            first = r["view_first"]
            mark = " ✗" if first["median"] > VIEW_FIRST_AIM else ""
            cells.append(f"{fmt(first['median'], 'ms')} ({fmt(first['min'], 'ms')}){mark}")
        lines.append(f"| first `ln.view()` in a new process, after one `df()` (median of {FIRST_VIEW_PROCESSES} processes) "
                     "[ms] | < 25 ms (LaminDB 1.0: 29 ms) | " + " | ".join(cells) + " |")
        lines.append("| first `ln.view()` in the measuring process (after the rows above; one sample) [ms] | | "
                     + " | ".join(fmt(r["view_first_here"], "ms") for r in results) + " |")
        lines.append("| `ln.setup.init` of an empty instance (migrations) [s] | | "
                     + " | ".join(fmt(r["init"]["median"], "s") for r in results) + " |")
        if any("analyzed" in r for r in results):
            lines.append("| PostgreSQL table statistics (autovacuum's ANALYZE) | | "
                         + " | ".join(r.get("analyzed", "") for r in results) + " |")
            lines.append("| PostgreSQL: waited for autovacuum to finish before the queries [s] | | "
                         + " | ".join(fmt(r["settled"], "s") if "settled" in r else "" for r in results) + " |")
        lines.append("")
        lines.append(
            f"Names look like `{label_names(1)[0]}`: study, assay, tissue, treatment and a "
            f"running number; the filter's prefix is `{FILTER_PREFIX}`. Every construct + save "
            "run starts from a new, empty instance; the queries run on the last one, which holds "
            "exactly N labels. Each backend and size runs in its own process."
        )
        lines.append("")
        lines.append(
            "The floor rows put the same N rows (the values `ln.save` writes, prepared before the "
            "clock starts) into the label table of a new, empty instance through the database "
            "driver (sqlite3, psycopg) alone, in one transaction, commit included, over "
            f"{FLOOR_RUNS} runs each (`benchmarks/floors.py`): what the database takes, with "
            "the table's indexes and the search index's triggers, and without the search "
            "indexes. `ln.save` does more: checks, the ids matched to the records, and, after "
            "1,000 rows, statistics for the planner (ANALYZE of the columns) and, on PostgreSQL, "
            "the merge of the GIN indexes' pending lists."
        )
        lines.append("")
    if imports:
        net = imports["import"]["median"] - imports["bare"]["median"]
        net_registry = imports["registry"]["median"] - imports["bare"]["median"]
        mark = " ✗" if net >= TARGETS["import"] else ""
        lines.append(f"Start-up, wall time of a fresh `python -c ...`, median (min) over {imports['import']['runs']} runs:")
        lines.append("")
        lines.append("| command | wall time [s] | minus bare start-up [s] | target |")
        lines.append("|---|---:|---:|---|")
        lines.append(f"| `pass` (bare interpreter) | {fmt(imports['bare']['median'], 's')} ({fmt(imports['bare']['min'], 's')}) | | |")
        lines.append(
            f"| `import lamindb_core` | {fmt(imports['import']['median'], 's')} ({fmt(imports['import']['min'], 's')}) "
            f"| **{fmt(net, 's')}**{mark} | < 0.3 s |"
        )
        lines.append(
            f"| `import lamindb_core as ln; ln.ULabel` (configures Django, opens no database) "
            f"| {fmt(imports['registry']['median'], 's')} ({fmt(imports['registry']['min'], 's')}) "
            f"| {fmt(net_registry, 's')} | |"
        )
        net_query = imports["query"]["median"] - imports["bare"]["median"]
        lines.append(
            f"| `import lamindb_core as ln; ln.ULabel.get(name=...)` (first query: connects, checks "
            f"migrations; existing embedded instance) | {fmt(imports['query']['median'], 's')} "
            f"({fmt(imports['query']['min'], 's')}) | {fmt(net_query, 's')} | |"
        )
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the core registry (ULabel) and write the results to BENCHMARKS.md.",
        epilog="Example: python benchmarks/bench_core.py --sizes 10000 --backends sqlite --output -",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="numbers of ULabels")
    add_backends(parser)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--get-samples", type=int, default=200, help="random records for get (default 200)")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh processes for the import time")
    parser.add_argument("--no-import", action="store_true", help="skip the import time")
    add_run_options(parser, profile_help="also write cProfile files (DIR/<backend>-<size>-<step>.prof) from one extra run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case:
        # a child process: one backend at one size
        return write_result(args.case_result, run_case(
            args.case[0], int(args.case[1]), args.repeat, args.get_samples, args.pg_url, args.profile))
    if args.repeat < 1 or any(size < 100 for size in args.sizes):
        return usage_error("--repeat must be at least 1 and every size at least 100")
    machine = machine_for_run(args)
    if machine is None:
        return 1
    imports = None
    if not args.no_import:
        print("import time ...", file=sys.stderr, flush=True)
        imports = measure_import(args.import_runs)
    results = run_cases(__file__, args.backends, args.sizes, "labels",
                        cli_options(args, "repeat", "get_samples", "pg_url", "profile"))
    machine["load"] = load_span(machine["load"])
    command = shown_command(__file__, args, "sizes", "backends", "repeat")
    return publish(render(results, imports, machine, command, args.repeat, args.get_samples), args.output)


if __name__ == "__main__":
    sys.exit(main())
