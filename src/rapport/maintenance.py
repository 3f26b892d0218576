"""Looking after the file: erasure that leaves no trace, backups, checks, facts about it."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from rapport import rows
from rapport.errors import BadInput, RapportError
from rapport.journal import find_client
from rapport.models import Client, Fact, FollowUp, Impression, Interaction
from rapport.store import migrations
from rapport.store import sqlite as dbmodule

if TYPE_CHECKING:
    from rapport.store.sqlite import Database


# -- erasure ------------------------------------------------------------------------------


@dataclass
class Forgotten:
    name: str
    removed: dict[str, int]
    compacted: str | None  # None when done; else why the file could not be rewritten yet
    copies: list[Path]  # files rapport made earlier that may still hold the person


def forget(db: Database, query: str) -> Forgotten:
    """Erase a client and everything about them so that no byte of it stays in the file.

    Deleting a row only unlinks it: SQLite leaves its bytes in free pages, the FTS5 index
    keeps its words in old segments, and the write-ahead log keeps page images. So: delete
    with secure_delete on, merge the search index, VACUUM (which rewrites the whole file
    without free pages), then checkpoint and truncate the WAL. On PostgreSQL the rows are
    deleted and VACUUM FULL rewrites rapport's tables without them; the server's own
    write-ahead log and backups are its administrator's to look after (README).
    """
    on_sqlite = db.dialect == "sqlite"
    with db.writing(create=False) as session:
        conn = session.connection()
        if on_sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        client = find_client(session, query)
        removed = {
            kind: session.execute(
                select(func.count()).select_from(model).where(model.client_id == client.id)
            ).scalar_one()
            for kind, model in (
                ("interaction", Interaction), ("impression", Impression), ("fact", Fact),
                ("follow-up", FollowUp),
            )
        }  # fmt: skip
        name = client.name
        session.delete(client)  # the foreign keys cascade to every row about them
        session.flush()
        if on_sqlite:
            # Merge the index into one new segment, so no old segment keeps their words.
            conn.exec_driver_sql("INSERT INTO search_index (search_index) VALUES ('optimize')")
    copies = []
    if on_sqlite:
        copies = sorted(db.path.parent.glob(f"{db.path.name}.schema*.bak"))
        copies += sorted(db.path.parent.glob(f".{db.path.name}.*.new*"))
    return Forgotten(name, removed, compact(db), copies)


def compact(db: Database) -> str | None:
    """Rewrite the file without free pages (VACUUM) and empty the WAL.

    Returns None when done, else why not: another process holding the journal open keeps
    old pages in the WAL until it lets go. On PostgreSQL: VACUUM FULL of rapport's tables.
    """
    if db.dialect == "postgresql":
        return db.vacuum()  # type: ignore[attr-defined]
    engine = db.engine
    if db.read_only:
        raise RapportError(
            f"the journal {db.path} is read-only (the file, its folder or the disk); "
            "nothing compacted"
        )
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        sqlite.execute("PRAGMA secure_delete = ON")
        sqlite.execute("VACUUM")
        busy, _, _ = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as error:
        return str(error)
    finally:
        raw.close()
    return "another process has the journal open" if busy else None


# -- backup -------------------------------------------------------------------------------


def backup(db: Database, where: str) -> Path:
    """A consistent copy while others may be writing (SQLite's online backup API), 0600.

    `where` is a new file, or a folder (existing, or written with a trailing slash).
    """
    if db.dialect != "sqlite":
        raise BadInput(
            "rapport backup copies a journal file; back up a PostgreSQL journal with the "
            "server's tools (pg_dump), or keep an export: rapport export > journal.jsonl"
        )
    source = db.path
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
    db.engine  # noqa: B018  (opening checks the file and migrates it first)
    partial = target.with_name(f".{target.name}.partial")
    try:
        # Read as the journal is read: a read-only one without creating -wal or -shm.
        dbmodule.backup(db.sqlite_uri(), partial)
        os.link(partial, target)
    except FileExistsError:
        raise BadInput(f"{target} exists; give a new file name or a folder") from None
    except OSError as error:
        raise RapportError(f"cannot write {target}: {error.strerror}") from None
    except sqlite3.Error as error:
        raise RapportError(f"cannot back up {source}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


# -- check and info -----------------------------------------------------------------------


# What `check` could not look at, and that does not make the journal unhealthy.
_UNCHECKED_BUT_FINE = ("not checked: another", "not checked: the journal is read-only")


@dataclass
class Check:
    integrity: list[str]  # "ok", or SQLite's list of problems
    foreign_keys: list[str] | None  # the rows pointing nowhere; None when not checked
    version: int
    search_index: str  # "ok" or what is wrong

    @property
    def ok(self) -> bool:
        return (
            self.integrity == ["ok"]
            and self.foreign_keys == []
            and self.version == migrations.SCHEMA_VERSION
            and self.search_index.startswith(("ok", *_UNCHECKED_BUT_FINE))
        )


def check(db: Database) -> Check:
    # What is not a journal (another program's file or schema, a device, one too new) is
    # refused as every command refuses it; a journal too damaged to read is reported below.
    db.inspect()
    if db.dialect == "postgresql":
        return _check_server(db)
    try:
        with db.reading() as session:
            conn = session.connection()
            integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            foreign = [
                f"{row[0]} row {row[1]} points to a missing {row[2]}"
                for row in conn.exec_driver_sql("PRAGMA foreign_key_check")
            ]
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
    except RapportError as error:  # too damaged to run the checks at all
        return Check([str(error)], None, -1, "not checked: the file is damaged")
    if db.read_only:  # FTS5's check is an INSERT, which a read-only file does not take
        return Check(integrity, foreign, version, "not checked: the journal is read-only")
    # The FTS5 'integrity-check' command compares the index with the rows it indexes.
    from sqlalchemy.exc import DatabaseError

    try:
        with db.writing(create=False) as session:
            session.connection().exec_driver_sql(
                "INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)"
            )
        search = "ok"
    except (RapportError, DatabaseError) as error:
        search = str(getattr(error, "orig", error))
        if "is busy" in search:
            search = "not checked: another process is writing; run check again later"
    return Check(integrity, foreign, version, search)


# The journal's schema by name: current_schema()::regnamespace would parse the name again
# and miss one that needs quoting ("Team-A").
_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"


def _check_server(db: Database) -> Check:
    """PostgreSQL keeps its pages and foreign keys sound itself; check what rapport made."""
    try:
        with db.reading() as session:
            conn = session.connection()
            version = migrations.version(conn)
            invalid = conn.exec_driver_sql(
                "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c "
                f"ON c.oid = i.indrelid WHERE c.relnamespace = {_SCHEMA} "
                "AND NOT (i.indisvalid AND i.indisready)"
            ).all()
            orphans = [
                f"{table} row {row[0]} points to a missing client"
                for table in rows.TABLES.values()
                if table != "client"
                for row in conn.exec_driver_sql(
                    f"SELECT t.id FROM {table} t LEFT JOIN client c ON c.id = t.client_id "
                    "WHERE c.id IS NULL"
                )
            ]
            wanted = ", ".join(f"'{table}_search'" for table, _, _ in migrations.SEARCHED)
            indexes = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                f"AND indexname IN ({wanted})"
            ).scalar_one()
            lender = conn.exec_driver_sql(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent' "
                "AND n.nspname <> current_schema() "
                "AND to_regclass(quote_ident(n.nspname) || '._migrations') IS NOT NULL"
            ).scalar()
            accents = conn.exec_driver_sql(
                f"SELECT to_tsvector('{migrations.SEARCH_CONFIG}', 'Müller') "
                f"= to_tsvector('{migrations.SEARCH_CONFIG}', 'Muller')"
            ).scalar_one()
    except RapportError as error:
        return Check([str(error)], None, -1, "not checked")
    integrity = [f"index {name} is not valid; REINDEX it" for (name,) in invalid] or ["ok"]
    missing = len(migrations.SEARCHED) - indexes
    search = "ok"
    if missing:
        search = f"{missing} of the {len(migrations.SEARCHED)} search indexes are missing"
    if search == "ok" and not accents:
        search = "ok, but accents count (the server had no unaccent extension to use)"
    elif search == "ok" and lender:
        search = (
            f"ok, but its unaccent lives in the journal {lender}: dropping that schema would "
            "break this search; ALTER EXTENSION unaccent SET SCHEMA public"
        )
    return Check(integrity, orphans, version, search)


@dataclass
class Info:
    path: Path | str
    version: int
    size: int  # bytes, with the -wal file
    rows: dict[str, int]
    backups: list[Path] = field(default_factory=list)
    server: bool = False  # on a PostgreSQL server: no file, no backups of rapport's


def info(db: Database) -> Info:
    with db.reading() as session:
        rows = {
            kind: session.execute(select(func.count()).select_from(model)).scalar_one()
            for kind, model in (
                ("clients", Client), ("interactions", Interaction), ("impressions", Impression),
                ("facts", Fact), ("follow-ups", FollowUp),
            )
        }  # fmt: skip
        version = migrations.version(session.connection())
        if db.dialect == "postgresql":
            size = (
                session.connection()
                .exec_driver_sql(
                    "SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class "
                    f"WHERE relnamespace = {_SCHEMA} AND relkind = 'r'"
                )
                .scalar_one()
            )
            return Info(db.label, version, int(size), rows, server=True)
    path = db.path
    size = path.stat().st_size + dbmodule.wal_size(path)
    backups = sorted(path.parent.glob(f"{path.name}.schema*.bak"))
    return Info(path, version, size, rows, backups)
