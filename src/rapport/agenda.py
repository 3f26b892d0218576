"""The journal's reminders as an iCalendar file (RFC 5545): `export --format ics`.

For a calendar the user already has: each open follow-up is a VTODO due on its day (a done
one is COMPLETED), each date that recurs a yearly all-day VEVENT, and each client's next
contact by cadence an all-day VEVENT on the day it falls due (today, when overdue). Every
item carries a VALARM on the morning of its day (09:00 unless told otherwise, or none) and a
UID made from the uuids of the journal, so a new export replaces the items of the last one
in a calendar that imports it instead of adding them twice. Archived clients are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rapport import clients, dates, details, rows
from rapport.errors import BadInput

if TYPE_CHECKING:
    from rapport.store.contract import Journal

PRODUCT = "-//rapport//rapport relationship journal//EN"
DOMAIN = "rapport"  # the right-hand side of every UID


@dataclass(frozen=True)
class Alarm:
    at: time | None  # the time of day it rings; None: no alarm


def alarm(text: str) -> Alarm:
    """`--alarm 09:00` (the default), `--alarm 7:30`, or `--alarm none`."""
    if text.strip().lower() == "none":
        return Alarm(None)
    found = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", text.strip())
    if not found:
        raise BadInput(f"--alarm takes a time of day such as 09:00, or none; not {text!r}")
    return Alarm(time(int(found[1]), int(found[2])))


def calendar(db: Journal, wanted: list[str], ring: Alarm) -> bytes:
    """The iCalendar file of the clients named in `wanted` (everyone when empty)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "rapport")
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    with db.connection() as conn:
        ids = {clients.find_client(conn, name).id for name in wanted}
        among = f" AND c.id IN ({', '.join(str(id) for id in sorted(ids))})" if ids else ""
        todos = conn.execute(
            "SELECT f.uuid, f.text, f.due, f.done_at, c.name FROM follow_up f "
            f"JOIN client c ON c.id = f.client_id WHERE NOT c.archived{among} "
            "ORDER BY f.created_at, f.uuid"
        ).fetchall()
        dated = [rows.Client.of(row) for row in conn.execute(
            f"SELECT {rows.columns(rows.Client, 'c')} FROM client c "
            f"WHERE NOT c.archived AND c.dates <> ''{among} ORDER BY c.created_at, c.uuid"
        )]  # fmt: skip
    for uuid, text, due, done_at, name in todos:
        cal.add_component(_todo(uuid, f"{name}: {text}", due, done_at, stamp, ring))
    for client in dated:
        for yearly in details.yearlies(client.dates):
            cal.add_component(_yearly(client, yearly, stamp, ring))
    today = dates.today()
    for row in clients.client_rows(db):
        if (ids and row.client.id not in ids) or row.overdue_days is None:
            continue
        day = max(today, today - timedelta(days=row.overdue_days))
        cal.add_component(_contact_due(row.client, day, stamp, ring))
    return cal.to_ical()


def _todo(uuid: str, summary: str, due: Any, done_at: Any, stamp: datetime,
          ring: Alarm) -> Any:  # fmt: skip
    import icalendar

    todo = icalendar.Todo()
    todo.add("uid", f"{uuid}@{DOMAIN}")
    todo.add("dtstamp", stamp)
    todo.add("summary", summary)
    if due is not None:
        todo.add("due", due if isinstance(due, date) else date.fromisoformat(due))
    if done_at is not None:
        todo.add("status", "COMPLETED")
        todo.add("completed", rows.utc(done_at))
    else:
        todo.add("status", "NEEDS-ACTION")
        if due is not None:
            _ring(todo, ring, related="END")  # the morning of the day it is due
    return todo


def _yearly(client: rows.Client, yearly: details.Yearly, stamp: datetime, ring: Alarm) -> Any:
    import icalendar

    event = icalendar.Event()
    slug = re.sub(r"[^a-z0-9]+", "-", yearly.label.lower()).strip("-") or "date"
    event.add("uid", f"{client.uuid}-{slug}@{DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", f"{client.name}: {yearly.label}")
    # From the day it began when the year is known (a calendar can count the years), else
    # from this year's; 29 February comes round on the last day of February.
    first = date(yearly.year or dates.today().year, yearly.month, yearly.day) if (
        yearly.year or yearly.month != 2 or yearly.day != 29
    ) else yearly.next(dates.today())  # fmt: skip
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    leap = yearly.month == 2 and yearly.day == 29
    event.add("rrule", {"freq": "yearly", "bymonth": 2, "bymonthday": -1} if leap
              else {"freq": "yearly"})  # fmt: skip
    _ring(event, ring)
    return event


def _contact_due(client: rows.Client, day: date, stamp: datetime, ring: Alarm) -> Any:
    import icalendar

    event = icalendar.Event()
    event.add("uid", f"{client.uuid}-contact@{DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", f"Get in touch with {client.name} (every {client.cadence_days} days)")
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    _ring(event, ring)
    return event


def _ring(item: Any, ring: Alarm, related: str = "START") -> None:
    """A VALARM at `ring.at` on the item's day: that long after the day begins."""
    if ring.at is None:
        return
    import icalendar

    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", str(item.get("summary")))
    after = timedelta(hours=ring.at.hour, minutes=ring.at.minute)
    alarm.add("trigger", after, parameters={"RELATED": related} if related != "START" else {})
    item.add_component(alarm)
