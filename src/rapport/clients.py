"""Clients and the core loop: finding someone by name, adding them, logging a contact.

Every write here is one transaction through the store, so a contact and its follow-up land
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rapport import dates, details, names, rows
from rapport.checks import (
    KINDS,
    TOPICS,
    check_choice,
    check_past,
    check_score,
    check_tag,
    check_text,
    client_fields,
    normalise_tags,
)
from rapport.errors import BadInput, NoJournal, UnknownClient
from rapport.names import check_line
from rapport.rows import Client, Fact, FollowUp, Impression, Interaction

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal


def candidates(conn: Connection, *, archived: bool | None = None) -> list[names.Candidate]:
    """Everyone a name may mean; only the archived or only the others when `archived` says."""
    where = "" if archived is None else " WHERE c.archived" if archived else " WHERE NOT c.archived"
    found = conn.execute(f"SELECT c.id, c.name, c.company, c.uuid FROM client c{where}")
    return [names.Candidate(*row) for row in found]


def journal_tags(conn: Connection) -> list[str]:
    """Every tag in the journal, on clients and on entries, for shell completion."""
    found = conn.execute(
        "SELECT DISTINCT tags FROM client WHERE tags != '' "
        "UNION SELECT DISTINCT tags FROM interaction WHERE tags != ''"
    )
    return sorted({tag for (tags,) in found for tag in tags.split(",") if tag})


def tagged(column: str, tags: list[str], prefix: str = "tag") -> tuple[list[str], dict[str, str]]:
    """Conditions, on either engine, that the tags in `column` ("a,b,c") include each of
    `tags` as a whole word, and their parameters :{prefix}0, :{prefix}1, …

    The commas around each tag make it match whole tags only; `_` is a LIKE wildcard and
    may be in a tag, so it is escaped.
    """
    conditions, params = [], {}
    for n, tag in enumerate(dict.fromkeys(check_tag(tag) for tag in tags)):
        escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[f"{prefix}{n}"] = f"%,{escaped},%"
        conditions.append(f"(',' || {column} || ',') LIKE :{prefix}{n} ESCAPE '\\'")
    return conditions, params


def find_client(conn: Connection, query: str) -> Client:
    return client_by_id(conn, names.resolve(query, candidates(conn)).id)


def client_by_id(conn: Connection, client_id: int) -> Client:
    return Client.of(conn.execute(rows.select(Client, "id = ?"), (client_id,)).fetchone())


def lookup(db: Journal, query: str) -> Client:
    """Resolve a client name or id without writing: raises UnknownClient, NoJournal or BadInput."""
    with db.connection() as conn:
        return find_client(conn, query)


def insert_client(conn: Connection, values: dict[str, Any]) -> Client:
    """Add a client from checked fields (`checks.client_fields`) unless the same person (name
    and company, folded) is already there."""
    names.refuse_duplicate(values["name"], values["company"], candidates(conn))
    return rows.add(conn, Client, archived=False, **values)


@dataclass(frozen=True)
class FirstImpression:
    """A new client's first impression, written with the client (`add --impression`, or
    asked at a terminal)."""

    text: str
    score: int | None = None


# Asks the person at a terminal for a new client's first impression: given the client's
# name and what the options already gave, returns the whole of it, or None when skipped.
Ask = Callable[[str, FirstImpression | None], FirstImpression | None]


def first_impression(text: str | None, score: int | None) -> FirstImpression | None:
    """`--impression TEXT --score N`, checked: a score scores a text, so it needs one."""
    if text is None:
        if score is not None:
            raise BadInput("--score needs --impression TEXT: it scores the first impression")
        return None
    return FirstImpression(check_text(text, "impression"), check_score(score, "--score"))


def add_client(
    db: Journal,
    name: str,
    *,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    birthday: str | None = None,
    yearly_dates: Sequence[str] = (),
    met: str | None = None,
    first: FirstImpression | None = None,
    ask: Ask | None = None,
    **columns: Any,
) -> Client:
    """A new client, and its first impression in the same transaction. `emails`/`phones` as
    typed (`work:anna@…`), `yearly_dates` as `LABEL:DAY`. Everything that can be wrong is
    found before writing; `ask` is called once the client's fields are known to be good,
    before the journal is locked for writing."""
    values = client_fields(name, **columns)
    values.update(typed_details(emails, phones, birthday, yearly_dates, met))
    if ask is not None:
        _refuse_known(db, values)  # a duplicate fails before the person types an impression
        first = ask(str(values["name"]), first)
    with db.connection(write=True, create=True) as conn:
        client = insert_client(conn, values)
        if first is not None:
            add_first_impression(conn, client, first, db.author)
        return client


def _refuse_known(db: Journal, values: dict[str, Any]) -> None:
    try:
        with db.connection() as conn:
            names.refuse_duplicate(values["name"], values["company"], candidates(conn))
    except NoJournal:
        return


def add_first_impression(
    conn: Connection, client: Client, first: FirstImpression, author: str
) -> Impression:
    return rows.add(conn, Impression, client_id=client.id, at=dates.now(), stage="first",
                    text=first.text, score=first.score, author=author)  # fmt: skip


def typed_details(
    emails: Sequence[str],
    phones: Sequence[str],
    birthday: str | None,
    yearly_dates: Sequence[str],
    met: str | None,
) -> dict[str, Any]:
    """The columns `add`'s --email, --phone, --birthday, --date and --met give, checked."""
    values: dict[str, Any] = {}
    if emails:
        values["email"] = details.joined(
            details.merged([], [typed_item(e, "email") for e in emails], [])
        )
    if phones:
        values["phone"] = details.joined(
            details.merged([], [typed_item(p, "phone") for p in phones], [])
        )
    found: list[details.Yearly] = []
    for typed in yearly_dates:
        found = details.with_new_date(found, details.typed_date(typed))
    if birthday is not None:
        found = details.with_new_date(found, details.yearly(details.BIRTHDAY, birthday))
    if found:
        values["dates"] = details.dates_text(found)
    if met is not None:
        values["met"] = check_met(met)
    return values


