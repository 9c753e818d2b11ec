"""The feature columns of ``Artifact.df(features=True)``: a column per feature, a set of values per cell.

A table of 100,000 artifacts with five features has half a million links. Read as rows (one
tuple per link, with the value's JSON text joined in) they took most of a second before a
cell was made, so the table reads them in three steps, in a fixed number of queries:

1. the links, as ids only (artifact, feature value; artifact, feature, label), each link
   table in one query that returns its rows as one text (``group_concat`` on SQLite,
   ``string_agg`` on PostgreSQL), parsed by numpy;
2. the feature values and label names those links point to, each once (the values' JSON text
   decoded once per value);
3. the cells: the links grouped by feature and artifact with numpy; a ``ValueSet`` per cell
   (the only per-cell Python: a cell is a set of its own), NaN where an artifact has none.

``annotations._values_of`` reads the values of one artifact (``get_values()``, ``describe()``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .. import errors
from ..introspect import name_field
from ..valueset import ValueSet
from .annotations import cat_registries, decode_value
from .feature import Feature
from .links import label_links, value_links

__all__ = ["features_table"]

# ids looked up by a list of them (json_each, ANY) below this share of their id range; at
# least this share, the range is read and filtered here (a list of 100,000 ids made
# PostgreSQL's ANY three times slower than reading all the rows of their range)
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
    try:
        subquery = _ids_sql(qs)
    except EmptyResultSet:  # a condition that no row can meet
        subquery = None
    wanted = None if names is None else sorted(meta_by_id)
    links = [] if subquery is None else _value_links(qs.model, subquery, wanted, using)
    if subquery is not None:
        links += _label_links(qs.model, subquery, cat_dtypes, wanted, using)
    feature_ids = np.concatenate([f for f, _, _ in links]) if links else np.empty(0, dtype=np.int64)
    present = sorted(set(np.unique(feature_ids).tolist()))
    if names is None and present:
        meta_by_id = {fid: (name, dtype) for fid, name, dtype in known.filter(id__in=present).values_list("id", "name", "dtype")}
    meta = {name: (fid, dtype, dtype.startswith("cat")) for fid, (name, dtype) in meta_by_id.items()
            if names is not None or fid in present}
    order = names if names is not None else sorted(meta, key=lambda n: (not meta[n][2], meta[n][0]))
    columns = _columns(links, np.asarray(df.index, dtype=np.int64), [meta[n][0] for n in order])
    dtypes = {}
    for name in order:
        df[name] = columns[meta[name][0]]
        dtypes[name] = meta[name][1]
    df.attrs["feature_dtypes"] = dtypes
    return df


def _ids_sql(qs) -> tuple[str, list]:
    """The SQL and parameters of the ids of the artifacts of ``qs``, for ``IN (...)``: without its
    order (a search's score), as Django writes a queryset inside ``__in``, unless it is sliced."""
    query = qs.values("pk").query.chain()
    if not query.is_sliced:
        query.clear_ordering(force=True)
    sql, params = query.get_compiler(using=qs.db).as_sql()
    return sql, list(params)


def _value_links(artifact_model: type, subquery: tuple, wanted: list[int] | None, using: str) -> list:
    """The links to feature values of the artifacts of ``subquery``: ``[(feature ids, artifact ids,
    values)]``, one entry, arrays aligned (values: an object array)."""
    import numpy as np

    meta = value_links(artifact_model)._meta
    artifact_col, value_col = meta.get_field("artifact").column, meta.get_field("featurevalue").column
    pairs = _id_rows(meta.db_table, [artifact_col, value_col], artifact_col, subquery, using)
    if not len(pairs):
        return []
    fv_meta = meta.get_field("featurevalue").related_model._meta
    feature_col = fv_meta.get_field("feature").column
    condition = "" if wanted is None else f" AND {_q(using, feature_col)} IN ({', '.join(['%s'] * len(wanted))})"
    rows = _rows_by_ids(
        fv_meta.db_table, [fv_meta.pk.column, feature_col, fv_meta.get_field("value").column],
        np.unique(pairs[:, 1]), using, condition, wanted or [],
    )
    if not rows:
        return []
    rows.sort()
    ids, features, texts = zip(*rows)
    ids, features = np.array(ids, dtype=np.int64), np.array(features, dtype=np.int64)
    values = np.empty(len(rows), dtype=object)
    values[:] = _decode_all(texts)
    at = np.minimum(np.searchsorted(ids, pairs[:, 1]), len(ids) - 1)
    found = ids[at] == pairs[:, 1]  # a value of a feature not asked for is not among the rows
    at = at[found]
    return [(features[at], pairs[found, 0], values[at])]


def _decode_all(texts: tuple) -> list:
    """The values of JSON ``texts``, each as :func:`~lamindb_core.models.annotations.decode_value`
    gives it (a dict or list as its ``JSONText``): all in one ``json.loads`` of them as an array,
    which parses in C; one by one if that fails (a text of a value that is not JSON)."""
    if all(isinstance(t, str) for t in texts):
        try:
            values = json.loads("[" + ",".join(texts) + "]")
        except ValueError:
            values = None
        if values is not None and len(values) == len(texts):
            return [decode_value(texts[i]) if isinstance(v, (dict, list)) else v for i, v in enumerate(values)]
    return [decode_value(t) for t in texts]


def _label_links(artifact_model: type, subquery: tuple, cat_dtypes: set[str], wanted: list[int] | None, using: str) -> list:
    """The links to labels of the registries that ``cat_dtypes`` name, with a feature (of
    ``wanted``, if given): ``[(feature ids, artifact ids, label names)]``, an entry per registry."""
    import numpy as np

    registries = cat_registries(cat_dtypes)
    result = []
    for registry, (_, through, artifact_fk, label_fk) in label_links(artifact_model, using).items():
        if registry not in registries:
            continue
        meta = through._meta
        artifact_col = meta.get_field(artifact_fk).column
        label_col = meta.get_field(label_fk).column
        feature_col = meta.get_field("feature").column
        if wanted is None:
            condition, params = f" AND {_q(using, feature_col)} IS NOT NULL", []
        else:
            condition = f" AND {_q(using, feature_col)} IN ({', '.join(['%s'] * len(wanted))})"
            params = list(wanted)
        triples = _id_rows(meta.db_table, [artifact_col, feature_col, label_col], artifact_col, subquery, using,
                           condition, params)
        if not len(triples):
            continue
        label_meta = registry._meta
        name_col = label_meta.get_field(name_field(registry)).column
        rows = _rows_by_ids(label_meta.db_table, [label_meta.pk.column, name_col], np.unique(triples[:, 2]), using)
        rows.sort(key=lambda r: r[0])
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        names = np.empty(len(rows), dtype=object)
        names[:] = [r[1] for r in rows]
        at = np.minimum(np.searchsorted(ids, triples[:, 2]), max(len(ids) - 1, 0))
        found = ids[at] == triples[:, 2] if len(ids) else np.zeros(len(triples), dtype=bool)
        at = at[found]
        result.append((triples[found, 1], triples[found, 0], names[at]))
    return result


def _columns(links: list, index, feature_ids: list[int]) -> dict[int, Any]:
    """Per feature, the column of cells for the artifacts of ``index`` (their ids, in the
    table's order): an object array of ``ValueSet``s, NaN where an artifact has no value."""
    import numpy as np

    n = len(index)
    columns = {}
    if links:
        features = np.concatenate([f for f, _, _ in links])
        artifacts = np.concatenate([a for _, a, _ in links])
        values = np.concatenate([v for _, _, v in links])
        # the row of each link's artifact in the table (a link of an artifact that the table
        # does not hold, saved between its queries, is left out)
        by_id = np.argsort(index, kind="stable")
        sorted_ids = index[by_id]
        at = np.minimum(np.searchsorted(sorted_ids, artifacts), max(n - 1, 0))
        inside = sorted_ids[at] == artifacts if n else np.zeros(len(artifacts), dtype=bool)
        rows = by_id[at[inside]]
        features, values = features[inside], values[inside]
        order = np.lexsort((rows, features))
        features, rows, values = features[order], rows[order], values[order]
        bounds = np.flatnonzero(np.diff(features)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(features)]))
    else:
        starts = ends = features = rows = values = np.empty(0, dtype=np.int64)
    segments = {int(features[s]): (s, e) for s, e in zip(starts.tolist(), ends.tolist())}
    for fid in feature_ids:
        column = np.full(n, math.nan, dtype=object)
        if fid in segments:
            s, e = segments[fid]
            column_rows, column_values = rows[s:e], values[s:e]
            # the first link of each (feature, artifact): most cells hold one value
            first = np.concatenate(([True], column_rows[1:] != column_rows[:-1]))
            cell_rows = column_rows[first]
            cells = np.fromiter(map(ValueSet, zip(column_values[first])), dtype=object, count=len(cell_rows))
            for i in np.flatnonzero(~first).tolist():  # the other values of a cell
                cells[np.searchsorted(cell_rows, column_rows[i])].add(column_values[i])
            column[cell_rows] = cells
        columns[fid] = column
    return columns


