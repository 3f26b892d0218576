"""Bringing records in: jsonl, csv and vCard.

Import matches records by uuid, checks every one and writes them in one transaction: a bad
line anywhere means nothing from the file is written. The way out is `exporting.py`.
"""

from __future__ import annotations

import itertools
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from rapport import dates, details, formats, names, rows
from rapport.checks import client_fields, normalise_tags
from rapport.clients import candidates
from rapport.errors import BadInput
from rapport.rows import Client, Fact, FollowUp, Impression, Interaction, short_id

if TYPE_CHECKING:
    from rapport.store.contract import Connection, Journal

    class Importing(Journal, Protocol):
        def insert_rows(  # many rows at once, as fast as the backend takes them
            self, conn: Connection, table: str, columns: list[str], values: list[tuple]
        ) -> None: ...


# The record types in dependency order (clients first: the other records point at them).
TABLES: dict[str, type] = {
    "client": Client, "interaction": Interaction, "impression": Impression, "fact": Fact,
    "follow-up": FollowUp,
}  # fmt: skip
_COLUMNS = {kind: tuple(f.name for f in fields(row)) for kind, row in TABLES.items()}
_STORED = {kind: frozenset(columns) - {"id"} for kind, columns in _COLUMNS.items()}
# The columns that hold times and days, stored as text (rows.bind).
_TIMES = frozenset(("at", "created_at", "done_at", "due"))
_TIMED = {kind: tuple(_STORED[kind] & _TIMES) for kind in TABLES}
_WITH = "with_clients"  # an interaction record's other clients: rows of interaction_client
_LINK = ("interaction_id", "client_id")


# -- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Namesake:
    """A client imported beside another of the same name and company (--allow-namesakes)."""

    where: str
    label: str
    uuid: str
    other_uuid: str

    @property
    def hint(self) -> str:
        new, old = short_id(self.uuid), short_id(self.other_uuid)
        return (
            f"{self.where}: {self.label} [{new}] has the name and company of [{old}]; "
            f"if they are one person: rapport merge {new} {old}"
        )


@dataclass
class ImportReport:
    added: Counter[str] = field(default_factory=Counter)
    updated: int = 0
    unchanged: int = 0
    differing: list[str] = field(default_factory=list)  # where records differ, not updated
    dry_run: bool = False
    namesakes: list[Namesake] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(self.added.values())


class _DryRun(Exception):
    """Raised inside the transaction to roll back a dry run."""


def import_records(
    db: Importing,
    lines: Iterable[tuple[str, Any]],
    *,
    update_existing: bool = False,
    dry_run: bool = False,
    allow_namesakes: bool = False,
) -> ImportReport:
    """Write every record or none; records are matched with the journal by uuid.

    A new client with the name and company (folded) of another under another uuid, in the
    journal or earlier in the file, stops the import unless `allow_namesakes`: a second equal
    client is one that no name can reach, and most often the same person exported twice.
    """
    report = ImportReport(dry_run=dry_run)
    lines = iter(lines)
    ahead = list(itertools.islice(lines, 2))  # header and first record, or less
    if not ahead or all(isinstance(r, dict) and r.get("type") == "header" for _, r in ahead):
        for where, raw in ahead:  # still check the header, but open no journal for nothing
            _check(where, raw)
        if len(ahead) < 2:
            return report
    try:
        with (
            _interrupts_wait() as commit_begins,
            db.connection(write=True, create=True) as conn,
        ):
            batch = _Batch(db, conn, report, update_existing, allow_namesakes)
            for where, raw in itertools.chain(ahead, lines):
                kind, values = _check(where, raw)
                if kind != "header":
                    batch.add(where, kind, values)
            batch.flush()
            if dry_run:
                raise _DryRun
            commit_begins()
    except _DryRun:
        pass
    return report


@contextmanager
def _interrupts_wait() -> Iterator[Callable[[], None]]:
    """Ctrl-C rolls an import back until its commit begins; from then on it is ignored.

    Without this, an interrupt that lands while the commit finishes would report "nothing
    was imported" over an import that is in the journal. The function this yields starts
    ignoring SIGINT; leaving the block restores the handler there was: the import is then
    whole, and says so.
    """
    previous: list[Any] = []  # the handler to restore, once one was replaced

    def commit_begins() -> None:
        if threading.current_thread() is threading.main_thread():
            previous.append(signal.signal(signal.SIGINT, signal.SIG_IGN))

    try:
        yield commit_begins
    finally:
        if previous:
            signal.signal(signal.SIGINT, previous[0])


