"""Benchmark of artifacts in an S3 bucket: 1,000 small files and one 256 MiB file, against raw s3fs.

Against moto's S3 server on 127.0.0.1 (``python -m moto.server`` in its own process, so that
the server does not share this process's interpreter lock), in a fresh instance whose storage
is ``s3://bench-<random>/lamin`` (embedded SQLite), it measures:

- saving 1,000 small files (a few hundred bytes each, distinct) with ``ln.save`` after
  constructing them (construction hashes the local files and is timed apart), and loading them
  back with ``artifact.cache()`` with a cold cache (downloads) and a warm one (no request but the
  cache's size check);
- saving one 256 MiB file with ``artifact.save()``, and ``artifact.cache()`` cold and warm;

and, in the same run, raw s3fs on the same files into another prefix of the bucket: ``put_file``
one file after the other (the baseline of the aim), ``put`` of the 1,000 at once (s3fs's own
concurrency), ``put_file`` and ``get_file`` of the large file. Aims (issue 14): the large
file's save within 1.2x of raw ``put_file``; the 1,000 small files at least 5x faster than
uploading them one after the other.

The result replaces this script's section of ``BENCHMARKS.md`` (between its HTML comment markers).

Example:
    python benchmarks/bench_storage.py                     # writes BENCHMARKS.md
    python benchmarks/bench_storage.py --small 200 --large-mib 32 --output -
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine_description, machine_text, package_version, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench_storage:begin -->"
END = "<!-- bench_storage:end -->"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return proc, endpoint
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("moto's server did not start")


def clock(func):
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def run(n_small: int, large_mib: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    os.environ["LAMIN_CORE_HOME"] = str(work / "home")
    proc, endpoint = start_server()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=endpoint, LAMIN_CORE_PROGRESS="0")
    try:
        import boto3

        bucket = f"bench-{secrets.token_hex(4)}"
        boto3.client("s3").create_bucket(Bucket=bucket)
        small_dir = work / "small"
        small_dir.mkdir()
        small = []
        for i in range(n_small):
            path = small_dir / f"file_{i:05d}.csv"
            path.write_bytes(f"id,value\n{i},{secrets.token_hex(150 + i % 50)}\n".encode())
            small.append(path)
        large = work / "large.bin"
        with open(large, "wb") as out:
            for _ in range(large_mib):
                out.write(os.urandom(2**20))
        results: dict[str, float] = {}

        import s3fs

        raw = s3fs.S3FileSystem(skip_instance_cache=True)
        raw_prefix = f"{bucket}/raw"
        results["raw_small_sequential"], _ = clock(
            lambda: [raw.put_file(str(p), f"{raw_prefix}/seq/{p.name}") for p in small])
        results["raw_small_put"], _ = clock(
            lambda: raw.put([str(p) for p in small], [f"{raw_prefix}/batch/{p.name}" for p in small]))
        results["raw_large_put"], _ = clock(lambda: raw.put_file(str(large), f"{raw_prefix}/large.bin"))
        results["raw_large_get"], _ = clock(lambda: raw.get_file(f"{raw_prefix}/large.bin", str(work / "raw-large.bin")))
        results["raw_small_get"], _ = clock(
            lambda: raw.get([f"{raw_prefix}/batch/{p.name}" for p in small], [str(work / "raw-small" / p.name) for p in small]))

        import lamindb_core as ln

        ln.settings.verbosity = 0
        ln.setup.init(storage=f"s3://{bucket}/lamin", name="bench-storage")
        os.environ["LAMIN_CORE_CACHE_DIR"] = str(work / "cache")
        results["construct_small"], artifacts = clock(
            lambda: [ln.Artifact(p, key=f"small/{p.name}") for p in small])
        results["save_small"], _ = clock(lambda: ln.save(artifacts))
        results["cache_small_cold"], _ = clock(lambda: [a.cache() for a in artifacts])
        results["cache_small_warm"], _ = clock(lambda: [a.cache() for a in artifacts])
        results["construct_large"], big = clock(lambda: ln.Artifact(large, key="large.bin"))
        results["save_large"], _ = clock(big.save)
        results["cache_large_cold"], local = clock(big.cache)
        results["cache_large_warm"], _ = clock(big.cache)
        assert local.stat().st_size == large.stat().st_size
        assert ln.Artifact.filter(key__startswith="small/").count() == n_small
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


def fmt(seconds: float) -> str:
    return f"{seconds:.3g}" if seconds < 100 else f"{seconds:.0f}"


def render(r: dict, n_small: int, large_mib: int, machine: dict, command: str) -> str:
    ratio_large = r["save_large"] / r["raw_large_put"]
    speedup_small = r["raw_small_sequential"] / r["save_small"]
    rows = [
        ("raw s3fs: `put_file` of the small files one after the other", "", r["raw_small_sequential"]),
        ("raw s3fs: `put` of the small files at once (s3fs's concurrency)", "", r["raw_small_put"]),
        ("construct the small artifacts (hashes the local files)", "", r["construct_small"]),
        ("**`ln.save` of the small artifacts (uploads, checks ETags, inserts)**",
         f">= 5x faster than one after the other: **{speedup_small:.1f}x**", r["save_small"]),
        ("`artifact.cache()` of each small artifact, cold cache", "", r["cache_small_cold"]),
        ("raw s3fs: `get` of the small files at once", "", r["raw_small_get"]),
        ("`artifact.cache()` of each small artifact, warm cache", "", r["cache_small_warm"]),
        (f"raw s3fs: `put_file` of the {large_mib} MiB file", "", r["raw_large_put"]),
        (f"construct the {large_mib} MiB artifact (hashes it)", "", r["construct_large"]),
        (f"**`artifact.save()` of the {large_mib} MiB artifact**",
         f"<= 1.2x raw `put_file`: **{ratio_large:.2f}x**", r["save_large"]),
        (f"raw s3fs: `get_file` of the {large_mib} MiB file", "", r["raw_large_get"]),
        (f"`artifact.cache()` of the {large_mib} MiB artifact, cold cache", "", r["cache_large_cold"]),
        (f"`artifact.cache()` of the {large_mib} MiB artifact, warm cache", "", r["cache_large_warm"]),
    ]
    lines = [
        BEGIN,
        "## Artifacts in an S3 bucket (`benchmarks/bench_storage.py`)",
        "",
        f"Measured on {machine['date']} at commit {machine['commit']} with `{command}`.",
        "",
        machine_text(machine, "Django") + f" It was {machine.get('load_end', '?')} at the end. "
        f"s3fs {package_version('s3fs')}, moto {package_version('moto')} (its S3 server in its own process on "
        "127.0.0.1).",
        "",
        f"One run each, in a fresh instance (embedded SQLite) whose storage is a bucket of that server. "
        f"{n_small:,} small files are CSV files of 300 to 400 bytes, each with other content; the large file is "
        f"{large_mib} MiB of random bytes. Raw s3fs writes the same files to another prefix of the bucket in the "
        "same run.",
        "",
        "moto's server answers requests one process can serve: raw s3fs's own concurrent `put` of the small "
        "files gains little over one file after the other, so the server, not the client, bounds the small-file "
        "figures here; against S3 or MinIO the concurrency of `ln.save` (64 uploads at a time) counts.",
        "",
        "| measurement | aim | seconds |",
        "|---|---|---:|",
        *[f"| {name} | {aim} | {fmt(value)} |" for name, aim, value in rows],
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="how many small files (1000)")
    parser.add_argument("--large-mib", type=int, default=256, help="the size of the large file in MiB (256)")
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"), help="the file to update, or - to print")
    args = parser.parse_args(argv)
    machine = machine_description(None)
    results = run(args.small, args.large_mib)
    machine["load_end"] = f"{os.getloadavg()[0]:.2f}"
    command = "python benchmarks/bench_storage.py" + (
        f" --small {args.small}" if args.small != 1000 else "") + (
        f" --large-mib {args.large_mib}" if args.large_mib != 256 else "")
    section = render(results, args.small, args.large_mib, machine, command)
    if args.output == "-":
        print(section)
    else:
        write_section(Path(args.output), section)
        print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
