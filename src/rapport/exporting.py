"""Export: the journal as a stream of records, read with the standard sqlite3 module.

A million rows pass through here, and SQLAlchemy's import and per-row processing would cost
more than the rows themselves, so the queries are plain SQL (as in `clients.py`) and
times stay the text SQLite holds: `records.timestamp()` slices it into ISO 8601, which is
several times cheaper than parsing each one into a datetime and formatting it again.
"""

from __future__ import annotations

import json
import sqlite3
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from rapport import clients, formats, names, rows
from rapport.briefing import Briefing, brief
from rapport.checks import KINDS, check_choice
from rapport.errors import BadInput
from rapport.records import (
    Record,
    client_record,
    fact_record,
    follow_up_record,
    impression_record,
    interaction_record,
    split_tags,
)

if TYPE_CHECKING:
    from rapport.store.contract import Journal


class Owner(NamedTuple):
    uuid: str
    name: str


@dataclass
class Filters:
    clients: list[str] = field(default_factory=list)  # names as the user typed them
    since: datetime | None = None
    until: datetime | None = None
    kinds: list[str] = field(default_factory=list)  # interaction kinds
    types: list[str] = field(default_factory=list)  # record types; empty means all

    def checked(self) -> Filters:
        """The same filters, validated, with kinds and types in lower case."""
        if self.since and self.until and self.since > self.until:
            raise BadInput("--since is after --until; nothing would match")
        return Filters(
            clients=self.clients,
            since=self.since,
            until=self.until,
            kinds=[check_choice(kind, KINDS, "kind") for kind in self.kinds],
            types=[check_choice(kind, formats.TYPES, "type") for kind in self.types],
        )


def export_records(db: Journal, filters: Filters) -> Iterator[Record]:
    """The header, then every record the filters keep, in the stable export order."""
    yield from _export(db, filters, as_json=False)


def export_lines(db: Journal, filters: Filters) -> Iterator[str]:
    """The same records as JSON text, one per line, as `formats.encode` would write them.

    SQLite builds the JSON of the many dated records itself (json_object), which halves
    the time of a large export: Python only passes the lines on. On PostgreSQL, Python
    encodes the records.
    """
    yield from _export(db, filters, as_json=True)


def _export(db: Journal, filters: Filters, *, as_json: bool) -> Iterator[Any]:
    filters = filters.checked()
    types = set(filters.types or formats.TYPES)
    encode = formats.encode if as_json else _same
    json_in_sql = as_json and db.dialect == "sqlite"
    yield encode(dict(formats.HEADER))
    with db.connection() as conn:
        ids = sorted({clients.find_client(conn, name).id for name in filters.clients})
        query = _Query(filters, ids)
        owners: dict[int, Owner] = {}
        for row in query.clients(conn):
            owners[row.id] = Owner(row.uuid, row.name)
            if "client" in types:
                yield encode(client_record(row._replace(archived=bool(row.archived))))
        for kind, build in (
            (rows.Interaction, interaction_record),
            (rows.Impression, impression_record),
            (rows.Fact, fact_record),
        ):
            if rows.TABLES[kind] not in types:
                continue
            if json_in_sql:
                yield from query.dated_json(conn, kind)
            else:
                for row in query.dated(conn, kind):
                    yield encode(build(row, owners[row.client_id]))
        if "follow-up" not in types:
            return
        if json_in_sql:
            yield from query.follow_ups_json(conn)
        else:
            for row in query.follow_ups(conn):
                yield encode(follow_up_record(row, owners[row.client_id], row.linked_uuid))


class Moment(NamedTuple):
    """A timeline entry of the markdown journal: what interactions, impressions and facts
    share, so one query in time order reads all three."""

    type: str  # interaction, impression or fact
    at: datetime
    label: str  # the interaction's kind, the impression's stage, the fact's topic
    text: str
    number: int | None  # the mood or the score


@dataclass
class Section:
    """A client's part of the markdown journal."""

    briefing: Briefing  # without its timeline, and without the types left out
    timeline: Iterator[Moment]  # oldest first, read from the database as it is written


def sections(db: Journal, filters: Filters) -> Iterator[Section]:
    """Each client's section, by name; read each timeline before asking for the next section
    (PostgreSQL streams one result at a time)."""
    filters = filters.checked()
    types = set(filters.types or formats.TYPES)
    with db.connection() as conn:
        chosen = [clients.find_client(conn, name) for name in filters.clients]
        query = _Query(filters, [])
        everyone = chosen or [rows.Client.of(row) for row in query.clients(conn)]
        for client in sorted({c.id: c for c in everyone}.values(), key=_by_name):
            briefing = brief(conn, client, limit=0)
            if "impression" not in types:
                briefing.first = briefing.latest = None
            if "fact" not in types:
                briefing.facts = []
            if "follow-up" not in types:
                briefing.follow_ups = []
            yield Section(briefing, query.moments(conn, client.id, types))


