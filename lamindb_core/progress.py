"""Progress bars for long work: tqdm's widget in Jupyter, a text bar in a terminal.

``ln.save`` of many artifacts (a bar in bytes), bulk annotation, the first load
of a public ontology or gene table and the Curator on large data show a bar
through :func:`progress` or :func:`track`. Whether a bar may show is decided
once per bar, when it opens:

- never when ``LAMIN_CORE_PROGRESS`` is ``0`` (or ``false``, ``no``, ``off``),
  nor when ``ln.settings.verbosity`` is 0 (warnings only);
- always when ``LAMIN_CORE_PROGRESS`` is ``1`` (or ``true``, ``yes``, ``on``):
  for a log that should show it, such as a CI run's;
- otherwise only in a Jupyter kernel or when standard error is a terminal, so
  that scripts run by a scheduler or piped to a file print no bars.

A bar appears only once its work has taken :data:`DELAY` seconds: work under
about a second shows nothing, wherever it runs.

tqdm is imported when a bar opens, never with ``import lamindb_core``.

Example:
    >>> from lamindb_core import progress
    >>> with progress.progress(total=2**30, desc="copying", unit="B") as bar:
    ...     bar.update(2**20)
    >>> for item in progress.track(items, desc="checking", unit="item"):
    ...     ...
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

from .logger import logger

__all__ = ["DELAY", "ENV_VAR", "enabled", "in_jupyter_kernel", "progress", "track"]

ENV_VAR = "LAMIN_CORE_PROGRESS"
"""The environment variable that turns bars off (``0``) or on everywhere (``1``)."""

DELAY = 1.0
"""Seconds of work before a bar appears."""

_OFF = {"0", "false", "no", "off"}
_ON = {"1", "true", "yes", "on"}

T = TypeVar("T")


def in_jupyter_kernel() -> bool:
    """Whether this process is a Jupyter kernel (a notebook, JupyterLab, VS Code).

    Looks only at modules loaded already: a script that never imported IPython
    pays nothing.
    """
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    # a kernel's shell has a kernel; a terminal IPython that imported ipykernel has none
    return shell is not None and getattr(shell, "kernel", None) is not None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def enabled(file: IO[str] | None = None) -> bool:
    """Whether a bar opened now may show (see the module's text for the rules).

    Args:
        file: The stream the bar would write to; standard error by default.
    """
    setting = os.environ.get(ENV_VAR, "").strip().lower()
    if setting in _OFF or logger.verbosity < 1:
        return False
    if setting in _ON:
        return True
    return in_jupyter_kernel() or _is_terminal(file if file is not None else sys.stderr)


class _NoBar:
    """What :func:`progress` yields when no bar shows: ``update`` does nothing."""

    n = 0
    total = None

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


def _bar_class(file: IO[str] | None) -> type:
    # the widget only in a kernel, for the kernel's own output; a stream handed
    # in (a test's, a log file) gets text
    if file is None and in_jupyter_kernel():
        with warnings.catch_warnings():
            # without ipywidgets tqdm.auto warns and falls back to text: text it is
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
        return tqdm
    from tqdm.std import tqdm

    return tqdm


@contextmanager
def progress(
    total: int | None, desc: str, unit: str = "it", file: IO[str] | None = None
) -> Iterator[Any]:
    """A bar for work done in steps: call ``update(n)`` on what it yields.

    With ``unit="B"`` the bar counts bytes with binary prefixes (KiB, MiB). When
    no bar may show (:func:`enabled`), or tqdm is not installed, the object
    yielded has an ``update`` that does nothing.

    Args:
        total: How many units the work has; ``None`` if not known.
        desc: What is being done, shown before the bar ("copying 120 files").
        unit: What is counted: ``"B"`` for bytes, or a noun ("artifact").
        file: The stream for a text bar; standard error (or, in a Jupyter
            kernel, a widget) by default.

    Example:
        >>> with progress(total=sum(sizes), desc="copying files", unit="B") as bar:
        ...     for chunk in chunks:
        ...         bar.update(len(chunk))
    """
    if not enabled(file):
        yield _NoBar()
        return
    try:
        bar_class = _bar_class(file)
    except ImportError:  # tqdm is a dependency; an install without it shows no bars
        yield _NoBar()
        return
    options: dict[str, Any] = {}
    if unit == "B":
        options = {"unit_scale": True, "unit_divisor": 1024}
    bar = bar_class(
        total=total, desc=desc, unit=unit, delay=DELAY, file=file if file is not None else sys.stderr,
        dynamic_ncols=True, **options,
    )
    try:
        yield bar
    finally:
        bar.close()


def track(
    iterable: Iterable[T], desc: str, unit: str = "it", total: int | None = None,
    file: IO[str] | None = None,
) -> Iterator[T]:
    """The items of ``iterable``, with a bar that counts them (see :func:`progress`).

    Args:
        iterable: The items.
        desc: What is being done ("annotating").
        unit: What an item is ("artifact").
        total: How many items there are; by default ``len(iterable)`` if it has one.
        file: As in :func:`progress`.

    Example:
        >>> for artifact, values in track(pairs, desc="checking values", unit="artifact"):
        ...     ...
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with progress(total, desc, unit=unit, file=file) as bar:
        for item in iterable:
            yield item
            bar.update(1)
