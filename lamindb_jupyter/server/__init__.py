"""The Jupyter server extension: a read-only REST API over the current instance's registries.

Installed with the package and enabled by the config file that the wheel puts in
``etc/jupyter/jupyter_server_config.d/``; ``jupyter server extension list`` shows
``lamindb_jupyter.server``. The JupyterLab "Registries" panel calls it; so can anyone
with the server's token::

    curl -H "Authorization: token $TOKEN" http://127.0.0.1:8888/lamindb/registries

Routes, parameters and answers: ``lamindb_jupyter.server.handlers``. What it shares
with the widget browser is in ``lamindb_core``: the queries and records of
``lamindb_core.browsing``, the registries and lookups of ``lamindb_core.introspect``,
and how values read, ``lamindb_core.render``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Where Jupyter server finds the extension (``jupyter server extension list``)."""
    return [{"module": "lamindb_jupyter.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Add the REST routes to a running Jupyter server."""
    # imported here, not at the top: finding the extension (``jupyter server extension
    # list``) should not pay for loading the handlers, tornado's web stack and the ORM
    from .handlers import setup_handlers

    setup_handlers(server_app.web_app, config=server_app.config)
    server_app.log.info("lamindb_jupyter.server: REST API at %slamindb/", server_app.base_url)
