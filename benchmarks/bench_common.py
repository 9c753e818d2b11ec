"""What the benchmark scripts share: timing, throwaway and kept instances, the common options,
one child process per (backend, size), the machine's description and the sections of
``BENCHMARKS.md``.

- ``add_backends`` and ``add_run_options`` (the common options), ``run_cases`` and
  ``write_result`` (one child process per backend and size);
- ``Scratch`` (throwaway instances), ``Kept`` (filled instances kept between runs), ``Profiler``,
  ``timed``, ``timed_calls`` and ``summary``;
- ``machine_for_run`` and ``machine_description`` (which first writes the measured packages'
  bytecode, ``ensure_bytecode``), ``section_head``, ``machine_text`` and ``table_head``, and
  ``publish`` (print the section, or write it with ``write_section``).

Example:
    from bench_common import Scratch, add_backends, timed
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent

INTRO = """# Benchmarks

The figures below are measured by the scripts in `benchmarks/` and written here by them; do not
edit a section between its `<!-- ...:begin -->` and `<!-- ...:end -->` markers by hand, rerun its
script instead. See `benchmarks/README.md`.

The core registry section comes from `benchmarks/bench_core.py`; rerun it with

    .venv/bin/python benchmarks/bench_core.py --sizes 10000 100000 --backends sqlite postgres

(PostgreSQL on 127.0.0.1:5432, trust auth; `--pg-url` for another server). The aims are those of
issue 2: constructing and saving 10,000 labels under 1 s (LaminDB 1.0 takes over 10 s on these
machines), `get` under 1 ms, `import lamindb_core` under 0.3 s.
"""

DEFAULT_PG_URL = os.environ.get("LAMIN_CORE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

# ---------------------------------------------------------------------------
# shared by the benchmark scripts: in the process of one (backend, size)
# ---------------------------------------------------------------------------


def summary(times: list[float]) -> dict:
    """Median, min, max and number of runs of a list of durations in seconds."""
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times)}


def timed(func, repeat: int, warmup: int = 2) -> tuple[list[float], object]:
    """Durations of ``repeat`` calls of ``func`` after ``warmup`` untimed ones; and the last result.

    Example:
        >>> times, value = timed(lambda: 6 * 7, 3)
        >>> len(times), value
        (3, 42)
    """
    result = None
    for _ in range(warmup):
        result = func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return times, result


def timed_calls(func, args: list, warmup: int = 3) -> list[float]:
    """Call ``func(arg)`` for each arg, after ``warmup`` untimed calls; one duration per call."""
    for arg in args[:warmup]:
        func(arg)
    times = []
    for arg in args:
        start = time.perf_counter()
        func(arg)
        times.append(time.perf_counter() - start)
    return times


def check(condition: bool, message: str) -> None:
    """Stop the benchmark if a query returned something else than expected (figures would lie)."""
    if not condition:
        raise RuntimeError(message)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def pg_admin(url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) outside a transaction."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


class Scratch:
    """The throwaway instances of one case, all removed when the ``with`` block ends.

    Each instance has a storage folder in one temporary folder (``workdir``, where a case may put
    files of its own) and, on PostgreSQL, its own ``lamin_bench_<random>`` database on the server
    of ``pg_url``. At the end Django's connections are closed first, so the databases can go.

    Example:
        with Scratch("postgres", pg_url, "lamin-bench-search-postgres-") as scratch:
            seconds = scratch.init(ln, "labels", "bench-labels")
    """

    def __init__(self, backend: str, pg_url: str, prefix: str):
        self.backend = backend
        self.pg_url = pg_url
        self.prefix = prefix
        self.instances: list[tuple[Path, str | None]] = []  # (storage folder, database)

    def __enter__(self) -> Scratch:
        self.workdir = Path(tempfile.mkdtemp(prefix=self.prefix))
        return self

    def __exit__(self, *exc_info) -> None:
        if "django" in sys.modules:
            from django.conf import settings
            from django.db import connections

            if settings.configured:  # not where the first init failed before it set Django up
                connections.close_all()
        for _, database in self.instances:
            if database is not None:
                pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)

    def init(self, ln, storage: str, name: str, kept: Kept | None = None) -> float:
        """``ln.setup.init`` of a new, empty instance with storage ``workdir/storage``; the
        seconds it took (on PostgreSQL, its database is created before the clock starts).
        With ``kept``, the instance goes into that folder and stays after the ``with`` block."""
        database = db = None
        if self.backend == "postgres":
            database = kept.database(name) if kept else (
                "lamin_bench_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8)))
            pg_admin(self.pg_url, f'CREATE DATABASE "{database}"')
            db = with_database(self.pg_url, database)
        folder = kept.folder / storage if kept else self.workdir / storage
        if not kept:
            self.instances.append((folder, database))
        start = time.perf_counter()
        ln.setup.init(storage=folder, db=db, name=name)
        return time.perf_counter() - start

    def drop_older(self) -> None:
        """Remove every instance but the latest: its database and its storage folder."""
        for storage, database in self.instances[:-1]:
            if database is not None:
                pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            shutil.rmtree(storage, ignore_errors=True)
        del self.instances[:-1]


class Kept:
    """The filled instances of one (backend, size), kept between runs (``--keep DIR``): filling a
    million rows takes minutes, measuring them seconds.

    ``DIR/<backend>-<size>/`` holds the config folder of the case (``home``, which
    ``run_cases`` makes its ``LAMIN_CORE_HOME``), the instances' storage folders, and
    ``filled.json``: what was filled (the script's ``version`` of its data), when, and the
    figures of the fill. A run reuses them if ``filled.json`` says the same version; otherwise,
    or if a run stopped while filling, it removes them (and their PostgreSQL databases) and fills
    anew. Measurements must leave the instances as they found them (they only read).

    Example:
        kept = Kept(Path("/tmp/bench"), "sqlite", 1_000_000, "labels-1", pg_url)
        if kept.filled() is None:
            kept.clear(); ...; kept.mark({"insert": 310.0})
    """

    def __init__(self, root: Path, backend: str, size: int, version: str, pg_url: str):
        self.folder = root / f"{backend}-{size}"
        self.backend, self.size, self.version, self.pg_url = backend, size, version, pg_url
        self.marker = self.folder / "filled.json"

    @staticmethod
    def home(root: Path, backend: str, size: int) -> Path:
        """The case's config folder (``LAMIN_CORE_HOME``)."""
        return root / f"{backend}-{size}" / "home"

    def database(self, name: str) -> str:
        """The PostgreSQL database of the kept instance ``name``."""
        return f"lamin_bench_kept_{self.size}_{re.sub(r'[^a-z0-9]', '_', name.lower())}"

    def filled(self) -> dict | None:
        """What ``mark`` recorded, if it is for this version of the data; else None."""
        try:
            info = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return None
        return info if info.get("version") == self.version and info.get("size") == self.size else None

    def clear(self, names: list[str]) -> None:
        """Remove what an earlier run kept: the folder (but the config folder, which the case
        already uses) and the databases of the instances ``names``."""
        if self.backend == "postgres":
            for name in names:
                pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.database(name)}" WITH (FORCE)')
        home = self.home(self.folder.parent, self.backend, self.size)
        if self.folder.exists():
            for path in self.folder.iterdir():
                if path != home:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        if home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True)

    def mark(self, figures: dict) -> None:
        """Record that the instances are filled, with the figures of the fill."""
        when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        info = {"version": self.version, "size": self.size, "when": when, "figures": figures}
        self.marker.write_text(json.dumps(info))


