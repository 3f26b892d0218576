"""The journal file: location, modes, pragmas, transactions, and files it must refuse."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import rapport_process, rows
from rapport import clients
from rapport.store import migrations
from rapport.store.sqlite import Database

# The SQLite file: its modes, pragmas, header and damage. tests/test_team_journal.py has the
# server's own.
pytestmark = pytest.mark.sqlite_only


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_path_is_the_platform_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("RAPPORT_DB")
    done = rapport_process("add", "A", env={"RAPPORT_DB": ""})
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "data" / "rapport"  # XDG_DATA_HOME points at tmp_path/data
    assert (folder / "journal.db").exists()
    assert mode(folder) == 0o700


def test_db_option_beats_the_environment(run, journal, tmp_path):
    other = tmp_path / "other.db"
    assert run("--db", str(other), "add", "A").exit_code == 0
    assert rows(other, "SELECT name FROM client") == [("A",)]
    assert not journal.exists()


def test_file_modes_under_a_permissive_umask(tmp_path):
    target = tmp_path / "new" / "dir" / "j.db"
    script = (
        "import os, sys; os.umask(0o022); from rapport.cli import main; "
        "sys.argv = ['rapport', '--db', sys.argv[1], 'log', 'A', 'note', '--create']; main()"
    )
    done = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True)
    assert done.returncode == 0, done.stderr
    assert mode(target.parent) == 0o700
    assert mode(target) == 0o600
    # Keep a reader open so the -wal and -shm files exist to be inspected.
    keeper = sqlite3.connect(target)
    keeper.execute("SELECT count(*) FROM client").fetchone()
    try:
        for suffix in ("-wal", "-shm"):
            side = Path(f"{target}{suffix}")
            assert side.exists()
            assert mode(side) == 0o600, suffix
    finally:
        keeper.close()


def test_pragmas(journal):
    db = Database(journal)
    for write in (False, True):
        with db.connection(write=write, create=True) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_foreign_keys_are_enforced(journal):
    db = Database(journal)
    with (
        pytest.raises(Exception, match="FOREIGN KEY"),
        db.connection(write=True, create=True) as conn,
    ):
        conn.execute(
            "INSERT INTO interaction (uuid, client_id, at, kind, note, tags, created_at) "
            "VALUES ('u', 999, '2025-01-01', 'call', 'x', '', '2025-01-01')"
        )


@pytest.mark.parametrize(
    ("write", "table"),
    [
        (lambda db: clients.add_client(db, "B"), "client"),
        (lambda db: clients.log(db, "A", "note"), "interaction"),
        (lambda db: clients.add_fact(db, "A", "sails"), "fact"),
    ],
)
def test_writes_begin_immediate(journal, monkeypatch, write, table):
    db = Database(journal)
    clients.add_client(db, "A")
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    write(Database(journal))
    writes = [s for s in statements if not s.startswith("PRAGMA")]
    assert writes[0] == "BEGIN IMMEDIATE"
    assert writes[-1] == "COMMIT"
    assert any(s.startswith(f"INSERT INTO {table}") for s in writes)


def test_newer_schema_is_refused_and_left_unchanged(run, journal):
    assert run("add", "A").exit_code == 0
    conn = sqlite3.connect(journal)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.close()
    before = digest(journal)
    result = run("clients")
    assert result.exit_code == 1
    assert "written by a newer rapport" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert digest(journal) == before


def test_not_a_database_is_refused_and_left_unchanged(run, journal):
    journal.write_text("These are my notes, not a database.\n" * 20)
    journal.chmod(0o600)
    before = digest(journal)
    result = run("clients")
    assert result.exit_code == 1
    assert (
        result.stderr == f"rapport: {journal} is not a rapport journal (not an SQLite database)\n"
    )
    assert digest(journal) == before


def test_a_corrupt_database_is_refused(run, journal):
    journal.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    journal.chmod(0o600)
    before = digest(journal)
    result = run("clients")
    assert result.exit_code == 1
    assert "cannot be read as a database" in result.stderr
    assert digest(journal) == before


@pytest.mark.parametrize(
    "args",
    [["clients"], ["show", "anna"], ["log", "anna", "a call"], ["search", "call"], ["export"]],
)
def test_a_journal_damaged_behind_a_sound_header_is_refused(run, journal, args):
    assert run("add", "Anna").exit_code == 0
    header = journal.read_bytes()[:100]
    journal.write_bytes(header + os.urandom(8000))
    before = digest(journal)
    result = run(*args)
    assert result.exit_code == 1
    assert "cannot be read as a database" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert digest(journal) == before


def test_a_directory_is_refused(run, tmp_path):
    result = run("--db", str(tmp_path), "clients")
    assert result.exit_code == 1
    assert result.stderr == f"rapport: {tmp_path} is a directory; give the path of a journal file\n"


def test_timestamps_are_stored_in_utc(run, journal):
    run("add", "A")
    run("log", "A", "n", "--at", "2025-01-15T10:00:00-05:00")
    assert rows(journal, "SELECT at FROM interaction") == [("2025-01-15 15:00:00.000000",)]


def test_refusing_a_newer_schema_creates_no_side_files(run, journal):
    assert run("add", "A").exit_code == 0
    conn = sqlite3.connect(journal)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.close()
    assert run("clients").exit_code == 1
    assert not Path(f"{journal}-wal").exists()
    assert not Path(f"{journal}-shm").exists()


def test_every_folder_rapport_creates_is_private(run, tmp_path):
    target = tmp_path / "a" / "b" / "j.db"
    assert run("--db", str(target), "add", "A").exit_code == 0
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700


@pytest.mark.parametrize(
    ("args", "readable"),
    [(["clients"], 0o644), (["show", "a"], 0o640), (["log", "a", "call"], 0o604),
     (["export"], 0o660)],
)  # fmt: skip
def test_a_journal_readable_by_others_gets_a_warning(run, journal, args, readable):
    assert run("add", "A").exit_code == 0
    journal.chmod(readable)
    result = run(*args)
    assert result.exit_code == 0
    warning = (
        f"warning: {journal} can be read by other users of this machine; "
        f"'chmod 600 {journal}' makes it private\n"
    )
    assert result.stderr.startswith(warning)  # once, then what the command says
    assert result.stderr.count("can be read by other users") == 1
    journal.chmod(0o600)
    assert run("clients").stderr == ""