def typed_item(text: str, what: str) -> details.Labeled:
    """`--email`/`--phone` as typed (`work:anna@…`), checked: plain text, then the form."""
    check_line(text, what, None)  # a control character is shown escaped, never raw
    return details.email(text) if what == "email" else details.phone(text)


def check_met(text: str) -> str | None:
    """How you met: free text; an empty one is none."""
    return check_text(text, "note on how you met") if text.strip() else None


# -- log ----------------------------------------------------------------------------------


@dataclass
class Logged:
    client: Client
    interaction: Interaction
    follow_up: FollowUp | None
    created_client: bool
    others: list[Client] = field(default_factory=list)  # the others met (--with)


def log(
    db: Journal,
    query: str,
    note: str,
    *,
    kind: str = "note",
    at: datetime | None = None,
    mood: int | None = None,
    tags: list[str] | None = None,
    follow_up: str | None = None,
    due: date | None = None,
    create: bool = False,
    allow_future: bool = False,
    others: list[str] | None = None,
    first: FirstImpression | None = None,
) -> Logged:
    """Record one contact, and its follow-up, in one transaction; with `create`, a client
    nobody matches is added (with `first`, its first impression) in the same one; `others`
    names the other clients of a meeting with several people (each resolved as `query` is)."""
    note = check_text(note, "note")
    kind = check_choice(kind, KINDS, "kind")
    mood = check_score(mood, "--mood")
    moment = check_past(at or dates.now(), allow_future)
    tag_text = normalise_tags(tags)
    follow_text = check_text(follow_up, "follow-up") if follow_up is not None else None
    if due is not None and follow_text is None:
        raise BadInput("--due needs --follow-up TEXT")
    newcomer = client_fields(query) if create else None
    with db.connection(write=True, create=create) as conn:
        created = False
        try:
            client = find_client(conn, query)
        except UnknownClient:
            if newcomer is None:
                raise
            client = insert_client(conn, newcomer)
            created = True
            if first is not None:
                add_first_impression(conn, client, first, db.author)
        met = participants(conn, client, others or [])
        interaction = rows.add(conn, Interaction, client_id=client.id, at=moment, kind=kind,
                               note=note, mood=mood, tags=tag_text, author=db.author)  # fmt: skip
        link(conn, interaction.id, [other.id for other in met])
        todo = None
        if follow_text is not None:
            todo = add_follow_up(conn, client, follow_text, due, db.author, interaction.id)
        return Logged(client, interaction, todo, created, met)


