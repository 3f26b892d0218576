"""Export: the journal as a stream of records, read with the standard sqlite3 module.

A million rows pass through here, and SQLAlchemy's import and per-row processing would cost
more than the rows themselves, so the queries are plain SQL (as in `plainsql.py`) and
times stay the text SQLite holds: `records.timestamp()` slices it into ISO 8601, which is
several times cheaper than parsing each one into a datetime and formatting it again.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from rapport import formats, plainsql
from rapport.checks import KINDS, check_choice
from rapport.errors import BadInput
from rapport.records import (
    Record,
    client_record,
    fact_record,
    follow_up_record,
    impression_record,
    interaction_record,
)

if TYPE_CHECKING:
    from rapport.db import Database


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


def export_records(db: Database, filters: Filters) -> Iterator[Record]:
    """The header, then every record the filters keep, in the stable export order."""
    filters = filters.checked()
    types = set(filters.types or formats.TYPES)
    yield dict(formats.HEADER)
    with db.connection() as conn:
        ids = sorted({plainsql.find_client(conn, name).id for name in filters.clients})
        query = _Query(filters, ids)
        owners: dict[int, Owner] = {}
        for row in query.rows(conn, plainsql.Client, "id", "created_at, uuid"):
            owners[row.id] = Owner(row.uuid, row.name)
            if "client" in types:
                yield client_record(row._replace(archived=bool(row.archived)))
        for kind, build in (
            (plainsql.Interaction, interaction_record),
            (plainsql.Impression, impression_record),
            (plainsql.Fact, fact_record),
        ):
            if plainsql.TABLES[kind].replace("_", "-") in types:
                for row in query.rows(conn, kind, "client_id", "at, uuid", dated=True):
                    yield build(row, owners[row.client_id])
        if "follow-up" in types:
            for row in query.follow_ups(conn):
                yield follow_up_record(row, owners[row.client_id], row.linked_uuid)


class _Query:
    """The SQL for one export's filters; values are bound, never pasted into the text."""

    def __init__(self, filters: Filters, ids: list[int]) -> None:
        self.filters = filters
        self.params: dict[str, object] = {f"id{n}": id for n, id in enumerate(ids)}
        self.among = ", ".join(f":{name}" for name in self.params)
        if filters.since:
            self.params["since"] = plainsql.stored(filters.since)
        if filters.until:
            self.params["until"] = plainsql.stored(filters.until)
        self.params |= {f"kind{n}": kind for n, kind in enumerate(filters.kinds)}
        self.kinds = ", ".join(f":kind{n}" for n in range(len(filters.kinds)))

    def _window(self, at: str) -> list[str]:
        return [f"{at} {op} :{name}" for op, name in ((">=", "since"), ("<=", "until"))
                if name in self.params]  # fmt: skip

    def rows(
        self, conn: sqlite3.Connection, kind: type, owner: str, order: str, dated: bool = False
    ) -> Iterator[Any]:
        where = [f"{owner} IN ({self.among})"] if self.among else []
        if dated:
            where += self._window("at")
        if kind is plainsql.Interaction and self.kinds:
            where.append(f"kind IN ({self.kinds})")
        columns = [f.name for f in fields(kind)]
        sql = f"SELECT {', '.join(columns)} FROM {plainsql.TABLES[kind]}"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        return _named(conn.execute(f"{sql} ORDER BY {order}", self.params), columns)

    def follow_ups(self, conn: sqlite3.Connection) -> Iterator[Any]:
        """Follow-ups go with the contact they came from, so a filtered export imports whole.

        One from an exported interaction is exported; one without an interaction is exported
        when it was written within --since/--until and no --kind narrows the export.
        """
        with_contact = ["i.id IS NOT NULL", *self._window("i.at")]
        alone = ["i.id IS NULL", *self._window("f.created_at")]
        if self.kinds:
            with_contact.append(f"i.kind IN ({self.kinds})")
            alone.append("0")
        where = [f"(({' AND '.join(with_contact)}) OR ({' AND '.join(alone)}))"]
        if self.among:
            where.append(f"f.client_id IN ({self.among})")
        columns = [f.name for f in fields(plainsql.FollowUp)]
        sql = (
            f"SELECT {', '.join(f'f.{c}' for c in columns)}, i.uuid FROM follow_up f "
            f"LEFT JOIN interaction i ON i.id = f.interaction_id WHERE {' AND '.join(where)} "
            "ORDER BY f.created_at, f.uuid"
        )
        return _named(conn.execute(sql, self.params), [*columns, "linked_uuid"])


def _named(cursor: sqlite3.Cursor, columns: list[str]) -> Iterator[Any]:
    row_type = namedtuple("Row", columns)  # type: ignore[misc]
    make = row_type._make
    for row in cursor:
        yield make(row)
