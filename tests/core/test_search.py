"""``search``: ranking, typos, synonyms, fields, the result table, the text index, bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lamindb_core import text_index
from lamindb_core.search import SearchQuery, rank_values, score_text


@pytest.fixture
def cells(instance):
    """Labels that compete for "cell": whole words, prefixes, inside a word."""
    ln = instance
    names = [
        "T cell", "B cell", "T cell receptor", "cellular assay", "intracellular staining",
        "hepatocyte", "Candidate marker study 1", "Candidate marker study 2", "DMSO", "IFNG",
    ]
    records = [ln.ULabel(name=n) for n in names]
    ln.save(records)
    return records


def names(qs) -> list[str]:
    return [r.name for r in qs]


# ---------------------------------------------------------------------------
# ranking
# ---------------------------------------------------------------------------


def test_search_exact_match_first_with_score_100(instance, cells):
    df = instance.ULabel.search("T cell").df()
    assert df["name"].iloc[0] == "T cell"
    assert df["score"].iloc[0] == 100.0
    assert list(df["score"]) == sorted(df["score"], reverse=True)


def test_search_whole_word_then_prefix_then_inside_a_word(instance, cells):
    found = names(instance.ULabel.search("cell"))
    assert found[:3] == ["B cell", "T cell", "T cell receptor"] or found[:3] == ["T cell", "B cell", "T cell receptor"]
    assert found.index("cellular assay") > found.index("T cell receptor")
    assert found.index("intracellular staining") > found.index("cellular assay")
    assert "DMSO" not in found


def test_search_survives_typos(instance, cells):
    ln = instance
    assert names(ln.ULabel.search("T-cel"))[0] == "T cell"
    assert names(ln.ULabel.search("b cel"))[0] == "B cell"
    assert names(ln.ULabel.search("hepatocite"))[0] == "hepatocyte"
    assert set(names(ln.ULabel.search("candidte marker"))[:2]) == {
        "Candidate marker study 1", "Candidate marker study 2"
    }


def test_search_typo_without_index_hit_uses_bounded_scan(instance, cells):
    # no 3-letter piece of "dmos" occurs anywhere: only the fuzzy scan finds DMSO
    found = instance.ULabel.search("dmos").df()
    assert list(found["name"])[:1] == ["DMSO"]
    assert 0 < found["score"].iloc[0] < 70


def test_search_exact_synonym_first(instance):
    ln = instance
    ln.Feature(name="medium composition", dtype="str").save()
    ln.Feature(name="cell_medium", dtype="str", synonyms="culture medium|medium").save()
    df = ln.Feature.search("medium").df()
    assert df["name"].iloc[0] == "cell_medium"
    assert df["score"].iloc[0] == 100.0
    assert "medium composition" in list(df["name"])


def test_search_exact_synonym_does_not_hide_near_names(instance):
    """An exact synonym comes first, and names that hold all words but one (a short word, as
    typed, is no word of theirs) still follow: LaminDB 1.0's "P cell" search."""
    ln = instance
    ln.Feature(name="nodal myocyte", dtype="str", synonyms="P cell|cardiac pacemaker cell").save()
    ln.Feature(name="PP cell", dtype="str").save()
    ln.Feature(name="B cell", dtype="str").save()
    found = names(ln.Feature.search("P cell"))
    assert found[:2] == ["nodal myocyte", "PP cell"]


def test_search_case_sensitive(instance, cells):
    ln = instance
    assert names(ln.ULabel.search("dmso"))[:1] == ["DMSO"]
    assert ln.ULabel.search("dmso").df()["score"].iloc[0] == 100.0
    assert 100.0 not in list(ln.ULabel.search("dmso", case_sensitive=True).df()["score"])
    assert ln.ULabel.search("DMSO", case_sensitive=True).df()["score"].iloc[0] == 100.0


def test_search_limit(instance, cells):
    assert len(instance.ULabel.search("cell", limit=2)) == 2
    assert len(instance.ULabel.search("cell", limit=None)) >= 5


