"""The widget browser and the Registries panel as a person sees them: JupyterLab in Chromium."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

pytestmark = [
    pytest.mark.slow,
    # the page is the same on both backends; the embedded instance keeps the test self-contained
    pytest.mark.sqlite_only,
]

NOTEBOOK_CELLS = [
    "import lamindb_core as ln\nfrom lamindb_jupyter.widgets import browse",
    "browse(ln.ULabel)",
]
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
TIMEOUT_MS = 90_000


def test_labextension_is_installed_and_enabled():
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    line = next((l for l in output.splitlines() if "lamindb-jupyter" in l), "")
    assert "enabled" in line and "OK" in line, output
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert "lamindb_jupyter.server" in output and "enabled" in output, output


def test_widget_and_panel_render_in_jupyterlab(lab, chromium, tmp_path, save_artifacts):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "browse.ipynb")

    page = chromium.new_page(viewport={"width": 1500, "height": 1000})
    save_artifacts(page)
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{lab.url}/lab/tree/browse.ipynb?reset")
        page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook .jp-Cell")
        # the kernel is up when the toolbar's status says idle
        page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']")
        run_all(page)

        # the widget, rendered: the browser's table with the newest label on top
        widget = page.locator(f"{NOTEBOOK} .lamindb-browser")
        widget.wait_for()
        table = widget.locator(".lamindb-browser-table table")
        table.wait_for()
        assert "Loading widget" not in page.locator(f"{NOTEBOOK} .jp-Notebook").inner_text()
        rows = table.locator("tbody tr")
        assert rows.count() == 20
        assert rows.first.inner_text().split("\t")[2] == "Screen plate 30"
        assert "records 1–20 of 35" in widget.inner_text()
        assert widget.locator("img").count() == 0  # the label named <img ...> stays text

        # typing in the search box narrows the table, through the kernel
        search = widget.locator("input[placeholder='Search ULabel…']")
        search.click()
        search.press_sequentially("Cand", delay=60)
        page.wait_for_function(
            """() => {
                const rows = document.querySelectorAll('.lamindb-browser-table tbody tr');
                return rows.length === 2 && [...rows].every(r => r.innerText.includes('Candidate marker study'));
            }"""
        )
        # a record's details
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lamindb-browser select option')].some(o => o.textContent.replace(/\\u00a0/g, ' ').endsWith('· Candidate marker study 2'))"
        )
        widget.locator("select").last.select_option(index=_option_index(widget, "Candidate marker study 2"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lamindb-browser pre')].some(p => p.innerText.includes('ULabel Candidate marker study 2'))"
        )
        widget.scroll_into_view_if_needed()
        widget_png = tmp_path / "widget.png"
        page.screenshot(path=str(widget_png), full_page=True)

        # the Registries side panel: registries, then ULabel's latest records
        page.click(".jp-SideBar .lm-TabBar-tab[data-id='lamindb-registries']")
        panel = page.locator(".jp-lamindb-Panel")
        panel.locator(".jp-lamindb-registry-name", has_text="ULabel").wait_for()
        assert "browser-test" in panel.locator(".jp-lamindb-instance").inner_text()
        panel.locator(".jp-lamindb-registry-name", has_text="ULabel").click()
        panel.locator(".jp-lamindb-record", has_text="Screen plate 30").click()
        panel.locator(".jp-lamindb-describe", has_text="ULabel Screen plate 30").wait_for()
        assert panel.locator(".jp-lamindb-record").count() == 20
        assert "More (20 of 35)" in panel.locator(".jp-lamindb-more").inner_text()
        panel_png = tmp_path / "panel.png"
        page.screenshot(path=str(panel_png))
        panel.locator(".jp-lamindb-more").click()
        page.wait_for_function("() => document.querySelectorAll('.jp-lamindb-record').length === 35")
        panel.locator(".jp-lamindb-search").fill("IFN")
        panel.locator(".jp-lamindb-record", has_text="IFNG").wait_for()
        page.wait_for_function("() => document.querySelectorAll('.jp-lamindb-record').length === 1")
        panel.locator(".jp-lamindb-record", has_text="IFNG").click()
        panel.locator(".jp-lamindb-describe", has_text="ULabel IFNG").wait_for()
        panel.locator(".jp-lamindb-search").fill("img")
        panel.locator(".jp-lamindb-record-label", has_text="<img src=x onerror=alert(1)>").wait_for()
        assert panel.locator("img").count() == 0
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    assert widget_png.stat().st_size > 10_000 and panel_png.stat().st_size > 10_000


def run_all(page) -> None:
    """Run every cell (Run > Run All Cells), again if the first click came too early."""
    for attempt in range(3):
        page.click(f"{NOTEBOOK} .jp-Cell .jp-InputArea-editor")
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            # an execution count, or the star of a queued cell
            page.wait_for_selector(f"{NOTEBOOK} .jp-InputPrompt:text-matches('\\[[0-9*]+\\]')", timeout=10_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start the cells")


def _option_index(widget, name: str) -> int:
    """The index of the detail picker's option for the record called ``name`` (ipywidgets
    shows the spaces of option labels as non-breaking spaces)."""
    options = widget.locator("select").last.locator("option").all_text_contents()
    labels = [o.replace("\xa0", " ") for o in options]
    matches = [i for i, label in enumerate(labels) if label.endswith(f"· {name}")]
    assert matches, f"no option for {name!r} in {labels}"
    return matches[0]
