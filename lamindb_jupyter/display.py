"""Rich display: records, QuerySets, search results and ``df()`` tables as HTML in notebooks.

``register(ipython, settings)`` adds formatters to IPython's display formatters (it does
not patch any class), and ``unregister(ipython)`` puts back what was there:

- a record (any registry) shows its fields in a two-column table;
- a QuerySet (search results too) shows the table of its ``df()``, at most
  ``settings.limit`` rows, with a line that says when there are more;
- a DataFrame made by ``df()`` (it has ``attrs["registry"]``) shows as pandas shows
  it, with a second header row of dtypes when it has feature columns, as ``ln.view``
  does; ``ln.view(df)``'s two-level header is a name row over a dtype row, as in pandas.
  When ``df()`` or ``%ln`` brought the first 100 of 2,340 records, a note says so.

Tables longer than ``PAGE_ROWS`` are paginated and sortable with itables in offline mode:
``load_itables(ipython)`` puts itables' JavaScript into the notebook once (no CDN, no network).
Every value, header and caption is HTML-escaped. In a terminal, QuerySets print as text tables.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "register",
    "unregister",
    "load_itables",
    "record_html",
    "queryset_html",
    "queryset_text",
    "own_html",
    "dataframe_html",
    "table_html",
    "PAGE_ROWS",
]

# tables with more rows than this are paginated and sortable (itables)
PAGE_ROWS = 20
MORE_ROWS = "lamindb_jupyter.more_rows"  # also in magics.py, which sets it
STYLE = (
    "<style>.lamindb-dtypes thead tr:nth-child(2) th{font-weight:normal;font-style:italic;color:#777}"
    ".lamindb-table caption{text-align:left;font-weight:bold}"
    ".lamindb-note{color:#777;font-size:90%}</style>"
)

# (formatter type, class module, class name): printers added by register()
TARGETS = (
    ("text/html", "lamindb_core.models.record", "BasicRecord"),
    ("text/html", "lamindb_core.query", "RecordQuerySet"),
    ("text/html", "pandas.core.frame", "DataFrame"),
    ("text/plain", "lamindb_core.query", "RecordQuerySet"),
)


class Settings(Protocol):
    """What the formatters read: ``LnMagic`` is one."""

    limit: int | None


class _Default:
    limit: int | None = 100


_state: dict[str, Any] = {"itables_loaded": False}


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


# -- static tables -------------------------------------------------------------------


def _two_level(df: pd.DataFrame, dtypes: list[str] | None) -> pd.DataFrame:
    """``df`` with a second header row of ``dtypes`` (a pandas MultiIndex), as ``ln.view`` shows it."""
    if dtypes is None:
        return df
    import pandas as pd

    shown = df.copy()
    shown.columns = pd.MultiIndex.from_arrays([list(df.columns), dtypes])
    return shown


def _note_html(note: str | None) -> str:
    return f'<div class="lamindb-note">{_escape(note)}</div>' if note else ""


def table_html(df: pd.DataFrame, *, dtypes: list[str] | None = None, caption: str | None = None, note: str | None = None) -> str:
    """pandas' own HTML table of ``df``, every header and value escaped, with a caption and a note.

    The header and the cells are exactly what pandas shows without the extension:
    a two-level header (``ln.view(df)``, or ``dtypes``) is a name row over a dtype
    row, a set of labels reads ``{DMSO, IFNG}`` and a missing value ``NaN``.

    Example:
        >>> table_html(ln.ULabel.df(), caption="ULabel")
    """
    df = _two_level(df, dtypes)
    classes = "lamindb-table lamindb-dtypes" if df.columns.nlevels > 1 else "lamindb-table"
    table = df.to_html(escape=True, classes=classes, max_rows=None, max_cols=None)
    if caption:
        table = re.sub(r"^<table[^>]*>", lambda m: f"{m.group(0)}<caption>{_escape(caption)}</caption>", table, count=1)
    return f"{STYLE}{table}{_note_html(note)}"


def _itables_html(df: pd.DataFrame, dtypes: list[str] | None, caption: str | None, note: str | None) -> str:
    from itables import to_html_datatable  # itables, only when a long table is shown

    shown = _two_level(df, dtypes)
    booleans = [i for i, dtype in enumerate(shown.dtypes) if dtype.kind == "b"]
    if booleans:
        # itables sends a bool column as JSON and DataTables writes "true": as objects,
        # pandas formats them, True and False, as in every other table
        shown = shown.copy() if shown is df else shown
        for i in booleans:
            shown.isetitem(i, shown.iloc[:, i].astype(object))
    # DataTables' own info line stays on ("Showing 1 to 10 of 100 entries"); the note
    # under it says when the database holds more than the table
    table = to_html_datatable(
        shown, caption=caption, connected=False, allow_html=False, showIndex=True,
        display_logo_when_loading=False,
    )
    return table + _note_html(note)


def _dtypes(df: pd.DataFrame) -> list[str] | None:
    """The dtype row of a feature table (``df(features=True)``) that has none yet."""
    if "feature_dtypes" not in df.attrs or df.columns.nlevels > 1:
        return None
    from lamindb_core.dataframe import annotate_dtypes  # Django's ORM, when a table is shown

    return [str(d) for d in annotate_dtypes(df).columns.get_level_values(1)]


def _total(df: pd.DataFrame) -> tuple[int, bool]:
    """How many records match: ``(len(df), True)``, or more when ``df()`` or ``%ln`` cut it;
    ``(total, False)`` says "more than ``total``" (the count stopped at its cap)."""
    from lamindb_core.dataframe import LIMITED  # Django's ORM, when a table is shown

    limited = df.attrs.get(LIMITED)
    # a frame made from a cut one (df.head(3), a filter) no longer holds "the first N"
    if isinstance(limited, (tuple, list)) and len(limited) in (2, 3) and limited[0] == len(df):
        exact = bool(limited[2]) if len(limited) == 3 else True
        return max(int(limited[1]), len(df)), exact
    return len(df), True


def dataframe_html(df: pd.DataFrame, limit: int | None = 100, caption: str | None = None, note: str | None = None, hint: str | None = None) -> str:
    """A registry table: static up to ``PAGE_ROWS`` rows, else itables (offline); at most ``limit`` rows.

    Feature tables (``df(features=True)``) get the dtype row under the header. When
    more records match than the table shows, a note says so with the total: "the
    first 100 of 2,340 records shown" and how to see more (``hint``).
    """
    from lamindb_core.dataframe import total_text  # Django's ORM, when a table is shown

    total, exact = _total(df)
    if limit is not None and len(df) > limit:
        df = df.iloc[:limit]
        hint = "%config LnMagic.limit = N shows more"
    elif hint is None and df.attrs.get(MORE_ROWS):
        hint = "--limit N or --limit none brings more"
    elif hint is None:
        hint = "df(limit=None) returns all"
    notes = [note] if note else []
    if total > len(df) or not exact:
        notes.append(f"the first {len(df):,} of {total_text(total, exact)} records shown; {hint}")
    note = "; ".join(notes) or None
    dtypes = _dtypes(df)
    if len(df) > PAGE_ROWS and _itables_available():
        return _itables_html(df, dtypes, caption, note)
    return table_html(df, dtypes=dtypes, caption=caption, note=note)


def _itables_available() -> bool:
    try:
        import itables  # noqa: F401
    except ImportError:
        return False
    return True


# -- records and querysets --------------------------------------------------------------


def record_html(record: Any) -> str:
    """A record's fields, one per row, escaped; the registry's name as the caption.

    The fields and values of ``repr(record)`` (``lamindb_core.render``): ``uid``, the
    registry's own fields, foreign keys as ids, ``created_at``; None left out.
    """
    from lamindb_core.render import record_items, value_text  # Django's ORM, when a record is shown

    rows = [f"<tr><th>{_escape(name)}</th><td>{_escape(value_text(value))}</td></tr>" for name, value in record_items(record)]
    return (
        f'{STYLE}<table class="lamindb-table lamindb-record"><caption>{_escape(type(record).__name__)}</caption>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


_last: dict[str, Any] = {}


def _queryset_frame(qs: Any, limit: int | None) -> tuple[pd.DataFrame, str | None]:
    """The df of the first ``limit`` records and, when there are more, their total as text
    ("2,340", "more than 100,000").

    The HTML and the text formatter both ask for it when a QuerySet is shown: one query
    (and a count when there are more).
    """
    cached = _last.get("frame")
    if cached is not None and cached[0] is qs and cached[1] == limit:
        return cached[2], cached[3]
    from lamindb_core.dataframe import first_rows, total_text  # Django's ORM, when a QuerySet is shown

    df = first_rows(qs, limit)
    total, exact = _total(df)
    total = total_text(total, exact) if total > len(df) or not exact else None
    _last["frame"] = (qs, limit, df, total)
    return df, total


def own_html(qs: Any) -> str | None:
    """The HTML that the library gives this QuerySet itself, or None.

    A search result shows its own table (the searched field, ``uid``, ``score``);
    other QuerySets have none and get ``queryset_html``.
    """
    cached = _last.get("own")
    if cached is not None and cached[0] is qs:
        return cached[1]
    method = getattr(qs, "_repr_html_", None)
    result = method() if callable(method) else None
    _last["own"] = (qs, result)
    return result


def queryset_html(qs: Any, limit: int | None = 100) -> str:
    """The table of ``qs.df()``, at most ``limit`` rows, with the registry and count as caption."""
    own = own_html(qs)
    if own is not None:
        return own
    df, total = _queryset_frame(qs, limit)
    name = qs.model.__name__
    count = total if total is not None else f"{len(df):,}"
    caption = f"{name} QuerySet: {count} record{'s' if count != '1' else ''}"
    return dataframe_html(df, limit=None, caption=caption, hint="%config LnMagic.limit = N shows more")


def queryset_text(qs: Any, limit: int | None = 100) -> str:
    """The text table of ``qs.df()`` for terminals, at most ``limit`` rows (a search result: its own text)."""
    if own_html(qs) is not None:
        return repr(qs)
    df, total = _queryset_frame(qs, limit)
    name = qs.model.__name__
    head = f"{name} QuerySet: {total if total is not None else len(df)} record(s)"
    if len(df) == 0:
        return head
    more = f"\n... the first {len(df)} of {total} shown" if total else ""
    return f"{head}\n{df.to_string()}{more}"


# -- registering --------------------------------------------------------------------------


def _of_records(qs: Any) -> bool:
    """Whether a QuerySet yields records (not ``values()`` or ``values_list()`` rows)."""
    from django.db.models.query import ModelIterable  # Django's ORM, when a QuerySet is shown

    # a subclass too, as Django asks (a search result's, search.py)
    return issubclass(getattr(qs, "_iterable_class", ModelIterable), ModelIterable)


def _printers(settings: Settings) -> dict[tuple[str, str, str], Callable]:
    # A printer that fails must not break the output: IPython falls back to the
    # object's own representation when a printer returns None.
    def html_record(record: Any) -> str | None:
        try:
            return record_html(record)
        except Exception:
            return None

    def html_queryset(qs: Any) -> str | None:
        if not _of_records(qs):
            return None
        try:
            return queryset_html(qs, settings.limit)
        except Exception:
            return None

    def html_dataframe(df: Any) -> str | None:
        if df.attrs.get("registry"):
            try:
                return dataframe_html(df, settings.limit)
            except Exception:
                pass
        # any other DataFrame keeps its own look (pandas, or itables if the user turned it on)
        return df._repr_html_()

    def text_queryset(qs: Any, p: Any, cycle: bool) -> None:
        text = None
        if not cycle and _of_records(qs):
            try:
                text = queryset_text(qs, settings.limit)
            except Exception:
                text = None
        p.text(text if text is not None else object.__repr__(qs) if cycle else repr(qs))

    return {
        TARGETS[0]: html_record,
        TARGETS[1]: html_queryset,
        TARGETS[2]: html_dataframe,
        TARGETS[3]: text_queryset,
    }


def _class_of(module: str, name: str) -> type | None:
    return getattr(sys.modules.get(module), name, None)


def register(ipython: Any, settings: Settings | None = None) -> None:
    """Add the formatters to ``ipython``; classes that are not imported yet are named, not imported."""
    settings = settings or _Default()
    saved = {}
    for target, printer in _printers(settings).items():
        kind, module, name = target
        formatter = ipython.display_formatter.formatters[kind]
        cls = _class_of(module, name)
        if cls is not None:
            saved[target] = formatter.for_type(cls, printer)
        else:
            saved[target] = formatter.for_type_by_name(module, name, printer)
    ipython._lamindb_jupyter_saved_printers = saved


def unregister(ipython: Any) -> None:
    """Remove the formatters that ``register`` added and put back the ones they replaced."""
    saved = getattr(ipython, "_lamindb_jupyter_saved_printers", None)
    if saved is None:
        return
    for (kind, module, name), previous in saved.items():
        formatter = ipython.display_formatter.formatters[kind]
        formatter.deferred_printers.pop((module, name), None)
        cls = _class_of(module, name)
        if cls is not None:
            formatter.type_printers.pop(cls, None)
        if previous is not None:
            if cls is not None:
                formatter.for_type(cls, previous)
            else:
                formatter.for_type_by_name(module, name, previous)
    del ipython._lamindb_jupyter_saved_printers
    _last.clear()


def load_itables(ipython: Any) -> bool:
    """Put itables' JavaScript into the notebook (offline: inlined, no CDN), once per kernel.

    Only in a kernel with a notebook front end; a terminal shows text. Returns
    whether it was loaded now.
    """
    if _state["itables_loaded"] or type(ipython).__name__ != "ZMQInteractiveShell":
        return False
    if not _itables_available():
        return False
    import pandas as pd
    from itables import javascript, init_notebook_mode

    # keep the user's choice: itables for every DataFrame, or not
    everywhere = pd.DataFrame._repr_html_ is getattr(javascript, "_datatables_repr_", None)
    init_notebook_mode(all_interactive=everywhere, connected=False)
    _state["itables_loaded"] = True
    return True
