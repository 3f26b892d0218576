"""Reading across the journal: what is due, how impressions drifted, statistics.

Plain functions over a journal that return dataclasses; render.py lays them out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from rapport import dates, details, rows
from rapport.briefing import first_and_latest
from rapport.clients import ClientRow, client_rows
from rapport.errors import BadInput
from rapport.rows import Client, FollowUp, Impression

if TYPE_CHECKING:
    from rapport.store.contract import Journal


# -- what is due ------------------------------------------------------------------------------


@dataclass
class DueFollowUp:
    follow_up: FollowUp
    client: Client
    interaction_uuid: str | None

    @property
    def overdue_days(self) -> int:
        assert self.follow_up.due is not None
        return (dates.today() - self.follow_up.due).days


@dataclass
class ComingUp:
    """A client's date that recurs, coming round by the horizon."""

    client: Client
    date: details.Yearly
    next: date  # the day it falls on; 28 February for 29 February in a common year
    in_days: int
    years: int | None  # the age a birthday turns, the years an anniversary marks


@dataclass
class Due:
    horizon: date  # today plus --within
    clients: list[ClientRow]  # cadence due by the horizon, most overdue first
    follow_ups: list[DueFollowUp]  # open, due by the horizon, oldest due first
    never_contacted: list[ClientRow]
    # contacted lately, no first impression written: most recent contact first
    no_first_impression: list[ClientRow] = field(default_factory=list)
    dates: list[ComingUp] = field(default_factory=list)  # soonest first

    @property
    def anything_due(self) -> bool:
        """A follow-up, a contact or a date by the horizon: what `due --exit-status` reports
        (the clients never contacted and the missing first impressions are reminders)."""
        return bool(self.follow_ups or self.clients or self.dates)


RECENT_DAYS = 90  # a contact this recent still leaves a first impression to write down


_DUE = f"""
SELECT {rows.columns(FollowUp, "f")}, {rows.columns(Client, "c")}, i.uuid
FROM follow_up f JOIN client c ON c.id = f.client_id
LEFT JOIN interaction i ON i.id = f.interaction_id
WHERE f.done_at IS NULL AND f.due <= ? AND NOT c.archived
ORDER BY f.due, f.created_at"""


def due(db: Journal, *, within_days: int = 0) -> Due:
    if not 0 <= within_days <= 3650:
        raise BadInput("--within must be between 0 and 3650 days")
    horizon = dates.today() + timedelta(days=within_days)
    everyone = client_rows(db, sort="overdue")
    cadence = [
        row
        for row in everyone
        if row.overdue_days is not None
        and row.last_contact is not None
        and row.overdue_days >= -within_days
    ]
    never = [row for row in everyone if row.last_contact is None]
    with db.connection() as conn:
        found = conn.execute(_DUE, (horizon.isoformat(),)).fetchall()
        since = dates.today() - timedelta(days=RECENT_DAYS)
        start = datetime.combine(since, datetime.min.time()).astimezone()
        recently = (rows.stored(start),) * 2  # own contacts, meetings with others
        unfirst = {id for (id,) in conn.execute(_NO_FIRST + _CONTACTED_SINCE, recently)}
        dated = [Client.of(row) for row in conn.execute(_DATED)]
    f, c = rows.width(FollowUp), rows.width(Client)
    follow_ups = [
        DueFollowUp(FollowUp.of(row[:f]), Client.of(row[f : f + c]), row[f + c]) for row in found
    ]
    recent = [row for row in everyone if row.client.id in unfirst and row.last_contact
              and dates.local(row.last_contact).date() >= since]  # fmt: skip
    recent.sort(key=lambda row: -(row.last_contact.timestamp() if row.last_contact else 0))
    return Due(horizon, cadence, follow_ups, never, recent, coming_up(dated, horizon))


# Clients not archived without a first impression; for due, only those contacted lately.
_NO_FIRST = """
SELECT c.id FROM client c WHERE NOT c.archived AND NOT EXISTS
    (SELECT 1 FROM impression m WHERE m.client_id = c.id AND m.stage = 'first')"""
_CONTACTED_SINCE = """
    AND (EXISTS (SELECT 1 FROM interaction i WHERE i.client_id = c.id AND i.at >= ?)
    OR EXISTS (SELECT 1 FROM interaction_client l JOIN interaction i ON i.id = l.interaction_id
               WHERE l.client_id = c.id AND i.at >= ?))"""