def _by_name(client: rows.Client) -> tuple[str, str]:
    return names.fold(client.name), client.uuid


def _same(record: Record) -> Record:
    return record


def _iso(column: str) -> str:
    """SQL for what records.timestamp() makes of stored text: ISO 8601 with the offset."""
    fraction = f"substr({column}, 21, 6)"
    return (
        f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || "
        f"CASE WHEN {fraction} GLOB '*[1-9]*' THEN '.' || {fraction} ELSE '' END || '+00:00'"
    )


def _plain_tags(column: str) -> str:
    """SQL: true when the tags need no JSON escaping and have no empty parts.

    rapport only stores words (checks.TAG); anything else, written by another program, is
    left NULL in SQLite's JSON and encoded by Python instead (see `_Query.dated_json`).
    """
    controls = ", ".join(str(code) for code in range(1, 32))
    return (
        f"({column} NOT GLOB '*[\\\"]*' AND {column} NOT GLOB '*[' || char({controls}) || ']*' "
        f"AND {column} NOT LIKE ',%' AND {column} NOT LIKE '%,' AND instr({column}, ',,') = 0)"
    )


def _tags(column: str) -> str:
    """SQL for records.split_tags() of plain tags (NULL for the others)."""
    return (
        f"CASE WHEN {column} = '' THEN json_array() WHEN {_plain_tags(column)} "
        f"""THEN json('["' || replace({column}, ',', '","') || '"]') END"""
    )


_OWNER = "'client_uuid', c.uuid, 'client_name', c.name"
# The dated records as records.py builds them, key for key: tests/test_export_import.py
# checks that both give the same bytes.
_JSON = {
    rows.Interaction: (
        f"'type', 'interaction', 'uuid', t.uuid, {_OWNER}, 'at', {_iso('t.at')}, "
        f"'kind', t.kind, 'note', t.note, 'mood', t.mood, 'tags', {_tags('t.tags')}, "
        f"'author', t.author, 'created_at', {_iso('t.created_at')}"
    ),
    rows.Impression: (
        f"'type', 'impression', 'uuid', t.uuid, {_OWNER}, 'at', {_iso('t.at')}, "
        f"'stage', t.stage, 'text', t.text, 'score', t.score, "
        f"'author', t.author, 'created_at', {_iso('t.created_at')}"
    ),
    rows.Fact: (
        f"'type', 'fact', 'uuid', t.uuid, {_OWNER}, 'at', {_iso('t.at')}, "
        f"'topic', t.topic, 'text', t.text, "
        f"'author', t.author, 'created_at', {_iso('t.created_at')}"
    ),
    rows.FollowUp: (
        f"'type', 'follow-up', 'uuid', t.uuid, {_OWNER}, 'interaction_uuid', i.uuid, "
        f"'text', t.text, 'due', t.due, 'done_at', {_iso('t.done_at')}, "
        f"'author', t.author, 'created_at', {_iso('t.created_at')}"
    ),
}


