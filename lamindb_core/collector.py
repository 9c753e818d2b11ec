"""Pauses of Python's cyclic garbage collector around work that makes many objects and no
garbage cycles (a bulk save, a lookup's build, a table of features), and a way to leave the
process's other objects out of its passes while a block makes and drops many cycles (Django's
migrations).

The collector runs a pass over the young objects every 700 net allocations, and over older
ones every tenth and hundredth of those; a full pass over all objects once those that reached
the oldest generation since the last full pass are a quarter of it. Work that makes tens of
thousands of objects pays for passes that free nothing: 4% of the instructions of ``ln.save``
of 10,000 labels. A leaf module: it imports nothing of lamindb_core's.

Not used for Django's set-up (about 200,000 objects that live as long as the process): moving
them to the oldest generation at once (``gc.freeze()`` then ``gc.unfreeze()``) took its 30 ms of
passes out of an init, but left a full pass over them due at the next step, often the first
``ln.view()`` (20 -> 65 ms in ``bench_core.py``): the work moved, it did not go. Freezing them for
good would also freeze whatever the user's code had made before its first query, whose cycles
would then never be freed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused", "sparing"]


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector paused for the block (reference counting frees as always), and
    turned on again after it if it was on. For work whose many objects either die by their
    reference counts or live on without cycles: the next pass after the block looks at the
    survivors once.

    Example:
        >>> with paused():
        ...     rows = [(i, str(i)) for i in range(10_000)]
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def sparing() -> Iterator[None]:
    """The collector left running for the block, but sparing what existed before it: those
    objects are kept out of its passes (``gc.freeze()``) until the block ends (``gc.unfreeze()``
    puts them back, in the oldest generation), so that its full passes over a block that makes
    and drops many garbage cycles (Django's migrations render thousands of model classes) scan
    the block's objects only, not also the process's hundreds of thousands of others. Garbage
    among the spared objects is freed by a pass after the block; one full pass over them is due
    after it (about 50 ms, against about 0.5 s of passes spared in the migrations of a first
    init with ``bio``). Left out where the process froze objects of its own.

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
