"""Benchmark of search, lookup, from_values and using: ULabels at 10,000 to 1,000,000, on SQLite and PostgreSQL.

Measures, per backend and size, in an instance that holds N labels (and N/10 features, half of
them with synonyms):

- ``ln.ULabel.search(q)`` top 20, records fetched, for a rare word (in 5 labels), a common word
  (in about a third of them), a typo of a word that is in 2% of them, and an exact full name;
  ``.df()`` of the common-word search; ``ln.Feature.search(<a synonym>)``;
- ``ln.ULabel.lookup()`` (built, one attribute read), and beside it: the same two columns as rows with one raw
  ``fetchall``, and the identifiers of the fetched names as a list (``to_identifiers``); the lookup reads the
  two columns as one string each (``group_concat``, ``string_agg``) and needs neither;
- ``ln.ULabel.from_values(<1,000 names>, create=True)``: 900 existing, 100 new (not saved);
- ``ln.ULabel.using(<that instance>).search(q)`` from a second, empty instance;
- relevance: ``RELEVANCE``, 30+ queries with typos, swapped letters, missing and extra words,
  numbers and words in another order, each with the label a user expects first. These labels
  (``TARGET_LABELS``, the guide's among them) are the oldest of the N, so that the bounded
  fuzzy scan of the latest rows cannot be what finds them; each query's first result and
  median time are reported.

The labels are inserted with Django's ``bulk_create`` in one transaction (the text index is
kept by its triggers, or PostgreSQL's GIN indexes, as for any insert), followed by ``ANALYZE``,
as ``ln.save`` does after a big save. The results replace this script's section of
``BENCHMARKS.md`` (between its HTML comment markers); other sections stay.

Example:
    python benchmarks/bench_search.py                                     # 10k, 100k, 1M, both backends
    python benchmarks/bench_search.py --sizes 10000 --backends sqlite --output -
    python benchmarks/bench_search.py --profile /tmp/prof                 # cProfile files per step

Each (backend, size) runs in its own process with its own ``LAMIN_CORE_HOME``. PostgreSQL
databases are created as ``lamin_bench_<random>`` on the server of ``--pg-url`` and dropped at
the end.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

from bench_common import (  # noqa: E402
    Kept,
    Profiler,
    Scratch,
    add_backends,
    add_run_options,
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
    usage_error,
    write_result,
)
from floors import captured_statements, replay_statements  # noqa: E402

BEGIN = "<!-- bench_search:begin -->"
END = "<!-- bench_search:end -->"

# ---------------------------------------------------------------------------
# the labels: names as a lab would give them
# ---------------------------------------------------------------------------

CELLS = (
    "T cell", "B cell", "natural killer cell", "macrophage", "monocyte", "dendritic cell", "neutrophil",
    "fibroblast", "hepatocyte", "neuron", "astrocyte", "microglial cell", "endothelial cell",
    "epithelial cell", "keratinocyte", "cardiomyocyte", "erythrocyte", "mast cell", "plasma cell",
    "regulatory T cell", "memory B cell", "stem cell", "progenitor cell", "adipocyte", "osteoblast",
    "chondrocyte", "myoblast", "podocyte", "enterocyte", "pericyte",
)
TISSUES = (
    "brain", "liver", "lung", "kidney", "heart", "spleen", "bone marrow", "blood", "skin", "colon",
    "pancreas", "retina", "lymph node", "thymus", "muscle", "adipose tissue", "intestine", "stomach",
    "breast", "prostate",
)
ASSAYS = (
    "scRNA-seq", "bulk RNA-seq", "ATAC-seq", "ChIP-seq", "CITE-seq", "flow cytometry",
    "mass spectrometry", "imaging", "whole-genome sequencing", "proteomics", "spatial transcriptomics", "Hi-C",
)
TREATMENTS = (
    "DMSO", "IFNG", "IL-2", "TNF-alpha", "LPS", "dexamethasone", "rapamycin", "control", "vehicle",
    "heat shock", "hypoxia", "CRISPR knockout", "siRNA", "untreated",
)
STUDIES = (
    "Candidate marker study", "Pilot screen", "Perturbation atlas", "Time course", "Dose response",
    "Validation cohort", "Patient cohort", "Organoid panel", "Mouse model", "Reference atlas",
)
GENES = ("CD8A", "CD4", "CD14", "CD38", "PTPRC", "FOXP3", "GAPDH", "ACTB", "MKI67", "TP53", "EGFR", "KRAS",
         "MYC", "SOX2", "PAX6", "NANOG", "GATA1", "SPI1", "CD19", "MS4A1")
TEMPLATES = (
    lambda r: f"{r.choice(STUDIES)} {r.choice(ASSAYS)} {r.choice(TISSUES)}",
    lambda r: f"{r.choice(CELLS)} {r.choice(TISSUES)} {r.choice(TREATMENTS)}",
    lambda r: f"{r.choice(GENES)} {r.choice(('knockout', 'overexpression', 'reporter', 'high', 'low'))} {r.choice(CELLS)}",
    lambda r: f"{r.choice(TISSUES)} {r.choice(ASSAYS)} batch",
    lambda r: f"{r.choice(TREATMENTS)} treated {r.choice(TISSUES)} sample",
)
RARE = "axolotl"  # in exactly RARE_COUNT names
RARE_COUNT = 5
QUERIES = {
    "rare": RARE,
    "common": "cell",
    "typo": "hepatocite",  # hepatocyte
}
MATCHED_WORDS = {"rare": RARE, "common": "cell", "typo": "hepatocyte"}  # what each query is after

# labels that a user looks for, among the N (the oldest ones); the first four are the guide's
# what fill() puts into an instance; change it when fill(), label_names() or TARGET_LABELS change,
# so that instances kept with --keep are filled anew
FILL_VERSION = "labels-1"

TARGET_LABELS = (
    "DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2",
    "liver kinase", "kinase lung", "hepatocyte", "macrophage", "cardiomyocyte", "dexamethasone",
    "T cell", "regulatory T cell", "natural killer cell", "endothelial cell", "bone marrow",
    "Perturbation atlas 2024", "Pilot screen 3", "Pilot screen 12", "Time course 7",
    "CRISPR knockout screen", "flow cytometry panel", "mass spectrometry",
)
# (query, the label expected first, what makes it hard)
RELEVANCE = (
    ("hepatocite", "hepatocyte", "typo"),
    ("macrophag", "macrophage", "letter missing at the end"),
    ("cardiomyocite", "cardiomyocyte", "typo"),
    ("dexametasone", "dexamethasone", "letter missing"),
    ("regulatry T cell", "regulatory T cell", "letter missing"),
    ("natral killer cell", "natural killer cell", "letter missing"),
    ("bone marow", "bone marrow", "letter missing"),
    ("crispr knockot screen", "CRISPR knockout screen", "letter missing"),
    ("flow cytometri panel", "flow cytometry panel", "typo"),
    ("mass spectometry", "mass spectrometry", "letter missing"),
    ("DSMO", "DMSO", "swapped letters"),
    ("IFGN", "IFNG", "swapped letters"),
    ("hepatocyet", "hepatocyte", "swapped letters"),
    ("lvier kinase", "liver kinase", "swapped letters"),
    ("endothleial cell", "endothelial cell", "swapped letters"),
    ("marker study 2", "Candidate marker study 2", "word missing, number"),
    ("candidat studdy 1", "Candidate marker study 1", "word missing, typos, number"),
    ("atlas 2024", "Perturbation atlas 2024", "word missing, number"),
    ("killer cel", "natural killer cell", "word missing, word cut"),
    ("liver kinase inhibitor", "liver kinase", "extra word"),
    ("Pilot screen 12 repeat", "Pilot screen 12", "extra word, number"),
    ("marker stdy 2", "Candidate marker study 2", "typo, number"),
    ("marker stdy 1", "Candidate marker study 1", "typo, number"),
    ("pilot scren 12", "Pilot screen 12", "typo, number"),
    ("pilot screen 3", "Pilot screen 3", "number"),
    ("perturbaton atlas 2024", "Perturbation atlas 2024", "typo, number"),
    ("time corse 7", "Time course 7", "typo, number"),
    ("kinase liver", "liver kinase", "words swapped"),
    ("study marker candidate 2", "Candidate marker study 2", "words in another order"),
    ("livr kinase", "liver kinase", "typo; \"kinase lung\" shares one word"),
    ("cardiomyo", "cardiomyocyte", "start of a word"),
    ("T cel", "T cell", "word cut"),
)
RELEVANCE_REPEAT = 5  # timed calls per relevance query


def label_names(n: int, seed: int = 0) -> list[str]:
    """``n`` unique label names; ``RARE`` is in exactly ``RARE_COUNT`` of them.

    A repeated combination gets a running number ("T cell liver DMSO 17").

    Example:
        >>> label_names(2)
        ['...', '...']
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    names: list[str] = []
    i = 0
    while len(names) < n - RARE_COUNT:
        base = rng.choice(TEMPLATES)(rng)
        name = base if base not in seen else f"{base} {i}"
        i += 1
        if name not in seen:
            seen.add(name)
            names.append(name)
    for k in range(RARE_COUNT):
        names.insert(rng.randrange(len(names) + 1), f"{RARE} limb regeneration {rng.choice(ASSAYS)} {k}")
    return names


