"""Putting mistakes right: follow-ups done, entries edited or removed, clients renamed or
merged. Each is one transaction; the search index follows through its triggers.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from rapport import dates, names
from rapport.checks import (
    KINDS,
    TOPICS,
    check_choice,
    check_past,
    check_score,
    check_text,
    normalise_tags,
)
from rapport.errors import BadInput
from rapport.journal import candidates, find_client, new_client
from rapport.models import Client, Fact, FollowUp, Impression, Interaction

if TYPE_CHECKING:
    from sqlmodel import Session

    from rapport.store.sqlite import Database

Entry = Interaction | Impression | Fact | FollowUp
KIND_NAMES = {Interaction: "interaction", Impression: "impression", Fact: "fact",
              FollowUp: "follow-up"}  # fmt: skip
_SHORT_ID = re.compile(r"[0-9a-f-]{4,36}")


def find_entry(session: Session, short_id: str, models: tuple[type[Entry], ...]) -> Entry:
    """The one entry whose uuid starts with `short_id` (at least four characters)."""
    prefix = short_id.strip().lower()
    if not _SHORT_ID.fullmatch(prefix):
        raise BadInput(f"{short_id!r} is not an entry id; ids are shown in 'rapport show'")
    found: list[Entry] = []
    for model in models:
        # A range on the unique uuid index: as fast as an exact match.
        query = select(model).where(model.uuid >= prefix, model.uuid < prefix + "~").limit(2)
        found += session.execute(query).scalars().all()
    if not found:
        kinds = " or ".join(KIND_NAMES[m] for m in models)
        raise BadInput(f"no {kinds} has the id {short_id!r}")
    if len(found) > 1:
        raise BadInput(f"the id {short_id!r} is ambiguous; give more of it")
    return found[0]


# -- follow-ups ---------------------------------------------------------------------------


def add_todo(db: Database, query: str, text: str, due: date | None) -> tuple[Client, FollowUp]:
    text = check_text(text, "follow-up")
    with db.writing(create=False) as session:
        client = find_client(session, query)
        todo = FollowUp(client_id=client.id, text=text, due=due, author=db.author)
        session.add(todo)
        session.flush()
        return client, todo


def mark_done(db: Database, short_id: str) -> tuple[Client, FollowUp]:
    with db.writing(create=False) as session:
        todo = find_entry(session, short_id, (FollowUp,))
        assert isinstance(todo, FollowUp)
        if todo.done_at is not None:
            raise BadInput(f"that follow-up was done on {dates.format_day(todo.done_at)}")
        todo.done_at = dates.now()
        client = session.get(Client, todo.client_id)
        assert client is not None
        return client, todo


# -- entries --------------------------------------------------------------------------------


@dataclass
class Changes:
    text: str | None = None
    at: datetime | None = None
    kind: str | None = None
    mood: int | None = None
    score: int | None = None
    topic: str | None = None
    due: date | None = None
    allow_future: bool = False

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "allow_future"}


# Which change applies to which kind of entry, and the column it sets.
_APPLIES: dict[str, dict[type, str]] = {
    "text": {Interaction: "note", Impression: "text", Fact: "text", FollowUp: "text"},
    "at": {Interaction: "at", Impression: "at", Fact: "at"},
    "kind": {Interaction: "kind"},
    "mood": {Interaction: "mood"},
    "score": {Impression: "score"},
    "topic": {Fact: "topic"},
    "due": {FollowUp: "due"},
}


def describe(entry: Entry) -> str:
    """`the lunch with Konrad Brandt on 2026-11-15`-style words, for messages."""
    when = dates.format_day(entry.at if not isinstance(entry, FollowUp) else entry.created_at)
    if isinstance(entry, Interaction):
        return f"the {entry.kind} of {when}"
    if isinstance(entry, Impression):
        return f"the {entry.stage} impression of {when}"
    if isinstance(entry, Fact):
        return f"the {entry.topic} detail of {when}"
    return f"the follow-up {entry.text!r}"


def current_text(db: Database, short_id: str) -> str:
    with db.reading() as session:
        entry = find_entry(session, short_id, tuple(KIND_NAMES))
        return entry.note if isinstance(entry, Interaction) else entry.text


NOTHING_TO_CHANGE = (
    "nothing to change; give --note, --at, --kind, --mood, --score, --topic or --due"
)


def describe_id(db: Database, short_id: str) -> str:
    with db.reading() as session:
        return describe(find_entry(session, short_id, tuple(KIND_NAMES)))


def edit(db: Database, short_id: str, changes: Changes) -> tuple[Client, Entry]:
    wanted = changes.given()
    if not wanted:
        raise BadInput(NOTHING_TO_CHANGE)
    if "text" in wanted:
        wanted["text"] = check_text(wanted["text"], "text")
    if "kind" in wanted:
        wanted["kind"] = check_choice(wanted["kind"], KINDS, "kind")
    if "topic" in wanted:
        wanted["topic"] = check_choice(wanted["topic"], TOPICS, "topic")
    check_score(changes.mood, "--mood")
    check_score(changes.score, "--score")
    if changes.at is not None:
        check_past(changes.at, changes.allow_future)
    with db.writing(create=False) as session:
        entry = find_entry(session, short_id, tuple(KIND_NAMES))
        for change, value in wanted.items():
            column = _APPLIES[change].get(type(entry))
            if column is None:
                option = "--note" if change == "text" else f"--{change}"
                raise BadInput(f"{option} does not apply to {describe(entry)}")
            setattr(entry, column, value)
        client = session.get(Client, entry.client_id)
        assert client is not None
        return client, entry


def remove(db: Database, short_id: str) -> tuple[Client, str]:
    """Delete one entry; a removed first impression passes its role to the next one."""
    with db.writing(create=False) as session:
        entry = find_entry(session, short_id, tuple(KIND_NAMES))
        client = session.get(Client, entry.client_id)
        assert client is not None
        what = describe(entry)
        session.delete(entry)
        session.flush()
        if isinstance(entry, Impression) and entry.stage == "first":
            _promote_first(session, client.id)  # type: ignore[arg-type]
        return client, what


def _promote_first(session: Session, client_id: int) -> None:
    earliest = session.execute(
        select(Impression)
        .where(Impression.client_id == client_id)
        .order_by(Impression.at, Impression.id)
        .limit(1)
    ).scalar()
    if earliest is not None:
        earliest.stage = "first"


# -- clients --------------------------------------------------------------------------------


def rename(db: Database, query: str, new_name: str) -> tuple[str, Client]:
    checked = new_client(new_name).name
    with db.writing(create=False) as session:
        client = find_client(session, query)
        old = client.name
        everyone = candidates(session)
        others = [c for c in everyone if c.id != client.id]
        other = names.namesake(checked, client.company, others)
        if other is not None:
            this = next(c for c in everyone if c.id == client.id)
            raise BadInput(
                f"{other.label} [{names.ids([other], everyone)[other.id]}] is already in the "
                f"journal; to join the two: {merge_command(this, other, everyone)}"
            )
        client.name = checked
        return old, client


def merge_command(
    gone: names.Candidate, into: names.Candidate, everyone: Sequence[names.Candidate]
) -> str:
    """`rapport merge 'O'"'"'Neil' 'Liam O'"'"'Neil'`: a line a shell runs as written."""
    words = [names.handle(gone, everyone), names.handle(into, everyone)]
    return shlex.join(["rapport", "merge", *words])


def _pair(session: Session, query: str, into_query: str) -> tuple[Client, Client]:
    gone, into = find_client(session, query), find_client(session, into_query)
    if gone.id == into.id:
        raise BadInput(f"{query!r} and {into_query!r} are the same client")
    return gone, into


def merge_pair(db: Database, query: str, into_query: str) -> tuple[Client, Client]:
    """The duplicate and the client to keep, checked, for the question before merging."""
    with db.reading() as session:
        return _pair(session, query, into_query)


@dataclass
class Merged:
    into: Client
    gone: str
    moved: dict[str, int]


def merge(db: Database, query: str, into_query: str) -> Merged:
    """Move everything of one client to another and delete the first.

    The earlier first impression stays first; the other becomes a later one. Details the
    remaining client lacks (company, role, email, phone, cadence) are taken over; tags join.
    """
    with db.writing(create=False) as session:
        gone, into = _pair(session, query, into_query)
        firsts = (
            session.execute(
                select(Impression)
                .where(Impression.client_id.in_([gone.id, into.id]), Impression.stage == "first")  # type: ignore[attr-defined]
                .order_by(Impression.at, Impression.id)
            )
            .scalars()
            .all()
        )
        for later in firsts[1:]:
            later.stage = "later"
        session.flush()
        moved = {}
        for model in (Interaction, Impression, Fact, FollowUp):
            result = session.execute(
                update(model).where(model.client_id == gone.id).values(client_id=into.id)
            )
            moved[KIND_NAMES[model]] = result.rowcount
        for detail in ("company", "role", "email", "phone", "cadence_days"):
            if getattr(into, detail) is None:
                setattr(into, detail, getattr(gone, detail))
        into.tags = normalise_tags([t for t in f"{into.tags},{gone.tags}".split(",") if t])
        name = gone.name
        session.delete(gone)
        return Merged(into, name, moved)
