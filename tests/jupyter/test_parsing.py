"""parsing.py: words, values as users mean them, Q expressions, options, registries."""

from __future__ import annotations

import pytest
from django.db.models import Q
from IPython.core.error import UsageError

from lamindb_jupyter.parsing import (
    Option,
    Word,
    check_brackets,
    expand_variables,
    find_registry,
    parse_conditions,
    parse_options,
    parse_value,
    split_words,
)


def conditions(line: str, ns: dict | None = None, model=None):
    return parse_conditions(split_words(line), ns or {}, model)


# -- words -----------------------------------------------------------------------------


def test_split_words_groups_quoted_text_and_remembers_it():
    words = split_words('get ULabel name="Candidate marker study 1" x=.h5ad')
    assert [w.text for w in words] == ["get", "ULabel", "name=Candidate marker study 1", "x=.h5ad"]
    assert words[2].quoted == ((5, 29),)
    assert not words[3].any_quoted


def test_split_words_keeps_backslashes_and_hashes():
    assert [w.text for w in split_words(r"name__regex=^\d+ key=a#b")] == [r"name__regex=^\d+", "key=a#b"]


def test_split_words_unclosed_quote_is_a_usage_error():
    with pytest.raises(UsageError, match="No closing quotation"):
        split_words('get ULabel name="Cand')


def test_split_words_empty_quotes_are_an_empty_quoted_word():
    (word,) = split_words('""')
    assert word.text == "" and word.fully_quoted


# -- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1e4", 10000.0),
        ("42", 42),
        ("-3", -3),
        ("2.5", 2.5),
        ("True", True),
        ("False", False),
        ("None", None),
        (".h5ad", ".h5ad"),
        ("2024-12-01", "2024-12-01"),
        ("[.jpg,.fastq.gz]", [".jpg", ".fastq.gz"]),
        ("[1,2]", [1, 2]),
        ("[]", []),
    ],
)
def test_parse_value_means_what_it_looks_like(written, value):
    (word,) = split_words(written)
    assert parse_value(word, {}) == value


def test_parse_value_quoted_is_always_text():
    for written, text in (('"1"', "1"), ('"True"', "True"), ("'None'", "None"), ('"[a,b]"', "[a,b]")):
        (word,) = split_words(written)
        assert parse_value(word, {}) == text


def test_parse_value_list_elements_may_be_quoted():
    (word,) = split_words("""x=["a, b",'c',1]""")
    assert parse_value(word.slice(2), {}) == ["a, b", "c", 1]


def test_parse_value_on_a_text_field_an_unquoted_number_stays_text():
    assert parse_value(Word("12345678"), {}, text_field=True) == "12345678"
    assert parse_value(Word("None"), {}, text_field=True) is None


def test_parse_value_whole_variable_is_the_object():
    record = object()
    assert parse_value(Word("{study1}"), {"study1": record}) is record
    assert parse_value(Word("$study1"), {"study1": record}) is record
    assert parse_value(Word("{ids[1]}"), {"ids": [5, 6]}) == 6


def test_parse_value_variables_inside_text_become_text():
    ns = {"folder": "raw", "n": 1}
    assert parse_value(Word("{folder}/x.fastq"), ns) == "raw/x.fastq"
    (word,) = split_words('"study $n"')
    assert parse_value(word, ns) == "study 1"
    assert expand_variables("{{literal}} $$5", ns) == "{literal} $5"


def test_parse_value_unknown_variable_names_the_closest():
    with pytest.raises(UsageError, match="there is no variable 'stdy1' in the notebook. Did you mean 'study1'"):
        parse_value(Word("{stdy1}"), {"study1": 1})


def test_parse_value_never_calls_anything():
    called = []
    ns = {"f": lambda: called.append(1)}
    assert parse_value(Word("{f()}"), ns) == "{f()}"  # not a variable: left as text
    assert called == []


def test_parse_value_empty_unquoted_value_explains_how_to_write_one():
    with pytest.raises(UsageError, match='write name="" for empty text or name=None'):
        parse_value(Word(""), {}, key="name")


# -- conditions ------------------------------------------------------------------------


