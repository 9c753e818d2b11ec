"""The widget registry browser, driven by setting its widgets' values as a user's clicks do."""

from __future__ import annotations

import asyncio
import html
import re

import pytest

from lamindb_core import browsing
from lamindb_core.introspect import registries_by_module
from lamindb_jupyter.widgets import RegistryBrowser, browse
from lamindb_jupyter.widgets.browser import NO_RECORD, SEPARATOR, table_lines


def table_columns(browser: RegistryBrowser) -> list[str]:
    """The table's header as a person reads it."""
    head = re.search(r'<div class="lamindb-browser-head">(.*?)</div>', browser.table.value)
    return [c.strip() for c in html.unescape(head.group(1)).split(SEPARATOR)] if head else []


def table_column(browser: RegistryBrowser, name: str) -> list[str]:
    """A column of the table's rows (the list box's lines), as a person reads it."""
    column = table_columns(browser).index(name)
    return [label.split(SEPARATOR)[column].strip() for label, _ in browser.rows.options]


def table_names(browser: RegistryBrowser) -> list[str]:
    """The name column of the table."""
    return table_column(browser, "name")


def test_browse_shows_the_newest_records_first(instance, labels):
    browser = browse(instance.ULabel)
    assert browser.registry.value == "ULabel"
    assert table_names(browser)[:3] == ["<img src=x onerror=alert(1)>", "Candidate marker study 2", "Candidate marker study 1"]
    total = instance.ULabel.filter().count()
    assert browser.page.total == total
    assert browser.page_label.value == f"records 1–{total} of {total}"
    assert table_columns(browser)[:3] == ["id", "uid", "name"]
    assert "_branch_code" not in browser.table.value
    assert [pk for _, pk in browser.rows.options] == browser.page.ids


def test_browse_takes_a_name_and_lists_every_registry(instance):
    browser = browse("ULabel")
    assert browser.model is instance.ULabel
    expected = {m.__name__ for ms in registries_by_module().values() for m in ms}
    assert set(browser.registry.options) == expected
    assert browse().registry.value == "Artifact"


def test_browse_unknown_registry_names_the_closest(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="no registry 'ULabl' in this instance. Did you mean 'ULabel'"):
        browse("ULabl")
    with pytest.raises(instance.errors.InvalidArgument, match="takes a registry such as ln.ULabel"):
        browse(42)


def test_values_are_html_escaped(instance, labels):
    browser = browse(instance.ULabel)
    assert "<img" not in browser.table.value
    # the rows are the text of <option>s, which the page shows as text, never as markup
    assert table_names(browser)[0] == "<img src=x onerror=alert(1)>"
    browser.record.value = labels[-1].id
    assert "<img" not in browser.detail.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in browser.detail.value