def participants(conn: Connection, client: Client, queries: list[str]) -> list[Client]:
    """The clients `--with` names, each once and none of them `client` itself."""
    found: list[Client] = []
    for query in queries:
        other = find_client(conn, query)
        if other.id == client.id:
            raise BadInput(f"--with {query!r} is {client.name}, whom the contact is logged for")
        if any(other.id == known.id for known in found):
            raise BadInput(f"--with names {other.name} twice")
        found.append(other)
    return found


def link(conn: Connection, interaction_id: int, client_ids: list[int]) -> None:
    """Record the other clients of a meeting (interaction_client, schema 7)."""
    for client_id in client_ids:
        conn.execute(
            "INSERT INTO interaction_client (interaction_id, client_id) VALUES (?, ?)",
            (interaction_id, client_id),
        )


def add_follow_up(conn: Connection, client: Client, text: str, due: date | None, author: str,
              interaction_id: int | None = None) -> FollowUp:  # fmt: skip
    """A follow-up, from `log --follow-up` (tied to its contact) or `todo` (on its own)."""
    return rows.add(conn, FollowUp, client_id=client.id, interaction_id=interaction_id,
                    text=text, due=due, done_at=None, author=author)  # fmt: skip


def add_todo(db: Journal, query: str, text: str, due: date | None) -> tuple[Client, FollowUp]:
    text = check_text(text, "follow-up")
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        return client, add_follow_up(conn, client, text, due, db.author)


def overdue_days(cadence_days: int | None, last: datetime | None, since: datetime) -> int | None:
    """Days past the cadence (positive when overdue), counted from the last contact.

    A client never contacted counts from the day they were added.
    """
    if not cadence_days:
        return None
    start = dates.local(last or since).date()
    return (dates.today() - start).days - cadence_days


# -- impressions and facts ----------------------------------------------------------------


@dataclass
class Recorded:
    client: Client
    impression: Impression
    replaced: bool = False


def add_impression(
    db: Journal,
    query: str,
    text: str,
    *,
    score: int | None = None,
    at: datetime | None = None,
    first: bool = False,
    replace: bool = False,
    allow_future: bool = False,
) -> Recorded:
    text = check_text(text, "impression")
    score = check_score(score, "--score")
    if replace and not first:
        raise BadInput("--replace goes with --first: it replaces the first impression")
    if at is not None:
        check_past(at, allow_future)
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        row = conn.execute(
            rows.select(Impression, "client_id = ? AND stage = 'first'"), (client.id,)
        ).fetchone()
        existing = Impression.of(row) if row else None
        if existing is not None and first:
            if not replace:
                raise BadInput(
                    f"{client.name} already has a first impression "
                    f"({dates.format_day(existing.at)}); pass --replace to overwrite it"
                )
            # The first impression keeps its date unless a new one is given.
            existing.text, existing.score, existing.at = text, score, at or existing.at
            conn.execute(
                "UPDATE impression SET text = ?, score = ?, at = ? WHERE id = ?",
                (text, score, rows.stored(existing.at), existing.id),
            )
            return Recorded(client, existing, replaced=True)
        impression = rows.add(
            conn, Impression, client_id=client.id, at=at or dates.now(),
            stage="later" if existing is not None else "first", text=text, score=score,
            author=db.author,
        )  # fmt: skip
        return Recorded(client, impression)


def add_fact(
    db: Journal,
    query: str,
    text: str,
    *,
    topic: str = "other",
    at: datetime | None = None,
    allow_future: bool = False,
) -> tuple[Client, Fact]:
    text = check_text(text, "fact")
    topic = check_choice(topic, TOPICS, "topic")
    moment = check_past(at or dates.now(), allow_future)
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        fact = rows.add(conn, Fact, client_id=client.id, at=moment, topic=topic, text=text,
                        author=db.author)  # fmt: skip
        return client, fact


# -- the list of clients ------------------------------------------------------------------


@dataclass
class ClientRow:
    client: Client
    interaction_count: int
    last_contact: datetime | None
    last_kind: str | None
    first_score: int | None
    latest_score: int | None
    overdue_days: int | None
    scores: list[int] = field(default_factory=list)  # impression scores, oldest first


SORTS = ("name", "last", "count", "overdue")


