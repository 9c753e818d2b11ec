"""``search`` through the word index and its vocabulary (``word_index.py``, ``word_lookup.py``):
typos corrected, the index kept up by every kind of write, filled by its migration, repaired."""

from __future__ import annotations

import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, connections, transaction

from lamindb_core import text_index, word_index, word_lookup
from lamindb_core.word_lookup import Term


def names(qs) -> list[str]:
    return [r.name for r in qs]


def known(words: list[str], table: str = "core_ulabel") -> dict[str, str]:
    """How the word index of ``table`` holds each word: "word", "start", or (left out) not at all."""
    info = word_index.word_index_info("default", table)
    found = word_index.indexed_words("default", table, info, sorted(info.columns), words)
    return {w: f.kind for w, f in found.items()}


def vocabulary() -> set[str]:
    """PostgreSQL: the words of ULabel's vocabulary table."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT word FROM "{text_index.words_table("core_ulabel")}"')
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def studies(instance):
    ln = instance
    labels = ["Candidate marker study 1", "Candidate marker study 2", "liver kinase", "kinase lung", "T cell"]
    ln.save([ln.ULabel(name=n) for n in labels] + [ln.ULabel(name=f"sample {i} cell") for i in range(200)])
    return ln


# ---------------------------------------------------------------------------
# typos corrected
# ---------------------------------------------------------------------------


def test_search_words_index_exists_for_name_fields(instance):
    assert word_index.word_index_info("default", "core_ulabel").columns == {"name"}
    assert word_index.word_index_info("default", "core_feature").columns == {"name", "synonyms"}
    assert word_index.word_index_info("default", "bio_gene").columns == {"symbol", "synonyms"}
    expected = "trgm" if connection.vendor == "postgresql" else "fts5vocab"
    assert word_index.word_index_info("default", "core_ulabel").vocabulary == expected


def test_search_words_saved_word_corrects_a_typo(studies):
    ln = studies
    assert known(["study", "stud", "stdy"]) == {"study": "word", "stud": "start"}
    result = ln.ULabel.search("marker stdy 2").df()
    assert list(result["name"])[:2] == ["Candidate marker study 2", "Candidate marker study 1"]
    assert 80 < result["score"].iloc[0] < 90
    assert names(ln.ULabel.search("stdy"))[:2] == ["Candidate marker study 1", "Candidate marker study 2"]


@pytest.mark.postgres_only
def test_search_words_vocabulary_finds_words_near_a_typo(studies):
    info = word_index.word_index_info("default", "core_ulabel")
    assert {"study", "marker", "kinase", "liver", "cell", "sample", "candidate"} <= vocabulary()
    assert "1" not in vocabulary() and "t" not in vocabulary()  # no digits, 3 letters or more
    near = word_index.vocabulary_words("default", "core_ulabel", info, ["stdy", "kinsae", "candidatte"])
    assert {"study", "kinase", "candidate"} <= near



@pytest.mark.postgres_only
def test_search_words_lookup_brings_the_similar_words_of_a_long_typo(studies):
    """The look-up of the query's words also brings the words similar to a long one that the
    vocabulary lacks, which vocabulary_words then takes instead of asking again."""
    info = word_index.word_index_info("default", "core_ulabel")
    similar: dict[str, set[str]] = {}
    found = word_index.indexed_words(
        "default", "core_ulabel", info, ["name"], ["candidatte", "candidate", "candid", "stdy"], similar=similar
    )
    assert set(found) == {"candidate", "candid"}
    assert list(similar) == ["candidatte"]  # short words, and words it holds, get none
    assert "candidate" in similar["candidatte"]
    asked = word_index.vocabulary_words("default", "core_ulabel", info, ["candidatte", "stdy"])
    assert word_index.vocabulary_words("default", "core_ulabel", info, ["candidatte", "stdy"], similar) == asked

def test_search_words_edits_one_away():
    assert {"study", "sdy", "tsdy", "stdya"} <= word_index.edits("stdy")
    assert "dmso" in word_index.edits("dsmo")
    assert "stdy" not in word_index.edits("stdy")


def test_search_words_in_another_order_a_word_too_many_a_cut_word(studies):
    ln = studies
    assert names(ln.ULabel.search("kinase liver"))[:1] == ["liver kinase"]
    assert names(ln.ULabel.search("liver kinase inhibitor"))[:1] == ["liver kinase"]
    assert names(ln.ULabel.search("study marker candidate 2"))[:1] == ["Candidate marker study 2"]
    assert names(ln.ULabel.search("T cel"))[:1] == ["T cell"]
    assert names(ln.ULabel.search("candidat studdy 1"))[:1] == ["Candidate marker study 1"]


def test_search_words_narrowed_queryset_and_case_sensitive(studies):
    ln = studies
    narrowed = ln.ULabel.filter(name__startswith="Candidate")
    assert names(narrowed.search("marker stdy 2")) == ["Candidate marker study 2", "Candidate marker study 1"]
    assert names(ln.ULabel.filter(name="kinase lung").search("livr kinase")) == ["kinase lung"]
    result = ln.ULabel.search("Marker Stdy 2", case_sensitive=True).df()
    assert result["name"].iloc[0] == "Candidate marker study 2"
    assert result["score"].iloc[0] < ln.ULabel.search("marker stdy 2").df()["score"].iloc[0]


# ---------------------------------------------------------------------------
# kept up by every write
# ---------------------------------------------------------------------------


def test_search_candidates_spliced_sql_gives_what_the_orm_gives(studies):
    """Candidate look-ups run as SQL compiled once per search; a narrowed queryset (a filter, an
    exclude) keeps its conditions, and a condition of another shape goes through the ORM."""
    from django.db.models import Q

    from lamindb_core.ranking import SearchQuery
    from lamindb_core.search_candidates import Candidates

    ln = studies
    qs = ln.ULabel.filter(name__startswith="Candidate").exclude(name__endswith="1")
    condition = text_index.prefix_condition("default", ln.ULabel, "name", "candidate marker", None)
    found = Candidates(SearchQuery.make("marker"), ["name"], None, ["name"])
    assert found.add(qs, condition, 10) == 1
    assert [v[0] for v in found.rows.values()] == ["Candidate marker study 2"]
    plain = Candidates(SearchQuery.make("marker"), ["name"], None, ["name"])
    assert plain.add(qs, Q(name__contains="marker"), 10) == 1  # not an index look-up: the ORM
    assert list(plain.rows) == list(found.rows)
    assert names(qs.search("marker stdy")) == ["Candidate marker study 2"]


def test_search_candidates_queued_lookups_run_in_one_statement(studies):
    """Look-ups queued until the next one run with it: the index look-ups in one statement,
    a condition of another shape through the ORM; each look-up's rows are counted."""
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from lamindb_core.ranking import SearchQuery
    from lamindb_core.search_candidates import Candidates

    ln = studies
    qs = ln.ULabel.filter()
    looks = [
        (text_index.prefix_condition("default", ln.ULabel, "name", "candidate", 10), 10),
        (Q(name__contains="lung"), 10),
        (text_index.prefix_condition("default", ln.ULabel, "name", "liver", 10), 10),
    ]
    found = Candidates(SearchQuery.make("kinase"), ["name"], None, ["name"])
    for condition, cap in looks[:-1]:
        found.queue(qs, condition, cap)
    with CaptureQueriesContext(connection) as statements:
        assert found.add(qs, *looks[-1]) == 1
    assert len(statements.captured_queries) == 2
    assert sorted(v[0] for v in found.rows.values()) == [
        "Candidate marker study 1", "Candidate marker study 2", "kinase lung", "liver kinase"
    ]
    again = Candidates(SearchQuery.make("kinase"), ["name"], None, ["name"])
    assert again.add_all(qs, looks) == [2, 1, 1]
    assert again.rows == found.rows and again.scores == found.scores


