"""The tables of registries defined in user code (notebook cells, scripts): made on first use,
extended when the class gains fields, never migrated (``lamindb_core.instance.ensure_custom_table``).
"""

from __future__ import annotations

import re
from typing import Any

from .. import ownership
from ..errors import ValidationError

__all__ = ["create_or_extend_table"]


def _table_names(connection) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _declared_types(connection, cursor, table: str) -> dict[str, str]:
    # each column's type as the database declares it, without length or precision
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [connection.ops.quote_name(table)],
        )
    else:
        cursor.execute(f"SELECT name, type FROM pragma_table_info({connection.ops.quote_name(table)})")
    return {name: _base_type(declared) for name, declared in cursor.fetchall()}


def _base_type(declared: str | None) -> str:
    text = re.sub(r"\(.*?\)", "", (declared or "").lower()).strip()
    return {"character varying": "varchar", "serial": "integer", "bigserial": "bigint"}.get(text, text)


def create_or_extend_table(connection, model: type, instance: Any | None) -> None:
    """Create the table of a registry defined in user code, or add the columns of its new fields.

    A field whose type changed has its column made again while the table is empty; with
    records in it the change is refused. The tables made are recorded as ``instance``'s
    (``lamindb_core.ownership``), so that deleting the instance drops them.

    Raises:
        ln.errors.ValidationError: a field's type changes while the table holds records.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if table not in tables:
            with connection.schema_editor() as editor:
                editor.create_model(model)
            if instance is not None:
                ownership.record_tables(connection, instance.uid, _table_names(connection) - tables)
            return
        declared = _declared_types(connection, cursor, table)
        changed = [
            f for f in model._meta.local_fields
            if f.column in declared and f.db_type(connection) is not None
            and _base_type(f.db_type(connection)) != declared[f.column]
        ]
        if changed:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            n_rows = cursor.fetchone()[0]
            if n_rows:
                described = ", ".join(
                    f"{f.name} from {declared[f.column]} to {_base_type(f.db_type(connection))} "
                    f"({type(f).__name__})" for f in changed
                )
                raise ValidationError(
                    f"{model.__name__} changes the type of {described}, but its table holds {n_rows} "
                    f"record(s) whose values might not convert: the previous definition stays in use. "
                    f"Give the field a new name (a new column), or delete the records first"
                )
    with connection.schema_editor() as editor:
        for f in changed:
            # the table is empty: the column is made again with the new type
            editor.remove_field(model, f)
            editor.add_field(model, f)
        for f in model._meta.local_fields:
            if f.column not in declared:
                editor.add_field(model, f)
        for f in model._meta.local_many_to_many:
            if f.remote_field.through._meta.db_table not in tables:
                editor.add_field(model, f)
    if instance is not None:
        ownership.record_tables(connection, instance.uid, _table_names(connection) - tables)
