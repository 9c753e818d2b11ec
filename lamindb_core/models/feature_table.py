"""The feature columns of ``Artifact.df(features=True)``: a column per feature, a set of values per cell.

A table of 100,000 artifacts with five features has half a million links. Read as rows (one
tuple per link, with the value's JSON text joined in) they took most of a second before a
cell was made, so the table reads them in three steps, in a fixed number of queries:

1. the links, as ids only (artifact, feature value; artifact, feature, label), each link
   table in one query that returns each column as one text (``group_concat`` on SQLite,
   ``string_agg`` on PostgreSQL), parsed by numpy; the artifacts by their id range where the
   table holds most of it (all artifacts, the latest 100), else by the table's query;
2. the feature values and label names those links point to, each once, again one text per
   column (the values' JSON texts joined, read by one ``json.loads``);
3. the cells: the links grouped by feature and placed in the table's rows with numpy; a
   ``ValueSet`` per cell (the only per-cell Python: a cell is a set of its own), NaN where an
   artifact has none.

``annotations._values_of`` reads the values of one artifact (``get_values()``, ``describe()``).
"""

from __future__ import annotations

import json
import math

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .. import errors
from ..introspect import name_field
from ..valueset import ValueSet
from .annotations import JSONText, cat_registries, decode_value
from .feature import Feature
from .links import label_links, value_links

__all__ = ["features_table"]

# ids looked up by a list of them (json_each, ANY), or artifacts by the table's query, below
# this share of their id range; at least this share, the range is read and filtered here (a
# list of 100,000 ids made PostgreSQL's ANY three times slower than reading all the rows of
# their range, and the table's query inside IN cost SQLite a third of its link queries)
_DENSE = 0.3


def features_table(df, qs, features: bool | list[str]):
    """Add one column per feature to ``df`` (index: the ids of the artifacts of ``qs``): sets
    of values, NaN where none.

    The sets are ``ValueSet``s: they print sorted, ``{'DMSO', 'IFNG'}``, in every run.

    Categorical features come first, then the others, each in the order the
    features were created. The dtypes go to ``df.attrs["feature_dtypes"]`` for
    ``ln.view``.

    Raises:
        ln.errors.FieldValidationError: an unknown feature name; the message names the closest one.
    """
    import numpy as np

    names = None if features is True else list(dict.fromkeys(features))
    using = qs.db
    known = Feature.objects.using(using)
    if names is not None:
        meta_by_id = {fid: (name, dtype) for fid, name, dtype in known.filter(name__in=names).values_list("id", "name", "dtype")}
        missing = [n for n in names if n not in {name for name, _ in meta_by_id.values()}]
        if missing:
            all_names = list(known.values_list("name", flat=True)[:1000])
            raise errors.FieldValidationError(
                f"unknown feature(s) {', '.join(repr(n) for n in missing)}."
                f"{errors.closest_match_hint(missing[0], all_names)}"
            )
        cat_dtypes = {dtype for _, dtype in meta_by_id.values() if dtype.startswith("cat")}
    else:
        meta_by_id = {}
        cat_dtypes = set(known.filter(dtype__startswith="cat").values_list("dtype", flat=True).distinct())
    index = np.asarray(df.index, dtype=np.int64)
    scope = _scope(qs, index)
    wanted = None if names is None else sorted(meta_by_id)
    links = []
    if scope is not None:
        links += _value_links(qs.model, scope, wanted, using)
        links += _label_links(qs.model, scope, cat_dtypes, wanted, using)
    cells = _cells(links, index)
    present = sorted(cells)
    if names is None and present:
        meta_by_id = {fid: (name, dtype) for fid, name, dtype in known.filter(id__in=present).values_list("id", "name", "dtype")}
    meta = {name: (fid, dtype, dtype.startswith("cat")) for fid, (name, dtype) in meta_by_id.items()
            if names is not None or fid in cells}
    order = names if names is not None else sorted(meta, key=lambda n: (not meta[n][2], meta[n][0]))
    dtypes = {}
    for name in order:
        df[name] = _column(cells.get(meta[name][0]), len(index))
        dtypes[name] = meta[name][1]
    df.attrs["feature_dtypes"] = dtypes
    return df


