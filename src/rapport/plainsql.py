"""`log` and `show` in plain SQL over the standard sqlite3 module.

These are the commands typed right after a call and right before a meeting, and importing
SQLAlchemy takes longer than everything else they do. So they read and write through
`Database.connection()` with the SQL written out here, and hand back plain dataclasses with
the models' field names; the schema itself stays defined by `migrations.py` and `models.py`.
Times are stored the way SQLAlchemy stores them (naive UTC text), so both paths read and
write the same rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rapport import dates, names, rows
from rapport.checks import (
    KINDS,
    check_choice,
    check_past,
    check_score,
    check_text,
    client_fields,
    normalise_tags,
)
from rapport.errors import BadInput, UnknownClient
from rapport.rows import TABLES, Client, Entry, Fact, FollowUp, Impression, Interaction, stored

if TYPE_CHECKING:
    from rapport.db import Database


# -- clients ------------------------------------------------------------------------------


def candidates(conn: sqlite3.Connection) -> list[names.Candidate]:
    found = conn.execute("SELECT id, name, company, uuid FROM client")
    return [names.Candidate(*row) for row in found]


def find_client(conn: sqlite3.Connection, query: str) -> Client:
    return client_by_id(conn, names.resolve(query, candidates(conn)).id)


def client_by_id(conn: sqlite3.Connection, client_id: int) -> Client:
    return Client.of(conn.execute(rows.select(Client, "id = ?"), (client_id,)).fetchone())


def lookup(db: Database, query: str) -> Client:
    """Resolve a client name or id without writing: raises UnknownClient, NoJournal or BadInput."""
    with db.connection() as conn:
        return find_client(conn, query)


def _add_client(conn: sqlite3.Connection, values: dict[str, Any]) -> Client:
    names.refuse_duplicate(values["name"], values["company"], candidates(conn))
    client = rows.new(Client, archived=False, **values)
    rows.save(conn, client)
    return client


# -- log ----------------------------------------------------------------------------------


@dataclass
class Logged:
    client: Client
    interaction: Interaction
    follow_up: FollowUp | None
    created_client: bool


def log(
    db: Database,
    query: str,
    note: str,
    *,
    kind: str = "note",
    at: datetime | None = None,
    mood: int | None = None,
    tags: list[str] | None = None,
    follow_up: str | None = None,
    due: date | None = None,
    create: bool = False,
    allow_future: bool = False,
) -> Logged:
    """Record one contact, and its follow-up, in one transaction."""
    note = check_text(note, "note")
    kind = check_choice(kind, KINDS, "kind")
    mood = check_score(mood, "--mood")
    moment = check_past(at or dates.now(), allow_future)
    tag_text = normalise_tags(tags)
    follow_text = check_text(follow_up, "follow-up") if follow_up is not None else None
    if due is not None and follow_text is None:
        raise BadInput("--due needs --follow-up TEXT")
    newcomer = client_fields(query) if create else None
    with db.connection(write=True, create=create) as conn:
        created = False
        try:
            client = find_client(conn, query)
        except UnknownClient:
            if newcomer is None:
                raise
            client = _add_client(conn, newcomer)
            created = True
        interaction = rows.new(Interaction, client_id=client.id, at=moment, kind=kind, note=note,
                           mood=mood, tags=tag_text, author=db.author)  # fmt: skip
        rows.save(conn, interaction)
        todo = None
        if follow_text is not None:
            todo = rows.new(FollowUp, client_id=client.id, interaction_id=interaction.id,
                        text=follow_text, due=due, done_at=None, author=db.author)  # fmt: skip
            rows.save(conn, todo)
        return Logged(client, interaction, todo, created)


# -- show ---------------------------------------------------------------------------------


def overdue_days(cadence_days: int | None, last: datetime | None, since: datetime) -> int | None:
    """Days past the cadence (positive when overdue), counted from the last contact.

    A client never contacted counts from the day they were added.
    """
    if not cadence_days:
        return None
    start = dates.local(last or since).date()
    return (dates.today() - start).days - cadence_days


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
    db: Database, query: str, *, limit: int | None = None, since: datetime | None = None
) -> Briefing:
    """Everything `show` prints; `limit` caps the timeline (None: all of it)."""
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise BadInput(f"--limit must be between 0 and {MAX_LIMIT}")
    with db.connection() as conn:
        return brief(conn, find_client(conn, query), limit=limit, since=since)


def brief(
    conn: sqlite3.Connection,
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


def _count(conn: sqlite3.Connection, table: str, where: str, params: dict[str, object]) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
