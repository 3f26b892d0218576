"""The journal's rows as plain dataclasses, and the one time codec.

Every command reads and writes these. Times are stored as naive UTC text with microseconds
("2026-11-26 12:00:00.000000"), so text order is time order on both backends; days as ISO
dates. `stored` writes a time, `utc` reads one back.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from rapport import dates

if TYPE_CHECKING:
    from rapport.store.contract import Connection


def stored(moment: datetime) -> str:
    """A time as the journal stores it: naive UTC text with microseconds."""
    if moment.tzinfo is None:  # it would be read as local time, and shifted without a word
        raise ValueError("naive datetime given to the journal; attach a zone first")
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def short_id(uuid: str) -> str:
    """The first eight characters of a uuid: what the timeline shows and messages quote."""
    return uuid[:8]


def utc(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=timezone.utc)


def _optional_utc(value: str | datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _day(value: str | date | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class Client:
    id: int
    uuid: str
    name: str
    company: str | None
    role: str | None
    email: str | None
    phone: str | None
    tags: str
    cadence_days: int | None
    archived: bool
    created_at: datetime
    dates: str = ""  # dates that recur, one a line: details.yearlies reads them
    met: str | None = None  # how you met

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Client:
        *head, archived, created_at, dates, met = row
        return cls(*head, bool(archived), utc(created_at), dates, met)


D = TypeVar("D", bound="_Dated")
R = TypeVar("R")


class _Dated:
    """A timeline entry's row: id, uuid, client_id, at, its own columns, author, created_at."""

    @classmethod
    def of(cls: type[D], row: tuple[Any, ...]) -> D:
        id, uuid, client_id, at, *middle, created_at = row
        return cls(id, uuid, client_id, utc(at), *middle, utc(created_at))  # type: ignore[call-arg]


@dataclass
class Interaction(_Dated):
    id: int
    uuid: str
    client_id: int
    at: datetime
    kind: str
    note: str
    mood: int | None
    tags: str
    author: str
    created_at: datetime


@dataclass
class Impression(_Dated):
    id: int
    uuid: str
    client_id: int
    at: datetime
    stage: str
    text: str
    score: int | None
    author: str
    created_at: datetime


@dataclass
class Fact(_Dated):
    id: int
    uuid: str
    client_id: int
    at: datetime
    topic: str
    text: str
    author: str
    created_at: datetime


@dataclass
class FollowUp:
    id: int
    uuid: str
    client_id: int
    interaction_id: int | None
    text: str
    due: date | None
    done_at: datetime | None
    author: str
    created_at: datetime

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> FollowUp:
        id, uuid, client_id, interaction_id, text, due, done_at, author, created_at = row
        return cls(
            id, uuid, client_id, interaction_id, text, _day(due), _optional_utc(done_at),
            author, utc(created_at),
        )  # fmt: skip


Entry = Interaction | Impression | Fact
TABLES = {Client: "client", Interaction: "interaction", Impression: "impression", Fact: "fact",
          FollowUp: "follow_up"}  # fmt: skip


def columns(kind: type, alias: str = "") -> str:
    """The row type's columns, in its fields' order (`c.id, c.uuid, …` with an alias)."""
    return ", ".join(f"{alias}.{f.name}" if alias else f.name for f in fields(kind))


def width(kind: type) -> int:
    """How many columns `columns` selects: where one row type ends in a joined row."""
    return len(fields(kind))


def select(kind: type, where: str, order: str = "", limit: int | None = None) -> str:
    sql = f"SELECT {columns(kind)} FROM {TABLES[kind]} WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    return sql if limit is None else f"{sql} LIMIT {int(limit)}"


def insert(conn: Connection, kind: type, values: dict[str, object]) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    sql = f"INSERT INTO {TABLES[kind]} ({columns}) VALUES ({marks}) RETURNING id"
    return conn.execute(sql, values).fetchone()[0]


def new(row_type: type, **values: Any) -> Any:
    """A row to insert: a fresh uuid and created_at, the rest as given (id set on insert)."""
    return row_type(id=0, uuid=str(uuid_module.uuid4()), created_at=dates.now(), **values)


def save(conn: Connection, row: R) -> R:
    """Insert `row`; it comes back with the id the journal gave it."""
    values = {f.name: bind(getattr(row, f.name)) for f in fields(row) if f.name != "id"}  # type: ignore[arg-type]
    row.id = insert(conn, type(row), values)  # type: ignore[attr-defined]
    return row


def add(conn: Connection, row_type: type[R], **values: Any) -> R:
    """A new row of `row_type` with these values, inserted."""
    return save(conn, new(row_type, **values))


def bind(value: object) -> object:
    """A value as the journal stores it: times as naive UTC text, days as ISO dates."""
    if isinstance(value, datetime):
        return stored(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
