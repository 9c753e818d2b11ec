"""``browse()``: an ipywidgets panel to search, filter and page through a registry.

Its queries and record details are ``lamindb_core.browsing``'s, its registries and
filter operators ``lamindb_core.introspect``'s, and its values read as
``lamindb_core.render`` writes them: what the JupyterLab panel's REST API uses too.
Every value is HTML-escaped before it reaches the page.

Example:
    >>> import lamindb_core as ln
    >>> from lamindb_jupyter.widgets import browse
    >>> browser = browse(ln.ULabel)
    >>> browser.search.value = "Cand"          # what typing in the search box does
    >>> browser.page.total, browser.page.rows
"""

from __future__ import annotations

import asyncio
import builtins
import html
import keyword
import re
import time
import weakref
from typing import Any

import ipywidgets as w
from django.db import models

from lamindb_core import browsing, errors, introspect
from lamindb_core.browsing import Condition, Page
from lamindb_core.render import value_text

from .lineage import LineageView

__all__ = ["RegistryBrowser", "FilterRow", "browse", "name_problem"]

PAGE_SIZES = (10, 20, 50, 100)
# longer cell values are cut; the record's details show the whole value
CELL_CHARS = 40
# rows the table shows at once; a longer page scrolls inside it
VISIBLE_ROWS = 20
# the columns of a row are text in the table's monospaced font, set apart by this
SEPARATOR = " │ "
# a DataFrame export holds at most this many records; a QuerySet export has no limit
EXPORT_MAX_ROWS = 100_000
# the Details picker's placeholder; its value is 0, no record's id (None would show an empty box)
NO_RECORD = ("— pick a record to see its details —", 0)
# names IPython binds itself (_, __, _i, _i3, _7) beside its hidden ones (In, Out, get_ipython)
IPYTHON_NAMES = re.compile(r"_+|_i+|_i?\d+|__\w+__")
# the value that an Export last bound to each name: an Export may replace it, nothing else
_exported: dict[str, weakref.ref] = {}

# The table is a list box (a <select>): a click picks a row and the arrow keys move the
# selection, in the browser, with no code of ours in the page. Its header is text in the
# same font, padded to the same widths. Only JupyterLab's theme variables: dark themes work.
TABLE_STYLE = """
<style>
.lamindb-browser-rows {overflow-x: auto; border: 1px solid var(--jp-border-color2, #ddd);
  background: var(--jp-layout-color1, #fff);}
.lamindb-browser-rows .widget-select {margin: 0; width: max-content; min-width: 100%;}
.lamindb-browser-rows select, .lamindb-browser-head {font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 12px); color: var(--jp-ui-font-color1, #000);}
.lamindb-browser-rows select {border: none; outline: none; overflow-y: auto; padding: 0; height: auto;
  background: var(--jp-layout-color1, #fff);}
.lamindb-browser-rows option {padding: 2px 8px; border-top: 1px solid var(--jp-border-color3, #eee);}
.lamindb-browser-rows option:checked {background: var(--jp-brand-color3, #c8e0f8) linear-gradient(0deg,
  var(--jp-brand-color3, #c8e0f8) 0%, var(--jp-brand-color3, #c8e0f8) 100%); color: var(--jp-ui-font-color0, #000);}
.lamindb-browser-head {white-space: pre; padding: 3px 8px; font-weight: 600;
  background: var(--jp-layout-color2, #f3f3f3);}
.lamindb-browser-empty {padding: 8px; color: var(--jp-ui-font-color2, #777);}
</style>
"""


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cut(text: str, width: int = CELL_CHARS) -> str:
    text = " ".join(text.split())  # a newline would break the row
    return text if len(text) <= width else text[: width - 1] + "…"