class Profiler:
    """cProfile files of extra runs, ``<folder>/<stem>-<step>.prof``, so that the profiler's
    overhead is in no figure; without a folder it does nothing.

    Example:
        profiled = Profiler(Path("/tmp/prof"), "search-sqlite-10000", calls=5)
        profiled("lookup", lambda: ln.ULabel.lookup())  # /tmp/prof/search-sqlite-10000-lookup.prof
    """

    def __init__(self, folder: Path | None, stem: str, calls: int = 1):
        self.folder = folder
        self.stem = stem
        self.calls = calls
        self.enabled = folder is not None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str, func) -> None:
        """Profile ``calls`` calls of ``func`` into the file of ``step``."""
        if self.folder is None:
            return
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(self.calls):
            func()
        profiler.disable()
        profiler.dump_stats(self.folder / f"{self.stem}-{step}.prof")


def analyzed(model) -> bool:
    """Whether PostgreSQL has statistics of the registry's table (autovacuum ran ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = %s",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def settle_autovacuum(limit: float = 120.0) -> float:
    """Wait until no autovacuum worker runs in the current PostgreSQL database (at most ``limit``
    seconds); the seconds waited. After a big insert, autovacuum analyzes and vacuums the new rows
    on the second core while the queries would be measured (``ln.view()`` at 100,000 labels took
    twice its time beside it); a database some minutes after its insert has none."""
    from django.db import connection

    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.2)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------
# shared by the benchmark scripts: options, one process per case, the report
# ---------------------------------------------------------------------------

BACKENDS = ("sqlite", "postgres")
PG_HELP = "PostgreSQL server where throwaway databases are created (default: %(default)s)"


def add_backends(parser: argparse.ArgumentParser) -> None:
    """``--backends``: SQLite, PostgreSQL or both (the default)."""
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))


def add_run_options(
    parser: argparse.ArgumentParser, pg_help: str = PG_HELP, profile_help: str | None = None, keep_help: str | None = None
) -> None:
    """The options that end a case-running script's list: ``--pg-url``, ``--output``,
    ``--profile`` and ``--keep`` (where their help is given), and the hidden ``--case BACKEND SIZE`` and
    ``--case-result FILE`` with which ``run_cases`` starts one case in a child process."""
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help=pg_help)
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"),
                        help="Markdown file whose section is replaced; '-' prints it only")
    if profile_help is not None:
        parser.add_argument("--profile", type=Path, metavar="DIR", help=profile_help)
    if keep_help is not None:
        parser.add_argument("--keep", type=Path, metavar="DIR", help=keep_help)
    parser.add_argument("--case", nargs=2, metavar=("BACKEND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--case-result", type=Path, help=argparse.SUPPRESS)


def cli_options(args: argparse.Namespace, *names: str) -> list[str]:
    """The words that give the options ``names`` their values in ``args``: unset ones left out,
    paths made absolute (a case's process runs in another folder).

    Example:
        >>> cli_options(argparse.Namespace(sizes=[100, 1000], get_samples=3, profile=None), "sizes", "get_samples", "profile")
        ['--sizes', '100', '1000', '--get-samples', '3']
    """
    words: list[str] = []
    for name in names:
        value = getattr(args, name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        words += ["--" + name.replace("_", "-"), *(str(v.resolve()) if isinstance(v, Path) else str(v) for v in values)]
    return words


def shown_command(script: str, args: argparse.Namespace, *names: str) -> str:
    """The command that a section says it was measured with: ``python benchmarks/<script> <options>``."""
    return " ".join(["python", f"benchmarks/{Path(script).name}", *cli_options(args, *names)])


def usage_error(message: str) -> int:
    """Say what is wrong with the options; the exit status."""
    print(message, file=sys.stderr)
    return 2


def machine_for_run(args: argparse.Namespace) -> dict | None:
    """``machine_description`` for a run on ``args.backends``; None, after saying why, where
    PostgreSQL is among them and does not answer at ``args.pg_url``."""
    if "postgres" not in args.backends:
        return machine_description(None)
    try:
        import psycopg

        psycopg.connect(args.pg_url, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any reason means the same to the user
        print(f"cannot reach PostgreSQL at {args.pg_url}: {exc}\n"
              "start it, pass --pg-url, or run with --backends sqlite", file=sys.stderr)
        return None
    return machine_description(args.pg_url)


def run_cases(
    script: str, backends: list[str], sizes: list[int], noun: str, options: list[str], keep: Path | None = None
) -> list[dict]:
    """Run ``script --case BACKEND SIZE ... options`` for every backend and size, each in a new
    process with its own temporary ``LAMIN_CORE_HOME`` (and ``IPYTHONDIR``); their results.

    The case's output goes to stderr with the progress, so that stdout holds only the report.

    Example:
        results = run_cases(__file__, ["sqlite"], [10_000], "labels", cli_options(args, "repeat", "pg_url"))
    """
    results = []
    for backend in backends:
        for size in sizes:
            print(f"{backend}, {size:,} {noun} ...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory(prefix="lamin-bench-home-") as scratch:
                # a kept case (--keep) has its config folder beside its instances
                home = Kept.home(keep, backend, size) if keep else Path(scratch)
                home.mkdir(parents=True, exist_ok=True)
                out = Path(scratch) / "result.json"
                command = [sys.executable, script, "--case", backend, str(size), "--case-result", str(out), *options]
                env = {**os.environ, "LAMIN_CORE_HOME": str(home), "IPYTHONDIR": str(Path(scratch) / "ipython")}
                subprocess.run(command, env=env, cwd=scratch, stdout=sys.stderr, check=True)
                results.append(json.loads(out.read_text()))
    return results


def write_result(path: Path, result: dict) -> int:
    """The end of a case's process: its result, as JSON for ``run_cases``; the exit status."""
    path.write_text(json.dumps(result))
    return 0


def load_span(start: str) -> str:
    """The 1-minute load average at the start (as measured then) and now: the machine is shared."""
    return f"{start} at the start, {os.getloadavg()[0]:.2f} at the end"


def publish(section: str, output: str) -> int:
    """Print the section and, unless ``output`` is ``-``, write it into that file; the exit status."""
    print(section)
    if output != "-":
        write_section(Path(output), section)
        print(f"wrote {output}", file=sys.stderr)
    return 0


def package_version(name: str) -> str:
    """The installed version of a distribution, or ``not installed``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def ensure_bytecode() -> None:
    """Write the bytecode (``__pycache__``) of the packages measured, as an installed package
    has it: where ``PYTHONDONTWRITEBYTECODE`` is set (these machines set it), every child
    process would otherwise compile lamindb_core's sources again, about 0.15 s that no user's
    ``import`` pays (pip compiles a package when it installs it; Python caches the bytecode of
    an editable checkout on its first import). ``compileall`` writes it whatever that variable
    says; Python only reads it. The packages are those that Python imports (a worktree first on
    ``PYTHONPATH`` included)."""
    import compileall
    import importlib.util

    for package in ("lamindb_core", "lamindb_jupyter"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def machine_description(pg_url: str | None) -> dict:
    """Cores, CPU, memory, OS and the versions that the figures depend on; the bytecode of the
    packages measured is written first (:func:`ensure_bytecode`)."""
    ensure_bytecode()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import sqlite3

    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": package_version("django"),
        "pandas": package_version("pandas"),
        "numpy": package_version("numpy"),
        "sqlite": sqlite3.sqlite_version,
        "psycopg": package_version("psycopg"),
        "commit": git_commit(),
        "load": f"{os.getloadavg()[0]:.2f}",
    }
    if pg_url:
        import psycopg

        with psycopg.connect(pg_url) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    return info


def git_commit(part: str = "") -> str:
    """The short commit of the ``lamindb_core`` that is measured (the one on ``sys.path``, which
    ``PYTHONPATH`` can point at another checkout), noting uncommitted changes to it, or only to
    its subpackage ``part`` (such as ``"bio"``) where one is given."""
    spec = importlib.util.find_spec("lamindb_core")
    if spec is None or spec.origin is None:
        return "unknown"
    package = Path(spec.origin).resolve().parent / part
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=package, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=package,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"unknown ({package})"
    changed = "lamindb_core/" + part if part else "lamindb_core"
    return commit + (f" +uncommitted changes in {changed}" if dirty else "")


def fmt(seconds: float, unit: str) -> str:
    """A duration in ``s`` or ``ms`` with three significant figures."""
    value = seconds * 1000 if unit == "ms" else seconds
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def section_head(begin: str, title: str, machine: dict, command: str) -> list[str]:
    """A section's first lines: its begin marker, its title, and when, at which commit and with
    which command it was measured."""
    return [begin, title, "", f"Measured on {machine['date']} at commit {machine['commit']} with `{command}`.", ""]


def machine_text(machine: dict, *packages: str) -> str:
    """The paragraph on the machine: hardware, Python, ``packages`` (as named in the text, such
    as ``"Django"``; lower-cased, the keys of ``machine``), SQLite, PostgreSQL and the load."""
    pg = f", PostgreSQL {machine['postgres']} (local, 127.0.0.1) via psycopg {machine['psycopg']}" if "postgres" in machine else ""
    versions = "".join(f", {package} {machine[package.lower()]}" for package in packages)
    return (
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']}, {machine['os']}; "
        f"Python {machine['python']}{versions}, SQLite {machine['sqlite']}{pg}; lamindb_core's bytecode "
        f"written before the runs, as an installed package has it. The machine is shared: its "
        f"1-minute load average was {machine['load']}."
    )


def table_head(results: list[dict], aim: str = "target") -> list[str]:
    """The head of a table with a column per case (``sqlite, 10,000``) and one for the aims."""
    heads = [f"{r['backend']}, {r['size']:,}" for r in results]
    return [f"| measurement | {aim} | " + " | ".join(heads) + " |", "|---|---|" + "---:|" * len(results)]


def write_section(path: Path, section: str) -> None:
    """Replace, in ``path``, the section that ``section`` is a new version of (or append it).

    A section starts with its ``<!-- NAME:begin -->`` line and ends with its
    ``<!-- NAME:end -->`` line; every other section stays as it is. A missing file
    is created with an introduction. Every benchmark script writes through this.
    """
    lines = section.strip("\n").splitlines()
    begin, end = lines[0].strip(), lines[-1].strip()
    match = re.fullmatch(r"<!-- ([\w-]+):begin -->", begin)
    if match is None or end != f"<!-- {match.group(1)}:end -->":
        raise ValueError(f"a section starts with <!-- NAME:begin --> and ends with <!-- NAME:end -->, got {begin!r} ... {end!r}")
    text = path.read_text() if path.exists() else INTRO
    if begin in text and end in text.split(begin, 1)[1]:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + section.strip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
