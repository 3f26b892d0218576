"""A team journal: the same rapport on a shared PostgreSQL server.

`ServerDatabase` offers what `sqlite.Database` offers, through psycopg alone: its
connection (`ServerConnection`) takes every command's SQL as written for sqlite3 and hands
back what sqlite3 would (times as SQLite holds them), so that code has one version.

Writers take an advisory lock on the journal first, as SQLite's `BEGIN IMMEDIATE` takes its
write lock: two `rapport log --create` cannot both add the same client, and a command never
fails half-way because another wrote meanwhile. Readers see one snapshot (REPEATABLE READ).
The password never leaves this module: every message names the journal by `redact(url)`,
and libpq finds the password in the URL, $PGPASSWORD or ~/.pgpass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from rapport.errors import RapportError
from rapport.store import contract, migrations
from rapport.store.contract import Dialect, Params, busy_timeout_ms, ignore
from rapport.store.health import Check

if TYPE_CHECKING:
    import psycopg

_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://", re.IGNORECASE)
# Serialises writers per journal (a schema is a journal): see the module's docstring.
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('rapport:' || current_schema(), 0))"


# libpq's other way to name a server: keyword=value pairs, a value bare or in single quotes
# with backslash escapes ("host=db dbname=team password='s3 cret'").
_PAIR = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)")
_KEYWORDS = frozenset((  # libpq's connection parameters (PostgreSQL 16)
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
    "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
    "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
    "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
    "target_session_attrs", "load_balance_hosts",
))  # fmt: skip


def is_url(text: str) -> bool:
    return bool(_URL.match(text)) or is_keywords(text)


def is_keywords(text: str) -> bool:
    """Whether `text` is a libpq keyword/value string rather than a file name.

    Two pairs or more, or one with a libpq keyword: "notes=old.db" stays a file, while
    "hots=db password=x" (a typo) is not made a file name holding the password.
    """
    pairs = _pairs(text)
    return pairs is not None and (len(pairs) > 1 or pairs[0][0].lower() in _KEYWORDS)


def almost_keywords(text: str) -> bool:
    """Whether `text` names a libpq keyword with `=` somewhere (`host=…`, `password=…`)
    without being a keyword string: a mistyped server address, never a file name, since
    it may hold a password."""
    words = re.findall(r"(?:^|\s)(\w+)\s*=", text)
    return any(word.lower() in _KEYWORDS for word in words) and not is_keywords(text)


def _pairs(text: str) -> list[tuple[str, str]] | None:
    """The keyword/value pairs, as written; None unless the whole text is pairs."""
    pairs, position = [], 0
    while position < len(text.rstrip()):
        match = _PAIR.match(text, position)
        if match is None or match.end() == position:
            return None
        pairs.append((match.group(1), match.group(2)))
        position = match.end()
    return pairs or None


def _unquote_value(value: str) -> str:
    if value.startswith("'") and value.endswith("'") and len(value) > 1:
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def redact(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***.

    Cautious rather than exact: from the first colon after :// up to the last @ counts as
    the password, so one holding @, /, # or ? does not show in part. In a keyword/value
    string, the value of password= and sslpassword=.
    """
    if not _URL.match(url):
        return _PAIR.sub(
            lambda m: (
                m.group(0)[: m.start(2) - m.start(0)] + "***"
                if _is_password(m.group(1))
                else m.group(0)
            ),
            url,
        )
    span = _password_span(url)
    if span is not None:
        url = f"{url[: span[0]]}***{url[span[1] :]}"
    return _QUERY_PARAMETER.sub(
        lambda m: m.group(1) + "***" if _is_password(m.group(1)) else m.group(0), url
    )


def _password_span(url: str) -> tuple[int, int] | None:
    start = url.index("://") + 3
    end = url.rfind("@")
    if end < start:
        return None
    colon = url.find(":", start, end)
    return None if colon == -1 else (colon + 1, end)


_QUERY_PARAMETER = re.compile(r"([?&][^&=]*=)([^&]*)")


def _secrets(url: str) -> list[str]:
    """The password as written in the URL and as decoded, from wherever it is given."""
    if not _URL.match(url):
        written = [value for key, value in _pairs(url) or [] if _is_password(key) and value]
        return [form for value in written for form in {value, _unquote_value(value)} if form]
    found = []
    span = _password_span(url)
    if span is not None:
        found.append(url[span[0] : span[1]])
    found += [m.group(2) for m in _QUERY_PARAMETER.finditer(url) if _is_password(m.group(1))]
    return [form for secret in found if secret for form in {secret, unquote(secret)}]


