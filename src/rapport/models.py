"""The journal's tables as typed SQLModel classes, for scripting a journal from Python.

    from sqlmodel import Session, create_engine, select
    from rapport.models import Client

    with Session(create_engine("sqlite:///" + path)) as session:  # path: `rapport db path`
        print(session.exec(select(Client)).all())

No command imports this module (importing SQLAlchemy costs more than a whole `show`); the
commands run plain SQL through `rapport.store`. The schema itself is made by the migrations
(`store/migrations.py`); tests/test_models.py holds these classes to it, column by column, on
SQLite and on PostgreSQL. Times are aware datetimes in UTC, stored as naive UTC.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import date, datetime, timezone

try:
    from sqlalchemy.types import DateTime, TypeDecorator
    from sqlmodel import Field, SQLModel
except ImportError as missing:  # an extra: the commands themselves never need it
    raise ImportError("rapport.models needs SQLModel: pip install 'rapport[models]'") from missing


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and hands them back aware.

    SQLite has no zone-aware type; keeping every stored value in UTC makes text order
    equal time order, which the indexes rely on.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the journal; attach a zone first")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Client(SQLModel, table=True):
    __tablename__ = "client"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True)
    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None  # one a line, the label first: "work: anna@berg.example"
    phone: str | None = None  # likewise: "mobile: +49 170 1234567"
    tags: str = ""  # comma-separated, lower case, sorted: see checks.normalise_tags
    cadence_days: int | None = None  # keep in touch every N days
    archived: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dates: str = ""  # one a line: "birthday: 1970-04-02", "founded: --03-15" (no year)
    met: str | None = None  # how you met


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True)
    client_id: int = Field(foreign_key="client.id")
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = "note"
    note: str = ""
    mood: int | None = None
    tags: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author: str = ""  # who wrote it (added by m003, so last): --author or the login name


class Impression(SQLModel, table=True):
    __tablename__ = "impression"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True)
    client_id: int = Field(foreign_key="client.id")
    at: datetime = Field(sa_type=UTCDateTime)
    stage: str = "later"
    text: str
    score: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author: str = ""  # who wrote it (added by m003, so last): --author or the login name


class Fact(SQLModel, table=True):
    __tablename__ = "fact"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True)
    client_id: int = Field(foreign_key="client.id")
    at: datetime = Field(sa_type=UTCDateTime)
    topic: str = "other"
    text: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author: str = ""  # who wrote it (added by m003, so last): --author or the login name


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True)
    client_id: int = Field(foreign_key="client.id")
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id")
    text: str
    due: date | None = None
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author: str = ""  # who wrote it (added by m003, so last): --author or the login name


class InteractionClient(SQLModel, table=True):
    """The other clients of a contact with several people (the interaction's own client is
    `Interaction.client_id`)."""

    __tablename__ = "interaction_client"

    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True)
    client_id: int = Field(foreign_key="client.id", primary_key=True)