def _scope(qs, index) -> tuple[str, list] | None:
    """The condition on an artifact column that the link queries use: ``BETWEEN`` the table's
    lowest and highest id where its ids are at least ``_DENSE`` of that range (every artifact,
    the latest 100), else ``IN`` the ids' query; ``(sql, params)``, None if no row can match.

    A range is read by the link tables' index without running the table's query once more; the
    links of artifacts in the range that the table does not hold are left out by ``_cells``.
    """
    low, high = int(index.min()), int(index.max())
    if len(index) >= _DENSE * (high - low + 1):
        return "BETWEEN %s AND %s", [low, high]
    try:
        sql, params = _ids_sql(qs)
    except EmptyResultSet:  # a condition that no row can meet
        return None
    return f"IN ({sql})", params


def _ids_sql(qs) -> tuple[str, list]:
    """The SQL and parameters of the ids of the artifacts of ``qs``, for ``IN (...)``: without its
    order (a search's score), as Django writes a queryset inside ``__in``, unless it is sliced."""
    query = qs.values("pk").query.chain()
    if not query.is_sliced:
        query.clear_ordering(force=True)
    sql, params = query.get_compiler(using=qs.db).as_sql()
    return sql, list(params)


def _value_links(artifact_model: type, scope: tuple, wanted: list[int] | None, using: str) -> list:
    """The links to feature values of the artifacts in ``scope``: ``[(feature ids, artifact ids,
    values)]``, one entry, arrays aligned (values: an object array)."""
    import numpy as np

    meta = value_links(artifact_model)._meta
    artifact_col, value_col = meta.get_field("artifact").column, meta.get_field("featurevalue").column
    artifacts, value_ids = _id_columns(meta.db_table, [artifact_col, value_col], _q(using, artifact_col) + " " + scope[0],
                                       scope[1], using)
    if not len(artifacts):
        return []
    fv_meta = meta.get_field("featurevalue").related_model._meta
    feature_col = fv_meta.get_field("feature").column
    key, value = fv_meta.pk.column, fv_meta.get_field("value").column
    where, params = _key_condition(using, key, _distinct(value_ids))
    if wanted is not None:
        where += f" AND {_q(using, feature_col)} IN ({', '.join(['%s'] * len(wanted))})"
        params += wanted
    ids, features, values = _feature_values(fv_meta.db_table, key, feature_col, value, where, params, using)
    at = _positions(ids, value_ids)
    found = at >= 0  # a value of a feature not asked for is not among the rows
    at = at[found]
    return [(features[at], artifacts[found], values[at])]


def _feature_values(table: str, key: str, feature_col: str, value_col: str, where: str, params: list, using: str):
    """The ids, feature ids and values (an object array) of the feature values that ``where``
    selects, all in one query: the values' JSON texts come joined by commas, which one
    ``json.loads`` reads as an array (in C)."""
    import numpy as np

    conn = connections[using]
    q = conn.ops.quote_name
    text = f"{q(value_col)}::text" if conn.vendor == "postgresql" else q(value_col)
    sql = (f"SELECT COUNT(*), {_joined_ints(conn, key)}, {_joined_ints(conn, feature_col)}, "
           f"{_joined(conn, text)} FROM {q(table)} WHERE {where}")
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        count, ids, features, texts = cursor.fetchone()
    if not count:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    decoded = _decode_joined(texts, count)
    if decoded is None:  # never for the texts the database checks as JSON: one by one
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT {q(key)}, {q(feature_col)}, {q(value_col)} FROM {q(table)} WHERE {where}", params)
            rows = cursor.fetchall()
        ids, features, texts = zip(*rows) if rows else ((), (), ())
        ids = np.array(ids, dtype=np.int64)
        features = np.array(features, dtype=np.int64)
        decoded = [decode_value(t) for t in texts]
    else:
        ids, features = _ints(ids, count, table), _ints(features, count, table)
    values = np.empty(len(decoded), dtype=object)
    values[:] = decoded
    return ids, features, values


def _decode_joined(texts: str, count: int) -> list | None:
    """The ``count`` values of ``texts``, JSON texts joined by commas, each as
    :func:`~lamindb_core.models.annotations.decode_value` gives it (a dict or list as its
    ``JSONText``); None if they do not read as ``count`` JSON values."""
    try:
        values = json.loads("[" + texts + "]")
    except ValueError:
        return None
    if len(values) != count:
        return None
    kinds = set(map(type, values))
    if dict in kinds or list in kinds:  # not hashable: shown as its JSON
        values = [JSONText(json.dumps(v, sort_keys=True)) if isinstance(v, (dict, list)) else v for v in values]
    return values


