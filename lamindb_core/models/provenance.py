"""What a tracked run read and wrote: its inputs, its outputs, and the notebook cells of both.

``ln.track()`` starts a run; records saved afterwards point to it through their ``run``
field (their default), so the run's outputs need no bookkeeping here. Its inputs are
what it loads, caches or opens (``artifact.input_of_runs``, ``collection.input_of_runs``),
recorded by :func:`record_inputs`. In Jupyter, :func:`record_inputs` and
:func:`record_outputs` also note the cell that read or wrote each record (``RunCell``),
which ``run.cells()`` shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors, process_settings
from ..context import context, current_cell
from .run import Run, RunCell

__all__ = ["record_inputs", "record_outputs"]


def record_inputs(records: Any | Iterable[Any], is_run_input: bool | None = None, run: Run | None = None) -> None:
    """Record artifacts or collections (all of one registry) as inputs of the tracked run.

    Args:
        records: An ``Artifact`` or ``Collection``, or a list of them.
        is_run_input: ``None`` (the default) records them if
            ``ln.settings.track_run_inputs`` is on; ``True`` always (and needs a
            run); ``False`` never.
        run: The run; the one ``ln.track()`` started by default.

    A record that the run made (its output) is never its input, and an unsaved one
    has no row to link: both are left out. Recording twice records once.

    Raises:
        ln.errors.InvalidArgument: ``is_run_input=True`` and no run is tracked.

    Example:
        >>> record_inputs(artifact)           # what artifact.load() does
        >>> artifact.input_of_runs.all()
    """
    run = context.run if run is None else run
    if is_run_input is True and run is None:
        raise errors.InvalidArgument("is_run_input=True needs a run: call ln.track() first")
    if is_run_input is False or run is None:
        return
    if is_run_input is None and not process_settings.settings.track_run_inputs:
        return
    if not isinstance(records, Iterable):
        records = [records]
    inputs = [r for r in records if not r._state.adding and r.run_id != run.id]
    if not inputs:
        return
    # the link table of input_of_runs; ignore_conflicts: a second load records nothing new
    through = type(inputs[0]).input_of_runs.through
    column = type(inputs[0])._meta.model_name + "_id"
    through.objects.bulk_create([through(run_id=run.id, **{column: r.id}) for r in inputs], ignore_conflicts=True)
    _note_cells(run, inputs, "input")


def record_outputs(records: Iterable[Any]) -> None:
    """Note the notebook cell that saved these new artifacts or collections (in Jupyter only).

    Their ``run`` field already says which run made them; this adds the cell
    (``run.cells()``). Records of another run, or of none, are left out.

    Example:
        >>> record_outputs([artifact])   # what artifact.save() does for a new artifact
    """
    run = context.run
    if run is None:
        return
    _note_cells(run, [r for r in records if r.run_id == run.id], "output")


def _note_cells(run: Run, records: list[Any], direction: str) -> None:
    cell = current_cell()
    if cell is None or not records:
        return  # outside Jupyter there is no cell to note
    cell_id, count = cell
    for record in records:
        column = type(record)._meta.model_name
        where = {"run_id": run.id, "direction": direction, f"{column}_id": record.id}
        if direction == "output":
            # the cell that saved it first: a later save() in another cell changes the record, not its origin
            RunCell.objects.get_or_create(**where, defaults={"cell_id": cell_id, "execution_count": count})
        else:
            RunCell.objects.update_or_create(**where, defaults={"cell_id": cell_id, "execution_count": count})
