"""``ln.save(records)``: save many records in one transaction, all or nothing."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.models import Q

from . import collector, errors, text_index
from .instance import absent_tables, missing_module_error
from .logger import logger

__all__ = ["save", "insert_link_rows"]

# a record's attribute values by name (its __dict__), read fast
_state = attrgetter("__dict__")
_model_state = attrgetter("_state")
_adding = attrgetter("adding")
_db = attrgetter("db")

# rows per INSERT: well under SQLite's limit of host parameters per statement
BATCH_SIZE = 500
# after inserting this many rows into a table, refresh the planner's statistics:
# a fresh table without them gets poor plans (a full sort for the latest 100 rows)
ANALYZE_AFTER = 1000


def _flatten(records: Any) -> list[models.Model]:
    if isinstance(records, models.Model):
        return [records]
    if isinstance(records, models.QuerySet):
        return list(records)
    if isinstance(records, (list, tuple)) and all(issubclass(kind, models.Model) for kind in set(map(type, records))):
        return list(records)  # the common case, a flat list of records, looked at in C
    result = []
    for item in records:
        if isinstance(item, models.Model):
            result.append(item)
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            result.extend(_flatten(item))
        else:
            raise errors.InvalidArgument(f"ln.save() takes records, got {item!r} ({type(item).__name__})")
    return result


def _check_foreign_keys(model: type, records: list, using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise if a record points to a row that does not exist (``created_by_id=999999``).

    The database checks foreign keys only when the transaction commits (they are
    deferred), too late to say which record was wrong; the values of every foreign key (a few
    distinct ids) are looked up before anything is written: in one statement through the
    driver where they are ids (ints), else one query per foreign key.
    """
    states = None
    wanted = []  # (field, its distinct values, ordered)
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.related_model is None:
            continue
        if states is None:
            states = list(map(_state, records))
        try:
            values = set(map(itemgetter(f.attname), states)) - {None}
        except KeyError:
            values = {getattr(r, f.attname) for r in records} - {None}
        if values:
            wanted.append((f, values, sorted(values, key=repr)))
    if not wanted:
        return
    found = _found_ids(wanted, using)
    for i, (f, values, ordered) in enumerate(wanted):
        target, to = f.related_model, f.target_field
        if found is None:
            present = set()
            for start in range(0, len(ordered), BATCH_SIZE):
                chunk = ordered[start : start + BATCH_SIZE]
                present.update(
                    target._base_manager.filter(**{f"{to.name}__in": chunk}).values_list(to.attname, flat=True))
        else:
            present = found[i]
        missing = [v for v in ordered if v not in present]
        if missing:
            value = missing[0]
            record = next(r for r in records if getattr(r, f.attname) == value)
            more = f" (and {len(missing) - 1} other missing {f.attname} values)" if len(missing) > 1 else ""
            raise errors.ValidationError(
                f"cannot save {record!r}: {model.__name__}.{f.attname}={value!r}: no {target.__name__} "
                f"record has {to.name} {value!r}{more}; nothing was saved"
            )


def _found_ids(wanted: list, using: str) -> list[set] | None:
    """For each (foreign key, values) of ``_check_foreign_keys``, the values that a row of its
    registry has: one statement for all (a Django query per foreign key was 4M instructions of
    ``ln.save`` of 500 artifacts); None where a value is no int (the field prepares it), there
    are many, or a registry's table is absent (Django's query says so)."""
    conn = connections[using]
    absent = absent_tables(using)
    if sum(len(values) for _, values, _ in wanted) > BATCH_SIZE or any(
        f.related_model._meta.db_table in absent or set(map(type, values)) != {int}
        or not f.target_field.get_internal_type().endswith(("AutoField", "IntegerField"))
        for f, values, _ in wanted
    ):
        return None
    quote = conn.ops.quote_name
    parts, params = [], []
    for i, (f, values, ordered) in enumerate(wanted):
        column = quote(f.target_field.column)
        parts.append(f"SELECT {i}, {column} FROM {quote(f.related_model._meta.db_table)} "
                     f"WHERE {column} IN ({', '.join(['%s'] * len(ordered))})")
        params.extend(ordered)
    found: list[set] = [set() for _ in wanted]
    with conn.cursor() as cursor:
        for i, value in _driver_execute(conn, cursor)(" UNION ALL ".join(parts), params):
            found[i].add(value)
    return found


