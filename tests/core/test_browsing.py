"""The browsers' queries (``lamindb_core.browsing``): filter fields, conditions, pages, records."""

from __future__ import annotations

import pytest

from lamindb_core import errors
from lamindb_core.browsing import (
    MAX_LIMIT,
    Condition,
    QueryError,
    build_query,
    check_page,
    condition_q,
    fetch_page,
    filter_fields,
    get_record,
    include_paths,
    parse_filter,
    record_detail,
    registry_info,
    supports_features,
    whole_number,
)
from lamindb_core.errors import NotFound

PREFIX = "Browsing test "


@pytest.fixture
def many(instance):
    """25 labels ``Browsing test 00`` ... ``Browsing test 24``, saved in that order."""
    ln = instance
    records = [ln.ULabel(name=f"{PREFIX}{i:02d}") for i in range(25)]
    ln.save(records)
    return records


def names(qs) -> list[str]:
    return list(qs.values_list("name", flat=True))


# -- registries -------------------------------------------------------------------------------


def test_supports_features_only_for_artifact(instance):
    assert supports_features(instance.Artifact)
    assert not supports_features(instance.ULabel)


# -- fields and operators ---------------------------------------------------------------------


def test_filter_fields_are_own_fields_then_related_names(instance):
    fields = filter_fields(instance.ULabel)
    assert fields == [
        "uid", "id", "name", "is_concept", "description", "reference", "reference_type", "created_at",
        "run__name", "created_by__name",
    ]


def test_include_paths_name_every_relation_by_its_display_field(instance):
    paths = include_paths(instance.ULabel)
    assert {"created_by__name", "parents__name", "children__name", "artifacts__key"} <= set(paths)
    assert not any(p.startswith("space") for p in paths)


def test_registry_info_lists_the_lookups_the_panel_offers_for_each_field(instance):
    info = registry_info(instance.ULabel)
    assert info["python"] == "ln.ULabel" and info["variable"] == "ulabel"
    assert info["lookups"]["name"][:3] == ["icontains", "exact", "ne"]
    assert {"startswith", "istartswith", "in", "isnull"} <= set(info["lookups"]["name"])
    assert info["lookups"]["is_concept"] == ["exact", "isnull"]
    assert "gt" in info["lookups"]["created_at"] and "icontains" not in info["lookups"]["created_at"]


# -- conditions -------------------------------------------------------------------------------


def test_condition_q_unknown_field_names_the_closest(instance):
    with pytest.raises(QueryError, match=r"^ULabel has no filter field 'nme'\. Did you mean 'name'\? Fields: uid, id, name, is_concept"):
        condition_q(instance.ULabel, Condition("nme", "exact", "x"))


def test_condition_q_refuses_lookups_hidden_in_the_field_name(instance):
    with pytest.raises(QueryError, match=r"ULabel has no filter field 'name__regex'"):
        condition_q(instance.ULabel, Condition("name__regex", "exact", ".*"))


def test_condition_q_unknown_lookup_names_the_closest_and_lists_the_lookups(instance):
    # the lookups are Django's for the field, and ne; the widget's words are no lookups
    with pytest.raises(QueryError, match=r"^'startwith' is no lookup of ULabel\.name\. Did you mean 'startswith'\? Lookups: contains, endswith, exact, "):
        condition_q(instance.ULabel, Condition("name", "startwith", "x"))
    with pytest.raises(QueryError, match=r"^'starts with' is no lookup of ULabel\.name\..* ne, range, regex, startswith\.$"):
        condition_q(instance.ULabel, Condition("name", "starts with", "x"))
    with pytest.raises(QueryError, match=r"^'year' is no lookup of ULabel\.created_at\."):
        condition_q(instance.ULabel, Condition("created_at", "year", "2024"))


