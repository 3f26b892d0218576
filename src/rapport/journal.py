"""What the commands do, as plain functions over an open `Database`.

Every write happens in one transaction: if anything is wrong, nothing is written. Results are
model objects and small dataclasses; laying them out is `render.py`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from rapport import dates, names
from rapport.errors import BadInput, UnknownClient
from rapport.models import (
    KINDS,
    SCORE_RANGE,
    TOPICS,
    Client,
    Fact,
    FollowUp,
    Impression,
    Interaction,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from rapport.db import Database

Entry = Interaction | Impression | Fact


# -- validation -------------------------------------------------------------------------


TAG = re.compile(r"\w[\w-]*")  # a word: letters, digits, _ and -, not starting with -


def normalise_tags(tags: list[str] | None) -> str:
    """Tags as stored: lower case, unique, sorted, joined by commas."""
    cleaned = set()
    for tag in tags or []:
        tag = tag.strip().lower()
        if not TAG.fullmatch(tag):
            raise BadInput(f"bad tag {tag!r}: a tag is one word of letters, digits, - and _")
        cleaned.add(tag)
    return ",".join(sorted(cleaned))


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
            f"the {what} is {size / 1e6:.1f} MB; rapport keeps notes up to 1 MB "
            "(keep documents elsewhere and note where they are); nothing written"
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


# -- clients ------------------------------------------------------------------------------


def candidates(session: Session) -> list[names.Candidate]:
    rows = session.execute(select(Client.id, Client.name, Client.company))
    return [names.Candidate(id, name, company) for id, name, company in rows]


def find_client(session: Session, query: str) -> Client:
    chosen = names.resolve(query, candidates(session))
    client = session.get(Client, chosen.id)
    assert client is not None
    return client


def lookup(db: Database, query: str) -> Client:
    """Resolve a client name without writing: raises UnknownClient, NoJournal or BadInput."""
    with db.reading() as session:
        return find_client(session, query)


def new_client(
    name: str,
    *,
    company: str | None = None,
    role: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    tags: list[str] | None = None,
    cadence_days: int | None = None,
) -> Client:
    """A checked, unsaved client: everything that can be wrong is found before writing."""

    def optional(value: str | None, what: str) -> str | None:
        return check_text(value, what) if value and value.strip() else None

    return Client(
        name=" ".join(check_text(name, "client name").split()),
        company=optional(company, "company"),
        role=optional(role, "role"),
        email=optional(email, "email"),
        phone=optional(phone, "phone"),
        tags=normalise_tags(tags),
        cadence_days=cadence_days,
    )


def _save_client(session: Session, client: Client) -> Client:
    """Add a client unless the same person (name and company, folded) is already there."""
    wanted = names.keys(client.name)
    company_key = names.fold(client.company or "")
    for other in candidates(session):
        if wanted & names.keys(other.name) and names.fold(other.company or "") == company_key:
            raise BadInput(f"{other.label} is already in the journal")
    session.add(client)
    session.flush()
    return client


def add_client(db: Database, name: str, **details: object) -> Client:
    client = new_client(name, **details)  # type: ignore[arg-type]
    with db.writing() as session:
        return _save_client(session, client)


# -- recording ----------------------------------------------------------------------------


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
    note = check_text(note, "note")
    kind = check_choice(kind, KINDS, "kind")
    mood = check_score(mood, "--mood")
    moment = check_past(at or dates.now(), allow_future)
    tag_text = normalise_tags(tags)
    follow_text = check_text(follow_up, "follow-up") if follow_up is not None else None
    if due is not None and follow_text is None:
        raise BadInput("--due needs --follow-up TEXT")
    newcomer = new_client(query) if create else None
    with db.writing(create=create) as session:
        created = False
        try:
            client = find_client(session, query)
        except UnknownClient:
            if newcomer is None:
                raise
            client = _save_client(session, newcomer)
            created = True
        interaction = Interaction(
            client_id=client.id, at=moment, kind=kind, note=note, mood=mood, tags=tag_text
        )
        session.add(interaction)
        session.flush()
        todo = None
        if follow_text is not None:
            todo = FollowUp(
                client_id=client.id, interaction_id=interaction.id, text=follow_text, due=due
            )
            session.add(todo)
        return Logged(client, interaction, todo, created)


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
        impression = Impression(client_id=client.id, at=moment, stage=stage, text=text, score=score)
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
        fact = Fact(client_id=client.id, at=moment, topic=topic, text=text)
        session.add(fact)
        session.flush()
        return client, fact


# -- reading ------------------------------------------------------------------------------


def overdue_days(cadence_days: int | None, last: datetime | None, since: datetime) -> int | None:
    """Days past the cadence (positive when overdue), counted from the last contact.

    A client never contacted counts from the day they were added.
    """
    if not cadence_days:
        return None
    start = dates.local(last or since).date()
    return (dates.today() - start).days - cadence_days


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


def _entries(
    session: Session, model: type[Entry], client_id: int, since: datetime | None, limit: int | None
) -> list[Entry]:
    query = select(model).where(model.client_id == client_id)
    if since is not None:
        query = query.where(model.at >= since)
    query = query.order_by(model.at.desc(), model.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def _count(session: Session, model: type[Entry], client_id: int, since: datetime | None) -> int:
    query = select(func.count()).select_from(model).where(model.client_id == client_id)
    if since is not None:
        query = query.where(model.at >= since)
    return session.execute(query).scalar_one()


MAX_LIMIT = 10**9


def _last_contact(session: Session, client_id: int) -> Interaction | None:
    """The latest contact that has happened: a planned one (--future) is not a contact yet."""
    return (
        session.execute(
            select(Interaction)
            .where(Interaction.client_id == client_id, Interaction.at <= dates.now())
            .order_by(Interaction.at.desc(), Interaction.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def first_and_latest(impressions: list[Impression]) -> tuple[Impression | None, Impression | None]:
    """The first impression, and the latest later one to compare it with (oldest first in).

    The latest is the newest later impression with a score, when there is one, so that a
    quick unscored note does not hide how far the picture has moved.
    """
    first = next((i for i in impressions if i.stage == "first"), None)
    later = [i for i in impressions if i.stage == "later"]
    scored = [i for i in later if i.score is not None]
    return first, (scored or later or [None])[-1]


def briefing(
    db: Database, query: str, *, limit: int | None = None, since: datetime | None = None
) -> Briefing:
    """Everything `show` prints; `limit` caps the timeline (None: all of it)."""
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise BadInput(f"--limit must be between 0 and {MAX_LIMIT}")
    with db.reading() as session:
        return brief(session, find_client(session, query), limit=limit, since=since)


def brief(
    session: Session, client: Client, *, limit: int | None = None, since: datetime | None = None
) -> Briefing:
    """The briefing of a client already found, inside an open session."""
    cid = client.id
    assert cid is not None
    last = _last_contact(session, cid)
    impressions = _entries(session, Impression, cid, None, None)
    impressions.reverse()  # oldest first
    first, latest = first_and_latest(impressions)
    follow_ups = list(
        session.execute(
            select(FollowUp)
            .where(FollowUp.client_id == cid, FollowUp.done_at.is_(None))  # type: ignore[union-attr]
            .order_by(FollowUp.due.is_(None), FollowUp.due, FollowUp.id)  # type: ignore[union-attr]
        ).scalars()
    )
    timeline: list[Entry] = []
    total = 0
    for model in (Interaction, Impression, Fact):
        timeline += _entries(session, model, cid, since, limit)
        total += _count(session, model, cid, since)
    timeline.sort(key=lambda e: (e.at, e.created_at), reverse=True)
    timeline = timeline[:limit] if limit is not None else timeline
    linked = {f.interaction_id for f in follow_ups if f.interaction_id is not None}
    uuids = dict(
        session.execute(
            select(Interaction.id, Interaction.uuid).where(Interaction.id.in_(linked))  # type: ignore[union-attr]
        ).all()
    )
    return Briefing(
        client=client,
        last_contact=last,
        interaction_count=_count(session, Interaction, cid, None),
        overdue_days=overdue_days(
            client.cadence_days, last.at if last else None, client.created_at
        ),
        first=first,
        latest=latest,
        scores=[i.score for i in impressions if i.score is not None],
        facts=_entries(session, Fact, cid, None, None),
        follow_ups=follow_ups,
        timeline=timeline,
        hidden=total - len(timeline),
        interaction_uuids=uuids,
    )


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
        wanted = normalise_tags([tag])
        query = query.where(("," + Client.tags + ",").contains(f",{wanted},", autoescape=True))
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
