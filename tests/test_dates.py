"""Reading dates as people type them."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import rows, snapshot
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


def test_a_date_without_a_year_looks_the_way_the_option_looks():
    # 27 November 2026: 1.5. looking back is May 2026, looking forward May 2027.
    assert local_day("1.5.") == date(2026, 5, 1)
    assert local_day("1.12.") == date(2025, 12, 1)
    assert dates.parse_day("1.5.", base=BASE) == date(2027, 5, 1)
    assert dates.parse_day("1.12", base=BASE) == date(2026, 12, 1)
    with pytest.raises(BadInput, match="29 February"):
        local_day("29.2.")  # neither 2026 nor 2025 has one


# -- through the CLI: every option that takes a date, on every path ---------------------------


def stored_times(journal, table: str = "interaction") -> list[str]:
    return [value for (value,) in rows(journal, f"SELECT at FROM {table} ORDER BY id")]


def utc_text(text: str) -> str:
    """A local wall-clock time (Europe/Berlin) as the journal stores it: naive UTC."""
    moment = datetime.fromisoformat(text).astimezone(timezone.utc)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


@pytest.fixture
def brandt(run):
    for args in (("add", "Konrad Brandt"), ("log", "brandt", "Lunch", "--at", "2025-06-01 12:00",
                 "--follow-up", "Send the plan", "--due", "2025-06-10")):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("typed", "local_time"),
    [
        ("03.04.2026", "2026-04-03 00:00"),  # 3 April, not 4 March
        ("1.5.2026", "2026-05-01 00:00"),  # 1 May, not 5 January
        ("3.4.26", "2026-04-03 00:00"),  # a two-digit year is 20yy
        ("03.04.2026 14:30", "2026-04-03 14:30"),
        ("3.4.2026, 9.05 Uhr", "2026-04-03 09:05"),
        ("3.4.2026 um 14 Uhr", "2026-04-03 14:00"),
        ("2026-1-5", "2026-01-05 00:00"),  # year first: always year-month-day
        ("13/03/2026", "2026-03-13 00:00"),  # no month 13: not ambiguous
        ("2026-10-25T02:30+02:00", "2026-10-25 02:30+02:00"),  # the overlap, said which
        ("2026-10-25T02:30+01:00", "2026-10-25 02:30+01:00"),
        ("2026-03-29 03:30", "2026-03-29 03:30"),  # just after the gap
    ],
)
def test_dates_are_read_the_german_way(run, journal, brandt, typed, local_time):
    result = run("log", "brandt", "Call", "--at", typed)
    assert result.exit_code == 0, result.output
    assert stored_times(journal)[-1] == utc_text(local_time)
    assert local_time[:16] in result.stderr  # the confirmation shows what was stored


def test_natural_times_keep_the_time_that_was_typed(run, journal, brandt):
    yesterday = dates.today() - timedelta(days=1)
    for typed, clock in [("yesterday 15:00", "15:00"), ("gestern 14 Uhr", "14:00"),
                         ("gestern 9:30 Uhr", "09:30"), ("yesterday 3pm", "15:00"),
                         # an hour alone after the day: was the current time of day
                         ("gestern 9", "09:00"), ("yesterday at 21", "21:00"),
                         ("gestern um 7", "07:00")]:  # fmt: skip
        result = run("log", "brandt", "Call", "--at", typed)
        assert result.exit_code == 0, result.output
        assert stored_times(journal)[-1] == utc_text(f"{yesterday} {clock}"), typed


@pytest.mark.parametrize("typed", ["tomorrow 14:00", "2026-12-01 14:00", "1.12. 9 Uhr"])
def test_a_due_day_with_a_time_is_refused_not_cut(run, journal, brandt, typed):
    for args in (["todo", "brandt", "Call back", "--due", typed],
                 ["log", "brandt", "x", "--follow-up", "y", "--due", typed]):  # fmt: skip
        assert_refused(run, journal, args, "a follow-up is due on a day, not at a time")


def test_natural_dates_still_work(run, journal, brandt):
    for typed in ["3 days ago", "last friday", "gestern", "vor 3 Tagen", "last month"]:
        assert run("log", "brandt", "Call", "--at", typed).exit_code == 0, typed
    for typed in ["friday", "in 2 weeks", "morgen", "1.5.", "15.1"]:
        assert run("todo", "brandt", "Call back", "--due", typed).exit_code == 0, typed
    # Looking forward, a day without a year is the next one: never in the past.
    dues = [date.fromisoformat(day) for (day,) in rows(journal, "SELECT due FROM follow_up")]
    assert min(dues[1:]) >= dates.today()


GAP = "2026-03-29 02:30 does not exist in Europe/Berlin: the clocks jump from 02:00 to 03:00"
OVERLAP = "2026-10-25 02:30 happens twice in Europe/Berlin: the clocks go back from 03:00 to 02:00"
REFUSED = [
    ("2026-13-01", "there is no month 13"),  # was 13 January
    ("31.02.2026", "there is no 31 February 2026"),
    ("31.4.", "there is no 31 April"),
    ("2026-02-30 10:00", "there is no 30 February 2026"),
    ("yesterday 25:00", "there is no time of day like that"),  # was the current time of day
    ("gestern 13:61", "there is no time of day like that"),
    ("24:30", "there is no time of day like that"),
    ("2026-11-01 24:00", "cannot read the time"),
    ("3.4.2026 25:00", "there is no time of day like that"),
    ("tomorrow 13pm", "there is no time of day like that"),
    ("gestern 14.30", "write a time as 14:30"),  # dateparser drops the time
    ("1.5. 14", "a dotted date is day.month.year"),
    ("03/04/2026", "is ambiguous"),
    ("3/4", "is ambiguous"),
    ("2026-03-29 02:30", GAP),  # was moved to 03:30 without a word
    ("29.03.2026 02:30", GAP),
    ("2026-10-25 02:30", OVERLAP),
    ("", "empty date"),
    ("  ", "empty date"),
    ("-1", "cannot read the date"),  # was the 1st of this month
    ("+5", "cannot read the date"),  # was the 5th of this month
    ("1,5", "cannot read the date"),  # was 1 May
    ("1-5", "cannot read the date"),
    ("1 5", "cannot read the date"),
]
NO_DAY = [("2026-11", "names a month, not a day"), ("November 2026", "names a month, not a day"),
          ("11.2026", "names a month, not a day"), ("Mai", "names a month, not a day")]  # fmt: skip
# Every option that takes a date, on every path; "{}" is the typed date.
MOMENT_OPTIONS = [
    ("log", "brandt", "Call", "--at", "{}"),
    ("log", "brandt", "Call", "--follow-up", "x", "--due", "{}"),
    ("impression", "brandt", "Calm", "--at", "{}"),
    ("fact", "brandt", "Sails", "--at", "{}"),
    ("todo", "brandt", "Send it", "--due", "{}"),
    ("edit", "{interaction}", "--at", "{}"),
    ("edit", "{follow_up}", "--due", "{}"),
]
RANGE_OPTIONS = [
    ("show", "brandt", "--since", "{}"),
    ("export", "--since", "{}"),
    ("export", "--until", "{}"),
    ("search", "Lunch", "--since", "{}"),
]


def command(journal, template: tuple[str, ...], typed: str) -> list[str]:
    ids = {table: rows(journal, f"SELECT uuid FROM {table}")[0][0][:8]
           for table in ("interaction", "follow_up")}  # fmt: skip
    return [typed if part == "{}" else part.format(**ids) for part in template]


def assert_refused(run, journal, args: list[str], message: str) -> None:
    before = snapshot(journal)
    result = run(*args)
    assert result.exit_code == 2, (args, result.output)
    assert result.stderr.startswith("rapport: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, (args, result.stderr)
    assert snapshot(journal) == before


@pytest.mark.parametrize("template", MOMENT_OPTIONS, ids=lambda t: " ".join(t[:1] + t[-2:-1]))
@pytest.mark.parametrize(("typed", "message"), REFUSED + NO_DAY, ids=lambda v: repr(v)[:20])
def test_a_date_is_never_guessed_where_one_day_is_meant(run, journal, brandt, template, typed,
                                                        message):  # fmt: skip
    assert_refused(run, journal, command(journal, template, typed), message)


@pytest.mark.parametrize("template", RANGE_OPTIONS, ids=lambda t: " ".join(t[:1] + t[-2:-1]))
@pytest.mark.parametrize(("typed", "message"), REFUSED, ids=lambda v: repr(v)[:20])
def test_a_date_is_never_guessed_in_a_range(run, journal, brandt, template, typed, message):
    assert_refused(run, journal, command(journal, template, typed), message)


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_month_needs_its_year_in_a_range(run, journal, brandt, option):
    assert_refused(run, journal, ["export", option, "Mai"], "names a month but no year")


def exported_notes(run, *args: str) -> list[str]:
    result = run("export", "--type", "interaction", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [record["note"] for record in json.loads(result.stdout)["records"]]


def test_a_month_is_a_range_from_its_first_to_its_last_day(run, journal, brandt):
    for note, at in [("before", "2025-10-31 23:59"), ("first", "2025-11-01 00:00"),
                     ("last", "2025-11-30 23:59"), ("after", "2025-12-01 00:00")]:  # fmt: skip
        assert run("log", "brandt", note, "--at", at).exit_code == 0
    for month in ["2025-11", "11.2025", "November 2025", "Nov 2025", "11/2025"]:
        assert exported_notes(run, "--since", month, "--until", month) == ["first", "last"]
    assert exported_notes(run, "--since", "2025-11") == ["first", "last", "after"]
    assert exported_notes(run, "--until", "November 2025")[-2:] == ["first", "last"]


def test_a_day_in_a_range_is_the_whole_day(run, journal, brandt):
    for note, at in [("before", "vorgestern 23:59"), ("early", "gestern 00:00"),
                     ("late", "gestern 23:59"), ("today", "heute 00:00")]:  # fmt: skip
        assert run("log", "brandt", note, "--at", at).exit_code == 0
    assert exported_notes(run, "--since", "gestern", "--until", "yesterday") == ["early", "late"]
    day = (dates.today() - timedelta(days=1)).strftime("%d.%m.%Y")
    assert exported_notes(run, "--since", day, "--until", day) == ["early", "late"]
    for word, found in [("before", 0), ("early", 1)]:
        hits = run("search", word, "--since", "yesterday", "--json")
        assert len(json.loads(hits.stdout)) == found, word


def test_empty_due_and_empty_at_are_alike(run, journal, brandt):
    for args in (["log", "brandt", "x", "--at", ""], ["log", "brandt", "x", "--due", ""],
                 ["todo", "brandt", "x", "--due", ""], ["edit", "{follow_up}", "--due", ""],
                 ["export", "--until", ""], ["show", "brandt", "--since", ""]):  # fmt: skip
        assert_refused(run, journal, command(journal, tuple(args), ""), "empty date")


# -- dates inside an import -------------------------------------------------------------------


def export_with(run, journal, tmp_path, fmt: str, at: str) -> Path:
    """The journal's export and one more interaction, its time written by hand as `at`."""
    result = run("export", "--format", fmt, "--type", "client", "--type", "interaction")
    assert result.exit_code == 0, result.output
    ((old, stored),) = rows(journal, "SELECT uuid, at FROM interaction")
    exported = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc).isoformat()
    lines = result.stdout.splitlines()
    copy = next(line for line in lines if old in line)
    assert exported in copy
    path = tmp_path / f"hand-made.{fmt}"
    path.write_text("\n".join([*lines, copy.replace(old, str(uuid.uuid4())).replace(exported, at)]))
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-03-29T02:30:00", "2026-03-29 02:30 does not exist in Europe/Berlin"),
        ("2026-10-25T02:30:00", "2026-10-25 02:30 happens twice in Europe/Berlin"),
        ("2026-13-01T10:00:00", "is not an ISO 8601 time"),
        ("03.04.2026", "is not an ISO 8601 time"),
        ("2026-04-31", "is not an ISO 8601 time"),
    ],
)
def test_an_import_refuses_a_time_that_is_not_one(run, journal, brandt, tmp_path, fmt, at,
                                                  message):  # fmt: skip
    path = export_with(run, journal, tmp_path, fmt, at)
    line = len(path.read_text().splitlines())  # the hand-made record is the last line
    before = snapshot(journal)
    result = run("import", str(path))
    assert result.exit_code == 2, result.output
    assert f"line {line}: " in result.stderr and message in result.stderr, result.stderr
    assert snapshot(journal) == before


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_import_takes_an_overlap_time_with_its_offset(run, journal, brandt, tmp_path, fmt):
    path = export_with(run, journal, tmp_path, fmt, "2026-10-25T02:30:00+01:00")
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    assert stored_times(journal)[-1] == "2026-10-25 01:30:00.000000"