def test_parse_conditions_plain_ones_are_keyword_arguments():
    assert conditions("suffix=.h5ad size__gt=1e4") == ([], {"suffix": ".h5ad", "size__gt": 10000.0})


def test_parse_conditions_quoted_or_expression():
    queries, kwargs = conditions('"suffix=.jpg | suffix=.fastq.gz" size__gt=10')
    assert queries == [Q(suffix=".jpg") | Q(suffix=".fastq.gz")]
    assert kwargs == {"size__gt": 10}


def test_parse_conditions_bare_operators_and_parentheses():
    queries, kwargs = conditions("~suffix=.jpg (size__gt=10 | size__lt=1) & key=x")
    assert queries == [~Q(suffix=".jpg"), Q(size__gt=10) | Q(size__lt=1)]
    assert kwargs == {"key": "x"}


def test_parse_conditions_or_without_spaces_and_negated_groups():
    queries, _ = conditions('"suffix=.jpg|~(suffix=.gz & size=1)"')
    assert queries == [Q(suffix=".jpg") | ~(Q(suffix=".gz") & Q(size=1))]


def test_parse_conditions_words_after_a_condition_in_quotes_continue_its_value():
    queries, _ = conditions('"name=Candidate marker study 1 | name=DMSO"')
    assert queries == [Q(name="Candidate marker study 1") | Q(name="DMSO")]


def test_parse_conditions_values_in_expressions_may_be_quoted_and_hold_operators():
    queries, _ = conditions(""""name='a | b' | name=c" description="x & y" """)
    assert queries == [Q(name="a | b") | Q(name="c")]
    assert conditions('description="x & y"')[1] == {"description": "x & y"}


def test_parse_conditions_records_from_the_notebook():
    study = object()
    assert conditions("ulabels={study1}", {"study1": study})[1]["ulabels"] is study


def test_parse_conditions_repeated_key_goes_into_q():
    queries, kwargs = conditions("size__gt=1 size__gt=2")
    assert kwargs == {"size__gt": 1} and queries == [Q(size__gt=2)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("DMSO", "expected field=value, got 'DMSO'"),
        ("suffix!=.jpg", "write ~suffix=.jpg to negate"),
        ("size>10", "write size__gt=10"),
        ("size<=10", "write size__lte=10"),
        ("suffix=.jpg |", "a condition is missing at the end"),
        ("(suffix=.jpg", "a '(' is not closed"),
        ("suffix=.jpg )", "unexpected ')'"),
        ("| suffix=.jpg", "unexpected '|'"),
        ("na-me=1", "'na-me' is not a field name"),
        ("suffix__in=[.jpg", "a list ends with ']'"),
    ],
)
def test_parse_conditions_mistakes_are_usage_errors(line, message):
    with pytest.raises(UsageError) as info:
        conditions(line)
    assert message in str(info.value)


def test_parse_conditions_text_fields_keep_unquoted_numbers_as_text(instance):
    assert conditions("uid=12345678 id=3 name__in=[1,2]", model=instance.ULabel)[1] == {
        "uid": "12345678", "id": 3, "name__in": ["1", "2"],
    }
    assert conditions("created_by__handle=007", model=instance.Artifact)[1] == {"created_by__handle": "007"}
    assert conditions("description__isnull=True", model=instance.ULabel)[1] == {"description__isnull": True}


# -- options ---------------------------------------------------------------------------

OPTIONS = (
    Option("--include", "many", "path", ""),
    Option("--features", "flag+", "feature", ""),
    Option("--limit", "one", "int", "", "N"),
    Option("--as", "one", "name", "", "NAME"),
)


def options(line: str):
    found, rest = parse_options(split_words(line), OPTIONS, "filter")
    return found, [w.text for w in rest]


def test_parse_options_takes_values_up_to_the_next_condition():
    assert options("--include ulabels__name created_by__name suffix=.h5ad --limit 5") == (
        {"include": ["ulabels__name", "created_by__name"], "limit": 5}, ["suffix=.h5ad"],
    )


