"""Rich display: records, QuerySets, search results and df() tables as escaped HTML; itables offline."""

from __future__ import annotations

import importlib.util
import re

import pandas as pd
import pytest

from lamindb_jupyter import display

XSS = "<img src=x onerror=alert(1)>"


def rows(shown: str) -> int:
    return shown.count("</td></tr>")

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
CDN = re.compile(r"unpkg|jsdelivr|cdn\.|<script[^>]+src=|<link[^>]+href=", re.I)


def test_display_record_shows_its_fields_escaped(html, labels):
    shown = html(labels[XSS])
    assert "<caption>ULabel</caption>" in shown
    assert f"<th>name</th><td>{ESCAPED}</td>" in shown
    assert XSS not in shown


def test_display_queryset_is_a_table_of_its_records(html, instance, labels):
    shown = html(instance.ULabel.filter(name__startswith="Cand"))
    assert "ULabel QuerySet: 2 records" in shown
    assert rows(shown) == 2
    assert "Candidate marker study 1" in shown and "DMSO" not in shown


def test_display_queryset_escapes_every_value(html, instance, labels):
    shown = html(instance.ULabel.filter())
    assert ESCAPED in shown and XSS not in shown


def test_display_queryset_beyond_the_limit_says_how_many(shell, run, html, instance, labels):
    run("%config LnMagic.limit = 2")
    shown = html(instance.ULabel.filter())
    assert "ULabel QuerySet: 5 records" in shown
    assert "the first 2 of 5 shown" in shown
    assert rows(shown) == 2


def test_display_df_result_with_features_has_a_dtype_row(shell, run, html, artifacts):
    run("df = %ln filter Artifact suffix=.h5ad --features")
    shown = html(shell.user_ns["df"])
    assert '<th class="ln-dtype">float</th>' in shown  # temperature
    assert '<th class="ln-dtype">str</th>' in shown  # uid, key, ...


def test_display_df_of_the_library_is_escaped_too(html, instance, labels):
    shown = html(instance.ULabel.df())
    assert ESCAPED in shown and XSS not in shown
    assert 'class="ln-dtype"' not in shown  # no features, no dtype row


def test_display_magic_result_cut_at_its_limit_says_so(shell, run, html, labels):
    run("df = %ln filter ULabel --limit 2")
    assert "--limit N or --limit none brings more" in html(shell.user_ns["df"])


def test_display_other_dataframes_keep_pandas_html(html):
    df = pd.DataFrame({"a": [1, 2]})
    assert html(df) == df._repr_html_()


def test_display_big_results_are_itables_offline_and_escaped(shell, html, instance, labels):
    instance.save([instance.ULabel(name=f"Batch {i:03d}") for i in range(display.PAGE_ROWS + 5)])
    shown = html(instance.ULabel.filter())
    assert "new ITable(" in shown  # paginated and sortable
    assert "window._itables_" in shown  # waits for the offline bundle, loads nothing
    assert not CDN.search(shown)
    assert XSS not in shown and "onerror=alert(1)&gt;" in shown


def test_display_big_feature_table_keeps_its_dtype_row(shell, html, instance, artifacts):
    ln = instance
    storage = ln.Storage.filter().first()
    ln.save([ln.Artifact(key=f"batch/{i}.h5ad", suffix=".h5ad", storage=storage) for i in range(display.PAGE_ROWS)])
    shown = html(ln.Artifact.df(features=True))
    assert "new ITable(" in shown and "float" in shown


def test_display_queryset_in_a_terminal_is_a_text_table(shell, instance, labels):
    data, _ = shell.display_formatter.format(instance.ULabel.filter(name__startswith="Cand"))
    text = data["text/plain"]
    assert text.startswith("ULabel QuerySet: 2 record(s)\n")
    assert "Candidate marker study 2" in text


@pytest.mark.skipif(importlib.util.find_spec("lamindb_core.search") is None, reason="Registry.search (issue 4) is not in lamindb_core yet")
def test_display_search_results_show_their_score_table_escaped(shell, html, instance, labels):
    result = instance.ULabel.search("img onerror")
    shown = html(result)
    assert "score" in shown
    assert XSS not in shown and ESCAPED in shown


def test_display_formatters_are_removed_and_restored_on_unload(shell, instance, labels):
    formatter = shell.display_formatter.formatters["text/html"]
    shell.run_cell("%unload_ext lamindb_jupyter")
    record = labels["DMSO"]
    assert formatter(record) is None  # no HTML for records without the extension

    def mine(df):
        return "<p>my own</p>"

    formatter.for_type(pd.DataFrame, mine)
    try:
        shell.run_cell("%load_ext lamindb_jupyter")
        assert "<caption>ULabel</caption>" in formatter(record)
        assert formatter(instance.ULabel.df()) != "<p>my own</p>"
        shell.run_cell("%unload_ext lamindb_jupyter")
        assert formatter(pd.DataFrame({"a": [1]})) == "<p>my own</p>"
        assert formatter(record) is None
    finally:
        formatter.pop(pd.DataFrame, None)
        shell.run_cell("%load_ext lamindb_jupyter")


def test_display_load_itables_inlines_the_bundle_once_in_a_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    monkeypatch.setitem(display._state, "itables_loaded", False)

    class ZMQInteractiveShell:  # what ipykernel's shell is called
        pass

    assert display.load_itables(object()) is False  # a terminal or a test shell: nothing
    assert display.load_itables(ZMQInteractiveShell()) is True
    assert display.load_itables(ZMQInteractiveShell()) is False  # once per kernel
    html = "".join(obj.data for obj in shown)
    assert "dt_src_b64" not in html and len(html) > 100_000  # the JavaScript is inlined
    assert "unpkg" not in html and "jsdelivr" not in html


def test_display_sliced_and_values_querysets_do_not_break(shell, instance, labels):
    sliced = instance.ULabel.filter().order_by("id")[:2]
    data, _ = shell.display_formatter.format(sliced)
    assert "ULabel QuerySet: 2 records" in data["text/html"]
    values = instance.ULabel.filter(name="DMSO").values_list("name", flat=True)
    data, _ = shell.display_formatter.format(values)
    assert "text/html" not in data and "DMSO" in data["text/plain"]
