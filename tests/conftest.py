"""Every test gets its own journal file in tmp_path and a pinned terminal."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli import app

WIDTH = "100"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    journal = tmp_path / "journal.db"
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


def snapshot(path: Path) -> list[str]:
    """The whole database as SQL text: equal snapshots mean nothing was written."""
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def rows(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
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


def run_in_terminal(args: list[str], answers: bytes, env: dict[str, str]) -> tuple[int, str]:
    """Run rapport with its stdin, stdout and stderr on a pty; type `answers` when asked."""
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
        if not sent and b"[y/N]" in output:
            os.write(main, answers)
            sent = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=10)
    os.close(main)
    return process.returncode, output.decode("utf-8", "replace")
