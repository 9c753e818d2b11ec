"""Rich display: records, QuerySets, search results and df() tables as escaped HTML; itables offline."""

from __future__ import annotations

import html as html_lib
import json
import re

import pandas as pd
import pytest
from IPython.utils.capture import capture_output

from lamindb_core.dataframe import annotate_dtypes
from lamindb_jupyter import display

XSS = "<img src=x onerror=alert(1)>"


def rows(shown: str) -> int:
    """How many records a static table shows."""
    return shown.split("<tbody>")[1].count("<tr>")


def header_rows(shown: str) -> list[list[str]]:
    """The rows of a table's header, each the texts of its cells, as a person reads them."""
    thead = shown.split("<thead>")[1].split("</thead>")[0]
    return [[html_lib.unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", row, re.S)] for row in thead.split("</tr>")[:-1]]


def section(shown: str, tag: str) -> str:
    """``<thead>...</thead>`` or ``<tbody>...</tbody>`` of an HTML table."""
    return shown[shown.index(f"<{tag}>") : shown.index(f"</{tag}>")]


def itables_rows(shown: str) -> list[list]:
    """The rows itables hands to DataTables (its ``data_json``), as DataTables shows them."""
    match = re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', shown)
    return json.loads(json.loads(match.group(1)))


def displayed_html(run, cell: str) -> list[str]:
    """The text/html of every output that ``cell`` displays (``ln.view`` calls ``display``)."""
    with capture_output() as captured:
        run(cell)
    return [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]

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
    assert "the first 2 of 5 records shown; %config LnMagic.limit = N shows more" in shown
    assert rows(shown) == 2


def test_display_df_result_with_features_has_a_dtype_row(shell, run, html, artifacts):
    run("df = %ln filter Artifact suffix=.h5ad --features")
    shown = html(shell.user_ns["df"])
    names, dtypes, index = header_rows(shown)
    assert names[:3] == ["", "uid", "key"] and names[-1] == "temperature"
    assert dtypes[:3] == ["", "str", "str"] and dtypes[-1] == "float"
    assert index[0] == "id"


def test_display_df_of_the_library_is_escaped_too(html, instance, labels):
    shown = html(instance.ULabel.df())
    assert ESCAPED in shown and XSS not in shown
    assert len(header_rows(shown)) == 2  # names, then the index name: no features, no dtype row


def test_display_magic_result_cut_at_its_limit_says_so(shell, run, html, labels):
    run("df = %ln filter ULabel --limit 2")
    assert "the first 2 of 5 records shown; --limit N or --limit none brings more" in html(shell.user_ns["df"])


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


# -- the guide's feature table (issue 11: 5, 6, 7) ---------------------------------------------

CELL_TYPES = ["T cell", "B cell", "NK cell", "monocyte", "neutrophil", "macrophage", "dendritic cell", "platelet"]
# eight labels: a Python set prints them in hash order, sorted only by rare chance
SORTED = "{B cell, NK cell, T cell, dendritic cell, macrophage, monocyte, neutrophil, platelet}"


@pytest.fixture
def guide(instance, artifacts, labels):
    """The guide's feature table: two categorical features, a flag and a number."""
    ln = instance
    ln.save([ln.ULabel(name=n) for n in CELL_TYPES])
    ln.Feature(name="cell_type_by_expert", dtype="cat[ULabel]").save()
    ln.Feature(name="cell_medium", dtype="cat[ULabel]").save()
    ln.Feature(name="is_control", dtype="bool").save()
    artifacts["dataset1"].features.add_values({"cell_type_by_expert": CELL_TYPES, "cell_medium": ["IFNG", "DMSO"], "is_control": True})
    artifacts["dataset2"].features.add_values({"cell_medium": ["IFNG", "DMSO"], "is_control": False})
    return artifacts


def itables_header(shown: str) -> list[list[str]]:
    """The header rows of an itables table (its ``table_html``)."""
    match = re.search(r'"table_html": ("(?:[^"\\]|\\.)*")', shown)
    return header_rows(json.loads(match.group(1)))


def test_display_view_of_feature_table_has_the_two_level_header_of_pandas(shell, run, guide):
    run("import lamindb_core as ln\ndf = ln.Artifact.df(features=True)")
    # what ln.view(df) shows without the extension: pandas' own HTML of a MultiIndex header
    # (the extension does not cut long values at pandas' 50 characters)
    with pd.option_context("display.max_colwidth", None):
        pandas_html = annotate_dtypes(shell.user_ns["df"])._repr_html_()
    for cell in ("ln.view(df)", "%ln view {df}"):
        (shown,) = displayed_html(run, cell)
        names, dtypes, index = header_rows(shown)
        assert names[:4] == ["", "uid", "key", "description"]
        assert dtypes[names.index("cell_medium")] == "cat[ULabel]"
        assert dtypes[names.index("is_control")] == "bool" and dtypes[1] == "str"
        assert index == ["id"] + [""] * (len(names) - 1)
        assert "('cell_medium'" not in html_lib.unescape(shown)
        assert section(shown, "thead") == section(pandas_html, "thead")
        assert section(shown, "tbody") == section(pandas_html, "tbody")


def test_display_view_of_a_big_feature_table_has_the_two_level_header_in_itables(shell, run, instance, guide):
    ln = instance
    storage = ln.Storage.filter().first()
    ln.save([ln.Artifact(key=f"batch/{i}.h5ad", suffix=".h5ad", storage=storage) for i in range(display.PAGE_ROWS)])
    run("import lamindb_core as ln\ndf = ln.Artifact.df(features=True)")
    (shown,) = displayed_html(run, "ln.view(df)")
    assert "new ITable(" in shown
    names, dtypes, index = itables_header(shown)
    assert names[1:3] == ["uid", "key"] and dtypes[names.index("cell_medium")] == "cat[ULabel]"
    assert index[0] == "id"


def test_display_label_sets_read_sorted_and_booleans_read_true_false(shell, html, instance, guide):
    ln = instance
    df = ln.Artifact.df(features=True)
    dataset1 = guide["dataset1"].id
    cell = df.loc[dataset1, "cell_type_by_expert"]
    assert cell == set(CELL_TYPES)  # still a set
    assert repr(cell) == "{" + ", ".join(repr(n) for n in sorted(CELL_TYPES)) + "}"  # {'B cell', 'NK cell', ...}
    # plain pandas, as text and as HTML
    assert SORTED in df.to_string()
    with pd.option_context("display.max_colwidth", None):
        assert f"<td>{SORTED}</td>" in df._repr_html_()
    # the extension's HTML reads the same
    shown = html(df)
    assert f"<td>{SORTED}</td>" in shown
    assert "<td>{DMSO, IFNG}</td>" in shown
    assert "<td>{True}</td>" in shown and "<td>{False}</td>" in shown
    # df(include=...) sets too
    guide["jpg"].ulabels.add(*ln.ULabel.filter(name__in=CELL_TYPES))
    assert f"<td>{SORTED}</td>" in html(ln.Artifact.df(include="ulabels__name"))
    assert "<td>False</td>" in html(ln.ULabel.df())  # is_concept


def test_display_itables_read_sorted_sets_and_true_false(shell, html, instance, guide):
    ln = instance
    storage = ln.Storage.filter().first()
    ln.save([ln.Artifact(key=f"batch/{i}.h5ad", suffix=".h5ad", storage=storage) for i in range(display.PAGE_ROWS)])
    shown = html(ln.Artifact.df(features=True))
    assert "new ITable(" in shown
    cells = [c for row in itables_rows(shown) for c in row]
    assert SORTED in cells and "{DMSO, IFNG}" in cells and "{True}" in cells
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(display.PAGE_ROWS)])
    shown = html(ln.ULabel.df())
    assert "new ITable(" in shown
    is_concept = [row[3] for row in itables_rows(shown)]  # index, uid, name, is_concept
    # DataTables would write a JSON false as "false": it gets pandas' text instead
    assert set(is_concept) == {"False"}


