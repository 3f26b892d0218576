"""backup, check and db: tools for looking after the journal."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest

from conftest import rows
from rapport.store import migrations

# Logs until the file named by argv[1] appears (at most 100,000 times), so that it is still
# writing when the backups are taken, however slowly a busy machine runs either side.
WRITER = """
import os, sys
from rapport.cli import app
for i in range(100_000):
    if os.path.exists(sys.argv[1]):
        break
    app(args=["log", "A", f"note {i}"], prog_name="rapport", standalone_mode=False)
"""


def interactions_in(path) -> int:
    return rows(path, "SELECT count(*) FROM interaction")[0][0]


@pytest.mark.sqlite_only
def test_backup_while_another_process_writes(run, journal, tmp_path):
    assert run("add", "A").exit_code == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=os.environ)
    try:
        deadline = time.monotonic() + 120
        while interactions_in(journal) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        copies = []
        for n in range(3):
            target = tmp_path / f"copy{n}.db"
            result = run("backup", str(target))
            assert result.exit_code == 0, result.output
            assert result.stderr == f"Backed up to {target}\n"
            copies.append(target)
        still_writing = writer.poll() is None
    finally:
        stop.touch()
    assert writer.wait(timeout=300) == 0
    assert still_writing, "the writer ended before the backups were taken"
    final = interactions_in(journal)
    counts = []
    for copy in copies:
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        counts.append(interactions_in(copy))
    # Each copy is the journal at one moment, taken while the writer went on.
    assert 10 <= counts[0] <= counts[1] <= counts[2] <= final, (counts, final)


@pytest.mark.sqlite_only
def test_a_backup_leaves_out_what_is_not_committed(run, journal, tmp_path):
    assert run("add", "A").exit_code == 0
    assert run("log", "a", "committed").exit_code == 0
    writer = sqlite3.connect(journal, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE interaction SET note = 'not yet committed'")
    try:
        result = run("backup", str(tmp_path / "copy.db"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "copy.db", "SELECT note FROM interaction") == [("committed",)]


@pytest.mark.sqlite_only
def test_backup_into_a_folder_and_refusals(run, journal, tmp_path):
    assert run("add", "A").exit_code == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    assert run("backup", str(folder)).exit_code == 0
    (made,) = folder.glob("journal-*.db")
    assert rows(made, "SELECT name FROM client") == [("A",)]
    again = run("backup", str(made))
    assert again.exit_code == 2 and "exists" in again.stderr
    assert run("backup", str(journal)).exit_code == 2
    missing = run("--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "x.db"))
    assert missing.exit_code == 2 and "no journal" in missing.stderr


@pytest.mark.sqlite_only
def test_check_healthy_and_broken(run, journal):
    assert run("add", "A").exit_code == 0
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "integrity:    ok", "foreign keys: ok", "search index: ok",
        f"schema:       version {migrations.SCHEMA_VERSION}", "ok",
    ]  # fmt: skip
    conn = sqlite3.connect(journal)  # foreign keys are off in a plain connection
    conn.execute(
        "INSERT INTO fact (uuid, client_id, at, topic, text, created_at) "
        "VALUES ('x', 99, '2025-01-01', 'other', 'orphan', '2025-01-01')"
    )
    conn.commit()
    conn.close()
    broken = run("check")
    assert broken.exit_code == 1
    assert "foreign keys: fact row" in broken.stdout and broken.stdout.endswith("NOT OK\n")


def test_db_path_and_info(run, journal, tmp_path):
    assert run("db", "path").stdout == f"{journal}\n"
    assert run("--db", str(tmp_path / "x.db"), "db", "path").stdout == f"{tmp_path / 'x.db'}\n"
    run("add", "A")
    run("log", "a", "hello")
    info = json.loads(run("db", "info", "--json").stdout)
    assert info["path"] == str(journal) and info["schema"] == migrations.SCHEMA_VERSION
    assert info["rows"] == {"clients": 1, "interactions": 1, "impressions": 0, "facts": 0,
                            "follow-ups": 0}  # fmt: skip
    assert info["bytes"] > 0 and info["backups"] == []
    assert "rows:     1 client, 1 interaction, 0 impressions" in run("db", "info").stdout


@pytest.mark.sqlite_only
def test_db_info_lists_the_copies_made_before_migrating(run, journal):
    assert run("add", "A").exit_code == 0
    kept = journal.with_name("journal.db.schema2.bak")
    kept.write_bytes(journal.read_bytes())
    assert json.loads(run("db", "info", "--json").stdout)["backups"] == [str(kept)]
    assert f"backups:  {kept}" in run("db", "info").stdout


def damage(path) -> None:
    """Scramble every other page after the first two, as a failing disk would."""
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data), 2 * page):
        for index in range(start, min(start + page, len(data))):
            data[index] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.sqlite_only
def test_a_damaged_journal_is_reported_not_crashed_on(run, journal):
    for n in range(60):
        assert run("log", f"Client {n}", "x" * 400, "--create").exit_code == 0
    conn = sqlite3.connect(journal)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    damage(journal)
    for command in (["clients"], ["show", "client 1"], ["export"], ["db", "info"]):
        result = run(*command)
        assert result.exit_code in (0, 1, 2), (command, result.output)
        assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) <= 1
    checked = run("check")
    assert checked.exit_code == 1
    assert checked.stdout.endswith("NOT OK\n") and "unexpected" not in checked.stderr


@pytest.mark.sqlite_only
def test_check_is_ok_while_another_process_writes(run, journal):
    from test_concurrency import hold_lock

    assert run("add", "A").exit_code == 0
    with hold_lock(journal):
        result = run("check", env={"RAPPORT_BUSY_TIMEOUT": "300"})
    assert result.exit_code == 0, result.output
    assert "search index: not checked: another process is writing" in result.stdout


def test_output_to_a_full_disk_is_one_clear_line(run, journal):
    run("add", "A")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "rapport", "clients", "--json"],
                              stdout=full, stderr=subprocess.PIPE, env=env)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode() == "rapport: cannot write the output: No space left on device\n"


@pytest.mark.sqlite_only
def test_backup_folders_that_do_not_exist(run, journal, tmp_path):
    run("add", "A")
    missing = run("backup", str(tmp_path / "nope" / "b.db"))
    assert missing.exit_code == 2
    assert missing.stderr == f"rapport: the folder {tmp_path / 'nope'} does not exist\n"
    slash = run("backup", f"{tmp_path / 'newdir'}/")
    assert slash.exit_code == 2 and "does not exist" in slash.stderr
    assert not (tmp_path / "newdir").exists()
    folder = tmp_path / "many"
    folder.mkdir()
    for _ in range(3):
        assert run("backup", str(folder)).exit_code == 0
    assert len(list(folder.glob("journal-*.db"))) == 3
