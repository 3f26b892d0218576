"""Putting mistakes right: follow-ups done, entries edited or removed, clients renamed or
merged. Each is one transaction; the search index follows through its triggers.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rapport import dates, names, rows
from rapport.checks import (
    KINDS,
    TOPICS,
    check_choice,
    check_past,
    check_score,
    check_text,
    client_fields,
    normalise_tags,
)
from rapport.clients import candidates, client_by_id, find_client
from rapport.errors import BadInput
from rapport.rows import Client, Fact, FollowUp, Impression, Interaction

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal

Entry = Interaction | Impression | Fact | FollowUp
KIND_NAMES = {Interaction: "interaction", Impression: "impression", Fact: "fact",
              FollowUp: "follow-up"}  # fmt: skip
_SHORT_ID = re.compile(r"[0-9a-f-]{4,36}")


def find_entry(conn: Connection, short_id: str, kinds: tuple[type[Entry], ...]) -> Entry:
    """The one entry whose uuid starts with `short_id` (at least four characters)."""
    prefix = short_id.strip().lower()
    if not _SHORT_ID.fullmatch(prefix):
        raise BadInput(f"{short_id!r} is not an entry id; ids are shown in 'rapport show'")
    found: list[Entry] = []
    for kind in kinds:
        # A range on the unique uuid index: as fast as an exact match.
        query = rows.select(kind, "uuid >= ? AND uuid < ?", limit=2)
        found += [kind.of(row) for row in conn.execute(query, (prefix, prefix + "~"))]
    if not found:
        wanted = " or ".join(KIND_NAMES[k] for k in kinds)
        raise BadInput(f"no {wanted} has the id {short_id!r}")
    if len(found) > 1:
        raise BadInput(f"the id {short_id!r} is ambiguous; give more of it")
    return found[0]


# -- follow-ups ---------------------------------------------------------------------------


def mark_done(db: Journal, short_id: str) -> tuple[Client, FollowUp]:
    with db.connection(write=True) as conn:
        todo = find_entry(conn, short_id, (FollowUp,))
        assert isinstance(todo, FollowUp)
        if todo.done_at is not None:
            raise BadInput(f"that follow-up was done on {dates.format_day(todo.done_at)}")
        todo.done_at = dates.now()
        conn.execute(
            "UPDATE follow_up SET done_at = ? WHERE id = ?", (rows.stored(todo.done_at), todo.id)
        )
        return client_by_id(conn, todo.client_id), todo


# -- entries --------------------------------------------------------------------------------


@dataclass
class Changes:
    text: str | None = None
    at: datetime | None = None
    kind: str | None = None
    mood: int | None = None
    score: int | None = None
    topic: str | None = None
    due: date | None = None
    allow_future: bool = False

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "allow_future"}


# Which change applies to which kind of entry, and the column it sets.
_APPLIES: dict[str, dict[type, str]] = {
    "text": {Interaction: "note", Impression: "text", Fact: "text", FollowUp: "text"},
    "at": {Interaction: "at", Impression: "at", Fact: "at"},
    "kind": {Interaction: "kind"},
    "mood": {Interaction: "mood"},
    "score": {Impression: "score"},
    "topic": {Fact: "topic"},
    "due": {FollowUp: "due"},
}


def describe(entry: Entry) -> str:
    """`the lunch with Konrad Brandt on 2026-11-15`-style words, for messages."""
    when = dates.format_day(entry.at if not isinstance(entry, FollowUp) else entry.created_at)
    if isinstance(entry, Interaction):
        return f"the {entry.kind} of {when}"
    if isinstance(entry, Impression):
        return f"the {entry.stage} impression of {when}"
    if isinstance(entry, Fact):
        return f"the {entry.topic} detail of {when}"
    return f"the follow-up {entry.text!r}"


def current_text(db: Journal, short_id: str) -> str:
    with db.connection() as conn:
        entry = find_entry(conn, short_id, tuple(KIND_NAMES))
        return entry.note if isinstance(entry, Interaction) else entry.text


NOTHING_TO_CHANGE = (
    "nothing to change; give --note, --at, --kind, --mood, --score, --topic or --due"
)


def describe_id(db: Journal, short_id: str) -> str:
    with db.connection() as conn:
        return describe(find_entry(conn, short_id, tuple(KIND_NAMES)))


def edit(db: Journal, short_id: str, changes: Changes) -> tuple[Client, Entry]:
    wanted = changes.given()
    if not wanted:
        raise BadInput(NOTHING_TO_CHANGE)
    if "text" in wanted:
        wanted["text"] = check_text(wanted["text"], "text")
    if "kind" in wanted:
        wanted["kind"] = check_choice(wanted["kind"], KINDS, "kind")
    if "topic" in wanted:
        wanted["topic"] = check_choice(wanted["topic"], TOPICS, "topic")
    check_score(changes.mood, "--mood")
    check_score(changes.score, "--score")
    if changes.at is not None:
        check_past(changes.at, changes.allow_future)
    with db.connection(write=True) as conn:
        entry = find_entry(conn, short_id, tuple(KIND_NAMES))
        values = {}
        for change, value in wanted.items():
            column = _APPLIES[change].get(type(entry))
            if column is None:
                option = "--note" if change == "text" else f"--{change}"
                raise BadInput(f"{option} does not apply to {describe(entry)}")
            setattr(entry, column, value)
            values[column] = rows.bind(value)
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        conn.execute(
            f"UPDATE {rows.TABLES[type(entry)]} SET {assignments} WHERE id = :id",
            {**values, "id": entry.id},
        )
        return client_by_id(conn, entry.client_id), entry


def remove(db: Journal, short_id: str) -> tuple[Client, str]:
    """Delete one entry; a removed first impression passes its role to the next one."""
    with db.connection(write=True) as conn:
        entry = find_entry(conn, short_id, tuple(KIND_NAMES))
        client = client_by_id(conn, entry.client_id)
        what = describe(entry)
        # A removed contact's follow-ups stay, unlinked: ON DELETE SET NULL (m001).
        conn.execute(f"DELETE FROM {rows.TABLES[type(entry)]} WHERE id = ?", (entry.id,))
        if isinstance(entry, Impression) and entry.stage == "first":
            _promote_first(conn, client.id)
        return client, what


def _promote_first(conn: Connection, client_id: int) -> None:
    conn.execute(
        "UPDATE impression SET stage = 'first' WHERE id = (SELECT id FROM impression "
        "WHERE client_id = ? ORDER BY at, id LIMIT 1)",
        (client_id,),
    )


# -- clients --------------------------------------------------------------------------------


def rename(db: Journal, query: str, new_name: str) -> tuple[str, Client]:
    checked = client_fields(new_name)["name"]
    assert isinstance(checked, str)
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        old = client.name
        everyone = candidates(conn)
        others = [c for c in everyone if c.id != client.id]
        other = names.namesake(checked, client.company, others)
        if other is not None:
            this = next(c for c in everyone if c.id == client.id)
            raise BadInput(
                f"{other.label} [{names.ids([other], everyone)[other.id]}] is already in the "
                f"journal; to join the two: {merge_command(this, other, everyone)}"
            )
        conn.execute("UPDATE client SET name = ? WHERE id = ?", (checked, client.id))
        client.name = checked
        return old, client


def merge_command(
    gone: names.Candidate, into: names.Candidate, everyone: Sequence[names.Candidate]
) -> str:
    """`rapport merge 'O'"'"'Neil' 'Liam O'"'"'Neil'`: a line a shell runs as written."""
    words = [names.handle(gone, everyone), names.handle(into, everyone)]
    return shlex.join(["rapport", "merge", *words])


def _pair(conn: Connection, query: str, into_query: str) -> tuple[Client, Client]:
    gone, into = find_client(conn, query), find_client(conn, into_query)
    if gone.id == into.id:
        raise BadInput(f"{query!r} and {into_query!r} are the same client")
    return gone, into


def merge_pair(db: Journal, query: str, into_query: str) -> tuple[Client, Client]:
    """The duplicate and the client to keep, checked, for the question before merging."""
    with db.connection() as conn:
        return _pair(conn, query, into_query)


@dataclass
class Merged:
    into: Client
    gone: str
    moved: dict[str, int]


_DETAILS = ("company", "role", "email", "phone", "cadence_days")


def _move_meetings(conn: Connection, gone: int, into: int) -> None:
    """The meetings with several people pass from `gone` to `into`, each naming `into` once:
    a link to one of `into`'s own contacts, or one that `into` has already, goes."""
    mine = "SELECT id FROM interaction WHERE client_id = ?"
    conn.execute(
        f"DELETE FROM interaction_client WHERE client_id = ? AND interaction_id IN ({mine})",
        (into, gone),
    )
    conn.execute(
        "UPDATE interaction_client SET client_id = ? WHERE client_id = ? AND interaction_id "
        f"NOT IN (SELECT interaction_id FROM interaction_client WHERE client_id = ?) "
        f"AND interaction_id NOT IN ({mine})",
        (into, gone, into, into),
    )
    conn.execute("DELETE FROM interaction_client WHERE client_id = ?", (gone,))


