"""The journal file: where it lives, how it is opened, and its schema version.

Every connection runs in WAL mode with foreign keys on and a busy timeout. Writes start with
`BEGIN IMMEDIATE`: a deferred transaction that reads first would fail at once with
"database is locked" when another process writes, instead of waiting its turn.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rapport import migrations
from rapport.errors import RapportError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000
SQLITE_HEADER = b"SQLite format 3\x00"
ENV_VAR = "RAPPORT_DB"


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("rapport", appauthor=False) / "journal.db"


def resolve_path(option: str | os.PathLike[str] | None) -> Path:
    """`--db`, else `$RAPPORT_DB`, else the platform's user data directory."""
    chosen = option or os.environ.get(ENV_VAR)
    return Path(chosen).expanduser() if chosen else default_path()


def schema_version(path: Path) -> int:
    """The file's schema version, read without writing a byte (0 for a new, empty file)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise RapportError(f"{path} is not a rapport journal (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise RapportError(f"{path} cannot be read as a database: {error}") from None


def _prepare_file(path: Path) -> None:
    """Create the directory (0700) and the file (0600) before SQLite does, with our modes.

    SQLite gives the -wal and -shm files the mode of the database file, so they are 0600
    too, whatever the umask.
    """
    if path.is_dir():
        raise RapportError(f"{path} is a directory; give the path of a journal file")
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
            path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # an existing journal keeps its mode; `exposed_to_others` checks it
    except OSError as error:
        raise RapportError(f"cannot create the journal {path}: {error.strerror}") from None
    os.fchmod(fd, 0o600)
    os.close(fd)


def exposed_to_others(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


class Database:
    """An open journal file: hands out read and write sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _prepare_file(path)
        version = schema_version(path)
        if version > migrations.SCHEMA_VERSION:
            raise RapportError(
                f"{path} was written by a newer rapport (schema {version}; this one knows "
                f"{migrations.SCHEMA_VERSION}); upgrade rapport to open it"
            )
        self.engine = _make_engine(path)
        if version < migrations.SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        with self._writer().connect() as conn:
            # Another process may have migrated while we waited for the write lock.
            current = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            if current < migrations.SCHEMA_VERSION:
                migrations.apply(conn)
            conn.commit()

    def _writer(self) -> Engine:
        return self.engine.execution_options(rapport_write=True)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        from sqlmodel import Session

        with Session(self.engine) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session inside one `BEGIN IMMEDIATE` transaction, committed on success."""
        from sqlmodel import Session

        with Session(self._writer(), expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: sqlite3.Connection, record: object) -> None:
        # Take transactions out of pysqlite's hands so that `on_begin` decides how they start.
        dbapi_conn.isolation_level = None
        for pragma in (
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
        ):
            dbapi_conn.execute(pragma)

    @event.listens_for(engine, "begin")
    def on_begin(conn: object) -> None:
        immediate = conn.get_execution_options().get("rapport_write")  # type: ignore[attr-defined]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[attr-defined]

    return engine