def _label_links(artifact_model: type, scope: tuple, cat_dtypes: set[str], wanted: list[int] | None, using: str) -> list:
    """The links to labels of the registries that ``cat_dtypes`` name, with a feature (of
    ``wanted``, if given), of the artifacts in ``scope``: ``[(feature ids, artifact ids, label
    names)]``, an entry per registry."""
    import numpy as np

    registries = cat_registries(cat_dtypes)
    result = []
    conn = connections[using]
    q = conn.ops.quote_name
    for registry, (_, through, artifact_fk, label_fk) in label_links(artifact_model, using).items():
        if registry not in registries:
            continue
        meta = through._meta
        artifact_col = meta.get_field(artifact_fk).column
        label_col = meta.get_field(label_fk).column
        feature_col = meta.get_field("feature").column
        where, params = f"{q(artifact_col)} {scope[0]}", list(scope[1])
        if wanted is None:
            where += f" AND {q(feature_col)} IS NOT NULL"
        else:
            where += f" AND {q(feature_col)} IN ({', '.join(['%s'] * len(wanted))})"
            params += wanted
        artifacts, features, labels = _id_columns(meta.db_table, [artifact_col, feature_col, label_col], where,
                                                  params, using)
        if not len(artifacts):
            continue
        label_meta = registry._meta
        name_col = label_meta.get_field(name_field(registry)).column
        key = label_meta.pk.column
        where, params = _key_condition(using, key, _distinct(labels))
        sql = (f"SELECT COUNT(*), {_joined_ints(conn, key)}, {_json_array(conn, q(name_col))} "
               f"FROM {q(label_meta.db_table)} WHERE {where}")
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            count, ids, label_names = cursor.fetchone()
        if not count:
            continue
        names = np.empty(count, dtype=object)
        names[:] = json.loads(label_names)  # as many as rows: a NULL name is null
        at = _positions(_ints(ids, count, label_meta.db_table), labels)
        found = at >= 0
        result.append((features[found], artifacts[found], names[at[found]]))
    return result


def _cells(links: list, index) -> dict[int, tuple]:
    """The links grouped by feature: ``{feature id: (rows, values)}``, ``rows`` the positions of
    the links' artifacts in ``index`` (the table's ids, in its order), ascending, ``values`` an
    object array aligned with them (a row repeats where a cell has several values). A link of
    an artifact that the table does not hold (in its id range, or saved between the queries) is
    left out."""
    import numpy as np

    if not links:
        return {}
    features = np.concatenate([f for f, _, _ in links])
    rows = _positions(index, np.concatenate([a for _, a, _ in links]))
    values = np.concatenate([v for _, _, v in links])
    inside = rows >= 0
    if not inside.all():
        features, rows, values = features[inside], rows[inside], values[inside]
    by_feature = np.argsort(features, kind="stable")  # stable: the links' order within a feature
    features, rows, values = features[by_feature], rows[by_feature], values[by_feature]
    bounds = np.flatnonzero(np.diff(features)) + 1
    cells = {}
    for s, e in zip([0, *bounds.tolist()], [*bounds.tolist(), len(features)]):
        feature_rows, feature_values = rows[s:e], values[s:e]
        if len(feature_rows) > 1:
            steps = np.diff(feature_rows)
            if (steps < 0).all():  # the links of a table newest first: reversed, nothing to sort
                feature_rows, feature_values = feature_rows[::-1], feature_values[::-1]
            elif not (steps > 0).all():
                by_row = np.argsort(feature_rows, kind="stable")
                feature_rows, feature_values = feature_rows[by_row], feature_values[by_row]
        cells[int(features[s])] = (feature_rows, feature_values)
    return cells


