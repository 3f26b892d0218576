"""The SQLite backend: a journal in one file, its checks, modes, pragmas and schema version.

Every connection runs in WAL mode with foreign keys on and a busy timeout. Writes start with
`BEGIN IMMEDIATE`: a deferred transaction that reads first would fail at once with
"database is locked" when another process writes, instead of waiting its turn.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import count
from pathlib import Path
from typing import Any

from rapport.errors import RapportError
from rapport.files import create_private
from rapport.store import contract, migrations
from rapport.store.contract import Dialect, Params, busy_timeout_ms, ignore
from rapport.store.health import Check

SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = migrations.APPLICATION_ID  # "RAPP", at offset 68 of a journal's header


_KNOWN = ("locked", "busy", "readonly", "full", "disk I/O")


def _writable(path: Path) -> bool:
    """Whether this process may write the journal and create its -wal and -shm files."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK) and not _stuck(path)


def _stuck(path: Path) -> str | None:
    """A -wal or -shm beside the journal that this process may not write, as a reader of a
    read-only journal once left behind: it keeps every write out, though the file may be
    written."""
    for side in (f"{path}-wal", f"{path}-shm"):
        # os.access also says no for a file that another process has just removed (the last
        # connection to close deletes both) or is creating: only one that is there and may
        # not be written, time after time, is stuck.
        if all(os.path.exists(side) and not os.access(side, os.W_OK) for _ in range(3)):
            return side
    return None


def schema_version(path: Path) -> int:
    """The file's schema version, read without writing a byte (0 for a new, empty file).

    Refuses a file that is not rapport's: another program's SQLite database must never get
    rapport's tables, nor a -wal or -shm file. `PRAGMA user_version` (offset 60 of the
    header) and `PRAGMA application_id` (offset 68) tell a closed journal's version and
    owner without SQLite creating files. A journal made before the mark is known by its
    `_migrations` table, read from the file alone (`_peek`), so that another program's -wal
    and -shm stay as they are too. A journal with a live WAL may have a newer version than
    its header: SQLite reads that one, once the file is known to be rapport's.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise RapportError(f"{path} is not a rapport journal (not an SQLite database)")
    owner = int.from_bytes(header[68:72], "big")
    plausible = _plausible(header)  # else damaged: SQLite's own error says how (_peek)
    if plausible and owner not in (0, APPLICATION_ID):
        raise _foreign(path)
    if (owner == 0 or not plausible) and not _made_by_rapport(path):
        return 0  # an SQLite file with nothing in it (_ready checks again, under its lock)
    if plausible and not wal_size(path):
        return int.from_bytes(header[60:64], "big", signed=True)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise RapportError(f"{path} cannot be read as a database: {error}") from None


def _made_by_rapport(path: Path) -> bool:
    """For a file without the mark: True for a journal older than the mark, False for an
    empty SQLite file; anything else is another program's and refused."""
    try:
        version, tables, recorded = _contents(_peek(path))
        if not tables and wal_size(path):
            # All it holds may still be in its WAL, which only a reader that may write the
            # -shm takes in: read a private copy instead of touching the owner's files.
            version, tables, recorded = _contents_of_a_copy(path)
    except sqlite3.DatabaseError as error:
        raise RapportError(f"{path} cannot be read as a database: {error}") from None
    if recorded:
        return True
    if not tables and version == 0:
        return False
    raise _foreign(path)


