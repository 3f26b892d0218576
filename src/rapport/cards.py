"""A client's card: the whole record as `edit CLIENT` shows it in $EDITOR, and read back.

One `field: value` a line, lists one item a line with the label after the field's name
(`email work: anna@berg.example`, `date work anniversary: 2015-06-01`); an empty value
clears the field. Reading checks every line before anything is written.
"""

from __future__ import annotations

from typing import Any

from rapport import details
from rapport.checks import normalise_tags
from rapport.errors import BadInput
from rapport.rows import Client

COMMENT = "#"
# The fields of a card in the order they are written; the listed ones may come several times.
FIELDS = ("name", "company", "role", "email", "phone", "tags", "every", "birthday", "date",
          "met")  # fmt: skip
LISTED = ("email", "phone", "date")


def cadence_text(days: int | None) -> str:
    """`3w` for 21 days, `45d` for 45: what --every takes back."""
    if not days:
        return ""
    return f"{days // 7}w" if days % 7 == 0 else f"{days}d"


def card_text(client: Client, problem: str | None = None) -> str:
    """The card of `client`, with `problem` as a comment at the top when there is one."""
    head = [f"{COMMENT} {client.name}'s card. Lines starting with {COMMENT} are ignored; "
            "an empty value clears the field.",
            f"{COMMENT} Add lines as needed: email home: …, phone mobile: …, "
            "date founded: 1998-03-15"]  # fmt: skip
    if problem:
        head.insert(0, f"{COMMENT} ERROR: {problem}")
    lines = [f"name: {client.name}", f"company: {client.company or ''}",
             f"role: {client.role or ''}"]  # fmt: skip
    lines += _listed("email", details.labeled(client.email))
    lines += _listed("phone", details.labeled(client.phone))
    lines.append(f"tags: {', '.join(t for t in client.tags.split(',') if t)}")
    lines.append(f"every: {cadence_text(client.cadence_days)}")
    found = details.yearlies(client.dates)
    birthday = next((d for d in found if d.label == details.BIRTHDAY), None)
    lines.append(f"birthday: {birthday.text() if birthday else ''}")
    lines += [f"date {d.label}: {d.text()}" for d in found if d.label != details.BIRTHDAY]
    lines.append(f"met: {' '.join((client.met or '').split())}")
    return "\n".join(head + lines) + "\n"


def _listed(field: str, items: list[details.Labeled]) -> list[str]:
    if not items:
        return [f"{field}: "]
    return [f"{field} {item.label}: {item.value}" if item.label else f"{field}: {item.value}"
            for item in items]  # fmt: skip


def lines_of(text: str) -> list[str]:
    """A card's lines that say something: comments and blank lines left out."""
    return [line.rstrip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith(COMMENT)]  # fmt: skip


def _field(line: str) -> str:
    return line.partition(":")[0].strip().partition(" ")[0].lower()


def changed_fields(shown: str, saved: str) -> set[str]:
    """The fields whose lines differ between the card as shown and as saved (spaces aside).

    Only those are read and written: what the user left alone keeps the journal's value,
    even when another command changed it while the card was open, or when it holds what a
    card cannot say (an older e-mail column, a note on how you met of several lines).
    """

    def by_field(text: str) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for line in lines_of(text):
            grouped.setdefault(_field(line), []).append(" ".join(line.split()))
        return grouped

    before, after = by_field(shown), by_field(saved)
    changed = {field for field in before.keys() | after.keys()
               if before.get(field) != after.get(field)}  # fmt: skip
    if changed & {"birthday", "date"}:
        changed |= {"birthday", "date"}  # both are the one `dates` column
    return changed


# The client column each field of a card sets.
COLUMNS = {"name": "name", "company": "company", "role": "role", "email": "email",
           "phone": "phone", "tags": "tags", "every": "cadence_days", "birthday": "dates",
           "date": "dates", "met": "met"}  # fmt: skip


def read_card(text: str, fields: set[str] | None = None) -> dict[str, Any]:
    """The client columns the card's `fields` set (all of them when None). Every line's form
    is checked; the values of the fields read. BadInput names the first line at fault."""
    from rapport import dates
    from rapport.checks import client_fields
    from rapport.clients import check_met, typed_item

    wanted = set(FIELDS) if fields is None else fields
    values: dict[str, Any] = {}
    seen: set[str] = set()
    emails: list[details.Labeled] = []
    phones: list[details.Labeled] = []
    yearly: list[details.Yearly] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not lines_of(line):
            continue
        head, colon, value = line.partition(":")
        field, _, label = head.strip().partition(" ")
        field = field.lower()
        value = value.strip()
        try:
            if not colon:
                raise BadInput(f"{line.strip()!r} is not 'field: value'")
            if field not in FIELDS:
                raise BadInput(f"unknown field {field!r}; a card has {', '.join(FIELDS)}")
            if field in seen and field not in LISTED:
                raise BadInput(f"the field {field!r} appears twice")
            if label.strip() and field not in LISTED:
                raise BadInput(f"the field {field!r} takes no label")
            if field == "date" and not label.strip():
                raise BadInput("a date needs a label: 'date work anniversary: 2015-06-01'")
            seen.add(field)
            if field not in wanted:
                continue
            typed = f"{label}: {value}" if label.strip() else value
            if field == "email" and value:
                emails.append(typed_item(typed, "email"))
            elif field == "phone" and value:
                phones.append(typed_item(typed, "phone"))
            elif field == "date" and value:
                yearly = details.with_new_date(yearly, details.typed_date(typed))
            elif field == "birthday" and value:
                yearly = details.with_new_date(yearly, details.yearly(details.BIRTHDAY, value))
            elif field == "tags":
                values["tags"] = normalise_tags([t for t in value.split(",") if t.strip()])
            elif field == "every":
                none = not value or value.lower() == "none"
                values["cadence_days"] = None if none else dates.parse_cadence(value)
            elif field == "met":
                values["met"] = check_met(value)
            elif field == "name":
                values["name"] = client_fields(value)["name"]
            elif field in ("company", "role"):
                values[field] = client_fields("x", **{field: value})[field]
        except BadInput as error:
            raise BadInput(f"line {number}: {error}") from None
    if "name" in wanted and "name" not in values:
        raise BadInput("the card has no name: a client keeps one ('name: …')")
    found = {"email": details.joined(details.merged([], emails, [])),
             "phone": details.joined(details.merged([], phones, [])),
             "dates": details.dates_text(yearly), "company": None, "role": None, "tags": "",
             "cadence_days": None, "met": None}  # fmt: skip
    columns = {COLUMNS[field] for field in wanted}
    return {column: values.get(column, found.get(column)) for column in columns}
