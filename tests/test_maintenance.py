"""backup, check and db: tools for looking after the journal."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

from conftest import rows

WRITER = """
import sys
from rapport.cli import app
for i in range(int(sys.argv[1])):
    app(args=["log", "A", f"note {i}"], prog_name="rapport", standalone_mode=False)
"""


def test_backup_while_another_process_writes(run, journal, tmp_path):
    assert run("add", "A").exit_code == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "150"], env=os.environ)
    copies = []
    for n in range(3):
        target = tmp_path / f"copy{n}.db"
        result = run("backup", str(target))
        assert result.exit_code == 0, result.output
        assert result.stderr == f"Backed up to {target}\n"
        copies.append(target)
    assert writer.wait(timeout=300) == 0
    for copy in copies:
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM interaction").fetchone()[0] <= 150
        conn.close()


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


def test_check_healthy_and_broken(run, journal):
    assert run("add", "A").exit_code == 0
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "integrity:    ok", "foreign keys: ok", "search index: ok", "schema:       version 2", "ok"
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
    assert info["path"] == str(journal) and info["schema"] == 2
    assert info["rows"] == {"clients": 1, "interactions": 1, "impressions": 0, "facts": 0,
                            "follow-ups": 0}  # fmt: skip
    assert info["bytes"] > 0 and info["backups"] == []
    assert "rows:     1 clients, 1 interactions" in run("db", "info").stdout
