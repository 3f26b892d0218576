"""Search on SQLite: the query folded as the FTS5 index holds text, ranked by bm25.

The index and the triggers that keep it in step are made by `migrations.m005_search_folding`
(after m002_search): it holds each text folded and split as `folding.sqlite_search_text`
says, the query is folded alike here, and snippets are shown in the user's own text.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import TYPE_CHECKING

from rapport import folding
from rapport.search.kinds import COLUMNS, PARTS, QueryError

if TYPE_CHECKING:
    from rapport.store.contract import Connection


KEY = "rowid"  # what a match's id * 4 + code is called in the conditions `matches` takes
_BAREWORD = re.compile(r"[A-Za-z0-9_\x1a\x80-\U0010ffff]+")  # FTS5's, as postgresql.py reads


def prepare(query: str) -> str:
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


def matches(
    conn: Connection, query: str, params: dict[str, object], where: list[str], latest: bool
) -> list[tuple]:
    """The matches wanted, best (or newest) first, each with its snippet in the user's words."""
    params = {**params, "query": query}
    try:
        ranked = conn.execute(_ranking(where, latest), params).fetchall()
        ids = json.dumps([id for id, _, _ in ranked])
        found = {row[1]: row for row in conn.execute(_DETAILS, {"query": query, "ids": ids})}
    except sqlite3.OperationalError as error:
        if not str(error).startswith(_QUERY_ERRORS):
            raise  # the journal's trouble, not the query's: the store says what it is
        raise QueryError(str(error).removeprefix("fts5: ")) from None
    hits = []
    for id, _, rank in ranked:
        source, _, uuid, client_uuid, name, at, label, snippet, text, archived = found[id]
        snippet = _in_own_words(snippet, text)
        hits.append((source, uuid, client_uuid, name, at, label, snippet, rank, archived))
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


def _ranking(where: list[str], latest: bool) -> str:
    """The matches in order, without their snippets: those are made for the few shown only.

    One pass over the index. Equal ranks come in a fixed order, the later entry first (by
    id: rowid is id * 4 + kind). Only --latest, --since and --client need each match's own
    row, for its time or its client.
    """
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
_DETAILS = " UNION ALL ".join(
    f"SELECT '{source}', s.rowid, t.uuid, c.uuid, c.name, {at}, {label}, "
    f"snippet(search_index, 0, char(2), char(3), char(1), 16), t.{COLUMNS[table]}, c.archived "
    f"FROM search_index s "
    f"JOIN {table} t ON t.id = s.rowid / 4 JOIN client c ON c.id = t.client_id "
    f"WHERE s.rowid % 4 = {code} AND search_index MATCH :query "
    f"AND s.rowid IN (SELECT value FROM json_each(:ids))"
    for source, (table, code, at, label) in PARTS.items()
)