def test_condition_lookups_pass_through_to_django_case_sensitive_or_not(instance, labels):
    ULabel = instance.ULabel

    def matching(*conditions: Condition) -> list[str]:
        return sorted(names(build_query(ULabel, conditions=conditions)))

    assert matching(Condition("name", "startswith", "Cand")) == ["Candidate marker study 1"]
    assert matching(Condition("name", "startswith", "cand")) == []
    assert matching(Condition("name", "istartswith", "cand")) == ["Candidate marker study 1"]
    assert matching(Condition("name", "contains", "mso")) == []
    assert matching(Condition("name", "icontains", "mso")) == ["DMSO"]
    assert matching(Condition("name", "iexact", "dmso")) == ["DMSO"]
    assert matching(Condition("name", "regex", "^[DI]")) == ["DMSO", "IFNG"]
    assert matching(Condition("name", "in", "DMSO,IFNG"), Condition("name", "ne", "IFNG")) == ["DMSO"]
    dmso, ifng, study1 = labels
    assert matching(Condition("id", "range", f"{dmso.id},{ifng.id}")) == ["DMSO", "IFNG"]
    # a pattern on a number compares its digits, as Django does
    assert dmso.id in build_query(ULabel, conditions=[Condition("id", "contains", str(dmso.id))]).values_list("id", flat=True)


def test_parse_filter_splits_the_field_from_the_lookup(instance):
    ULabel = instance.ULabel
    assert parse_filter(ULabel, "name", "x") == Condition("name", "exact", "x")
    assert parse_filter(ULabel, "name__startswith", "C") == Condition("name", "startswith", "C")
    assert parse_filter(ULabel, "created_by__name__icontains", "t") == Condition("created_by__name", "icontains", "t")
    assert parse_filter(ULabel, "name__ne", "x") == Condition("name", "ne", "x")
    with pytest.raises(QueryError, match=r"^ULabel has no filter field 'nme'\. Did you mean 'name'\?"):
        parse_filter(ULabel, "nme__gt", "x")
    with pytest.raises(QueryError, match=r"^ULabel has no filter field 'name; DROP TABLE x'"):
        parse_filter(ULabel, "name; DROP TABLE x", "1")


def test_condition_on_a_boolean_with_a_bad_word_says_what_it_expects(instance):
    with pytest.raises(QueryError) as info:
        condition_q(instance.ULabel, Condition("is_concept", "exact", "maybe"))
    assert str(info.value) == "is_concept =: expected yes or no (true/false), got 'maybe'"
    # a QueryError is an InvalidArgument: callers that catch the library's errors catch it
    assert isinstance(info.value, errors.InvalidArgument)


def test_condition_values_are_converted_to_the_fields_type(instance, labels):
    ULabel = instance.ULabel
    dmso, ifng, study1 = labels
    study1.is_concept = True
    study1.save()

    def matching(*conditions: Condition) -> list[str]:
        return sorted(names(build_query(ULabel, conditions=conditions)))

    assert matching(Condition("is_concept", "exact", "yes")) == ["Candidate marker study 1"]
    assert matching(Condition("is_concept", "exact", "F"), Condition("name", "istartswith", "d")) == ["DMSO"]
    assert matching(Condition("name", "ne", "DMSO")) == ["Candidate marker study 1", "IFNG"]
    assert matching(Condition("name", "in", "DMSO, IFNG,")) == ["DMSO", "IFNG"]
    assert matching(Condition("id", "in", [dmso.id, ifng.id])) == ["DMSO", "IFNG"]
    assert matching(Condition("id", "gte", str(ifng.id))) == ["Candidate marker study 1", "IFNG"]
    assert matching(Condition("description", "isnull", ""), Condition("name", "iendswith", "NG")) == ["IFNG"]
    assert matching(Condition("description", "isnull", "no")) == []
    # a date without a time or zone is midnight UTC
    assert matching(Condition("created_at", "gt", "2000-01-01")) == ["Candidate marker study 1", "DMSO", "IFNG"]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Condition("id", "gt", "abc"), "id >: “abc” value must be an integer."),
        (Condition("id", "gt", "  "), "id >: a value is missing"),
        (Condition("name", "in", " , "), "name in: list the values, separated by commas"),
        (Condition("created_at", "lt", "yesterday"), "created_at <: "),
        (Condition("is_concept", "isnull", "perhaps"), "is_concept is null: expected yes or no"),
        # int() reads these; no database does (issue 10, item 17)
        (Condition("id", "gt", "١٢"), "id >: “١٢” value must be an integer."),
        (Condition("id", "exact", "1_000"), "id =: “1_000” value must be an integer."),
        (Condition("id", "in", f"1,{2**64}"), f"id in: {2**64} is out of range: whole numbers from {-2**63} to {2**63 - 1}"),
        (Condition("id", "in", [1, 2**63]), f"id in: {2**63} is out of range"),
        (Condition("id", "lt", "9" * 5000), "id <: 99999999999999999999… (5000 digits) is out of range"),
    ],
)
def test_condition_bad_values_name_the_field_and_operator(instance, condition, message):
    with pytest.raises(QueryError) as info:
        condition_q(instance.ULabel, condition)
    assert str(info.value).startswith(message)


