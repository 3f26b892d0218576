"""The ORM's way to find clients: left only for the modules not yet moved to the store.

Every write happens in one transaction: if anything is wrong, nothing is written. Results are
model objects and small dataclasses; laying them out is `render.py`'s job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from rapport import checks, names
from rapport.models import (
    Client,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from rapport.store.sqlite import Database

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
