"""Clients and the core loop: finding someone by name, adding them, logging a contact.

Every write here is one transaction through the store, so a contact and its follow-up land
together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from rapport.rows import Client, FollowUp, Interaction

if TYPE_CHECKING:
    from rapport.db import Database
    from rapport.store import Connection


def candidates(conn: Connection) -> list[names.Candidate]:
    found = conn.execute("SELECT id, name, company, uuid FROM client")
    return [names.Candidate(*row) for row in found]


def find_client(conn: Connection, query: str) -> Client:
    return client_by_id(conn, names.resolve(query, candidates(conn)).id)


def client_by_id(conn: Connection, client_id: int) -> Client:
    return Client.of(conn.execute(rows.select(Client, "id = ?"), (client_id,)).fetchone())


def lookup(db: Database, query: str) -> Client:
    """Resolve a client name or id without writing: raises UnknownClient, NoJournal or BadInput."""
    with db.connection() as conn:
        return find_client(conn, query)


def _add_client(conn: Connection, values: dict[str, Any]) -> Client:
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
