"""The %ln magic through a real IPython shell: subcommands, settings, errors, %%ln."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from IPython.core.error import UsageError

from lamindb_jupyter.magics import MORE_ROWS, SUBCOMMANDS, LnMagic
from lamindb_jupyter.parsing import parse_options, split_words


def names(df: pd.DataFrame, column: str = "name") -> list:
    return list(df[column])


# -- filter --------------------------------------------------------------------------------


def test_filter_result_is_a_dataframe_bound_by_assignment(shell, run, labels):
    run("df = %ln filter ULabel name__startswith=Cand")
    df = shell.user_ns["df"]
    assert isinstance(df, pd.DataFrame)
    assert names(df) == ["Candidate marker study 1", "Candidate marker study 2"]
    assert df.index.name == "id" and df.attrs["registry"] == "core.ULabel"


def test_filter_result_is_the_cells_output(shell, run, labels):
    result = run("%ln filter ULabel name=DMSO")
    assert names(result.result) == ["DMSO"]


@pytest.mark.parametrize(
    ("conditions", "keys"),
    [
        ("suffix=.h5ad size__gt=1e4", ["example_datasets/dataset1.h5ad", "example_datasets/dataset2.h5ad"]),
        ("suffix__in=[.jpg,.fastq.gz]", ["images/my_image.jpg", "raw/my_fastq.fastq"]),
        ('"suffix=.jpg | suffix=.fastq.gz"', ["images/my_image.jpg", "raw/my_fastq.fastq"]),
        ("~suffix=.h5ad", ["images/my_image.jpg", "raw/my_fastq.fastq"]),
        ("size__lt=100 | size=29358", ["images/my_image.jpg", "raw/my_fastq.fastq"]),
        ("ulabels={study1}", ["example_datasets/dataset1.h5ad"]),
        ("ulabels__name=$name", ["example_datasets/dataset2.h5ad"]),
        ('ulabels__name="Candidate marker study 1" size__gt=1e4', ["example_datasets/dataset1.h5ad"]),
        ("created_by__handle={me.handle} key__startswith=ex", ["example_datasets/dataset1.h5ad", "example_datasets/dataset2.h5ad"]),
        ("n_observations=None suffix=.jpg", ["images/my_image.jpg"]),
    ],
)
def test_filter_values_are_typed_as_users_mean_them(shell, run, artifacts, labels, instance, conditions, keys):
    shell.user_ns.update(
        study1=labels["Candidate marker study 1"], name="Candidate marker study 2",
        me=instance.User.filter().first(),
    )
    run(f"df = %ln filter Artifact {conditions}")
    assert names(shell.user_ns["df"], "key") == keys


def test_filter_matches_the_library_call(shell, run, artifacts, instance):
    ln = instance
    run('df = %ln filter Artifact "suffix=.jpg | suffix=.fastq.gz"')
    expected = ln.Artifact.filter(ln.Q(suffix=".jpg") | ln.Q(suffix=".fastq.gz")).df()
    pd.testing.assert_frame_equal(shell.user_ns["df"], expected)


def test_filter_include_order_by_and_limit(shell, run, artifacts):
    run("df = %ln filter Artifact suffix=.h5ad --include ulabels__name created_by__handle --order-by -key --limit 1")
    df = shell.user_ns["df"]
    assert list(df.columns[-2:]) == ["ulabels__name", "created_by__handle"]
    assert names(df, "key") == ["example_datasets/dataset2.h5ad"]
    assert df["ulabels__name"].iloc[0] == {"Candidate marker study 2", "IFNG"}
    assert df.attrs[MORE_ROWS] is True


def test_filter_features_adds_typed_feature_columns(shell, run, artifacts):
    run("df = %ln filter Artifact suffix=.h5ad --features")
    df = shell.user_ns["df"]
    assert df.attrs["feature_dtypes"] == {"temperature": "float"}
    assert list(df["temperature"].map(str)) == ["nan", "{21.6}"]
    run("df = %ln filter Artifact suffix=.h5ad --features temperature")
    assert "temperature" in shell.user_ns["df"].columns


def test_filter_limit_setting_cuts_and_marks_the_table(shell, run, labels):
    run("%config LnMagic.limit = 2")
    run("df = %ln filter ULabel")
    df = shell.user_ns["df"]
    assert len(df) == 2 and df.attrs[MORE_ROWS] is True
    run("df = %ln filter ULabel --limit none")
    assert len(shell.user_ns["df"]) == 5 and MORE_ROWS not in shell.user_ns["df"].attrs


def test_filter_features_setting_applies_to_artifacts_only(shell, run, artifacts):
    run("%config LnMagic.features = True")
    run("df = %ln filter Artifact suffix=.h5ad")
    assert "temperature" in shell.user_ns["df"].columns
    run("df = %ln filter ULabel name=DMSO")  # no features for labels, and no error
    assert names(shell.user_ns["df"]) == ["DMSO"]


def test_settings_are_traitlets_listed_by_config(shell, capsys):
    shell.run_cell("%config LnMagic")
    out = capsys.readouterr().out
    assert "LnMagic.limit=<Int>" in out and "LnMagic.features=<Bool>" in out
    magic = shell._lamindb_jupyter["magic"]
    assert isinstance(magic, LnMagic) and (magic.limit, magic.features) == (100, False)


# -- get -------------------------------------------------------------------------------------


def test_get_by_uid_stub_id_and_fields(shell, run, labels):
    dmso = labels["DMSO"]
    for how in (dmso.uid, dmso.uid[:5], str(dmso.id), "name=DMSO", '"name=DMSO"', "{dmso.uid}"):
        shell.user_ns["dmso"] = dmso
        run(f"record = %ln get ULabel {how}")
        assert shell.user_ns["record"] == dmso, how
    run('record = %ln get ULabel name="Candidate marker study 1"')
    assert shell.user_ns["record"] == labels["Candidate marker study 1"]


def test_get_no_match_or_several_is_a_usage_error(shell, usage_error, labels):
    assert usage_error("%ln get ULabel name=nothing") == "No ULabel record matches name='nothing'"
    message = usage_error("%ln get ULabel name__startswith=Cand")
    assert message.startswith("More than one ULabel record matches")
    assert "for |, & and ~ use %ln filter" in usage_error('%ln get ULabel "name=DMSO | name=IFNG"')
    assert "needs a uid, an id or field=value" in usage_error("%ln get ULabel")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%ln fitler ULabel", "unknown subcommand 'fitler'. Did you mean 'filter'? Subcommands: filter, get,"),
        ("%ln filter ULabl", "no registry 'ULabl' in this instance. Did you mean 'ULabel'? Registries: "),
        ("%ln filter ULabel nme=DMSO", "ULabel has no field 'nme'. Did you mean 'name'?"),
        ("%ln filter ULabel name__startwith=C", "'startwith' is no lookup of ULabel.name. Did you mean 'startswith'?"),
        ("%ln filter Artifact --include created_by__nam", "User has no field 'nam'. Did you mean 'name'?"),
        ("%ln filter Artifact --order-by sufix", "Artifact has no field 'sufix'. Did you mean 'suffix'?"),
        ("%ln filter ULabel --limt 3", "%ln filter has no option --limt. Did you mean '--limit'?"),
        ('%ln filter ULabel name="DMSO', "No closing quotation"),
        ("%ln filter ULabel DMSO", "expected field=value, got 'DMSO'"),
        ("%ln filter ULabel name={nope}", "there is no variable 'nope' in the notebook"),
        ("%ln filter Artifact size__gt=big", "size"),
        ("%ln filter", "%ln filter needs a registry first"),
        ("%ln filter name=DMSO", "%ln filter needs a registry first, as in: %ln filter Artifact"),
        ("%ln filter ULabel --features", "features= is only available for Artifact"),
        ("%ln help nope", "unknown subcommand 'nope'"),
    ],
)
def test_bad_input_is_one_line_usage_error_without_traceback(shell, usage_error, capsys, labels, artifacts, cell, message):
    assert message in usage_error(cell)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "UsageError: " in captured.err


# -- search and lookup (issue 4) ---------------------------------------------------------------

def test_search_ranks_and_returns_the_library_result(shell, run, labels, instance):
    run('hits = %ln search ULabel "cand marker" --limit 5')
    hits = shell.user_ns["hits"]
    assert [r.name for r in hits][:2] == ["Candidate marker study 1", "Candidate marker study 2"]
    assert "score" in hits.df().columns
    run("hits = %ln search ULabel DMSO --field name --limit 1")
    assert [r.name for r in shell.user_ns["hits"]] == ["DMSO"]


def test_search_without_text_and_with_bad_field_are_usage_errors(shell, usage_error, labels):
    assert "%ln search needs a text" in usage_error("%ln search ULabel")
    assert "nme" in usage_error("%ln search ULabel DMSO --field nme")


def test_lookup_binds_a_lookup_object(shell, run, labels, capsys):
    run("%ln lookup ULabel")
    assert "ulabels = ln.ULabel.lookup()" in capsys.readouterr().out
    assert shell.user_ns["ulabels"].candidate_marker_study_1 == labels["Candidate marker study 1"]
    run("%ln lookup ULabel --field name --return-field uid --as labels")
    assert shell.user_ns["labels"].dmso == labels["DMSO"].uid


# -- view, browse, track, connect, info, help ------------------------------------------------------


def test_view_one_registry_and_a_dataframe(shell, run, capsys, labels, artifacts):
    run("%ln view ULabel --limit 2")
    out = capsys.readouterr().out
    assert "* module: core *" in out and "ULabel" in out
    run("df = %ln filter Artifact --features")
    run("%ln view {df}")
    run("%ln view User")
    assert "User: nothing to view" in capsys.readouterr().out


def test_browse_without_ipywidgets_is_a_usage_error(shell, usage_error, monkeypatch):
    # as if ipywidgets were not installed: None in sys.modules makes `import ipywidgets` fail
    # with ModuleNotFoundError, and the widget module is imported afresh
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    for name in ("lamindb_jupyter.widgets", "lamindb_jupyter.widgets.browser"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert usage_error("%ln browse") == "%ln browse needs ipywidgets, which is not installed: pip install ipywidgets"


def test_browse_returns_the_widget(shell, run, labels):
    import ipywidgets

    run("w = %ln browse ULabel")
    assert isinstance(shell.user_ns["w"], ipywidgets.DOMWidget)


def test_track_creates_a_transform_and_a_run(shell, run, instance):
    ln = instance
    run("%ln track pd7UR7Z8hoTq0000")
    assert ln.context.run is not None
    assert ln.context.transform.uid == "pd7UR7Z8hoTq0000"
    assert "must be exactly 16 characters long" in shell.run_cell("%ln track short").error_in_exec.args[0]


def test_connect_unknown_instance_lists_the_known_ones(shell, usage_error, instance):
    message = usage_error("%ln connect nobody/nothing")
    assert "nobody/nothing" in message and instance.setup.settings.instance.slug in message


@pytest.mark.no_rollback
def test_connect_switches_to_the_instance(shell, run, capsys, instance):
    slug = instance.setup.settings.instance.slug
    shell.user_ns["slug"] = slug
    run("%ln connect {slug}")
    assert instance.setup.settings.instance.slug == slug
    assert instance.ULabel.filter().count() >= 0  # the connection works again


def test_info_shows_the_instance(shell, run, capsys, instance):
    run("%ln info")
    out = capsys.readouterr().out
    assert f"Current instance: {instance.setup.settings.instance.slug}" in out


def test_help_lists_every_subcommand_with_an_example(shell, run, capsys):
    run("%ln help")
    out = capsys.readouterr().out
    for sub in SUBCOMMANDS.values():
        assert f"  {sub.name}" in out and sub.examples[0] in out
    run("%ln")
    assert capsys.readouterr().out == out
    assert all(name in LnMagic.ln.__doc__ for name in SUBCOMMANDS)  # %ln? shows it too


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_help_of_each_subcommand_shows_usage_options_and_examples(shell, run, capsys, name):
    sub = SUBCOMMANDS[name]
    run(f"%ln help {name}")
    out = capsys.readouterr().out
    assert out.startswith(f"%ln {name}") and "Examples:" in out
    for option in sub.options:
        assert option.name in out and option.help in out
    if name != "help":
        run(f"%ln {name} --help")
        assert capsys.readouterr().out == out


@pytest.mark.parametrize("example", [e for s in SUBCOMMANDS.values() for e in s.examples])
def test_every_example_in_the_help_parses(example):
    command = example.split("%ln ", 1)[1]
    words = split_words(command)
    sub = SUBCOMMANDS[words[0].text]
    parse_options(words[1:], sub.options, sub.name)


# -- %%ln ---------------------------------------------------------------------------------------------


def test_cell_magic_runs_one_command_per_line(shell, run, labels, capsys):
    result = run("%%ln\nfilter ULabel name=DMSO\n\n# a comment\nget ULabel name=IFNG")
    assert result.result == labels["IFNG"]
    assert "DMSO" in capsys.readouterr().out  # the first result was displayed


def test_cell_magic_error_names_the_line(shell, usage_error, labels):
    assert usage_error("%%ln\nfilter ULabel name=DMSO\nget ULabel nme=x").startswith("line 2: ULabel has no field 'nme'")


# -- read only ------------------------------------------------------------------------------------------


def test_magic_writes_nothing_but_track(shell, run, completions, labels, artifacts, capsys):
    from django.db import connection

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    cells = [
        "%ln filter Artifact suffix=.h5ad --include ulabels__name --features",
        "%ln get ULabel name=DMSO",
        "%ln view",
        "%ln info",
        "%ln help filter",
        "%%ln\nfilter ULabel\nget ULabel name=IFNG",
        '%ln search ULabel "cand"',
        "%ln lookup ULabel",
    ]
    with connection.execute_wrapper(record):
        for cell in cells:
            run(cell)
        completions('%ln get ULabel name="Cand')
        completions("%ln filter Artifact created_by__")
        shell.display_formatter.format(shell.user_ns.get("_"))
    assert statements, "the magic ran no query at all"
    writes = [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER")]
    assert writes == []


def test_semicolon_silences_the_output(shell, run, labels, capsys):
    result = run("%ln get ULabel name=DMSO;")  # the ; is not part of the value: DMSO is found
    assert result.result is None
    assert run("%%ln\nfilter ULabel name=DMSO\nget ULabel name=IFNG;").result is None


def test_question_mark_after_a_subcommand_shows_its_help(shell, run, capsys):
    run("%ln filter?")
    assert capsys.readouterr().out.startswith("%ln filter Registry")
    run("%ln get ??\n")
    assert capsys.readouterr().out.startswith("%ln get Registry")
    assert shell.transform_cell("x = 1 # %ln filter?\n") == "x = 1 # %ln filter?\n"


# -- brackets and limits (issue 10, items 19 and 22) ------------------------------------------

LIMIT_MESSAGE = "--limit must be a positive whole number (at most 1000000000) or none, got "


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        # IPython's check for a trailing ; tokenized the line as Python: a TokenError traceback
        ("%ln search ULabel {Jr3{J1 ~x[", "'{' in '{Jr3{J1' is not closed: write {var} for a variable"),
        ("found = %ln search ULabel {Jr3{J1 ~x[", "'{' in '{Jr3{J1' is not closed"),
        ("%%ln\nsearch ULabel {Jr3{J1 ~x[", "line 1: '{' in '{Jr3{J1' is not closed"),
        ("%ln search ULabel (a;", "'(' in '(a' is not closed"),
        ('%ln search ULabel """abc', 'No closing quotation in: search ULabel """abc'),
        ("%ln filter ULabel name=[DMSO", "'[' in 'name=[DMSO' is not closed: close it, or put text with brackets in quotes"),
        # the message spoke of search__in
        ("%ln search ULabel [T cell", '\'[\' in \'[T\' is not closed: close it, or put text with brackets in quotes, as in "[T"'),
        ("%ln filter ULabel --limit 1e99", LIMIT_MESSAGE + "'1e99'"),
        ("%ln search ULabel DMSO --limit 1e99", LIMIT_MESSAGE + "'1e99'"),
        ("%ln view ULabel --limit 0", LIMIT_MESSAGE + "'0'"),
    ],
)
def test_lone_brackets_and_bad_limits_are_usage_errors_without_traceback(shell, usage_error, capsys, labels, cell, message):
    assert usage_error(cell).startswith(message)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "TokenError" not in captured.out + captured.err
    assert "UsageError: " in captured.err


def test_search_text_with_brackets_in_quotes_is_searched_as_written(shell, run, instance):
    instance.ULabel(name="[T cell] activated").save()
    instance.ULabel(name="{curly} label").save()
    run('found = %ln search ULabel "[T cell"')
    assert [r.name for r in shell.user_ns["found"]][:1] == ["[T cell] activated"]
    run("found = %ln search ULabel [T cell]")  # balanced: text too, never a list
    assert [r.name for r in shell.user_ns["found"]][:1] == ["[T cell] activated"]
    run("found = %ln search ULabel {{curly}}")
    assert [r.name for r in shell.user_ns["found"]][:1] == ["{curly} label"]
    run('found = %ln search ULabel "{Jr3{J1 ~x["')  # nothing like it: found nothing, no error
    assert list(shell.user_ns["found"]) == []
    assert run('%ln search ULabel "[T cell" ;').result is None


def test_help_says_how_to_write_text_with_brackets(shell, run, capsys):
    run("%ln help search")
    out = capsys.readouterr().out
    assert 'put text with brackets in quotes: %ln search ULabel "[T cell"' in out
    run("%ln help")
    assert "Brackets outside quotes pair up" in capsys.readouterr().out


def test_protein_cell_marker_and_pathway_through_the_magic(shell, run, completions):
    # bionty 1.0's last three registries, found by introspection like the others
    import lamindb_core.bio as bt

    protein = bt.Protein(name="Programmed cell death protein 1", uniprotkb_id="Q15116").save()
    marker = bt.CellMarker(name="PD1", synonyms="PD-1|CD279").save()
    marker.proteins.add(protein)
    bt.Pathway(name="immune system process", ontology_id="GO:0002376").save()
    run("df = %ln filter CellMarker name=PD1 --include proteins__name")
    df = shell.user_ns["df"]
    assert names(df) == ["PD1"] and df["proteins__name"].iloc[0] == {"Programmed cell death protein 1"}
    run('found = %ln search CellMarker "CD279"')
    assert [r.name for r in shell.user_ns["found"]] == ["PD1"]
    run("record = %ln get Protein uniprotkb_id=Q15116")
    assert shell.user_ns["record"] == protein
    run("pathways = %ln filter bionty.Pathway ontology_id__startswith=GO:")
    assert names(shell.user_ns["pathways"]) == ["immune system process"]
    assert completions("%ln filter CellM") == ["CellMarker"]
    assert completions("%ln filter Protein uniprot") == ["uniprotkb_id="]
