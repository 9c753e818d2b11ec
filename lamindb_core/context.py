"""The run that this process is tracking, if any: the state behind ``ln.context``.

``ln.track()`` sets it; every record saved afterwards points to the run through
its ``run`` field. This module holds only that state, so that the models can
read it without importing the code that creates runs; ``ln.context`` (the
``Context`` of ``lamindb_core.models.tracking``) reads and writes it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["context", "current_run_id"]


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
