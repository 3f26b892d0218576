"""The one way into a journal: a file (SQLite) or a PostgreSQL schema, behind one contract.

`open_journal` picks the backend from `--db` or `$RAPPORT_DB`; both backends hand out a
`Connection` (contract.py) in one transaction, run the same migrations (migrations.py), and
turn their engine's failures into one line the user can act on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.errors import BadInput
from rapport.store.contract import Connection, Cursor, Dialect, Params, busy_timeout_ms, ignore
from rapport.store.sqlite import Database

if TYPE_CHECKING:
    from rapport.store.postgres import ServerDatabase

__all__ = [
    "Connection", "Cursor", "Database", "Dialect", "Params",
    "busy_timeout_ms", "default_path", "open_journal", "resolve_path",
]  # fmt: skip

ENV_VAR = "RAPPORT_DB"


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("rapport", appauthor=False) / "journal.db"


def resolve_path(option: str | os.PathLike[str] | None) -> Path:
    """`--db`, else `$RAPPORT_DB`, else the platform's user data directory."""
    chosen = option or os.environ.get(ENV_VAR)
    return Path(chosen).expanduser() if chosen else default_path()


def open_journal(
    option: str | None, warn: Callable[[str], None] = ignore, author: str = ""
) -> Database | ServerDatabase:
    """The journal `--db` or `$RAPPORT_DB` names: a PostgreSQL URL, else a SQLite file."""
    chosen = option or os.environ.get(ENV_VAR) or ""
    if "=" in chosen or "://" in chosen:
        # Only a server needs the PostgreSQL backend: a file's commands start without it.
        from rapport.store.postgres import ServerDatabase, almost_keywords, is_keywords, is_url
    if "=" in chosen:
        if is_keywords(chosen):  # libpq's host=… dbname=… form
            return ServerDatabase(chosen, warn, author)
        if almost_keywords(chosen):  # not echoed: it may hold a password
            raise BadInput(
                "the journal given looks like a PostgreSQL keyword string (host=… dbname=…) "
                "but cannot be read as one: quote a value with spaces as password='a b'"
            )
    if re.match(r"\s*postgres(ql)?(\+\w+)?(:(?!//)|/)|\s+postgres", chosen, re.IGNORECASE):
        # Not echoed: it may hold a password.
        raise BadInput(
            "the journal given is almost a PostgreSQL URL, not quite: write "
            "postgresql://user@host/database, with nothing before it"
        )
    if "://" in chosen:
        if is_url(chosen):
            return ServerDatabase(chosen, warn, author)
        if not chosen.startswith("sqlite:///"):
            scheme = chosen.partition("://")[0]
            raise BadInput(
                f"rapport keeps journals in SQLite files and on PostgreSQL, not {scheme}: "
                "give a file path or a postgresql://user@host/database URL"
            )
        chosen = chosen.removeprefix("sqlite:///")
    return Database(resolve_path(chosen or None), warn, author)
