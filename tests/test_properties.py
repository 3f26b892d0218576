"""Laws that hold for any input, checked with hypothesis."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from rapport import dates
from rapport.names import Candidate, keys, resolve

letters = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüßéèçñøåABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ"),
    min_size=2,
    max_size=12,
)


@given(first=letters, last=letters)
def test_a_name_is_found_by_every_spelling_of_itself(first, last):
    name = f"{first} {last}"
    people = [Candidate(1, name, None), Candidate(2, "Zz Qq", "Nowhere")]
    for spelling in (
        name,
        name.upper(),
        name.lower(),
        unicodedata.normalize("NFD", name),
        name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae"),
    ):
        if keys(spelling) & keys("Zz Qq"):
            continue  # the generated name happens to spell the other person's
        assert resolve(spelling, people).id == 1


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_an_iso_timestamp_reads_back_as_the_same_moment(moment):
    aware = moment.replace(tzinfo=timezone.utc, microsecond=0)
    assert dates.parse_when(aware.isoformat()) == aware


@given(st.integers(min_value=0, max_value=3000))
def test_relative_day_counts_calendar_days(days):
    today = dates.today()
    text = dates.relative_day(today - timedelta(days=days), reference=today)
    assert text in {"today", "yesterday", f"{days} days ago"}
