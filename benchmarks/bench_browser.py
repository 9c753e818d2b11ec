"""Benchmark of the registry browsers at 1,000,000 ULabels, on SQLite and PostgreSQL.

Measures, on an instance that holds N labels (names as in ``bench_core.py``):

- the first page: ``browse(ln.ULabel)``, from nothing to the widget with its first 20 rows,
  the pager's total and every control built (aim: under 0.3 s at 1,000,000 labels);
- each keystroke's results: the search box receiving one more character, query and table
  included, while a user types a common phrase, a rare name and a phrase with a typo
  (aim: under 0.1 s per keystroke);
- paging: the next page, the last page (OFFSET near N) and the REST API's first page
  (``lamindb_jupyter.server.handlers.list_records``, without HTTP).

The widget runs without a kernel (its refreshes are synchronous then), so the figures are
the kernel's work per keystroke; the debounce (0.15 s) and the browser's rendering come on top
and are not measured. The results replace this script's section of ``BENCHMARKS.md``.

Example:
    python benchmarks/bench_browser.py                                 # 1,000,000 labels, both backends
    python benchmarks/bench_browser.py --sizes 10000 --backends sqlite --output -

Each backend runs in its own process with its own ``LAMIN_CORE_HOME``; PostgreSQL databases
(``lamin_bench_<random>``) are created on the server of ``--pg-url`` and dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_common import (  # noqa: E402
    Scratch,
    add_backends,
    add_run_options,
    cli_options,
    fmt,
    load_span,
    machine_for_run,
    publish,
    run_cases,
    section_head,
    shown_command,
    summary,
    table_head,
    timed,
    usage_error,
    write_result,
)
from bench_core import label_names  # noqa: E402

BEGIN = "<!-- bench_browser:begin -->"
END = "<!-- bench_browser:end -->"
TARGETS = {"first_page": 0.3, "keystroke": 0.1}  # s, at 1,000,000 labels
# what a user types, one character at a time
TYPED = {
    "common": "Candidate marker",
    "rare": "Knockout screen ChIP-seq liver LPS 4711",
    "typo": "Candidat markr",
}
BATCH = 50_000


def fill(ln, size: int) -> float:
    """Insert ``size`` labels with ``bulk_create`` in one transaction (the text index is kept
    up by the database), then ANALYZE as a long-lived instance would have; return the seconds."""
    from django.db import connection, transaction

    names = label_names(size)
    user = ln.User.filter().first().id
    start = time.perf_counter()
    with transaction.atomic():
        for i in range(0, size, BATCH):
            batch = [ln.ULabel(name=name, created_by_id=user) for name in names[i : i + BATCH]]
            ln.ULabel.objects.bulk_create(batch, batch_size=2_000)
            print(f"    {min(i + BATCH, size):,} labels inserted", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # as ln.save does after a big insert: statistics from a sample
            cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE core_ulabel")
        else:  # as autovacuum would
            cursor.execute("VACUUM ANALYZE core_ulabel")
    return time.perf_counter() - start


def type_phrase(browser, phrase: str, repeat: int) -> dict:
    """Each keystroke's refresh while typing ``phrase``, ``repeat`` times."""
    per_key: list[float] = []
    for _ in range(repeat):
        browser.search.value = ""
        for i in range(1, len(phrase) + 1):
            start = time.perf_counter()
            browser.search.value = phrase[:i]
            per_key.append(time.perf_counter() - start)
    return {**summary(per_key), "rows": browser.page.rows, "keys": len(phrase)}


def run_case(backend: str, size: int, repeat: int, pg_url: str) -> dict:
    """Fill one instance and measure the browser on it (``$LAMIN_CORE_HOME`` set by the caller)."""
    import lamindb_core as ln

    result: dict = {"backend": backend, "size": size}
    with Scratch(backend, pg_url, f"lamin-bench-browser-{backend}-") as scratch:
        scratch.init(ln, "storage", "bench-browser")
        result["fill"] = fill(ln, size)
        from lamindb_core import browsing
        from lamindb_jupyter.server import handlers
        from lamindb_jupyter.widgets import RegistryBrowser

        result["search"] = "Registry.search" if hasattr(ln.ULabel, "search") else "name icontains (no search)"
        # first page: a new browser each time, as `browse(ln.ULabel)` in a new cell
        times, browser = timed(lambda: RegistryBrowser(ln.ULabel, debounce=0), repeat, warmup=1)
        assert browser.page.total == ln.ULabel.filter().count() and browser.page.rows == 20
        result["first_page"] = summary(times)
        qs = browsing.build_query(ln.ULabel)
        result["page_query"] = summary(timed(lambda: browsing.fetch_page(qs, 0, 20, count=False), repeat, warmup=1)[0])
        result["count"] = summary(timed(lambda: ln.ULabel.filter().count(), repeat, warmup=1)[0])

        # keystrokes: the refresh that one more character causes
        for key, phrase in TYPED.items():
            result[f"keystroke_{key}"] = type_phrase(browser, phrase, repeat)
        all_keys = [result[f"keystroke_{key}"] for key in TYPED]
        result["keystroke"] = {"median": statistics.median(k["median"] for k in all_keys),
                               "max": max(k["max"] for k in all_keys)}

        browser.search.value = ""
        result["next_page"] = summary(timed(lambda: browser.refresh(20), repeat, warmup=1)[0])
        result["last_page"] = summary(timed(browser.last_page, repeat, warmup=1)[0])
        assert browser.page.offset == (browser.page.total - 1) // 20 * 20
        result["rest_page"] = summary(timed(
            lambda: handlers.list_records("ULabel", "", [], 0, 20, [], False, True), repeat, warmup=1)[0])
        if backend == "sqlite":
            # statistics of every row (`ANALYZE` by hand, or `PRAGMA optimize`) change SQLite's plans
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("PRAGMA analysis_limit = 0")
                cursor.execute("ANALYZE core_ulabel")
            connection.close()
            result["keystroke_full_stats"] = type_phrase(browser, TYPED["common"], repeat)
    return result