def _tag_filter(tag: str | None) -> tuple[str, dict[str, str]]:
    """A condition on client c that holds when it carries `tag`, or one of its contacts does."""
    if not tag:
        return "", {}
    (on_client,), params = tagged("c.tags", [tag])
    (on_contact,), _ = tagged("i.tags", [tag])
    contact = f"EXISTS (SELECT 1 FROM interaction i WHERE i.client_id = c.id AND {on_contact})"
    return f" AND ({on_client} OR {contact})", params


def archived_clients(db: Journal, *, tag: str | None = None) -> int:
    """How many clients `clients` leaves out as archived, so an empty list can say why."""
    where, params = _tag_filter(tag)
    with db.connection() as conn:
        sql = f"SELECT count(*) FROM client c WHERE c.archived{where}"
        return conn.execute(sql, params).fetchone()[0]


@dataclass
class Archived:
    client: Client
    changed: bool  # False: it already was (or was not) archived


def set_archived(db: Journal, query: str, archived: bool) -> Archived:
    """Archive or bring back a client; doing it twice changes nothing and says so."""
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        if client.archived == archived:
            return Archived(client, changed=False)
        conn.execute("UPDATE client SET archived = ? WHERE id = ?", (archived, client.id))
        client.archived = archived
        return Archived(client, changed=True)


# One row per client: its counts and latest contact (its own, then w: the latest of the
# meetings it was with others at, kept apart so that the first stay walks down the
# (client_id, at) index), first and latest scored impression.
_CLIENT_ROWS = f"""
SELECT {rows.columns(Client, "c")},
    (SELECT count(*) FROM interaction i WHERE i.client_id = c.id),
    (SELECT i.at FROM interaction i WHERE i.client_id = c.id AND i.at <= :now
     ORDER BY i.at DESC, i.id DESC LIMIT 1),
    (SELECT i.kind FROM interaction i WHERE i.client_id = c.id AND i.at <= :now
     ORDER BY i.at DESC, i.id DESC LIMIT 1),
    (SELECT count(*) FROM interaction_client l WHERE l.client_id = c.id),
    w.at, w.kind,
    (SELECT m.score FROM impression m WHERE m.client_id = c.id AND m.stage = 'first'),
    (SELECT m.score FROM impression m
     WHERE m.client_id = c.id AND m.stage = 'later' AND m.score IS NOT NULL
     ORDER BY m.at DESC, m.id DESC LIMIT 1)
FROM client c LEFT JOIN interaction w ON w.id = (
    SELECT i.id FROM interaction_client l JOIN interaction i ON i.id = l.interaction_id
    WHERE l.client_id = c.id AND i.at <= :now ORDER BY i.at DESC, i.id DESC LIMIT 1)
WHERE """

_SCORES = (
    "SELECT client_id, score FROM impression WHERE score IS NOT NULL ORDER BY client_id, at, id"
)


def client_rows(
    db: Journal, *, sort: str = "name", tag: str | None = None, archived: bool = False
) -> list[ClientRow]:
    """The clients in the journal's daily views, or with `archived` only the archived ones."""
    sort = check_choice(sort, SORTS, "sort")
    where, params = _tag_filter(tag)
    where = ("c.archived" if archived else "NOT c.archived") + where
    with db.connection() as conn:
        scores: dict[int, list[int]] = {}
        for client_id, score in conn.execute(_SCORES):
            scores.setdefault(client_id, []).append(score)
        found = []
        width = rows.width(Client)
        for row in conn.execute(_CLIENT_ROWS + where, {"now": rows.stored(dates.now()), **params}):
            client = Client.of(row[:width])
            count, last, kind, with_count, with_last, with_kind, first, latest = row[width:]
            if with_last is not None and (last is None or rows.utc(with_last) > rows.utc(last)):
                last, kind = with_last, with_kind
            count += with_count
            last_at = rows.utc(last) if last is not None else None
            found.append(ClientRow(
                client, count, last_at, kind, first, latest,
                overdue_days(client.cadence_days, last_at, client.created_at),
                scores.get(client.id, []),
            ))  # fmt: skip
    keys = {
        "name": lambda r: names.fold(r.client.name),
        "last": lambda r: -(r.last_contact.timestamp() if r.last_contact else float("-inf")),
        "count": lambda r: -r.interaction_count,
        "overdue": lambda r: -(r.overdue_days if r.overdue_days is not None else -(10**9)),
    }
    return sorted(found, key=keys[sort])