_DATED = f"SELECT {rows.columns(Client, 'c')} FROM client c WHERE NOT c.archived AND c.dates <> ''"


def coming_up(clients: list[Client], horizon: date) -> list[ComingUp]:
    """The clients' dates that come round from today to the horizon, soonest first."""
    today = dates.today()
    found = []
    for client in clients:
        for yearly in details.yearlies(client.dates):
            when = yearly.next(today)
            if when <= horizon:
                days = (when - today).days
                found.append(ComingUp(client, yearly, when, days, yearly.years_on(when)))
    found.sort(key=lambda item: (item.in_days, item.client.name.casefold(), item.date.label))
    return found


# -- drift ------------------------------------------------------------------------------------


@dataclass
class Drift:
    client: Client
    first: Impression
    latest: Impression

    @property
    def change(self) -> int | None:
        if self.first.score is None or self.latest.score is None:
            return None
        return self.latest.score - self.first.score


@dataclass
class NotCompared:
    """Why drift could not compare some clients' first impression with a later one."""

    no_first: int = 0  # no first impression written (archived clients left out)
    no_later: int = 0  # a first impression, nothing later yet
    unscored: int = 0  # both, but no score on one end or the other

    def __bool__(self) -> bool:
        return bool(self.no_first or self.no_later or self.unscored)


@dataclass
class DriftReport:
    rows: list[Drift]  # largest change first
    deceived: int  # clients whose first impression was off by two points or more
    scored: int  # clients with a score on both ends
    not_compared: NotCompared = field(default_factory=NotCompared)


_IMPRESSIONS = f"""
SELECT {rows.columns(Impression, "m")}, {rows.columns(Client, "c")}
FROM impression m JOIN client c ON c.id = m.client_id
WHERE NOT c.archived
ORDER BY m.client_id, m.at, m.id"""


def drift(db: Journal) -> DriftReport:
    """First versus latest impression, for every client with at least two impressions
    (archived clients left out)."""
    width = rows.width(Impression)
    by_client: dict[int, tuple[Client, list[Impression]]] = {}
    with db.connection() as conn:
        for row in conn.execute(_IMPRESSIONS):
            impression = Impression.of(row[:width])
            if impression.client_id not in by_client:
                by_client[impression.client_id] = (Client.of(row[width:]), [])
            by_client[impression.client_id][1].append(impression)
        (no_first,) = conn.execute(f"SELECT count(*) FROM ({_NO_FIRST}) n").fetchone()
    drifts = []
    no_later = 0
    for owner, seen in by_client.values():
        first, latest = first_and_latest(seen)
        if first is not None and latest is not None:
            drifts.append(Drift(owner, first, latest))
        elif first is not None and not owner.archived:
            no_later += 1
    drifts.sort(key=lambda d: (d.change is None, -abs(d.change or 0), d.client.name.casefold()))
    scored = [d for d in drifts if d.change is not None]
    unscored = sum(1 for d in drifts if d.change is None and not d.client.archived)
    return DriftReport(
        drifts, sum(1 for d in scored if abs(d.change or 0) >= 2), len(scored),
        NotCompared(no_first, no_later, unscored),
    )  # fmt: skip


# -- stats ------------------------------------------------------------------------------------


class Contacted(NamedTuple):
    uuid: str
    name: str
    company: str | None
    label: str  # the name, and the company when two clients share the name
    interactions: int


@dataclass
class Stats:
    months: list[tuple[str, int]]  # (YYYY-MM, contacts), the last twelve months, oldest first
    kinds: list[tuple[str, int]]  # most frequent first
    most: list[Contacted]  # clients with most contacts
    least: list[Contacted]  # clients with fewest contacts (never contacted included)
    clients: int
    interactions: int
    impressions: int
    facts: int
    open_follow_ups: int
    average_gap_days: float | None  # mean days between consecutive contacts with a client

    @classmethod
    def empty(cls) -> Stats:
        months = [(label, 0) for label in _last_twelve_months()]
        return cls(months, [], [], [], 0, 0, 0, 0, 0, None)


