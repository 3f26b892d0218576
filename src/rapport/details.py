"""A client's details that are lists: e-mails and phones with labels, and dates that recur.

The journal keeps each list in one column of the client row, one item a line, the label
first when there is one ("work: anna@berg.example", "birthday: 1970-04-02"), readable in
plain SQL. The same `label: value` form is what `add`/`edit` take (`--email work:anna@…`)
and what the card in $EDITOR shows. A yearly date without its year is written as vCard
writes it: `--04-02`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from rapport.errors import BadInput

LABEL = re.compile(r"[^\W_][\w -]{0,39}")  # a word or a few: "work", "work anniversary"
# The local part and a domain with a dot-free or dotted name: enough to catch a phone number
# or a name typed in the wrong place, without refusing an address a mail server takes.
EMAIL = re.compile(r"[^\s@,;:<>()\[\]\"]+@[^\s@,;:<>()\[\]\"]+")
PHONE = re.compile(r"\+?[0-9()./ -]*[0-9][0-9()./ -]*(?:\s*(?:ext\.?|x|#)\s*[0-9]+)?")
BIRTHDAY = "birthday"


@dataclass(frozen=True)
class Labeled:
    """One e-mail address or phone number, with its label ("work", "mobile") or ""."""

    value: str
    label: str = ""

    def line(self) -> str:
        return f"{self.label}: {self.value}" if self.label else self.value


def _split(line: str) -> tuple[str, str]:
    """(label, value) of a stored or typed `label: value`; no label when none is there."""
    head, colon, tail = line.partition(":")
    if colon and LABEL.fullmatch(head.strip()) and tail.strip():
        return head.strip().lower(), tail.strip()
    return "", line.strip()


def labeled(text: str | None) -> list[Labeled]:
    """The items of a stored column (one a line), in their order."""
    return [Labeled(value, label) for label, value in map(_split, (text or "").splitlines())
            if value]  # fmt: skip


def joined(items: list[Labeled]) -> str | None:
    """The column's text for these items; None when there are none (as before lists)."""
    return "\n".join(item.line() for item in items) or None


def first(text: str | None) -> str | None:
    """The first value of a stored list: what the single `email`/`phone` fields carry."""
    items = labeled(text)
    return items[0].value if items else None


def check_label(label: str, what: str) -> str:
    label = " ".join(label.split()).lower()
    if not LABEL.fullmatch(label):
        raise BadInput(
            f"bad label {label!r} for the {what}: a label is a few words of letters and "
            "digits, up to 40 characters (work, mobile, work anniversary)"
        )
    return label


def email(text: str) -> Labeled:
    """`[LABEL:]ADDRESS` as typed, checked."""
    if text.strip().lower().startswith("mailto:"):  # pasted from a link
        text = text.strip()[len("mailto:") :]
    label, value = _typed(text, "e-mail")
    if not EMAIL.fullmatch(value):
        raise BadInput(f"{value!r} is not an e-mail address (name@example.org)")
    return Labeled(value, label)


def phone(text: str) -> Labeled:
    """`[LABEL:]NUMBER` as typed, checked: digits, spaces, + ( ) - / . and an extension."""
    label, value = _typed(text, "phone number")
    value = " ".join(value.split())
    if not PHONE.fullmatch(value):
        raise BadInput(
            f"{value!r} is not a phone number: digits, spaces and + ( ) - / . only "
            "(+49 30 1234567, mobile:+49 170 1234567)"
        )
    return Labeled(value, label)


def _typed(text: str, what: str) -> tuple[str, str]:
    if "\n" in text or "\r" in text or "\x00" in text:
        raise BadInput(f"the {what} must be one line")
    head, colon, tail = text.partition(":")
    # "mobile:+49 …" and "work: anna@…"; a bare address or number has no label.
    if colon and not head.strip().startswith("+") and "@" not in head:
        return check_label(head, what), tail.strip()
    return "", text.strip()


def merged(items: list[Labeled], new: list[Labeled], removed: list[str]) -> list[Labeled]:
    """`items` with `new` added (a value already there takes the new label) and the values
    in `removed` gone; compared without regard to case and spaces."""

    def key(value: str) -> str:
        return "".join(value.split()).casefold()

    gone = {key(value) for value in removed}
    missing = gone - {key(item.value) for item in items}
    if missing:
        raise BadInput(f"{removed[0] if len(removed) == 1 else 'one of ' + ', '.join(removed)!s}"
                       " is not among the client's details; nothing changed")  # fmt: skip
    result = {key(item.value): item for item in items if key(item.value) not in gone}
    for item in new:
        result[key(item.value)] = item
    return list(result.values())


