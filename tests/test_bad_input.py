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
from rapport.store import migrations


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


UUID = "0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f"
HEADER = '{"type":"header","format":1}\n'
CLIENT = f'{{"type":"client","uuid":"{UUID}","name":"A"'  # the closing brace to come
ROW = f"client,{UUID},A"
# A card as a phone writes it, whose quoted-printable bytes are Latin-1 (=E4 is ä).
VCARD_21 = ("BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=%s;ENCODING=QUOTED-PRINTABLE:J=E4=\r\n"
            "ger\r\nEND:VCARD\r\n")  # fmt: skip

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
    # Inputs that were taken and quietly turned into something else.
    "empty fact from stdin": (["fact", "berg", "-"], "\ufeff  \n", "empty fact"),
    "an empty tag filters nothing": (["clients", "--tag", ""], None, "bad tag ''"),
    "an empty --client filters nothing": (["search", "hello", "--client", " "], None,
                                          "give a client name after --client"),
    "a JSONL field rapport does not know": (["import", "-"], HEADER + CLIENT + ',"compnay":"X"}',
                                            "line 2: the record has the field 'compnay'"),
    "a JSON key named twice": (["import", "-"], HEADER + CLIENT + ',"name":"B"}',
                               "line 2: the key 'name' appears twice in one object"),
    "a JSON document with another key": (["import", "-f", "json", "-"],
                                         '{"format":1,"records":[],"contacts":[{"name":"A"}]}',
                                         "the document has the key 'contacts'"),
    "a format that is 1.0": (["import", "-"], '{"type":"header","format":1.0}\n',
                             "line 1: the record is format 1.0"),
    "a CSV column rapport does not know": (["import", "-f", "csv", "-"],
                                           f"type,uuid,name,notes\r\n{ROW},x\r\n",
                                           "line 1: unknown column 'notes'"),
    "a CSV column twice": (["import", "-f", "csv", "-"],
                           f"type,uuid,name,name\r\n{ROW},B\r\n",
                           "line 1: the column 'name' appears twice"),
    "a CSV cell its type lacks": (["import", "-f", "csv", "-"],
                                  f"type,uuid,name,note\r\n{ROW},hi\r\n",
                                  "line 2: the row has a value in the column 'note', which a "
                                  "client does not have"),
    "a vCard 2.1 value not in its CHARSET": (["import", "-f", "vcf", "-"], VCARD_21 % "UTF-8",
                                             "line 3: the quoted-printable value is not UTF-8"),
    "a vCard 2.1 CHARSET unknown": (["import", "-f", "vcf", "-"], VCARD_21 % "KLINGON",
                                    "line 3: unknown CHARSET 'KLINGON'"),
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
