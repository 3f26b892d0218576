"""Every test gets its own journal and a pinned terminal.

The journal is a SQLite file in tmp_path, or, when RAPPORT_TEST_DATABASE_URL names a
PostgreSQL server, a schema of its own on that server, dropped after the test. Tests about
the SQLite file itself are marked `sqlite_only`; tests that need a server, `postgres_only`.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli import app

WIDTH = "100"
SERVER = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run against PostgreSQL that cannot reach it fails; it does not skip everything."""
    if not SERVER:
        return
    try:
        with _server_connection(SERVER) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    except Exception as error:  # whatever the reason: say it and stop
        raise pytest.UsageError(
            f"RAPPORT_TEST_DATABASE_URL is set, but the server cannot be used: {error}"
        ) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER and item.get_closest_marker("sqlite_only"):
            item.add_marker(
                pytest.mark.skip(reason="about the SQLite file; this run is on PostgreSQL")
            )
        if not SERVER and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(
                reason="needs a PostgreSQL server: set RAPPORT_TEST_DATABASE_URL="
                "postgresql+psycopg://user@host/database"
            ))  # fmt: skip


def _server_connection(url: str, schema: str | None = None):
    import psycopg

    conn = psycopg.connect("postgresql" + url[url.index("://") :], autocommit=True)
    if schema:
        conn.execute(f"SET search_path = {schema}")
    return conn


class ServerJournal:
    """A test's journal on the PostgreSQL server: a schema of its own."""

    def __init__(self, base: str, schema: str) -> None:
        self.schema = schema
        separator = "&" if "?" in base else "?"
        self.url = f"{base}{separator}options=-csearch_path%3D{schema}"

    def __str__(self) -> str:
        return self.url

    def exists(self) -> bool:
        """Whether rapport has made a journal here (as a file exists for SQLite)."""
        found = rows(self, "SELECT to_regclass('_migrations')")
        return found[0][0] is not None


@contextlib.contextmanager
def server_journal() -> Iterator[ServerJournal]:
    """A new schema on the test server, dropped afterwards with all it holds."""
    journal = ServerJournal(SERVER, f"test_{uuid.uuid4().hex[:16]}")
    with _server_connection(SERVER) as conn:
        conn.execute(f"CREATE SCHEMA {journal.schema}")
    try:
        yield journal
    finally:
        with _server_connection(SERVER) as conn:
            conn.execute(f"DROP SCHEMA {journal.schema} CASCADE")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path | ServerJournal]:
    with contextlib.ExitStack() as stack:
        journal = stack.enter_context(server_journal()) if SERVER else tmp_path / "journal.db"
        monkeypatch.setenv("RAPPORT_DB", str(journal))
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # never the real home
        monkeypatch.setenv("COLUMNS", WIDTH)
        monkeypatch.setenv("TZ", "Europe/Berlin")
        monkeypatch.setenv("RAPPORT_AUTHOR", "Tester")  # not whoever runs the tests
        monkeypatch.delenv("RAPPORT_DEBUG", raising=False)
        monkeypatch.delenv("NO_COLOR", raising=False)
        time.tzset()
        yield journal
        monkeypatch.undo()
        time.tzset()


@pytest.fixture
def journal(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def run():
    """`run("log", "brandt", "lunch")` → click Result with .exit_code, .stdout, .stderr."""
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None, env: dict | None = None):
        return runner.invoke(app, list(args), input=input, env=env)

    return invoke


def snapshot(path: Path | ServerJournal) -> list[str]:
    """The whole database as SQL text: equal snapshots mean nothing was written."""
    if isinstance(path, ServerJournal):
        return _server_snapshot(path)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _server_snapshot(journal: ServerJournal) -> list[str]:
    tables = rows(journal, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                  "ORDER BY tablename")  # fmt: skip
    dump = [f"table {name}" for (name,) in tables]
    for (name,) in tables:
        dump += [f"{name}: {row!r}" for row in rows(journal, f"SELECT * FROM {name} ORDER BY 1")]
    return dump


def rows(path: Path | ServerJournal, sql: str, *params: object) -> list[tuple]:
    """The rows a query finds in the test's journal (SQLite's SQL and ? parameters)."""
    if isinstance(path, ServerJournal):
        from rapport.store.postgres import _text_times, _translate

        with _server_connection(SERVER, path.schema) as conn:
            _text_times(conn)  # times as SQLite holds them, so tests compare the same text
            return conn.execute(_translate(sql), params).fetchall()
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def write_behind(journal: Path | ServerJournal, sql: str, *params: object) -> None:
    """Change the test's journal behind rapport's back: what an older rapport, or another
    command, would have written. SQLite's SQL, translated for a server."""
    if isinstance(journal, ServerJournal):
        from rapport.store.postgres import _translate

        with _server_connection(SERVER, journal.schema) as conn:
            conn.execute(_translate(sql), params)
        return
    conn = sqlite3.connect(journal)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def rapport_process(
    *args: str, input: bytes | None = None, env: dict | None = None, **kwargs
) -> subprocess.CompletedProcess[bytes]:
    """rapport as a real process, as a shell script would run it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=60,
        **kwargs,
    )


QUESTIONS = (b"[y/N]", b"(Enter skips): ")  # how rapport's questions end


def run_in_terminal(args: list[str], answers: bytes, env: dict[str, str]) -> tuple[int, str]:
    """Run rapport with its stdin, stdout and stderr on a pty; type `answers` when first
    asked (the terminal hands them over a line for each question)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "rapport", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, **env},
        close_fds=True,
    )
    os.close(child)
    output, sent, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not sent and any(question in output for question in QUESTIONS):
            os.write(main, answers)
            sent = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=10)
    os.close(main)
    return process.returncode, output.decode("utf-8", "replace")
