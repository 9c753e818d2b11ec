"""The run that this process is tracking, if any: ``ln.context.run``, ``ln.context.transform``.

``ln.track()`` sets it; every record saved afterwards points to it through its
``run`` field. This module holds only that state, so that the models can read it
without importing the code that creates runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["context", "current_run_id"]


class Context:
    """The current ``Transform`` and ``Run`` of this process."""

    def __init__(self) -> None:
        self.transform: Any = None
        self.run: Any = None

    def reset(self) -> None:
        """Forget the current transform and run (for example after connecting elsewhere)."""
        self.transform = None
        self.run = None


context = Context()


def current_run_id() -> int | None:
    """The id of the run being tracked, or None: the default of every ``run`` field."""
    run = context.run
    return run.id if run is not None else None


def __getattr__(name: str):
    # ln.context.run and ln.context.transform, as in LaminDB
    if name in ("run", "transform"):
        return getattr(context, name)
    raise AttributeError(f"module 'lamindb_core.context' has no attribute '{name}'")
