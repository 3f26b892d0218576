"""The briefing: everything `show` prints about one client, read in one snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rapport import dates, names, rows
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
class Meeting:
    """A contact with several clients: the client it was logged for, and the others
    (interaction_client), each as (uuid, name), the others in uuid order."""

    owner: tuple[str, str]
    others: list[tuple[str, str]] = field(default_factory=list)

    def besides(self, client: Client) -> list[str]:
        """The names of everyone there but `client`: the owner first, then the others by name."""
        others = sorted(self.others, key=lambda other: (names.fold(other[1]), other[0]))
        return [name for uuid, name in [self.owner, *others] if uuid != client.uuid]


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
    meetings: dict[int, Meeting] = field(default_factory=dict)  # interaction id → who was there


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
    now = {**cid, "now": stored(dates.now())}  # a planned contact (--future) is not one yet
    # Its own (a walk down the (client_id, at) index) and those it was with others at (its
    # few links), apart: one OR the planner may answer by scanning every contact by time.
    found = [
        conn.execute(rows.select(Interaction, f"{mine} AND at <= :now", newest, 1), now).fetchone()
        for mine in ("client_id = :cid", WITH)
    ]
    last_row = max((r for r in found if r), key=lambda r: (r[3], r[0]), default=None)
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
    met = where.replace("client_id = :cid", WITH)  # the meetings they were with others at
    timeline += [
        Interaction.of(r)
        for r in conn.execute(rows.select(Interaction, met, newest, limit), window)
    ]
    total += _count(conn, "interaction", met, window)
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
        interaction_count=_count(conn, "interaction", "client_id = :cid", cid)
        + _count(conn, "interaction_client", "client_id = :cid", cid),
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
        meetings=meetings(conn, client, timeline),
    )


# The interactions a client was with others at, not the one it was logged for.
WITH = "id IN (SELECT interaction_id FROM interaction_client WHERE client_id = :cid)"

# At most this many ids in one IN (): SQLite's default limit of parameters is far above it.
_CHUNK = 500


def meetings(conn: Connection, client: Client, entries: list[Entry]) -> dict[int, Meeting]:
    """Who was at each of the interactions shown that was a meeting with several people, by
    interaction id: a look-up per entry shown, never a walk over all of a client's contacts."""
    shown = {e.id: e for e in entries if isinstance(e, Interaction)}
    ids = list(shown)
    others: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        sql = (
            "SELECT l.interaction_id, x.uuid, x.name FROM interaction_client l "
            f"JOIN client x ON x.id = l.client_id WHERE l.interaction_id IN ({_marks(chunk)})"
        )
        for interaction_id, uuid, name in conn.execute(sql, chunk):
            others.setdefault(interaction_id, []).append((uuid, name))
    owner_ids = list({shown[i].client_id for i in others} - {client.id})
    owners = {client.id: (client.uuid, client.name)}
    if owner_ids:  # the meetings the client was with others at: the other client's own
        sql = f"SELECT id, uuid, name FROM client WHERE id IN ({_marks(owner_ids)})"
        owners |= {id: (uuid, name) for id, uuid, name in conn.execute(sql, owner_ids)}
    return {i: Meeting(owners[shown[i].client_id], sorted(found)) for i, found in others.items()}


def _marks(values: list[int]) -> str:
    return ",".join("?" * len(values))


def _count(conn: Connection, table: str, where: str, params: dict[str, object]) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