def table_lines(page: Page) -> tuple[str, list[tuple[str, int]]]:
    """The page as text: its header line and one ``(line, id)`` per record, the columns
    padded to a common width (at most ``CELL_CHARS``) and set apart by ``SEPARATOR``."""
    columns = ["id", *page.columns]
    cells = [
        [str(pk), *(_cut(value_text(v)) for v in row)]
        for pk, row in zip(page.ids, page.df.itertuples(index=False, name=None))
    ]
    widths = [max([len(_cut(c)), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return SEPARATOR.join(v.ljust(wd) for v, wd in zip(values, widths)).rstrip()

    return line([_cut(c) for c in columns]), [(line(r), pk) for r, pk in zip(cells, page.ids)]


def render_header(page: Page) -> str:
    """The table's header (escaped), or the message that no record matches."""
    if page.rows == 0:
        return TABLE_STYLE + '<div class="lamindb-browser-empty">No records match.</div>'
    header, _ = table_lines(page)
    return TABLE_STYLE + f'<div class="lamindb-browser-head">{_escape(header)}</div>'


class FilterRow(w.HBox):
    """One condition: field, operator, value, and a button that removes the row.

    The operators are words (``contains``, ``starts with``, ``>``); each stands for the
    Django lookup of ``lamindb_core.introspect.OPERATORS`` (``icontains``, ``istartswith``,
    ``gt``): a person typing in a filter row means any case.

    Example:
        >>> row = browser.add_condition("name", "starts with", "Cand")
        >>> row.value.value = "IFN"
    """

    def __init__(self, model: type[models.Model], browser: RegistryBrowser) -> None:
        self.model = model
        self.browser = browser
        fields = browsing.filter_fields(model)
        self.field = w.Dropdown(options=fields, value=fields[0] if fields else None, layout=w.Layout(width="220px"))
        self.field.tooltip = self._help(self.field.value)
        self.op = w.Dropdown(options=introspect.operators_for(model, self.field.value), layout=w.Layout(width="110px"))
        self.value = w.Text(placeholder="value", continuous_update=True, layout=w.Layout(width="220px"))
        self.remove = w.Button(icon="times", tooltip="remove this filter", layout=w.Layout(width="34px"))
        super().__init__([self.field, self.op, self.value, self.remove])
        self.field.observe(self._on_field, "value")
        self.op.observe(self._on_change, "value")
        self.value.observe(self._on_change, "value")
        self.remove.on_click(lambda _: browser.remove_condition(self))

    @property
    def condition(self) -> Condition | None:
        """The row's condition; None while its value is empty (except for ``is null``)."""
        if self.op.value != "is null" and not self.value.value.strip():
            return None
        return Condition(self.field.value, introspect.OPERATORS[self.op.value], self.value.value)

    def _help(self, path: str | None) -> str:
        # what the chosen field holds (its help_text), shown when the pointer rests on it
        return introspect.field_help(self.model, path) if path else ""

    def _on_field(self, change: dict) -> None:
        self.field.tooltip = self._help(change["new"])
        ops = introspect.operators_for(self.model, change["new"])
        if self.op.value not in ops:
            self.op.options = ops
            self.op.value = ops[0]
        else:
            self.op.options = ops
        self.browser.schedule_refresh()

    def _on_change(self, change: dict) -> None:
        self.browser.schedule_refresh()


class RegistryBrowser(w.VBox):
    """Browse a registry: search as you type, filter rows, include relations and features,
    page through every record, see one record's details, export the selection.

    Its parts are ordinary widgets, so code (and tests) can drive it by setting
    their values: ``registry``, ``search``, ``features``, ``include``, ``page_size``,
    ``record``; ``add_condition()`` adds a filter row; ``next_page()`` pages.

    Args:
        registry: A registry (``ln.ULabel``) or its name; the first registry if None.
        page_size: Records per page.
        debounce: Seconds to wait after a keystroke before querying; 0 queries at once.
    """

    def __init__(self, registry: type[models.Model] | str | None = None, page_size: int = 20, debounce: float = 0.15):
        self.debounce = debounce
        self._pending: asyncio.TimerHandle | None = None
        self._models = introspect.registries()
        model = self._resolve(registry)
        self.model = model
        self.offset = 0
        self.page: Page | None = None
        self.last_refresh_seconds = 0.0
        self.exported: Any = None
        self._total: tuple[tuple, int] | None = None
        self._quiet = True

        self.registry = w.Dropdown(
            options=list(self._models), value=self._name_of(model), description="Registry",
            layout=w.Layout(width="250px"),
        )
        self.search = w.Text(
            placeholder=f"Search {model.__name__}…", continuous_update=True, layout=w.Layout(width="300px"),
        )
        self.features = w.Checkbox(value=False, description="features", indent=False, layout=w.Layout(width="90px"))
        self.include = w.TagsInput(
            value=[], allowed_tags=browsing.include_paths(model), allow_duplicates=False,
            placeholder="include relations…", layout=w.Layout(width="auto"),
        )
        self.add_filter = w.Button(description="filter", icon="plus", tooltip="add a filter row", layout=w.Layout(width="90px"))
        self.filters = w.VBox([])
        self.status = w.HTML()
        self.table = w.HTML()
        self.rows = w.Select(options=[], value=None, rows=1, layout=w.Layout(width="auto"))
        self.rows.add_class("lamindb-browser-select")
        self.table_box = w.VBox([self.table, self.rows])
        self.table_box.add_class("lamindb-browser-rows")
        self.first = w.Button(icon="angle-double-left", tooltip="first page", layout=w.Layout(width="36px"))
        self.previous = w.Button(icon="angle-left", tooltip="previous page", layout=w.Layout(width="36px"))
        self.next = w.Button(icon="angle-right", tooltip="next page", layout=w.Layout(width="36px"))
        self.last = w.Button(icon="angle-double-right", tooltip="last page", layout=w.Layout(width="36px"))
        self.page_label = w.HTML()
        self.page_size = w.Dropdown(
            options=sorted({*PAGE_SIZES, page_size}), value=page_size, description="per page",
            layout=w.Layout(width="160px"),
        )
        self.record = w.Dropdown(options=[NO_RECORD], value=0, description="Details", layout=w.Layout(width="560px"))
        self.detail = w.HTML()
        self.show_lineage = w.ToggleButton(
            value=False, description="Lineage", icon="sitemap", layout=w.Layout(width="110px"),
            tooltip="show the picked record's lineage: the runs that made it, what they read, what was made from it",
        )
        self.lineage = LineageView(on_open=self.open_record)
        self.lineage.layout.display = "none"
        self.export_kind = w.ToggleButtons(options=["QuerySet", "DataFrame"], value="QuerySet", style={"button_width": "100px"})
        self.export_name = w.Text(value="selection", description="as variable", layout=w.Layout(width="240px"))
        self.export = w.Button(description="Export", icon="download", tooltip="put the current selection into the notebook")
        self.export_status = w.HTML()

        super().__init__(
            [
                w.HBox([self.registry, self.search, self.features, self.add_filter]),
                self.include,
                self.filters,
                self.status,
                self.table_box,
                w.HBox([self.first, self.previous, self.page_label, self.next, self.last, self.page_size]),
                w.HBox([self.record, self.show_lineage]),
                self.lineage,
                self.detail,
                w.HBox([self.export_kind, self.export_name, self.export, self.export_status]),
            ]
        )
        self.add_class("lamindb-browser")
        self.registry.observe(self._on_registry, "value")
        self.search.observe(lambda _: self.schedule_refresh(), "value")
        self.features.observe(lambda _: self.refresh(), "value")
        self.include.observe(lambda _: self.refresh(), "value")
        self.page_size.observe(lambda _: self.refresh(), "value")
        self.record.observe(lambda change: self.show_record(change["new"]), "value")
        self.show_lineage.observe(lambda _: self._update_lineage(), "value")
        self.rows.observe(self._on_row, "value")
        self.add_filter.on_click(lambda _: self.add_condition())
        self.first.on_click(lambda _: self.first_page())
        self.previous.on_click(lambda _: self.previous_page())
        self.next.on_click(lambda _: self.next_page())
        self.last.on_click(lambda _: self.last_page())
        self.export.on_click(lambda _: self.export_selection())
        self._configure_for(model)
        self._quiet = False
        self.refresh()

    # -- registries -----------------------------------------------------------

    def _resolve(self, registry: type[models.Model] | str | None) -> type[models.Model]:
        if registry is None:
            if not self._models:
                raise errors.InvalidArgument("this instance has no registries to browse")
            return self._models.get("Artifact", next(iter(self._models.values())))
        if isinstance(registry, str):
            try:
                return introspect.registry_by_name(registry)
            except errors.NotFound as exc:
                raise errors.InvalidArgument(str(exc)) from None
        if isinstance(registry, type) and issubclass(registry, models.Model):
            if registry not in self._models.values():
                self._models[registry._meta.label] = registry
            return registry
        raise errors.InvalidArgument(
            f"browse() takes a registry such as ln.ULabel or its name, got {registry!r}"
        )

    def _name_of(self, model: type[models.Model]) -> str:
        return next(name for name, m in self._models.items() if m is model)

    def _configure_for(self, model: type[models.Model]) -> None:
        self.model = model
        self.search.placeholder = f"Search {model.__name__}…"
        self.features.disabled = not browsing.supports_features(model)
        if self.features.disabled:
            self.features.value = False
        self.include.value = []
        self.include.allowed_tags = browsing.include_paths(model)
        self.filters.children = []
        self.record.options = [NO_RECORD]
        self.record.value = 0
        self.rows.options = []
        self.detail.value = ""
        self.show_lineage.disabled = not browsing.has_lineage(model)
        self.show_lineage.tooltip = (
            "show the picked record's lineage: the runs that made it, what they read, what was made from it"
            if not self.show_lineage.disabled
            else f"{model.__name__} records have no lineage: only artifacts, collections, runs and transforms have one"
        )
        self._update_lineage()

    def _on_registry(self, change: dict) -> None:
        self._quiet = True
        try:
            self._configure_for(self._models[change["new"]])
        finally:
            self._quiet = False
        self.refresh()

    # -- filters --------------------------------------------------------------

    def add_condition(self, field: str | None = None, op: str | None = None, value: str = "") -> FilterRow:
        """Add a filter row (by default: the first field, its first operator, no value)."""
        row = FilterRow(self.model, self)
        self._quiet = True
        try:
            if field is not None:
                row.field.value = field
            if op is not None:
                row.op.value = op
            row.value.value = value
        finally:
            self._quiet = False
        self.filters.children = [*self.filters.children, row]
        if row.condition is not None:
            self.refresh()
        return row

    def remove_condition(self, row: FilterRow) -> None:
        """Remove a filter row."""
        self.filters.children = [r for r in self.filters.children if r is not row]
        self.refresh()

    @property
    def conditions(self) -> list[Condition]:
        """The complete filter rows' conditions."""
        return [row.condition for row in self.filters.children if row.condition is not None]

    # -- querying ---------------------------------------------------------------

    @property
    def queryset(self):
        """The current selection (search and filters) as a QuerySet, best first; a search
        keeps its best ``browsing.SEARCH_LIMIT`` (1,000) records."""
        return browsing.build_query(self.model, self.search.value, self.conditions)

    def schedule_refresh(self) -> None:
        """Refresh after ``debounce`` seconds of quiet, or now outside an event loop."""
        if self._quiet:
            return
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self.debounce <= 0 or loop is None:
            self.refresh()
            return
        self._pending = loop.call_later(self.debounce, self._refresh_later)

    def _refresh_later(self) -> None:
        # runs from the event loop, where an exception would only reach the kernel's log
        self._pending = None
        try:
            self.refresh()
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of lost
            self.status.value = (
                f'<span style="color: var(--jp-error-color1, #c00)">{_escape(type(exc).__name__)}: {_escape(exc)}</span>'
            )

    def refresh(self, offset: int = 0) -> None:
        """Query the page at ``offset`` and show it; problems show as a message, not a traceback."""
        if self._quiet:
            return
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        start = time.perf_counter()
        text = self.search.value.strip()
        size = self.page_size.value
        try:
            conditions = self.conditions
            # the total is counted on the first page and kept while paging through the same query
            key = (self.model, text, tuple(conditions))
            known = self._total[1] if self._total is not None and self._total[0] == key and offset else None
            qs = browsing.build_query(self.model, text, conditions, search_limit=offset + size + 1)
            page = browsing.fetch_page(
                qs, offset, size, include=self.include.value, features=self.features.value,
                count=not text and known is None,
            )
        except (errors.InvalidArgument, errors.NotFound) as exc:
            self.status.value = f'<span style="color: var(--jp-error-color1, #c00)">{_escape(exc)}</span>'
            return
        if page.total is None and known is not None:
            page.total = known
        self._total = (key, page.total) if page.total is not None else None
        self.offset = offset
        self.page = page
        self.status.value = ""
        self._show_page(page)
        self.last_refresh_seconds = time.perf_counter() - start

    def _show_page(self, page: Page) -> None:
        selected = self.record.value if self.record.value in page.ids else None
        self.table.value = render_header(page)
        _, lines = table_lines(page)
        if page.rows:
            first, last = page.offset + 1, page.offset + page.rows
            of = f"{page.total:,}" if page.total is not None else "many"
            self.page_label.value = f"records {first:,}–{last:,} of {of}"
        else:
            self.page_label.value = "no records"
        self.first.disabled = self.previous.disabled = page.offset == 0
        self.next.disabled = not page.has_more
        self.last.disabled = not page.has_more or page.total is None
        label_field = introspect.name_field(self.model)
        options = [NO_RECORD]
        for pk, row in zip(page.ids, page.df.to_dict("records")):
            parts = [str(row[c]) for c in ("uid", label_field) if c in row and row[c] not in (None, "")]
            options.append((" · ".join(parts) or str(pk), pk))
        self._quiet = True
        try:
            self.record.options = options
            self.record.value = selected or 0
            self.rows.options = lines
            self.rows.value = selected
            self.rows.rows = max(1, min(len(lines), VISIBLE_ROWS))
            self.rows.layout.display = "flex" if lines else "none"
        finally:
            self._quiet = False
        if selected is None:
            self.detail.value = ""
            self._update_lineage()

    # -- paging -----------------------------------------------------------------

    def next_page(self) -> None:
        """Show the next page, if there is one."""
        if self.page is not None and self.page.has_more:
            self.refresh(self.offset + self.page_size.value)

    def previous_page(self) -> None:
        """Show the previous page."""
        self.refresh(max(0, self.offset - self.page_size.value))

    def first_page(self) -> None:
        """Show the first page."""
        self.refresh(0)

    def last_page(self) -> None:
        """Show the last page (when the number of records is known)."""
        if self.page is not None and self.page.total:
            size = self.page_size.value
            self.refresh((self.page.total - 1) // size * size)

    # -- details and export -----------------------------------------------------

    def _on_row(self, change: dict) -> None:
        # a click on a row, or the arrow keys in the table: the Details picker follows
        if self._quiet:
            return
        self.record.value = change["new"] or 0

    def select_row(self, step: int) -> int | None:
        """Move the selection ``step`` rows down (up if negative), as the arrow keys do in
        the table; from no selection, down picks the first row and up the last. Returns the
        id of the record now picked."""
        ids = [pk for _, pk in self.rows.options]
        if not ids:
            return None
        if self.rows.value in ids:
            index = min(max(ids.index(self.rows.value) + step, 0), len(ids) - 1)
        else:
            index = 0 if step > 0 else len(ids) - 1
        self.rows.value = ids[index]
        return self.rows.value

    def show_record(self, pk: int | None) -> None:
        """Show a record's ``describe()`` in the detail pane, and an artifact's path (``None``
        or 0 clears it)."""
        if self._quiet:
            return
        self._quiet = True
        try:
            pk = pk or None
            if pk is None and self.record.value != 0:
                self.record.value = 0  # the placeholder, not an empty box
            if self.rows.value != pk:
                # a record off the page (opened from the lineage) leaves no row picked
                self.rows.value = pk if pk in [v for _, v in self.rows.options] else None
        finally:
            self._quiet = False
        if pk is None:
            self.detail.value = ""
            self._update_lineage()
        else:
            try:
                record = browsing.get_record(self.model, pk)
            except errors.NotFound as exc:
                self.detail.value = f"<i>{_escape(exc)}</i>"
                self._update_lineage()
                return
            shown = (
                '<pre style="font-size: var(--jp-code-font-size, 12px); line-height: 1.35; '
                'margin: 4px 0; white-space: pre-wrap;">'
                + _escape(browsing.describe_record(record))
                + "</pre>"
            )
            path = browsing.record_path(record)
            if path is not None:  # where the data is: a local file or an s3:// URL
                shown += f'<div class="lamindb-browser-path">path: <code>{_escape(path)}</code></div>'
            self.detail.value = shown
            self._update_lineage(record)

    # -- lineage ----------------------------------------------------------------

    def _update_lineage(self, record: models.Model | None = None) -> None:
        # the Lineage view follows the picked record while the toggle is on
        on = self.show_lineage.value and not self.show_lineage.disabled
        self.lineage.layout.display = "flex" if on else "none"
        if not on:
            self.lineage.clear()
            return
        pk = self.record.value or None
        if record is None and pk is not None:
            try:
                record = browsing.get_record(self.model, pk)
            except errors.NotFound as exc:
                self.lineage.clear(str(exc))
                return
        if record is None:
            self.lineage.clear("pick a record to see its lineage")
        else:
            self.lineage.show(record)

    def open_record(self, registry: type[models.Model] | str, pk: int) -> None:
        """Show a record's details (and its lineage, when the Lineage view is on): switch to
        its registry, pick it in the table if it is on the page, else add it to the Details
        picker. A click on a box of the lineage calls this.

        Example:
            >>> browser.open_record("Run", 3)
            >>> browser.registry.value, browser.record.value
            ('Run', 3)
        """
        model = self._resolve(registry)
        if model is not self.model:
            self.registry.value = self._name_of(model)  # the registry's first page, nothing picked
        if pk not in [value for _, value in self.record.options]:
            try:
                record = browsing.get_record(model, pk)
            except errors.NotFound as exc:
                self.detail.value = f"<i>{_escape(exc)}</i>"
                return
            label_field = introspect.name_field(model)
            parts = [str(v) for v in (getattr(record, "uid", None), getattr(record, label_field, None)) if v not in (None, "")]
            self._quiet = True
            try:
                self.record.options = [*self.record.options, (" · ".join(parts) or str(pk), pk)]
            finally:
                self._quiet = False
        if self.record.value == pk:
            self.show_record(pk)
        else:
            self.record.value = pk

    def export_selection(self) -> Any:
        """Bind the current selection (search and filters, all pages) to the variable named
        in ``export_name``, as a QuerySet or a DataFrame (with the chosen includes and
        features), and return it.

        The name must be one a notebook can use: an identifier that is no keyword, no
        builtin (``print``) and none of the names Python and IPython keep (``__builtins__``,
        ``In``, ``_``). An Export replaces what an Export bound before, never a variable of
        the notebook's own; a refused name is a message beside the button, and nothing in
        the notebook changes.
        """
        name = self.export_name.value.strip()
        shell = _shell()
        problem = name_problem(name, shell.user_ns_hidden if shell is not None else ())
        if problem is None and shell is not None and name in shell.user_ns:
            problem = _taken(name, shell.user_ns[name])
        if problem is not None:
            self.export_status.value = f"<i>{_escape(problem)}</i>"
            return None
        try:
            qs = self.queryset
            if self.export_kind.value == "DataFrame":
                value = qs[: EXPORT_MAX_ROWS + 1].df(include=self.include.value or None, features=self.features.value)
                if len(value) > EXPORT_MAX_ROWS:
                    self.export_status.value = (
                        f"<i>more than {EXPORT_MAX_ROWS:,} records: narrow the selection or export a QuerySet</i>"
                    )
                    return None
            else:
                value = qs
        except errors.InvalidArgument as exc:
            self.export_status.value = f"<i>{_escape(exc)}</i>"
            return None
        self.exported = value
        if shell is not None:
            shell.user_ns[name] = value
            _exported[name] = weakref.ref(value)
            what = f"{len(value):,} rows" if self.export_kind.value == "DataFrame" else "a QuerySet"
            self.export_status.value = f"<code>{_escape(name)}</code> = {what}"
        else:
            self.export_status.value = "<i>no IPython session: the value is in browser.exported</i>"
        return value


def name_problem(name: str, hidden: Any = ()) -> str | None:
    """Why ``name`` cannot be an Export's variable, or None if it can.

    ``hidden`` are the names IPython put into the namespace (``shell.user_ns_hidden``).

    Example:
        >>> name_problem("print")
        'print is not a valid variable name: it is a Python builtin, which the export would hide'
    """
    if not name:
        return "an empty name is not a valid variable name"
    if not name.isidentifier():
        return f"{name} is not a valid variable name: use letters, digits and _, not starting with a digit"
    if keyword.iskeyword(name):
        return f"{name} is not a valid variable name: it is a Python keyword"
    if name in hidden or IPYTHON_NAMES.fullmatch(name):
        return f"{name} is not a valid variable name: Python and IPython keep it for themselves"
    if hasattr(builtins, name):
        return f"{name} is not a valid variable name: it is a Python builtin, which the export would hide"
    return None


def _taken(name: str, current: Any) -> str | None:
    # a variable that an Export bound may be replaced; one the notebook bound is kept
    ref = _exported.get(name)
    if ref is not None and ref() is current:
        return None
    return f"{name} already holds a {type(current).__name__} of the notebook: pick another name, or del {name} first"


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


def browse(registry: type[models.Model] | str | None = None, **kwargs: Any) -> RegistryBrowser:
    """A widget to search, filter and page through a registry, and see each record's details.

    Args:
        registry: ``ln.ULabel``, ``"ULabel"``, or None for the first registry (``Artifact``).
        **kwargs: ``page_size`` (default 20), ``debounce`` (seconds, default 0.15).

    Example:
        >>> import lamindb_jupyter
        >>> lamindb_jupyter.widgets.browse(ln.ULabel)   # as the last line of a cell, it displays
    """
    return RegistryBrowser(registry, **kwargs)
