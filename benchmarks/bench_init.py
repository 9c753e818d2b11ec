"""Benchmark of ``ln.setup.init``: a new instance, with and without the ``bio`` module, on SQLite
and PostgreSQL; the first of its schema (it migrates, and keeps the schema as a template) and the
next ones (they start from the template, ``lamindb_core/schema_template.py``).

Each init runs in a new process with its own config folder, as a user's would; the figure is the
time of the ``ln.setup.init(...)`` call in it (Django's set-up included, the interpreter's start
and ``import lamindb_core`` not), and the process's whole wall time beside it. The cache folder
(``LAMIN_CORE_CACHE_DIR``) is new for each backend and module set, so the first init finds no
template. PostgreSQL databases are created as ``lamin_bench_<random>`` before the clock starts
and dropped at the end.

Example:
    python benchmarks/bench_init.py                                   # both backends, 5 inits after the first
    python benchmarks/bench_init.py --backends sqlite --repeat 3 --output -
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    DEFAULT_PG_URL,
    REPO,
    add_backends,
    fmt,
    machine_for_run,
    machine_text,
    pg_admin,
    publish,
    section_head,
    with_database,
)

BEGIN = "<!-- bench_init:begin -->"
END = "<!-- bench_init:end -->"

# the child: the seconds of ln.setup.init, and how many migrations it applied
CHILD = """
import importlib.util, json, sys, time

# Counted and timed inside the init without importing Django before the clock starts (the init
# imports it: that is part of its time): the migrations it applies, and Django's set-up (importing
# Django, defining the registries), which the first use of a registry costs any process, an
# instance's init or not.
applied = []
setup_seconds = []

def count_migrations(module):
    apply = module.MigrationExecutor.apply_migration
    def counting(self, state, migration, *args, **kwargs):
        applied.append(migration.name)
        return apply(self, state, migration, *args, **kwargs)
    module.MigrationExecutor.apply_migration = counting

def time_setup(module):
    # Django's app registry set-up: what django.setup() does with lamindb_core's settings
    populate = module.Apps.populate
    def timed_populate(self, *args, **kwargs):
        begin = time.perf_counter()
        try:
            return populate(self, *args, **kwargs)
        finally:
            if not setup_seconds:  # the first call does the work
                setup_seconds.append(time.perf_counter() - begin)
    module.Apps.populate = timed_populate

class PatchOnImport:
    # patches a module right after its first import
    patches = {"django.apps.registry": time_setup, "django.db.migrations.executor": count_migrations}

    def find_spec(self, name, path, target=None):
        patch = self.patches.pop(name, None)
        if patch is None:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        run_module = spec.loader.exec_module
        def exec_module(module):
            run_module(module)
            patch(module)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, PatchOnImport())

