"""The notebook face of lamindb-core: the ``%ln`` magic, Tab completion, rich tables, widgets.

Load it in a notebook or an IPython terminal::

    %load_ext lamindb_jupyter
    %ln help
    df = %ln filter ULabel name__startswith=Cand

Loading registers the ``%ln``/``%%ln`` magics (``LnMagic``), a Tab-completion matcher,
display formatters for records, QuerySets and registry tables, and an input transformer
that reads ``%ln filter?`` as ``%ln help filter``. If the folder of the kernel's Python
(``.venv/bin``) is not on the ``PATH`` (JupyterLab started as ``.venv/bin/jupyter lab``,
without activating the environment), loading puts it first, as activating would: then
``!lamin-core info``, ``!pip`` and ``!python`` are those of the kernel. Unloading
(``%unload_ext lamindb_jupyter``) removes all of it. Importing this package imports
nothing heavy: IPython, Django and pandas come with ``%load_ext``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "browse"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%ln``, its Tab completion and the display formatters with ``ipython``."""
    from . import display
    from .completer import matcher
    from .magics import LnMagic, help_transformer

    if getattr(ipython, "_lamindb_jupyter", None) is not None:
        return
    magic = LnMagic(shell=ipython)
    ipython.register_magics(magic)
    ipython.input_transformers_cleanup.append(help_transformer)
    ln_matcher = matcher(ipython)
    ipython.Completer.custom_matchers.append(ln_matcher)
    display.register(ipython, settings=magic)
    display.load_itables(ipython)
    ipython._lamindb_jupyter = {"magic": magic, "matcher": ln_matcher, "path": _put_scripts_on_path()}


def unload_ipython_extension(ipython: Any) -> None:
    """Remove what ``load_ipython_extension`` added: magics, transformer, matcher, formatters."""
    from . import display
    from .magics import help_transformer

    state = getattr(ipython, "_lamindb_jupyter", None)
    if state is None:
        return
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        if manager.magics[kind].get("ln") is not None:
            del manager.magics[kind]["ln"]
    manager.registry.pop(type(state["magic"]).__name__, None)
    if state["magic"] in ipython.configurables:
        ipython.configurables.remove(state["magic"])
    if help_transformer in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(help_transformer)
    if state["matcher"] in ipython.Completer.custom_matchers:
        ipython.Completer.custom_matchers.remove(state["matcher"])
    display.unregister(ipython)
    _take_scripts_off_path(state["path"])
    del ipython._lamindb_jupyter


def _put_scripts_on_path() -> str | None:
    """Put the folder of the kernel's Python first on ``PATH`` if it is not on it; return it if so."""
    folder = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    entries = [os.path.normpath(p) for p in path.split(os.pathsep) if p]
    if not folder or os.path.normpath(folder) in entries:
        return None
    os.environ["PATH"] = folder + (os.pathsep + path if path else "")
    return folder


def _take_scripts_off_path(folder: str | None) -> None:
    """Undo ``_put_scripts_on_path``: remove the entry it added, leaving the rest as it is now."""
    if folder is None:
        return
    entries = os.environ.get("PATH", "").split(os.pathsep)
    if folder in entries:
        entries.remove(folder)
        os.environ["PATH"] = os.pathsep.join(entries)


def __getattr__(name: str) -> Any:
    # lamindb_jupyter.browse(ln.Artifact): the widget, imported on first use
    if name == "browse":
        try:
            from .widgets import browse
        except ModuleNotFoundError as exc:
            raise AttributeError(f"lamindb_jupyter.browse is not available: {exc}") from None
        return browse
    raise AttributeError(f"module 'lamindb_jupyter' has no attribute '{name}'")
