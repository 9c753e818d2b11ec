"""A real JupyterLab in a real headless Chromium (recipes: ../shared/TESTING.md).

``lab`` starts ``jupyter lab`` on a free port with a temporary root folder, config, settings
and ``LAMIN_CORE_HOME`` holding two small embedded instances (``browser-test``, current, and
``other-lab``); the JupyterLab panel is this checkout's build (``labextension/dist``) when
there is one, else the installed one; ``chromium`` launches the
system's Chromium through playwright (``executable_path``: never ``playwright install``).
Without Chromium these tests fail, loudly: CI installs it (``.ci/run``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
# the checkout's own build of the panel (npm run build:prod in labextension/)
LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"
OTHER_LABELS = ["Other lab label A", "Other lab label B"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# the small instance of the browser tests: names a person recognises, one that is markup
LABEL_NAMES = [
    "DMSO",
    "IFNG",
    "Candidate marker study 1",
    "Candidate marker study 2",
    "<img src=x onerror=alert(1)>",
    *[f"Screen plate {i:02d}" for i in range(1, 31)],
]
SETUP_INSTANCE = textwrap.dedent(
    """
    import json, sys
    import lamindb_core as ln

    ln.setup.init(storage=sys.argv[1], name="browser-test")
    ln.save([ln.ULabel(name=name) for name in json.loads(sys.argv[2])])
    ln.Feature(name="temperature", dtype="float").save()
    import pandas as pd
    plate = ln.Artifact.from_df(pd.DataFrame({"well": ["A1", "A2"], "signal": [0.5, 0.7]}), key="plates/plate01.parquet").save()
    # a small lineage: normalize.py's run read plate01 and made plate01_normalized
    run = ln.Run(ln.Transform(key="normalize.py", type="script").save()).save()
    run.input_artifacts.add(plate)
    ln.Artifact.from_df(
        pd.DataFrame({"well": ["A1", "A2"], "signal": [0.0, 1.0]}), key="plates/plate01_normalized.parquet", run=run
    ).save()
    ln.setup.init(storage=sys.argv[3], name="other-lab")
    ln.save([ln.ULabel(name=name) for name in json.loads(sys.argv[4])])
    ln.setup.connect("browser-test")
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


@dataclass
class Lab:
    """A running JupyterLab: its URL, root folder, log file and process."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab with the installed lamindb-jupyter extensions, on a small instance."""
    base = tmp_path_factory.mktemp("lab")
    home, root = base / "lamin-home", base / "root"
    root.mkdir()
    env = {
        **os.environ,
        "LAMIN_CORE_HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("LAMIN_CORE_TEST_DB", None)
    setup = subprocess.run(
        [
            sys.executable, "-c", SETUP_INSTANCE, str(base / "storage"), json.dumps(LABEL_NAMES),
            str(base / "other-storage"), json.dumps(OTHER_LABELS),
        ],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert setup.returncode == 0, setup.stderr
    if (LABEXTENSION / "dist" / "package.json").is_file():
        # JUPYTER_PATH comes before the environment's data folder (which, in a virtualenv,
        # comes before the user's): this build wins over the installed one
        target = base / "jupyter-path" / "labextensions" / "lamindb-jupyter"
        shutil.copytree(LABEXTENSION / "dist", target)
        shutil.copy(LABEXTENSION / "install.json", target / "install.json")
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(base / "jupyter-path"), env.get("JUPYTER_PATH")]))
    settings = base / "lab-settings"
    # no kernel dialog, no news pop-up
    write_json(settings / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings", {"autoStartDefaultKernel": True})
    write_json(
        settings / "@jupyterlab/apputils-extension/notification.jupyterlab-settings",
        {"checkForUpdates": False, "fetchNews": "false"},
    )
    port = free_port()
    log = base / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
        "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        # window.jupyterapp: the tests read the theme's name from the app
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    lab = Lab(url=url, root=root, log=log, process=process)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{lab.log_tail()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer /api/status within 90 s:\n{lab.log_tail()}")
            time.sleep(0.3)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """The system's Chromium, launched headless through playwright."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail(
            "Chromium is not installed: the browser tests need it (apt-get install -y chromium; "
            ".ci/run installs it on CI)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def save_artifacts(request: pytest.FixtureRequest, tmp_path: Path):
    """Call with a playwright page: its screenshot goes to ``tests/browser/artifacts/`` if the
    test fails (the test's own screenshots are in its tmp dir either way)."""
    pages = []
    yield pages.append
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure-{i}.png"), full_page=True)
            except Exception as exc:  # the page may be gone; the failure itself matters more
                print(f"could not save a failure screenshot: {exc}")
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, ARTIFACTS / f"{request.node.name}-{png.name}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item (``save_artifacts`` reads ``rep_call``)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
