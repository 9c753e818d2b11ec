"""``lookup``: attributes named after values, Tab completion, ``dict()``, duplicates, bad input."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lamindb_core import lookup as lookup_module
from lamindb_core.lookup import joined_identifiers, to_identifier, to_identifiers
from lamindb_core.query import JOINED_SEPARATOR, fetch_joined_column


@pytest.fixture
def guide_labels(instance):
    """The guide's labels: DMSO, IFNG, Candidate marker study 1 and 2."""
    ln = instance
    records = [ln.ULabel(name=n) for n in ("DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2")]
    ln.save(records)
    return records


def test_lookup_attribute_gives_the_record_as_in_the_guide(instance, guide_labels):
    ulabels = instance.ULabel.lookup()
    study1 = ulabels.candidate_marker_study_1
    assert isinstance(study1, instance.ULabel)
    assert study1.name == "Candidate marker study 1"
    assert study1.uid == guide_labels[2].uid
    assert ulabels.dmso.name == "DMSO"


def test_lookup_identifiers():
    assert to_identifier("Candidate marker study 1") == "candidate_marker_study_1"
    assert to_identifier("B cell") == "b_cell"
    assert to_identifier("ADGB-DT") == "adgb_dt"
    assert to_identifier("1st sample") == "ln_1st_sample"
    assert to_identifier("class") == "ln_class"
    assert to_identifier("dict") == "ln_dict"
    assert to_identifier("  naïve T cell (CD4+) ") == "naive_t_cell_cd4"
    assert to_identifier("???") is None


def test_lookup_keywords_and_leading_digits_are_prefixed(instance):
    ln = instance
    ln.save([ln.ULabel(name=n) for n in ("class", "2nd screen", "dict")])
    lookup = ln.ULabel.lookup()
    assert lookup.ln_class.name == "class"
    assert lookup.ln_2nd_screen.name == "2nd screen"
    assert lookup.ln_dict.name == "dict"
    assert callable(lookup.dict)


def test_lookup_attributes_are_real_and_listed(instance, guide_labels):
    lookup = instance.ULabel.lookup()
    assert hasattr(type(lookup), "candidate_marker_study_2")  # a class attribute, not __getattr__
    assert {"dmso", "ifng", "candidate_marker_study_1", "candidate_marker_study_2", "dict"} <= set(dir(lookup))
    assert lookup._ipython_key_completions_() == [
        "DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2"
    ]
    with pytest.raises(AttributeError):
        lookup.no_such_label


def test_lookup_tab_completion_in_ipython(instance, guide_labels):
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["ulabels"] = instance.ULabel.lookup()
    with provisionalcompleter():
        dotted = [c.text for c in shell.Completer.completions("ulabels.cand", 12)]
        keyed = [c.text for c in shell.Completer.completions('ulabels["Cand', 13)]
    assert "candidate_marker_study_1" in dotted and "candidate_marker_study_2" in dotted
    assert any(text.startswith("Candidate marker study 1") for text in keyed)


def test_lookup_getitem_by_raw_value(instance, guide_labels):
    lookup = instance.ULabel.lookup()
    assert lookup["Candidate marker study 1"].uid == guide_labels[2].uid
    with pytest.raises(KeyError, match="'DMS0' is not a value of ULabel.name. Did you mean 'DMSO'?"):
        lookup["DMS0"]


def test_lookup_dict_maps_values_to_records(instance, guide_labels):
    mapping = instance.ULabel.lookup().dict()
    assert set(mapping) == {"DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2"}
    assert mapping["IFNG"].uid == guide_labels[1].uid


def test_lookup_return_field(instance, guide_labels):
    lookup = instance.ULabel.lookup(return_field="uid")
    assert lookup.dmso == guide_labels[0].uid
    assert lookup.dict()["IFNG"] == guide_labels[1].uid
    by_uid = instance.ULabel.lookup(field="uid", return_field=instance.ULabel.name)
    assert getattr(by_uid, to_identifier(guide_labels[0].uid)) == "DMSO"


def test_lookup_return_field_keeps_the_field_type(instance, guide_labels):
    # the rows are read with one fetchall; the fields' converters still apply (SQLite stores text)
    created = instance.ULabel.lookup(return_field="created_at")
    assert isinstance(created.dmso, datetime.datetime)
    assert created.dmso == instance.ULabel.get(name="DMSO").created_at
    assert instance.ULabel.lookup(return_field="is_concept").ifng is False


def test_lookup_of_no_records(instance, guide_labels):
    assert len(instance.ULabel.filter(name="no such label").lookup()) == 0
    assert dir(instance.ULabel.objects.none().lookup()) == ["dict"]


def test_lookup_duplicates_give_a_list_and_a_warning(instance, capsys):
    ln = instance
    ln.save([ln.ULabel(name=n) for n in ("B cell", "B-cell", "T cell")])
    lookup = ln.ULabel.lookup()
    out = capsys.readouterr().out
    assert "! 1 attribute of the ULabel.name lookup stands for several records and gives a list" in out
    assert "'B cell', 'B-cell'" in out
    assert sorted(r.name for r in lookup.b_cell) == ["B cell", "B-cell"]
    assert lookup.t_cell.name == "T cell"
    assert lookup["B-cell"].name == "B-cell"