# -- dates that recur ---------------------------------------------------------------------


@dataclass(frozen=True)
class Yearly:
    """A date that comes back every year: a birthday, a work anniversary, a founding day."""

    label: str
    month: int
    day: int
    year: int | None = None

    def text(self) -> str:
        """As stored and exported: YYYY-MM-DD, or --MM-DD without the year (vCard 4)."""
        year = f"{self.year:04d}" if self.year else "-"
        return f"{year}-{self.month:02d}-{self.day:02d}"

    def line(self) -> str:
        return f"{self.label}: {self.text()}"

    def next(self, today: date) -> date:
        """The next time it comes round, today included; 29 February on 28 February in the
        years without one."""
        for year in (today.year, today.year + 1):
            day = self.day
            if self.month == 2 and day == 29 and not calendar.isleap(year):
                day = 28
            when = date(year, self.month, day)
            if when >= today:
                return when
        raise AssertionError("a yearly date comes round within a year")

    def years_on(self, when: date) -> int | None:
        """How many years it marks on `when` (the age a birthday turns); None without a year."""
        return None if self.year is None else when.year - self.year

    def spoken(self) -> str:
        """ "2 April" or "2 April 1970"."""
        name = calendar.month_name[self.month]
        return f"{self.day} {name}" + (f" {self.year}" if self.year else "")


_DAY_FORMS = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),  # 1970-04-02
    re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"),  # 19700402 (vCard 3)
    re.compile(r"(?:--)?(?P<month>\d{1,2})-?(?P<day>\d{2})"),  # 04-02, --04-02, --0402
    re.compile(r"(?:--)?(?P<month>\d{1,2})-(?P<day>\d{1})"),  # 4-2
)


def yearly(label: str, text: str) -> Yearly:
    """A yearly date from what the user or a vCard wrote: 1970-04-02, 04-02, --0402, …"""
    value = text.strip()
    for form in _DAY_FORMS:
        found = form.fullmatch(value)
        if found:
            break
    else:
        raise BadInput(
            f"{text!r} is not a date for the {label}: write 1970-04-02, or 04-02 without the year"
        )
    month, day = int(found["month"]), int(found["day"])
    year = int(found["year"]) if found.groupdict().get("year") else None
    leap = 2000  # without a year, 29 February is a day like any other
    try:
        date(year or leap, month, day)
    except ValueError:
        when = f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
        raise BadInput(f"{when} is not a day of the calendar (the {label})") from None
    if year is not None and not 1800 <= year <= date.today().year:
        raise BadInput(f"{year} is not a year the {label} can be in")
    if year is not None and date(year, month, day) > date.today():
        raise BadInput(f"{year}-{month:02d}-{day:02d} is in the future (the {label})")
    return Yearly(label, month, day, year)


def typed_date(text: str) -> Yearly:
    """`--date "LABEL:DAY"` as typed: "work anniversary:2015-06-01"."""
    head, colon, tail = text.rpartition(":")
    if not colon or not head.strip():
        raise BadInput(
            f"{text!r} needs a label: --date 'work anniversary:2015-06-01' or 'founded:03-15'"
        )
    label = check_label(head, "date")
    return yearly(label, tail)


def yearlies(text: str | None) -> list[Yearly]:
    """The dates of a stored `dates` column; a line rapport cannot read is skipped."""
    found = []
    for line in (text or "").splitlines():
        label, value = _split(line)
        try:
            found.append(yearly(label, value)) if label else None
        except BadInput:
            continue
    return found


def dates_text(items: list[Yearly]) -> str:
    """The `dates` column for these dates, the birthday first, then by label."""
    ordered = sorted(items, key=lambda item: (item.label != BIRTHDAY, item.label))
    return "\n".join(item.line() for item in ordered)


def with_date(items: list[Yearly], new: Yearly) -> list[Yearly]:
    """`items` with `new` in place of the date of the same label."""
    return [item for item in items if item.label != new.label] + [new]


def with_new_date(items: list[Yearly], new: Yearly) -> list[Yearly]:
    """`items` with `new` added; BadInput when another date already has its label (two
    birthdays in one command or card: which one would be meant?)."""
    if any(item.label == new.label and item != new for item in items):
        raise BadInput(f"two dates labelled {new.label!r}; give one")
    return with_date(items, new)
