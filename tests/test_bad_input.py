"""Every bad input the data-safety issue lists: one line on stderr, and the journal as before.

Some of these are tested beside their feature too; here they stand together, each checked
against a byte-for-byte copy of the journal.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ServerJournal, snapshot
from rapport import migrations


def digest(path: Path | ServerJournal) -> str:
    """The file's bytes; on a server, every row of the journal's schema."""
    if isinstance(path, ServerJournal):
        return hashlib.sha256(repr(snapshot(path)).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def settled(run, journal):
    """A journal with two similar clients, its WAL folded in, so its bytes can be compared."""
    for step in [("add", "Anna Berg"), ("add", "Anna Brauer"), ("log", "berg", "hello")]:
        assert run(*step).exit_code == 0
    if isinstance(journal, Path):
        conn = sqlite3.connect(journal)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return journal


CASES = {
    "invalid date": (["log", "berg", "x", "--at", "45th of Smarch"], None, "cannot read the date"),
    "ambiguous date": (["log", "berg", "x", "--at", "03/04/2026"], None, "is ambiguous"),
    "future date": (["log", "berg", "x", "--at", "in 3 days"], None, "pass --future"),
    "unknown client": (["log", "zed", "x"], None, "no client matches 'zed'"),
    "ambiguous client": (["log", "anna", "x"], None, "'anna' matches 2 clients"),
    "empty note": (["log", "berg"], "   \n", "empty note"),
    "NUL in a note": (["log", "berg"], "a\x00b", "NUL byte"),
    "invalid UTF-8 on stdin": (["log", "berg"], b"\xff\xfe", "not UTF-8"),
    "a 20 MB note": (["log", "berg"], "x" * 20_000_000,
                     "is 20,000,000 bytes; rapport keeps notes up to 1 MiB, 1,048,576 bytes"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_changes_nothing(run, settled, case):
    args, stdin, message = CASES[case]
    before = digest(settled)
    result = run(*args, input=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert digest(settled) == before
    assert not Path(f"{settled}-wal").exists() or Path(f"{settled}-wal").stat().st_size == 0


@pytest.mark.sqlite_only
def test_a_non_database_file(run, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    notes.chmod(0o600)
    before = digest(notes)
    result = run("--db", str(notes), "log", "x", "y")
    assert result.exit_code == 1 and "not an SQLite database" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert digest(notes) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no -wal, no -shm


@pytest.mark.sqlite_only
def test_a_newer_database(run, settled):
    conn = sqlite3.connect(settled)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 5}")
    conn.close()
    before = digest(settled)
    result = run("log", "berg", "y")
    assert result.exit_code == 1 and "written by a newer rapport" in result.stderr
    assert digest(settled) == before


def test_a_directory(run, tmp_path):
    (tmp_path / "kept.txt").write_text("mine")
    result = run("--db", str(tmp_path), "log", "x", "y")
    assert result.exit_code == 1 and "is a directory" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("kept.txt", "mine")]


@pytest.mark.sqlite_only
def test_a_read_only_journal(run, settled, tmp_path):
    """Root ignores file modes, so as root the journal sits on a read-only mount instead."""
    folder = tmp_path / "ro"
    folder.mkdir()
    journal = folder / "journal.db"
    shutil.copy(settled, journal)
    journal.chmod(0o400)
    before = digest(journal)
    command = [sys.executable, "-m", "rapport", "--db", str(journal), "log", "berg", "note"]
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            pytest.skip("needs unshare to mount a folder read-only as root")
        script = (
            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
            + " ".join(f"'{part}'" for part in command)
        )
        command = ["unshare", "-m", "sh", "-c", script]
    done = subprocess.run(command, capture_output=True, timeout=60)
    if b"unshare failed" in done.stderr or b"mount:" in done.stderr:
        pytest.skip("this machine does not allow a private read-only mount")
    assert done.returncode == 1, done.stderr
    assert done.stderr.decode() == (
        f"rapport: the journal {journal} is read-only (the file, its folder or the disk); "
        "nothing written\n"
    )
    assert digest(journal) == before