# -- queries and pages ------------------------------------------------------------------------


def test_build_query_is_newest_first_and_searches_the_registry(instance, labels):
    ULabel = instance.ULabel
    assert names(build_query(ULabel))[:3] == ["Candidate marker study 1", "IFNG", "DMSO"]
    assert names(build_query(ULabel, search="  "))[:3] == ["Candidate marker study 1", "IFNG", "DMSO"]
    assert names(build_query(ULabel, search="Cand"))[:1] == ["Candidate marker study 1"]


def test_build_query_with_a_bad_condition_raises_before_querying(instance):
    with pytest.raises(QueryError, match="Did you mean 'name'"):
        build_query(instance.ULabel, conditions=[Condition("nmae", "exact", "x")])


def test_fetch_page_walks_through_every_record_with_has_more_and_totals(instance, many):
    qs = build_query(instance.ULabel, conditions=[Condition("name", "startswith", PREFIX)])
    pages = [fetch_page(qs, offset, 10) for offset in (0, 10, 20)]
    assert [p.offset for p in pages] == [0, 10, 20]
    assert [p.rows for p in pages] == [10, 10, 5]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [p.total for p in pages] == [25, 25, 25]
    seen = [name for p in pages for name in p.df["name"]]
    assert seen == [f"{PREFIX}{i:02d}" for i in range(24, -1, -1)]
    assert [i for p in pages for i in p.ids] == [r.id for r in reversed(many)]
    # a page exactly at the end has nothing more; past the end is empty with the real total
    last = fetch_page(qs, 15, 10)
    assert (last.rows, last.has_more, last.total) == (10, False, 25)
    beyond = fetch_page(qs, 40, 10)
    assert (beyond.rows, beyond.has_more, beyond.total) == (0, False, 25)
    assert beyond.columns == pages[0].columns and "id" not in beyond.columns
    assert fetch_page(qs, 40, 10, count=False).total == 25


def test_fetch_page_without_count_knows_the_total_only_on_the_last_page(instance, many):
    qs = build_query(instance.ULabel, conditions=[Condition("name", "startswith", PREFIX)])
    first = fetch_page(qs, 0, 10, count=False)
    assert first.has_more and first.total is None
    assert fetch_page(qs, 20, 10, count=False).total == 25


def test_fetch_page_leaves_out_bookkeeping_columns_and_adds_includes(instance, labels):
    dmso, ifng, _ = labels
    dmso.children.add(ifng)
    qs = build_query(instance.ULabel, conditions=[Condition("name", "exact", "DMSO")])
    page = fetch_page(qs, 0, 5, include=["children__name"])
    assert page.columns == [str(c) for c in page.df.columns]
    assert {"uid", "name", "children__name"} <= set(page.columns)
    assert not {"aux", "space_id", "_branch_code"} & set(page.columns)
    assert page.columns[0] == "uid" and "id" not in page.columns  # the id is the index
    assert page.ids == [dmso.id]
    assert set(page.df["children__name"].iloc[0]) == {"IFNG"}


def test_fetch_page_unknown_include_is_a_query_error(instance, labels):
    with pytest.raises(QueryError, match="parnts__name"):
        fetch_page(build_query(instance.ULabel), 0, 5, include=["parnts__name"])


def test_fetch_page_orders_a_search_that_found_nothing(instance, labels):
    page = fetch_page(build_query(instance.ULabel, search="zzzzqqqq no such label"), 0, 5)
    assert (page.rows, page.has_more, page.total) == (0, False, 0)


