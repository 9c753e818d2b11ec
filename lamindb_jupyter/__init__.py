"""The notebook face of lamindb-core: IPython magics, widgets and JupyterLab server handlers.

Nothing is public yet; the package exists so that it is installed alongside ``lamindb_core``.
"""

__all__ = []