def test_lookup_on_a_filtered_queryset(instance, guide_labels):
    lookup = instance.ULabel.filter(name__startswith="Candidate").lookup()
    assert sorted(dir(lookup)) == ["candidate_marker_study_1", "candidate_marker_study_2", "dict"]
    assert len(lookup) == 2


def test_lookup_default_field_of_other_registries(instance):
    ln = instance
    user_lookup = ln.User.lookup()
    handle = ln.User.filter().first().handle
    assert to_identifier(handle) in dir(user_lookup)
    storage = ln.Storage.filter().first()
    artifact = ln.Artifact(key="iris/iris_collection.parquet", suffix=".parquet", storage=storage).save()
    assert ln.Artifact.lookup().iris_iris_collection_parquet.uid == artifact.uid


def test_lookup_builds_from_one_query_and_loads_records_lazily(instance, guide_labels):
    with CaptureQueriesContext(connection) as captured:
        lookup = instance.ULabel.lookup()
    # (inside the test's transaction on PostgreSQL, the joined string under a savepoint)
    assert len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1
    with CaptureQueriesContext(connection) as queries:
        lookup.dmso
        lookup.dmso  # the second read is cached
    assert len(queries) == 1


def test_lookup_repr(instance, guide_labels):
    text = repr(instance.ULabel.lookup())
    assert text.splitlines()[0] == "Lookup of ULabel.name: 4 values"
    assert ".candidate_marker_study_1" in text


def test_lookup_registry_without_text_field(instance):
    from lamindb_core.models import ArtifactULabel

    with pytest.raises(instance.errors.FieldValidationError) as info:
        ArtifactULabel.lookup()
    message = str(info.value)
    assert message.startswith("ArtifactULabel has no text field to look up; pass field= one of:")
    assert "artifact" in message and "ulabel" in message


def test_lookup_unknown_field(instance):
    with pytest.raises(instance.errors.FieldValidationError, match="ULabel has no field 'nam'. Did you mean 'name'?"):
        instance.ULabel.lookup(field="nam")
    with pytest.raises(instance.errors.FieldValidationError, match="Feature.name is not a field of ULabel"):
        instance.ULabel.lookup(field=instance.Feature.name)


def test_lookup_identifiers_of_many_values_match_one_by_one(monkeypatch):
    # the batch path (all ASCII) and the one-value path must name every attribute alike
    values = [
        "Candidate marker study 1", "  B-cell  ", "__x__", "a__b", "_1x", "1st", "9", "class", "dict",
        "Dict", "async", "True", "???", "", "_", "x_\t(y)", "CD4+ T", "match", "Pilot screen 12",
    ]
    assert to_identifiers(values) == [to_identifier(v) for v in values]
    assert to_identifiers(values[:5] + ["naïve"]) == [to_identifier(v) for v in values[:5] + ["naïve"]]
    assert to_identifiers(["1st", "class", "???"]) == ["ln_1st", "ln_class", None]
    # a value that holds the batch's separator ("\x00") goes one by one
    assert to_identifiers(["a\x00b", "c", "\x00"]) == ["a_b", "c", None] == [to_identifier(v) for v in ["a\x00b", "c", "\x00"]]
    assert to_identifiers([]) == []
    rng = random.Random(0)
    many = ["".join(rng.choice("aZ09_ -+(.") for _ in range(rng.randint(0, 7))) for _ in range(3000)]
    for numpy_from in (1 << 40, 0):  # large values go through numpy: here none, then all
        monkeypatch.setattr(lookup_module, "_NUMPY_FROM", numpy_from)
        assert to_identifiers(values) == [to_identifier(v) for v in values]
        assert to_identifiers(many) == [to_identifier(v) for v in many]
    # values read as one string from the database: the same names; None if they do not
    # split into as many values as the rows (a value held the separator)
    for sep in (JOINED_SEPARATOR, "\x00"):
        assert joined_identifiers(sep.join(values), sep, len(values)) == [to_identifier(v) for v in values]
    assert joined_identifiers("naïve\x1fB-cell", "\x1f", 2) == ["naive", "b_cell"]
    assert joined_identifiers("a\x00b\x1fc", "\x1f", 2) == ["a_b", "c"]
    assert joined_identifiers("", "\x1f", 0) == []
    assert joined_identifiers("a\x1fb\x1fc", "\x1f", 2) is None
    assert joined_identifiers("naïve\x1fb\x1fc", "\x1f", 2) is None


