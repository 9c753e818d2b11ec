"""The run that this process is tracking, if any: the state behind ``ln.context``.

``ln.track()`` sets it; every record saved afterwards points to the run through
its ``run`` field. This module holds only that state, so that the models can
read it without importing the code that creates runs; ``ln.context`` (the
``Context`` of ``lamindb_core.models.tracking``) reads and writes it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["context", "current_run_id", "current_cell"]


class Context:
    """The current ``Transform`` and ``Run`` of this process."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the current transform and run, and what was set for the next
        ``ln.track()`` (for example after connecting elsewhere)."""
        self.transform: Any = None
        self.run: Any = None
        # what ln.context's user set for the next ln.track(), and what it found
        self.uid: str | None = None
        self.version: str | None = None
        self.description: str | None = None
        self.path: Any = None
        self.key: str | None = None
        self.source: dict[str, Any] = {}


context = Context()


def current_run_id() -> int | None:
    """The id of the run being tracked, or None: the default of every ``run`` field."""
    run = context.run
    return run.id if run is not None else None


def current_cell() -> tuple[str | None, int | None] | None:
    """The Jupyter notebook cell that runs now: its id and execution count, or None outside Jupyter.

    The kernel (ipykernel) knows the ``execute_request`` it is answering: JupyterLab and
    Notebook 7 send the cell's id in its metadata (``cellId``; newer frontends also in
    its content as ``cell_id``); the execution count is the ``In [n]`` the frontend
    shows. A plain IPython shell or a script has no such request: None.

    Example:
        >>> current_cell()   # in a JupyterLab cell shown as [3]
        ('5a1c6b0e-7d2f-4d1e-9a4e-0c2b1f3d9e21', 3)
    """
    import sys

    if "IPython" not in sys.modules:
        return None  # not in IPython: no need to import it
    from IPython import get_ipython

    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return None
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # an older ipykernel or a request of another kind: no cell
        return None
    if not parent or parent.get("msg_type", parent.get("header", {}).get("msg_type")) != "execute_request":
        return None
    metadata = parent.get("metadata") or {}
    content = parent.get("content") or {}
    cell_id = metadata.get("cellId") or content.get("cell_id")
    # In[n] is the source of cell [n]: while a cell runs, its source is the last one stored
    # (IPython 9 increments execution_count before a cell runs, IPython 8 after it)
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    count = len(history) - 1 if history else None
    return (str(cell_id) if cell_id else None, count)