@pytest.mark.parametrize(
    ("offset", "limit", "message"),
    [
        (-1, 10, f"offset must be between 0 and {2**63 - 1}, got -1"),
        (2**63, 10, f"offset must be between 0 and {2**63 - 1}, got {2**63}"),
        (0, 0, f"limit must be between 1 and {MAX_LIMIT}, got 0"),
        (0, MAX_LIMIT + 1, f"limit must be between 1 and {MAX_LIMIT}, got {MAX_LIMIT + 1}"),
    ],
)
def test_check_page_says_what_is_out_of_range(instance, offset, limit, message):
    with pytest.raises(QueryError) as info:
        check_page(offset, limit)
    assert str(info.value) == message
    with pytest.raises(QueryError):
        fetch_page(build_query(instance.ULabel), offset, limit)


# -- records ----------------------------------------------------------------------------------


def test_get_record_by_id_uid_or_stub(instance, labels):
    dmso = labels[0]
    ULabel = instance.ULabel
    assert get_record(ULabel, dmso.id) == dmso
    assert get_record(ULabel, str(dmso.id)) == dmso
    assert get_record(ULabel, dmso.uid) == dmso


def test_get_record_unknown_is_not_found(instance, labels):
    with pytest.raises(NotFound, match=r"^no ULabel record with id or uid 99999999$"):
        get_record(instance.ULabel, "99999999")
    with pytest.raises(NotFound, match=r"^no ULabel record with id or uid 'zzzzzzzz'$"):
        get_record(instance.ULabel, "zzzzzzzz")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("20", 20), ("+7", 7), ("007", 7), (" 12 ", 12), ("-0", 0), (str(2**63 - 1), 2**63 - 1)],
)
def test_whole_number_reads_the_digits_0_to_9(text, expected):
    assert whole_number(text, "offset", 0, 2**63 - 1) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("²", "offset must be a whole number (digits 0-9), got '²'"),
        ("١٢", "offset must be a whole number (digits 0-9), got '١٢'"),
        ("1_000", "offset must be a whole number (digits 0-9), got '1_000'"),
        ("1e3", "offset must be a whole number (digits 0-9), got '1e3'"),
        ("", "offset must be a whole number (digits 0-9), got ''"),
        ("-1", f"offset must be between 0 and {2**63 - 1}, got -1"),
        (str(2**63), f"offset must be between 0 and {2**63 - 1}, got {2**63}"),
        ("9" * 5000, f"offset must be between 0 and {2**63 - 1}, got 99999999999999999999… (5000 digits)"),
    ],
)
def test_whole_number_says_what_is_wrong(text, message):
    with pytest.raises(QueryError) as info:
        whole_number(text, "offset", 0, 2**63 - 1)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("idlike", "message"),
    [
        ("²", "a record id must be a whole number (digits 0-9), got '²'"),
        ("١٢", "a record id must be a whole number (digits 0-9), got '١٢'"),
        (str(2**63), f"a record id must be between 1 and {2**63 - 1}, got {2**63}"),
        (2**63, f"a record id must be between 1 and {2**63 - 1}, got {2**63}"),
    ],
)
def test_get_record_refuses_ids_no_database_holds(instance, labels, idlike, message):
    with pytest.raises(QueryError) as info:
        get_record(instance.ULabel, idlike)
    assert str(info.value) == message


def test_a_search_page_far_past_the_end_is_empty_with_the_real_total(instance, many):
    # the search fetched 10 x (offset + limit) candidates: beyond a bigint at large offsets
    offset = 2**63 - 1
    page = fetch_page(build_query(instance.ULabel, search=PREFIX, search_limit=offset + 21), offset, 20)
    assert (page.rows, page.has_more) == (0, False)
    assert page.total == build_query(instance.ULabel, search=PREFIX).count()


def test_record_detail_path_is_where_an_artifacts_data_is(instance, tmp_path):
    ln = instance
    file = tmp_path / "detail.txt"
    file.write_text("detail path")
    artifact = ln.Artifact(file, key="browsing/detail.txt").save()
    detail = record_detail(artifact)
    assert detail["path"] == str(artifact.path) == str(artifact.storage.root) + f"/.lamindb/{artifact.uid}.txt"
    assert record_detail(ln.ULabel(name="no data").save())["path"] is None

