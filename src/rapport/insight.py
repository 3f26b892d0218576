"""Reading across the journal: search, what is due, how impressions drifted, statistics.

Plain functions over a Database that return dataclasses; render.py lays them out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select, text

from rapport import dates
from rapport.briefing import first_and_latest
from rapport.clients import ClientRow, client_rows
from rapport.errors import BadInput
from rapport.models import Client, Fact, FollowUp, Impression, Interaction

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Row

    from rapport.store.sqlite import Database

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
class Due:
    horizon: date  # today plus --within
    clients: list[ClientRow]  # cadence due by the horizon, most overdue first
    follow_ups: list[DueFollowUp]  # open, due by the horizon, oldest due first
    never_contacted: list[ClientRow]


def due(db: Database, *, within_days: int = 0) -> Due:
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
    with db.reading() as session:
        found = session.execute(
            select(FollowUp, Client, Interaction.uuid)
            .join(Client, Client.id == FollowUp.client_id)
            .outerjoin(Interaction, Interaction.id == FollowUp.interaction_id)
            .where(FollowUp.done_at.is_(None), FollowUp.due <= horizon)  # type: ignore[union-attr,operator]
            .order_by(FollowUp.due, FollowUp.created_at)
        ).all()
    follow_ups = [DueFollowUp(todo, owner, linked) for todo, owner, linked in found]
    return Due(horizon, cadence, follow_ups, never)


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
class DriftReport:
    rows: list[Drift]  # largest change first
    deceived: int  # clients whose first impression was off by two points or more
    scored: int  # clients with a score on both ends


def drift(db: Database) -> DriftReport:
    """First versus latest impression, for every client with at least two impressions."""
    with db.reading() as session:
        impressions = session.execute(
            select(Impression, Client)
            .join(Client, Client.id == Impression.client_id)
            .order_by(Impression.client_id, Impression.at, Impression.id)
        ).all()
    by_client: dict[int, tuple[Client, list[Impression]]] = {}
    for impression, owner in impressions:
        by_client.setdefault(owner.id, (owner, []))[1].append(impression)
    rows = []
    for owner, seen in by_client.values():
        first, latest = first_and_latest(seen)
        if first is not None and latest is not None:
            rows.append(Drift(owner, first, latest))
    rows.sort(key=lambda d: (d.change is None, -abs(d.change or 0), d.client.name.casefold()))
    scored = [d for d in rows if d.change is not None]
    return DriftReport(rows, sum(1 for d in scored if abs(d.change or 0) >= 2), len(scored))


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


def _contacted(per_client: Sequence[Row[tuple[str, str, str | None, int]]]) -> list[Contacted]:
    """Each client's contacts; two clients of one name are told apart by company."""
    names = Counter(name for _, name, _, _ in per_client)
    return [
        Contacted(uuid, name, company,
                  f"{name} ({company})" if names[name] > 1 and company else name, count)
        for uuid, name, company, count in per_client
    ]  # fmt: skip


def stats(db: Database, *, top: int = 5) -> Stats:
    labels = _last_twelve_months()
    first_month = date.fromisoformat(labels[0] + "-01")
    with db.reading() as session:
        per_client = session.execute(
            select(Client.uuid, Client.name, Client.company, func.count(Interaction.id))
            .outerjoin(Interaction, Interaction.client_id == Client.id)
            .group_by(Client.id)
        ).all()
        kinds = session.execute(
            select(Interaction.kind, func.count()).group_by(Interaction.kind)
        ).all()
        recent = session.execute(
            select(Interaction.at).where(
                Interaction.at >= datetime.combine(first_month, datetime.min.time()).astimezone()
            )
        ).scalars()
        months = Counter(dates.local(at).strftime("%Y-%m") for at in recent)
        previous = "lag(at) OVER (PARTITION BY client_id ORDER BY at)"
        gap = (
            f"extract(epoch FROM at - {previous}) / 86400"
            if session.get_bind().dialect.name == "postgresql"
            else f"julianday(at) - julianday({previous})"
        )
        gaps = session.execute(
            text(
                f"SELECT avg(gap) FROM (SELECT {gap} AS gap FROM interaction) AS gaps "
                "WHERE gap IS NOT NULL"
            )
        ).scalar()
        impressions = session.execute(select(func.count()).select_from(Impression)).scalar()
        facts = session.execute(select(func.count()).select_from(Fact)).scalar()
        open_follow_ups = session.execute(
            select(func.count()).select_from(FollowUp).where(FollowUp.done_at.is_(None))  # type: ignore[union-attr]
        ).scalar()
    ranked = sorted(_contacted(per_client), key=lambda c: (-c.interactions, c.label.casefold()))
    return Stats(
        months=[(label, months.get(label, 0)) for label in labels],
        kinds=sorted(((kind, count) for kind, count in kinds), key=lambda kv: (-kv[1], kv[0])),
        most=[c for c in ranked if c.interactions][:top],
        least=sorted(ranked, key=lambda c: (c.interactions, c.label.casefold()))[:top],
        clients=len(ranked),
        interactions=sum(c.interactions for c in ranked),
        impressions=impressions or 0,
        facts=facts or 0,
        open_follow_ups=open_follow_ups or 0,
        average_gap_days=round(float(gaps), 1) if gaps is not None else None,
    )
