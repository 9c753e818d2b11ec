"""The widget browser and the Registries panel as a person sees them: JupyterLab in Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
# the screenshots of passing tests too: what a person would see (tests/browser/artifacts/, not tracked)
ARTIFACTS = Path(__file__).parent / "artifacts"
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


def write_notebook(lab, name: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / name)


def open_page(chromium, save_artifacts):
    page = chromium.new_page(viewport={"width": 1500, "height": 1000})
    save_artifacts(page)
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.set_default_timeout(TIMEOUT_MS)
    return page, console


def open_notebook(page, lab, name: str, reset: bool = False) -> None:
    """Open a notebook: in a fresh JupyterLab (``reset``), else in the page's (File > Open)."""
    if reset:
        page.goto(f"{lab.url}/lab/tree/{name}?reset")
    else:
        page.evaluate(f"() => window.jupyterapp.commands.execute('docmanager:open', {{path: {name!r}}})")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook .jp-Cell")
    page.wait_for_function(
        f"() => document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current')?.innerText.includes({name!r})"
    )
    # the kernel is up when the toolbar's status says idle
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']")


def test_widget_rows_are_picked_by_click_and_arrow_keys(lab, chromium, tmp_path, save_artifacts):
    write_notebook(lab, "browse.ipynb", NOTEBOOK_CELLS)
    page, console = open_page(chromium, save_artifacts)
    try:
        open_notebook(page, lab, "browse.ipynb", reset=True)
        run_all(page)

        # the widget, rendered: the browser's table with the newest label on top
        widget = page.locator(f"{NOTEBOOK} .lamindb-browser")
        widget.wait_for()
        rows = widget.locator(".lamindb-browser-rows select option")
        rows.first.wait_for()
        assert "Loading widget" not in page.locator(f"{NOTEBOOK} .jp-Notebook").inner_text()
        assert rows.count() == 20
        assert cells(rows.first)[2] == "Screen plate 30"
        assert [c for c in cells(widget.locator(".lamindb-browser-head"))][:3] == ["id", "uid", "name"]
        assert "records 1–20 of 35" in widget.inner_text()
        assert widget.locator("img").count() == 0  # the label named <img ...> stays text
        # the Details picker shows its placeholder, not an empty box
        details = widget.locator(".widget-dropdown select").last
        placeholder = details.evaluate("s => s.options[s.selectedIndex]?.textContent")
        assert placeholder.replace("\xa0", " ") == "— pick a record to see its details —"

        # typing in the search box narrows the table, through the kernel
        search = widget.locator("input[placeholder='Search ULabel…']")
        search.click()
        search.press_sequentially("Cand", delay=60)
        page.wait_for_function(
            """() => {
                const rows = document.querySelectorAll('.lamindb-browser-rows select option');
                return rows.length === 2 && [...rows].every(r => r.textContent.includes('Candidate\u00a0marker\u00a0study'));
            }"""
        )
        # a click on a row shows its details below the table; the arrow keys move the pick
        options = widget.locator(".lamindb-browser-rows select option")
        names = [cells(options.nth(i))[2] for i in range(options.count())]
        first, second = names  # the search's order
        options.nth(0).click()
        widget.locator("pre", has_text=f"ULabel {first}").wait_for()
        assert details.evaluate("s => s.options[s.selectedIndex].textContent").replace("\xa0", " ").endswith(f"· {first}")
        page.keyboard.press("ArrowDown")
        widget.locator("pre", has_text=f"ULabel {second}").wait_for()
        selected = widget.locator(".lamindb-browser-rows select").evaluate("s => s.options[s.selectedIndex].textContent")
        assert second in selected.replace("\xa0", " ")
        assert details.evaluate("s => s.options[s.selectedIndex].textContent").replace("\xa0", " ").endswith(f"· {second}")
        page.keyboard.press("ArrowUp")
        widget.locator("pre", has_text=f"ULabel {first}").wait_for()
        widget.scroll_into_view_if_needed()
        widget_png = tmp_path / "widget.png"
        page.screenshot(path=str(widget_png), full_page=True)
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    assert widget_png.stat().st_size > 10_000
    keep_screenshots(tmp_path)


