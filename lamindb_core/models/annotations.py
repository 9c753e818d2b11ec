"""Features and labels of artifacts: annotate, read back, describe.

``artifact.features`` and ``artifact.labels`` are managers built here; so are
the feature columns of ``Artifact.df(features=True)`` (``ArtifactQuerySet``)
and ``artifact.describe()``. Every read is a fixed number of queries: one for
feature values, one per label link table, one for the dtypes; never one per
artifact or feature.

The artifact registry comes in as an argument (``type(artifact)``, ``qs.model``):
its link tables, to feature values and to each label registry, are read from
its relations, so this module sits below ``artifact.py``, which imports it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from .. import errors, progress
from ..bulk import insert_link_rows
from ..dtypes import CatTarget, check_value, infer_dtype, is_missing, parse_dtype, plain_value, text_problem
from ..introspect import name_field
from ..valueset import ValueSet
from .feature import Feature
from .feature_value import FeatureValue
from .feature_filter import filter_by_features
from .feature_set import remove_from_schemas
from .links import label_links, value_links

__all__ = [
    "FeatureManager",
    "BulkFeatureManager",
    "FeaturesDescriptor",
    "annotate",
    "decode_value",
    "label_links",
    "value_links",
]


def _hash_value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return base64.urlsafe_b64encode(hashlib.md5(text.encode()).digest()).decode()[:22]


def _as_list(value: Any, dtype: str) -> list:
    if dtype == "dict" and isinstance(value, Mapping):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays, pandas Series
        converted = value.tolist()
        return converted if isinstance(converted, list) else [converted]
    return [value]


def _feature_map(names: Iterable[str]) -> dict[str, Feature]:
    names = list(dict.fromkeys(names))
    return {f.name: f for f in Feature.objects.filter(name__in=names)}


def _check_pairs(pairs: list, artifact_model: type | None) -> type:
    """Refuse keys that are not saved records of ``artifact_model`` (a label whose
    id is an artifact's would otherwise annotate that artifact) and values that are
    not dicts; return the artifact model."""
    if artifact_model is None:
        artifact_model = type(pairs[0][0])
    name = artifact_model.__name__
    for artifact, values in pairs:
        if not isinstance(artifact, artifact_model):
            raise errors.InvalidArgument(
                f"add_values(): keys must be saved {name} records, got {artifact!r} ({type(artifact).__name__})"
            )
        if artifact.pk is None or artifact._state.adding:
            raise errors.ValidationError(f"add_values(): {artifact!r} is not saved yet: save the {name} first")
        if not isinstance(values, Mapping):
            raise errors.InvalidArgument(
                f"add_values(): the values for {artifact!r} must be a dict of feature names to values, "
                f"got {values!r} ({type(values).__name__})"
            )
    return artifact_model


def _check_exist(artifact_model: type, artifacts: list) -> None:
    """Refuse artifacts that were deleted since they were loaded (their links
    would break a foreign key): one query per 5,000 artifacts."""
    ids = list(dict.fromkeys(a.pk for a in artifacts))
    found: set = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found.update(artifact_model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
    gone = [a for a in artifacts if a.pk not in found]
    if gone:
        raise errors.ValidationError(f"add_values(): {gone[0]!r} no longer exists in the database")


def _check_names(pairs: list) -> list[str]:
    """Problems with feature names that are no strings, or strings that no
    database can store (querying for them would fail)."""
    problems = []
    for name in dict.fromkeys(name for _, values in pairs for name in values):
        if not isinstance(name, str):
            problems.append(f"feature names are strings, got {name!r} ({type(name).__name__})")
        elif text_problem(name):
            problems.append(f"feature name {name!r}: {text_problem(name)}")
    return problems


def _missing_problem(name: str, dtype: str, item: Any) -> str:
    return (
        f"{name} ({dtype}): {item!r}: a missing value is not stored; leave the feature out "
        "for this artifact (with pandas: values = row.dropna().to_dict())"
    )


def _refuse_unknown(pairs: list, features: dict[str, Feature]) -> None:
    """Raise LaminDB 1.0's error for keys that are no features, with the line that creates each."""
    unknown: dict[str, Any] = {}
    for _, values in pairs:
        for name, value in values.items():
            if name not in features and name not in unknown:
                unknown[name] = value
    if not unknown:
        return
    hint = "\n".join(f"  ln.Feature(name='{n}', dtype='{infer_dtype(v)}').save()" for n, v in unknown.items())
    all_names = list(Feature.objects.values_list("name", flat=True)[:1000])
    # typos only ('temprature'): a new feature that shares a word with one is no near miss
    close = "".join(errors.closest_match_hint(n, all_names, cutoff=0.8) for n in list(unknown)[:3])
    raise errors.ValidationError(
        f"These keys could not be validated: {list(unknown)}\nHere is how to create a feature:\n\n{hint}"
        + (f"\n{close.strip()}" if close else "")
    )


def _unresolved_message(unresolved: dict[type, list[str]]) -> str:
    # LaminDB 1.0's error for label names that no record holds, with the lines that create them
    values = [v for vs in unresolved.values() for v in dict.fromkeys(vs)]
    lines = []
    for registry, names in unresolved.items():
        names = list(dict.fromkeys(names))
        label = registry._meta.app_label
        prefix = "ln" if label == "core" else label
        variable = f"{registry.__name__.lower()}s"
        lines.append(f"  {variable} = {prefix}.{registry.__name__}.from_values({names}, create=True)\n  ln.save({variable})")
    what = "ulabels" if list(unresolved) and all(r.__name__ == "ULabel" for r in unresolved) else "records"
    return f"These values could not be validated: {values}\nHere is how to create {what} for them:\n\n" + "\n".join(lines)


def annotate(
    pairs: Iterable[tuple[models.Model, Mapping[str, Any]]], artifact_model: type | None = None
) -> None:
    """Add feature values to artifacts, all in one transaction.

    Args:
        pairs: ``(artifact, {feature name: value or list of values})`` pairs.
        artifact_model: The registry the artifacts must belong to; by default
            that of the first one.

    A missing value (``None``, NaN, ``pd.NA``, ``pd.NaT``) is refused rather
    than dropped or stored: leave the feature out for that artifact. Values that
    no database stores faithfully are refused too: infinite numbers, NaN or sets
    inside a dict, text with a NUL character or a lone surrogate.

    Concurrent calls with the same new values (several processes annotating at
    once) succeed: values and links that another call inserted first are reused.

    Raises:
        ln.errors.InvalidArgument: a key is not an artifact, or its values are
            not a dict; nothing is written.
        ln.errors.ValidationError: an artifact is not saved, or deleted; or,
            listing every unknown feature and every invalid value at once
            (one alone reads as in LaminDB: ``Expected dtype for 'x' is 'date',
            got 'cat ? str'``). Nothing is written.
        TypeError: a value of a categorical feature is neither a string nor a
            record (LaminDB's error).
    """
    pairs = list(pairs)
    if not pairs:
        return
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise errors.InvalidArgument(
                f"add_values() takes {{artifact: {{feature name: value}}}} or (artifact, values) pairs, got {pair!r}"
            )
    artifact_model = _check_pairs(pairs, artifact_model)
    pairs = [(a, dict(v)) for a, v in pairs]
    name_problems = _check_names(pairs)
    if name_problems:
        raise errors.ValidationError("cannot add feature values:\n  - " + "\n  - ".join(name_problems))
    features = _feature_map(name for _, values in pairs for name in values)
    problems: list[str] = []
    alone: dict[str, str] = {}  # LaminDB's message for a problem when it is the only one
    any_label: tuple = ()  # the label registries, for features of a bare "cat" (looked up once)
    _refuse_unknown(pairs, features)
    parsed = {name: parse_dtype(f.dtype) for name, f in features.items()}
    values_wanted: list[tuple[models.Model, Feature, Any, str]] = []
    hashes: dict[tuple[type, Any], str] = {}
    # per label registry: (artifact, feature, record or string to resolve)
    labels_wanted: dict[type, list[tuple[models.Model, Feature, Any]]] = {}
    strings: dict[tuple[CatTarget, ...], dict[str, None]] = {}
    # the checks below are per artifact and value; the writes after them are a few statements
    for artifact, values in progress.track(pairs, "checking feature values", unit="artifact"):
        for name, value in values.items():
            feature = features.get(name)
            if feature is None:
                continue
            dtype = parsed[name]
            if isinstance(dtype, str):
                for item in _as_list(value, dtype):
                    item = plain_value(item)
                    if is_missing(item):
                        problems.append(_missing_problem(name, dtype, item))
                        continue
                    try:
                        stored = check_value(dtype, item)
                    except ValueError as exc:
                        problems.append(f"{name} ({dtype}): {item!r}: {exc}")
                        inferred = infer_dtype(item)
                        if inferred != dtype and not (dtype == "str" and inferred == "cat ? str"):  # another type
                            alone[problems[-1]] = f"Expected dtype for '{name}' is '{feature.dtype}', got '{inferred}'"
                        continue
                    try:  # the same value for many artifacts: hashed once
                        key = (type(stored), stored)
                        h = hashes.get(key)
                        if h is None:
                            h = hashes[key] = _hash_value(stored)
                    except TypeError:  # a dict
                        h = _hash_value(stored)
                    values_wanted.append((artifact, feature, stored, h))
                continue
            # LaminDB's bare "cat" takes records of any label registry (its dtype then says which)
            if feature.dtype.strip() == "cat":
                any_label = any_label or tuple(label_links(artifact_model))
                models_ok = any_label
            else:
                models_ok = tuple(t.model for t in dtype)
            for item in _as_list(value, "cat"):
                item = item if isinstance(item, models.Model) else plain_value(item)
                if is_missing(item):
                    problems.append(_missing_problem(name, feature.dtype, item))
                elif isinstance(item, models.Model):
                    if not isinstance(item, models_ok):
                        problems.append(
                            f"{name} ({feature.dtype}): {item!r} is a {type(item).__name__} record"
                        )
                    elif item.pk is None:
                        problems.append(f"{name}: {item!r} is not saved yet")
                        alone[problems[-1]] = f"Please save {item!r} before annotation."
                    else:
                        labels_wanted.setdefault(type(item), []).append((artifact, feature, item))
                elif isinstance(item, str) and text_problem(item):
                    problems.append(f"{name} ({feature.dtype}): {item!r}: {text_problem(item)}")
                elif isinstance(item, str):
                    strings.setdefault(tuple(dtype), {})[item] = None  # in the order of the data
                    labels_wanted.setdefault(tuple(dtype), []).append((artifact, feature, item))
                else:
                    raise TypeError(f"Value for feature '{name}' with type '{feature.dtype}' must be a string or record.")
    # resolve strings against their registries: one query per registry
    resolved: dict[tuple[tuple[CatTarget, ...], str], models.Model] = {}
    unresolved: dict[type, list[str]] = {}
    not_found: list[str] = []
    for targets, wanted in strings.items():
        remaining = set(wanted)
        for target in targets:
            if not remaining:
                break
            field = target.match_field()
            for record in target.model.objects.filter(**{f"{field}__in": sorted(remaining)}):
                key = getattr(record, field)
                resolved[(targets, key)] = record
                remaining.discard(key)
        if remaining:
            unresolved.setdefault(targets[0].model, []).extend(v for v in wanted if v in remaining)
            names = [n for n, f in features.items() if tuple(parsed[n]) == targets]
            where = " or ".join(f"{t.model.__name__}.{t.match_field()}" for t in targets)
            registry = targets[0].model.__name__
            not_found.append(
                f"{', '.join(names)}: {', '.join(repr(v) for v in sorted(remaining))} not found in {where}; "
                f"create them first, e.g. ln.save([ln.{registry}(name=v) for v in {sorted(remaining)!r}])"
            )
    if problems:
        problems.extend(not_found)
        if len(problems) == 1 and problems[0] in alone:
            raise errors.ValidationError(alone[problems[0]])
        raise errors.ValidationError("cannot add feature values:\n  - " + "\n  - ".join(problems))
    if unresolved:
        raise errors.ValidationError(_unresolved_message(unresolved))
    _check_exist(artifact_model, [a for a, _ in pairs])
    links = label_links(artifact_model)
    by_registry: dict[type, list[tuple[models.Model, Feature, models.Model]]] = {}
    for key, items in labels_wanted.items():
        for artifact, feature, item in items:
            record = resolved[(key, item)] if isinstance(item, str) else item
            by_registry.setdefault(type(record), []).append((artifact, feature, record))
    no_link = [registry.__name__ for registry in by_registry if registry not in links]
    if no_link:
        raise errors.ValidationError(f"{artifact_model.__name__} has no link table to {', '.join(no_link)}")
    with transaction.atomic():
        settle_bare_cat([t for triples in by_registry.values() for t in triples])
        _save_feature_values(values_wanted, value_links(artifact_model))
        # the link tables in one order, so that concurrent calls cannot deadlock
        for registry in sorted(by_registry, key=lambda r: links[r][1]._meta.db_table):
            _save_label_links(links[registry], by_registry[registry])


def _feature_value_ids(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """``{(feature id, hash): FeatureValue id}`` for those of ``keys`` that exist."""
    found = FeatureValue.objects.filter(
        feature_id__in={k[0] for k in keys}, hash__in={k[1] for k in keys}
    ).values_list("feature_id", "hash", "id")
    return {(fid, h): pk for fid, h, pk in found if (fid, h) in keys}


def _save_feature_values(wanted: list[tuple[models.Model, Feature, Any, str]], through: type[models.Model]) -> None:
    # through: the artifact registry's link table to FeatureValue
    if not wanted:
        return
    keys = {(f.id, h) for _, f, _, h in wanted}
    existing = _feature_value_ids(keys)
    new = {}
    for _, feature, value, h in wanted:
        if (feature.id, h) not in existing and (feature.id, h) not in new:
            new[(feature.id, h)] = FeatureValue(feature=feature, value=value, hash=h)
    if new:
        # Another process may insert the same values at the same time: its row
        # wins the unique (feature, hash) and ours is skipped (ON CONFLICT DO
        # NOTHING; on PostgreSQL the insert waits for the other transaction), so
        # the ids are read back afterwards. Sorted, so that concurrent calls take
        # the rows' locks in one order and cannot deadlock.
        FeatureValue.objects.bulk_create([new[k] for k in sorted(new)], ignore_conflicts=True)
        existing.update(_feature_value_ids(set(new)))
        lost = set(new) - set(existing)
        if lost:  # only if a concurrent call deleted them again
            raise errors.ValidationError(
                f"cannot add feature values: {len(lost)} value(s) were deleted while they were added; try again"
            )
    # links that exist already (or that a concurrent call inserts) are skipped
    rows = dict.fromkeys((artifact.id, existing[(feature.id, h)]) for artifact, feature, _, h in wanted)
    insert_link_rows(through, ("artifact_id", "featurevalue_id"), sorted(rows), skip_existing=True)


def settle_bare_cat(triples: list) -> None:
    """Give features of LaminDB's bare dtype ``cat`` the registries of the labels now linked
    for them (``cat[ULabel]``, ``cat[bio.CellType]``), as LaminDB does on the first labels.

    Args:
        triples: ``(artifact, feature or None, label record)``, about to be linked.
    """
    registries: dict[int, tuple[Feature, dict[str, None]]] = {}
    for _, feature, record in triples:
        if feature is not None and feature.dtype.strip() == "cat":
            registries.setdefault(feature.pk, (feature, {}))[1][CatTarget(type(record), None).display] = None
    for feature, names in registries.values():
        feature.dtype = f"cat[{'|'.join(names)}]"
        Feature.objects.filter(pk=feature.pk).update(dtype=feature.dtype)


def _save_label_links(link: tuple[str, type, str, str], triples: list) -> None:
    _, through, artifact_fk, label_fk = link
    artifact_ids = {a.id for a, _, _ in triples}
    label_ids = {r.id for _, _, r in triples}
    existing = set(
        through.objects.filter(**{f"{artifact_fk}_id__in": artifact_ids, f"{label_fk}_id__in": label_ids})
        .values_list(f"{artifact_fk}_id", f"{label_fk}_id", "feature_id")
    )
    rows = {}
    for artifact, feature, record in triples:
        key = (artifact.id, record.id, feature.id if feature is not None else None)
        if key not in existing:
            rows[key] = None
    # a concurrent call may insert the same links: skipped, in one order (see above)
    ordered = sorted(rows, key=lambda row: (row[0], row[1], row[2] is None, row[2] or 0))
    insert_link_rows(through, (f"{artifact_fk}_id", f"{label_fk}_id", "feature_id"), ordered, skip_existing=True)
    # a label added without a feature and now for one has one link, for the feature (as LaminDB 1.0)
    with_feature = {(a, r) for a, r, f in rows if f is not None} | {(a, r) for a, r, f in existing if f is not None}
    if with_feature and any(f is None for *_, f in existing):
        stale = [(a, r) for a, r, f in existing if f is None and (a, r) in with_feature]
        for artifact_id, label_id in stale:
            through.objects.filter(
                **{f"{artifact_fk}_id": artifact_id, f"{label_fk}_id": label_id, "feature__isnull": True}
            ).delete()


# rows fetched at a time by _rows: the rows of a large table never are all in memory at once
_FETCH = 10_000


def _rows(queryset: models.QuerySet) -> Iterator[tuple]:
    """The rows of a ``values_list`` queryset as the database returns them, without
    Django's per-value converters (a JSON column stays JSON text), ``_FETCH`` at a time."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # a condition that no row can meet, such as the id of an unsaved artifact
        return
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH):
            yield from rows


def decode_value(text: Any) -> Any:
    """A feature value from its JSON text: numbers and strings without escapes (nearly all
    values) without the JSON parser, which took most of a large table's time."""
    if isinstance(text, str) and text:
        first = text[0]
        if first == '"' and "\\" not in text:
            return text[1:-1]
        if first in "-0123456789":
            try:
                return int(text) if text.lstrip("-").isdigit() else float(text)
            except ValueError:
                pass
    value = json.loads(text) if isinstance(text, (str, bytes)) else text
    if isinstance(value, (dict, list)):  # not hashable: shown as its JSON
        value = JSONText(json.dumps(value, sort_keys=True))
    return value


def _values_of(
    artifact_ids_or_subquery, names: list[str] | None, artifact_model: type, using: str = DEFAULT_DB_ALIAS
) -> tuple[dict, dict]:
    """``{feature name: {artifact id: set of values}}`` and ``{feature name: (id, dtype, is_cat)}``.

    Feature values come in one query, one row per link, fetched ``_FETCH`` at a
    time; each distinct JSON text is decoded once. Labels come in one ``UNION ALL``
    query over the link tables of the registries that the features' dtypes name,
    and only those. With the query for the features (or their categorical dtypes),
    three or four queries.
    """
    features = Feature.objects.using(using)
    meta_by_id: dict[int, tuple[str, str]] = {}
    if names is not None:
        meta_by_id = {fid: (name, dtype) for fid, name, dtype in features.filter(name__in=names).values_list("id", "name", "dtype")}
        if not meta_by_id:
            return {}, {}
        cat_dtypes = {dtype for _, dtype in meta_by_id.values() if dtype.startswith("cat")}
    else:
        cat_dtypes = set(features.filter(dtype__startswith="cat").values_list("dtype", flat=True).distinct())
    cells: dict[int, dict[int, set]] = {}
    fv = value_links(artifact_model).objects.using(using).filter(artifact_id__in=artifact_ids_or_subquery)
    if names is not None:
        fv = fv.filter(featurevalue__feature_id__in=list(meta_by_id))
    decoded: dict[str, Any] = {}
    column: dict[int, set] = {}
    column_id = None
    for artifact_id, feature_id, text in _rows(
        fv.values_list("artifact_id", "featurevalue__feature_id", "featurevalue__value").order_by()
    ):
        value = decoded.get(text, _MISSING)
        if value is _MISSING:
            value = decoded[text] = decode_value(text)
        # as _fill_cells, inline: once per link row
        if feature_id != column_id:
            column_id = feature_id
            column = cells.get(feature_id)
            if column is None:
                column = cells[feature_id] = {}
        found = column.get(artifact_id)
        if found is None:
            column[artifact_id] = ValueSet((value,))
        else:
            found.add(value)
    registries = cat_registries(cat_dtypes)
    parts = []
    for registry, (_, through, artifact_fk, label_fk) in label_links(artifact_model, using).items():
        if registry not in registries:
            continue
        links = through.objects.using(using).filter(**{f"{artifact_fk}_id__in": artifact_ids_or_subquery})
        if names is not None:
            links = links.filter(feature_id__in=list(meta_by_id))
        else:
            links = links.filter(feature__isnull=False)
        field = f"{label_fk}__{name_field(registry)}"
        parts.append(links.values_list(f"{artifact_fk}_id", "feature_id", field).order_by())
    if parts:
        union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        _fill_cells(cells, _rows(union))
    if names is None and cells:
        meta_by_id = {fid: (name, dtype) for fid, name, dtype in features.filter(id__in=list(cells)).values_list("id", "name", "dtype")}
    by_name = {meta_by_id[fid][0]: column for fid, column in cells.items() if fid in meta_by_id}
    meta = {name: (fid, dtype, dtype.startswith("cat")) for fid, (name, dtype) in meta_by_id.items() if name in by_name or names is not None}
    return by_name, meta


_MISSING = object()


def cat_registries(cat_dtypes: set[str]) -> set[type]:
    """The registries that the categorical dtypes ``cat_dtypes`` name (``cat[ULabel|bio.CellType]``),
    leaving out those that are not installed any more."""
    registries = set()
    for dtype in cat_dtypes:
        try:
            registries.update(t.model for t in parse_dtype(dtype))
        except (ValueError, LookupError):  # a registry that is not installed any more
            continue
    return registries


class JSONText(str):
    """The JSON text of a ``dict`` value: hashable, so that it fits in a cell's
    set of values; ``get_values()`` decodes it back to the dict."""

    def decode(self) -> Any:
        """The value itself."""
        return json.loads(self)


def _fill_cells(cells: dict[int, dict[int, set]], rows: Iterable[tuple[int, int, Any]]) -> None:
    # one set per (feature, artifact) from (artifact id, feature id, value) rows; called for
    # every link, so no setdefault that builds a throwaway dict and set each time
    column: dict[int, set] = {}
    column_id = None
    for artifact_id, feature_id, value in rows:
        if feature_id != column_id:
            column_id = feature_id
            column = cells.get(feature_id)
            if column is None:
                column = cells[feature_id] = {}
        found = column.get(artifact_id)
        if found is None:
            column[artifact_id] = ValueSet((value,))
        else:
            found.add(value)


def _temporal(value: Any, dtype: str) -> Any:
    # the ISO text of a date or datetime feature's value (or a set of them) as a Python date or datetime
    parse = {"date": dt.date.fromisoformat, "datetime": dt.datetime.fromisoformat}.get(dtype)
    if parse is None:
        return value
    if isinstance(value, set):
        return {parse(v) if isinstance(v, str) else v for v in value}
    return parse(value) if isinstance(value, str) else value


def _single(values: set) -> Any:
    if any(isinstance(v, JSONText) for v in values):
        # dicts: no set can hold them; several come as a list, in the order of their JSON
        decoded = [v.decode() if isinstance(v, JSONText) else v for v in sorted(values, key=str)]
        return decoded[0] if len(decoded) == 1 else decoded
    return next(iter(values)) if len(values) == 1 else values


class FeatureManager:
    """``artifact.features``: add, read and remove feature values of one artifact.

    Example:
        >>> artifact.features.add_values({"temperature": 21.6, "study": "Candidate marker study 1"})
        >>> artifact.features.get_values()
        {'study': 'Candidate marker study 1', 'temperature': 21.6}
    """

    def __init__(self, artifact: models.Model):
        self.artifact = artifact

    def add_values(self, values: Mapping[str, Any]) -> None:
        """Add values: numbers, strings, dates (ISO strings or dates), dicts, or
        labels (records, or names of existing records) for categorical features.
        A list (or array) of values adds each of them.

        The whole call is atomic; unknown features and invalid values raise one
        error that lists all of them, and nothing is written.

        A missing value (``None``, NaN, ``pd.NA``, ``pd.NaT``) is an error, not
        silently dropped: JSON and the databases have no NaN, and storing it as
        ``null`` would read back as something else. Leave the feature out for this
        artifact instead, e.g. ``artifact.features.add_values(row.dropna().to_dict())``
        for a pandas row. Infinite numbers, NaN or sets inside a dict, dict keys
        that are not strings, and text with a NUL character or a lone surrogate
        are refused alike, on SQLite and PostgreSQL.

        Raises:
            ln.errors.ValidationError: unknown features, values that do not fit
                their dtype or cannot be stored; the message names each feature
                and value.
        """
        if not isinstance(values, Mapping):
            raise errors.InvalidArgument(f"add_values() takes a dict of feature names to values, got {type(values).__name__}")
        if getattr(self.artifact, "kind", None) not in (None, "dataset"):
            raise errors.ValidationError("Can only set features for dataset-like artifacts.")
        annotate([(self.artifact, values)], type(self.artifact))

    def __getitem__(self, slot: str) -> models.QuerySet:
        """The members of the schema (feature set) linked for ``slot``: ``"columns"`` of a
        DataFrame, ``"obs"`` or ``"var"`` of an AnnData.

        Raises:
            ValueError: no schema is linked for ``slot``.

        Example:
            >>> artifact.features["columns"].df()
        """
        links = self.artifact.feature_sets.through.objects.filter(artifact=self.artifact, slot=slot)
        link = links.select_related("featureset").first()
        if link is None:
            raise ValueError(
                f"No linked feature set for slot: {slot}\nDid you get validation warnings? Only features that "
                "match registered features get validated and linked."
            )
        return link.featureset.members

    def add_schema(self, schema: models.Model, slot: str) -> None:
        """Link a saved schema (feature set) to the artifact for ``slot``.

        Raises:
            ValueError: the artifact or the schema is not saved.

        Example:
            >>> artifact.features.add_schema(schema, slot="columns")
        """
        if self.artifact._state.adding or self.artifact.pk is None:
            raise ValueError("Please save the artifact or collection before adding a feature set!")
        if schema._state.adding or schema.pk is None:
            raise ValueError("Please save the schema before adding it to an artifact!")
        through = self.artifact.feature_sets.through
        link = through.objects.filter(artifact=self.artifact, featureset=schema).first()
        if link is None:
            through(artifact=self.artifact, featureset=schema, slot=slot).save()
        elif link.slot != slot:
            link.slot = slot
            link.save()

    add_feature_set = add_schema  # LaminDB 1.0's earlier name

    def make_external(self, feature: Feature) -> None:
        """Take ``feature`` out of the schemas that hold it, so that it can be renamed
        (its values and labels stay); a schema left empty is deleted.

        Raises:
            TypeError: ``feature`` is not a Feature.

        Example:
            >>> artifact.features.make_external(ln.Feature.get(name="old_name"))
        """
        if not isinstance(feature, Feature):
            raise TypeError("feature must be a Feature record!")
        with transaction.atomic():
            remove_from_schemas(feature)

    def get_values(self) -> dict[str, Any]:
        """``{feature name: value}``; a set where a feature has several values.

        The values are those that were added: numbers, strings, label names,
        ``datetime.date`` and ``datetime.datetime`` objects for ``date`` and
        ``datetime`` features (stored as ISO text, as LaminDB returns them), and
        for ``dict`` features the dict itself (a list of dicts
        where there are several, as a set cannot hold them). No value is ever
        NaN: ``add_values`` refuses missing values instead of storing them.

        Example:
            >>> artifact.features.add_values({"temperature": 21.6, "params": {"alpha": 0.5}})
            >>> artifact.features.get_values()
            {'params': {'alpha': 0.5}, 'temperature': 21.6}
        """
        cells, meta = _values_of([self.artifact.pk], None, type(self.artifact))
        return {
            name: _temporal(_single(by_id[self.artifact.pk]), meta[name][1]) for name, by_id in sorted(cells.items())
        }

    def remove_values(self, feature: str | Feature, value: Any = None) -> None:
        """Remove the values of a feature (or only ``value``) from this artifact."""
        if isinstance(feature, str):
            try:
                feature = Feature.objects.get(name=feature)
            except Feature.DoesNotExist:
                raise errors.ValidationError(f"unknown feature {feature!r}") from None
        artifact = self.artifact
        value_hash = None
        if value is not None and not feature.dtype.startswith("cat"):
            try:
                value_hash = _hash_value(check_value(feature.dtype, plain_value(value)))
            except ValueError as exc:  # a value that add_values would refuse: no such value
                raise errors.ValidationError(f"{feature.name} ({feature.dtype}): {value!r}: {exc}") from None
        elif isinstance(value, str) and text_problem(value):
            raise errors.ValidationError(f"{feature.name} ({feature.dtype}): {value!r}: {text_problem(value)}")
        with transaction.atomic():
            fv_links = value_links(type(artifact)).objects.filter(artifact=artifact, featurevalue__feature=feature)
            if value_hash is not None:
                fv_links = fv_links.filter(featurevalue__hash=value_hash)
            fv_links.delete()
            for registry, (_, through, artifact_fk, label_fk) in label_links(type(artifact)).items():
                links = through.objects.filter(**{artifact_fk: artifact, "feature": feature})
                if value is not None:
                    if isinstance(value, models.Model):
                        if not isinstance(value, registry):
                            continue
                        links = links.filter(**{label_fk: value})
                    else:
                        links = links.filter(**{f"{label_fk}__{name_field(registry)}": value})
                links.delete()
            # values that no artifact has any more
            FeatureValue.objects.filter(feature=feature, links_artifact__isnull=True).delete()

    def __repr__(self) -> str:
        values = self.get_values()
        if not values:
            return "no linked features"
        return "\n".join(f"{name}: {value!r}" for name, value in values.items())


class BulkFeatureManager:
    """``ln.Artifact.features``: annotate many artifacts in one transaction.

    Example:
        >>> ln.Artifact.features.add_values({a1: {"temperature": 21.6}, a2: {"temperature": 22.6}})
    """

    def __init__(self, model: type):
        self.model = model

    def add_values(self, values: Mapping[models.Model, Mapping[str, Any]] | Iterable[tuple]) -> None:
        """Add values to many artifacts: a dict ``{artifact: {feature: value}}`` or
        ``(artifact, values)`` pairs. A few statements in all, not per artifact.

        The same rules as ``artifact.features.add_values`` apply, and all or nothing
        is written.

        Raises:
            ln.errors.InvalidArgument: a key is not a record of this registry
                (a ``ULabel`` is not an artifact, even where the ids coincide).
            ln.errors.ValidationError: an artifact is not saved (or was deleted),
                or a value is invalid.
        """
        pairs = list(values.items()) if isinstance(values, Mapping) else list(values)
        annotate(pairs, self.model)

    def filter(self, **expressions) -> models.QuerySet:
        """Artifacts by feature values and labels: ``temperature=21.6``,
        ``temperature__gt=21``, ``project="project_1"``, ``disease=record``; all must hold.

        Raises:
            ln.errors.ValidationError: a key is not a feature.
            ln.errors.DoesNotExist: no label has the name given for a categorical feature.

        Example:
            >>> ln.Artifact.features.filter(temperature__gt=21, cell_medium="DMSO").df()
        """
        return filter_by_features(self.model, expressions)

    def get(self, **expressions) -> models.Model:
        """The one artifact with these feature values; see ``filter``.

        Example:
            >>> ln.Artifact.features.get(project="project_1")
        """
        return filter_by_features(self.model, expressions).one()


class FeaturesDescriptor:
    """``Artifact.features``: a manager of one artifact's features, or on the
    class the bulk manager."""

    def __get__(self, instance, owner):
        if instance is None:
            return BulkFeatureManager(owner)
        return FeatureManager(instance)