def _is_password(key: str) -> bool:
    """password, sslpassword, or either spelled with %-escapes, which libpq decodes."""
    return unquote(key.strip("?&=")).lower().endswith("password")


def _conninfo(url: str) -> str:
    """libpq's URI: the same URL without a driver name (postgresql+psycopg://); a
    keyword/value string as it is."""
    if not _URL.match(url):
        return url
    return "postgresql" + url[url.index("://") :]


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise RapportError(
            "a PostgreSQL journal needs the psycopg driver: pip install 'rapport[postgres]'"
        ) from None
    return psycopg


# What names a row of a table without an id of its own, in what `check` reports.
_ROW_KEY = {"interaction_client": "interaction_id"}


class ServerDatabase:
    """A journal in a PostgreSQL database (the schema first on its search_path)."""

    dialect = "postgresql"

    def __init__(self, url: str, warn: Callable[[str], None] = ignore,
                 author: str = "") -> None:  # fmt: skip
        self.url = url
        self.label = redact(url)  # how messages name the journal: never with its password
        self.author = author  # recorded on every entry written through this journal
        self._warn = warn
        self._version: int | None = None
        self.read_only = False  # the server decides, and says so when a write is refused
        self.file = None  # no file: backups and file checks are the server's business

    def _ready(self, create: bool) -> None:
        """Create or migrate the schema when it needs it, in a transaction of its own."""
        if self._version == migrations.SCHEMA_VERSION:
            return
        psycopg = _driver()
        raw = self._connect(psycopg)
        try:
            for statement in _write_start():
                raw.execute(statement)
            self._migrate(ServerConnection(raw), create)
            raw.commit()
        except psycopg.Error as error:
            raise self._failure(error, reading=not create) from None
        finally:
            raw.close()
        self._version = migrations.SCHEMA_VERSION

    def inspect(self) -> int:
        """The schema's version, refusing another program's; nothing is created or written."""
        psycopg = _driver()
        raw = self._connect(psycopg)
        try:
            return _version(raw)
        except psycopg.Error as error:
            raise self._failure(error, reading=True) from None
        finally:
            raw.close()

    def _refuse_missing_schema(self, result: Any) -> None:
        if result.fetchone()[0] is None:
            raise RapportError(
                f"the schema that {self.label} names in its search_path does not exist on the "
                "server; create it (CREATE SCHEMA …) or correct the URL"
            )

    def _migrate(self, conn: Any, create: bool) -> None:
        """Bring the schema up to date inside the caller's write transaction."""
        version = migrations.version(conn)
        if version == 0:
            self._refuse_missing_schema(conn.execute("SELECT current_schema()"))
        self._refuse(version, create)
        if version < migrations.SCHEMA_VERSION:
            if version:
                self._warn(
                    f"rapport: updating {self.label} from schema {version} to "
                    f"{migrations.SCHEMA_VERSION} (in one transaction: an error leaves it "
                    "as it was)"
                )
            migrations.apply(conn)

    def _refuse(self, version: int, create: bool) -> None:
        if version == 0 and not create:
            raise contract.no_journal(self.label)
        if version > migrations.SCHEMA_VERSION:
            raise contract.newer(self.label, version, migrations.SCHEMA_VERSION)

    # -- plain SQL, for log, show, search and export -------------------------------------

    @contextmanager
    def connection(self, *, write: bool = False, create: bool = False) -> Iterator[Any]:
        """The journal in one transaction (see `sqlite.Database.connection`). A write to a new
        journal makes its schema in the same transaction, so a write that fails leaves no
        journal behind, as on SQLite."""
        psycopg = _driver()
        raw = self._connect(psycopg)
        start = _write_start() if write else _read_start()
        try:
            for statement in start:
                raw.execute(statement)
            found = migrations.SCHEMA_VERSION if self._version else _version(raw)
            if found == 0 and write:  # a new journal: its schema in this write's transaction
                self._migrate(ServerConnection(raw), create)
            elif found != migrations.SCHEMA_VERSION:
                raw.rollback()  # an update stays, whatever becomes of the command after it
                self._ready(create)  # creates or migrates the schema, or says why not
                for statement in start:
                    raw.execute(statement)
            yield ServerConnection(raw)
            if write:
                raw.commit()
            self._version = migrations.SCHEMA_VERSION
        except psycopg.Error as error:
            raise self._failure(error, reading=not write) from None
        finally:
            raw.close()  # rolls back whatever was not committed

    def _connect(self, psycopg: Any) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(_conninfo(self.url))
        except psycopg.Error as error:
            raise self._failure(error, reading=True) from None
        return raw

    def vacuum(self) -> str | None:
        """VACUUM FULL of rapport's tables: rewritten without deleted rows. None when done,
        else why not."""
        psycopg = _driver()
        raw = self._connect(psycopg)
        raw.autocommit = True  # VACUUM runs outside a transaction
        files = "SELECT " + ", ".join(f"pg_relation_filenode('{t}')" for t in migrations.TABLES)
        try:
            raw.execute(f"SET lock_timeout = {busy_timeout_ms()}")
            before = raw.execute(files).fetchone()
            raw.execute(f"VACUUM FULL {', '.join(migrations.TABLES)}")
            after = raw.execute(files).fetchone()
        except psycopg.Error as error:
            if getattr(error, "sqlstate", None) == "55P03":
                return "another session is using the journal"
            return self._failure(error).args[0]
        finally:
            raw.close()
        if (
            before is None
            or after is None
            or any(a == b for a, b in zip(after, before, strict=True))
        ):
            # PostgreSQL only warns when the tables are not this user's to vacuum.
            return "only the owner of rapport's tables may rewrite them (VACUUM FULL)"
        return None

    # -- for maintenance.py and transfer.py: what only PostgreSQL does ----------------------

    @contextmanager
    def erasing(self) -> Iterator[ServerConnection]:
        """A write for `forget`: the deleted rows go when `compact` rewrites the tables."""
        with self.connection(write=True) as conn:
            yield conn

    def compact(self) -> str | None:
        return self.vacuum()

    def health(self) -> Check:
        """PostgreSQL keeps its pages and foreign keys sound itself; check what rapport made."""
        try:
            with self.connection() as conn:
                version = migrations.version(conn)
                invalid = conn.execute(
                    "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c "
                    f"ON c.oid = i.indrelid WHERE c.relnamespace = {_SCHEMA} "
                    "AND NOT (i.indisvalid AND i.indisready)"
                ).fetchall()
                orphans = [
                    f"{table} row {row[0]} points to a missing client"
                    for table in migrations.TABLES
                    if table not in ("client", "_migrations")
                    for row in conn.execute(
                        f"SELECT t.{_ROW_KEY.get(table, 'id')} FROM {table} t "
                        "LEFT JOIN client c ON c.id = t.client_id WHERE c.id IS NULL"
                    )
                ]
                wanted = ", ".join(f"'{table}_search'" for table, _, _ in migrations.SEARCHED)
                indexes = conn.execute(
                    "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                    f"AND indexname IN ({wanted})"
                ).fetchone()[0]
                lender = conn.execute(
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                    "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent' "
                    "AND n.nspname <> current_schema() "
                    "AND to_regclass(quote_ident(n.nspname) || '._migrations') IS NOT NULL"
                ).fetchone()
                accents = conn.execute(
                    f"SELECT to_tsvector('{migrations.SEARCH_CONFIG}', 'Müller') "
                    f"= to_tsvector('{migrations.SEARCH_CONFIG}', 'Muller')"
                ).fetchone()[0]
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
                f"ok, but its unaccent lives in the journal {lender[0]}: dropping that schema "
                "would break this search; ALTER EXTENSION unaccent SET SCHEMA public"
            )
        return Check(integrity, orphans, version, search)

    def size(self, conn: ServerConnection) -> int:  # type: ignore[override]
        """Bytes rapport's tables take on the server, with their indexes."""
        return int(conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class "
            f"WHERE relnamespace = {_SCHEMA} AND relkind = 'r'"
        ).fetchone()[0])  # fmt: skip

    def backups(self) -> list[Path]:
        return []  # the server's own (pg_dump): rapport keeps none

    def copies(self) -> list[Path]:
        return []

    def insert_rows(  # type: ignore[override]
        self, conn: ServerConnection, table: str, columns: list[str], values: list[tuple]
    ) -> None:
        """Many rows in one go (import): one statement, run by psycopg as a pipeline."""
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)

    # -- errors --------------------------------------------------------------------------

    def _failure(self, error: Exception, *, reading: bool = False) -> RapportError:
        """The server's reason, as one line that names the journal without its password."""
        cause: BaseException = getattr(error, "orig", None) or error
        state = getattr(cause, "sqlstate", None) or ""
        reason = self._scrub(str(cause).strip().splitlines()[0] if str(cause).strip() else "")
        nothing = "nothing read" if reading else "nothing written"
        if state == "55P03":  # lock_not_available: lock_timeout ran out
            return contract.busy(self.label)
        unreached = state == "" and type(cause).__name__ == "OperationalError"
        if unreached or state.startswith("08") or state in ("57P01", "3D000", "28000", "28P01"):
            return RapportError(f"cannot reach the journal {self.label}: {reason}; {nothing}")
        if state in ("25006", "42501"):  # read-only transaction, insufficient privilege
            return RapportError(
                f"the journal {self.label} may not be written by this user ({reason}); {nothing}"
            )
        if state.startswith("53"):  # insufficient resources: disk full, out of memory
            return RapportError(f"the server of {self.label} is out of room ({reason}); {nothing}")
        if reading:
            return RapportError(f"cannot read the journal {self.label}: {reason}")
        return RapportError(f"cannot write the journal {self.label}: {reason}; {nothing}")

    def _scrub(self, text: str) -> str:
        for secret in _secrets(self.url):
            text = text.replace(secret, "***")
        return text


