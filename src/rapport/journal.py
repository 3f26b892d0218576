"""What the commands do, as plain functions over an open `Database`.

Every write happens in one transaction: if anything is wrong, nothing is written. Results are
model objects and small dataclasses; laying them out is `render.py`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from rapport import briefing, checks, clients, dates, names
from rapport.briefing import Briefing, overdue_days
from rapport.checks import (
    TOPICS,
    check_choice,
    check_past,
    check_score,
    check_text,
    normalise_tags,
)
from rapport.errors import BadInput
from rapport.models import (
    Client,
    Fact,
    Impression,
    Interaction,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from rapport.db import Database

# -- clients ------------------------------------------------------------------------------


def candidates(session: Session) -> list[names.Candidate]:
    rows = session.execute(select(Client.id, Client.name, Client.company, Client.uuid))
    return [names.Candidate(*row) for row in rows]


def find_client(session: Session, query: str) -> Client:
    chosen = names.resolve(query, candidates(session))
    client = session.get(Client, chosen.id)
    assert client is not None
    return client


def lookup(db: Database, query: str) -> Client:
    """Resolve a client name or id without writing: raises UnknownClient, NoJournal or BadInput."""
    with db.reading() as session:
        return find_client(session, query)


def new_client(name: str, **details: object) -> Client:
    """A checked, unsaved client: everything that can be wrong is found before writing."""
    return Client(**checks.client_fields(name, **details))  # type: ignore[arg-type]


def _save_client(session: Session, client: Client) -> Client:
    """Add a client unless the same person (name and company, folded) is already there."""
    names.refuse_duplicate(client.name, client.company, candidates(session))
    session.add(client)
    session.flush()
    return client


def add_client(db: Database, name: str, **details: object) -> Client:
    client = new_client(name, **details)  # type: ignore[arg-type]
    with db.writing() as session:
        return _save_client(session, client)


# -- recording ----------------------------------------------------------------------------


@dataclass
class Recorded:
    client: Client
    impression: Impression
    replaced: bool = False


def add_impression(
    db: Database,
    query: str,
    text: str,
    *,
    score: int | None = None,
    at: datetime | None = None,
    first: bool = False,
    replace: bool = False,
    allow_future: bool = False,
) -> Recorded:
    text = check_text(text, "impression")
    score = check_score(score, "--score")
    if replace and not first:
        raise BadInput("--replace goes with --first: it replaces the first impression")
    if at is not None:
        check_past(at, allow_future)
    with db.writing(create=False) as session:
        client = find_client(session, query)
        existing = session.execute(
            select(Impression).where(Impression.client_id == client.id, Impression.stage == "first")
        ).scalar_one_or_none()
        if existing is not None and first:
            if not replace:
                raise BadInput(
                    f"{client.name} already has a first impression "
                    f"({dates.format_day(existing.at)}); pass --replace to overwrite it"
                )
            # The first impression keeps its date unless a new one is given.
            existing.text, existing.score, existing.at = text, score, at or existing.at
            return Recorded(client, existing, replaced=True)
        stage = "later" if existing is not None else "first"
        moment = at or dates.now()
        impression = Impression(
            client_id=client.id, at=moment, stage=stage, text=text, score=score, author=db.author
        )
        session.add(impression)
        session.flush()
        return Recorded(client, impression)


def add_fact(
    db: Database,
    query: str,
    text: str,
    *,
    topic: str = "other",
    at: datetime | None = None,
    allow_future: bool = False,
) -> tuple[Client, Fact]:
    text = check_text(text, "fact")
    topic = check_choice(topic, TOPICS, "topic")
    moment = check_past(at or dates.now(), allow_future)
    with db.writing(create=False) as session:
        client = find_client(session, query)
        fact = Fact(client_id=client.id, at=moment, topic=topic, text=text, author=db.author)
        session.add(fact)
        session.flush()
        return client, fact


# -- reading ------------------------------------------------------------------------------


def brief(
    session: Session, client: Client, *, limit: int | None = None, since: datetime | None = None
) -> Briefing:
    """The briefing of a client found through the ORM: `show`'s own SQL, in this session."""
    conn = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        from rapport.postgres import ServerConnection

        conn = ServerConnection(conn)
    return briefing.brief(conn, clients.client_by_id(conn, client.id), limit=limit, since=since)


@dataclass
class ClientRow:
    client: Client
    interaction_count: int
    last_contact: datetime | None
    last_kind: str | None
    first_score: int | None
    latest_score: int | None
    overdue_days: int | None
    scores: list[int] = field(default_factory=list)  # impression scores, oldest first


SORTS = ("name", "last", "count", "overdue")


def _has_tag(tag: str) -> Any:
    wanted = normalise_tags([tag])
    return ("," + Client.tags + ",").contains(f",{wanted},", autoescape=True)


def archived_clients(db: Database, *, tag: str | None = None) -> int:
    """How many clients `clients` leaves out as archived, so an empty list can say why."""
    query = select(func.count()).where(Client.archived.is_(True))  # type: ignore[attr-defined]
    if tag:
        query = query.where(_has_tag(tag))
    with db.reading() as session:
        return session.execute(query).scalar_one()


def client_rows(db: Database, *, sort: str = "name", tag: str | None = None) -> list[ClientRow]:
    sort = check_choice(sort, SORTS, "sort")
    latest_interaction = (
        select(Interaction.at, Interaction.kind)
        .where(Interaction.client_id == Client.id, Interaction.at <= dates.now())
        .order_by(Interaction.at.desc(), Interaction.id.desc())
        .limit(1)
    )
    latest_impression = (
        select(Impression.score)
        .where(
            Impression.client_id == Client.id,
            Impression.stage == "later",
            Impression.score.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(Impression.at.desc(), Impression.id.desc())
        .limit(1)
    )
    query = select(
        Client,
        select(func.count()).where(Interaction.client_id == Client.id).scalar_subquery(),
        latest_interaction.with_only_columns(Interaction.at).scalar_subquery(),
        latest_interaction.with_only_columns(Interaction.kind).scalar_subquery(),
        select(Impression.score)
        .where(Impression.client_id == Client.id, Impression.stage == "first")
        .scalar_subquery(),
        latest_impression.scalar_subquery(),
    ).where(Client.archived.is_(False))  # type: ignore[attr-defined]
    if tag:
        query = query.where(_has_tag(tag))
    with db.reading() as session:
        scores: dict[int, list[int]] = {}
        for client_id, score in session.execute(
            select(Impression.client_id, Impression.score)
            .where(Impression.score.is_not(None))  # type: ignore[union-attr]
            .order_by(Impression.client_id, Impression.at, Impression.id)
        ):
            scores.setdefault(client_id, []).append(score)
        rows = [
            ClientRow(
                client,
                count,
                last,
                kind,
                first,
                latest,
                overdue_days(client.cadence_days, last, client.created_at),
                scores.get(client.id, []),
            )
            for client, count, last, kind, first, latest in session.execute(query)
        ]
    keys = {
        "name": lambda r: names.fold(r.client.name),
        "last": lambda r: -(r.last_contact.timestamp() if r.last_contact else float("-inf")),
        "count": lambda r: -r.interaction_count,
        "overdue": lambda r: -(r.overdue_days if r.overdue_days is not None else -(10**9)),
    }
    return sorted(rows, key=keys[sort])
