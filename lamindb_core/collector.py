"""Pauses of Python's cyclic garbage collector around work that makes many objects and no
garbage cycles: Django's set-up, a bulk save.

The collector runs a pass over the young objects every 700 net allocations, and over older
ones every tenth and hundredth of those. Work that makes tens of thousands of objects that live
on (the registries, a save's rows and ids) pays for passes that free nothing: a tenth of an
init, 4% of ``ln.save`` of 10,000 labels (``benchmarks/``). Paused, the objects are looked at
by the next pass after the pause, once. A leaf module: it imports nothing of lamindb_core's.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused", "sparing"]


@contextlib.contextmanager
def paused(age: bool = False) -> Iterator[None]:
    """The cyclic collector paused for the block (reference counting frees as always), and
    turned on again after it if it was on.

    Args:
        age: Move every object to the oldest generation at the end (``gc.freeze()`` then
            ``gc.unfreeze()``, which scans nothing): for objects that live as long as the
            process (Django's set-up), which the young generations' passes would otherwise
            scan all at once, then again. A full collection still frees whatever of them
            becomes garbage, so nothing is kept alive. Left out where the process froze
            objects of its own (a pre-forking server's ``gc.freeze()``): unfreezing would
            undo that.

    Example:
        >>> with paused():
        ...     rows = [(i, str(i)) for i in range(10_000)]
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if age and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def sparing() -> Iterator[None]:
    """The collector left running for the block, but sparing what existed before it: those
    objects are kept out of its passes (``gc.freeze()``) until the block ends (``gc.unfreeze()``
    puts them back, in the oldest generation), so that its full passes over a block that makes
    and drops many garbage cycles (Django's migrations render thousands of model classes) scan
    the block's objects only, not also the process's hundreds of thousands of others. Garbage
    among the spared objects is freed by a pass after the block. Left out where the process froze
    objects of its own.

    Example:
        >>> with sparing():
        ...     executor.migrate(targets, plan=plan)
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