def _dependency_order(groups: dict[type, list]) -> list[type]:
    """Registries in an order where a record's foreign-key targets are saved first."""
    ordered: list[type] = []
    visiting: set[type] = set()

    def visit(model: type) -> None:
        if model in ordered or model in visiting:
            return
        visiting.add(model)
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if target is not None and target in groups and target is not model:
                visit(target)
        visiting.discard(model)
        ordered.append(model)

    for model in groups:
        visit(model)
    return ordered


def _unique_fields(model: type) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.unique and not f.primary_key]


def _adopt_existing(model: type, new: list) -> list:
    """Let records whose unique values exist in the database take on the existing
    records; return the records that are still to be inserted."""
    fields = _unique_fields(model)
    found: dict[tuple[str, Any], models.Model] = {}
    for name in fields:
        values = list({getattr(r, name) for r in new if getattr(r, name) is not None})
        for start in range(0, len(values), BATCH_SIZE):
            chunk = values[start : start + BATCH_SIZE]
            for existing in model._base_manager.filter(Q(**{f"{name}__in": chunk})):
                found[(name, getattr(existing, name))] = existing
    remaining, adopted, seen = [], [], {}
    for record in new:
        match = next(
            (found[(n, getattr(record, n))] for n in fields if (n, getattr(record, n)) in found), None
        )
        twin = next((seen[(n, getattr(record, n))] for n in fields if (n, getattr(record, n)) in seen), None)
        if match is not None:
            record._check_reuse(match)
            record._adopt(match)
            adopted.append(match)
        elif twin is not None:
            # the same unique value twice in one call: the second is the first
            twin_record = twin
            record._check_reuse(twin_record)
            adopted.append(twin_record)
            record._pending_twin = twin_record
        else:
            for n in fields:
                if getattr(record, n) is not None:
                    seen[(n, getattr(record, n))] = record
            remaining.append(record)
    if adopted:
        names = ", ".join(repr(getattr(r, "name", None) or getattr(r, "uid", r.pk)) for r in adopted[:5])
        more = f" and {len(adopted) - 5} more" if len(adopted) > 5 else ""
        logger.warning(
            f"returning {len(adopted)} existing {model.__name__} record(s) with the same unique value: {names}{more}"
        )
    return remaining


# the Python types a column of each kind takes as they are (anything else is prepared by the
# field, as bulk_create does); bool is not an int here, as it is not for the fields' checks
_AS_IS = {
    "CharField": (str,), "TextField": (str,), "SlugField": (str,),
    "BooleanField": (bool,), "NullBooleanField": (bool,),
    "IntegerField": (int,), "BigIntegerField": (int,), "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,), "PositiveSmallIntegerField": (int,), "PositiveBigIntegerField": (int,),
    "ForeignKey": (int,), "OneToOneField": (int,),
}


