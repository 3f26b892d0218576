"""Reading the dates people type, and writing dates people read.

ISO 8601 takes a fast path through the standard library; anything else ("yesterday 15:00",
"last friday", "gestern", "vor 3 Tagen") goes to dateparser, imported only then because it
costs more to load than the rest of a `log` run.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from rapport.errors import BadInput

LANGUAGES = ["en", "de"]
_CADENCE = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\s*$")
_CADENCE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")  # 03/04/2026: March or April?
MAX_CADENCE_DAYS = 3650


def now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(text: str) -> datetime | None:
    candidate = text.strip()
    if not candidate[:4].isdigit():
        return None
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
        # A naive time is wall-clock time here; astimezone() applies the zone's rules for
        # that date (summer time included), which a fixed offset from today would not.
        return parsed if parsed.tzinfo else parsed.astimezone()
    except (ValueError, OverflowError):
        return None


def _natural(text: str, prefer: str, base: datetime) -> datetime | None:
    import dateparser

    settings = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": base.astimezone().replace(tzinfo=None),
    }
    return dateparser.parse(text, languages=LANGUAGES, settings=settings)  # type: ignore[arg-type]


def parse_when(text: str, *, prefer: str = "past", base: datetime | None = None) -> datetime:
    """A moment from ISO 8601 or natural language, as an aware UTC datetime."""
    if not text or not text.strip():
        raise BadInput("empty date")
    slashed = _SLASHED.match(text)
    if slashed and int(slashed.group(1)) <= 12 and int(slashed.group(2)) <= 12:
        first, second = int(slashed.group(1)), int(slashed.group(2))
        if first != second:
            raise BadInput(
                f"the date {text!r} is ambiguous: day {first} of month {second}, or month "
                f"{first} day {second}? Write it as YYYY-MM-DD"
            )
    # A bare number ("99", "5") is no date; dateparser would guess a year or a month.
    parsed = None if text.strip().isdigit() else _iso(text) or _natural(text, prefer, base or now())
    try:
        if parsed is not None:
            return (parsed if parsed.tzinfo else parsed.astimezone()).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        pass  # out of the range a timestamp can hold, like year 1
    raise BadInput(
        f"cannot read the date {text!r}; try 2026-11-27 14:30, 'yesterday 15:00', "
        "'3 days ago' or 'gestern'"
    )


def parse_until(text: str) -> datetime:
    """An upper bound: a bare day (2026-11-15) means up to the end of that day."""
    moment = parse_when(text, prefer="future")
    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def parse_day(text: str, *, base: datetime | None = None) -> date:
    """A calendar day, looking forward: `--due friday` means the coming Friday."""
    return local(parse_when(text, prefer="future", base=base)).date()


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
