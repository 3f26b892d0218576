"""Full-text search over notes, impressions, facts and follow-ups, on either engine.

A query is written in FTS5's syntax on both engines, so a user's habits and scripts work on
either: `sqlite.py` runs it on SQLite's FTS5 index, `postgresql.py` reads it into a tsquery for
PostgreSQL's text search. `kinds.py` says what is searched and how snippets mark the matched
words. This module checks the question, asks the journal's engine, and returns the hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING

from rapport import clients, rows
from rapport.errors import BadInput
from rapport.search import sqlite
from rapport.search.kinds import MARK_END, MARK_START, QueryError

if TYPE_CHECKING:
    from rapport.store.contract import Journal

__all__ = ["MARK_END", "MARK_START", "Hit", "search"]


@dataclass
class Hit:
    source: str  # interaction, impression, fact, follow-up
    uuid: str
    client_uuid: str
    client: str
    at: datetime
    label: str  # the interaction's kind, the fact's topic, …
    snippet: str  # with MARK_START / MARK_END around the matched words
    rank: float


def search(
    db: Journal,
    query: str,
    *,
    client: str | None = None,
    since: datetime | None = None,
    latest: bool = False,
    limit: int = 20,
) -> list[Hit]:
    """Ranked full-text matches (newest first with `latest`), each with a snippet."""
    if not query.strip():
        raise BadInput("give something to search for")
    asked = query
    query = _quote_joined_words(query)
    if not 0 < limit <= 10_000:
        raise BadInput("--limit must be between 1 and 10000")
    engine = _engine(db.dialect)
    try:
        prepared = engine.prepare(query)
        with db.connection() as conn:
            params: dict[str, object] = {"limit": limit}
            where = []
            if client:
                params["client_id"] = clients.find_client(conn, client).id
                where.append("client_id = :client_id")
            if since is not None:
                params["since"] = rows.stored(since)
                where.append("at >= :since")
            found = engine.matches(conn, prepared, params, where, latest)
    except QueryError as error:
        raise BadInput(
            f"cannot search for {asked!r} ({error}); put words in double quotes "
            "to search for them as written, e.g. '\"AND\"'"
        ) from None
    return [
        Hit(source, uuid, client_uuid, name, rows.utc(at), label, snippet, float(rank))
        for source, uuid, client_uuid, name, at, label, snippet, rank in found
    ]


def _engine(dialect: str) -> ModuleType:
    """The engine's own query language and ranking: the one place search asks which it is."""
    if dialect == "postgresql":
        # Imported here for start-up speed: a SQLite journal never compiles its patterns.
        from rapport.search import postgresql

        return postgresql
    return sqlite


_JOINED = re.compile(
    r"\w+(?:[-'\u2019.:/@]\w+)+"
)  # joined by - ' . : / @ or a typographic apostrophe


def _quote_joined_words(query: str) -> str:
    """`e-mail`, `O'Brien`, `Jean-Luc` as phrases: FTS5 would read their - ' : as operators.

    Only outside double quotes; the rest of the FTS5 syntax (OR, NOT, NEAR, *, "…") stays.
    """
    parts = query.split('"')
    for index in range(0, len(parts), 2):  # even parts are outside quotes
        parts[index] = _JOINED.sub(lambda m: f'"{m.group(0)}"', parts[index])
    return '"'.join(parts)
