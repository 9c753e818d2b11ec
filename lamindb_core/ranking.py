"""Ranking for ``search``: how well a text value matches a search string, 0 to 100.

:func:`score_text` ranks one value: an exact match (of the value or of one of its
``|``-separated synonyms) scores 100; the string in one piece as whole words 90 to 98,
as the start of a word 80 to 89 (the shorter the value, the higher). Otherwise word by
word: each query word matches a word of the value exactly, as its start, inside it or
with a typo (:func:`word_match`), every word counts, numbers included, and then the
whole string: "marker stdy 2" puts "Candidate marker study 2" (about 85) before
"... study 1" (about 51). If no word matches at all, a fuzzy match (``rapidfuzz``'s
``WRatio``, at least 75) scores 0.7 times its similarity, so under 70.

``search.py`` finds the candidate rows (``search_candidates.py``) and ranks them here;
``rank_values`` ranks plain rows of values (a public ontology's table).

Example:
    >>> round(score_text(SearchQuery.make("livr kinase"), "liver kinase"), 1)
    81.7
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field as dataclass_field
from functools import lru_cache
from typing import Any

__all__ = [
    "SearchQuery",
    "typo_edits",
    "word_match",
    "word_points",
    "score_text",
    "score_synonyms",
    "score_row",
    "rank_values",
    "words_of",
    "whole_ratio",
    "fuzzy_similarity",
    "rapidfuzz_modules",
    "FUZZY_CUTOFF",
    "EXACT_WORD",
    "PREFIX_WORD",
    "INNER_WORD",
    "TYPO_WORD",
]

FUZZY_CUTOFF = 75.0  # rapidfuzz WRatio below which a fuzzy match is no match
FUZZY_WEIGHT = 0.7  # fuzzy matches score under 70, below every substring match

_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_", "-", " " separate words


def words_of(text: str) -> list[str]:
    """The words of ``text`` as search sees them: runs of letters and digits (``_``, ``-`` and
    spaces separate them), in order, as written."""
    return _WORD.findall(text)

_RAPIDFUZZ: list = []  # [(fuzz, process)] once imported; [(None, None)] if not installed


def rapidfuzz_modules() -> tuple[Any, Any]:
    """rapidfuzz's ``fuzz`` and ``process`` (the "search" extra), imported on first use.

    Without it, difflib does the fuzzy part, slower.
    """
    if not _RAPIDFUZZ:
        try:
            from rapidfuzz import fuzz, process
        except ImportError:  # pragma: no cover
            fuzz = process = None
        _RAPIDFUZZ.append((fuzz, process))
    return _RAPIDFUZZ[0]


@dataclass(frozen=True)
class SearchQuery:
    """A search string, prepared: stripped, folded unless case-sensitive, split into words.

    ``matches`` remembers, for each value word seen so far, how well each query word matches
    it: a registry's names share few words, so most rows cost a few dictionary look-ups.
    """

    text: str
    case_sensitive: bool = False
    folded: str = ""
    words: tuple[str, ...] = ()
    n_word_chars: int = 0
    matches: dict = dataclass_field(default_factory=dict, compare=False, repr=False)
    # the same without typos, for the fields not matched fuzzily (a uid, a description): their
    # words (every uid is new) neither cost an edit distance each nor correct a query's typo
    plain_matches: dict = dataclass_field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def make(cls, text: str, case_sensitive: bool = False) -> SearchQuery:
        text = text.strip()
        folded = text if case_sensitive else text.casefold()
        words = tuple(_WORD.findall(folded))
        return cls(text, case_sensitive, folded, words, sum(len(w) for w in words))


# How well one query word matches one word of a value, 0 to 1: the word itself, its start,
# a piece inside it, a typo of it (letters only; a number matches only itself or a start).
EXACT_WORD = 1.0
PREFIX_WORD = 0.9
INNER_WORD = 0.8
TYPO_WORD = 0.7  # one edit (a transposition is one); a typo of the word's start 0.05 less
TYPO_STEP = 0.05  # less per further edit


@lru_cache(maxsize=1024)  # asked for each query word and each new value word of a search
def typo_edits(word: str) -> int:
    """How many edits a query word of this length may hold: none under 4 letters, or with a
    digit; 1 up to 7 letters; 2 from 8."""
    if len(word) < 4 or any(map(str.isdigit, word)):
        return 0
    return 1 if len(word) < 8 else 2


def word_match(query_word: str, value_word: str, typos: bool = True) -> float:
    """How well ``query_word`` matches ``value_word``: 1 exact, 0.9 its start, 0.8 inside it,
    0.7 to 0.6 a typo (``rapidfuzz``'s optimal string alignment distance; not without
    ``typos``), 0 no match.

    Example:
        >>> word_match("liv", "liver"), word_match("livr", "liver"), word_match("dsmo", "dmso"), word_match("livr", "lung")
        (0.9, 0.7, 0.7, 0.0)
    """
    if query_word == value_word:
        return EXACT_WORD
    if value_word.startswith(query_word):
        return PREFIX_WORD
    if len(query_word) >= 3 and query_word in value_word:
        return INNER_WORD
    edits = typo_edits(query_word) if typos else 0
    if not edits or len(value_word) < 3 or any(map(str.isdigit, value_word)):
        return 0.0
    distance = _edit_distance(query_word, value_word, edits)
    if distance <= edits:
        return TYPO_WORD - TYPO_STEP * (distance - 1)
    n = len(query_word)
    if len(value_word) < n:
        return 0.0  # the starts tried below, n - 1 letters or more and shorter than it: none
    # a typo in the start of a longer word: "hepatocite" for "hepatocytes"
    distance = min(
        (_edit_distance(query_word, value_word[:k], edits) for k in (n - 1, n, n + 1) if 3 <= k < len(value_word)),
        default=edits + 1,
    )
    if distance <= edits:
        return TYPO_WORD - TYPO_STEP * distance
    return 0.0


def _edit_distance(a: str, b: str, cutoff: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; above ``cutoff``: cutoff + 1."""
    if abs(len(a) - len(b)) > cutoff:
        return cutoff + 1
    osa = _osa()
    if osa is not None:
        return osa.distance(a, b, score_cutoff=cutoff)
    return _python_osa(a, b, cutoff)  # pragma: no cover