def _column_values(
    field: models.Field, records: list, states: list, conn: Any, read: tuple | None = None,
) -> tuple[list, bool, bool]:
    """The values of ``field`` for the INSERT of ``records``, as ``bulk_create`` prepares them:
    ``pre_save`` (defaults such as ``created_at``), then the field's preparation for the
    database, skipped for a value of the column's own Python type (a ``str`` for a
    ``CharField``), for which it changes nothing; whether every value is known to be of
    such a type (then it holds no SQL expression); and whether every record writes the same
    value (the first), as all do for a default (``space_id``) or the moment of the call.
    ``states``: the records' ``__dict__``, read once for all fields; ``read``: the field's values
    read from them already (see ``_read_columns``)."""
    kind = field.get_internal_type()
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # one moment for the whole call (pre_save of the first record), prepared once
        now = field.pre_save(records[0], add=True)
        attname = field.attname
        for state in states:
            state[attname] = now
        return [field.get_db_prep_save(now, conn)] * len(records), False, True
    elif read is not None:
        values = read
    else:
        attname = field.attname
        try:
            values = list(map(itemgetter(attname), states))
        except KeyError:  # a deferred field: Django's descriptor loads it
            values = [r.__dict__.get(attname) if attname in r.__dict__ else getattr(r, attname) for r in records]
    as_is = _AS_IS.get(kind)
    if as_is is None:
        if values.count(None) == len(values) and field.get_db_prep_save(None, conn) is None:
            return values, False, True  # all empty (an aux): as the field prepares None
        prepared = [field.get_db_prep_save(v, conn) for v in values]
        return prepared, False, prepared.count(None) == len(prepared)
    kinds = {*as_is, type(None)}
    first = values[0]
    if type(first) in kinds and values.count(first) == len(values):
        # every value equals the first, one of the column's own types: each prepared would be
        # the first (an int column's 1.0 or True is int(...) == 1), which is written for all
        return [first] * len(values), True, True
    if set(map(type, values)) <= kinds:  # type(), not isinstance: a bool is no int here
        return values, True, False
    prepared = [v if type(v) in kinds else field.get_db_prep_save(v, conn) for v in values]
    return prepared, False, False


def _read_columns(fields: list, states: list) -> list:
    """The values of each field in the records' ``__dict__`` (``states``), a tuple per field, read
    row by row in C and turned into columns (half the instructions of a pass per field); a
    None for each where a field's value is deferred (then ``_column_values`` reads it)."""
    if len(fields) < 2 or not states:
        return [None] * len(fields)
    try:
        rows = list(map(itemgetter(*[f.attname for f in fields]), states))
    except KeyError:
        return [None] * len(fields)
    return list(zip(*rows))


def _has_expression(column: list) -> bool:
    """Whether a column holds an SQL expression (``F(...)``, a function call), which only
    ``bulk_create`` writes; values of plain types are looked at no further."""
    return any(hasattr(kind, "as_sql") for kind in set(map(type, column)) - _PLAIN_TYPES)


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), bytes})


