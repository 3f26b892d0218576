"""The schema's history: an append-only list of small, named migrations.

Never edit a migration that has been released; add the next one. Each runs in the same
transaction as the row that records it in `_migrations`, so a crash leaves either the old
schema or the new one. `PRAGMA user_version` mirrors the count so that opening a file can
tell its version without a query plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

Migration = Callable[["Connection"], None]


def _run(conn: Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def m001_initial(conn: Connection) -> None:
    # The five nouns of DESIGN.md. CHECK constraints keep the file honest even when written
    # by another tool; the partial unique index allows at most one first impression.
    _run(
        conn,
        """
        CREATE TABLE client (
            id INTEGER PRIMARY KEY,
            uuid VARCHAR NOT NULL UNIQUE,
            name VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
            company VARCHAR,
            role VARCHAR,
            email VARCHAR,
            phone VARCHAR,
            tags VARCHAR NOT NULL DEFAULT '',
            cadence_days INTEGER CHECK (cadence_days > 0),
            archived BOOLEAN NOT NULL DEFAULT 0,
            created_at DATETIME NOT NULL
        );
        CREATE TABLE interaction (
            id INTEGER PRIMARY KEY,
            uuid VARCHAR NOT NULL UNIQUE,
            client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
            at DATETIME NOT NULL,
            kind VARCHAR NOT NULL CHECK (kind IN
                ('call', 'meeting', 'lunch', 'email', 'message', 'event', 'note')),
            note VARCHAR NOT NULL DEFAULT '',
            mood INTEGER CHECK (mood BETWEEN -2 AND 2),
            tags VARCHAR NOT NULL DEFAULT '',
            created_at DATETIME NOT NULL
        );
        CREATE INDEX interaction_client_at ON interaction (client_id, at);
        CREATE INDEX interaction_at ON interaction (at);
        CREATE TABLE impression (
            id INTEGER PRIMARY KEY,
            uuid VARCHAR NOT NULL UNIQUE,
            client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
            at DATETIME NOT NULL,
            stage VARCHAR NOT NULL CHECK (stage IN ('first', 'later')),
            text VARCHAR NOT NULL,
            score INTEGER CHECK (score BETWEEN -2 AND 2),
            created_at DATETIME NOT NULL
        );
        CREATE UNIQUE INDEX impression_one_first ON impression (client_id) WHERE stage = 'first';
        CREATE INDEX impression_client_at ON impression (client_id, at);
        CREATE TABLE fact (
            id INTEGER PRIMARY KEY,
            uuid VARCHAR NOT NULL UNIQUE,
            client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
            at DATETIME NOT NULL,
            topic VARCHAR NOT NULL CHECK (topic IN
                ('family', 'hobby', 'interest', 'challenge', 'preference', 'birthday', 'other')),
            text VARCHAR NOT NULL,
            created_at DATETIME NOT NULL
        );
        CREATE INDEX fact_client_at ON fact (client_id, at);
        CREATE TABLE follow_up (
            id INTEGER PRIMARY KEY,
            uuid VARCHAR NOT NULL UNIQUE,
            client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
            interaction_id INTEGER REFERENCES interaction (id) ON DELETE SET NULL,
            text VARCHAR NOT NULL,
            due DATE,
            done_at DATETIME,
            created_at DATETIME NOT NULL
        );
        CREATE INDEX follow_up_client ON follow_up (client_id, done_at);
        CREATE INDEX follow_up_open_due ON follow_up (due) WHERE done_at IS NULL
        """,
    )


_SEARCHED = (  # table, column, code: an entry's search row is id * 4 + code
    ("interaction", "note", 0),
    ("impression", "text", 1),
    ("fact", "text", 2),
    ("follow_up", "text", 3),
)


def m002_search(conn: Connection) -> None:
    # Full-text search over everything written about people. One FTS5 table for all four
    # kinds; its rowid encodes kind and id, so triggers reach a row without a scan.
    # unicode61 with remove_diacritics 2 makes "muller" find "Müller"; porter on top lets
    # "sail" find "sails" and "sailing" (English stems; other words pass through whole).
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "body, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    for table, column, code in _SEARCHED:
        key = f"id * 4 + {code}"
        for statement in (
            f"""CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN
                INSERT INTO search_index (rowid, body) VALUES (new.{key}, new.{column}); END""",
            f"""CREATE TRIGGER {table}_search_update AFTER UPDATE OF {column} ON {table} BEGIN
                UPDATE search_index SET body = new.{column} WHERE rowid = old.{key}; END""",
            f"""CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN
                DELETE FROM search_index WHERE rowid = old.{key}; END""",
            f"INSERT INTO search_index (rowid, body) SELECT {key}, {column} FROM {table}",
        ):
            conn.exec_driver_sql(statement)


def m003_authorship(conn: Connection) -> None:
    # Who wrote each entry, for journals a team shares. Entries from before are unattributed.
    for table in ("interaction", "impression", "fact", "follow_up"):
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN author TEXT NOT NULL DEFAULT ''")


MIGRATIONS: list[Migration] = [m001_initial, m002_search, m003_authorship]
SCHEMA_VERSION = len(MIGRATIONS)


def apply(conn: Connection) -> list[str]:
    """Apply every migration the file lacks; the caller holds a write transaction."""
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at DATETIME)"
    )
    done = {row[0] for row in conn.exec_driver_sql("SELECT name FROM _migrations")}
    applied = []
    for migration in MIGRATIONS:
        if migration.__name__ not in done:
            migration(conn)
            conn.exec_driver_sql(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))",
                (migration.__name__,),
            )
            applied.append(migration.__name__)
    conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return applied