import lamindb_core as ln
start = time.perf_counter()
ln.setup.init(storage=sys.argv[1], db=sys.argv[2] or None, modules=sys.argv[3] or None)
seconds = time.perf_counter() - start
print(json.dumps({"init": seconds, "migrations": len(applied), "django_setup": sum(setup_seconds)}))
"""


def one_init(workdir: Path, n: int, backend: str, modules: str, pg_url: str, databases: list[str]) -> dict:
    """One ``ln.setup.init`` in a new process: ``{"init": s, "process": s, "migrations": n}``."""
    db = ""
    if backend == "postgres":
        name = "lamin_bench_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        pg_admin(pg_url, f'CREATE DATABASE "{name}"')
        databases.append(name)
        db = with_database(pg_url, name)
    env = {**os.environ, "LAMIN_CORE_HOME": str(workdir / f"home{n}"), "LAMIN_CORE_CACHE_DIR": str(workdir / "cache")}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(workdir / f"storage{n}"), db, modules],
        env=env, cwd=workdir, capture_output=True, text=True, timeout=600,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return {**measured, "process": wall}


def ddl_floor(workdir: Path, pg_url: str, databases: list[str]) -> dict:
    """PostgreSQL's own time for the schema: the template's statements without parameters (every
    CREATE TABLE, CREATE INDEX, ALTER TABLE, function and trigger) sent by psycopg alone into a
    new database, in one transaction, commit included; and the part of it spent in btree
    ``CREATE INDEX`` statements (PostgreSQL writes and syncs each new btree index to disk)."""
    import psycopg

    template = next((workdir / "cache" / "schemas").glob("*.postgresql.json"))
    statements = [sql for sql, params, _ in json.loads(template.read_text()) if params is None
                  and not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    name = "lamin_bench_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    pg_admin(pg_url, f'CREATE DATABASE "{name}"')
    databases.append(name)
    btree = btree_seconds = 0
    with psycopg.connect(with_database(pg_url, name)) as conn, conn.cursor() as cursor:
        start = time.perf_counter()
        for sql in statements:
            head = sql.split("(")[0].upper()
            is_btree = "INDEX" in head and " USING GIN" not in sql.upper()
            t = time.perf_counter()
            cursor.execute(sql)
            if is_btree:
                btree += 1
                btree_seconds += time.perf_counter() - t
        conn.commit()
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "statements": len(statements), "btree": btree, "btree_seconds": btree_seconds}


def run(backend: str, modules: str, repeat: int, pg_url: str) -> dict:
    databases: list[str] = []
    floors: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="lamin-bench-init-") as tmp:
        workdir = Path(tmp)
        try:
            first = one_init(workdir, 0, backend, modules, pg_url, databases)
            rest = []
            for n in range(1, repeat + 1):
                rest.append(one_init(workdir, n, backend, modules, pg_url, databases))
                if backend == "postgres":
                    # in turn with the inits, so that a change of the machine's load touches both
                    floors.append(ddl_floor(workdir, pg_url, databases))
        finally:
            for name in databases:
                pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"  {backend} {modules or 'core'}: first {first['init']:.2f} s, then {[round(r['init'], 2) for r in rest]}",
          file=sys.stderr, flush=True)
    return {
        "backend": backend,
        "modules": modules or "none",
        "first": first,
        "init": statistics.median(r["init"] for r in rest),
        "process": statistics.median(r["process"] for r in rest),
        "django_setup": statistics.median(r["django_setup"] for r in rest),
        "migrations": max(r["migrations"] for r in rest),
        "floor": {
            "seconds": statistics.median(f["seconds"] for f in floors),
            "btree_seconds": statistics.median(f["btree_seconds"] for f in floors),
            "statements": floors[0]["statements"],
            "btree": floors[0]["btree"],
        } if floors else None,
    }


def render(results: list[dict], machine: dict, command: str, repeat: int) -> str:
    lines = section_head(BEGIN, "## New instances: `ln.setup.init` (`benchmarks/bench_init.py`)", machine, command)
    lines += [
        machine_text(machine, "Django") + f" The load was {machine.get('load_end', '?')} at the end.",
        "",
        "Each init in a new process with its own config folder; the time of the `ln.setup.init(...)` call (Django's "
        "set-up included, the interpreter's start and the import not), and the whole process beside it. The first "
        "init of a schema migrates and keeps the schema as a template (`lamindb_core/schema_template.py`); the next "
        f"ones start from it (median of {repeat}). Aim (issue 16): < 0.3 s. \"of it: Django's set-up\" is the "
        "set-up of Django's app registry inside the next inits (`apps.populate`, all that `django.setup()` does with "
        "lamindb_core's settings: importing Django's models and defining the registries, with those of "
        "`bio` where the instance has it): what the first use of a registry costs any process, with or without an "
        "init; the rest is the init's own work (the instance's records, the connection, the collector's passes). "
        "The schema is made from the template on a thread of its own while Django sets up: on SQLite the "
        "template's copy, checked and synced (`schema_template.SqliteCopy`), on PostgreSQL the server makes it "
        "on a connection of its own (`schema_template.PostgresReplay`): there the two overlap, and the init "
        "takes about the schema's time, not the sum.",
        "",
        "The floor (PostgreSQL): the template's statements without parameters (the whole schema: tables, "
        "indexes, constraints, functions, triggers) sent by psycopg alone, one statement at a time, into a new "
        "database in one transaction, in turn with the inits (median); the btree `CREATE INDEX` part is the time of those "
        "statements in it: PostgreSQL writes each new btree index outside its buffers and syncs it to "
        "disk, one sync per index.",
        "",
        "| backend | modules | first init (migrates) [s] | next inits [s] | of it: Django's set-up [s] | whole process [s] "
        "| migrations run by the next | floor: the schema's DDL alone [s] | of it: btree indexes (count) [s] |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        floor = r.get("floor")
        floor_cells = (f"{fmt(floor['seconds'], 's')} ({floor['statements']} statements) "
                       f"| {fmt(floor['btree_seconds'], 's')} ({floor['btree']}) |") if floor else " | |"
        lines.append(
            f"| {r['backend']} | {r['modules']} | {fmt(r['first']['init'], 's')} ({r['first']['migrations']} migrations) "
            f"| {fmt(r['init'], 's')} | {fmt(r['django_setup'], 's')} | {fmt(r['process'], 's')} | {r['migrations']} | "
            + floor_cells
        )
    lines += ["", END, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backends(parser)
    parser.add_argument("--repeat", type=int, default=5, help="inits after the first (default 5)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the databases")
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"), help="file to write the section into; - prints only")
    args = parser.parse_args(argv)
    machine = machine_for_run(args)
    if machine is None:
        return 1
    results = [run(backend, modules, args.repeat, args.pg_url) for backend in args.backends for modules in ("", "bio")]
    machine["load_end"] = f"{os.getloadavg()[0]:.2f}"
    shown = " ".join(["python benchmarks/bench_init.py", *(argv if argv is not None else sys.argv[1:])])
    return publish(render(results, machine, shown, args.repeat), args.output)


if __name__ == "__main__":
    sys.exit(main())
