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
from rapport.checks import check_tag
from rapport.errors import BadInput
from rapport.search import sqlite
from rapport.search.kinds import MARK_END, MARK_START, QueryError

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal

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
    archived: bool = False  # the client's


def search(
    db: Journal,
    query: str,
    *,
    tags: list[str] | None = None,
    client: str | None = None,
    since: datetime | None = None,
    latest: bool = False,
    limit: int = 20,
) -> list[Hit]:
    """Ranked full-text matches (newest first with `latest`), each with a snippet.

    Tags (`tags`, or `#word` in the query) narrow the search to contacts with all of them;
    with no other words, the contacts with them are listed, newest first.
    """
    asked = query
    query, hashed = _hashtags(query)
    wanted = [check_tag(tag) for tag in [*(tags or []), *hashed]]
    if not query.strip() and not wanted:
        raise BadInput("give something to search for")
    query = _quote_joined_words(query)
    if not 0 < limit <= 10_000:
        raise BadInput("--limit must be between 1 and 10000")
    engine = _engine(db.dialect)
    try:
        prepared = engine.prepare(query) if query.strip() else None
        with db.connection() as conn:
            params: dict[str, object] = {"limit": limit}
            if client:
                params["client_id"] = clients.find_client(conn, client).id
            if since is not None:
                params["since"] = rows.stored(since)
            if prepared is None:
                return _tagged(conn, wanted, params)
            where = _narrowed(params, key=engine.KEY)
            if wanted:
                conditions, tag_params = clients.tagged("tags", wanted)
                params |= tag_params
                key = engine.KEY  # id * 4 + 0 is an interaction's (search/kinds.py)
                where.append(
                    f"{key} % 4 = 0 AND {key} / 4 IN "
                    f"(SELECT id FROM interaction WHERE {' AND '.join(conditions)})"
                )
            found = engine.matches(conn, prepared, params, where, latest)
    except QueryError as error:
        raise BadInput(
            f"cannot search for {asked!r} ({error}); put words in double quotes "
            "to search for them as written, e.g. '\"AND\"'"
        ) from None
    return [
        Hit(source, uuid, client_uuid, name, rows.utc(at), label, snippet, float(rank), bool(gone))
        for source, uuid, client_uuid, name, at, label, snippet, rank, gone in found
    ]


# The contacts a client was at without being the one they were logged for.
_WITH = "SELECT interaction_id FROM interaction_client WHERE client_id = :client_id"


def _narrowed(params: dict[str, object], table: str = "", key: str = "") -> list[str]:
    """--client and --since as conditions on the columns of `table` ("t." for interactions,
    or the matches of an engine, whose id * 4 + code is `key`). A client's contacts include
    the meetings they were at with others."""
    meeting = f"{key} % 4 = 0 AND {key} / 4 IN ({_WITH})" if key else f"{table}id IN ({_WITH})"
    conditions = {
        "client_id": f"({table}client_id = :client_id OR ({meeting}))",
        "since": f"{table}at >= :since",
    }
    return [condition for name, condition in conditions.items() if name in params]


_HASHTAG = re.compile(r'(?<![^\s(])#([^\s()"]*)')  # a word of the query that starts with #


def _hashtags(query: str) -> tuple[str, list[str]]:
    """The query without its `#tags` (outside double quotes), and the tags."""
    found: list[str] = []

    def taken(match: re.Match[str]) -> str:
        if not match.group(1):
            raise BadInput("a # in the query needs a tag after it, as in '#budgetq1'")
        found.append(match.group(1))
        return ""

    parts = query.split('"')
    for index in range(0, len(parts), 2):  # even parts are outside quotes
        parts[index] = _HASHTAG.sub(taken, parts[index])
    return '"'.join(parts), found


SNIPPET_WORDS = 16  # about as long as a snippet of a match


def _tagged(conn: Connection, tags: list[str], params: dict[str, object]) -> list[Hit]:
    """The contacts with all of `tags`, newest first: what `search '#tag'` lists."""
    conditions, tag_params = clients.tagged("t.tags", tags)
    where = _narrowed(params, "t.") + conditions
    sql = (
        "SELECT t.uuid, c.uuid, c.name, t.at, t.kind, t.note, c.archived "
        "FROM interaction t JOIN client c ON c.id = t.client_id "
        f"WHERE {' AND '.join(where)} ORDER BY t.at DESC, t.id DESC LIMIT :limit"
    )
    return [
        Hit("interaction", uuid, client_uuid, name, rows.utc(at), kind, _opening(note), 0.0,
            bool(archived))
        for uuid, client_uuid, name, at, kind, note, archived
        in conn.execute(sql, {**params, **tag_params})
    ]  # fmt: skip


def _opening(note: str) -> str:
    """The start of a note, as long as a snippet, with … where it is cut."""
    words = note.split()
    return " ".join(words[:SNIPPET_WORDS]) + ("…" if len(words) > SNIPPET_WORDS else "")


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
