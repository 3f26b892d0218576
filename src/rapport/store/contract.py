"""What a command may do with an open journal: the one connection contract.

Both backends (`store.sqlite`, `store.postgres`) hand out a `Connection` inside one
transaction. Parameters are sqlite3's (`?` or `:name`) on both; times and days come back as
the text SQLite holds ("2026-11-26 12:00:00.000000", "2026-11-26"), which `rows.py` reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from rapport.errors import NoJournal, RapportError

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another; RAPPORT_BUSY_TIMEOUT (ms) overrides

Params = Sequence[Any] | dict[str, Any]
Dialect = Literal["sqlite", "postgresql"]


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    dialect: Dialect
    # The driver's error for a broken constraint (PEP 249's optional Connection.IntegrityError):
    # import names the line whose row breaks one.
    IntegrityError: type[Exception]

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one statement; the cursor holds its rows."""
        ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each set of parameters (bulk import)."""
        ...

    def stream(self, sql: str, params: Params = ()) -> Iterator[Any]:
        """Rows as they come, without holding the whole result (export)."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: an error inside rolls back to where it began, and only
        that."""
        ...


def busy_timeout_ms() -> int:
    value = os.environ.get("RAPPORT_BUSY_TIMEOUT", "")
    return int(value) if value.isdigit() else BUSY_TIMEOUT_MS


def no_journal(label: str) -> NoJournal:
    return NoJournal(
        f"there is no journal at {label} yet: add someone with 'rapport add NAME', "
        "or explore a sample with 'rapport demo'"
    )


def newer(label: str, version: int, ours: int) -> RapportError:
    return RapportError(
        f"{label} was written by a newer rapport (schema {version}; this one knows {ours}); "
        "upgrade rapport to open it"
    )


def busy(label: str) -> RapportError:
    return RapportError(
        f"the journal {label} is busy: another process has held it for more than "
        f"{busy_timeout_ms() / 1000:g} s; nothing written, try again"
    )


def ignore(message: str) -> None:
    """Where warnings go when nobody listens."""


class Journal(Protocol):
    """An open journal, on either backend: what the commands may ask of it."""

    label: str  # how messages name it (a server's URL without its password)
    author: str  # recorded on every entry written through it
    dialect: Dialect
    read_only: bool
    file: Path | None  # its file; None on a server

    def connection(
        self, *, write: bool = False, create: bool = False
    ) -> AbstractContextManager[Connection]:
        """One transaction: a snapshot to read, or `BEGIN IMMEDIATE` (a server's write lock)
        to write, committed on success; `create` makes the journal when there is none."""
        ...
