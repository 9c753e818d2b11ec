"""The demo: run the notebooks of ``notebooks/`` on an embedded instance.

``make demo`` (``python -m lamindb_core.demo``) executes every notebook headlessly
in a real kernel, on a fresh embedded SQLite instance, writes the executed copies
to ``notebooks/.executed/`` and prints a summary. ``--lab`` opens JupyterLab on
the notebooks afterwards.

Usage:
    python -m lamindb_core.demo [--lab] [--notebooks DIR] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["run_notebook", "main"]

REPO = Path(__file__).resolve().parent.parent


def run_notebook(path: Path, workdir: Path, timeout: int = 300, env: dict[str, str] | None = None):
    """Execute one notebook in a fresh kernel with ``workdir`` as its working directory.

    ``env`` adds environment variables for the kernel (e.g. ``LAMIN_CORE_HOME``).

    Returns:
        The executed notebook and a list of ``(cell index, error text)`` for every
        error output.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env={**os.environ, **(env or {})})
    failures = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failures.append((index, f"{output.get('ename')}: {output.get('evalue')}"))
    return nb, failures


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit code (1 if any notebook cell failed)."""
    import nbformat

    parser = argparse.ArgumentParser(prog="python -m lamindb_core.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", help="folder of .ipynb files")
    parser.add_argument("--workdir", type=Path, default=REPO / "demo-instance", help="where the instance lives")
    parser.add_argument("--lab", action="store_true", help="open JupyterLab on the notebooks afterwards")
    args = parser.parse_args(argv)

    notebooks = sorted(p for p in args.notebooks.glob("*.ipynb"))
    if not notebooks:
        print(f"error: no notebooks in {args.notebooks}", file=sys.stderr)
        return 1
    # a fresh demo each time: the notebooks set up their instance in the work folder
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    os.environ.setdefault("LAMIN_CORE_HOME", str(args.workdir / ".lamin-core"))
    out_dir = args.notebooks / ".executed"
    out_dir.mkdir(exist_ok=True)
    status = 0
    for path in notebooks:
        start = time.perf_counter()
        nb, failures = run_notebook(path, args.workdir)
        seconds = time.perf_counter() - start
        nbformat.write(nb, out_dir / path.name)
        n_code = sum(1 for c in nb.cells if c.cell_type == "code")
        mark = "✓" if not failures else "✗"
        print(f"{mark} {path.name}: {n_code} code cells in {seconds:.1f} s → {out_dir / path.name}")
        for index, error in failures:
            print(f"    cell {index}: {error}")
            status = 1
    print(f"→ instance and data of the demo: {args.workdir}")
    if args.lab and status == 0:
        command = [sys.executable, "-m", "jupyter", "lab", str(args.notebooks)]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        subprocess.run(command, check=False)
    return status


if __name__ == "__main__":
    sys.exit(main())