def _id_rows(table: str, columns: list[str], artifact_col: str, subquery: tuple, using: str,
             condition: str = "", params: list | None = None):
    """The integer ``columns`` of the rows of ``table`` whose ``artifact_col`` is in ``subquery``,
    as an array of shape (rows, columns): the database writes them as one text, numpy reads
    it (a tuple per row through the driver took twice as long)."""
    import numpy as np

    conn = connections[using]
    q = conn.ops.quote_name
    if conn.vendor == "postgresql":
        joined = " || ',' || ".join(f"{q(c)}::text" for c in columns)
        aggregate = f"string_agg({joined}, ',')"
    else:
        joined = " || ',' || ".join(q(c) for c in columns)
        aggregate = f"group_concat({joined}, ',')"
    sub_sql, sub_params = subquery
    sql = f"SELECT COUNT(*), {aggregate} FROM {q(table)} WHERE {q(artifact_col)} IN ({sub_sql}){condition}"
    with conn.cursor() as cursor:
        cursor.execute(sql, [*sub_params, *(params or [])])
        count, text = cursor.fetchone()
    if not count:
        return np.empty((0, len(columns)), dtype=np.int64)
    numbers = np.fromstring(text, dtype=np.int64, sep=",")
    if len(numbers) != count * len(columns):  # never: every column is an integer, none NULL
        raise RuntimeError(f"read {len(numbers)} ids of {count} rows of {table}")
    return numbers.reshape(count, len(columns))


