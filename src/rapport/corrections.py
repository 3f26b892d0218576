"""Putting mistakes right: follow-ups done, entries edited or removed, clients renamed or
merged. Each is one transaction; the search index follows through its triggers.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
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
    check_text,
    client_fields,
    normalise_tags,
)
from rapport.clients import candidates, client_by_id, find_client
from rapport.errors import BadInput, RapportError
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
        _refuse_namesake(conn, client, checked, client.company)
        conn.execute("UPDATE client SET name = ? WHERE id = ?", (checked, client.id))
        client.name = checked
        return old, client


def _refuse_namesake(conn: Connection, client: Client, name: str, company: str | None) -> None:
    """BadInput when another client has this name and company: one of the two would be
    unreachable by name; the message says how to merge them."""
    everyone = candidates(conn)
    others = [c for c in everyone if c.id != client.id]
    other = names.namesake(name, company, others)
    if other is not None:
        this = next(c for c in everyone if c.id == client.id)
        raise BadInput(
            f"{other.label} [{names.ids([other], everyone)[other.id]}] is already in the "
            f"journal; to join the two: {merge_command(this, other, everyone)}"
        )


# -- a client's details ---------------------------------------------------------------------


@dataclass
class ClientChanges:
    """`edit CLIENT`'s options as typed; `every`/`birthday` "none" and an empty company,
    role or met clear the field."""

    name: str | None = None
    company: str | None = None
    role: str | None = None
    emails: list[str] = field(default_factory=list)
    remove_emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    remove_phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    untag: list[str] = field(default_factory=list)
    every: str | None = None
    birthday: str | None = None
    dates: list[str] = field(default_factory=list)
    remove_dates: list[str] = field(default_factory=list)
    met: str | None = None

    def given(self) -> bool:
        return any(value not in (None, []) for value in vars(self).values())


# The columns `edit CLIENT` changes, and the words its message names them by.
EDITABLE = {"name": "name", "company": "company", "role": "role", "email": "e-mail",
            "phone": "phone", "tags": "tags", "cadence_days": "cadence", "dates": "dates",
            "met": "how you met"}  # fmt: skip
NONE = "none"


@dataclass
class _Checked:
    """ClientChanges checked before the journal is opened."""

    columns: dict[str, Any]  # columns set outright
    emails: list[details.Labeled]
    remove_emails: list[str]
    phones: list[details.Labeled]
    remove_phones: list[str]
    tags: list[str]
    untag: list[str]
    dates: list[details.Yearly]
    remove_dates: list[str]


def _checked(changes: ClientChanges) -> _Checked:
    from rapport.clients import check_met, typed_item

    columns: dict[str, Any] = {}
    if changes.name is not None:
        columns["name"] = client_fields(changes.name)["name"]
    for column in ("company", "role"):
        value = getattr(changes, column)
        if value is not None:
            columns[column] = client_fields("x", **{column: value})[column]
    if changes.every is not None:
        none = changes.every.strip().lower() == NONE
        columns["cadence_days"] = None if none else dates.parse_cadence(changes.every)
    if changes.met is not None:
        columns["met"] = check_met(changes.met)
    yearly: list[details.Yearly] = []
    for typed in changes.dates:
        yearly = details.with_new_date(yearly, details.typed_date(typed))
    removed = [details.check_label(label, "date") for label in changes.remove_dates]
    if changes.birthday is not None:
        if changes.birthday.strip().lower() == NONE:
            removed.append(details.BIRTHDAY)
        else:
            yearly = details.with_new_date(
                yearly, details.yearly(details.BIRTHDAY, changes.birthday)
            )
    return _Checked(
        columns,
        [typed_item(text, "email") for text in changes.emails],
        [" ".join(text.split()) for text in changes.remove_emails],
        [typed_item(text, "phone") for text in changes.phones],
        [" ".join(text.split()) for text in changes.remove_phones],
        _tag_list(changes.tags),
        _tag_list(changes.untag),
        yearly,
        removed,
    )


def _tag_list(tags: list[str]) -> list[str]:
    return [tag for tag in normalise_tags(tags).split(",") if tag]


def _applied(client: Client, wanted: _Checked) -> dict[str, Any]:
    """The client's editable columns once the changes are made; BadInput for a removal of
    something the client does not have."""
    values = {column: getattr(client, column) for column in EDITABLE} | wanted.columns
    values["email"] = details.joined(
        details.merged(details.labeled(client.email), wanted.emails, wanted.remove_emails)
    )
    values["phone"] = details.joined(
        details.merged(details.labeled(client.phone), wanted.phones, wanted.remove_phones)
    )
    tags = {tag for tag in client.tags.split(",") if tag}
    missing = [tag for tag in wanted.untag if tag not in tags and tag not in wanted.tags]
    if missing:
        raise BadInput(f"{client.name} has no tag {missing[0]!r}; nothing changed")
    values["tags"] = ",".join(sorted((tags | set(wanted.tags)) - set(wanted.untag)))
    found = details.yearlies(client.dates)
    labels = {item.label for item in found}
    for label in wanted.remove_dates:
        if label not in labels and label != details.BIRTHDAY:
            raise BadInput(f"{client.name} has no date labelled {label!r}; nothing changed")
    found = [item for item in found if item.label not in wanted.remove_dates]
    for new in wanted.dates:
        found = details.with_date(found, new)
    # Dates rapport could not read stay as they were unless something changed them.
    if wanted.dates or wanted.remove_dates:
        values["dates"] = details.dates_text(found)
    return values


def _changed_words(client: Client, values: dict[str, Any]) -> list[str]:
    words = []
    for column, word in EDITABLE.items():
        if values[column] == getattr(client, column):
            continue
        if column == "dates":
            old, new = details.yearlies(client.dates), details.yearlies(values["dates"])
            birthday = [d for d in old if d.label == details.BIRTHDAY] != [
                d for d in new if d.label == details.BIRTHDAY
            ]
            others = [d for d in old if d.label != details.BIRTHDAY] != [
                d for d in new if d.label != details.BIRTHDAY
            ]
            words += ["birthday"] * birthday + ["dates"] * others
        else:
            words.append(word)
    return words


def _write_client(conn: Connection, client: Client, values: dict[str, Any]) -> list[str]:
    """Set the columns that differ, after the same check on a new name as `rename`'s; the
    words for what changed."""
    changed = {column: value for column, value in values.items()
               if value != getattr(client, column)}  # fmt: skip
    if not changed:
        return []
    if "name" in changed or "company" in changed:
        _refuse_namesake(conn, client, values["name"], values["company"])
    words = _changed_words(client, values)
    assignments = ", ".join(f"{column} = :{column}" for column in changed)
    conn.execute(f"UPDATE client SET {assignments} WHERE id = :id", {**changed, "id": client.id})
    for column, value in changed.items():
        setattr(client, column, value)
    return words


def edit_client(db: Journal, query: str, changes: ClientChanges) -> tuple[Client, list[str]]:
    """Change a client's details in one transaction; the client and what changed."""
    wanted = _checked(changes)
    with db.connection(write=True) as conn:
        client = find_client(conn, query)
        return client, _write_client(conn, client, _applied(client, wanted))