def test_lookup_attribute_loads_its_record_once_and_completion_loads_none(instance, guide_labels):
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell

    lookup = instance.ULabel.lookup()
    shell = InteractiveShell.instance()
    shell.user_ns["ulabels_once"] = lookup
    with CaptureQueriesContext(connection) as queries:
        with provisionalcompleter():
            dotted = [c.text for c in shell.Completer.completions("ulabels_once.dm", 15)]
    assert "dmso" in dotted
    assert len(queries) == 0  # completing names reads no record
    with CaptureQueriesContext(connection) as queries:
        first, again = lookup.dmso, lookup.dmso
    assert first is again and first.name == "DMSO"
    assert len(queries) == 1
    # the lookup's own attributes are untouched by the attribute rows
    assert lookup._registry == "ULabel" and lookup._field == "name"
    assert "dmso" in vars(type(lookup))  # a class attribute; the instance gives the record


def _seen(lookup) -> dict:
    """What a user sees of a lookup: its names, records per attribute, raw values, length, repr."""
    names = [n for n in dir(lookup) if n != "dict"]
    records = {}
    for n in names:
        found = getattr(lookup, n)
        records[n] = sorted(r.uid for r in found) if isinstance(found, list) else found.uid
    mapping = {v: (sorted(r.uid for r in rs) if isinstance(rs, list) else rs.uid) for v, rs in lookup.dict().items()}
    return {"names": names, "records": records, "dict": mapping, "len": len(lookup), "repr": repr(lookup),
            "keys": lookup._ipython_key_completions_()}


def test_lookup_read_as_one_string_matches_the_rows(instance, capsys):
    # an unordered query reads the values joined in one string; an ordered one reads rows
    ln = instance
    names = ["DMSO", "naïve T cell", "B cell", "B-cell", "???", "1st", "class", "dict", "x\ty", "Ln class"]
    descriptions = ["solvent", None, "cells", "cells", None, None, "Cells!", None, None, None]
    ln.save([ln.ULabel(name=n, description=d) for n, d in zip(names, descriptions)])
    joined, rows = ln.ULabel.filter().lookup(), ln.ULabel.filter().order_by("id").lookup()
    assert fetch_joined_column(ln.ULabel.filter().values_list("name", "pk")) is not None  # the two ways
    assert fetch_joined_column(ln.ULabel.filter().order_by("id").values_list("name", "pk")) is None
    assert _seen(joined) == _seen(rows)
    warnings = [line for line in capsys.readouterr().out.splitlines() if "lookup" in line]
    assert len(warnings) == 2 and warnings[0] == warnings[1]
    assert "2 attributes of the ULabel.name lookup stand for several records" in warnings[0]
    assert sorted(r.name for r in joined.ln_class) == ["Ln class", "class"]
    # names that no two rows share: the first reads find their row without the index
    unique = ln.ULabel.filter(name__in=["DMSO", "naïve T cell", "1st", "dict", "x\ty", "???", "class"])
    first = unique.lookup()
    assert [first.x_y.name, first.dmso.name, first.ln_1st.name] == ["x\ty", "DMSO", "1st"]
    assert _seen(first) == _seen(unique.order_by("id").lookup())
    assert joined.naive_t_cell.name == "naïve T cell" and joined.x_y.name == "x\ty"
    assert sorted(r.name for r in joined.b_cell) == ["B cell", "B-cell"]
    assert joined["???"].name == "???" and not hasattr(joined, "_")
    # a field with None values (no attribute) and a value that two records hold (a list)
    by_description = ln.ULabel.lookup(field="description")
    assert sorted(dir(by_description)) == ["cells", "dict", "solvent"]
    assert sorted(r.name for r in by_description["cells"]) == ["B cell", "B-cell"]
    assert sorted(r.name for r in by_description.cells) == ["B cell", "B-cell", "class"]
    assert _seen(by_description) == _seen(ln.ULabel.filter().order_by("id").lookup(field="description"))
    assert len(ln.ULabel.filter(name="no such label").lookup()) == 0


def test_lookup_value_holding_the_separator_reads_rows(instance, guide_labels):
    ln = instance
    ln.ULabel(name=f"a{JOINED_SEPARATOR}b").save()
    with CaptureQueriesContext(connection) as captured:
        lookup = ln.ULabel.lookup()
    assert len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]) == 2  # string, rows
    assert lookup.a_b.name == f"a{JOINED_SEPARATOR}b" and lookup.dmso.name == "DMSO"
    assert lookup[f"a{JOINED_SEPARATOR}b"].name == f"a{JOINED_SEPARATOR}b"
    assert len(lookup) == 5


def test_lookup_reads_rows_when_the_database_refuses_the_string(instance, guide_labels, monkeypatch):
    # as for a string over the 1 GB that one value may hold: rows instead, and in a
    # transaction the next statements still run (PostgreSQL: under a savepoint)
    from django.db import transaction

    from lamindb_core import query

    refused = {vendor: "SELECT no_such_function({})" for vendor in query._JOINED_SQL}
    monkeypatch.setattr(query, "_JOINED_SQL", refused)
    with transaction.atomic():
        lookup = instance.ULabel.lookup()
        assert lookup.dmso.name == "DMSO" and len(lookup) == 4
        assert instance.ULabel.filter(name="IFNG").count() == 1