def test_search_candidates_held_lookups_run_with_the_next_and_count_only_when_released(studies):
    """A held look-up goes in the statement of the next one, but its rows are scored only after
    release() (which says how many each brought), and discard() drops them."""
    from django.test.utils import CaptureQueriesContext

    from lamindb_core.ranking import SearchQuery
    from lamindb_core.search_candidates import Candidates

    ln = studies
    qs = ln.ULabel.filter()
    candidate = text_index.prefix_condition("default", ln.ULabel, "name", "candidate", 10)
    liver = text_index.prefix_condition("default", ln.ULabel, "name", "liver", 10)
    kinase = text_index.prefix_condition("default", ln.ULabel, "name", "kinase", 10)
    for then in ("release", "discard"):
        found = Candidates(SearchQuery.make("kinase"), ["name"], None, ["name"])
        found.queue(qs, liver, 10)
        found.hold(qs, candidate, 10)
        found.hold(qs, kinase, 10)
        with CaptureQueriesContext(connection) as statements:
            assert found.good() == 1  # "liver kinase" only: the held rows do not count yet
        assert len(statements.captured_queries) == 1
        assert sorted(v[0] for v in found.rows.values()) == ["liver kinase"]
        with CaptureQueriesContext(connection) as statements:
            if then == "release":
                assert found.release() == [2, 1]
            else:
                found.discard()
        assert statements.captured_queries == []
        expected = ["Candidate marker study 1", "Candidate marker study 2", "kinase lung", "liver kinase"]
        assert sorted(v[0] for v in found.rows.values()) == (expected if then == "release" else ["liver kinase"])
    # released, they are scored as if they had run on their own
    alone = Candidates(SearchQuery.make("kinase"), ["name"], None, ["name"])
    alone.add_all(qs, [(liver, 10), (candidate, 10), (kinase, 10)])
    found = Candidates(SearchQuery.make("kinase"), ["name"], None, ["name"])
    found.queue(qs, liver, 10)
    found.hold(qs, candidate, 10)
    found.hold(qs, kinase, 10)
    found.release()
    assert found.rows == alone.rows and found.scores == alone.scores