def _column(cells: tuple | None, n: int):
    """The column of a feature from its ``(rows, values)`` of ``_cells``: an object array of
    ``ValueSet``s, NaN where an artifact has no value."""
    import numpy as np

    column = np.full(n, math.nan, dtype=object)
    if cells is None:
        return column
    rows, values = cells
    # the first link of each row: most cells hold one value
    first = np.concatenate(([True], rows[1:] != rows[:-1]))
    single = bool(first.all())
    cell_rows = rows if single else rows[first]
    cell_values = values if single else values[first]
    made = np.fromiter(map(ValueSet, zip(cell_values.tolist())), dtype=object, count=len(cell_rows))
    if not single:
        for i in np.flatnonzero(~first).tolist():  # the other values of a cell
            made[np.searchsorted(cell_rows, rows[i])].add(values[i])
    column[cell_rows] = made
    return column


def _id_columns(table: str, columns: list[str], where: str, params: list, using: str) -> list:
    """The integer ``columns`` of the rows of ``table`` that ``where`` selects, an array each,
    aligned: the database writes each column as one text, numpy reads it (a tuple per row
    through the driver took three times as long; one text of all columns, joined per row, twice)."""
    import numpy as np

    conn = connections[using]
    q = conn.ops.quote_name
    aggregates = ", ".join(_joined_ints(conn, c) for c in columns)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), {aggregates} FROM {q(table)} WHERE {where}", params)
        count, *texts = cursor.fetchone()
    if not count:
        return [np.empty(0, dtype=np.int64) for _ in columns]
    return [_ints(text, count, table) for text in texts]


def _ints(text: str, count: int, table: str):
    """The ``count`` integers of ``text`` (joined by commas) as an array."""
    import numpy as np

    numbers = np.fromstring(text, dtype=np.int64, sep=",")
    if len(numbers) != count:  # never: every column read so is an integer, none NULL
        raise RuntimeError(f"read {len(numbers)} ids of {count} rows of {table}")
    return numbers


def _joined_ints(conn, column: str) -> str:
    # the aggregates of one query see the rows in one order, so that the columns align
    name = conn.ops.quote_name(column)
    if conn.vendor == "postgresql":
        return f"string_agg({name}::text, ',')"
    return f"group_concat({name}, ',')"


def _joined(conn, expression: str) -> str:
    if conn.vendor == "postgresql":
        return f"string_agg({expression}, ',')"
    return f"group_concat({expression}, ',')"


def _json_array(conn, expression: str) -> str:
    # a JSON array of text values (NULL as null), in the order of the query's other aggregates
    if conn.vendor == "postgresql":
        return f"json_agg({expression})::text"
    return f"json_group_array({expression})"


def _key_condition(using: str, key: str, ids) -> tuple[str, list]:
    """The condition that selects the rows of the keys ``ids`` (sorted, distinct): their range,
    where they are most of it (rows of the range that no link names are read too, and not
    used), else the list of them."""
    conn = connections[using]
    name = conn.ops.quote_name(key)
    low, high = int(ids[0]), int(ids[-1])
    if len(ids) >= _DENSE * (high - low + 1):
        return f"{name} BETWEEN %s AND %s", [low, high]
    if conn.vendor == "postgresql":
        return f"{name} = ANY(%s)", [ids.tolist()]
    return f"{name} IN (SELECT value FROM json_each(%s))", [json.dumps(ids.tolist())]


def _distinct(ids):
    """The distinct values of the integer array ``ids``, sorted."""
    import numpy as np

    low, high = int(ids.min()), int(ids.max())
    if high - low < 4 * len(ids) + 1024:  # a mark per id of their range: no sort
        seen = np.zeros(high - low + 1, dtype=bool)
        seen[ids - low] = True
        return np.flatnonzero(seen) + low
    return np.unique(ids)


def _positions(keys, queries):
    """For each of ``queries``, the position of that value in ``keys`` (distinct integers, any
    order), -1 where it is not there."""
    import numpy as np

    result = np.full(len(queries), -1, dtype=np.int64)
    if not len(keys) or not len(queries):
        return result
    low, high = int(keys.min()), int(keys.max())
    if high - low < 4 * len(keys) + 1024:  # a table over the keys' range: no sort, no search
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[keys - low] = np.arange(len(keys))
        inside = (queries >= low) & (queries <= high)
        result[inside] = table[queries[inside] - low]
        return result
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    at = np.minimum(np.searchsorted(ordered, queries), len(keys) - 1)
    found = ordered[at] == queries
    result[found] = order[at[found]]
    return result


def _q(using: str, name: str) -> str:
    return connections[using].ops.quote_name(name)
