"""Checks on what the user typed, before anything is written.

Free of SQLAlchemy, so that `log` can check its input without importing the ORM.
"""

from __future__ import annotations

import re
from datetime import datetime

from rapport import dates
from rapport.errors import BadInput
from rapport.names import MAX_NAME, check_line

KINDS = ("call", "meeting", "lunch", "email", "message", "event", "note")
TOPICS = ("family", "hobby", "interest", "challenge", "preference", "birthday", "other")
STAGES = ("first", "later")
SCORE_RANGE = range(-2, 3)


TAG = re.compile(r"\w[\w-]*")  # a word: letters, digits, _ and -, not starting with -


def check_tag(tag: str) -> str:
    """One tag as stored (lower case), or BadInput saying what is wrong with it."""
    tag = tag.strip().lower()
    if tag.startswith("#"):  # '#budgetq1' is how search and show write it, not a tag's name
        raise BadInput(f"bad tag {tag!r}: write the tag without #")
    if not TAG.fullmatch(tag):
        raise BadInput(f"bad tag {tag!r}: a tag is one word of letters, digits, - and _")
    return tag


def normalise_tags(tags: list[str] | None) -> str:
    """Tags as stored: lower case, unique, sorted, joined by commas."""
    return ",".join(sorted({check_tag(tag) for tag in tags or []}))


MAX_TEXT_BYTES = 1 << 20  # a note is a few lines; a megabyte is a pasted document


def check_text(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise BadInput(f"empty {what}; nothing written")
    if "\x00" in text:
        raise BadInput(f"the {what} contains a NUL byte; nothing written")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise BadInput(
            f"the {what} is {size:,} bytes; rapport keeps notes up to 1 MiB, "
            f"{MAX_TEXT_BYTES:,} bytes (keep documents elsewhere and note where they are); "
            "nothing written"
        )
    return text


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    value = value.strip().lower()
    if value not in choices:
        raise BadInput(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


def check_score(value: int | None, what: str) -> int | None:
    if value is not None and value not in SCORE_RANGE:
        raise BadInput(f"{what} must be between -2 and +2, not {value}")
    return value


def check_past(moment: datetime, allow_future: bool) -> datetime:
    if dates.in_future(moment) and not allow_future:
        raise BadInput(
            f"{dates.format_moment(moment)} is in the future; pass --future if you mean it"
        )
    return moment


def client_fields(
    name: str,
    *,
    company: str | None = None,
    role: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    tags: list[str] | None = None,
    cadence_days: int | None = None,
) -> dict[str, object]:
    """A new client's checked columns: everything that can be wrong is found before writing."""

    def optional(value: str | None, what: str, limit: int | None = MAX_NAME) -> str | None:
        if not (value and value.strip()):
            return None
        return check_line(check_text(value, what), what, limit)

    return {
        "name": check_line(" ".join(check_text(name, "client name").split()), "client name"),
        "company": optional(company, "company"),
        "role": optional(role, "role"),
        "email": optional(email, "email", None),
        "phone": optional(phone, "phone", None),
        "tags": normalise_tags(tags),
        "cadence_days": cadence_days,
    }