# The journal's schema by name: current_schema()::regnamespace would parse the name again
# and miss one that needs quoting ("Team-A").
_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"


def _write_start() -> tuple[str, ...]:
    return (f"SET LOCAL lock_timeout = {busy_timeout_ms()}", _WRITE_LOCK)


def _read_start() -> tuple[str, ...]:
    return ("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",)


def _version(raw: psycopg.Connection[Any]) -> int:
    if raw.execute("SELECT to_regclass('_migrations')").fetchone()[0] is None:  # type: ignore[index]
        return 0
    return migrations.server_version(*raw.execute(migrations.SERVER_VERSION).fetchone())  # type: ignore[misc]


def _text_times(raw: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> None:
    """Times and days as SQLite holds them ("2026-11-26 12:00:00.000000", "2026-11-26")."""
    stored_time, stored_day = _loaders()
    raw.adapters.register_loader("timestamp", stored_time)
    raw.adapters.register_loader("date", stored_day)


@lru_cache(maxsize=1)
def _loaders() -> tuple[type, type]:
    """psycopg's loaders, giving text: made once, when psycopg is imported anyway."""
    from psycopg.types.datetime import DateLoader, TimestampLoader

    class StoredTime(TimestampLoader):
        def load(self, data: Any) -> str:  # type: ignore[override]
            return super().load(data).isoformat(" ", "microseconds")

    class StoredDay(DateLoader):
        def load(self, data: Any) -> str:  # type: ignore[override]
            return super().load(data).isoformat()

    return StoredTime, StoredDay


class ServerConnection:
    """A psycopg connection that takes sqlite3's `?` and `:name` parameters and gives times
    back as SQLite's text."""

    dialect: Dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.IntegrityError: type[Exception] = _driver().IntegrityError
        _text_times(raw)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.raw.cursor().executemany(_translate(sql), rows)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.raw.transaction():  # inside a transaction, psycopg makes it a SAVEPOINT
            yield

    def execute(self, sql: str, params: Params = ()) -> Any:
        return self.raw.execute(_translate(sql), params)

    def stream(self, sql: str, params: Params = ()) -> Iterator[Any]:
        """Rows as the server sends them, without holding the whole result."""
        return self.raw.cursor().stream(_translate(sql), params)


# What may hold a ? or : that is not a parameter comes first: literals, quoted names, dollar
# quotes and comments; then casts (::) and slices ([1:2]), which keep their colon.
_PARAMETERS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$\$.*?\$\$|--[^\n]*|/\*.*?\*/"
    r"|::|(?<![\w\[:]):([A-Za-z_]\w*)|\?|%",
    re.DOTALL,
)


@lru_cache(maxsize=256)
def _translate(sql: str) -> str:
    """sqlite3's parameters as psycopg's: `?` → `%s`, `:name` → `%(name)s`, `%` → `%%`."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "'\"$-/" and len(token) > 1:
            return token.replace("%", "%%")  # psycopg reads % inside literals too
        if token == "::":
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _PARAMETERS.sub(swap, sql)