class _Query:
    """The SQL for one export's filters; values are bound, never pasted into the text."""

    def __init__(self, filters: Filters, ids: list[int]) -> None:
        self.params: dict[str, object] = {f"id{n}": id for n, id in enumerate(ids)}
        self.among = ", ".join(f":{name}" for name in self.params)
        if filters.since:
            self.params["since"] = rows.stored(filters.since)
        if filters.until:
            self.params["until"] = rows.stored(filters.until)
        self.params |= {f"kind{n}": kind for n, kind in enumerate(filters.kinds)}
        self.kinds = ", ".join(f":kind{n}" for n in range(len(filters.kinds)))

    def _window(self, at: str) -> list[str]:
        return [f"{at} {op} :{name}" for op, name in ((">=", "since"), ("<=", "until"))
                if name in self.params]  # fmt: skip

    def _where(self, conditions: list[str]) -> str:
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def clients(self, conn: sqlite3.Connection) -> Iterator[Any]:
        columns = [f.name for f in fields(rows.Client)]
        where = self._where([f"id IN ({self.among})"] if self.among else [])
        sql = f"SELECT {', '.join(columns)} FROM client{where} ORDER BY created_at, uuid"
        return _named(_rows(conn, sql, self.params), columns)

    def _dated(self, kind: type, select: str) -> str:
        where = [f"t.client_id IN ({self.among})"] if self.among else []
        where += self._window("t.at")
        if kind is rows.Interaction and self.kinds:
            where.append(f"t.kind IN ({self.kinds})")
        return (
            f"SELECT {select} FROM {rows.TABLES[kind]} t JOIN client c ON c.id = t.client_id"
            f"{self._where(where)} ORDER BY t.at, t.uuid"
        )

    def dated(self, conn: sqlite3.Connection, kind: type) -> Iterator[Any]:
        columns = [f.name for f in fields(kind)]
        sql = self._dated(kind, ", ".join(f"t.{c}" for c in columns))
        return _named(_rows(conn, sql, self.params), columns)

    def dated_json(self, conn: sqlite3.Connection, kind: type) -> Iterator[str]:
        if kind is not rows.Interaction:
            sql = self._dated(kind, f"json_object({_JSON[kind]})")
            return (line for (line,) in conn.execute(sql, self.params))
        odd = f"CASE WHEN t.tags != '' AND NOT {_plain_tags('t.tags')} THEN t.tags END"
        sql = self._dated(kind, f"json_object({_JSON[kind]}), {odd}")
        return (
            line if odd_tags is None else _with_tags(line, odd_tags)
            for line, odd_tags in conn.execute(sql, self.params)
        )

    def moments(
        self, conn: sqlite3.Connection, client_id: int, types: set[str]
    ) -> Iterator[Moment]:
        parts = []
        for kind, columns in _MOMENTS.items():
            if rows.TABLES[kind] not in types:
                continue
            where = ["client_id = :client", *self._window("at")]
            if kind is rows.Interaction and self.kinds:
                where.append(f"kind IN ({self.kinds})")
            parts.append(f"SELECT {columns} FROM {rows.TABLES[kind]}{self._where(where)}")
        if not parts:
            return
        sql = " UNION ALL ".join(parts) + " ORDER BY 2, 3, 4"
        for type_, at, _, _, label, text, number in _rows(
            conn, sql, {**self.params, "client": client_id}
        ):
            yield Moment(type_, rows.utc(at), label, text, number)

    def _follow_ups(self, select: str) -> str:
        """Follow-ups go with the contact they came from, so a filtered export imports whole.

        One from an exported interaction is exported; one without an interaction is exported
        when it was written within --since/--until and no --kind narrows the export.
        """
        with_contact = ["i.id IS NOT NULL", *self._window("i.at")]
        alone = ["i.id IS NULL", *self._window("t.created_at")]
        if self.kinds:
            with_contact.append(f"i.kind IN ({self.kinds})")
            alone.append("1 = 0")
        where = [f"(({' AND '.join(with_contact)}) OR ({' AND '.join(alone)}))"]
        if self.among:
            where.append(f"t.client_id IN ({self.among})")
        return (
            f"SELECT {select} FROM follow_up t JOIN client c ON c.id = t.client_id "
            f"LEFT JOIN interaction i ON i.id = t.interaction_id{self._where(where)} "
            "ORDER BY t.created_at, t.uuid"
        )

    def follow_ups(self, conn: sqlite3.Connection) -> Iterator[Any]:
        columns = [f.name for f in fields(rows.FollowUp)]
        sql = self._follow_ups(", ".join([*(f"t.{c}" for c in columns), "i.uuid"]))
        return _named(_rows(conn, sql, self.params), [*columns, "linked_uuid"])

    def follow_ups_json(self, conn: sqlite3.Connection) -> Iterator[str]:
        sql = self._follow_ups(f"json_object({_JSON[rows.FollowUp]})")
        return (line for (line,) in conn.execute(sql, self.params))


# The three kinds of timeline entry as one column list: type, at, the sort keys created_at
# and uuid, then label, text and number (see Moment).
_MOMENTS = {
    rows.Interaction: "'interaction', at, created_at, uuid, kind, note, mood",
    rows.Impression: "'impression', at, created_at, uuid, stage, text, score",
    rows.Fact: "'fact', at, created_at, uuid, topic, text, NULL",
}


def _with_tags(line: str, tags: str) -> str:
    record = json.loads(line)
    record["tags"] = split_tags(tags)
    return formats.encode(record)


def _rows(conn: Any, sql: str, params: dict[str, object]) -> Iterator[Any]:
    """The rows of a query as they come: sqlite3 steps through them; on PostgreSQL they
    are streamed, so a million never sit in memory."""
    stream = getattr(conn, "stream", None)
    return stream(sql, params) if stream else conn.execute(sql, params)


def _named(cursor: Iterator[Any], columns: list[str]) -> Iterator[Any]:
    row_type = namedtuple("Row", columns)  # type: ignore[misc]
    make = row_type._make
    for row in cursor:
        yield make(row)