_OSA: list = []


def _osa():
    """rapidfuzz's ``OSA`` distance, or None without rapidfuzz."""
    if not _OSA:
        try:
            from rapidfuzz.distance import OSA
        except ImportError:  # pragma: no cover
            OSA = None
        _OSA.append(OSA)
    return _OSA[0]


def _python_osa(a: str, b: str, cutoff: int) -> int:  # pragma: no cover
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], cutoff + 1)


def _value_word_matches(query: SearchQuery, value_word: str, typos: bool = True) -> tuple[float, ...]:
    """How well each query word matches ``value_word``, remembered in ``query.matches`` (without
    ``typos``: ``query.plain_matches``)."""
    memo = query.matches if typos else query.plain_matches
    found = memo.get(value_word)
    if found is None:
        if value_word.isdigit():
            # a number (a running number: most value words are new ones) matches only a query
            # word of digits, as itself or its start; word_match would say 0 to the others, slower
            found = tuple(word_match(w, value_word) if w.isdigit() else 0.0 for w in query.words)
        else:
            found = tuple(word_match(w, value_word, typos) for w in query.words)
        memo[value_word] = found
    return found


def word_points(query: SearchQuery, value: str, typos: bool = True) -> float:
    """The mean over the query's words of how well each matches a word of ``value`` (folded), 0 to 1.

    Every word counts the same, numbers included: "marker stdy 2" matches
    "Candidate marker study 2" with (1 + 0.7 + 1) / 3 and "... study 1" with (1 + 0.7 + 0) / 3.
    """
    if not query.words:
        return 0.0
    return _points(query, _WORD.findall(value), typos)


def _points(query: SearchQuery, value_words: list[str], typos: bool) -> float:
    """:func:`word_points` of a value's words."""
    if not value_words:
        return 0.0
    matches = query.matches if typos else query.plain_matches
    if len(query.words) == 1:
        # one query word, as most searches: its best match among the value's words
        best = 0.0
        for w in value_words:
            found = matches.get(w) or _value_word_matches(query, w, typos)
            if found[0] > best:
                best = found[0]
        return best
    columns = [matches.get(w) or _value_word_matches(query, w, typos) for w in value_words]
    return sum(map(max, zip(*columns))) / len(query.words)


def whole_ratio(a: str, b: str) -> float:
    """The similarity of two whole strings, 0 to 1 (rapidfuzz's ``ratio``: order and length count)."""
    fuzz, _ = rapidfuzz_modules()
    if fuzz is not None:
        return fuzz.ratio(a, b) / 100.0
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio()  # pragma: no cover


def fuzzy_similarity(a: str, b: str) -> float:
    """``rapidfuzz``'s ``WRatio`` of two strings, 0 to 100 (difflib's ratio without rapidfuzz)."""
    fuzz, _ = rapidfuzz_modules()
    if fuzz is not None:
        return fuzz.WRatio(a, b)
    import difflib

    return 100.0 * difflib.SequenceMatcher(None, a, b).ratio()