def _contents(conn: sqlite3.Connection) -> tuple[int, set[str], bool]:
    """user_version, the names in the schema, and whether rapport's first migration is
    recorded; closes the connection."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        recorded = "_migrations" in tables and bool(
            conn.execute("SELECT 1 FROM _migrations WHERE name = 'm001_initial'").fetchone()
        )
    finally:
        conn.close()
    return version, tables, recorded


def _contents_of_a_copy(path: Path) -> tuple[int, set[str], bool]:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rapport-") as scratch:  # 0700, removed after
        copy = Path(scratch) / "copy.db"
        shutil.copyfile(path, copy)
        with suppress(FileNotFoundError):  # checkpointed and removed meanwhile
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")
        return _contents(sqlite3.connect(copy))


def _foreign(path: Path) -> RapportError:
    return RapportError(
        f"{path} is a SQLite database, but not a rapport journal; rapport leaves it untouched"
    )


def _peek(path: Path) -> sqlite3.Connection:
    """A connection that reads the file alone, creating and changing no file beside it.

    `immutable` skips locks, the -wal and the -shm: plain mode=ro would create -wal and
    -shm files for a WAL-mode database, with the file's mode, and leave them behind when it
    cannot checkpoint, or write to another program's -shm.
    """
    return sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)


def read_only_uri(path: Path) -> str:
    """How to read a journal this process may not write, creating no file beside it.

    Without a -wal, the file alone holds the journal: `immutable` (see `_peek`; the reader
    checks afterwards that nobody rewrote the file meanwhile). With one, SQLite reads the
    file and its WAL together through the -shm that the WAL's writer keeps; readonly_shm
    keeps it from creating a missing one.
    """
    uri = path.resolve().as_uri()
    if not os.path.exists(f"{path}-wal"):
        return f"{uri}?immutable=1"
    return f"{uri}?mode=ro" + ("" if os.path.exists(f"{path}-shm") else "&readonly_shm=1")


def wal_size(path: Path) -> int:
    """The size of the journal's -wal file; 0 when there is none.

    Another process closing the journal deletes its -wal at any moment, so the file is
    stat'ed once rather than checked for and then stat'ed.
    """
    try:
        return os.stat(f"{path}-wal").st_size
    except FileNotFoundError:
        return 0


def _plausible(header: bytes) -> bool:
    """A header SQLite wrote: page size a power of two, payload fractions 64/32/32."""
    if len(header) < 100:
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    return (
        512 <= page_size <= 65536
        and page_size & (page_size - 1) == 0
        and header[21:24] == b"\x40\x20\x20"
    )


def _prepare_file(path: Path) -> None:
    """Create the folders (0700) and the file (0600) before SQLite does, with our modes.

    SQLite gives the -wal and -shm files the mode of the database file, so they are 0600
    too, whatever the umask.
    """
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=0o700)
            folder.chmod(0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # another process created it a moment ago
    except OSError as error:
        raise RapportError(f"cannot create the journal {path}: {error.strerror}") from None
    os.fchmod(fd, 0o600)
    os.close(fd)


def backup(source: Path | str, target: Path) -> None:
    """A consistent copy through SQLite's backup API, created 0600 before a byte is written.

    `source` is a path, or a URI (`Database.sqlite_uri`)."""
    os.close(create_private(target, exclusive=True))
    src = sqlite3.connect(source, uri=isinstance(source, str) and source.startswith("file:"))
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_before_migrating(path: Path, version: int) -> Path:
    """Keep the file as it was before a migration touches it, beside it."""
    target = path.with_name(f"{path.name}.schema{version}.bak")
    stamp = 1
    while target.exists():
        stamp += 1
        target = path.with_name(f"{path.name}.schema{version}.{stamp}.bak")
    try:
        backup(path, target)
    except (OSError, sqlite3.Error) as error:
        raise RapportError(f"cannot back up {path} before updating it: {error}") from None
    return target


def exposed_to_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


class Database:
    """A journal file, opened on first use.

    Nothing touches the disk until a command asks for a connection, so a command that fails
    while checking its input leaves no trace, not even a new empty file. Reading a journal
    that does not exist raises NoJournal instead of creating one.
    """

    dialect = "sqlite"  # postgres.ServerDatabase says "postgresql"

    def __init__(self, path: Path, warn: Callable[[str], None] = ignore, author: str = "") -> None:
        self.path = path
        self.label = str(path)  # how messages name the journal
        self.author = author  # recorded on every entry written through this journal
        self._warn = warn
        self._version: int | None = None
        self.read_only = False  # known once the file is checked: this process may not write it

    @property
    def file(self) -> Path:
        """The journal's file (a server's journal has none)."""
        return self.path

    def _check(self, create: bool) -> int:
        """The file's schema version, once it is known to be a journal this rapport can open.

        Checked once per command, so a warning about the file is given once.
        """
        if self._version is not None:
            return self._version
        path = self.path
        try:
            kind = path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):  # not there: _prepare_file says why
            if not create:
                raise contract.no_journal(str(path)) from None
            _prepare_file(path)
            kind = path.stat().st_mode
        except OSError as error:
            raise RapportError(f"cannot open the journal {path}: {error.strerror}") from None
        if stat.S_ISDIR(kind):
            raise RapportError(f"{path} is a directory; give the path of a journal file")
        if not stat.S_ISREG(kind):
            raise RapportError(
                f"{path} is {_what(kind)}, not a file; give the path of a journal file"
            )
        try:
            version = schema_version(path)
        except OSError as error:  # a file this user may not read, as another user's journal
            raise RapportError(f"cannot read the journal {path}: {error.strerror}") from None
        if version > migrations.SCHEMA_VERSION:
            raise contract.newer(str(path), version, migrations.SCHEMA_VERSION)
        self.read_only = not _writable(path)
        if self.read_only and version < migrations.SCHEMA_VERSION:
            raise RapportError(
                f"the journal {path} is read-only and needs updating from schema {version} to "
                f"{migrations.SCHEMA_VERSION}; make it writable and run rapport once"
                if version
                else f"the journal {path} is read-only (the file, its folder or the disk); "
                "nothing written"
            )
        if exposed_to_others(path):
            self._warn(
                f"warning: {path} can be read by other users of this machine; "
                f"'chmod 600 {path}' makes it private"
            )
        self._version = version
        return version

    def _read_only(self) -> RapportError:
        side = _stuck(self.path)
        if side and os.access(self.path, os.W_OK):
            return RapportError(
                f"the journal {self.path} is read-only: {side} beside it may not be written "
                "(make it writable as the journal is); nothing written"
            )
        return RapportError(
            f"the journal {self.path} is read-only (the file, its folder or the disk); "
            "nothing written"
        )

    def sqlite_uri(self) -> str:
        """How SQLite opens the file: read-write, never creating it (that is _prepare_file's
        job, with mode 0600); or, when this process may not write it, without creating
        anything beside it (read_only_uri)."""
        if self.read_only:
            return read_only_uri(self.path)
        return f"{self.path.resolve().as_uri()}?mode=rw"

    def inspect(self) -> int:
        """The journal's schema version, once the file is known to be a journal rapport may
        open (see _check); nothing is created or written."""
        return self._check(create=False)

    @contextmanager
    def _unchanged(self) -> Iterator[None]:
        """A read of a read-only journal without a WAL reads the file alone (immutable):
        should another user's rapport rewrite it meanwhile, say so instead of answering from
        a torn read."""
        if not (self.read_only and "immutable=1" in self.sqlite_uri()):
            yield
            return
        before = _identity(self.path)
        yield
        if _identity(self.path) != before:
            raise RapportError(
                f"the journal {self.path} changed while it was being read (someone who may "
                "write it is using it); run the command again"
            )

    def _ready(self, create: bool) -> None:
        """Create or migrate the file when it needs it, once per command."""
        version = self._check(create)
        if version == migrations.SCHEMA_VERSION:
            return
        if version:
            copy = backup_before_migrating(self.path, version)
            self._warn(
                f"rapport: updating {self.path} from schema {version} to "
                f"{migrations.SCHEMA_VERSION}; the old file is kept at {copy}"
            )
        with self._transaction(write=True) as conn:
            # Another process may have migrated while we waited for the write lock.
            version = migrations.version(conn)
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                # Empty when checked, but another program wrote its tables into it meanwhile.
                raise _foreign(self.path)
            if version < migrations.SCHEMA_VERSION:
                migrations.apply(conn)
        self._version = migrations.SCHEMA_VERSION

    @contextmanager
    def connection(
        self, *, write: bool = False, create: bool = False
    ) -> Iterator[SqliteConnection]:
        """The journal in one transaction, created or migrated first when it needs it.

        Reads see one snapshot of the journal; `write` begins with `BEGIN IMMEDIATE` (a
        deferred transaction that reads first would fail at once when another process
        writes) and commits on success.
        """
        self._ready(create)
        if write and self.read_only:
            raise self._read_only()
        with self._transaction(write=write) as conn:
            yield conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[SqliteConnection]:
        try:
            conn = sqlite3.connect(self.sqlite_uri(), uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise self._failure(error, reading=not write) from None
        try:
            try:
                for pragma in _pragmas_for(read_only=self.read_only):
                    conn.execute(pragma)
            except sqlite3.OperationalError:
                raise  # busy, read-only, full: _failure below says which
            except sqlite3.DatabaseError as error:  # damaged behind a sound header
                raise RapportError(f"{self.path} cannot be read as a database: {error}") from None
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            with self._unchanged():
                yield SqliteConnection(conn)
            if write:
                conn.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise self._failure(error, reading=not write) from None
        finally:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # SQLite has rolled back already
                    conn.execute("ROLLBACK")
            conn.close()

    def _failure(self, error: Exception, *, reading: bool = False) -> RapportError:
        """SQLite's reasons a write failed, as one line the user can act on."""
        # A failure inside a savepoint can surface as the savepoint's own error; the cause
        # is further down the chain.
        causes: list[str] = []
        current: BaseException | None = error
        while current is not None and len(causes) < 10:
            causes.append(str(getattr(current, "orig", current)))
            current = current.__context__
        reason = next((c for c in causes if any(k in c for k in _KNOWN)), causes[0])
        if "locked" in reason or "busy" in reason:
            return contract.busy(str(self.path))
        if "readonly" in reason or not _writable(self.path):
            return self._read_only()
        if "full" in reason or "disk I/O" in reason:
            return RapportError(
                f"cannot write the journal {self.path}: the disk is full or the file may not "
                "grow; nothing written, the journal is as it was"
            )
        if reading:
            return RapportError(
                f"cannot read the journal {self.path}: {reason}; 'rapport check' tells more"
            )
        return RapportError(
            f"cannot write the journal {self.path}: {reason}; nothing written "
            "('rapport check' tells more)"
        )

    # -- for maintenance.py and transfer.py: what only SQLite does --------------------------
    # (backup API, VACUUM, secure_delete, FTS5's own commands, PRAGMA checks, staged inserts)

    @contextmanager
    def erasing(self) -> Iterator[SqliteConnection]:
        """A write whose deleted rows leave no bytes behind in the pages it touches (`forget`).

        Deleting a row only unlinks it: secure_delete zeroes its bytes, and merging the search
        index into one new segment leaves no old segment with its words. The free pages and
        the WAL are `compact`'s to rewrite.
        """
        with self.connection(write=True) as conn:
            conn.execute("PRAGMA secure_delete = ON")
            yield conn
            conn.execute("INSERT INTO search_index (search_index) VALUES ('optimize')")

    def compact(self) -> str | None:
        """Rewrite the file without free pages (VACUUM) and empty the WAL.

        Returns None when done, else why not: another process holding the journal open keeps
        old pages in the WAL until it lets go.
        """
        self._ready(create=True)  # as every command: the file is checked, made or migrated
        if self.read_only:
            raise RapportError(
                f"the journal {self.path} is read-only (the file, its folder or the disk); "
                "nothing compacted"
            )
        conn = None
        try:
            # VACUUM runs outside a transaction: a connection of its own, not `connection()`.
            conn = sqlite3.connect(self.sqlite_uri(), uri=True, isolation_level=None)
            for pragma in (*_pragmas_for(read_only=False), "PRAGMA secure_delete = ON"):
                conn.execute(pragma)
            conn.execute("VACUUM")
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as error:
            return str(error)
        finally:
            if conn is not None:
                conn.close()
        return "another process has the journal open" if busy else None

    def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's backup API, made 0600 (`backup`), reading the
        journal as it is read: a read-only one without creating a -wal or -shm."""
        self._ready(create=False)  # as every command: the file is checked, or migrated
        try:
            backup(self.sqlite_uri(), target)
        except sqlite3.Error as error:
            raise RapportError(f"cannot back up {self.path}: {error}") from None

    def health(self) -> Check:
        """SQLite's integrity and foreign-key checks, and FTS5's check of the search index."""
        try:
            with self.connection() as conn:
                integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
                foreign = [
                    f"{row[0]} row {row[1]} points to a missing {row[2]}"
                    for row in conn.execute("PRAGMA foreign_key_check")
                ]
                version = migrations.version(conn)
        except RapportError as error:  # too damaged to run the checks at all
            return Check([str(error)], None, -1, "not checked: the file is damaged")
        if self.read_only:  # FTS5's check is an INSERT, which a read-only file does not take
            return Check(integrity, foreign, version, "not checked: the journal is read-only")
        # The FTS5 'integrity-check' command compares the index with the rows it indexes.
        try:
            with self.connection(write=True) as conn:
                conn.execute(
                    "INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)"
                )
            search = "ok"
        except RapportError as error:
            search = str(error)
            if "is busy" in search:
                search = "not checked: another process is writing; run check again later"
        return Check(integrity, foreign, version, search)

    def size(self, conn: SqliteConnection) -> int:
        """Bytes the journal takes: the file and its WAL (read while `conn` keeps it open)."""
        return self.path.stat().st_size + wal_size(self.path)

    def backups(self) -> list[Path]:
        """The copies kept beside the journal before migrating it."""
        return sorted(self.path.parent.glob(f"{self.path.name}.schema*.bak"))

    def copies(self) -> list[Path]:
        """Every file rapport made beside the journal that may hold what it held: the copies
        kept before migrating, and the scratch journal of an import under way or killed."""
        return self.backups() + sorted(self.path.parent.glob(f".{self.path.name}.*.new*"))

    def insert_rows(
        self, conn: SqliteConnection, table: str, columns: list[str], values: list[tuple]
    ) -> None:
        """Many rows in one go (import), through a temporary table of the same columns.

        Moving them over in one INSERT … SELECT fires the search-index triggers inside one
        statement; row by row, FTS5 writes its pending terms out after every statement,
        which made the index ten times the cost of the rows themselves.
        """
        # Staged notes stay in memory: a temporary file outside the journal would be a copy
        # of them that `forget` cannot reach. (Setting it again changes nothing; changing it
        # would drop the temporary tables.)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS stage_{table} AS SELECT * FROM main.{table} WHERE 0"
        )
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO temp.stage_{table} ({names}) VALUES ({marks})", values)
        conn.execute(
            f"INSERT INTO main.{table} ({names}) SELECT {names} FROM temp.stage_{table} "
            "ORDER BY rowid"
        )
        conn.execute(f"DELETE FROM temp.stage_{table}")


@contextmanager
def new_journal(path: Path) -> Iterator[Database]:
    """A journal that does not exist yet, built in a hidden file beside `path`.

    It takes the journal's place only when the block succeeds, so a failed import into a
    new journal leaves no file behind, and readers never see a half-built one.
    """
    _remove_abandoned(path)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.new")
    db = Database(scratch)
    try:
        yield db  # its last connection has closed: the WAL is checkpointed into the file
        if scratch.exists():
            try:
                os.link(scratch, path)  # unlike rename, never replaces a journal
            except FileExistsError:
                raise RapportError(
                    f"{path} was created by another process meanwhile; nothing imported, "
                    "run the import again"
                ) from None
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)


def _remove_abandoned(path: Path) -> None:
    """Scratch journals of imports that were killed: personal data nobody will use."""
    for leftover in path.parent.glob(f".{path.name}.*.new*"):
        pid = leftover.name.removeprefix(f".{path.name}.").split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pragmas() -> tuple[str, ...]:
    return (
        f"PRAGMA busy_timeout = {busy_timeout_ms()}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
    )


def _pragmas_for(*, read_only: bool) -> list[str]:
    # A read-only journal keeps the journal mode it has: setting it is a write.
    return [p for p in _pragmas() if not (read_only and p.startswith("PRAGMA journal_mode"))]


def _identity(path: Path) -> tuple[int, int, int]:
    """What changes when a file is rewritten: inode, size, modification time."""
    found = path.stat()
    return found.st_ino, found.st_size, found.st_mtime_ns


def _what(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    return "a socket" if stat.S_ISSOCK(mode) else "a special file"


_names = count()


class SqliteConnection:
    """A `sqlite3.Connection` inside the transaction `Database.connection` began."""

    dialect: Dialect = "sqlite"
    IntegrityError: type[Exception] = sqlite3.IntegrityError

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