def test_display_df_cut_at_its_limit_says_the_first_n_of_the_total(shell, html, instance, labels):
    ln = instance
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(100)])
    shown = html(ln.ULabel.df())  # df() brings the newest 100
    assert "new ITable(" in shown
    assert "the first 100 of 105 records shown; df(limit=None) returns all" in shown
    # DataTables' own info line ("Showing 1 to 10 of 100 entries") stays on
    assert '"bottomStart": "info"' in shown
    shown = html(ln.ULabel.df(limit=3))
    assert rows(shown) == 3 and "the first 3 of 105 records shown" in shown
    assert "records shown" not in html(ln.ULabel.df(limit=3).head(2))  # no longer "the first 3"
    # all 105 in the DataFrame: the table shows LnMagic.limit of them
    assert "the first 100 of 105 records shown; %config LnMagic.limit = N shows more" in html(ln.ULabel.df(limit=None))
    df = ln.ULabel.df(limit=3)
    df.attrs["limited"] = (3, 2340, True)
    assert "the first 3 of 2,340 records shown" in html(df)
    df.attrs["limited"] = (3, 2340)  # as before the count had a cap
    assert "the first 3 of 2,340 records shown" in html(df)
    df.attrs["limited"] = (3, 100_000, False)  # the count stopped at its cap
    assert "the first 3 of more than 100,000 records shown" in html(df)


def test_display_queryset_beyond_the_limit_in_itables_says_the_total(shell, run, html, instance, labels):
    ln = instance
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(40)])
    run("%config LnMagic.limit = 30")
    shown = html(ln.ULabel.filter())
    assert "new ITable(" in shown and '"bottomStart": "info"' in shown
    assert "ULabel QuerySet: 45 records" in shown
    assert "the first 30 of 45 records shown; %config LnMagic.limit = N shows more" in shown


def test_display_queryset_past_the_count_cap_says_more_than(shell, run, html, instance, labels, monkeypatch):
    # the count stops at COUNT_CAP: the caption and the note say "more than", never a wrong total
    import lamindb_core.dataframe

    ln = instance
    ln.save([ln.ULabel(name=f"Batch {i:03d}") for i in range(12)])
    monkeypatch.setattr(lamindb_core.dataframe, "COUNT_CAP", 10)
    run("%config LnMagic.limit = 5")
    shown = html(ln.ULabel.filter())
    assert "ULabel QuerySet: more than 10 records" in shown
    assert "the first 5 of more than 10 records shown" in shown