def score_text(query: SearchQuery, value: Any, fuzzy: bool = True) -> float:
    """How well ``value`` matches ``query``, 0 to 100; without ``fuzzy``, under 70 is 0 and a
    word with a typo is no match (a uid, a description: ``score_row``'s ``no_fuzzy``).

    - 100: the value itself (ignoring case unless case-sensitive);
    - the string in one piece: as whole words 90 to 98, as the start of a word 80 to 89,
      inside a word 70 to 79 (the shorter the value, the higher);
    - otherwise word by word (:func:`word_points`, exact > start > inside > typo), then the
      whole string: ``100 * points - 10 + 7 * similarity``. All words exact, in another order
      or with words between them: 90 to 97; all words' starts: 80 to 87; a typo in one word of
      one: 60 to 67; a query word that the value lacks pulls the score down by its share;
    - if no word matches at all, ``rapidfuzz``'s ``WRatio`` (at least 75) times 0.7.

    Example:
        >>> q = SearchQuery.make("cell")
        >>> score_text(q, "cell"), round(score_text(q, "T cell"), 1), round(score_text(q, "cellular"), 1)
        (100.0, 95.3, 84.5)
        >>> q = SearchQuery.make("livr kinase")
        >>> round(score_text(q, "liver kinase"), 1), round(score_text(q, "kinase lung"), 1)
        (81.7, 43.8)
    """
    if value is None:
        return 0.0
    if type(value) is not str:
        value = str(value)
    v = value if query.case_sensitive else value.casefold()
    t = query.folded
    if not t:
        return 0.0
    if v == t:
        return 100.0
    n = len(v)
    pos = v.find(t)
    if not fuzzy and pos < 0 and query.words and not any(w in v for w in query.words):
        # no query word inside the value: none matches a word of it without a typo (word_match)
        return 0.0
    in_one_piece = 0.0
    if pos >= 0:
        ratio = len(t) / n
        end = pos + len(t)
        starts_word = pos == 0 or not v[pos - 1].isalnum() or not t[0].isalnum()
        ends_word = end == n or not v[end].isalnum() or not t[-1].isalnum()
        if starts_word and ends_word:
            return 90.0 + 8.0 * ratio
        if starts_word:
            return 80.0 + 9.0 * ratio
        in_one_piece = 70.0 + 9.0 * ratio
    words = _WORD.findall(v)
    if query.words and tuple(words) == query.words:
        return 98.0  # the same words, other separators: "T-cell" for "t cell"
    points = _points(query, words, fuzzy) if query.words else 0.0
    by_words = 100.0 * points - 10.0 + 7.0 * whole_ratio(t, v) if points > 0 else 0.0
    # (no max() calls: a by_words under 0 loses to in_one_piece, 0 or more, as max(0, ...) did)
    best = by_words if by_words > in_one_piece else in_one_piece
    if best >= 70.0 or (fuzzy and best > 0):
        return best
    if not fuzzy:
        return 0.0
    similarity = fuzzy_similarity(t, v)
    return FUZZY_WEIGHT * similarity if similarity >= FUZZY_CUTOFF else 0.0


def score_synonyms(query: SearchQuery, synonyms: str | None, fuzzy: bool = True) -> float:
    """The best score of one of the ``|``-separated ``synonyms``."""
    if not synonyms:
        return 0.0
    return max((score_text(query, s, fuzzy) for s in str(synonyms).split("|") if s.strip()), default=0.0)


def score_row(
    query: SearchQuery, row: Sequence[Any], synonyms_column: int | None = None, no_fuzzy: frozenset[int] = frozenset()
) -> tuple[float, int, int]:
    """``(score, column, length)`` of a row's best column; columns in ``no_fuzzy``
    (a uid) are not matched fuzzily. A fuzzy match (under 70) counts only if no
    column matches otherwise."""
    strong = weak = (0.0, 0, 0)
    t = query.folded
    for column, value in enumerate(row):
        if value is None:
            continue
        fuzzy = column not in no_fuzzy
        if column == synonyms_column:
            s = score_synonyms(query, value, fuzzy)
        else:
            if not fuzzy:
                # score_text's first test for such a value (a uid, a description), inline: it
                # says 0 where neither the string nor a query word is in it, and a 0 changes no
                # row's best column (most uids, most descriptions)
                text = value if type(value) is str else str(value)
                v = text if query.case_sensitive else text.casefold()
                if t not in v:
                    for w in query.words:
                        if w in v:
                            break
                    else:
                        continue
            s = score_text(query, value, fuzzy)
        if s >= 70.0:
            if s > strong[0]:
                strong = (s, column, len(str(value)))
        elif s > weak[0]:
            weak = (s, column, len(str(value)))
    best, best_column, best_length = strong if strong[0] > 0 else weak
    return round(best, 1), best_column, best_length


def rank_values(
    query: SearchQuery | str,
    rows: Iterable[Sequence[Any]],
    synonyms_column: int | None = None,
    limit: int | None = 20,
) -> list[tuple[int, float]]:
    """Rank rows of text values: ``(position, score)`` pairs, best first, score > 0.

    Each row is scored by its best column; ``synonyms_column`` (an index into
    the row) holds ``|``-separated synonyms. At equal scores an earlier column
    wins, then a shorter value, then an earlier row.

    Example:
        >>> rank_values("P cell", [("PP cell", None), ("nodal myocyte", "P cell|myocytus")], synonyms_column=1)
        [(1, 100.0), (0, 91.5)]
    """
    if isinstance(query, str):
        query = SearchQuery.make(query)
    scored = [
        (-score, column, length, position)
        for position, row in enumerate(rows)
        for score, column, length in [score_row(query, row, synonyms_column)]
        if score > 0
    ]
    scored.sort()
    if limit is not None:
        scored = scored[:limit]
    return [(position, -neg) for neg, _, _, position in scored]