@pytest.mark.postgres_only
def test_search_one_word_typo_runs_its_lookups_in_two_statements_before_the_records(studies):
    """PostgreSQL: the vocabulary's look-up, then one statement with the literal look-ups and
    those of the corrected word (held until the literal ones are known), then the records."""
    from django.test.utils import CaptureQueriesContext

    ln = studies
    # (a word of 8 letters or more: the vocabulary's look-up brings the words similar to it)
    list(ln.ULabel.search("candidote"))  # the index's description, read once per process
    with CaptureQueriesContext(connection) as statements:
        top = [r.name for r in ln.ULabel.search("candidote")]
    assert len(statements.captured_queries) == 3, [q["sql"][:80] for q in statements.captured_queries]
    assert top[:2] == ["Candidate marker study 1", "Candidate marker study 2"]


@pytest.mark.postgres_only
def test_search_candidates_ids_as_an_array_only_where_every_lookup_is_bounded(studies):
    """PostgreSQL: a default queryset's look-ups select at most a few hundred ids, which it reads
    as an array through the primary key; a narrowed queryset's look-ups are not bounded."""
    from django.test.utils import CaptureQueriesContext

    ln = studies
    with CaptureQueriesContext(connection) as plain:
        assert names(ln.ULabel.search("kinsae lung"))[0] == "kinase lung"
    with CaptureQueriesContext(connection) as narrowed:
        assert names(ln.ULabel.filter(name__contains="a").search("kinsae lung"))[0] == "kinase lung"
    assert any("= ANY(ARRAY(" in q["sql"] for q in plain.captured_queries)
    assert not any("= ANY(ARRAY(" in q["sql"] for q in narrowed.captured_queries)


def test_search_words_follow_insert_update_bulk_insert(instance):
    ln = instance
    label = ln.ULabel(name="zebrafish retina").save()
    assert known(["zebrafish"]) == {"zebrafish": "word"}
    assert names(ln.ULabel.search("zebrafsh retina")) == ["zebrafish retina"]
    label.name = "medaka retina"
    label.save()
    if connection.vendor == "sqlite":
        assert known(["medaka", "zebrafish"]) == {"medaka": "word"}
    assert names(ln.ULabel.search("medaak retina"))[:1] == ["medaka retina"]
    ln.ULabel.objects.bulk_create([ln.ULabel(name=f"axolotl limb {i}") for i in range(30)])
    text_index.after_bulk_insert(connection, "core_ulabel")
    assert known(["axolotl"]) == {"axolotl": "word"}
    assert names(ln.ULabel.search("axolotel limb 7"))[:1] == ["axolotl limb 7"]
    ln.ULabel.filter(name="medaka retina").update(name="killifish retina")
    assert names(ln.ULabel.search("killifsh retina"))[:1] == ["killifish retina"]
    if connection.vendor == "postgresql":
        # deleted and renamed rows leave their words behind: a correction that finds no row
        assert {"zebrafish", "medaka", "killifish", "axolotl", "retina", "limb"} <= vocabulary()


