"""Ranking's shortcuts give the scores of its definitions (``ranking.py``)."""

from __future__ import annotations

import pytest

from lamindb_core.ranking import SearchQuery, score_row, score_text, word_match


def test_score_row_is_the_best_column_also_where_a_field_without_typos_holds_a_query_word():
    """score_row skips a field matched without typos (a uid, a description) that holds neither
    the string nor a query word; one that holds a word still counts."""
    rows = [
        ("ab12xyzq", "liver kinase", None),  # the uid holds the query word "ab12"
        ("qrst7890", "lvier kinase", "AB12 measured"),  # the description does
        ("qrst7890", "lvier kinase", "nothing here"),  # only the name matches, with a typo
        ("zzzz0000", None, "ab12 kinase"),  # the description holds both words
    ]
    no_fuzzy = frozenset({0, 2})
    for text in ("ab12 kinase", "kinase ab12", "ab12", "kinase"):
        query = SearchQuery.make(text)
        for row in rows:
            scores = [
                (score_text(query, value, column not in no_fuzzy), column, len(value))
                for column, value in enumerate(row)
                if value is not None
            ]
            strong = [s for s in scores if s[0] >= 70.0]
            best = max(strong or scores, key=lambda s: (s[0], -s[1]))
            expected = (round(best[0], 1), best[1], best[2]) if best[0] > 0 else (0.0, 0, 0)
            assert score_row(query, row, None, no_fuzzy) == expected, (text, row)
    assert score_row(SearchQuery.make("ab12 kinase"), rows[0], None, no_fuzzy)[1] == 1  # the name wins
    assert score_row(SearchQuery.make("ab12"), rows[1], None, no_fuzzy)[1] == 2  # the description wins


def test_word_match_typo_in_a_shorter_or_longer_value_word():
    """A typo of a whole value word, or of the start of a longer one, counts; a value word much
    shorter than the query word does not (word_match skips the starts of a shorter one)."""
    assert word_match("hepatocite", "hepatocyte") == 0.7
    assert word_match("hepatocite", "hepatocit") == 0.7  # shorter by a letter: 1 edit
    assert word_match("hepatocite", "hepatocyt") == pytest.approx(0.65)  # 2 edits
    assert word_match("hepatocite", "hepat") == 0.0
    assert word_match("hepatocite", "hepatocytes") == pytest.approx(0.65)  # its start "hepatocyte"
    assert word_match("hepatocite", "hepatocytosis") == pytest.approx(0.6)  # its start "hepatocyt"
    assert word_match("livr", "liv") == 0.7
