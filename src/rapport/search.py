"""Full-text search over notes, impressions, facts and follow-ups, with SQLite's FTS5.

The index and the triggers that keep it in step are made by `migrations.m005_search_folding`
(after m002_search): it holds each text folded and split as `folding.sqlite_search_text`
says, the query is folded alike here, and snippets are shown in the user's own text. It
runs through the standard sqlite3 module like `log` and `show` (see `clients.py`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rapport import clients, folding, rows
from rapport.errors import BadInput
from rapport.store.migrations import SEARCHED

if TYPE_CHECKING:
    from rapport.store.sqlite import Database

MARK_START, MARK_END = "\x02", "\x03"  # around matches in snippets; render.py styles them

# One part per searched kind; the FTS rowid is id * 4 + code (see migrations.m002_search).
PARTS = {
    "interaction": ("interaction", 0, "t.at", "t.kind"),
    "impression": ("impression", 1, "t.at", "t.stage || ' impression'"),
    "fact": ("fact", 2, "t.at", "t.topic"),
    "follow-up": ("follow_up", 3, "t.created_at", "'follow-up'"),
}


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


_BAREWORD = re.compile(r"[A-Za-z0-9_\x1a\x80-\U0010ffff]+")  # FTS5's, as search_postgres reads


def _folded_query(query: str) -> str:
    """The query as the index holds text: letters folded, wide characters one word each.

    Outside double quotes a word with wide characters becomes a "phrase" of them (`東京*`
    → `"東 京"*`); within quotes the words already are one. The operators are ASCII and
    stay as they are; no folded letter is an uppercase one, so none becomes an operator.
    """
    parts = query.split('"')
    for index, part in enumerate(parts):
        if index % 2:
            parts[index] = folding.sqlite_search_text(part)
        else:
            parts[index] = _BAREWORD.sub(_folded_word, part)
    return '"'.join(parts)


def _folded_word(match: re.Match[str]) -> str:
    word = folding.sqlite_search_text(match.group(0))
    return f'"{word.strip()}"' if folding.is_wide(match.group(0)) else word


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
    db: Database,
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
    if db.dialect == "postgresql":
        return _search_postgres(db, query, client, since, latest, limit)
    query = _folded_query(query)
    with db.connection() as conn:
        params: dict[str, object] = {"query": query, "limit": limit}
        if client:
            params["client_id"] = clients.find_client(conn, client).id
        if since is not None:
            params["since"] = rows.stored(since)
        try:
            ranked = conn.execute(_ranking(params, latest), params).fetchall()
            ids = json.dumps([id for id, _, _ in ranked])
            found = {row[1]: row for row in conn.execute(_DETAILS, {"query": query, "ids": ids})}
        except sqlite3.OperationalError as error:
            if not str(error).startswith(_QUERY_ERRORS):
                raise  # the journal's trouble, not the query's: db.py says what it is
            reason = str(error).removeprefix("fts5: ")
            raise BadInput(
                f"cannot search for {asked!r} ({reason}); put words in double quotes "
                "to search for them as written, e.g. '\"AND\"'"
            ) from None
    hits = []
    for id, _, rank in ranked:
        source, _, uuid, client_uuid, name, at, label, snippet, text = found[id]
        snippet = _in_own_words(snippet, text)
        hits.append(Hit(source, uuid, client_uuid, name, rows.utc(at), label, snippet, rank))
    return hits


def _in_own_words(snippet: str, text: str) -> str:
    """FTS5's snippet of the folded text, as the same stretch of what the user wrote."""
    if folding.sqlite_changes(text):
        restored = folding.restore(snippet, text, folding.sqlite_piece)
        if restored is not None:
            return restored
    return snippet.replace("\x01", "…")  # as the index holds it: the same text, or folded


# What SQLite says about a query it cannot read (FTS5 takes `word:` for a column name).
_QUERY_ERRORS = ("fts5:", "unterminated string", "no such column", "unknown special query")


def _ranking(params: dict[str, object], latest: bool) -> str:
    """The matches in order, without their snippets: those are made for the few shown only.

    One pass over the index. Equal ranks come in a fixed order, the later entry first (by
    id: rowid is id * 4 + kind). Only --latest, --since and --client need each match's own
    row, for its time or its client.
    """
    where = []
    if "client_id" in params:
        where.append("client_id = :client_id")
    if "since" in params:
        where.append("at >= :since")
    order = "at DESC, rank, rowid DESC" if latest else "rank, rowid DESC"
    if not where and not latest:
        return (
            "SELECT rowid, NULL, bm25(search_index) AS rank FROM search_index "
            f"WHERE search_index MATCH :query ORDER BY {order} LIMIT :limit"
        )

    def column(name: str) -> str:
        cases = " ".join(
            f"WHEN {code} THEN (SELECT {at if name == 'at' else 't.client_id'} "
            f"FROM {table} t WHERE t.id = s.rowid / 4)"
            for table, code, at, _ in PARTS.values()
        )
        return f"CASE s.rowid % 4 {cases} END"

    return (
        f"SELECT rowid, at, rank FROM (SELECT s.rowid AS rowid, {column('at')} AS at, "
        f"{column('client_id')} AS client_id, bm25(search_index) AS rank "
        f"FROM search_index s WHERE search_index MATCH :query)"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT :limit"
    )


# The hits shown, with their snippets and their texts; :ids is a JSON list, so any --limit is
# one parameter. \x01 marks where the snippet cuts the text, for _in_own_words.
_COLUMNS = {table: column for table, column, _ in SEARCHED}
_DETAILS = " UNION ALL ".join(
    f"SELECT '{source}', s.rowid, t.uuid, c.uuid, c.name, {at}, {label}, "
    f"snippet(search_index, 0, char(2), char(3), char(1), 16), t.{_COLUMNS[table]} "
    f"FROM search_index s "
    f"JOIN {table} t ON t.id = s.rowid / 4 JOIN client c ON c.id = t.client_id "
    f"WHERE s.rowid % 4 = {code} AND search_index MATCH :query "
    f"AND s.rowid IN (SELECT value FROM json_each(:ids))"
    for source, (table, code, at, label) in PARTS.items()
)


def _search_postgres(
    db: Database,
    query: str,
    client: str | None,
    since: datetime | None,
    latest: bool,
    limit: int,
) -> list[Hit]:
    """The same search on PostgreSQL's text search (see `search_postgres.py`)."""
    from rapport import search_postgres as pg

    try:
        parsed = pg.parse(query)
    except pg.QueryError as error:
        raise pg.bad_query(query, error) from None
    with db.connection() as conn:
        params: dict[str, object] = {**parsed.words, "limit": limit}
        where = []
        if client:
            params["client_id"] = clients.find_client(conn, client).id
            where.append("client_id = :client_id")
        if since is not None:
            params["since"] = rows.stored(since)
            where.append("at >= :since")
        ranked = conn.execute(pg.ranking(parsed, where, latest), params).fetchall()
        ids = {f"ids{code}": [key // 4 for key, _, _ in ranked if key % 4 == code]
               for code in range(4)}  # fmt: skip
        details = conn.execute(pg.details(parsed), {**parsed.words, **ids})
        found = {row[1]: row for row in details}
    hits = []
    for key, _, rank in ranked:
        source, _, uuid, client_uuid, name, at, label, snippet, text = found[key]
        restored = folding.restore(snippet, text, folding.postgres_piece)
        snippet = pg.trimmed(snippet if restored is None else restored, text)
        at = rows.utc(at)
        hits.append(Hit(source, uuid, client_uuid, name, at, label, snippet, float(rank)))
    return hits