def test_panel_shows_the_instance_of_the_notebook_in_focus(lab, chromium, tmp_path, save_artifacts):
    # issue 11, item 11: the panel showed the instance some kernel connected to last
    write_notebook(lab, "other.ipynb", ["import lamindb_core as ln\nln.setup.connect('other-lab')"])
    write_notebook(lab, "main.ipynb", ["import lamindb_core as ln\nln.setup.connect('browser-test')"])
    page, console = open_page(chromium, save_artifacts)
    panel = page.locator(".jp-lamindb-Panel")
    instance = panel.locator(".jp-lamindb-instance")
    try:
        open_notebook(page, lab, "other.ipynb", reset=True)
        run_all(page)
        wait_for_output_idle(page)
        open_notebook(page, lab, "main.ipynb")
        run_all(page)
        wait_for_output_idle(page)  # main.ipynb connected last
        page.click(".jp-SideBar .lm-TabBar-tab[data-id='lamindb-registries']")
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/browser-test')")
        # the panel opens wide enough for keys and details
        assert panel.bounding_box()["width"] >= 500

        # focus other.ipynb: its kernel's instance, though main.ipynb connected last
        page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="other.ipynb").click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/other-lab')")
        panel.locator(".jp-lamindb-registry-picker").select_option("ULabel")
        panel.locator(".jp-lamindb-row", has_text="Other lab label A").wait_for()
        assert panel.locator(".jp-lamindb-row").count() == 2
        # booleans read as in the notebook's tables (issue 11, item 6)
        headers = panel.locator(".jp-lamindb-table th").all_inner_texts()
        concept = [h.strip(" ▲▼") for h in headers].index("is_concept")
        first_row = panel.locator(".jp-lamindb-row").first.locator("td").all_inner_texts()
        assert first_row[concept] == "False", first_row
        assert "of other.ipynb" in instance.get_attribute("title")
        picker = panel.locator(".jp-lamindb-instance-picker")
        assert picker.evaluate("s => s.options[s.selectedIndex].textContent").endswith("/other-lab (other.ipynb)")
        other_png = tmp_path / "panel-other-instance.png"
        page.screenshot(path=str(other_png))

        # the picker shows another registered instance
        slugs = picker.evaluate("s => [...s.options].map(o => o.value)")
        test_slug = next(s for s in slugs if s.endswith("/browser-test"))
        picker.select_option(test_slug)
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/browser-test')")
        panel.locator(".jp-lamindb-row", has_text="Screen plate 30").wait_for()
        # back to the notebook's
        picker.select_option("")
        panel.locator(".jp-lamindb-row", has_text="Other lab label B").wait_for()

        # focus main.ipynb: browser-test again
        page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="main.ipynb").click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/browser-test')")
        panel.locator(".jp-lamindb-row", has_text="Screen plate 30").wait_for()
        # a cell that connects the focused notebook elsewhere moves the panel along
        add_cell_and_run(page, "ln.setup.connect('other-lab')")
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/other-lab')")
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    assert other_png.stat().st_size > 10_000
    keep_screenshots(tmp_path)