def merge(db: Journal, query: str, into_query: str) -> Merged:
    """Move everything of one client to another and delete the first.

    The earlier first impression stays first; the other becomes a later one. Details the
    remaining client lacks (company, role, email, phone, cadence) are taken over; tags join.
    """
    with db.connection(write=True) as conn:
        gone, into = _pair(conn, query, into_query)
        # Before moving: at most one first impression per client (impression_one_first).
        firsts = conn.execute(
            "SELECT id FROM impression WHERE client_id IN (?, ?) AND stage = 'first' "
            "ORDER BY at, id",
            (gone.id, into.id),
        ).fetchall()
        for (later,) in firsts[1:]:
            conn.execute("UPDATE impression SET stage = 'later' WHERE id = ?", (later,))
        _move_meetings(conn, gone.id, into.id)
        moved = {}
        for kind in (Interaction, Impression, Fact, FollowUp):
            result = conn.execute(
                f"UPDATE {rows.TABLES[kind]} SET client_id = ? WHERE client_id = ?",
                (into.id, gone.id),
            )
            moved[KIND_NAMES[kind]] = result.rowcount
        for detail in _DETAILS:
            if getattr(into, detail) is None:
                setattr(into, detail, getattr(gone, detail))
        into.tags = normalise_tags([t for t in f"{into.tags},{gone.tags}".split(",") if t])
        assignments = ", ".join(f"{detail} = :{detail}" for detail in (*_DETAILS, "tags"))
        conn.execute(
            f"UPDATE client SET {assignments} WHERE id = :id",
            {**{d: getattr(into, d) for d in (*_DETAILS, "tags")}, "id": into.id},
        )
        # Everything of theirs has moved: the delete cascades to nothing.
        conn.execute("DELETE FROM client WHERE id = ?", (gone.id,))
        return Merged(into, gone.name, moved)
