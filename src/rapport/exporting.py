"""Export: the journal as a stream of records, read in plain SQL through the store.

A million rows pass through here, so times stay the text the journal holds:
`records.timestamp()` slices it into ISO 8601, several times cheaper than parsing each one
into a datetime and formatting it again. Each query selects a record's fields as
formats.SCHEMA lists them; on SQLite, json_object() writes the JSON of the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from rapport import clients, formats, names, records, rows
from rapport.briefing import Briefing, brief
from rapport.checks import KINDS, check_choice, check_tag
from rapport.errors import BadInput
from rapport.records import Record

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal


@dataclass
class Filters:
    clients: list[str] = field(default_factory=list)  # names as the user typed them
    since: datetime | None = None
    until: datetime | None = None
    kinds: list[str] = field(default_factory=list)  # interaction kinds
    types: list[str] = field(default_factory=list)  # record types; empty means all
    tags: list[str] = field(default_factory=list)  # interactions with all of these

    def checked(self) -> Filters:
        """The same filters, validated, with kinds, types and tags in lower case."""
        if self.since and self.until and self.since > self.until:
            raise BadInput("--since is after --until; nothing would match")
        types = [check_choice(kind, formats.TYPES, "type") for kind in self.types]
        tags = [check_tag(tag) for tag in self.tags]
        if tags and set(types) & UNTAGGED:
            raise BadInput("impressions and facts have no tags: leave out --tag or that --type")
        return Filters(
            clients=self.clients,
            since=self.since,
            until=self.until,
            kinds=[check_choice(kind, KINDS, "kind") for kind in self.kinds],
            types=types,
            tags=tags,
        )

    def chosen(self) -> set[str]:
        """The record types exported: --tag leaves out those without tags."""
        chosen = set(self.types or formats.TYPES)
        return chosen - UNTAGGED if self.tags else chosen


UNTAGGED = {"impression", "fact"}  # record types without tags


def export_records(db: Journal, filters: Filters) -> Iterator[Record]:
    """The header, then every record the filters keep, in the stable export order."""
    yield from _export(db, filters, as_json=False)


def export_lines(db: Journal, filters: Filters) -> Iterator[str]:
    """The same records as JSON text, one per line, as `formats.encode` would write them.

    SQLite builds the JSON of each record itself (json_object), which halves the time of
    a large export: Python only passes the lines on. On PostgreSQL, Python encodes the
    records.
    """
    yield from _export(db, filters, as_json=True)


def _export(db: Journal, filters: Filters, *, as_json: bool) -> Iterator[Any]:
    filters = filters.checked()
    chosen = filters.chosen()
    encode = formats.encode if as_json else _same
    json_in_sql = as_json and db.dialect == "sqlite"
    dialect = db.dialect
    yield encode(dict(formats.HEADER))
    with db.connection() as conn:
        ids = sorted({clients.find_client(conn, name).id for name in filters.clients})
        query = _Query(filters, ids)
        for kind in (kind for kind in formats.TYPES if kind in chosen):
            # A client's lists (e-mails, phones, dates) are read by Python: clients are few.
            if json_in_sql and kind != "client":
                yield from query.lines(conn, kind)
            else:
                select = _columns(kind, dialect)
                for values in conn.stream(query.sql(kind, select), query.params):
                    yield encode(records.record(kind, values))


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
    types = filters.chosen()
    with db.connection() as conn:
        chosen = [clients.find_client(conn, name) for name in filters.clients]
        # With --tag, the clients are those with tagged contacts (among those chosen).
        query = _Query(filters, [c.id for c in chosen] if filters.tags else [])
        everyone = (chosen if not filters.tags else []) or [
            rows.Client.of(row)
            for row in conn.stream(query.sql("client", rows.columns(rows.Client)), query.params)
        ]
        for client in sorted({c.id: c for c in everyone}.values(), key=_by_name):
            briefing = brief(conn, client, limit=0)
            if "impression" not in types:
                briefing.first = briefing.latest = None
            if "fact" not in types:
                briefing.facts = []
            if "follow-up" not in types:
                briefing.follow_ups = []
            elif filters.tags:
                tagged = query.tagged_ids(conn, client.id)
                briefing.follow_ups = [f for f in briefing.follow_ups if f.interaction_id in tagged]
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
    left NULL in SQLite's JSON and encoded by Python instead (see `_Query.lines`).
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


# An interaction t's other clients: one probe of interaction_client's primary key per record.
_OTHERS = (
    "FROM interaction_client l JOIN client w ON w.id = l.client_id WHERE l.interaction_id = t.id"
)
# Their uuids as comma-separated text (records.uuid_list sorts them), in each engine's words.
_WITH_TEXT = {
    "sqlite": f"(SELECT group_concat(w.uuid, ',') {_OTHERS})",
    "postgresql": f"(SELECT string_agg(w.uuid, ',') {_OTHERS})",
}


def _uuids(column: str) -> str:
    """SQL for records.uuid_list(): a JSON array of the uuids, in order."""
    assert column == "w.uuids"
    return f"json((SELECT json_group_array(uuid) FROM (SELECT w.uuid {_OTHERS} ORDER BY w.uuid)))"


# records._WRITE in SQL: the forms json_object() must be told how to write.
_SQL = {
    "time": _iso,
    "tags": _tags,
    "bool": lambda column: f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)",
    "uuids": _uuids,
}


def _columns(kind: str, dialect: str) -> str:
    """SQL for a record's fields as stored, in formats.SCHEMA's order (records.record())."""
    return ", ".join(
        _WITH_TEXT[dialect] if f.column == "w.uuids" else f.column
        for f in formats.SCHEMA[kind].values()
    )


def _json_object(kind: str) -> str:
    """SQL for the record as records.record() builds it, key for key (the export tests
    hold the two to the same bytes)."""
    pairs = [
        f"'{f.name}', {_SQL.get(f.form, str)(f.column)}" for f in formats.SCHEMA[kind].values()
    ]
    return f"json_object('type', '{kind}', {', '.join(pairs)})"


_JSON = {kind: _json_object(kind) for kind in formats.TYPES if kind != "client"}


# The meetings client t was at without being the one they were logged for.
_MEETINGS = "SELECT interaction_id FROM interaction_client WHERE client_id = t.id"


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
        self.tags = filters.tags
        self.params |= clients.tagged("tags", self.tags)[1]

    def _tagged(self, column: str) -> list[str]:
        """Conditions that the tags in `column` include every --tag."""
        return clients.tagged(column, self.tags)[0]

    def tagged_ids(self, conn: Connection, client_id: int) -> set[int]:
        """The client's interactions with every --tag."""
        where = " AND ".join(["client_id = :client", *self._tagged("tags")])
        sql = f"SELECT id FROM interaction WHERE {where}"
        return {id for (id,) in conn.execute(sql, {**self.params, "client": client_id})}

    def _window(self, at: str) -> list[str]:
        return [f"{at} {op} :{name}" for op, name in ((">=", "since"), ("<=", "until"))
                if name in self.params]  # fmt: skip

    def _where(self, conditions: list[str]) -> str:
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def _contacts(self, alias: str) -> list[str]:
        """Conditions on the interactions exported (as `alias`): of the --client clients
        (meetings they were at included), in the window, of the kinds and tags."""
        where = []
        if self.among:
            where.append(
                f"({alias}.client_id IN ({self.among}) OR {alias}.id IN (SELECT interaction_id "
                f"FROM interaction_client WHERE client_id IN ({self.among})))"
            )
        where += self._window(f"{alias}.at")
        if self.kinds:
            where.append(f"{alias}.kind IN ({self.kinds})")
        return where + self._tagged(f"{alias}.tags")

    def sql(self, kind: str, select: str) -> str:
        """The query for one type's records in export order, selecting `select`: the table
        is `t`, its client `c`, and a follow-up's interaction `i`."""
        if kind == "client":
            # With --tag, the clients of the contacts exported; with --client, those clients
            # and everyone at their meetings: either way the file imports whole.
            where = []
            if self.tags or self.among:
                present = [*self._contacts("i"), f"(i.client_id = t.id OR i.id IN ({_MEETINGS}))"]
                where.append(f"EXISTS (SELECT 1 FROM interaction i{self._where(present)})")
            if self.among and not self.tags:
                where = [f"(t.id IN ({self.among}) OR {where[0]})"]
            where_clause = self._where(where)
            return f"SELECT {select} FROM client t{where_clause} ORDER BY t.created_at, t.uuid"
        if kind == "follow-up":
            return self._follow_ups(select)
        if kind == "interaction":
            where = self._contacts("t")
        else:
            where = [f"t.client_id IN ({self.among})"] if self.among else []
            where += self._window("t.at")
        return (
            f"SELECT {select} FROM {kind} t JOIN client c ON c.id = t.client_id"
            f"{self._where(where)} ORDER BY t.at, t.uuid"
        )

    def lines(self, conn: Connection, kind: str) -> Iterator[str]:
        """The records as SQLite writes their JSON; tags it cannot write, Python does."""
        tags = formats.SCHEMA[kind].get("tags")
        if tags is None:
            return (line for (line,) in conn.execute(self.sql(kind, _JSON[kind]), self.params))
        column = tags.column
        odd = f"CASE WHEN {column} != '' AND NOT {_plain_tags(column)} THEN {column} END"
        sql = self.sql(kind, f"{_JSON[kind]}, {odd}")
        return (
            line if odd_tags is None else _with_tags(line, odd_tags)
            for line, odd_tags in conn.execute(sql, self.params)
        )

    def moments(self, conn: Connection, client_id: int, types: set[str]) -> Iterator[Moment]:
        parts = []
        for kind, columns in _MOMENTS.items():
            if rows.TABLES[kind] not in types:
                continue
            where = ["client_id = :client", *self._window("at")]
            if kind is rows.Interaction:  # and the meetings the client was with others at
                where[0] = f"({where[0]} OR {_MET})"
            if kind is rows.Interaction and self.kinds:
                where.append(f"kind IN ({self.kinds})")
            if kind is rows.Interaction:
                where += self._tagged("tags")
            parts.append(f"SELECT {columns} FROM {rows.TABLES[kind]}{self._where(where)}")
        if not parts:
            return
        sql = " UNION ALL ".join(parts) + " ORDER BY 2, 3, 4"
        for type_, at, _, _, label, text, number in conn.stream(
            sql, {**self.params, "client": client_id}
        ):
            yield Moment(type_, rows.utc(at), label, text, number)

    def _follow_ups(self, select: str) -> str:
        """Follow-ups go with the contact they came from, so a filtered export imports whole.

        One from an exported interaction is exported; one without an interaction is exported
        when it was written within --since/--until and no --kind or --tag narrows the export.
        """
        with_contact = ["i.id IS NOT NULL", *self._window("i.at"), *self._tagged("i.tags")]
        alone = ["i.id IS NULL", *self._window("t.created_at")]
        if self.kinds:
            with_contact.append(f"i.kind IN ({self.kinds})")
        if self.kinds or self.tags:
            alone.append("1 = 0")
        where = [f"(({' AND '.join(with_contact)}) OR ({' AND '.join(alone)}))"]
        if self.among:
            where.append(f"t.client_id IN ({self.among})")
        return (
            f"SELECT {select} FROM follow_up t JOIN client c ON c.id = t.client_id "
            f"LEFT JOIN interaction i ON i.id = t.interaction_id{self._where(where)} "
            "ORDER BY t.created_at, t.uuid"
        )


_MET = "id IN (SELECT interaction_id FROM interaction_client WHERE client_id = :client)"

# The three kinds of timeline entry as one column list: type, at, the sort keys created_at
# and uuid, then label, text and number (see Moment).
_MOMENTS = {
    rows.Interaction: "'interaction', at, created_at, uuid, kind, note, mood",
    rows.Impression: "'impression', at, created_at, uuid, stage, text, score",
    rows.Fact: "'fact', at, created_at, uuid, topic, text, NULL",
}


def _with_tags(line: str, tags: str) -> str:
    record = json.loads(line)
    record["tags"] = records.split_tags(tags)
    return formats.encode(record)
