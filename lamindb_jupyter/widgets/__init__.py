"""ipywidgets browsers for the registries of the current instance.

Example:
    >>> import lamindb_core as ln
    >>> from lamindb_jupyter.widgets import browse
    >>> browse(ln.ULabel)
"""

from .browser import FilterRow, RegistryBrowser, browse
from .lineage import LineageView

__all__ = ["FilterRow", "LineageView", "RegistryBrowser", "browse"]
