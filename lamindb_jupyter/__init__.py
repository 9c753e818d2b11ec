"""The notebook face of lamindb-core: the ``%ln`` magic, Tab completion, rich tables, widgets.

Load it in a notebook or an IPython terminal::

    %load_ext lamindb_jupyter
    %ln help
    df = %ln filter ULabel name__startswith=Cand

Loading registers the ``%ln``/``%%ln`` magics (``LnMagic``), a Tab-completion matcher,
display formatters for records, QuerySets and registry tables, and an input transformer
that reads ``%ln filter?`` as ``%ln help filter``; unloading (``%unload_ext
lamindb_jupyter``) removes them all. Importing this package imports
nothing heavy: IPython, Django and pandas come with ``%load_ext``.
"""

from __future__ import annotations

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
    ipython._lamindb_jupyter = {"magic": magic, "matcher": ln_matcher}


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
    del ipython._lamindb_jupyter


def __getattr__(name: str) -> Any:
    # lamindb_jupyter.browse(ln.Artifact): the widget, imported on first use
    if name == "browse":
        try:
            from .widgets import browse
        except ModuleNotFoundError as exc:
            raise AttributeError(f"lamindb_jupyter.browse is not available: {exc}") from None
        return browse
    raise AttributeError(f"module 'lamindb_jupyter' has no attribute '{name}'")
