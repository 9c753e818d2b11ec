"""Benchmark of the ``%ln`` magic: what it adds to the library call it makes, on SQLite and PostgreSQL.

In an instance of N ULabels (default 10,000, names as in ``bench_core.py``), in a real IPython
``InteractiveShell`` with ``%load_ext lamindb_jupyter``, each of these is timed as the direct
library call and as the magic, alternating the two call by call:

- ``%ln filter ULabel name__startswith="..."`` (1% of the rows, the first 100 of them) against
  ``ln.ULabel.filter(name__startswith=...).order_by("id")[:101].df()``, the query it runs;
- ``%ln filter ULabel "name__startswith=... | name__startswith=..."`` against the same with ``Q``;
- ``%ln get ULabel name="..."`` and ``%ln get ULabel <uid>`` against ``ln.ULabel.get(...)``;
- ``%ln search ULabel "<word>" --limit 20`` against ``ln.ULabel.search(word, limit=20)``, both
  evaluated (``list(...)``).

Each pair is timed twice: as the Python call (``shell.run_line_magic`` against the function)
and as a whole notebook cell (``shell.run_cell("r = %ln ...")`` against
``shell.run_cell("r = ln.ULabel...")``), which adds IPython's input transformation. The
overhead is the median of the per-pair differences. Also measured: parsing a command alone (no
database), Tab completion inside the magic, and rendering a 100-row result as HTML. The aim of
issue 5 is an overhead under 5 ms (JupySQL's ``%sql`` adds about 250 ms per call).

The results replace this script's section of ``BENCHMARKS.md`` (between its HTML comment
markers); other sections stay.

Example:
    python benchmarks/bench_magic.py                                    # 10,000 labels, both backends
    python benchmarks/bench_magic.py --backends sqlite --rounds 50 --output -

Each backend runs in its own process with its own ``LAMIN_CORE_HOME``; PostgreSQL databases
are created as ``lamin_bench_<random>`` on the server of ``--pg-url`` and dropped at the end.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from bench_common import (  # noqa: E402
    Scratch,
    add_backends,
    add_run_options,
    check,
    cli_options,
    load_span,
    machine_for_run,
    machine_text,
    package_version,
    publish,
    run_cases,
    section_head,
    shown_command,
    timed,
    usage_error,
    write_result,
)
from bench_core import ASSAYS, FILTER_PREFIX, STUDIES, label_names  # noqa: E402

BEGIN = "<!-- bench_magic:begin -->"
END = "<!-- bench_magic:end -->"
TARGET_MS = 5.0


def paired(first, second, rounds: int, warmup: int = 5) -> tuple[list[float], list[float]]:
    """Time ``first()`` and ``second()`` alternately (which goes first alternates too)."""
    for _ in range(warmup):
        first()
        second()
    a, b = [], []
    gc.disable()
    try:
        for i in range(rounds):
            order = ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a))
            for func, times in order:
                start = time.perf_counter()
                func()
                times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return a, b


def ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def overhead_ms(direct: list[float], magic: list[float]) -> float:
    """The median of the per-pair differences, in ms."""
    return statistics.median(m - d for d, m in zip(direct, magic)) * 1000


def run_case(backend: str, size: int, rounds: int, pg_url: str) -> dict:
    """Measure one backend; the config folder is ``$LAMIN_CORE_HOME`` (set by the caller)."""
    import lamindb_core as ln
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from lamindb_core.logger import logger
    from lamindb_jupyter.magics import SUBCOMMANDS
    from lamindb_jupyter.parsing import find_registry, parse_conditions, parse_options, split_words

    logger.verbosity = 0
    result: dict = {"backend": backend, "size": size, "rounds": rounds}
    with Scratch(backend, pg_url, f"lamin-bench-magic-{backend}-") as scratch:
        scratch.init(ln, "storage", "bench-magic")
        names = label_names(size)
        ln.save([ln.ULabel(name=n) for n in names])
        check(ln.ULabel.filter().count() == size, "the instance should hold exactly N labels")

        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        shell = InteractiveShell.instance(config=config)
        shell.run_line_magic("load_ext", "lamindb_jupyter")
        shell.user_ns["ln"] = ln
        Q = ln.Q
        other = f"{STUDIES[4]} {ASSAYS[2]} "
        target = names[size // 2]
        uid = ln.ULabel.get(name=target).uid
        word = "organoid"

        cases = [
            (
                "filter", "`%ln filter ULabel name__startswith=\"...\"` (100 rows)",
                f'filter ULabel name__startswith="{FILTER_PREFIX}"',
                lambda: ln.ULabel.filter(name__startswith=FILTER_PREFIX).order_by("id")[:101].df(),
                f'ln.ULabel.filter(name__startswith={FILTER_PREFIX!r}).order_by("id")[:101].df()',
            ),
            (
                "filter_q", "`%ln filter ULabel \"... \\| ...\"` (Q objects, 100 rows)",
                f"filter ULabel \"name__startswith='{FILTER_PREFIX}' | name__startswith='{other}'\"",
                lambda: ln.ULabel.filter(Q(name__startswith=FILTER_PREFIX) | Q(name__startswith=other))
                .order_by("id")[:101].df(),
                f"ln.ULabel.filter(ln.Q(name__startswith={FILTER_PREFIX!r}) | ln.Q(name__startswith={other!r}))"
                '.order_by("id")[:101].df()',
            ),
            (
                "get_name", '`%ln get ULabel name="..."`',
                f'get ULabel name="{target}"', lambda: ln.ULabel.get(name=target), f"ln.ULabel.get(name={target!r})",
            ),
            ("get_uid", "`%ln get ULabel <uid>`", f"get ULabel {uid}", lambda: ln.ULabel.get(uid), f"ln.ULabel.get({uid!r})"),
        ]
        if hasattr(ln.ULabel, "search"):
            cases.append((
                "search", f'`%ln search ULabel "{word}" --limit 20`',
                f'search ULabel "{word}" --limit 20',
                lambda: list(ln.ULabel.search(word, limit=20)),
                f"list(ln.ULabel.search({word!r}, limit=20))",
            ))

        rows = []
        for key, label, line, direct, code in cases:
            # the magic gives what the library gives
            got = shell.run_line_magic("ln", line)
            expected = direct()
            if key == "search":
                got = list(got)
            if hasattr(expected, "equals"):
                check(got.equals(expected.iloc[:100]), f"{key}: the magic's table differs from the library's")
            else:
                check(got == expected, f"{key}: the magic's result differs from the library's")

            def magic(line=line, key=key):
                value = shell.run_line_magic("ln", line)
                return list(value) if key == "search" else value

            call_direct, call_magic = paired(direct, magic, rounds)
            cell = "_r = list(_r)" if key == "search" else ""
            cell_direct, cell_magic = paired(
                lambda code=code: shell.run_cell(f"_r = {code}", store_history=False),
                lambda line=line, cell=cell: shell.run_cell(f"_r = %ln {line}\n{cell}", store_history=False),
                rounds,
            )
            rows.append({
                "key": key, "label": label,
                "direct": ms(call_direct), "magic": ms(call_magic), "overhead": overhead_ms(call_direct, call_magic),
                "cell_direct": ms(cell_direct), "cell_magic": ms(cell_magic),
                "cell_overhead": overhead_ms(cell_direct, cell_magic),
            })
        result["calls"] = rows

        # parsing alone: what the magic does before it calls the library
        line = f"filter ULabel \"name__startswith='{FILTER_PREFIX}' | name__startswith='{other}'\" --limit 50"

        def parse():
            words = split_words(line)
            _, rest = parse_options(words[2:], SUBCOMMANDS["filter"].options, "filter")
            model = find_registry(words[1].text)
            parse_conditions(rest, shell.user_ns, model)

        result["parse_ms"] = ms(timed(parse, rounds * 5, warmup=3)[0])

        # Tab completion inside the magic
        completions = []
        for label, text in (
            ("fields: `%ln filter ULabel na<Tab>`", "%ln filter ULabel na"),
            ("related fields: `%ln filter Artifact created_by__<Tab>`", "%ln filter Artifact created_by__"),
            ('values: `%ln get ULabel name="Pilot scr<Tab>` (a query)', f'%ln get ULabel name="{FILTER_PREFIX[:9]}'),
        ):
            def complete(text=text):
                with provisionalcompleter():
                    return list(shell.Completer.completions(text, len(text)))

            check(len(complete()) > 0, f"no completions for {text!r}")
            completions.append({"label": label, "ms": ms(timed(complete, max(rounds // 4, 10), warmup=3)[0])})
        result["completions"] = completions

        # rendering a result in a notebook
        df = shell.run_line_magic("ln", f'filter ULabel name__startswith="{FILTER_PREFIX}"')
        check(len(df) == min(size // 100, 100), "the display case should have 1% of the rows, at most 100")
        to_html = shell.display_formatter.formatters["text/html"]
        result["display_ms"] = ms(timed(lambda: to_html(df), max(rounds // 4, 10), warmup=3)[0])
        result["pandas_html_ms"] = ms(timed(df._repr_html_, max(rounds // 4, 10), warmup=3)[0])
    return result


def render(results: list[dict], machine: dict, command: str) -> str:
    """The Markdown section, markers included."""
    from lamindb_jupyter.display import PAGE_ROWS

    title = "## The `%ln` magic: overhead over the library call (`benchmarks/bench_magic.py`)"
    lines = section_head(BEGIN, title, machine, command)
    lines += [machine_text(machine, "IPython", "Django", "pandas"), ""]
    lines.append(
        f"Medians in ms. **Overhead** is the median of the differences between a magic call and "
        f"the direct call timed right next to it; the aim is under {TARGET_MS:g} ms (JupySQL's "
        "`%sql` adds about 250 ms per call, as issue 5 notes; not measured here). *Call*: "
        "`shell.run_line_magic(\"ln\", ...)` against the Python function; *cell*: "
        "`shell.run_cell(\"r = %ln ...\")` against `shell.run_cell(\"r = ln.ULabel...\")`. ✗ marks "
        "an overhead over the aim."
    )
    for r in results:
        lines += ["", f"**{r['backend']}, {r['size']:,} labels**, {r['rounds']} pairs per row:", ""]
        lines.append("| command | library call | `%ln` call | **overhead** | library cell | `%ln` cell | **cell overhead** |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for c in r["calls"]:
            mark = " ✗" if max(c["overhead"], c["cell_overhead"]) > TARGET_MS else ""
            lines.append(
                f"| {c['label']} | {c['direct']:.3g} | {c['magic']:.3g} | **{c['overhead']:.2f}**{mark} | "
                f"{c['cell_direct']:.3g} | {c['cell_magic']:.3g} | **{c['cell_overhead']:.2f}** |"
            )
        lines += ["", "| also measured | ms |", "|---|---:|"]
        lines.append(f"| parsing a `filter` command with a `\\|` expression alone (no query) | {r['parse_ms']:.3f} |")
        for c in r["completions"]:
            lines.append(f"| Tab completion, {c['label']} | {c['ms']:.3g} |")
        shown = min(r["size"] // 100, 100)
        how = "itables" if shown > PAGE_ROWS else "a static table"
        lines.append(f"| HTML of a {shown}-row `%ln filter` result ({how}, escaped) | {r['display_ms']:.3g} |")
        lines.append(f"| for comparison: pandas' own `_repr_html_()` of it | {r['pandas_html_ms']:.3g} |")
    lines += ["", END, ""]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the %ln magic's overhead and write the results to BENCHMARKS.md.",
        epilog="Example: python benchmarks/bench_magic.py --backends sqlite --rounds 50 --output -",
    )
    parser.add_argument("--size", type=int, default=10_000, help="number of ULabels (default 10,000)")
    add_backends(parser)
    parser.add_argument("--rounds", type=int, default=200, help="timed pairs per command (default 200)")
    add_run_options(parser, pg_help="PostgreSQL server where a throwaway database is created (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case:
        return write_result(args.case_result, run_case(args.case[0], int(args.case[1]), args.rounds, args.pg_url))
    if args.rounds < 10 or args.size < 1000:
        return usage_error("--rounds must be at least 10 and --size at least 1000")
    machine = machine_for_run(args)
    if machine is None:
        return 1
    machine["ipython"] = package_version("ipython")
    results = run_cases(__file__, args.backends, [args.size], "labels", cli_options(args, "rounds", "pg_url"))
    machine["load"] = load_span(machine["load"])
    command = shown_command(__file__, args, "size", "backends", "rounds")
    return publish(render(results, machine, command), args.output)


if __name__ == "__main__":
    sys.exit(main())