def edit_card(db: Journal, client_id: int, shown: str, saved: str) -> tuple[Client, list[str]]:
    """Write what the user changed on a client's card (`shown` as it opened, `saved` as it
    came back): only the fields whose lines changed are read and written, over the client
    as the journal holds it now (cards.changed_fields)."""
    from rapport.cards import changed_fields, read_card

    with db.connection(write=True) as conn:
        row = conn.execute(rows.select(Client, "id = ?"), (client_id,)).fetchone()
        if row is None:
            raise RapportError(
                "the client is no longer in the journal (merged or forgotten while the card "
                "was open); nothing changed"
            )
        client = Client.of(row)
        changed = changed_fields(shown, saved)
        if not changed:
            return client, []
        current = {column: getattr(client, column) for column in EDITABLE}
        return client, _write_client(conn, client, current | read_card(saved, changed))


def client_for_edit(db: Journal, query: str) -> Client:
    """The client `edit` names, for its card."""
    with db.connection() as conn:
        return find_client(conn, query)


def edit_target(db: Journal, word: str) -> str:
    """Whether `edit WORD` means an entry ("entry") or a client ("client"); BadInput when
    it could be both, saying how to pick."""
    prefix = word.strip().lower()
    with db.connection() as conn:
        entry: Entry | None = None
        if _SHORT_ID.fullmatch(prefix):
            try:
                entry = find_entry(conn, prefix, tuple(KIND_NAMES))
            except BadInput as error:
                if "ambiguous" in str(error):
                    return "entry"  # the entry edit says so
        try:
            client = find_client(conn, word)
        except BadInput:
            if entry is None:
                if _SHORT_ID.fullmatch(prefix):
                    raise BadInput(
                        f"no entry has the id {word!r}, and no client's name or id matches it"
                    ) from None
                raise
            return "entry"
        if entry is None:
            return "client"
        raise BadInput(
            f"{word!r} is ambiguous: the id of {describe(entry)} ({entry.uuid}) and the client "
            f"{names.label(client.name, client.company)} ({client.uuid}); give the whole id "
            "of the one you mean"
        )


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


_DETAILS = ("company", "role", "cadence_days", "met")
_LISTS = ("email", "phone", "dates")


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
    remaining client lacks (company, role, cadence, how you met) are taken over; e-mails,
    phones and dates it lacks join its own, as tags do.
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
        into.email = _gained(into.email, gone.email)
        into.phone = _gained(into.phone, gone.phone)
        labels = {item.label for item in details.yearlies(into.dates)}
        if gone.dates:
            gained = [d for d in details.yearlies(gone.dates) if d.label not in labels]
            into.dates = details.dates_text(details.yearlies(into.dates) + gained)
        into.tags = normalise_tags([t for t in f"{into.tags},{gone.tags}".split(",") if t])
        columns = (*_DETAILS, *_LISTS, "tags")
        assignments = ", ".join(f"{detail} = :{detail}" for detail in columns)
        conn.execute(
            f"UPDATE client SET {assignments} WHERE id = :id",
            {**{d: getattr(into, d) for d in columns}, "id": into.id},
        )
        # Everything of theirs has moved: the delete cascades to nothing.
        conn.execute("DELETE FROM client WHERE id = ?", (gone.id,))
        return Merged(into, gone.name, moved)


def _gained(kept: str | None, other: str | None) -> str | None:
    """`kept`'s items, then those of `other` it lacks (by value); kept labels stay."""
    ours = details.labeled(kept)

    def key(item: details.Labeled) -> str:
        return "".join(item.value.split()).casefold()

    known = {key(item) for item in ours}
    return details.joined(ours + [i for i in details.labeled(other) if key(i) not in known])