def test_search_updates_the_table_as_the_user_types(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    browser.search.value = "Cand"
    assert sorted(table_names(browser)) == ["Candidate marker study 1", "Candidate marker study 2"]
    browser.search.value = "Candidate marker study 2"
    assert table_names(browser)[0] == "Candidate marker study 2"
    browser.search.value = "no such label at all"
    assert browser.page.rows == 0
    assert "No records match." in browser.table.value
    assert browser.page_label.value == "no records"
    browser.search.value = ""
    assert browser.page.rows == instance.ULabel.filter().count()


def test_search_uses_the_registrys_search_when_it_has_one(instance, labels, monkeypatch):
    from lamindb_core.query import RecordQuerySet

    calls = []

    def fake_search(self, string, *, field=None, limit=20, case_sensitive=False):
        calls.append((string, limit))
        return self.filter(name="IFNG").order_by("-id")

    monkeypatch.setattr(RecordQuerySet, "search", fake_search, raising=False)
    browser = browse(instance.ULabel, debounce=0)
    browser.search.value = "IFN"
    assert calls and calls[-1][0] == "IFN" and calls[-1][1] >= 21
    assert table_names(browser) == ["IFNG"]
    # no count for a ranked search: the pager says "of many" only when more follow
    assert browser.page.total == 1


def test_keystrokes_are_debounced_into_one_query(instance, labels, monkeypatch):
    browser = browse(instance.ULabel, debounce=0.05)
    page = browser.page
    searched = []

    def spy(qs, *args, **kwargs):
        searched.append(browser.search.value)
        return page

    # Django gives code inside an event loop its own connection, which cannot see this
    # test's uncommitted rows: count the queries instead of running them
    monkeypatch.setattr(browsing, "fetch_page", spy)

    async def type_quickly():
        for prefix in ("C", "Ca", "Can", "Cand"):
            browser.search.value = prefix
            await asyncio.sleep(0.001)
        assert searched == []
        await asyncio.sleep(0.2)

    asyncio.run(type_quickly())
    assert searched == ["Cand"]
    assert browser.status.value == ""


def test_an_error_while_refreshing_later_shows_in_the_status(instance, labels, monkeypatch):
    browser = browse(instance.ULabel, debounce=0.01)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(browsing, "fetch_page", broken)

    async def type_one_key():
        browser.search.value = "D"
        await asyncio.sleep(0.1)

    asyncio.run(type_one_key())
    assert "RuntimeError: the database went away" in browser.status.value


def test_filter_rows_narrow_the_records(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    row = browser.add_condition("name", "starts with", "Cand")
    assert sorted(table_names(browser)) == ["Candidate marker study 1", "Candidate marker study 2"]
    row.value.value = "DMS"
    assert table_names(browser) == ["DMSO"]
    row.op.value = "!="
    row.value.value = "DMSO"
    assert "DMSO" not in table_names(browser) and "IFNG" in table_names(browser)
    browser.add_condition("name", "in", "IFNG, DMSO")
    assert table_names(browser) == ["IFNG"]
    browser.remove_condition(row)
    assert sorted(table_names(browser)) == ["DMSO", "IFNG"]


def test_filter_rows_offer_the_registrys_fields_and_fitting_operators(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    row = browser.add_condition()
    assert row.field.options[:4] == ("uid", "id", "name", "is_concept")
    assert "created_by__name" in row.field.options
    row.field.value = "is_concept"
    assert row.op.options == ("=", "is null")
    row.field.value = "created_at"
    assert ">" in row.op.options and "contains" not in row.op.options
    row.field.value = "name"
    assert row.op.options[0] == "contains"
    # the chosen field's help text is the picker's tooltip
    assert row.field.tooltip == "Unique name of the label, e.g. 'Candidate marker study 1'."


def test_a_bad_filter_value_shows_a_message_and_keeps_the_table(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    before = browser.table.value, browser.rows.options
    row = browser.add_condition("is_concept", "=", "maybe")
    assert "is_concept =: expected yes or no" in browser.status.value
    assert (browser.table.value, browser.rows.options) == before
    row.value.value = "no"
    assert browser.status.value == ""
    assert browser.page.rows == instance.ULabel.filter(is_concept=False).count()


def test_include_adds_related_columns(instance, labels):
    dmso, ifng = labels[0], labels[1]
    dmso.parents.add(ifng)
    browser = browse(instance.ULabel, debounce=0)
    assert "parents__name" in browser.include.allowed_tags
    browser.include.value = ["parents__name", "created_by__name"]
    assert "parents__name" in table_columns(browser)
    assert table_column(browser, "parents__name")[browser.page.ids.index(dmso.id)] == "IFNG"
    df = browser.page.df
    assert df.loc[dmso.id, "parents__name"] == {"IFNG"}
    assert isinstance(df.loc[dmso.id, "created_by__name"], str)


def test_paging_reaches_every_record_beyond_the_first_hundred(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"paging label {i:03d}") for i in range(250)])
    total = ln.ULabel.filter().count()
    browser = browse(ln.ULabel, page_size=100, debounce=0)
    browser.search.value = ""
    seen = list(browser.page.ids)
    assert browser.page_label.value == f"records 1–100 of {total:,}"
    assert browser.first.disabled and browser.previous.disabled and not browser.next.disabled
    while not browser.next.disabled:
        browser.next.click()
        seen += browser.page.ids
    assert len(seen) == len(set(seen)) == total
    assert browser.next.disabled and browser.last.disabled
    assert browser.page_label.value.endswith(f"–{total:,} of {total:,}")
    browser.first.click()
    assert browser.page.offset == 0
    browser.last.click()
    assert browser.page.offset == (total - 1) // 100 * 100
    browser.previous.click()
    assert browser.page.offset == (total - 1) // 100 * 100 - 100
    browser.page_size.value = 50
    assert browser.page.offset == 0 and browser.page.rows == 50


def test_paging_counts_on_the_first_page_only(instance):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    instance.save([instance.ULabel(name=f"counted label {i:02d}") for i in range(30)])
    total = instance.ULabel.filter().count()
    browser = browse(instance.ULabel, page_size=10, debounce=0)
    with CaptureQueriesContext(connection) as queries:
        browser.next.click()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert browser.page.total == total and browser.page_label.value == f"records 11–20 of {total}"
    with CaptureQueriesContext(connection) as queries:
        browser.first.click()
    assert any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_details_show_describe_with_relations(instance, labels):
    dmso, ifng = labels[0], labels[1]
    dmso.parents.add(ifng)
    browser = browse(instance.ULabel, debounce=0)
    assert browser.detail.value == ""
    browser.record.value = dmso.id
    assert "ULabel DMSO" in browser.detail.value
    assert ".parents  ULabel  IFNG" in browser.detail.value
    assert f"&#x27;{dmso.uid}&#x27;" in browser.detail.value
    assert browser.rows.value == dmso.id  # the table shows the pick
    labels_in_picker = [label for label, _ in browser.record.options]
    assert f"{dmso.uid} · DMSO" in labels_in_picker


def test_artifact_details_are_describe_artifact_and_features_toggle(instance, labels):
    ln = instance
    ln.Feature(name="temperature", dtype="float").save()
    storage = ln.Storage.filter().first()
    artifact = ln.Artifact(key="browser/data.h5ad", suffix=".h5ad", storage=storage).save()
    artifact.features.add_values({"temperature": 21.5})
    browser = browse(ln.Artifact, debounce=0)
    assert not browser.features.disabled
    browser.features.value = True
    assert "temperature" in table_columns(browser)
    assert table_column(browser, "temperature")[browser.page.ids.index(artifact.id)] == "21.5"
    assert browser.page.df.loc[artifact.id, "temperature"] == {21.5}
    browser.record.value = artifact.id
    assert html.unescape(browser.detail.value).count(artifact.describe(return_str=True)) == 1
    assert "temperature" in browser.detail.value
    browser.registry.value = "ULabel"
    assert browser.features.disabled and browser.features.value is False
    assert browser.filters.children == () and browser.include.value == []


def test_export_hands_the_selection_to_the_notebook(instance, labels, shell):
    browser = browse(instance.ULabel, debounce=0)
    browser.search.value = "Cand"
    browser.export.click()
    qs = shell.user_ns["selection"]
    assert sorted(qs.values_list("name", flat=True)) == ["Candidate marker study 1", "Candidate marker study 2"]
    assert "<code>selection</code> = a QuerySet" in browser.export_status.value
    browser.export_kind.value = "DataFrame"
    browser.export_name.value = "cand_df"
    browser.include.value = ["created_by__name"]
    browser.export.click()
    df = shell.user_ns.pop("cand_df")
    assert sorted(df["name"]) == ["Candidate marker study 1", "Candidate marker study 2"]
    assert "created_by__name" in df.columns
    assert "= 2 rows" in browser.export_status.value
    browser.export_name.value = "class"
    assert browser.export_selection() is None
    assert "class is not a valid variable name" in browser.export_status.value


def test_registry_switch_resets_filters_and_shows_the_other_registry(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    browser.add_condition("name", "contains", "DMSO")
    browser.registry.value = "Feature"
    assert browser.model is instance.Feature
    assert browser.filters.children == ()
    assert browser.search.placeholder == "Search Feature…"
    assert browser.page.total == instance.Feature.filter().count()


def test_long_values_are_cut_with_the_whole_value_as_tooltip(instance):
    long = "A very long description " * 10
    instance.ULabel(name="long", description=long).save()
    record = instance.ULabel.get(name="long")
    browser = browse(instance.ULabel, debounce=0)
    cell = table_column(browser, "description")[browser.page.ids.index(record.id)]
    assert cell == "A very long description A very long des…"
    browser.rows.value = record.id
    assert long.strip() in html.unescape(browser.detail.value)


def namespace_snapshot(shell) -> dict[str, int]:
    return {name: id(value) for name, value in shell.user_ns.items()}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("__builtins__", "__builtins__ is not a valid variable name: Python and IPython keep it for themselves"),
        ("print", "print is not a valid variable name: it is a Python builtin, which the export would hide"),
        ("len", "len is not a valid variable name: it is a Python builtin"),
        ("1abc", "1abc is not a valid variable name: use letters, digits and _, not starting with a digit"),
        ("my-selection", "my-selection is not a valid variable name: use letters, digits and _"),
        ("class", "class is not a valid variable name: it is a Python keyword"),
        ("None", "None is not a valid variable name: it is a Python keyword"),
        ("In", "In is not a valid variable name: Python and IPython keep it for themselves"),
        ("get_ipython", "get_ipython is not a valid variable name: Python and IPython keep it"),
        ("_", "_ is not a valid variable name: Python and IPython keep it"),
        ("_i3", "_i3 is not a valid variable name: Python and IPython keep it"),
        ("__name__", "__name__ is not a valid variable name: Python and IPython keep it"),
        ("", "an empty name is not a valid variable name"),
    ],
)
def test_export_refuses_names_that_would_break_the_notebook(instance, labels, shell, name, message):
    # issue 10, item 18: __builtins__ (or print) was overwritten with the selection
    browser = browse(instance.ULabel, debounce=0)
    before = namespace_snapshot(shell)
    browser.export_name.value = name
    browser.export.click()
    assert message in browser.export_status.value
    assert namespace_snapshot(shell) == before
    assert browser.exported is None


def test_export_keeps_the_notebooks_own_variables(instance, labels, shell):
    browser = browse(instance.ULabel, debounce=0)
    mine = {"a": "value of my own"}
    shell.user_ns["selection"] = mine
    browser.export.click()
    assert shell.user_ns["selection"] is mine
    assert "selection already holds a dict of the notebook: pick another name, or del selection first" in (
        browser.export_status.value
    )
    # what an export put there, an export may replace, also another browser's
    del shell.user_ns["selection"]
    browser.export.click()
    first = shell.user_ns["selection"]
    browser.search.value = "DMSO"
    browse(instance.ULabel, debounce=0).export.click()
    assert shell.user_ns["selection"] is not first
    browser.export.click()
    assert list(shell.user_ns["selection"].values_list("name", flat=True)) == ["DMSO"]
    assert "<code>selection</code> = a QuerySet" in browser.export_status.value


def test_cells_read_as_the_dataframe_reads_them_sorted_and_true_false(instance, labels):
    ln = instance
    ln.Feature(name="cell_medium", dtype="cat[ULabel]").save()
    ln.Feature(name="n_cells", dtype="int").save()
    ln.Feature(name="is_control", dtype="bool").save()
    storage = ln.Storage.filter().first()
    artifact = ln.Artifact(key="browser/data.h5ad", suffix=".h5ad", storage=storage).save()
    artifact.features.add_values({"cell_medium": ["IFNG", "DMSO"], "n_cells": [10, 9], "is_control": True})
    browser = browse(ln.Artifact, debounce=0)
    browser.features.value = True

    def cells_of(b, pk):
        # the header line and the record's line of the list box, split into their columns
        header, lines = table_lines(b.page)
        (line,) = [text for text, id_ in lines if id_ == pk]
        return dict(zip([c.strip() for c in header.split(SEPARATOR)], [c.strip() for c in line.split(SEPARATOR)]))

    cells = cells_of(browser, artifact.id)
    # in the order of the DataFrame's {9, 10} and {DMSO, IFNG}: numbers as numbers, not as text
    assert cells["n_cells"] == "9, 10" and cells["cell_medium"] == "DMSO, IFNG"
    assert cells["is_control"] == "True"
    labels_browser = browse(ln.ULabel, debounce=0)
    assert cells_of(labels_browser, labels_browser.page.ids[0])["is_concept"] == "False"


def test_clicking_a_row_picks_the_record_and_shows_its_details(instance, labels):
    # issue 11, item 10: the table's rows are what a person clicks, not only the Details picker
    dmso = labels[0]
    browser = browse(instance.ULabel, debounce=0)
    assert browser.record.value == 0 and browser.record.label == NO_RECORD[0]
    assert browser.detail.value == ""
    browser.rows.value = dmso.id  # what a click on DMSO's row does
    assert "ULabel DMSO" in browser.detail.value
    assert browser.record.value == dmso.id and browser.record.label.endswith("· DMSO")
    # and the other way round: the Details picker selects the row
    browser.record.value = labels[1].id
    assert browser.rows.value == labels[1].id and "ULabel IFNG" in browser.detail.value


def test_details_picker_shows_its_placeholder_when_nothing_is_picked(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    assert browser.record.index == 0 and browser.record.label == "— pick a record to see its details —"
    browser.record.value = labels[0].id
    browser.record.value = None  # code that clears the pick
    assert browser.record.index == 0 and browser.record.label == NO_RECORD[0]
    assert browser.rows.value is None and browser.detail.value == ""
    browser.rows.value = labels[0].id
    browser.search.value = "IFNG"  # the picked record leaves the page
    assert browser.record.index == 0 and browser.detail.value == ""
    browser.registry.value = "Feature"
    assert browser.record.index == 0 and browser.record.label == NO_RECORD[0]


def test_arrow_keys_move_the_selection(instance, labels):
    browser = browse(instance.ULabel, debounce=0)
    ids = browser.page.ids
    assert browser.select_row(+1) == ids[0]  # down from no pick: the first row
    assert browser.select_row(+1) == ids[1]
    assert browser.record.value == ids[1]
    name = instance.ULabel.get(ids[1]).name
    assert f"ULabel {name}" in html.unescape(browser.detail.value)
    assert browser.select_row(-1) == ids[0]
    assert browser.select_row(-1) == ids[0]  # the first row stays picked at the top
    browser.rows.value = ids[-1]
    assert browser.select_row(+1) == ids[-1]
    assert browser.rows.rows == min(len(ids), 20)


def _imported_modules(package: str) -> set[str]:
    """The modules that the files of a package of lamindb_jupyter import, as absolute names."""
    import ast
    from pathlib import Path

    import lamindb_jupyter

    root = Path(lamindb_jupyter.__file__).parent
    found = set()
    for path in (root / package).rglob("*.py"):
        parts = ["lamindb_jupyter", *path.relative_to(root).with_suffix("").parts]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = parts[: len(parts) - node.level] if node.level else []
                found.add(".".join([*base, *([node.module] if node.module else [])]))
    return found


def test_the_widget_and_the_server_are_siblings_that_share_only_lamindb_core():
    # issue 12: the widget imported lamindb_jupyter.server.records; both call lamindb_core now
    assert not any(m.startswith("lamindb_jupyter.server") for m in _imported_modules("widgets"))
    assert not any(m.startswith("lamindb_jupyter.widgets") for m in _imported_modules("server"))
