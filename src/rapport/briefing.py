"""The briefing: everything `show` prints about one client, read in one snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rapport import dates, rows
from rapport.clients import find_client, overdue_days
from rapport.errors import BadInput
from rapport.rows import TABLES, Client, Entry, Fact, FollowUp, Impression, Interaction, stored

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal


def first_and_latest(impressions: list[Any]) -> tuple[Any | None, Any | None]:
    """The first impression, and the latest later one to compare it with (oldest first in).

    The latest is the newest later impression with a score, when there is one, so that a
    quick unscored note does not hide how far the picture has moved.
    """
    first = next((i for i in impressions if i.stage == "first"), None)
    later = [i for i in impressions if i.stage == "later"]
    scored = [i for i in later if i.score is not None]
    return first, (scored or later or [None])[-1]


@dataclass
class Briefing:
    client: Client
    last_contact: Interaction | None
    interaction_count: int
    overdue_days: int | None
    first: Impression | None
    latest: Impression | None
    scores: list[int]
    facts: list[Fact]
    follow_ups: list[FollowUp]
    timeline: list[Entry]
    hidden: int = 0  # timeline entries left out by --limit
    interaction_uuids: dict[int, str] = field(default_factory=dict)


MAX_LIMIT = 10**9


def briefing(
    db: Journal, query: str, *, limit: int | None = None, since: datetime | None = None
) -> Briefing:
    """Everything `show` prints; `limit` caps the timeline (None: all of it)."""
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise BadInput(f"--limit must be between 0 and {MAX_LIMIT}")
    with db.connection() as conn:
        return brief(conn, find_client(conn, query), limit=limit, since=since)


def brief(
    conn: Connection,
    client: Client,
    *,
    limit: int | None = None,
    since: datetime | None = None,
) -> Briefing:
    """The briefing of a client already found, on an open connection."""
    cid = {"cid": client.id}
    newest = "at DESC, id DESC"
    last_row = conn.execute(
        rows.select(Interaction, "client_id = :cid AND at <= :now", newest, 1),
        {**cid, "now": stored(dates.now())},  # a planned contact (--future) is not one yet
    ).fetchone()
    impressions = [
        Impression.of(r)
        for r in conn.execute(rows.select(Impression, "client_id = :cid", "at, id"), cid)
    ]
    first, latest = first_and_latest(impressions)
    follow_ups = [
        FollowUp.of(r)
        for r in conn.execute(
            rows.select(FollowUp, "client_id = :cid AND done_at IS NULL", "due IS NULL, due, id"),
            cid,
        )
    ]
    window = dict(cid, since=stored(since)) if since is not None else cid
    where = "client_id = :cid" + (" AND at >= :since" if since is not None else "")
    timeline: list[Entry] = []
    total = 0
    for kind in (Interaction, Impression, Fact):
        found = conn.execute(rows.select(kind, where, newest, limit), window)
        timeline += [kind.of(r) for r in found]
        total += _count(conn, TABLES[kind], where, window)
    timeline.sort(key=lambda e: (e.at, e.created_at), reverse=True)
    timeline = timeline[:limit] if limit is not None else timeline
    linked = [f.interaction_id for f in follow_ups if f.interaction_id is not None]
    uuids: dict[int, str] = {}
    if linked:  # PostgreSQL does not take an empty IN ()
        marks = ",".join("?" * len(linked))
        sql = f"SELECT id, uuid FROM interaction WHERE id IN ({marks})"
        uuids = dict(conn.execute(sql, linked))
    last = Interaction.of(last_row) if last_row else None
    return Briefing(
        client=client,
        last_contact=last,
        interaction_count=_count(conn, "interaction", "client_id = :cid", cid),
        overdue_days=overdue_days(
            client.cadence_days, last.at if last else None, client.created_at
        ),
        first=first,
        latest=latest,
        scores=[i.score for i in impressions if i.score is not None],
        facts=[
            Fact.of(r) for r in conn.execute(rows.select(Fact, "client_id = :cid", newest), cid)
        ],
        follow_ups=follow_ups,
        timeline=timeline,
        hidden=total - len(timeline),
        interaction_uuids=uuids,
    )


def _count(conn: Connection, table: str, where: str, params: dict[str, object]) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
