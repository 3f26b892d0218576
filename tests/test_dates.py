"""Reading dates as people type them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from rapport import dates
from rapport.errors import BadInput

BASE = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # a Friday


def local_day(text: str) -> date:
    return dates.local(dates.parse_when(text, base=BASE)).date()


def test_iso_fast_path_with_and_without_zone():
    assert dates.parse_when("2026-11-01T10:00:00Z") == datetime(
        2026, 11, 1, 10, tzinfo=timezone.utc
    )
    assert dates.parse_when("2026-11-01T10:00:00+02:00").hour == 8
    # Naive ISO is local wall-clock time (Europe/Berlin in the tests, UTC+1 in November).
    assert dates.parse_when("2026-11-01 10:00").hour == 9
    assert dates.parse_when("2026-07-01 10:00").hour == 8  # summer time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", date(2026, 11, 26)),
        ("gestern", date(2026, 11, 26)),
        ("3 days ago", date(2026, 11, 24)),
        ("vor 3 Tagen", date(2026, 11, 24)),
        ("last friday", date(2026, 11, 20)),
        ("today", date(2026, 11, 27)),
    ],
)
def test_natural_language(text, expected):
    assert local_day(text) == expected


def test_time_of_day_is_kept():
    moment = dates.local(dates.parse_when("yesterday 15:00", base=BASE))
    assert (moment.date(), moment.hour, moment.minute) == (date(2026, 11, 26), 15, 0)


def test_due_days_look_forward():
    assert dates.parse_day("friday", base=BASE) >= date(2026, 11, 27)
    assert dates.parse_day("tomorrow", base=BASE) == date(2026, 11, 28)
    assert dates.parse_day("morgen", base=BASE) == date(2026, 11, 28)


@pytest.mark.parametrize("text", ["", "   ", "blorp", "the 45th of Smarch"])
def test_unreadable(text):
    with pytest.raises(BadInput):
        dates.parse_when(text)


def test_relative_day():
    today = dates.today()
    assert dates.relative_day(today, reference=today) == "today"
    assert dates.relative_day(today - timedelta(days=1), reference=today) == "yesterday"
    assert dates.relative_day(today - timedelta(days=23), reference=today) == "23 days ago"
    assert dates.relative_day(today + timedelta(days=3), reference=today) == "in 3 days"


def test_future_has_a_few_minutes_of_slack():
    assert not dates.in_future(dates.now() + timedelta(minutes=1))
    assert dates.in_future(dates.now() + timedelta(hours=1))