def test_score_text_tiers():
    q = SearchQuery.make("cell")
    assert score_text(q, "Cell") == 100.0
    assert 90 <= score_text(q, "T cell") < 98
    assert 80 <= score_text(q, "cellular") < 90
    assert 70 <= score_text(q, "intracellular") < 80
    assert score_text(q, "DMSO") == 0.0
    assert score_text(SearchQuery.make("t cell"), "T-cell") == 98.0


def test_score_text_without_typos_matches_words_inside_the_value():
    """A field matched without typos (a uid): a query word must be inside the value."""
    assert score_text(SearchQuery.make("hepatocite"), "IDfXjCRv", fuzzy=False) == 0.0
    assert score_text(SearchQuery.make("IDfXjCRu"), "IDfXjCRv", fuzzy=False) == 0.0  # a typo: no match
    assert 70 < score_text(SearchQuery.make("fxj"), "IDfXjCRv", fuzzy=False) < 80
    assert score_text(SearchQuery.make("cd34 ab12"), "AB12 CD34", fuzzy=False) >= 90  # each word, in another order


def test_rank_values_prefers_exact_synonym():
    ranked = rank_values("P cell", [("PP cell", None), ("nodal myocyte", "P cell|myocytus nodalis")], synonyms_column=1)
    assert [position for position, _ in ranked] == [1, 0]
    assert ranked[0][1] == 100.0


# ---------------------------------------------------------------------------
# typos in several words: every word counts (issue 11: 9)
# ---------------------------------------------------------------------------

GUIDE_LABELS = ["DMSO", "IFNG", "Candidate marker study 1", "Candidate marker study 2"]
CELL_TYPES = ("T cell", "B cell", "hepatocyte", "macrophage", "neuron", "fibroblast", "monocyte", "stem cell")
TISSUES = ("liver", "lung", "kidney", "brain", "blood", "spleen", "skin", "colon")
TREATMENTS = ("DMSO", "IFNG", "LPS", "vehicle", "dexamethasone", "untreated")
ASSAYS = ("scRNA-seq", "ATAC-seq", "flow cytometry", "imaging")
STUDIES = ("Pilot screen", "Dose response", "Time course", "Patient cohort", "Mouse model")