def _insert_rows(model: type, records: list, batch_size: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert new records of one registry as ``bulk_create`` does (one statement per batch,
    the new ids set on the records), without its per-value work for values that need none:
    at 10,000 labels Django's preparation of each value took most of ``ln.save``'s time.

    PostgreSQL takes one array per column (``INSERT ... SELECT FROM UNNEST ... RETURNING``),
    SQLite rows of values (``VALUES (...), (...) RETURNING``), a column of one value for all
    the records as one parameter (``SELECT column1, ..., %s FROM (VALUES ...)``); the ids that
    come back are matched to the records by their uid.
    """
    conn = connections[using]
    meta = model._meta
    if meta.db_table in absent_tables(using):
        # a registry of a module the instance was set up without (as bulk_create says)
        raise missing_module_error(meta.db_table, using)
    pk = meta.pk
    states = list(map(_state, records))
    try:
        with_pk = len(records) - list(map(itemgetter(pk.attname), states)).count(None)
    except KeyError:  # a deferred primary key
        with_pk = sum(getattr(r, pk.attname) is not None for r in records)
    fields = [f for f in meta.concrete_fields if f is not pk or with_pk]
    if _plain(fields, conn):
        read = _read_columns(fields, states)
        prepared = [_column_values(f, records, states, conn, values) for f, values in zip(fields, read)]
    else:
        prepared = None
    columns = None if prepared is None else [values for values, _, _ in prepared]
    if (prepared is None or 0 < with_pk < len(records)
            or any(not plain and _has_expression(values[:1] if same else values) for values, plain, same in prepared)):
        # what only Django's bulk_create knows how to write: expressions, fields with their own
        # placeholders or types, some records with a primary key and some without
        model._base_manager.using(using).bulk_create(records, batch_size=batch_size)
        return
    returns_pk = not with_pk
    key = _row_key(meta, states) if returns_pk else None
    # the uid first: the rows that come back are (uid, id) pairs, a dict as they are
    returning = ((pk.column,) if key is None else (key.column, pk.column)) if returns_pk else None
    returned: list = []
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            execute = _driver_execute(conn, cursor)
            if len(records) == 1:
                # one row (artifact.save()): its values, without an array per column to dump
                sql = _statement(using, conn.vendor, model, bool(with_pk), returning, 1)
                fetched = execute(sql, [column[0] for column in columns])
                if returns_pk:
                    returned.extend(fetched)
            else:
                sql = _statement(using, conn.vendor, model, bool(with_pk), returning, 0)
                step = max(batch_size, 10_000)
                for start in range(0, len(records), step):
                    # lists: psycopg writes a list as an array (a tuple it does not take)
                    fetched = execute(sql, [list(column[start : start + step]) for column in columns])
                    if returns_pk:
                        returned.extend(fetched)
        else:
            execute = _driver_execute(conn, cursor)
            # a column of one value for all the rows (a default, the moment of the call) is one
            # parameter of the statement, the others one per row: for labels 2 of 13, so that
            # 10,000 rows take one statement and a tenth of the parameters to bind
            shared = tuple(i for i, (_, _, same) in enumerate(prepared) if same) if len(records) > 1 else ()
            if len(shared) == len(fields):
                shared = shared[1:]  # the rows of VALUES need a column
            varying = [column for i, column in enumerate(columns) if i not in shared]
            constants = [columns[i][0] for i in shared]
            # SQLite's limit of host parameters per statement (32,766): a batch stays well under
            step = max(1, min(len(records), (30_000 - len(shared)) // max(1, len(varying))))
            for start in range(0, len(records), step):
                chunk = varying if step >= len(records) else [column[start : start + step] for column in varying]
                rows = len(chunk[0])
                sql = _statement(using, conn.vendor, model, bool(with_pk), returning, rows, shared=shared)
                # the values row after row, interleaved in C
                fetched = execute(sql, [*constants, *chain.from_iterable(zip(*chunk))])
                if returns_pk:
                    returned.extend(fetched)
    if returns_pk:
        if key is None:
            # no unique key to match them by: in the order of the rows, as Django's bulk_create
            ids = [row[0] for row in returned]
        else:
            # matched by uid: neither database promises RETURNING's order (SQLite says it is
            # arbitrary), and a record must never take another's id
            ids = list(map(dict(returned).__getitem__, map(itemgetter(key.attname), states)))
        attname = pk.attname
        for state, pk_value in zip(states, ids):
            state[attname] = pk_value
    for state in map(_model_state, records):
        state.adding = False
        state.db = using


@functools.lru_cache(maxsize=64)
def _statement(
    using: str, vendor: str, model: type, with_pk: bool, returning: tuple | None, rows: int,
    shared: tuple[int, ...] = (),
) -> str:
    """The text of ``_insert_rows``'s INSERT of ``model``'s concrete fields (the primary key too
    if ``with_pk``), ``RETURNING`` the columns ``returning`` (the primary key's, or the uid's and
    the primary key's) if given: PostgreSQL's of one array per column (``rows`` 0), SQLite's of ``rows`` rows
    of values (PostgreSQL's too for one row, ``rows`` 1). Written once per shape (``vendor``: an
    alias may be connected to another instance later), not once per save of one record.
    ``shared``: on SQLite, the positions (among the fields) of
    the columns whose one value is written in every row, a parameter each, before the rows of
    the other columns: ``INSERT INTO t (a, b, c) SELECT column1, column2, %s FROM (VALUES (%s,
    %s), ...)``."""
    conn = connections[using]
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk or with_pk]
    table = model._meta.db_table
    quote = conn.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    end = ""
    if returning is not None:
        end = " RETURNING " + ", ".join(map(quote, returning))
    if vendor == "postgresql":
        # the type without its length (varchar, not varchar(50)): the column's own type checks
        # the length, as in Django's bulk_create
        types = [f.db_type(conn).split("(")[0] for f in fields]
        if rows == 1:  # one row: its values, each cast as the arrays' elements are
            values = ", ".join(f"%s::{t}" for t in types)
            return f"INSERT INTO {quote(table)} ({names}) VALUES ({values}){end}"
        aliases = ", ".join(f"c{i}" for i in range(len(fields)))
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        return f"INSERT INTO {quote(table)} ({names}) SELECT * FROM UNNEST({arrays}) AS t({aliases}){end}"
    if not shared:
        return f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([_qmarks(len(fields))] * rows)}{end}"
    varying = [f for i, f in enumerate(fields) if i not in shared]
    names = ", ".join(quote(f.column) for f in [*varying, *(fields[i] for i in shared)])
    selected = ", ".join([*(f"column{i + 1}" for i in range(len(varying))), *(["%s"] * len(shared))])
    values = ", ".join([_qmarks(len(varying))] * rows)
    return f"INSERT INTO {quote(table)} ({names}) SELECT {selected} FROM (VALUES {values}){end}"


def _row_key(meta: Any, states: list) -> models.Field | None:
    """The unique text field (``uid``) by which the ids an INSERT returns are matched to the
    records (``states``: their ``__dict__``), if every record has a value of it; else None."""
    try:
        field = meta.get_field("uid")
    except FieldDoesNotExist:
        return None
    if not field.unique or not field.concrete:
        return None
    try:
        kinds = set(map(type, map(itemgetter(field.attname), states)))
    except KeyError:
        return None
    return field if kinds == {str} else None


def _qmarks(n: int) -> str:
    return "(" + ", ".join(["%s"] * n) + ")"


def _driver_execute(conn: Any, cursor: Any):
    """A function that executes one statement of ``%s`` placeholders and returns its rows,
    through the database driver's own connection (same transaction, same adapters) unless
    Django is to see the statement (queries logged, as ``CaptureQueriesContext`` and DEBUG do,
    or an execute wrapper installed); errors become Django's, as its own cursor makes them.

    Django's cursors cost a big INSERT much: on SQLite it rewrites every ``%s`` to ``?`` with a
    regular expression (a tenth of ``ln.save``'s time for 10,000 labels), on PostgreSQL it binds
    the parameters on the client, writing every value of the arrays into the statement's text
    (about a fifth). Directly, sqlite3 takes ``?``, and psycopg sends the arrays apart from the
    statement, in binary.
    """
    if conn.queries_logged or conn.execute_wrappers:
        def through_django(sql: str, params: list) -> list:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

        return through_django
    raw = conn.connection
    if conn.vendor == "postgresql":
        # imported here as where Django imports it: only an instance on PostgreSQL needs psycopg
        from psycopg import Cursor

        def direct(sql: str, params: list) -> list:
            with conn.wrap_database_errors, Cursor(raw) as binding:
                binding.execute(sql.replace("%s", "%b"), params)
                return binding.fetchall() if binding.description else []
    else:
        def direct(sql: str, params: list) -> list:
            with conn.wrap_database_errors:
                result = raw.execute(sql.replace("%s", "?"), params)
                return result.fetchall() if result.description else []

    return direct


def _plain(fields: list, conn: Any) -> bool:
    """Whether every field is a column of the database's own types with a plain placeholder (what
    PostgreSQL's UNNEST of one array per column takes)."""
    return all(
        not hasattr(f, "get_placeholder")
        and (f.target_field if f.is_relation else f).get_internal_type() in conn.data_types
        for f in fields
    )


def _insert(model: type, new: list, batch_size: int) -> None:
    try:
        with transaction.atomic():
            _insert_rows(model, new, batch_size)
        return
    except IntegrityError:
        pass
    # a unique value exists already: take on the existing records, insert the rest
    for record in new:
        record._state.adding = True
        record.pk = None
    remaining = _adopt_existing(model, new)
    try:
        model._base_manager.bulk_create(remaining, batch_size=batch_size)
    except IntegrityError as exc:
        raise errors.ValidationError(f"cannot save {model.__name__} records: {exc}") from exc
    for record in new:
        twin = record.__dict__.pop("_pending_twin", None)
        if twin is not None:
            record._adopt(twin)


def _analyze(model: type, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refresh the planner's statistics of a registry's table after a big insert.

    On PostgreSQL the statistics of its columns, not of its expression indexes (a trigram or
    word index's ``lower(name)``, the words of a name): those evaluate the expression on every
    sampled row and took three quarters of the time (290 against 63 ms at 30,000 labels). An
    ANALYZE of named columns leaves the table's count of changed rows as it is, so autovacuum
    still analyzes the whole table, expressions included, soon after. On SQLite a sample of
    1,000 rows per index, so that the cost stays flat however big the table.
    """
    conn = connections[using]
    quote = conn.ops.quote_name
    table = quote(model._meta.db_table)
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute(f"ANALYZE {table}")
        else:
            columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields)
            cursor.execute(f"ANALYZE {table} ({columns})")


def save(records: Any, batch_size: int | None = None) -> None:
    """Save records in bulk: one transaction, a few statements per registry.

    New records are inserted with ``bulk_create``; changed ones are updated. A
    record whose unique value (a name) exists already takes on the existing
    record, with one warning. If any part fails, nothing is saved; a text
    field with a NUL character or a lone surrogate fails before anything is
    written (``ln.errors.ValidationError``).

    Args:
        records: Records, or an iterable of them (lists may be nested).
        batch_size: Rows per INSERT statement.

    Raises:
        ln.errors.InvalidArgument: ``records`` holds something that is not a record.
        ln.errors.ValidationError: a record cannot be saved (a required field is
            empty, a foreign key points to no record); nothing is saved.

    Example:
        >>> labels = [ln.ULabel(name=f"label {i}") for i in range(10_000)]
        >>> ln.save(labels)
    """
    if records is None or isinstance(records, (str, bytes)) or not isinstance(records, (models.Model, Iterable)):
        raise errors.InvalidArgument(
            f"ln.save() takes a record or a list of records, got {records!r} ({type(records).__name__})"
        )
    items = _flatten(records)
    if not items:
        return
    # the rows, ids and saved attributes of thousands of records: no garbage cycles among them
    with collector.paused():
        _save(items, batch_size)


def _save(items: list, batch_size: int | None) -> None:
    """``save`` of the flattened records ``items``."""
    batch_size = batch_size or BATCH_SIZE
    kinds = set(map(type, items))
    if len(kinds) == 1:  # the common case: one registry
        groups: dict[type, list] = {kinds.pop(): items}
    else:
        groups = {}
        for record in items:
            groups.setdefault(type(record), []).append(record)
    for model, group in groups.items():
        # text no database stores: refused before anything is written
        model._check_storable_many(group)
    # every record's attributes, to restore them if the save fails: in lists rather than a
    # tuple per record, fewer objects for the garbage collector to walk
    model_states = list(map(_model_state, items))
    saved_attributes = list(map(dict.copy, map(_state, items)))
    saved_adding = list(map(_adding, model_states))
    saved_db = list(map(_db, model_states))
    saved_alone: list = []
    finishers: list = []
    big: list[type] = []  # registries that took ANALYZE_AFTER rows or more
    committed = False
    try:
        # slow work first (an artifact's file copies), outside the transaction: on
        # SQLite, opening it takes the whole database's write lock
        for model in _dependency_order(groups):
            alone = model._alone_among([r for r in groups[model] if r._state.adding])
            if alone:
                finish = model._prepare_alone_many(alone, saved_alone)
                if finish is not None:
                    finishers.append(finish)
        with transaction.atomic():
            for model in _dependency_order(groups):
                group = groups[model]
                new = [r for r in group if r._state.adding]
                model._prepare_new_many(new)
                _check_foreign_keys(model, group)
                if len(new) < len(group):
                    for r in group:
                        if not r._state.adding:
                            r.save()
                alone = model._alone_among(new)
                if alone:
                    model._save_alone_many(alone, saved_alone)
                    if len(alone) == len(new):
                        new = []  # alone is of new: all of them (500 artifacts with files)
                    else:
                        alone_ids = {id(r) for r in alone}
                        new = [r for r in new if id(r) not in alone_ids]
                if new:
                    _insert(model, new, batch_size)
                if len(new) + len(alone) >= ANALYZE_AFTER:
                    _analyze(model)
                    big.append(model)
    except Exception:
        # all or nothing: files stored on the way go, the records look unsaved again
        for record in saved_alone:
            record._discard_after_rollback()
        for record, attributes, state, adding, db in zip(
                items, saved_attributes, model_states, saved_adding, saved_db):
            record.__dict__.clear()
            record.__dict__.update(attributes)
            state.adding = adding
            state.db = db
        raise
    else:
        committed = True
    finally:
        for finish in finishers:
            finish(committed)
    for model in big:
        # PostgreSQL: the new rows' entries of the search indexes, left in the GIN pending lists
        # that every search reads, go into the indexes now rather than at the next autovacuum
        text_index.after_bulk_insert(connections[DEFAULT_DB_ALIAS], model._meta.db_table)
    for record in saved_alone:
        record._after_bulk_save()


def insert_link_rows(
    model: type, columns: tuple[str, ...], rows: list[tuple], using: str = DEFAULT_DB_ALIAS,
    skip_existing: bool = False,
) -> None:
    """Insert rows of a link table, given as tuples of ids for ``columns`` (the
    ``*_id`` columns), without building a model instance per row.

    Every other column gets its default, computed once for all rows: the same
    ``created_at``, ``run`` and ``created_by``, as one ``bulk_create`` call would
    give them. On PostgreSQL the rows go as one array per column (``INSERT ... SELECT FROM UNNEST``); on SQLite, one statement is executed for each row (``executemany``). Rows that exist
    already are otherwise the caller's to leave out: a unique constraint refuses
    them (``IntegrityError``).

    Example:
        >>> insert_link_rows(ArtifactULabel, ("artifact_id", "ulabel_id", "feature_id"), [(1, 2, 3)])
    """
    if not rows:
        return
    conn = connections[using]
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [c for c in columns if c not in by_attname]
    if unknown:
        raise errors.InvalidArgument(f"{model.__name__} has no column {', '.join(unknown)}")
    prototype = model()  # the defaults: callables (the run, the user) called once
    rest = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    constants = tuple(f.get_db_prep_save(f.pre_save(prototype, add=True), conn) for f in rest)
    quote = conn.ops.quote_name
    names = ", ".join(quote(c) for c in (*columns, *(f.column for f in rest)))
    table = quote(model._meta.db_table)
    conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # one statement per batch with one array per column, as Django's
            # bulk_create does on PostgreSQL, without a model instance per row
            aliases = [f"c{i}" for i in range(len(columns))]
            arrays = ", ".join(f"%s::{by_attname[c].db_type(conn)}[]" for c in columns)
            selected = ", ".join([*aliases, *(f"%s::{f.db_type(conn)}" for f in rest)])
            sql = (f"INSERT INTO {table} ({names}) SELECT {selected} "
                   f"FROM UNNEST({arrays}) AS t({', '.join(aliases)}){conflict}")
            step = 50_000
            execute = _driver_execute(conn, cursor)
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                # the constants come first in the statement, then the arrays
                execute(sql, [*constants, *(list(column) for column in zip(*chunk))])
        else:
            # one statement, parsed once and stepped per row by sqlite3
            placeholders = ", ".join(["%s"] * (len(columns) + len(rest)))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders}){conflict}",
                [(*row, *constants) for row in rows],
            )
    if len(rows) >= ANALYZE_AFTER:
        _analyze(model, using)
