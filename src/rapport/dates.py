"""Reading the dates people type, and writing dates people read.

A date is never guessed at (README, "How it behaves"):
- ISO 8601 (2026-11-27, 2026-11-27 14:30, with or without an offset) takes a fast path through
  the standard library; text that starts like ISO but is no real date is refused, never handed
  on to a guesser that would turn 2026-13-01 into 13 January.
- A dotted date is day.month.year, the German way: 3.4.2026, 03.04.26 (a two-digit year is
  20yy), 3.4. or 3.4 (without a year: the nearest such day in the option's direction), with an
  optional time after it: `3.4.2026 14:30`, `3.4. um 14 Uhr`.
- Everything else ("yesterday 15:00", "last friday", "gestern", "vor 3 Tagen") goes to
  dateparser, imported only then because it costs more to load than the rest of a `log` run.
  A time of day typed there is checked before and after: dateparser drops one it cannot use
  ("25:00", "14 Uhr") and answers with the current time of day.
- A month without a day (2026-11, 11.2026, November 2026) is a span: `--since` takes its
  first day, `--until` its last; where one moment or day is meant (`--at`, `--due`) it is refused.
- A typed local time that the clocks skip (a daylight-saving gap) is refused, naming the gap;
  one they pass twice (the autumn overlap) is refused unless an offset says which.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from rapport.errors import BadInput

LANGUAGES = ["en", "de"]
_CADENCE = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\s*$")
_CADENCE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
MAX_CADENCE_DAYS = 3650

_HINT = "try 2026-11-27 14:30, 27.11.2026 14:30, 'yesterday 15:00', '3 days ago' or 'gestern'"
# A time after a date: 14:30, 14.30, 14:30:15, 14 Uhr, 14.30 Uhr; "um" may come before it.
_TIME = (
    r"(?:um\s+)?(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?)?(?P<uhr>\s*uhr)?"
)
_ISO_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_ISO_DAY = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?P<rest>[T ].*)?", re.I)
_LOOKS_ISO = re.compile(r"\d{4}-\d")
_DOTTED = re.compile(
    r"(?:am\s+)?(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{4}|\d{2})?)?"
    rf"(?:,?\s+{_TIME})?",
    re.I,
)
_LOOKS_DOTTED = re.compile(r"(?:am\s+)?\d{1,2}\.\d", re.I)
_NUMERIC_MONTH = re.compile(r"(?P<month>\d{1,2})[./](?P<year>\d{4})")  # 11.2026, 11/2026
_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b")  # 03/04/2026: March or April?
_UHR = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*uhr\b", re.I)
_CLOCK = re.compile(r"(?<![\d:])(\d+):(\d+)(?::(\d+))?(?![\d:])")
_AM_PM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?", re.I)
_NUMBERS_ONLY = re.compile(r"[+-]?\d+(?:\s*[-+,;\s]\s*\d+)*")
# An hour without minutes after a day ("gestern 9", "friday at 21", "heute um 7"): dateparser
# drops it and answers with the current time of day, so it is written out as 9:00 first.
_DAY_WORDS = (
    "vorgestern|gestern|heute|morgen|übermorgen|yesterday|today|tomorrow|montag|dienstag|"
    "mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday|thursday|friday|"
    "saturday|sunday"
)
_BARE_HOUR = re.compile(
    rf"(?:\b(?:{_DAY_WORDS})\s+(?:um\s+|at\s+)?|\b(?:um|at)\s+)(\d{{1,2}})$", re.I
)
_DOT_INSIDE = re.compile(r"\d\.\d")
# Words that make a moment finer than a day: `--since "3 hours ago"` is not the whole day.
_FINER_THAN_A_DAY = re.compile(
    r"\b(now|jetzt|noon|midnight|mittags?|mitternacht)\b|hour|stunde|minute|\bmin\b|second|sekunde",
    re.I,
)
# "last month" and "3 months ago" count from now; "November 2026" names a calendar month.
# A day word alone, read as dateparser reads it without loading it (it costs more than the
# rest of a `todo` run): days from today at the current time, or a weekday's midnight,
# strictly before today looking back and strictly after looking forward.
_DAYS_FROM_TODAY = {"vorgestern": -2, "gestern": -1, "yesterday": -1, "heute": 0, "today": 0,
                    "morgen": 1, "tomorrow": 1, "übermorgen": 2}  # fmt: skip
_WEEKDAYS = {name: n % 7 for n, name in enumerate(_DAY_WORDS.split("|")[8:])}  # after the 8 above
_RELATIVE_UNIT = re.compile(r"month|monat|year|jahr|week|woche", re.I)
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _Reading:
    """What a typed date names: a moment, or a calendar month without a day."""

    moment: datetime | None  # aware; None for a month
    timed: bool = False  # a time of day was given, or the moment is counted in hours or minutes
    month: tuple[int, int] | None = None  # (year, month); year 0 when the text gave none


def _bad(text: str) -> BadInput:
    return BadInput(f"cannot read the date {text!r}; {_HINT}")


def _calendar_day(year: int | None, month: int, day: int, text: str) -> date:
    """The day, or an error naming what does not exist; without a year, 2000 (a leap year)."""
    if not 1 <= month <= 12:
        raise BadInput(f"there is no month {month} in the date {text!r}")
    try:
        return date(2000 if year is None else year, month, day)
    except ValueError:
        in_year = "" if year is None else f" {year}"
        raise BadInput(
            f"there is no {day} {_MONTH_NAMES[month - 1]}{in_year} (the date {text!r})"
        ) from None


def _clock(hour: int, minute: int, second: int, text: str) -> time:
    if hour > 23 or minute > 59 or second > 59:
        raise BadInput(
            f"there is no time of day like that in {text!r}: hours run 0-23, minutes 0-59"
        )
    return time(hour, minute, second)


# -- local wall-clock time and daylight saving ---------------------------------------------


def _zone_name() -> str:
    """Europe/Berlin, from $TZ or the link /etc/localtime; else no name to give."""
    name = os.environ.get("TZ", "").lstrip(":") or os.path.realpath("/etc/localtime")
    if name.startswith("/"):
        name = name.partition("zoneinfo/")[2]
    return name or "the local time zone"


def _offset_at(second: int) -> timedelta:
    return datetime.fromtimestamp(second, timezone.utc).astimezone().utcoffset() or timedelta()


def _change_between(first: datetime, second: datetime) -> tuple[datetime, datetime]:
    """The wall-clock times just before and at the offset change between two instants."""
    low, high = sorted((int(first.timestamp()), int(second.timestamp()) + 1))
    before = _offset_at(low)
    while high - low > 1:  # the change lies in (low, high]: halve it down to the second
        middle = (low + high) // 2
        low, high = (middle, high) if _offset_at(middle) == before else (low, middle)
    at = datetime.fromtimestamp(high, timezone.utc)
    return (at + before).replace(tzinfo=None), (at + _offset_at(high)).replace(tzinfo=None)


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def from_wall_clock(wall: datetime, *, checked: bool = True) -> datetime:
    """Local wall-clock time as an aware UTC moment.

    When `checked` (the person typed the time), a time the clocks skip or pass twice is an
    error that says so; unchecked (a bare day's midnight), Python's first reading is taken.
    """
    try:
        first = wall.replace(fold=0).astimezone()
        second = wall.replace(fold=1).astimezone()
    except (ValueError, OverflowError):
        raise BadInput(f"the date {wall.date().isoformat()} is out of range") from None
    skipped = first.replace(tzinfo=None) != wall or second.replace(tzinfo=None) != wall
    if checked and skipped:
        before, after = _change_between(first, second)
        raise BadInput(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {_zone_name()}: the clocks jump from "
            f"{_hhmm(before + timedelta(seconds=1))} to {_hhmm(after)} that night "
            "(daylight saving)"
        )
    if checked and first.utcoffset() != second.utcoffset():
        before, after = _change_between(first, second)
        stamp = wall.strftime("%Y-%m-%dT%H:%M")
        raise BadInput(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {_zone_name()}: the clocks go back from "
            f"{_hhmm(before + timedelta(seconds=1))} to {_hhmm(after)} that night; say which "
            f"with an offset: {stamp}{first.isoformat()[-6:]} (the first) or "
            f"{stamp}{second.isoformat()[-6:]} (the second)"
        )
    return first.astimezone(timezone.utc)


# -- reading ---------------------------------------------------------------------------------


def _read(text: str, prefer: str, base: datetime) -> _Reading:
    typed = text.strip()
    if not typed:
        raise BadInput("empty date")
    # A bare number ("99", "5", "2026") is no date; dateparser would guess a year or a month.
    if typed.isdigit():
        raise _bad(text)
    if month := _ISO_MONTH.fullmatch(typed) or _NUMERIC_MONTH.fullmatch(typed):
        return _month(int(month["year"]), int(month["month"]), text)
    if _LOOKS_ISO.match(typed):
        return _iso(typed, text)
    if _LOOKS_DOTTED.match(typed):
        return _dotted(typed, text, prefer, base)
    slashed = _SLASHED.match(typed)
    if slashed and int(slashed.group(1)) <= 12 and int(slashed.group(2)) <= 12:
        first, second = int(slashed.group(1)), int(slashed.group(2))
        if first != second:
            raise BadInput(
                f"the date {text!r} is ambiguous: day {first} of month {second}, or month "
                f"{first} day {second}? Write it as {first}.{second}. or YYYY-MM-DD"
            )
    if _NUMBERS_ONLY.fullmatch(typed):  # "-1", "+5", "1,5", "1 5": dateparser guesses a day
        raise _bad(text)
    if typed[:4].isdigit():  # the rest of ISO 8601 that Python reads: 20261127, 2026-W48-5
        try:
            return _reading(datetime.fromisoformat(typed), text, timed="T" in typed.upper())
        except ValueError:
            raise _bad(text) from None
    return _natural(typed, text, prefer, base)


def _month(year: int, month: int, text: str) -> _Reading:
    if not 1 <= month <= 12:
        raise BadInput(f"there is no month {month} in the date {text!r}")
    return _Reading(None, month=(year, month))


def _reading(parsed: datetime, text: str, *, timed: bool) -> _Reading:
    if parsed.tzinfo is None:
        return _Reading(from_wall_clock(parsed, checked=timed), timed=timed)
    try:
        return _Reading(parsed.astimezone(timezone.utc), timed=True)
    except (ValueError, OverflowError):
        raise BadInput(f"the date {text!r} is out of range") from None


def _iso(typed: str, text: str) -> _Reading:
    found = _ISO_DAY.fullmatch(typed)
    if not found:
        raise _bad(text)
    day = _calendar_day(int(found["year"]), int(found["month"]), int(found["day"]), text)
    rest = found["rest"] or ""
    if rest:
        rest = "T" + rest[1:]
        if rest.endswith(("Z", "z")):
            rest = rest[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(day.isoformat() + rest)
    except ValueError:
        raise BadInput(
            f"cannot read the time in {text!r}: write it as 14:30, hours 0-23, minutes 0-59"
        ) from None
    return _reading(parsed, text, timed=bool(rest))


def _dotted(typed: str, text: str, prefer: str, base: datetime) -> _Reading:
    """Day.month.year, always in that order: 3.4.2026 is the 3rd of April."""
    found = _DOTTED.fullmatch(typed)
    # A bare hour needs "Uhr": "1.5. 14" could be anything.
    if not found or (found["hour"] and not found["minute"] and not found["uhr"]):
        raise BadInput(
            f"cannot read the date {text!r}; a dotted date is day.month.year, as in "
            "27.11.2026 or 27.11.2026 14:30"
        )
    day, month, year = int(found["day"]), int(found["month"]), found["year"]
    if year is None:
        on = _without_year(day, month, text, prefer, local(base).date())
    else:
        on = _calendar_day(int(year) + (2000 if len(year) == 2 else 0), month, day, text)
    if found["hour"] is None:
        return _Reading(from_wall_clock(datetime.combine(on, time()), checked=False))
    clock = _clock(int(found["hour"]), int(found["minute"] or 0), int(found["second"] or 0), text)
    return _Reading(from_wall_clock(datetime.combine(on, clock)), timed=True)


def _without_year(day: int, month: int, text: str, prefer: str, today: date) -> date:
    """The nearest such day in the option's direction, as dateparser does for "1. Mai":
    looking back (`--at`, `--since`) the latest one up to today, looking forward (`--due`,
    `--until`) the next one from today on."""
    _calendar_day(None, month, day, text)  # refuses what is in no year (31.4.)
    step = -1 if prefer == "past" else 1
    for year in (today.year, today.year + step):
        try:
            on = date(year, month, day)
        except ValueError:
            continue  # 29 February
        if (on <= today) if prefer == "past" else (on >= today):
            return on
    raise BadInput(f"there is no {day} {_MONTH_NAMES[month - 1]} near {today.year}; give the year")


def _typed_time(typed: str, text: str) -> tuple[int, int] | None:
    """The time of day the text gives, checked, so that dateparser's answer can be checked."""
    found: set[tuple[int, int]] = set()
    for hour, minute, ampm in _AM_PM.findall(typed):
        if not 1 <= int(hour) <= 12 or int(minute or 0) > 59:
            raise BadInput(f"there is no time of day like that in {text!r}")
        found.add((int(hour) % 12 + (12 if ampm.lower() == "p" else 0), int(minute or 0)))
    for hour, minute, second in _CLOCK.findall(_AM_PM.sub("", typed)):
        if len(hour) > 2 or len(minute) != 2 or (second and len(second) != 2):
            raise _bad(text)
        _clock(int(hour), int(minute), int(second or 0), text)
        found.add((int(hour), int(minute)))
    if len(found) > 1:
        raise BadInput(f"the date {text!r} gives more than one time of day")
    return found.pop() if found else None


def _day_word(word: str, prefer: str, base: datetime) -> datetime | None:
    """The wall-clock moment a lone day word names (see _DAYS_FROM_TODAY), or None."""
    wall = base.astimezone().replace(tzinfo=None)
    if (days := _DAYS_FROM_TODAY.get(word)) is not None:
        return wall + timedelta(days=days)
    if (weekday := _WEEKDAYS.get(word)) is None:
        return None
    if prefer == "future":
        days = (weekday - wall.weekday()) % 7 or 7
    else:
        days = -((wall.weekday() - weekday) % 7 or 7)
    return datetime.combine(wall.date() + timedelta(days=days), time())


def _natural(typed: str, text: str, prefer: str, base: datetime) -> _Reading:
    if (wall := _day_word(typed.casefold(), prefer, base)) is not None:
        return _reading(wall, text, timed=False)
    # "14 Uhr" and "14.30 Uhr" as dateparser reads them ("2 Uhr" alone it takes for 2 November).
    typed = _UHR.sub(lambda m: f"{int(m[1])}:{m[2] or '00'}", typed)
    typed = _BARE_HOUR.sub(lambda m: f"{m[0][: -len(m[1])]}{int(m[1])}:00", typed)
    if _DOT_INSIDE.search(typed):  # "gestern 14.30": dateparser would drop the time
        raise BadInput(
            f"cannot read the date {text!r}; write a time as 14:30 and a day as 27.11.2026"
        )
    wanted = _typed_time(typed, text)
    from dateparser.date import DateDataParser

    settings = {
        "PREFER_DATES_FROM": prefer,
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": base.astimezone().replace(tzinfo=None),
    }
    data = DateDataParser(languages=LANGUAGES, settings=settings).get_date_data(typed)
    parsed = data.date_obj
    if parsed is None:
        raise _bad(text)
    if wanted is not None and (parsed.hour, parsed.minute) != wanted:
        raise BadInput(f"cannot read the time of day in {text!r}; write it as 14:30")
    if data.period in ("month", "year") and not _RELATIVE_UNIT.search(typed):
        if data.period == "year":  # "im Jahr 2026"
            raise BadInput(f"{text!r} names a year, not a day")
        given = re.search(r"\b\d{4}\b", typed)
        return _Reading(None, month=(parsed.year if given else 0, parsed.month))
    timed = wanted is not None or bool(_FINER_THAN_A_DAY.search(typed))
    return _reading(parsed, text, timed=timed)


def _moment_of(reading: _Reading, text: str) -> datetime:
    if reading.moment is None:
        raise BadInput(
            f"{text!r} names a month, not a day; give the day too, as in 1.11.2026 or 2026-11-01"
        )
    return reading.moment


def _month_start(reading: _Reading, text: str, *, after: bool = False) -> datetime:
    """Midnight at the start of the month the reading names, or of the next one."""
    assert reading.month is not None
    year, month = reading.month
    if not year:
        raise BadInput(
            f"{text!r} names a month but no year; add the year, as in '{text.strip()} "
            f"{local(now()).year}'"
        )
    if after:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return from_wall_clock(datetime(year, month, 1), checked=False)


def _day_start(moment: datetime, *, after: bool = False) -> datetime:
    day = local(moment).date() + timedelta(days=1 if after else 0)
    return from_wall_clock(datetime.combine(day, time()), checked=False)


def parse_when(text: str, *, prefer: str = "past", base: datetime | None = None) -> datetime:
    """A moment from ISO 8601, a dotted date or natural language, as an aware UTC datetime."""
    return _moment_of(_read(text, prefer, base or now()), text)


def parse_since(text: str, *, base: datetime | None = None) -> datetime:
    """A lower bound: a day without a time starts at its midnight, a month on its first day."""
    reading = _read(text, "past", base or now())
    if reading.month:
        return _month_start(reading, text)
    return reading.moment if reading.timed else _day_start(_moment_of(reading, text))


def parse_until(text: str, *, base: datetime | None = None) -> datetime:
    """An upper bound: a day without a time (2026-11-15) means up to the end of that day, a
    month (2026-11) up to the end of its last day."""
    reading = _read(text, "future", base or now())
    if reading.month:
        return _month_start(reading, text, after=True) - timedelta(microseconds=1)
    if reading.timed:
        return _moment_of(reading, text)
    return _day_start(_moment_of(reading, text), after=True) - timedelta(microseconds=1)


def parse_day(text: str, *, base: datetime | None = None) -> date:
    """A calendar day, looking forward: `--due friday` means the coming Friday.

    A time of day would be dropped without a word, so a day with one is refused.
    """
    reading = _read(text, "future", base or now())
    if reading.timed:
        raise BadInput(
            f"a follow-up is due on a day, not at a time: leave the time out of {text!r}"
        )
    return local(_moment_of(reading, text)).date()


def parse_period(text: str, what: str = "period", *, zero: bool = True) -> int:
    """Days from `30d`, `2w`, `3m` (months of 30 days), `1y` or a bare number of days."""
    match = _CADENCE.match(text.lower())
    days = int(match.group(1)) * _CADENCE_DAYS[(match.group(2) or "d")[0]] if match else -1
    if not (0 if zero else 1) <= days <= MAX_CADENCE_DAYS:
        raise BadInput(f"cannot read the {what} {text!r}; try 30d, 2w, 3m or 1y (up to 10y)")
    return days


def parse_cadence(text: str) -> int:
    """A keep-in-touch cadence in days: a period of at least one day."""
    return parse_period(text, "cadence", zero=False)


def local(moment: datetime) -> datetime:
    return moment.astimezone()


def format_moment(moment: datetime) -> str:
    """`2026-11-26 13:00` in local time."""
    return local(moment).strftime("%Y-%m-%d %H:%M")


def format_day(day: date | datetime) -> str:
    return (local(day).date() if isinstance(day, datetime) else day).isoformat()


def today() -> date:
    return local(now()).date()


def relative_day(day: date | datetime, *, reference: date | None = None) -> str:
    """`today`, `yesterday`, `23 days ago`, `tomorrow`, `in 3 days`, by calendar days."""
    if isinstance(day, datetime):
        day = local(day).date()
    delta = ((reference or today()) - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if delta == -1:
        return "tomorrow"
    if delta > 0:
        return f"{delta} days ago"
    return f"in {-delta} days"


def in_future(moment: datetime, *, slack: timedelta = timedelta(minutes=5)) -> bool:
    """Later than now, allowing for clocks and typing a few minutes apart."""
    return moment > now() + slack
