"""The SQLite backend: a journal in one file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from rapport.store.contract import Dialect, Params

_names = count()


class SqliteConnection:
    """A `sqlite3.Connection` inside the transaction `Database.connection` began."""

    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.raw.executemany(sql, rows)

    def stream(self, sql: str, params: Params = ()) -> Iterator[Any]:
        return iter(self.raw.execute(sql, params))  # sqlite3 steps through rows as read

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        name = f"s{next(_names)}"
        self.raw.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.raw.execute(f"ROLLBACK TO {name}")
            self.raw.execute(f"RELEASE {name}")
            raise
        self.raw.execute(f"RELEASE {name}")