DAY_WORDS = ["today", "Heute", "yesterday", "gestern", "tomorrow", "MORGEN", "vorgestern",
             "übermorgen", "Übermorgen", "monday", "Tuesday", "wednesday", "thursday", "friday",
             "saturday", "sunday", "montag", "dienstag", "Mittwoch", "donnerstag", "freitag",
             "samstag", "sonntag"]  # fmt: skip


@pytest.mark.parametrize("prefer", ["past", "future"])
def test_a_day_word_alone_is_read_as_dateparser_reads_it(prefer):
    """Lone day words skip dateparser (it costs more to load than a `todo` run): they must
    mean what dateparser makes of them, from every day of a fortnight, across a DST change."""
    from dateparser.date import DateDataParser

    for offset in range(14):
        base = datetime(2026, 10, 19, 14, 45, tzinfo=timezone.utc) + timedelta(days=offset)
        settings = {"PREFER_DATES_FROM": prefer, "DATE_ORDER": "DMY",
                    "RELATIVE_BASE": base.astimezone().replace(tzinfo=None)}  # fmt: skip
        parser = DateDataParser(languages=dates.LANGUAGES, settings=settings)
        for word in DAY_WORDS:
            expected = dates.from_wall_clock(parser.get_date_data(word).date_obj, checked=False)
            assert dates.parse_when(word, prefer=prefer, base=base) == expected, (word, base)
