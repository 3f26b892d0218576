"""Client names resolve forgivingly but never guess."""

from __future__ import annotations

import pytest

from rapport.errors import BadInput
from rapport.names import Candidate, fold, resolve

PEOPLE = [
    Candidate(1, "Jana Müller", "Nordlicht Media"),
    Candidate(2, "Konrad Brandt", "Brandt & Vogel"),
    Candidate(3, "Anna Brauer", "Südwind"),
    Candidate(4, "Ann", None),
    Candidate(5, "Ayşe Demir", "Demir Design"),
]


@pytest.mark.parametrize(
    "query",
    [
        "Jana Müller",
        "jana müller",
        "JANA MUELLER",
        "jana muller",
        "Jana Mu\u0308ller",
        "müller",
        "Mueller",
        "MULLER",
        "Mu\u0308ller",
        "nordlicht",
    ],
)
def test_umlaut_accent_and_case_forms_all_find_mueller(query):
    assert resolve(query, PEOPLE).id == 1


def test_exact_name_wins_over_a_longer_prefix():
    assert resolve("ann", PEOPLE).id == 4


def test_unique_prefix():
    assert resolve("kon", PEOPLE).id == 2


def test_substring_of_company():
    assert resolve("vogel", PEOPLE).id == 2
    assert resolve("sudwind", PEOPLE).id == 3


def test_cedilla_folds():
    assert resolve("ayse", PEOPLE).id == 5


def test_ambiguous_lists_every_candidate():
    with pytest.raises(BadInput) as error:
        resolve("bra", PEOPLE)
    message = str(error.value)
    assert "'bra' matches 2 clients" in message
    assert "Konrad Brandt (Brandt & Vogel)" in message
    assert "Anna Brauer (Südwind)" in message


def test_unknown_suggests_close_matches():
    with pytest.raises(BadInput, match="did you mean Konrad Brandt"):
        resolve("Konrad Brant", PEOPLE)


def test_unknown_without_anything_close():
    with pytest.raises(BadInput) as error:
        resolve("zzzzzz", PEOPLE)
    assert str(error.value) == "no client matches 'zzzzzz'"


def test_fold():
    assert fold("  Jürgen   ÖZİL ") == "jurgen ozil"