def _check(where: str, raw: Any) -> tuple[str, dict[str, Any]]:
    try:
        return formats.check_record(raw)
    except formats.RecordError as error:
        raise BadInput(f"{where}: the record {error}; nothing imported") from None


class _Batch:
    """Records gathered and written a few thousand at a time, in dependency order.

    Looking up and inserting rows in bulk is what makes a million-line import take seconds
    per hundred thousand rather than minutes; a failing bulk insert is retried row by row
    to name the line at fault.
    """

    SIZE = 2000

    def __init__(
        self,
        db: Importing,
        conn: Connection,
        report: ImportReport,
        update_existing: bool,
        namesakes: bool,
    ) -> None:
        self.db = db
        self.conn = conn
        self.report = report
        self.update_existing = update_existing
        self.allow_namesakes = namesakes
        self.people: dict[tuple[str, str], tuple[str, str, str]] | None = None  # see _namesake
        self.clients: dict[str, int] = dict(conn.execute("SELECT uuid, id FROM client"))
        self.pending: dict[str, list[tuple[str, dict[str, Any]]]] = {t: [] for t in TABLES}
        self.size = 0

    def add(self, where: str, kind: str, values: dict[str, Any]) -> None:
        self.pending[kind].append((where, values))
        self.size += 1
        if self.size >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        for kind in TABLES:  # clients first: the other records point at them
            if self.pending[kind]:
                self._write(kind, self.pending[kind])
                self.pending[kind] = []
        self.size = 0

    def _by_uuid(self, table: str, columns: str, wanted: list[str]) -> Iterator[Any]:
        marks = ", ".join("?" * len(wanted))
        return iter(self.conn.execute(f"SELECT {columns} FROM {table} WHERE uuid IN ({marks})",
                                      wanted))  # fmt: skip

    def _write(self, kind: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        table = rows.TABLES[TABLES[kind]]
        found_rows = self._rows(kind, items)
        absents = [row.pop(formats.ABSENT) for _, row in found_rows]
        # An interaction's other clients (ids, sorted) go to interaction_client, not its row.
        wanted_links = [row.pop(_WITH, ()) for _, row in found_rows]
        columns = _COLUMNS[kind]
        wanted = [row["uuid"] for _, row in found_rows]
        existing = {
            found[1]: dict(zip(columns, found, strict=True))
            for found in self._by_uuid(table, ", ".join(columns), wanted)
        }
        held = [found["id"] for found in existing.values()]
        links = self._links(held) if kind == "interaction" else {}
        new: list[tuple[str, dict[str, Any]]] = []
        batch: dict[str, dict[str, Any]] = {}
        batch_links: dict[str, tuple[int, ...]] = {}
        for (where, row), with_ids, absent in zip(found_rows, wanted_links, absents, strict=True):
            if row["uuid"] in batch:
                same = batch_links[row["uuid"]] == with_ids
                self._repeated(batch[row["uuid"]], where, row, same_links=same)
            elif row["uuid"] in existing:
                found = existing[row["uuid"]]
                held = links.get(found["id"], ())
                _keep_absent(row, found, absent)
                with_ids = held if _WITH in absent else with_ids
                self._compare(kind, found, where, row, (held, with_ids))
            else:
                _check_lines(where, kind, row)
                if kind == "client":
                    self._namesake(where, row)
                row.setdefault("created_at", rows.stored(dates.now()))
                batch[row["uuid"]] = row
                batch_links[row["uuid"]] = with_ids
                new.append((where, row))
        self._insert(table, new)
        self.report.added[kind] += len(new)
        meetings = [(row["uuid"], batch_links[row["uuid"]]) for _, row in new]
        if any(with_ids for _, with_ids in meetings):
            ids = dict(self._by_uuid(table, "uuid, id", [u for u, w in meetings if w]))
            pairs = [(ids[uuid], other) for uuid, with_ids in meetings for other in with_ids]
            self.db.insert_rows(self.conn, "interaction_client", list(_LINK), pairs)
        if kind == "client" and new:
            self.clients.update(self._by_uuid("client", "uuid, id", [r["uuid"] for _, r in new]))

    def _namesake(self, where: str, row: dict[str, Any]) -> None:
        """Refuse (or, allowed, report) a new client equal in name and company to another."""
        if self.people is None:  # who is in the journal: (folded name, company) → them
            self.people = {}
            for uuid, name, company in self.conn.execute("SELECT uuid, name, company FROM client"):
                self._know("in the journal", uuid, name, company)
        company = names.fold(row.get("company") or "")
        known = (self.people.get((k, company)) for k in names.keys(row["name"]))
        found = [person for person in known if person and person[0] != row["uuid"]]
        if found:
            other, place, other_label = found[0]
            new, old = short_id(row["uuid"]), short_id(other)
            this = f"{names.label(row['name'], row.get('company'))} [{new}]"
            if not self.allow_namesakes:
                raise BadInput(
                    f"{where}: {this} has the name and company of {other_label} [{old}] "
                    f"{place}, under another id; nothing imported; --allow-namesakes imports "
                    f"it beside the other (then 'rapport merge {new} {old}' joins the two)"
                )
            self.report.namesakes.append(
                Namesake(where, names.label(row["name"], row.get("company")), row["uuid"], other)
            )
        self._know(f"on {where}", row["uuid"], row["name"], row.get("company"))

    def _know(self, place: str, uuid: str, name: str, company: str | None) -> None:
        assert self.people is not None
        person = (uuid, place, names.label(name, company))
        for key in names.keys(name):
            self.people.setdefault((key, names.fold(company or "")), person)

    def _links(self, interaction_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """The other clients the journal holds for these interactions, by interaction id."""
        if not interaction_ids:
            return {}
        marks = ", ".join("?" * len(interaction_ids))
        sql = f"SELECT {', '.join(_LINK)} FROM interaction_client WHERE interaction_id IN ({marks})"
        found: dict[int, list[int]] = {}
        for interaction_id, client_id in self.conn.execute(sql, interaction_ids):
            found.setdefault(interaction_id, []).append(client_id)
        return {interaction_id: tuple(sorted(ids)) for interaction_id, ids in found.items()}

    def _with_ids(self, values: dict[str, Any], owner: int, where: str) -> tuple[int, ...]:
        """The interaction's other clients as ids: each known, once, and not its own client."""
        ids = []
        for uuid in values[_WITH] or ():
            if uuid not in self.clients:
                raise BadInput(
                    f"{where}: the interaction was with client {uuid}, who is neither in the "
                    "journal nor in the file; nothing imported"
                )
            ids.append(self.clients[uuid])
        if owner in ids:
            raise BadInput(
                f"{where}: with_clients names the interaction's own client "
                f"{values['client_uuid']}; nothing imported"
            )
        if len(set(ids)) < len(ids):
            raise BadInput(f"{where}: with_clients names a client twice; nothing imported")
        return tuple(sorted(ids))

    def _repeated(
        self, first: dict[str, Any], where: str, row: dict[str, Any], *, same_links: bool = True
    ) -> None:
        if not same_links or any(first.get(name) != value for name, value in row.items()):
            raise BadInput(
                f"{where}: uuid {row['uuid']} appears twice in the file with different content; "
                "nothing imported"
            )
        self.report.unchanged += 1

    def _rows(self, kind: str, items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict]]:
        """The records' columns as the journal stores them (times as text, tags joined)."""
        links: dict[str, int] = {}
        if kind == "follow-up":
            wanted = list({v["interaction_uuid"] for _, v in items if v["interaction_uuid"]})
            if wanted:
                links = dict(self._by_uuid("interaction", "uuid, id", wanted))
        found = []
        stored, timed = _STORED[kind], _TIMED[kind]
        for where, values in items:
            row = {name: value for name, value in values.items() if name in stored}
            row[formats.ABSENT] = values[formats.ABSENT]
            for name in timed:
                if row.get(name) is not None:
                    row[name] = rows.bind(row[name])
            if "tags" in row:
                try:
                    row["tags"] = normalise_tags(list(row["tags"]))
                except BadInput as error:
                    raise BadInput(f"{where}: {error}; nothing imported") from None
            if row.get("created_at") is None:
                row.pop("created_at", None)  # matched without it; stamped now if new
            if kind == "client":
                row["name"] = " ".join(row["name"].split())  # as `add` keeps names
            if kind != "client":
                row["client_id"] = self._client_id(values, where)
            if kind == "interaction":
                row[_WITH] = self._with_ids(values, row["client_id"], where)
            if kind == "follow-up":
                row["interaction_id"] = self._interaction_id(values, links, where)
            found.append((where, row))
        return found

    def _client_id(self, values: dict[str, Any], where: str) -> int:
        owner = values["client_uuid"]
        if owner not in self.clients:
            raise BadInput(
                f"{where}: refers to client {owner} ({values.get('client_name') or '?'}), "
                "who is neither in the journal nor in the file; nothing imported"
            )
        return self.clients[owner]

    @staticmethod
    def _interaction_id(values: dict[str, Any], links: dict[str, int], where: str) -> int | None:
        linked = values["interaction_uuid"]
        if linked is None:
            return None
        if linked not in links:
            raise BadInput(
                f"{where}: the follow-up refers to interaction {linked}, which is neither "
                "in the journal nor in the file; nothing imported"
            )
        return links[linked]

    def _compare(
        self,
        kind: str,
        found: dict[str, Any],
        where: str,
        row: dict[str, Any],
        links: tuple[tuple[int, ...], tuple[int, ...]] = ((), ()),  # an interaction's: held, read
    ) -> None:
        if links[0] == links[1] and all(
            found[name] == value or _same_time(name, found[name], value)
            for name, value in row.items()
        ):
            self.report.unchanged += 1
        elif self.update_existing:
            _check_lines(where, kind, row)
            table = rows.TABLES[TABLES[kind]]
            changes = ", ".join(f"{name} = :{name}" for name in row)
            sql = f"UPDATE {table} SET {changes} WHERE id = :id"
            self._guarded(where, sql, {**row, "id": found["id"]})
            if links[0] != links[1]:  # the file's list replaces the journal's
                self.conn.execute("DELETE FROM interaction_client WHERE interaction_id = ?",
                                  (found["id"],))  # fmt: skip
                for client_id in links[1]:
                    self.conn.execute(
                        "INSERT INTO interaction_client (interaction_id, client_id) VALUES (?, ?)",
                        (found["id"], client_id),
                    )
            self.report.updated += 1
        else:
            self.report.differing.append(where)

    def _insert(self, table: str, new: list[tuple[str, dict[str, Any]]]) -> None:
        """A batch in one savepoint; when it breaks a constraint, row by row to name the line."""
        if not new:
            return
        columns = list(new[0][1])  # every row of a batch has these, not always in this order
        values = [tuple(row.get(name) for name in columns) for _, row in new]
        try:
            with self.conn.savepoint():
                self.db.insert_rows(self.conn, table, columns, values)
        except self.conn.IntegrityError:  # the rollback emptied the stage too
            for where, row in new:  # find the line at fault
                names = ", ".join(row)
                marks = ", ".join(f":{name}" for name in row)
                self._guarded(where, f"INSERT INTO {table} ({names}) VALUES ({marks})", row)

    def _guarded(self, where: str, sql: str, params: dict[str, Any]) -> None:
        try:
            self.conn.execute(sql, params)
        except self.conn.IntegrityError as error:
            reason = str(error).splitlines()[0]
            if "impression.client_id" in reason or "impression_one_first" in reason:
                reason = "a second first impression for this client"
            raise BadInput(f"{where}: {reason}; nothing imported") from None


def _keep_absent(row: dict[str, Any], found: dict[str, Any], absent: frozenset[str]) -> None:
    """The journal's values of the fields a record leaves out (an export from before them),
    so that --update keeps them and an old export of the same client reads as unchanged."""
    for column in ("email", "phone", "dates", "met"):
        if column in absent:
            row[column] = found[column]
    for single, listed in (("email", "emails"), ("phone", "phones")):
        if listed in absent:  # only the first is given: the rest of the list stays
            row[single] = _with_first(found[single], row[single])


def _with_first(stored: str | None, given: str | None) -> str | None:
    items = details.labeled(stored)
    if given is None or (items and items[0].value == given):
        return None if given is None else stored
    label = next((item.label for item in items if item.value == given), "")
    rest = [item for item in items[1:] if item.value != given]
    return details.joined([details.Labeled(given, label), *rest])


def _same_time(name: str, stored: Any, value: Any) -> bool:
    """Two spellings of one time or day (a row written by hand, without microseconds)."""
    if name not in _TIMES or not (isinstance(stored, str) and isinstance(value, str)):
        return False
    try:
        return rows.utc(stored) == rows.utc(value)
    except ValueError:
        return False


_LINES = {"name": names.MAX_NAME, "company": names.MAX_NAME, "role": names.MAX_NAME,
          "author": names.MAX_NAME, "email": None, "phone": None}  # fmt: skip


def _check_lines(where: str, kind: str, row: dict[str, Any]) -> None:
    """Names, companies, roles and authors hold no control characters, as `add` checks."""
    for column, limit in _LINES.items():
        if column == "author" or kind == "client":
            value = row.get(column)
            what = "client name" if column == "name" else column
            # E-mails and phones are a list, one a line.
            for line in (value or "").splitlines() if limit is None else [value]:
                problem = names.line_problem(line, what, limit) if line else None
                if problem is not None:
                    raise BadInput(f"{where}: {problem}; nothing imported")


# -- vCard --------------------------------------------------------------------------------


@dataclass
class ContactReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    dates: int = 0  # yearly dates (birthdays, anniversaries) added or changed
    kept: int = 0  # dates rapport could not read, kept as facts
    dry_run: bool = False
    namesakes: list[Namesake] = field(default_factory=list)


def import_contacts(
    db: Importing,
    contacts: list[formats.Contact],
    *,
    dry_run: bool = False,
    allow_namesakes: bool = False,
) -> ContactReport:
    """Create or update clients from address-book cards, with their e-mails and phones
    (labelled by their TYPE) and their dates (birthday, anniversary, Apple's labelled dates).

    Two cards of one name and company in one file are two people (or one person twice):
    refused unless `allow_namesakes`, which makes each its own client.
    """
    report = ContactReport(dry_run=dry_run)
    try:
        with db.connection(write=True, create=True) as conn:
            made: dict[int, int] = {}  # client id → line of the card that made it here
            for contact in contacts:
                columns = _card_details(contact)
                client = _match(conn, contact, made, allow_namesakes)
                if client is None:
                    # Not clients.insert_client: a namesake here is refused or allowed above.
                    # E-mails and phones are lists, checked a line at a time (_check_lines).
                    values = client_fields(contact.name, company=columns["company"],
                                           role=columns["role"])  # fmt: skip
                    values.update(email=columns["email"], phone=columns["phone"])
                    values["tags"] = ",".join(sorted(contact.tags))
                    client = rows.new(Client, archived=False, **values)
                    client.dates = details.dates_text(list(contact.dates))
                    client.met = contact.note
                    report.dates += len(contact.dates)
                    if contact.uuid:
                        client.uuid = contact.uuid
                    rows.save(conn, client)
                    report.added += 1
                    made[client.id] = contact.line
                    _note_namesake(conn, report, contact, client, made)
                    report.kept += _unread_kept(conn, client, contact, db.author)
                else:
                    changes = _card_changes(client, contact, columns)
                    report.dates += _dates_gained(client, contact)
                    if changes:
                        sets = ", ".join(f"{name} = :{name}" for name in changes)
                        conn.execute(f"UPDATE client SET {sets} WHERE id = :id",
                                     {**changes, "id": client.id})  # fmt: skip
                    kept = _unread_kept(conn, client, contact, db.author)
                    report.kept += kept
                    report.updated += bool(changes or kept)
                    report.unchanged += not (changes or kept)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _unread_kept(conn: Connection, client: Client, contact: formats.Contact, author: str) -> int:
    """The card's dates rapport cannot read, as facts of the client: once each, so that the
    same address book imported again adds nothing."""
    kept = 0
    for topic, text in contact.unread:
        held = conn.execute("SELECT 1 FROM fact WHERE client_id = ? AND topic = ? AND text = ?",
                            (client.id, topic, text)).fetchone()  # fmt: skip
        if held is None:
            rows.add(conn, Fact, client_id=client.id, at=dates.now(), topic=topic, text=text,
                     author=author)  # fmt: skip
            kept += 1
    return kept


def _card_details(contact: formats.Contact) -> dict[str, str | None]:
    """A card's client columns, checked as `add` checks them."""
    columns = {
        "name": " ".join(contact.name.split()),
        "company": contact.company,
        "role": contact.role,
        "email": details.joined(list(contact.emails)),
        "phone": details.joined(list(contact.phones)),
    }
    _check_lines(f"line {contact.line}", "client", columns)
    del columns["name"]
    return columns


def _card_changes(
    client: Client, contact: formats.Contact, columns: dict[str, str | None]
) -> dict[str, str | None]:
    """The columns a card changes on a client it matches. The address book is the source for
    contact details, but never erases one: e-mails and phones join the client's (a known one
    takes the card's label), and the card's dates replace those of the same label."""
    changes = {k: v for k, v in columns.items()
               if v and k in ("company", "role") and getattr(client, k) != v}  # fmt: skip
    for column, items in (("email", contact.emails), ("phone", contact.phones)):
        merged = details.joined(details.merged(details.labeled(getattr(client, column)),
                                               list(items), []))  # fmt: skip
        if merged != getattr(client, column):
            changes[column] = merged
    found = details.yearlies(client.dates)
    for day in contact.dates:
        found = details.with_date(found, day)
    if contact.dates and details.dates_text(found) != client.dates:
        changes["dates"] = details.dates_text(found)
    tags = {tag for tag in client.tags.split(",") if tag} | set(contact.tags)
    if ",".join(sorted(tags)) != client.tags:
        changes["tags"] = ",".join(sorted(tags))  # the card's join the client's
    if contact.note and not client.met:
        changes["met"] = contact.note  # never over what the user wrote
    return changes


def _dates_gained(client: Client, contact: formats.Contact) -> int:
    known = details.yearlies(client.dates)
    return sum(day not in known for day in contact.dates)


def _same_person(conn: Connection, contact: formats.Contact) -> list[Client]:
    """Clients of the card's name and company (folded).

    The same name at another company is another person, as with `rapport add`; a card
    without a company, or a client without one, matches by name alone, so an address book
    can fill in the company of a client added without it.
    """
    wanted = names.keys(contact.name)
    everyone = map(Client.of, conn.execute(rows.select(Client, "1 = 1", "id")))
    same_name = [c for c in everyone if wanted & names.keys(c.name)]
    if contact.company:
        company = names.fold(contact.company)
        at_company = [c for c in same_name if names.fold(c.company or "") == company]
        same_name = at_company or [c for c in same_name if not c.company]
    return same_name


def _match(
    conn: Connection, contact: formats.Contact, made: dict[int, int], allow_namesakes: bool
) -> Client | None:
    """The client a card describes: by uuid (UID), else by name and company; None: a new one.

    A client made by an earlier card of this import is a namesake, not a match.
    """
    if contact.uuid:
        found = conn.execute(rows.select(Client, "uuid = ?"), (contact.uuid,)).fetchone()
        if found is not None:
            return Client.of(found)
    same = _same_person(conn, contact)
    company = names.fold(contact.company or "")
    earlier = [c for c in same if c.id in made and names.fold(c.company or "") == company]
    if earlier and not allow_namesakes:
        raise BadInput(
            f"line {contact.line}: the card of {names.label(contact.name, contact.company)} "
            f"has the name and company of the card on line {made[earlier[0].id]}; nothing "
            "imported; --allow-namesakes imports them as two clients"
        )
    if earlier:
        return None
    exact = [c for c in same if names.spelling(c.name) == names.spelling(contact.name)]
    if len(same) > 1 and len(exact) == 1:
        return exact[0]  # as `show` prefers the exact spelling
    if len(same) > 1:
        found = [names.Candidate(c.id, c.name, c.company, c.uuid) for c in same]
        raise BadInput(
            f"line {contact.line}: {contact.name!r} matches {len(same)} clients: "
            f"{names.listing(found, candidates(conn))}; give the card the company (ORG) of one, "
            "or merge them; nothing imported"
        )
    return same[0] if same else None


def _note_namesake(
    conn: Connection,
    report: ContactReport,
    contact: formats.Contact,
    client: Client,
    made: dict[int, int],
) -> None:
    """Report a client just made beside an earlier card's namesake (--allow-namesakes)."""
    company = names.fold(contact.company or "")
    earlier = [
        c
        for c in _same_person(conn, contact)
        if c.id in made and c.id != client.id and names.fold(c.company or "") == company
    ]
    if earlier:
        label = names.label(client.name, client.company)
        where = f"line {contact.line}"
        report.namesakes.append(Namesake(where, label, client.uuid, earlier[0].uuid))