def lab_names(n: int) -> list[str]:
    """``n`` distinct names as a lab gives them: cell type, tissue, treatment, study, assay."""
    names = []
    for i in range(n):
        cell, tissue, treatment = CELL_TYPES[i % 8], TISSUES[(i // 8) % 8], TREATMENTS[(i // 64) % 6]
        study, assay = STUDIES[i % 5], ASSAYS[(i // 5) % 4]
        kind = i % 4
        if kind == 0:
            names.append(f"{cell} {tissue} {treatment} {i}")
        elif kind == 1:
            names.append(f"{study} {assay} {tissue} {i}")
        elif kind == 2:
            names.append(f"{treatment} treated {tissue} sample {i}")
        else:
            names.append(f"{tissue} {assay} batch {i}")
    return names


@pytest.fixture
def lab(instance, monkeypatch):
    """The guide's labels, two kinase labels, then 4,000 labels a lab would add later.

    The bounded typo scan reads the latest 500 rows here, as it reads the latest 20,000 of
    50,000 labels: the guide's labels are older than what it reads.
    """
    from lamindb_core import search_candidates

    ln = instance
    monkeypatch.setattr(search_candidates, "SCAN_ROWS", 500)
    names = GUIDE_LABELS + ["liver kinase", "kinase lung"] + lab_names(4000)
    ln.save([ln.ULabel(name=n) for n in names])
    return ln


def scores(qs) -> dict[str, float]:
    df = qs.df()
    return dict(zip(df["name"], df["score"]))


def test_search_typo_and_number_pick_the_study(lab):
    result = lab.ULabel.search("marker stdy 2")
    assert names(result)[:2] == ["Candidate marker study 2", "Candidate marker study 1"]
    found = scores(result)
    assert found["Candidate marker study 2"] > found["Candidate marker study 1"]


def test_search_typos_in_two_words(lab):
    assert set(names(lab.ULabel.search("candidat studdy"))[:2]) == {
        "Candidate marker study 1", "Candidate marker study 2"
    }


def test_search_missing_letter_of_a_word(lab):
    assert set(names(lab.ULabel.search("markr"))[:2]) == {"Candidate marker study 1", "Candidate marker study 2"}


def test_search_transposed_letters_among_thousands(lab):
    result = lab.ULabel.search("DSMO")
    assert names(result)[0] == "DMSO"
    assert all("dmso" in name.lower() for name in names(result))


def test_search_every_word_counts(lab):
    result = lab.ULabel.search("livr kinase")
    assert names(result)[:2] == ["liver kinase", "kinase lung"]
    found = scores(result)
    assert found["liver kinase"] > found["kinase lung"]


# ---------------------------------------------------------------------------
# fields
# ---------------------------------------------------------------------------


def test_search_all_text_fields_by_default_and_field_narrows(instance, cells):
    ln = instance
    ln.ULabel(name="assay A", description="measured in hepatocytes").save()
    assert "assay A" in names(ln.ULabel.search("hepatocytes"))
    assert "assay A" not in names(ln.ULabel.search("hepatocytes", field="name"))
    assert names(ln.ULabel.search("hepatocytes", field="description")) == ["assay A"]
    assert "assay A" in names(ln.ULabel.search("hepatocytes", field=[ln.ULabel.name, "description"]))


def test_search_finds_uid(instance, cells):
    label = cells[0]
    assert names(instance.ULabel.search(label.uid))[:1] == [label.name]


def test_search_artifact_key_as_in_the_guide(instance):
    ln = instance
    storage = ln.Storage.filter().first()
    ln.save([
        ln.Artifact(key=k, suffix=s, storage=storage)
        for k, s in [("images/my_image.jpg", ".jpg"), ("iris/iris_collection.parquet", ".parquet")]
    ])
    df = ln.Artifact.search("iris").df()
    assert list(df["key"]) == ["iris/iris_collection.parquet"]
    assert "score" in df.columns


# ---------------------------------------------------------------------------
# the result: a QuerySet, its table
# ---------------------------------------------------------------------------


def test_search_result_is_a_chainable_queryset(instance, cells):
    ln = instance
    result = ln.ULabel.search("cell")
    assert result.model is ln.ULabel
    assert result.first().name in ("T cell", "B cell")
    narrowed = result.filter(name__startswith="T")
    assert names(narrowed) == ["T cell", "T cell receptor"]
    assert narrowed.df()["score"].iloc[0] == 95.3


def test_search_df_has_all_columns_and_score_last(instance, cells):
    df = instance.ULabel.search("cell").df()
    assert df.index.name == "id"
    assert list(df.columns)[:2] == ["uid", "name"]
    assert list(df.columns)[-1] == "score"
    assert df["score"].between(0, 100).all()


def test_search_display_like_the_spec(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"ULabel{i}") for i in range(1, 8)])
    result = ln.ULabel.search("ULabel7", field="name")
    lines = repr(result).splitlines()
    assert lines[0].split() == ["uid", "score"]
    assert lines[1].split() == ["name"]
    first = lines[2].split()
    assert first[0] == "ULabel7" and first[2] == "100.0"
    assert len(first[1]) == 8  # the uid
    assert "<table" in result._repr_html_()
    assert ln.ULabel.filter()._repr_html_() is None  # other querysets keep Django's repr


def test_search_no_match_shows_a_line(instance, cells):
    result = instance.ULabel.search("zzzzqqqq")
    assert len(result) == 0
    assert repr(result) == "ULabel.search('zzzzqqqq'): no match"
    assert list(result.df().columns)[-1] == "score"


def test_search_through_a_related_manager(instance, cells):
    ln = instance
    artifact = ln.Artifact(key="a.h5ad", suffix=".h5ad", storage=ln.Storage.filter().first()).save()
    by_name = {label.name: label for label in cells}
    artifact.ulabels.add(by_name["B cell"], by_name["DMSO"])
    assert names(artifact.ulabels.search("cell")) == ["B cell"]


def test_search_many_matches_stay_bounded(instance):
    ln = instance
    ln.save([ln.ULabel(name=f"sample {i} cell") for i in range(3000)] + [ln.ULabel(name="sample")])
    with CaptureQueriesContext(connection) as queries:
        top = names(ln.ULabel.search("sample"))
    assert top[0] == "sample"
    assert len(top) == 20
    assert len(queries) <= 8


# ---------------------------------------------------------------------------
# the text index
# ---------------------------------------------------------------------------


def test_search_index_exists_for_core_registries(instance):
    info = text_index.index_info("default", "core_ulabel")
    assert info.kind == ("trgm" if connection.vendor == "postgresql" else "fts5")
    assert {"name", "description", "reference"} <= info.columns
    assert "name" in info.lower_columns


def test_search_index_follows_insert_update_delete(instance):
    ln = instance
    label = ln.ULabel(name="zebrafish retina").save()
    assert names(ln.ULabel.search("zebrafish")) == ["zebrafish retina"]
    label.name = "medaka retina"
    label.save()
    assert names(ln.ULabel.search("zebrafish")) == []
    assert names(ln.ULabel.search("medaka")) == ["medaka retina"]
    label.delete()
    assert names(ln.ULabel.search("medaka")) == []


def test_search_after_bulk_insert_folds_pending_index_entries(instance):
    ln = instance
    ln.ULabel.objects.bulk_create([ln.ULabel(name=f"bulk sample {i}") for i in range(50)])
    text_index.after_bulk_insert(connection, "core_ulabel")  # PostgreSQL: gin_clean_pending_list
    assert len(ln.ULabel.search("bulk sample")) == 20
    assert names(ln.ULabel.search("bulk sample 7"))[0] == "bulk sample 7"


def test_save_of_many_folds_the_search_index_pending_entries(instance, monkeypatch):
    """``ln.save`` of ANALYZE_AFTER rows or more folds the GIN pending lists after its commit
    (a no-op on SQLite), a smaller save leaves it to autovacuum."""
    from lamindb_core import bulk

    ln = instance
    folded = []
    real = text_index.after_bulk_insert
    monkeypatch.setattr(text_index, "after_bulk_insert", lambda conn, table: folded.append(table) or real(conn, table))
    ln.save([ln.ULabel(name=f"pending sample {i}") for i in range(bulk.ANALYZE_AFTER)])
    assert folded == ["core_ulabel"]
    ln.save([ln.ULabel(name=f"few sample {i}") for i in range(3)])
    assert folded == ["core_ulabel"]
    assert names(ln.ULabel.search("pending sample 999"))[0] == "pending sample 999"


@pytest.mark.sqlite_only
def test_search_index_repaired_when_triggers_are_lost(instance):
    # Django rebuilds an SQLite table to alter it, which drops its triggers
    ln = instance
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f'DROP TRIGGER "core_ulabel_fts_{suffix}"')
    text_index.forget(connection)
    ln.ULabel(name="axolotl limb").save()  # not indexed: no trigger
    assert names(ln.ULabel.search("axolotl")) == ["axolotl limb"]  # repaired and rebuilt
    ln.ULabel(name="axolotl tail").save()
    assert sorted(names(ln.ULabel.search("axolotl"))) == ["axolotl limb", "axolotl tail"]


@pytest.mark.no_rollback
def test_search_registry_without_index_scans(instance):
    from django.apps import apps

    from lamindb_core import Record, fields

    class Specimen(Record):
        name: str = fields.CharField()
        note: str = fields.TextField()

    try:
        Specimen(name="liver biopsy", note="frozen").save()
        Specimen(name="kidney biopsy", note="fresh").save()
        assert text_index.index_info("default", Specimen._meta.db_table).kind == ""
        assert [r.name for r in Specimen.search("biopsy")] == ["liver biopsy", "kidney biopsy"]
        assert [r.name for r in Specimen.search("livr")][:1] == ["liver biopsy"]
        assert [r.name for r in Specimen.search("frozen")] == ["liver biopsy"]
    finally:
        apps.all_models["custom"].pop("specimen", None)
        apps.clear_cache()
        with connection.schema_editor() as editor:
            editor.delete_model(Specimen)
        from lamindb_core.instance import _state

        _state.custom_models.pop("custom.specimen", None)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_search_none_raises_value_error(instance):
    with pytest.raises(ValueError, match=r"Cannot search for None value! Please pass a valid string: search\(\) needs a string to search for, got None"):
        instance.ULabel.search(None)


def test_search_empty_string_raises_invalid_argument(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="needs a non-empty string, got ''"):
        instance.ULabel.search("")
    with pytest.raises(instance.errors.InvalidArgument, match="non-empty string"):
        instance.ULabel.search("   ")


def test_search_unknown_field_names_the_valid_ones(instance):
    with pytest.raises(instance.errors.FieldValidationError) as info:
        instance.ULabel.search("x", field="nme")
    message = str(info.value)
    assert "ULabel has no field 'nme'. Did you mean 'name'?" in message
    assert "description" in message and "name" in message


def test_search_field_that_is_not_text(instance):
    with pytest.raises(instance.errors.FieldValidationError, match="ULabel.is_concept does not hold text"):
        instance.ULabel.search("x", field="is_concept")


def test_search_bad_limit(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="limit takes a positive integer"):
        instance.ULabel.search("x", limit=0)


def test_search_narrowed_and_ordered_after_a_default_search(instance, cells):
    ln = instance
    # the default queryset's compiled SQL is kept between searches; a filtered or ordered one
    # must never take it
    assert names(ln.ULabel.search("cell"))[:2] == ["B cell", "T cell"]
    narrowed = names(ln.ULabel.filter(name__startswith="T").search("cell"))
    assert narrowed and all(n.startswith("T") for n in narrowed)
    ordered = names(ln.ULabel.filter().order_by("-id").search("cell"))
    assert ordered[:2] == ["B cell", "T cell"]
    assert names(ln.ULabel.search("hepatocite"))[0] == "hepatocyte"


def test_search_result_records_are_those_the_orm_gives(instance, cells):
    """An unchanged result fetches its records with SQL compiled once per registry; they are
    the records, scores and order that its query gives through the ORM (a clone takes that
    path), and a changed result goes through the ORM."""
    ln = instance

    def state(record):
        return {k: v for k, v in record.__dict__.items() if k != "_state"}, record._state.adding, record._state.db

    for string in ("cell", "hepatocite", "Candidate marker study 2", "dmso"):
        result = ln.ULabel.search(string)
        with CaptureQueriesContext(connection) as fetched:
            fast = list(result)
        assert len(fetched.captured_queries) == 1 and "CASE" not in fetched.captured_queries[0]["sql"]
        assert [state(r) for r in fast] == [state(r) for r in result.all()]
    assert [r.score for r in ln.ULabel.search("cell").filter(name__startswith="T")] == [95.3, 92.1]
    assert names(ln.ULabel.search("cell")[1:3]) == ["T cell", "T cell receptor"]
    assert list(ln.ULabel.search("cell").values_list("name", flat=True))[:2] == ["B cell", "T cell"]
    assert list(ln.ULabel.search("no such label at all")) == []


def test_search_in_the_trash_and_in_every_branch(instance, cells):
    """A search keeps the branch of its queryset: the trash (_branch_code=-1), every branch
    (None), the main branch by default; the SQL kept for the default queryset serves no other."""
    ln = instance
    assert names(ln.ULabel.search("hepatocite"))[0] == "hepatocyte"  # the default's SQL is kept
    trashed = ln.ULabel(name="hepatocyte of the trash").save()
    ln.ULabel.objects.filter(pk=trashed.pk).update(_branch_code=-1)
    assert names(ln.ULabel.search("hepatocite")) == ["hepatocyte"]
    assert names(ln.ULabel.filter(_branch_code=-1).search("hepatocite")) == ["hepatocyte of the trash"]
    assert names(ln.ULabel.filter(_branch_code=None).search("hepatocite")) == ["hepatocyte", "hepatocyte of the trash"]
