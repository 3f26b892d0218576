"""Looking after the file: erasure that leaves no trace, backups, checks, facts about it.

What only one backend can do (SQLite's backup API, VACUUM and PRAGMA checks; PostgreSQL's
VACUUM FULL and catalog) is the journal's own method (`erasing`, `compact`, `backup_to`,
`health`, `size`, `backups`, `copies`); the rest is plain SQL through the store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rapport.clients import find_client
from rapport.errors import BadInput, RapportError
from rapport.store import migrations
from rapport.store.health import Check

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rapport.store.contract import Connection, Journal

    class Kept(Journal, Protocol):
        """What looking after a journal asks of its backend, beyond the connection."""

        def inspect(self) -> int: ...  # the schema version; nothing created or written
        def erasing(self) -> AbstractContextManager[Connection]: ...  # a write leaving no bytes
        def compact(self) -> str | None: ...  # None when done, else why not
        def backup_to(self, target: Path) -> None: ...
        def health(self) -> Check: ...
        def size(self, conn: Connection) -> int: ...  # bytes, or 0 on a server
        def backups(self) -> list[Path]: ...  # copies kept before migrating
        def copies(self) -> list[Path]: ...  # every file beside it that may hold its data


__all__ = ["Check", "Forgotten", "Info", "backup", "check", "compact", "forget", "info"]


# -- erasure ------------------------------------------------------------------------------


@dataclass
class Forgotten:
    name: str
    removed: dict[str, int]
    compacted: str | None  # None when done; else why the file could not be rewritten yet
    copies: list[Path]  # files rapport made earlier that may still hold the person


_ABOUT = (("interaction", "interaction"), ("impression", "impression"), ("fact", "fact"),
          ("follow-up", "follow_up"))  # fmt: skip


def forget(db: Kept, query: str) -> Forgotten:
    """Erase a client and everything about them so that no byte of it stays in the file.

    Deleting a row only unlinks it: SQLite leaves its bytes in free pages, the FTS5 index
    keeps its words in old segments, and the write-ahead log keeps page images. So: delete
    with secure_delete on, merge the search index (`erasing`), VACUUM (which rewrites the
    whole file without free pages), then checkpoint and truncate the WAL (`compact`). On
    PostgreSQL the rows are deleted and VACUUM FULL rewrites rapport's tables without them;
    the server's own write-ahead log and backups are its administrator's to look after
    (README).
    """
    with db.erasing() as conn:
        client = find_client(conn, query)
        _hand_over_meetings(conn, client.id)
        removed = {
            kind: conn.execute(
                f"SELECT count(*) FROM {table} WHERE client_id = ?", (client.id,)
            ).fetchone()[0]
            for kind, table in _ABOUT
        }
        # The foreign keys cascade to every row about them.
        conn.execute("DELETE FROM client WHERE id = ?", (client.id,))
    return Forgotten(client.name, removed, compact(db), db.copies())


def _hand_over_meetings(conn: Connection, client_id: int) -> None:
    """A meeting the client had with others stays theirs: it passes to the first of them
    (by uuid, as export lists them), whose link it then no longer needs."""
    found = conn.execute(
        "SELECT l.interaction_id, l.client_id FROM interaction i "
        "JOIN interaction_client l ON l.interaction_id = i.id "
        "JOIN client x ON x.id = l.client_id WHERE i.client_id = ? ORDER BY x.uuid",
        (client_id,),
    ).fetchall()
    heirs: dict[int, int] = {}
    for interaction_id, other in found:
        heirs.setdefault(interaction_id, other)
    for interaction_id, heir in heirs.items():
        conn.execute("UPDATE interaction SET client_id = ? WHERE id = ?", (heir, interaction_id))
        conn.execute(
            "DELETE FROM interaction_client WHERE interaction_id = ? AND client_id = ?",
            (interaction_id, heir),
        )


def compact(db: Kept) -> str | None:
    """Rewrite the journal without deleted data: the file without free pages (VACUUM) and
    an empty WAL; on PostgreSQL, VACUUM FULL of rapport's tables.

    Returns None when done, else why not: another process holding the journal open keeps
    old pages in the WAL until it lets go.
    """
    return db.compact()


# -- backup -------------------------------------------------------------------------------


def backup(db: Kept, where: str) -> Path:
    """A consistent copy while others may be writing (SQLite's online backup API), 0600.

    `where` is a new file, or a folder (existing, or written with a trailing slash).
    """
    if db.file is None:  # a server's journal is no file to copy
        raise BadInput(
            "rapport backup copies a journal file; back up a PostgreSQL journal with the "
            "server's tools (pg_dump), or keep an export: rapport export > journal.jsonl"
        )
    source = db.file
    target = Path(where).expanduser()
    if not source.exists():
        raise BadInput(f"there is no journal at {source} to back up")
    if target.is_dir():
        stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
        folder, target = target, target / f"{source.stem}-{stamp}.db"
        for n in range(2, 100):  # two backups within one second
            if not target.exists():
                break
            target = folder / f"{source.stem}-{stamp}-{n}.db"
    elif where.endswith(os.sep):
        raise BadInput(f"the folder {target} does not exist")
    elif not target.parent.is_dir():
        raise BadInput(f"the folder {target.parent} does not exist")
    if target.exists():
        raise BadInput(f"{target} exists; give a new file name or a folder")
    if target.resolve() == source.resolve():
        raise BadInput("a backup must not be the journal itself")
    partial = target.with_name(f".{target.name}.partial")
    try:
        db.backup_to(partial)
        os.link(partial, target)
    except FileExistsError:
        raise BadInput(f"{target} exists; give a new file name or a folder") from None
    except OSError as error:
        raise RapportError(f"cannot write {target}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


# -- check and info -----------------------------------------------------------------------


def check(db: Kept) -> Check:
    """Integrity, rows pointing nowhere, the search index and the schema version."""
    # What is not a journal (another program's file or schema, a device, one too new) is
    # refused as every command refuses it; a journal too damaged to read is reported.
    db.inspect()
    return db.health()


@dataclass
class Info:
    path: Path | str
    version: int
    size: int  # bytes, with the -wal file
    rows: dict[str, int]
    backups: list[Path] = field(default_factory=list)
    server: bool = False  # on a PostgreSQL server: no file, no backups of rapport's


_COUNTED = (("clients", "client"), ("interactions", "interaction"), ("impressions", "impression"),
            ("facts", "fact"), ("follow-ups", "follow_up"))  # fmt: skip


def info(db: Kept) -> Info:
    with db.connection() as conn:
        counts = {
            kind: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for kind, table in _COUNTED
        }
        version = migrations.version(conn)
        size = db.size(conn)
    return Info(db.label, version, size, counts, db.backups(), db.file is None)