def test_panel_table_insert_code_and_themes(lab, chromium, tmp_path, save_artifacts):
    write_notebook(lab, "insert.ipynb", ["import lamindb_core as ln\nln.setup.connect('browser-test')", "# the record"])
    page, console = open_page(chromium, save_artifacts)
    panel = page.locator(".jp-lamindb-Panel")
    try:
        open_notebook(page, lab, "insert.ipynb", reset=True)
        run_all(page)
        wait_for_output_idle(page)
        page.click(".jp-SideBar .lm-TabBar-tab[data-id='lamindb-registries']")
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/browser-test')")
        panel.locator(".jp-lamindb-registry-picker").select_option("ULabel")

        # a paged table: columns, 20 rows, the pager
        panel.locator(".jp-lamindb-row", has_text="Screen plate 30").wait_for()
        assert panel.locator(".jp-lamindb-row").count() == 20
        columns = panel.locator(".jp-lamindb-table th").all_inner_texts()
        assert [c.strip() for c in columns][:3] == ["id", "uid", "name"]
        assert panel.locator(".jp-lamindb-page-label").inner_text() == "1–20 of 35"
        panel.locator(".jp-lamindb-next").click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-page-label').textContent === '21–35 of 35'")
        assert panel.locator(".jp-lamindb-row").count() == 15
        panel.locator(".jp-lamindb-previous").click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-page-label').textContent === '1–20 of 35'")

        # sorting by a column, ascending then descending
        name_header = panel.locator(".jp-lamindb-table th[data-column='name']")
        name_header.click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-row td:nth-child(3)')?.textContent === '<img src=x onerror=alert(1)>'")
        assert first_names(panel, 3) == ["<img src=x onerror=alert(1)>", "Candidate marker study 1", "Candidate marker study 2"]
        assert "▲" in name_header.inner_text()
        name_header.click()
        page.wait_for_function("() => document.querySelector('.jp-lamindb-row td:nth-child(3)')?.textContent === 'Screen plate 30'")
        assert "▼" in name_header.inner_text()
        assert panel.locator("img").count() == 0

        # a field filter of the REST API
        panel.locator(".jp-lamindb-add-filter").click()
        row = panel.locator(".jp-lamindb-filter").first
        row.locator(".jp-lamindb-filter-field").select_option("name")
        row.locator(".jp-lamindb-filter-op").select_option("startswith")
        row.locator(".jp-lamindb-filter-value").fill("Cand")
        page.wait_for_function("() => document.querySelectorAll('.jp-lamindb-row').length === 2")
        assert panel.locator(".jp-lamindb-page-label").inner_text() == "1–2 of 2"

        # a click on a record's name picks it, the arrow keys move the pick; neither scrolls
        # the table sideways, so the name column stays in view
        panel.locator(".jp-lamindb-row td", has_text="Candidate marker study 2").click()
        panel.locator(".jp-lamindb-describe", has_text="ULabel Candidate marker study 2").wait_for()
        page.keyboard.press("ArrowDown")
        panel.locator(".jp-lamindb-describe", has_text="ULabel Candidate marker study 1").wait_for()
        page.keyboard.press("ArrowUp")
        panel.locator(".jp-lamindb-describe", has_text="ULabel Candidate marker study 2").wait_for()
        uid = panel.locator(".jp-lamindb-row.jp-mod-selected").get_attribute("data-uid")
        assert panel.locator(".jp-lamindb-table-box").evaluate("box => box.scrollLeft") == 0
        name_in_view = """box => {
            const th = box.querySelector("th[data-column='name']").getBoundingClientRect();
            const shown = box.getBoundingClientRect();
            return th.left >= shown.left - 1 && th.right <= shown.right + 1;
        }"""
        assert panel.locator(".jp-lamindb-table-box").evaluate(name_in_view)
        light_png = tmp_path / "panel-light.png"
        page.screenshot(path=str(light_png))

        # Insert code into the active cell (after its comment), run it, see the record
        page.locator(f"{NOTEBOOK} .jp-Cell").nth(1).locator(".jp-InputArea-editor").click()
        panel.locator(".jp-lamindb-insert").click()
        code = f'# the record\nulabel = ln.ULabel.get("{uid}")\nulabel'
        page.wait_for_function(
            f"() => document.querySelectorAll('{NOTEBOOK} .jp-Cell')[1]?.querySelector('.cm-content')?.innerText === {code!r}"
        )
        page.keyboard.press("Shift+Enter")
        output = page.locator(f"{NOTEBOOK} .jp-Cell").nth(1).locator(".jp-OutputArea-output")
        output.wait_for()
        page.wait_for_function(
            f"() => document.querySelectorAll('{NOTEBOOK} .jp-Cell')[1]?.querySelector('.jp-OutputArea-output')?.innerText.includes({uid!r})"
        )
        text = output.inner_text()
        assert "ULabel(" in text and "Candidate marker study 2" in text, text
        inserted_png = tmp_path / "insert-code.png"
        page.screenshot(path=str(inserted_png))

        # the context menu of a row inserts the code too
        page.locator(f"{NOTEBOOK} .jp-Cell").nth(1).locator(".jp-InputArea-editor").click()
        panel.locator(".jp-lamindb-row", has_text="Candidate marker study 1").click(button="right")
        page.locator(".lm-Menu-item[data-command='lamindb:insert-record-code']").click()
        other_uid = panel.locator(".jp-lamindb-row", has_text="Candidate marker study 1").get_attribute("data-uid")
        page.wait_for_function(
            f"() => document.querySelectorAll('{NOTEBOOK} .jp-Cell')[1]?.querySelector('.cm-content')?.innerText.endsWith('ulabel = ln.ULabel.get(\"{other_uid}\")\\nulabel')"
        )

        # an artifact's details start with where its data is
        panel.locator(".jp-lamindb-registry-picker").select_option("Artifact")
        panel.locator(".jp-lamindb-row td", has_text="plates/plate01.parquet").click()
        path = panel.locator(".jp-lamindb-path-value")
        path.wait_for()
        artifact_uid = panel.locator(".jp-lamindb-row.jp-mod-selected").get_attribute("data-uid")
        assert path.inner_text().endswith(f"/.lamindb/{artifact_uid}.parquet"), path.inner_text()
        panel.locator(".jp-lamindb-describe", has_text="plates/plate01.parquet").wait_for()
        page.screenshot(path=str(tmp_path / "panel-artifact-path.png"))

        # the dark theme: the panel's colours follow
        light = panel.evaluate("n => getComputedStyle(n).backgroundColor")
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        page.wait_for_function(
            f"() => getComputedStyle(document.querySelector('.jp-lamindb-Panel')).backgroundColor !== {light!r}"
        )
        assert luminance(panel.evaluate("n => getComputedStyle(n).backgroundColor")) < 0.3
        assert luminance(panel.locator(".jp-lamindb-table th").first.evaluate("n => getComputedStyle(n).color")) > 0.6
        assert luminance(panel.locator(".jp-lamindb-describe").evaluate("n => getComputedStyle(n).color")) > 0.6
        assert luminance(panel.locator(".jp-lamindb-search").evaluate("n => getComputedStyle(n).backgroundColor")) < 0.3
        assert luminance(light) > 0.7
        page.wait_for_timeout(500)  # the theme's transition
        dark_png = tmp_path / "panel-dark.png"
        page.screenshot(path=str(dark_png))
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    for png in (light_png, inserted_png, dark_png):
        assert png.stat().st_size > 10_000
    keep_screenshots(tmp_path)