@pytest.mark.postgres_only
@pytest.mark.no_rollback
def test_search_words_concurrent_inserts_do_not_wait_or_fail(instance):
    # two transactions add the same new words at once, in another order: neither waits for the
    # other (a unique word would make the second wait for the first to commit, and the
    # barrier, inside both transactions, would time out)
    ln = instance
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []
    words = ["quokka", "wombat", "numbat", "bilby"]

    def insert(order: list[str], tag: str) -> None:
        try:
            with transaction.atomic():
                for word in order:
                    ln.ULabel.objects.bulk_create([ln.ULabel(name=f"{word} {tag}")])
                barrier.wait()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=insert, args=(words, "a")),
        threading.Thread(target=insert, args=(words[::-1], "b")),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert set(words) <= vocabulary()
        assert sorted(names(ln.ULabel.search("wombta"))) == ["wombat a", "wombat b"]
    finally:
        ln.ULabel.filter(name__regex=r"^(quokka|wombat|numbat|bilby) [ab]$").delete()


# ---------------------------------------------------------------------------
# made by the migration, repaired
# ---------------------------------------------------------------------------


def test_search_words_migration_fills_the_index_from_existing_rows(instance):
    ln = instance
    migration = importlib.import_module("lamindb_core.migrations.0004_search_words")
    ulabel = migration.Migration.operations[list(migration.WORD_INDEXES).index("ulabel")]
    editor = SimpleNamespace(connection=connections["default"])
    try:
        ln.ULabel(name="platypus venom").save()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # as a migration's own transaction: no check waits
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        ulabel.reverse_code(apps, editor)  # as before the migration: no word index
        assert word_index.word_index_info("default", "core_ulabel").columns == frozenset()
        ln.ULabel(name="echidna spine").save()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        ulabel.code(apps, editor)
        assert known(["platypus", "echidna", "spine"]) == {"platypus": "word", "echidna": "word", "spine": "word"}
        if connection.vendor == "postgresql":
            assert {"platypus", "venom", "echidna", "spine"} <= vocabulary()
        assert names(ln.ULabel.search("echdina spine")) == ["echidna spine"]
    finally:
        text_index.forget(connection)  # the rollback undoes the index's DDL


@pytest.mark.sqlite_only
def test_search_words_index_repaired_when_triggers_are_lost(instance):
    # Django rebuilds an SQLite table to alter it, which drops its triggers
    ln = instance
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f'DROP TRIGGER "core_ulabel_fts_words_{suffix}"')
    text_index.forget(connection)
    ln.ULabel(name="pangolin scale").save()  # not indexed: no trigger
    assert names(ln.ULabel.search("pangolni scale")) == ["pangolin scale"]  # repaired and rebuilt
    ln.ULabel(name="pangolin tongue").save()
    assert known(["pangolin", "tongue"]) == {"pangolin": "word", "tongue": "word"}


# ---------------------------------------------------------------------------
# PostgreSQL's plans: every one finds the same rows
# ---------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_search_words_plans_agree(studies, monkeypatch):
    ln = studies
    info = word_index.word_index_info("default", "core_ulabel")
    cases = [
        [[Term("cell")]],
        [[Term("sample")], [Term("cell")]],
        [[Term("cel", prefix=True)], [Term("t")]],
        [[Term("kinase")], [Term("livr", prefix=True), Term("liver")]],
        [[Term("study")], [Term("2")]],
    ]

    def rows(groups, shares: dict[str, float], at_least=None) -> list[set[str]]:
        monkeypatch.setattr(word_lookup, "_frequencies", lambda *args: (1_000_000.0, shares))
        conditions = word_lookup.words_conditions("default", ln.ULabel, info, ["name"], groups, 300, at_least)
        return [set(names(ln.ULabel.filter(c))) for c in conditions]

    # every word common: the oldest rows first; some: the rare ones through the index
    common = {"cell": 0.6, "sample": 0.5, "t": 0.3, "kinase": 0.3, "liver": 0.3, "study": 0.3, "2": 0.3}
    some = {"sample": 0.5, "liver": 0.3, "2": 0.3}
    for groups in cases:
        (indexed,) = rows(groups, {})  # no statistics: the index
        assert indexed, groups
        assert all(found == indexed for found in rows(groups, common) + rows(groups, some)), groups
        assert len(rows(groups, common)) == 2  # the oldest rows, then the index
    (indexed,) = rows(cases[3], {}, at_least=1)
    assert indexed == {"liver kinase", "kinase lung"}
    assert rows(cases[3], common, at_least=1) == [indexed]
    phrase = word_lookup.phrase_conditions("default", ln.ULabel, info, ["name"], ["t", "cel"], True, ["t"], 1000)
    assert [set(names(ln.ULabel.filter(c))) for c in phrase][-1] == {"T cell"}
    text_index.forget(connection)