def _rows_by_ids(table: str, columns: list[str], ids, using: str, condition: str = "", params: list | None = None) -> list:
    """The rows (``columns``, the first the primary key) of ``table`` whose key is in ``ids``
    (sorted, distinct): by the list of ids, or, where they are most of their range, by the range
    (filtered here)."""
    import numpy as np

    conn = connections[using]
    q = conn.ops.quote_name
    key = q(columns[0])
    select = f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}"
    low, high = int(ids[0]), int(ids[-1])
    with conn.cursor() as cursor:
        if len(ids) >= _DENSE * (high - low + 1):
            cursor.execute(f"{select} WHERE {key} BETWEEN %s AND %s{condition}", [low, high, *(params or [])])
            rows = cursor.fetchall()
            keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            keep = np.isin(keys, ids)
            return [row for row, kept in zip(rows, keep.tolist()) if kept]
        if conn.vendor == "postgresql":
            cursor.execute(f"{select} WHERE {key} = ANY(%s){condition}", [ids.tolist(), *(params or [])])
        else:
            cursor.execute(f"{select} WHERE {key} IN (SELECT value FROM json_each(%s)){condition}",
                           [json.dumps(ids.tolist()), *(params or [])])
        return cursor.fetchall()


def _q(using: str, name: str) -> str:
    return connections[using].ops.quote_name(name)