ROWS = (
    # key, label, target
    ("first_page", "**first page**: `browse(ln.ULabel)`, widget built, 20 rows and the total", "< 300 ms"),
    ("page_query", "of which: the page's query and DataFrame (`fetch_page`, no count)", ""),
    ("count", "of which: the pager's total (`COUNT(*)`)", ""),
    ("keystroke_common", "**keystroke**, typing “{common}”", "< 100 ms"),
    ("keystroke_rare", "**keystroke**, typing “{rare}”", "< 100 ms"),
    ("keystroke_typo", "**keystroke**, typing “{typo}”", "< 100 ms"),
    ("next_page", "second page (OFFSET 20)", ""),
    ("last_page", "last page (OFFSET N − 20)", ""),
    ("rest_page", "REST API first page (`list_records`, no HTTP)", ""),
    ("keystroke_full_stats", "keystroke, typing “{common}”, after a full `ANALYZE` (SQLite)", "< 100 ms"),
)


def render(results: list[dict], machine: dict, command: str, repeat: int) -> str:
    lines = section_head(BEGIN, "## Registry browser (`benchmarks/bench_browser.py`)", machine, command)
    pg = f", PostgreSQL {machine['postgres']} (local) via psycopg {machine['psycopg']}" if "postgres" in machine else ""
    lines.append(
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']}; Python {machine['python']}, "
        f"Django {machine['django']}, pandas {machine['pandas']}, SQLite {machine['sqlite']}{pg}. "
        f"Shared machine, 1-minute load average {machine['load']}."
    )
    lines.append("")
    lines.append(
        f"Each cell: median (min–max) in ms over {repeat} runs; a keystroke row covers every prefix of "
        "the phrase (one character more each time), in each run. The widget runs without a kernel, so "
        "the debounce (150 ms after the last keystroke) and the browser's drawing are not included. "
        "✗ marks a median over its target."
    )
    lines.append("")
    lines += table_head(results)
    for key, label, target in ROWS:
        cells = []
        for r in results:
            value = r.get(key)
            if value is None:
                cells.append("—")
                continue
            cell = f"{fmt(value['median'], 'ms')} ({fmt(value['min'], 'ms')}–{fmt(value['max'], 'ms')})"
            limit = TARGETS.get("keystroke" if key.startswith("keystroke") else key)
            if limit is not None and r["size"] >= 1_000_000 and value["median"] > limit:
                cell += " ✗"
            cells.append(cell)
        lines.append(f"| {label.format(**TYPED)} | {target} | " + " | ".join(cells) + " |")
    rows = " | ".join(
        ", ".join(f"{k}: {r[f'keystroke_{k}']['rows']}" for k in TYPED) for r in results)
    lines.append(f"| rows on the first page after the last keystroke | | {rows} |")
    lines.append("| search used | | " + " | ".join(r["search"] for r in results) + " |")
    lines.append("| filling the instance (`bulk_create`, ANALYZE) [s] | | " + " | ".join(f"{r['fill']:.0f}" for r in results) + " |")
    lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the registry browser and write the results to BENCHMARKS.md.",
        epilog="Example: python benchmarks/bench_browser.py --sizes 10000 --backends sqlite --output -",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000], help="numbers of ULabels")
    add_backends(parser)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    add_run_options(parser, pg_help="PostgreSQL server (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case:
        return write_result(args.case_result, run_case(args.case[0], int(args.case[1]), args.repeat, args.pg_url))
    if args.repeat < 1:
        # checked before a case fills its instance, which takes minutes at the default size
        return usage_error("--repeat must be at least 1")
    machine = machine_for_run(args)
    if machine is None:
        return 1
    results = run_cases(__file__, args.backends, args.sizes, "labels", cli_options(args, "repeat", "pg_url"))
    machine["load"] = load_span(machine["load"])
    command = shown_command(__file__, args, "sizes", "backends", "repeat")
    return publish(render(results, machine, command, args.repeat), args.output)


if __name__ == "__main__":
    sys.exit(main())