def test_parse_options_flag_with_optional_values_and_inline_values():
    assert options("--features") == ({"features": True}, [])
    assert options("--features temperature study") == ({"features": ["temperature", "study"]}, [])
    assert options("--limit=none x=1") == ({"limit": None}, ["x=1"])
    assert options('--features "suffix=.jpg | suffix=.gz"')[0] == {"features": True}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--limt 5", "%ln filter has no option --limt. Did you mean '--limit'?"),
        ("--limit", "--limit needs a value: --limit N"),
        ("--limit ten", "--limit must be a positive whole number (at most 1000000000) or none, got 'ten'"),
        ("--limit -1", "--limit must be a positive whole number (at most 1000000000) or none, got '-1'"),
        # issue 10, item 22: 1e99 reached the database ("datatype mismatch")
        ("--limit 1e99", "--limit must be a positive whole number (at most 1000000000) or none, got '1e99'"),
        ("--limit 1.5", "--limit must be a positive whole number (at most 1000000000) or none, got '1.5'"),
        ("--limit 0", "--limit must be a positive whole number (at most 1000000000) or none, got '0'"),
        ("--limit ١٢", "--limit must be a positive whole number (at most 1000000000) or none, got '١٢'"),
        ("--limit 1000000001", "--limit must be a positive whole number (at most 1000000000) or none"),
        ("--as 1abc", "--as takes a Python name, got '1abc'"),
    ],
)
def test_parse_options_mistakes_are_usage_errors(line, message):
    with pytest.raises(UsageError) as info:
        options(line)
    assert message in str(info.value)


# -- registries --------------------------------------------------------------------------


def test_find_registry_by_name_module_and_case(instance):
    ln = instance
    assert find_registry("ULabel") is ln.ULabel
    assert find_registry("ln.ULabel") is ln.ULabel
    assert find_registry("core.Artifact") is ln.Artifact
    assert find_registry("ulabel") is ln.ULabel
    assert find_registry("User") is ln.User


def test_find_registry_unknown_names_the_closest_and_lists_all(instance):
    with pytest.raises(UsageError) as info:
        find_registry("Artefact")
    message = str(info.value)
    assert message.startswith("no registry 'Artefact' in this instance. Did you mean 'Artifact'? Registries: Artifact, ")
    assert "Collection" in message and "ULabel" in message


def test_parse_options_limit_is_a_whole_number_of_digits():
    assert options("--limit 1000000000")[0] == {"limit": 1_000_000_000}
    assert options("--limit 007")[0] == {"limit": 7}
    assert options("--limit all")[0] == {"limit": None}


# -- brackets (issue 10, items 19 and 22) ----------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "filter ULabel name=f(x) suffix__in=[.jpg,.gz] ulabels={study1}",
        "filter ULabel ( name=a | name=b ) & ~(name=c)",
        'search ULabel "[T cell" "{Jr3{J1 ~x["',
        "filter ULabel name={{literal",
        "filter ULabel name=literal}}",
        "filter ULabel name={x[0]}",
    ],
)
def test_check_brackets_accepts_pairs_quotes_and_escaped_braces(line):
    check_brackets(split_words(line))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("search ULabel {Jr3{J1 ~x[",
         "'{' in '{Jr3{J1' is not closed: write {var} for a variable, {{ for a literal {, or quote the text"),
        ("search ULabel [T cell",
         "'[' in '[T' is not closed: close it, or put text with brackets in quotes, as in \"[T\""),
        ("search ULabel (a", "'(' in '(a' is not closed: close it, or put text with brackets in quotes, as in \"(a\""),
        ("filter ULabel name=[a", "'[' in 'name=[a' is not closed: close it, or put text with brackets in quotes, as in name=\"[a\""),
        ("filter ULabel name=a)", "')' in 'name=a)' closes nothing: put text with brackets in quotes, as in name=\"a)\""),
        ("filter ULabel name=[a}", "'}' in 'name=[a}' does not close '[': close '[' with ']'"),
        ("filter ULabel name='x\"[' y=[", "'[' in 'y=[' is not closed"),
    ],
)
def test_check_brackets_names_the_lone_bracket(line, message):
    with pytest.raises(UsageError) as info:
        check_brackets(split_words(line))
    assert str(info.value).startswith(message), str(info.value)
