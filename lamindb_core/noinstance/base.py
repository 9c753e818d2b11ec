"""The backend of :mod:`lamindb_core.noinstance`: Django's dummy backend, raising ``SetupError``."""

from __future__ import annotations

from django.db.backends.dummy import base as dummy

from ..errors import SetupError


class DatabaseWrapper(dummy.DatabaseWrapper):
    """Raises ``SetupError(OPTIONS["reason"])`` for anything that would reach a database."""

    vendor = "noinstance"
    display_name = "no instance"

    def __init__(self, settings_dict, alias="default"):
        super().__init__(settings_dict, alias)
        reason = settings_dict.get("OPTIONS", {}).get("reason") or "no instance is connected"

        def refuse(*args, **kwargs):
            raise SetupError(reason)

        # compiling a query quotes names; running one connects: both refuse
        self.ensure_connection = refuse
        self._cursor = refuse
        self._commit = refuse
        self._set_autocommit = refuse
        self.ops.quote_name = refuse
        for name in ("get_table_list", "get_table_description", "get_relations", "get_indexes", "table_names"):
            setattr(self.introspection, name, refuse)
