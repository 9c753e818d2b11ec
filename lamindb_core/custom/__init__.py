"""Django app that holds registries defined in user code (a notebook cell, a script).

Their tables are made and extended by :func:`lamindb_core.instance.ensure_custom_table`,
so users never write a migration.
"""