def feature_rows(n: int) -> list[tuple[str, str | None]]:
    """``n`` feature names, half of them with two ``|``-separated synonyms."""
    rows = []
    for i in range(n):
        name = f"feature_{i}_{CELLS[i % len(CELLS)].replace(' ', '_')}"
        synonyms = f"synonym {i}|alias {CELLS[i % len(CELLS)]} {i}" if i % 2 == 0 else None
        rows.append((name, synonyms))
    return rows


# ---------------------------------------------------------------------------
# one (backend, size): runs in its own process
# ---------------------------------------------------------------------------


def raw_rows(ln, *columns: str) -> list[tuple]:
    """``SELECT <columns> FROM`` the ULabel table, with the driver's ``fetchall``: no Django, no Python per row."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(ln.ULabel._meta.db_table)}")
        return cursor.fetchall()


def fill(ln, size: int) -> dict:
    """Insert ``size`` labels (5% with a description) and ``size // 10`` features; return timings."""
    from django.db import connection, transaction

    from lamindb_core.bulk import _analyze

    names = list(TARGET_LABELS) + label_names(size - len(TARGET_LABELS))
    user = ln.User.filter().first().id
    start = time.perf_counter()
    with transaction.atomic():
        for begin in range(0, size, 10_000):
            batch = [
                ln.ULabel(name=name, created_by_id=user,
                          description=f"measured in {name.split()[0]} samples" if (begin + k) % 20 == 0 else None)
                for k, name in enumerate(names[begin: begin + 10_000])
            ]
            ln.ULabel.objects.bulk_create(batch, batch_size=2_000)
        features = [ln.Feature(name=n, dtype="str", synonyms=s, created_by_id=user)
                    for n, s in feature_rows(max(size // 10, 100))]
        ln.Feature.objects.bulk_create(features, batch_size=2_000)
    insert = time.perf_counter() - start
    start = time.perf_counter()
    _analyze(ln.ULabel)
    _analyze(ln.Feature)
    if connection.vendor == "postgresql":
        # what autovacuum does within a minute or so: visibility map, GIN pending lists merged
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE core_ulabel")
            cursor.execute("VACUUM ANALYZE core_feature")
    analyze = time.perf_counter() - start
    return {"insert": insert, "analyze": analyze, "names": names}


def run_case(backend: str, size: int, repeat: int, pg_url: str, profile_dir: Path | None, keep: Path | None = None) -> dict:
    """Measure one backend at one size; the config folder is ``$LAMIN_CORE_HOME`` (set by the
    caller). With ``keep``, the filled instances of an earlier run are reused (``Kept``)."""
    kept = Kept(keep, backend, size, FILL_VERSION, pg_url) if keep else None
    reused = kept.filled() if kept else None
    if kept and reused is None:
        kept.clear(["bench-labels", "bench-empty"])  # before lamindb_core reads its config folder

    import lamindb_core as ln
    from lamindb_core.logger import logger
    from lamindb_core.collector import paused
    from lamindb_core.lookup import to_identifiers

    logger.verbosity = 0
    profiled = Profiler(profile_dir, f"search-{backend}-{size}", calls=5)
    result: dict = {"backend": backend, "size": size}
    with Scratch(backend, pg_url, f"lamin-bench-search-{backend}-{size}-") as scratch:
        if reused:
            ln.setup.connect("bench-labels")
            filled = dict(reused["figures"])
            result["reused"] = reused["when"]
            names = list(TARGET_LABELS) + label_names(size - len(TARGET_LABELS))
        else:
            scratch.init(ln, "labels", "bench-labels", kept)
            filled = fill(ln, size)
            names = filled.pop("names")
        result.update(filled)
        check(ln.ULabel.filter().count() == size, "the instance should hold exactly N labels")
        print(f"  {backend} {size}: " + (f"filled on {reused['when']}, reused" if reused else
              f"inserted in {filled['insert']:.1f} s"), file=sys.stderr, flush=True)

        # search, top 20
        rng = random.Random(1)
        exact = rng.choice(names)
        queries = {**QUERIES, "exact": exact}
        for key, query in queries.items():
            times, found = timed(lambda q=query: list(ln.ULabel.search(q)), repeat)
            result[f"search_{key}"] = {**summary(times), "rows": len(found)}
            if key in MATCHED_WORDS:
                result[f"matches_{key}"] = ln.ULabel.filter(name__icontains=MATCHED_WORDS[key]).count()
            profiled(f"search_{key}", lambda q=query: list(ln.ULabel.search(q)))
        # the typo search's statements through the driver alone: its floor, beside it
        statements = captured_statements(lambda: list(ln.ULabel.search(QUERIES["typo"])))
        times, _ = timed(lambda: replay_statements(backend, statements), repeat)
        result["search_typo_floor"] = {**summary(times), "statements": len(statements)}
        top = [r.name for r in ln.ULabel.search(RARE)]
        check(sorted(top) == sorted(n for n in names if RARE in n), f"rare-word search found {top}")
        top = [r.name for r in ln.ULabel.search("cell")]
        check(len(top) == 20 and all("cell" in n.lower() for n in top), f"common-word search found {top}")
        top = [r.name for r in ln.ULabel.search(QUERIES["typo"])]
        check(bool(top) and "hepatocyte" in top[0], f"typo search found {top[:3]}")
        first = ln.ULabel.search(exact).df()
        check(first["name"].iloc[0] == exact and first["score"].iloc[0] == 100.0, "exact search: not first")
        times, _ = timed(lambda: ln.ULabel.search("cell").df(), repeat)
        result["search_df"] = summary(times)

        synonym = "synonym 42"
        times, found = timed(lambda: list(ln.Feature.search(synonym)), repeat)
        check(found[0].synonyms.split("|")[0] == synonym, f"synonym search found {found[0]!r}")
        result["search_synonym"] = {**summary(times), "rows": len(found)}

        # relevance: the first result of each query, and its time
        relevance = []
        for query, expected, _ in RELEVANCE:
            times, found = timed(lambda q=query: list(ln.ULabel.search(q)), RELEVANCE_REPEAT)
            relevance.append({"first": found[0].name if found else None, **summary(times)})
            profiled(f"relevance_{len(relevance)}", lambda q=query: list(ln.ULabel.search(q)))
        result["relevance"] = relevance

        # lookup
        lookup_repeat = max(3, repeat // 4) if size <= 100_000 else 3
        times, lookup = timed(lambda: ln.ULabel.lookup(), lookup_repeat, warmup=1)
        check(lookup[names[0]].name == names[0], "lookup: wrong record")
        result["lookup"] = summary(times)
        del lookup
        gc.collect()
        profiled("lookup", lambda: ln.ULabel.lookup())
        # beside it: the same two columns as rows, one raw fetchall (the lookup reads them joined)
        times, raw = timed(lambda: raw_rows(ln, "name", "id"), lookup_repeat, warmup=1)
        check(len(raw) == ln.ULabel.filter().count(), "lookup floor: wrong rows")
        result["lookup_floor"] = summary(times)
        # the Python work no query removes: the attribute names of the fetched values
        def identifiers(values: list[str]) -> list:
            with paused():  # as the lookup builds them
                return to_identifiers(values)

        fetched = [row[0] for row in raw]
        times, _ = timed(lambda: identifiers(fetched), lookup_repeat, warmup=1)
        result["lookup_idents"] = summary(times)
        del raw, fetched

        # from_values: 900 existing, 100 new
        values = rng.sample(names, 900) + [f"new label {i}" for i in range(100)]
        times, records = timed(lambda: ln.ULabel.from_values(values, create=True), repeat)
        check(len(records) == 1000 and sum(r._state.adding for r in records) == 100, "from_values: wrong records")
        result["from_values"] = summary(times)
        profiled("from_values", lambda: ln.ULabel.from_values(values, create=True))

        # using: from a second, empty instance
        labels_slug = ln.setup.settings.instance.slug
        if reused:
            ln.setup.connect("bench-empty")
        else:
            scratch.init(ln, "empty", "bench-empty", kept)
        for key, query in QUERIES.items():
            times, found = timed(lambda q=query: list(ln.ULabel.using(labels_slug).search(q)), repeat)
            result[f"using_{key}"] = {**summary(times), "rows": len(found)}
        check(ln.ULabel.filter().count() == 0, "the second instance should be empty")
        if kept and not reused:
            kept.mark(filled)  # both instances are made: the next run can reuse them
    return result


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------

SEARCH_TARGET = 0.020  # s, at 1,000,000 labels
LOOKUP_TARGET = {10_000: 0.1, 100_000: 0.15}  # s, by number of labels (issue 16: 100k)
TYPO_TARGET_10K = 0.005  # s, a typo search at 10,000 labels (issue 16)

ROWS = (
    # key, label, unit, target
    ("search_rare", f"`ULabel.search(\"{RARE}\")`, rare word, top 20", "ms", "< 20 ms at 1M"),
    ("search_common", "`ULabel.search(\"cell\")`, common word, top 20", "ms", "< 20 ms at 1M"),
    ("search_typo", f"`ULabel.search(\"{QUERIES['typo']}\")`, typo, top 20", "ms", "< 5 ms at 10k (LaminDB 1.0: 9 ms), < 20 ms at 1M"),
    ("search_typo_floor", "beside it: its statements, captured from one search, sent through the driver alone one after another, rows read (the database's part)", "ms", ""),
    ("search_exact", "`ULabel.search(<a full name>)`, top 20", "ms", "< 20 ms at 1M"),
    ("search_df", "`ULabel.search(\"cell\").df()`", "ms", ""),
    ("search_synonym", "`Feature.search(<a synonym>)` (N/10 features)", "ms", ""),
    ("lookup", "`ULabel.lookup()` build", "ms", "< 100 ms at 10k (LaminDB 1.0: 600 ms), < 150 ms at 100k"),
    ("lookup_floor", "beside it: `SELECT name, id` of every label as rows, raw `fetchall` (the lookup reads the two columns as one string each)", "ms", ""),
    ("lookup_idents", "beside it: the attribute names of those names as a list (`to_identifiers`)", "ms", ""),
    ("from_values", "`ULabel.from_values(1,000 names, create=True)`", "ms", ""),
    ("using_rare", "`ULabel.using(...).search(\"axolotl\")`", "ms", ""),
    ("using_common", "`ULabel.using(...).search(\"cell\")`", "ms", ""),
    ("using_typo", f"`ULabel.using(...).search(\"{QUERIES['typo']}\")`", "ms", ""),
)


def meets(key: str, size: int, seconds: float) -> bool | None:
    """Whether a median meets its aim; None where there is none."""
    if key == "search_typo" and size == 10_000:
        return seconds < TYPO_TARGET_10K
    if key.startswith("search_") and key not in ("search_df", "search_synonym") and size == 1_000_000:
        return seconds < SEARCH_TARGET
    if key == "lookup" and size in LOOKUP_TARGET:
        return seconds < LOOKUP_TARGET[size]
    return None


def render(results: list[dict], machine: dict, command: str, repeat: int) -> str:
    """The Markdown section, markers included."""
    lines = section_head(BEGIN, "## Search, lookup, from_values, using (`benchmarks/bench_search.py`)", machine, command)
    lines += [machine_text(machine, "Django"), ""]
    lines.append(
        f"Each cell: median (min) over {repeat} calls after 2 warm-up calls (lookup: fewer, see the "
        "script). A search is `list(Registry.search(q))`: the candidate queries, the ranking and "
        "the query that fetches the top 20 records. ✗ marks a median over its aim."
    )
    lines.append("")
    lines += table_head(results, aim="aim")
    for key, label, unit, target in ROWS:
        cells = []
        for r in results:
            value = r[key]
            ok = meets(key, r["size"], value["median"])
            cells.append(f"{fmt(value['median'], unit)} ({fmt(value['min'], unit)}){' ✗' if ok is False else ''}")
        lines.append(f"| {label} [{unit}] | {target} | " + " | ".join(cells) + " |")
    for key, label in MATCHED_WORDS.items():
        lines.append(f"| labels whose name contains `{label}` | | "
                     + " | ".join(f"{r[f'matches_{key}']:,}" for r in results) + " |")
    lines.append(f"| relevance: queries whose first result is the expected label (below) | all {len(RELEVANCE)} | "
                 + " | ".join(f"{right(r)} of {len(RELEVANCE)}" for r in results) + " |")
    lines.append("| relevance: slowest of their medians [ms] | < 20 ms at 1M | "
                 + " | ".join(slowest(r) for r in results) + " |")
    # a kept instance (--keep) was filled by an earlier run, perhaps on a busier machine: its
    # insert figures are not this run's, so they are not shown
    lines.append("| insert N labels + N/10 features (`bulk_create`, index kept up) [s] | | "
                 + " | ".join("reused" if r.get("reused") else fmt(r["insert"], "s") for r in results) + " |")
    lines.append("| `ANALYZE` after the insert (PostgreSQL: `VACUUM ANALYZE`) [s] | | "
                 + " | ".join("reused" if r.get("reused") else fmt(r["analyze"], "s") for r in results) + " |")
    lines.append("")
    reused = sorted({r["reused"] for r in results if r.get("reused")})
    if reused:
        lines.append(f"\"reused\": the instances were filled by an earlier run (`--keep`, on {', '.join(reused)}) "
                     "and measured as that run left them; the insert is measured when a run fills them.")
        lines.append("")
    lines.append(
        f"Names look like `{label_names(6)[0]}` or `T cell liver DMSO`: study, assay, tissue, cell "
        f"type, treatment, gene; `{RARE}` is in {RARE_COUNT} names (the table gives how many "
        "contain `cell` and `hepatocyte`); 5% of the labels have a description. Features are named "
        "`feature_<i>_<cell type>`, every other one with synonyms `synonym <i>|alias <cell type> <i>`; "
        "ULabel has no synonyms field, so the synonym search runs on Feature. The `using` rows run "
        "from a second, empty instance (another SQLite file or PostgreSQL database) on the "
        "instance with the labels. LaminDB 1.0 on these machines: about 16 ms per search and "
        "0.6 s per lookup build at 10,000 labels (issue 4)."
    )
    lines.append("")
    lines += relevance_table(results)
    lines.append(END)
    return "\n".join(lines) + "\n"


def right(result: dict) -> int:
    """How many relevance queries had the expected label first."""
    return sum(r["first"] == expected for r, (_, expected, _) in zip(result["relevance"], RELEVANCE))


def slowest(result: dict) -> str:
    """The slowest relevance query's median, ✗ if over its aim at 1,000,000."""
    seconds = max(r["median"] for r in result["relevance"])
    over = result["size"] == 1_000_000 and seconds >= SEARCH_TARGET
    return fmt(seconds, "ms") + (" ✗" if over else "")


def relevance_table(results: list[dict]) -> list[str]:
    """Per relevance query, at the largest size of each backend: the first result and the median time."""
    largest = {}
    for r in results:
        if r["size"] >= largest.get(r["backend"], {"size": 0})["size"]:
            largest[r["backend"]] = r
    cases = list(largest.values())
    lines = [
        f"Relevance: `ULabel.search(q)` on the labels above, {RELEVANCE_REPEAT} timed calls per query; "
        f"✓ the expected label came first, else what came first. The {len(TARGET_LABELS)} labels "
        f"that the queries look for are the oldest of the N: {', '.join(f'`{t}`' for t in TARGET_LABELS)}.",
        "",
        "| query | what makes it hard | expected first | "
        + " | ".join(f"{c['backend']}, {c['size']:,}: first | [ms]" for c in cases) + " |",
        "|---|---|---|" + "---|---:|" * len(cases),
    ]
    for i, (query, expected, kind) in enumerate(RELEVANCE):
        cells = []
        for c in cases:
            r = c["relevance"][i]
            first = "✓" if r["first"] == expected else f"✗ `{r['first']}`"
            over = c["size"] == 1_000_000 and r["median"] >= SEARCH_TARGET
            cells.append(f"{first} | {fmt(r['median'], 'ms')}{' ✗' if over else ''}")
        lines.append(f"| `{query}` | {kind} | `{expected}` | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark search, lookup, from_values and using, and write the results to BENCHMARKS.md.",
        epilog="Example: python benchmarks/bench_search.py --sizes 10000 --backends sqlite --output -",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of ULabels")
    add_backends(parser)
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per measurement (default 20)")
    add_run_options(
        parser,
        profile_help="also write cProfile files (DIR/search-<backend>-<size>-<step>.prof)",
        keep_help="keep the filled instances in DIR and reuse them in later runs (filling a million labels "
        "takes minutes; the insert figures are then those of the run that filled them)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case:
        return write_result(args.case_result, run_case(
            args.case[0], int(args.case[1]), args.repeat, args.pg_url, args.profile, args.keep))
    if args.repeat < 1 or any(size < 1000 for size in args.sizes):
        return usage_error("--repeat must be at least 1 and every size at least 1000")
    machine = machine_for_run(args)
    if machine is None:
        return 1
    results = run_cases(__file__, args.backends, args.sizes, "labels",
                        cli_options(args, "repeat", "pg_url", "profile", "keep"), keep=args.keep)
    machine["load"] = load_span(machine["load"])
    command = shown_command(__file__, args, "sizes", "backends", "repeat")
    return publish(render(results, machine, command, args.repeat), args.output)


if __name__ == "__main__":
    sys.exit(main())
