"""Tab completion inside %ln, through the shell's Completer (IPython's matcher API v2)."""

from __future__ import annotations


import pytest
from IPython.core.completer import provisionalcompleter


def test_completer_subcommands_after_ln(completions):
    assert completions("%ln fi") == ["filter"]
    assert {"filter", "get", "search", "lookup", "view", "browse", "track", "connect", "info", "help"} <= set(
        completions("%ln ")
    )


def test_completer_registry_names(completions):
    assert completions("%ln filter UL") == ["ULabel"]
    assert "Artifact" in completions("%ln get ")
    assert completions("%ln help fil") == ["filter"]


def test_completer_fields_end_with_equals(completions):
    assert completions("%ln filter Artifact suf") == ["suffix="]
    assert "name=" in completions("%ln get ULabel na")


def test_completer_related_fields_after_double_underscore(completions):
    found = completions("%ln filter Artifact created_by__")
    assert {"created_by__handle=", "created_by__name=", "created_by__uid=", "created_by__isnull="} <= set(found)
    assert completions("%ln filter Artifact created_by__ha") == ["created_by__handle="]
    assert "ulabels__name=" in completions("%ln filter Artifact ulabels__na")


def test_completer_lookups_of_a_field(completions):
    found = completions("%ln filter Artifact suffix__")
    assert {"suffix__in=", "suffix__startswith=", "suffix__icontains=", "suffix__isnull="} <= set(found)
    assert completions("%ln filter Artifact size__g") == ["size__gt=", "size__gte="]


def test_completer_private_fields_only_when_typed(completions):
    assert not any(c.startswith("_") for c in completions("%ln filter Artifact "))
    assert "_branch_code=" in completions("%ln filter Artifact _br")


def test_completer_after_operators_and_in_quoted_expressions(completions):
    assert completions("%ln filter Artifact ~suf") == ["suffix="]
    assert completions('%ln filter Artifact "suffix=.jpg | suf') == ["suffix="]
    assert completions("df = %ln filter Artifact suf") == ["suffix="]


def test_completer_options_and_their_values(completions):
    assert completions("%ln filter Artifact --") == ["--features", "--help", "--include", "--limit", "--order-by"]
    assert completions("%ln filter Artifact --include ul") == ["ulabels__"]
    assert "ulabels__name" in completions("%ln filter Artifact --include ulabels__na")
    assert completions("%ln filter Artifact --order-by -crea") == ["-created_at", "-created_by__"]
    assert "name" in completions("%ln search ULabel cand --field ")
    assert completions("%ln init --") == ["--db", "--help", "--modules", "--name", "--storage"]
    assert completions("%ln init --storage ./x --modules b") == ["bio"]


def test_completer_feature_names_after_features(completions, artifacts):
    assert completions("%ln filter Artifact suffix=.h5ad --features te") == ["temperature"]


def test_completer_values_of_an_indexed_text_field(shell, completions, labels):
    text = '%ln get ULabel name="Cand'
    assert completions(text) == ['"Candidate marker study 1"', '"Candidate marker study 2"']
    with provisionalcompleter():
        (first, _) = list(shell.Completer.completions(text, len(text)))
    assert text[first.start:first.end] == '"Cand'  # the whole value is replaced, quote included
    assert completions("%ln get ULabel name=DM") == ["DMSO"]
    assert completions("%ln filter ULabel name=Cand") == ['"Candidate marker study 1"', '"Candidate marker study 2"']
    assert completions("%ln filter ULabel name__startswith=cand") == [
        '"Candidate marker study 1"', '"Candidate marker study 2"',
    ]


def test_completer_values_inside_a_quoted_expression_use_the_other_quote(completions, labels):
    assert completions('%ln filter ULabel "name=DMSO | name=\'Cand') == [
        "'Candidate marker study 1'", "'Candidate marker study 2'",
    ]


def test_completer_values_are_limited(shell, completions, instance):
    from lamindb_jupyter.completer import VALUE_LIMIT

    instance.save([instance.ULabel(name=f"Batch {i:03d}") for i in range(VALUE_LIMIT + 15)])
    found = completions('%ln get ULabel name="Batch')
    assert len(found) == VALUE_LIMIT and found[0] == '"Batch 000"'


def test_completer_bool_values_and_notebook_variables(shell, completions, labels):
    assert completions("%ln filter ULabel is_concept=") == ["False", "True"]
    shell.user_ns["study1"] = labels["Candidate marker study 1"]
    assert completions("%ln filter Artifact ulabels={stu") == ["{study1}"]
    assert completions("%ln filter Artifact ulabels=$stu") == ["$study1"]
    assert "{In}" not in completions("%ln filter Artifact ulabels={")


def test_completer_cell_magic_lines(shell, labels):
    text = "%%ln\nfilter ULabel name=DMSO\nget ULabel na"
    with provisionalcompleter():
        found = [c.text for c in shell.Completer.completions(text, len(text))]
    assert "name=" in found


def test_completer_connect_offers_registered_instances(completions, instance):
    assert instance.setup.settings.instance.slug in completions("%ln connect ")


def test_completer_outside_the_magic_leaves_python_alone(shell, completions):
    shell.user_ns["suffix_value"] = 1
    assert "suffix_value" in completions("suffix_v")


def test_completer_unknown_registry_or_subcommand_offers_nothing(completions):
    assert completions("%ln filter Nope suf") == []
    assert completions("%ln nope suf") == []


def test_completer_lookup_objects_complete_attributes_and_keys(shell, run, completions, labels):
    run("%ln lookup ULabel")
    assert "candidate_marker_study_1" in completions("ulabels.cand")
    assert "candidate_marker_study_2" in completions("ulabels.cand")
    keys = completions('ulabels["Cand')
    assert any("Candidate marker study 1" in k for k in keys)


def test_completer_is_removed_on_unload(shell):
    matcher = shell._lamindb_jupyter["matcher"]
    assert matcher in shell.Completer.custom_matchers
    shell.run_cell("%unload_ext lamindb_jupyter")
    assert matcher not in shell.Completer.custom_matchers
    shell.run_cell("%load_ext lamindb_jupyter")
