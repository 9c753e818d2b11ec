"""The Lineage views as a person sees them: the widget's and the panel's, in Chromium.

The instance (conftest.SETUP_INSTANCE) holds a small lineage: normalize.py's run read
``plates/plate01.parquet`` and made ``plates/plate01_normalized.parquet``.
"""

from __future__ import annotations

import pytest

from test_jupyterlab import NOTEBOOK, keep_screenshots, open_notebook, open_page, run_all, wait_for_output_idle, write_notebook

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

NORMALIZED = "plates/plate01_normalized.parquet"
PLATE = "plates/plate01.parquet"


def click_centre(page, locator) -> None:
    """Click the middle of an element where a person would: by its place on the screen."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_widget_lineage_opens_a_record_by_a_click_on_its_box(lab, chromium, tmp_path, save_artifacts):
    write_notebook(lab, "lineage-widget.ipynb", [
        "import lamindb_core as ln\nfrom lamindb_jupyter.widgets import browse",
        "browse(ln.Artifact)",
    ])
    page, console = open_page(chromium, save_artifacts)
    try:
        open_notebook(page, lab, "lineage-widget.ipynb", reset=True)
        run_all(page)
        widget = page.locator(f"{NOTEBOOK} .lamindb-browser")
        widget.wait_for()
        widget.locator(".lamindb-browser-rows select option", has_text="plate01_normalized").click()
        details = widget.locator(".widget-html pre").last
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lamindb-browser pre')].some(p => p.textContent.includes('plate01_normalized'))"
        )
        toggle = widget.locator("button.widget-toggle-button", has_text="Lineage")
        toggle.click()
        drawing = widget.locator(".lamindb-lineage-canvas svg")
        drawing.wait_for()
        text = drawing.text_content()
        assert NORMALIZED in text and PLATE in text and "normalize.py (run " in text
        assert "3 records, 2 links" in widget.locator(".lamindb-lineage-status").inner_text()
        # a transparent button lies on each of the three boxes
        for box in drawing.locator("g.lineage-node").all():
            b = box.locator("rect").bounding_box()
            hit = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y)?.closest('.lamindb-lineage-hit') !== null",
                [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2],
            )
            assert hit, box.get_attribute("data-id")
        widget.locator(".lamindb-lineage").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "lineage-widget.png"), full_page=True)

        # a click on the run's box opens the run: its registry, its details, its lineage
        click_centre(page, drawing.locator("g.lineage-node[data-id^='run:'] rect"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lamindb-browser pre')].some(p => p.textContent.startsWith('Run '))"
        )
        assert widget.locator(".widget-dropdown select").first.input_value() == "Run"
        assert f".input_artifacts  Artifact  {PLATE}" in details.text_content().replace("\xa0", " ")
        assert "normalize.py" in details.text_content()
        page.wait_for_function(
            "() => document.querySelector('.lamindb-lineage-canvas g.lineage-node rect[stroke-width=\"3\"]')"
            "?.parentNode.dataset.id.startsWith('run:')"
        )
        # and on to what the run read
        click_centre(page, widget.locator(".lamindb-lineage-canvas g.lineage-node", has_text="plate01.parquet").locator("rect"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lamindb-browser pre')].some(p => p.textContent.includes('plates/plate01.parquet')"
            " && p.textContent.startsWith('Artifact'))"
        )
        assert widget.locator(".widget-dropdown select").first.input_value() == "Artifact"
        # the lineage follows: plate01 is its focus now
        page.wait_for_function(
            "() => document.querySelector('.lamindb-lineage-canvas g.lineage-node rect[stroke-width=\"3\"]')"
            "?.parentNode.textContent.includes('plates/plate01.parquet')"
        )
        page.screenshot(path=str(tmp_path / "lineage-widget-opened.png"), full_page=True)
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    keep_screenshots(tmp_path)


def test_panel_lineage_opens_a_record_by_a_click_on_its_box(lab, chromium, tmp_path, save_artifacts):
    write_notebook(lab, "lineage-panel.ipynb", [
        "import lamindb_core as ln\nln.setup.connect('browser-test')",
        "ln.Artifact.get(key='plates/plate01_normalized.parquet').view_lineage()",
    ])
    page, console = open_page(chromium, save_artifacts)
    panel = page.locator(".jp-lamindb-Panel")
    try:
        open_notebook(page, lab, "lineage-panel.ipynb", reset=True)
        run_all(page)
        wait_for_output_idle(page)
        # a wide panel, as a person gives it (its width is remembered): the drawing at full size
        page.evaluate("() => window.localStorage.setItem('lamindb-jupyter:panel-width', '760')")
        page.click(".jp-SideBar .lm-TabBar-tab[data-id='lamindb-registries']")
        page.wait_for_function("() => document.querySelector('.jp-lamindb-instance')?.textContent.endsWith('/browser-test')")
        panel.locator(".jp-lamindb-registry-picker").select_option("Artifact")
        panel.locator(".jp-lamindb-row td", has_text=NORMALIZED).click()
        panel.locator(".jp-lamindb-describe", has_text=NORMALIZED).wait_for()
        panel.locator(".jp-lamindb-lineage-toggle").click()
        drawing = panel.locator(".jp-lamindb-lineage-drawing svg")
        drawing.wait_for()
        assert panel.locator(".jp-lamindb-lineage-toggle").get_attribute("aria-pressed") == "true"
        nodes = drawing.locator("g.lineage-node")
        assert nodes.count() == 3
        assert {n.get_attribute("data-id").split(":")[0] for n in nodes.all()} == {"artifact", "run"}
        text = drawing.text_content()
        assert NORMALIZED in text and PLATE in text and "normalize.py (run " in text
        assert "3 records, 2 links" in panel.locator(".jp-lamindb-lineage-status").inner_text()
        assert drawing.locator("script, foreignObject").count() == 0
        # the notebook's own drawing of the same graph: view_lineage() as the cell's output
        page.locator(f"{NOTEBOOK} .jp-Cell").nth(1).locator(".jp-OutputArea-output").wait_for()
        # the drawing fits the panel
        assert drawing.bounding_box()["width"] <= panel.locator(".jp-lamindb-lineage-drawing").bounding_box()["width"]
        page.wait_for_timeout(300)
        page.screenshot(path=str(tmp_path / "lineage-panel.png"))

        # a click on the run's box: the Run registry, the run's row and details
        click_centre(page, drawing.locator("g.lineage-node[data-id^='run:'] rect"))
        panel.locator(".jp-lamindb-detail-label", has_text="Run ·").wait_for()
        assert panel.locator(".jp-lamindb-registry-picker").input_value() == "Run"
        selected = panel.locator(".jp-lamindb-row.jp-mod-selected")
        selected.wait_for()
        panel.locator(".jp-lamindb-describe", has_text=f".input_artifacts  Artifact  {PLATE}").wait_for()
        # the lineage stays on, now centred on the run
        page.wait_for_function(
            "() => document.querySelector('.jp-lamindb-lineage-drawing g.jp-mod-focus')?.dataset.id"
            " === 'run:' + document.querySelector('.jp-lamindb-row.jp-mod-selected')?.dataset.id"
        )
        page.screenshot(path=str(tmp_path / "lineage-panel-run.png"))
        # and on to what the run made
        click_centre(page, panel.locator(".jp-lamindb-lineage-drawing g.lineage-node", has_text="plate01_normalized").locator("rect"))
        panel.locator(".jp-lamindb-detail-label", has_text="Artifact ·").wait_for()
        assert panel.locator(".jp-lamindb-registry-picker").input_value() == "Artifact"
        panel.locator(".jp-lamindb-describe", has_text=NORMALIZED).wait_for()
        assert NORMALIZED in panel.locator(".jp-lamindb-row.jp-mod-selected").inner_text()
    except Exception:
        print("browser console:\n" + "\n".join(console[-40:]))
        print("jupyterlab log:\n" + lab.log_tail())
        raise
    finally:
        print(f"screenshots in {tmp_path}")
    keep_screenshots(tmp_path)