def test_panel_remembers_the_width_the_user_gave_it(lab, chromium, save_artifacts):
    write_notebook(lab, "width.ipynb", ["1"])
    page, console = open_page(chromium, save_artifacts)
    open_notebook(page, lab, "width.ipynb", reset=True)
    page.evaluate("() => window.localStorage.setItem('lamindb-jupyter:panel-width', '700')")
    page.click(".jp-SideBar .lm-TabBar-tab[data-id='lamindb-registries']")
    panel = page.locator(".jp-lamindb-Panel")
    panel.wait_for()
    # the width comes from the last time the user dragged the sidebar's edge
    page.wait_for_function("() => Math.abs(document.querySelector('.jp-lamindb-Panel').offsetWidth - 700) < 12")
    # and dragging it is remembered
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] - 100, box["y"] + 200, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "() => Math.abs(Number(window.localStorage.getItem('lamindb-jupyter:panel-width')) - 600) < 20", timeout=10_000
    )


def keep_screenshots(folder: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for png in folder.glob("*.png"):
        shutil.copy(png, ARTIFACTS / png.name)


def first_names(panel, n: int) -> list[str]:
    return [r.locator("td").nth(2).inner_text() for r in panel.locator(".jp-lamindb-row").all()[:n]]


def cells(locator) -> list[str]:
    """The columns of a line of the widget's table (header or row), as a person reads them."""
    return [c.strip() for c in locator.text_content().replace("\xa0", " ").split("│")]


def luminance(css_color: str) -> float:
    """0 (black) to 1 (white) for ``rgb(r, g, b)`` or ``rgba(...)``."""
    r, g, b = [int(float(v)) for v in css_color[css_color.index("(") + 1 : -1].split(",")[:3]]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def wait_for_output_idle(page) -> None:
    """Every cell of the notebook in focus has run (no queued star) and the kernel is idle."""
    page.wait_for_function(
        f"""() => {{
            const prompts = [...document.querySelectorAll('{NOTEBOOK} .jp-InputPrompt')];
            return prompts.length && prompts.every(p => /\\[[0-9]+\\]/.test(p.textContent));
        }}"""
    )
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']")


def add_cell_and_run(page, source: str) -> None:
    """Type ``source`` into a new last cell of the notebook in focus and run it."""
    page.locator(f"{NOTEBOOK} .jp-Cell").last.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.locator(f"{NOTEBOOK} .jp-Cell").last.locator(".jp-InputArea-editor").click()
    page.keyboard.type(source)
    page.keyboard.press("Shift+Enter")


def run_all(page) -> None:
    """Run every cell (Run > Run All Cells) until each has run, again if the first click came
    too early or JupyterLab swapped the kernel on start (it may start two and keep one)."""
    for attempt in range(3):
        page.click(f"{NOTEBOOK} .jp-Cell .jp-InputArea-editor")
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            page.wait_for_function(
                f"""() => {{
                    const prompts = [...document.querySelectorAll('{NOTEBOOK} .jp-InputPrompt')];
                    return prompts.length && prompts.every(p => /\\[[0-9]+\\]/.test(p.textContent));
                }}""",
                timeout=60_000,
            )
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not run every cell")