def _last_twelve_months() -> list[str]:
    """`YYYY-MM` labels, oldest first, this month last."""
    today = dates.today()
    labels = []
    for back in range(11, -1, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        labels.append(f"{year:04d}-{month + 1:02d}")
    return labels


def _contacted(per_client: list[tuple[Any, ...]]) -> list[Contacted]:
    """Each client's contacts; two clients of one name are told apart by company."""
    names = Counter(name for _, name, *_ in per_client)
    return [
        Contacted(uuid, name, company,
                  f"{name} ({company})" if names[name] > 1 and company else name, count)
        for uuid, name, company, count, *_ in per_client
    ]  # fmt: skip


def _average_gap_days(per_client: list[tuple[Any, ...]]) -> float | None:
    """The mean time between one client's consecutive contacts, over all clients.

    One client's gaps add up to its last contact minus its first, so the mean needs neither
    a window function nor either engine's own day arithmetic.
    """
    gaps, seconds = 0, 0.0
    for *_, count, first, last in per_client:
        if count > 1:
            gaps += count - 1
            seconds += (rows.utc(last) - rows.utc(first)).total_seconds()
    return round(seconds / 86400 / gaps, 1) if gaps else None


# Per client: how many contacts, the first and the last.
# Each a walk down the (client_id, at) index: no interaction row is read.
_PER_CLIENT = """
SELECT c.id, c.uuid, c.name, c.company,
    (SELECT count(*) FROM interaction i WHERE i.client_id = c.id),
    (SELECT min(i.at) FROM interaction i WHERE i.client_id = c.id),
    (SELECT max(i.at) FROM interaction i WHERE i.client_id = c.id)
FROM client c ORDER BY c.id"""

# The same of the meetings each client was with others at: one pass over interaction_client.
_MET_PER_CLIENT = """
SELECT l.client_id, count(*), min(i.at), max(i.at)
FROM interaction_client l JOIN interaction i ON i.id = l.interaction_id GROUP BY l.client_id"""

_COUNTS = """SELECT (SELECT count(*) FROM impression), (SELECT count(*) FROM fact),
    (SELECT count(*) FROM follow_up WHERE done_at IS NULL)"""


def _with_meetings(row: tuple[Any, ...], met: dict[int, tuple[Any, ...]]) -> tuple[Any, ...]:
    """A client's contacts, first and last, counting the meetings it was with others at."""
    client_id, *who, count, first, last = row
    if client_id in met:
        more, met_first, met_last = met[client_id]
        count += more
        first = met_first if first is None else min(first, met_first)
        last = met_last if last is None else max(last, met_last)
    return (*who, count, first, last)


def stats(db: Journal, *, top: int = 5) -> Stats:
    labels = _last_twelve_months()
    first_month = datetime.combine(date.fromisoformat(labels[0] + "-01"), datetime.min.time())
    with db.connection() as conn:
        met = {row[0]: row[1:] for row in conn.execute(_MET_PER_CLIENT)}
        own = conn.execute(_PER_CLIENT).fetchall()
        interactions = sum(row[4] for row in own)  # each has one own client: counted once
        per_client = [_with_meetings(row, met) for row in own]
        archived = {uuid for (uuid,) in conn.execute("SELECT uuid FROM client WHERE archived")}
        kinds = conn.execute("SELECT kind, count(*) FROM interaction GROUP BY kind").fetchall()
        recent = conn.execute(
            "SELECT at FROM interaction WHERE at >= ?", (rows.stored(first_month.astimezone()),)
        )
        months = Counter(dates.local(rows.utc(at)).strftime("%Y-%m") for (at,) in recent)
        impressions, facts, open_follow_ups = conn.execute(_COUNTS).fetchone()
    ranked = sorted(_contacted(per_client), key=lambda c: (-c.interactions, c.label.casefold()))
    return Stats(
        months=[(label, months.get(label, 0)) for label in labels],
        kinds=sorted(((kind, count) for kind, count in kinds), key=lambda kv: (-kv[1], kv[0])),
        most=[c for c in ranked if c.interactions][:top],
        # Neglect is a reminder: an archived client is left alone on purpose.
        least=sorted(
            (c for c in ranked if c.uuid not in archived),
            key=lambda c: (c.interactions, c.label.casefold()),
        )[:top],
        clients=len(ranked),
        interactions=interactions,
        impressions=impressions,
        facts=facts,
        open_follow_ups=open_follow_ups,
        average_gap_days=_average_gap_days(per_client),
    )
