"""`rapport forget`: the right to erasure, proven by reading the file's bytes."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from conftest import rows
from rapport.names import fold

# Byte scans of the SQLite file; tests/test_team_journal.py forgets on the server.
pytestmark = pytest.mark.sqlite_only

PERSON = "Jürgen Größe-Öztürk"
COMPANY = "Fördertechnik Süd"
WORDS = ["Zauberflöte", "Wanderlust", "Kellerassel", "Quokkafarm", "Müßiggang", "Eiswürfel"]


@pytest.fixture
def journal_with_person(run, journal):
    for step in [
        ("add", PERSON, "--company", COMPANY, "--email", "juergen@foerder.example"),
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel"),
        ("log", "jurgen", f"Talked about the {WORDS[0]} and his {WORDS[1]}", "--kind", "lunch"),
        ("log", "jurgen", f"A call about the {WORDS[2]}", "--kind", "call",
         "--follow-up", f"Send the {WORDS[3]} photos", "--due", "2099-01-01"),
        ("impression", "jurgen", f"Seemed lost in {WORDS[4]}", "--score", "-1"),
        ("fact", "jurgen", f"Collects {WORDS[5]} moulds", "--topic", "hobby"),
        ("log", "brandt", "Lunch at the harbour, he sails", "--kind", "lunch"),
    ]:  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    return journal


def spellings(text: str) -> set[bytes]:
    forms = {text, text.lower(), fold(text)}
    forms |= {unicodedata.normalize(form, f) for f in list(forms) for form in ("NFC", "NFD")}
    return {f.encode("utf-8") for f in forms if len(f) >= 4}


def traces(journal: Path) -> list[str]:
    found = []
    for path in (journal, Path(f"{journal}-wal")):
        if not path.exists():
            continue
        data = path.read_bytes()
        for text in [PERSON, COMPANY, "juergen@foerder", *WORDS]:
            found += [f"{path.name}: {s!r}" for s in spellings(text) if s in data]
    return found


def test_forget_leaves_no_trace_in_the_file(run, journal_with_person):
    journal = journal_with_person
    assert traces(journal), "the scan must be able to find the person before"
    result = run("forget", "jurgen", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Forgot {PERSON} (2 interactions, 1 impression, 1 fact, 1 follow-up); no trace"
    )
    assert "Backups and exports made earlier" in result.stderr
    assert traces(journal) == []
    # Everyone else is still there, and still found.
    assert rows(journal, "SELECT name FROM client") == [("Konrad Brandt",)]
    assert "harbour" in run("search", "harbour").stdout
    assert run("check").exit_code == 0


def test_forget_asks_first(run, journal_with_person):
    result = run("forget", "jurgen")
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert traces(journal_with_person)


def test_forget_someone_unknown(run, journal_with_person):
    result = run("forget", "nobody at all", "--yes")
    assert result.exit_code == 2 and "no client matches" in result.stderr


def test_forget_while_another_process_reads(run, journal_with_person):
    import sqlite3

    journal = journal_with_person
    reader = sqlite3.connect(journal)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM interaction").fetchone()
    result = run("forget", "jurgen", "--yes")
    assert result.exit_code == 0, result.output
    assert "but traces remain in the file for now" in result.stderr
    assert "rapport db compact" in result.stderr
    reader.close()
    compacted = run("db", "compact")
    assert compacted.exit_code == 0, compacted.output
    assert traces(journal) == []


def test_forget_names_the_copies_rapport_made(run, journal_with_person):
    copy = journal_with_person.with_name("journal.db.schema1.bak")
    copy.write_bytes(journal_with_person.read_bytes())
    result = run("forget", "jurgen", "--yes")
    assert f"This copy made by rapport still holds them: {copy}" in result.stderr


def test_no_trace_in_the_write_ahead_log_that_another_connection_keeps(run, journal_with_person):
    import sqlite3

    journal = journal_with_person
    idle = sqlite3.connect(journal)  # open, outside any transaction: the WAL stays on disk
    idle.execute("SELECT count(*) FROM client").fetchone()
    try:
        assert run("log", "jurgen", f"More about the {WORDS[0]}").exit_code == 0
        wal = Path(f"{journal}-wal")
        assert wal.exists() and any(s in wal.read_bytes() for s in spellings(WORDS[0]))
        result = run("forget", "jurgen", "--yes")
        assert result.exit_code == 0, result.output
        assert "traces remain" not in result.stderr
        assert wal.exists(), "the scan must read the write-ahead log too"
        assert traces(journal) == []
    finally:
        idle.close()


def test_no_trace_where_sqlite_does_not_secure_delete_by_default(
    run, journal_with_person, monkeypatch
):
    # Some builds of SQLite zero deleted content by default, some do not: forget must not
    # depend on the build it runs on.
    from rapport.store import sqlite as db

    plain = db._pragmas
    monkeypatch.setattr(db, "_pragmas", lambda: (*plain(), "PRAGMA secure_delete = OFF"))
    assert run("log", "brandt", "written with secure_delete off").exit_code == 0
    assert run("forget", "jurgen", "--yes").exit_code == 0
    assert traces(journal_with_person) == []


@pytest.mark.parametrize(("answer", "forgotten"), [(b"n\n", False), (b"y\n", True)])
def test_forget_asks_at_a_terminal(journal_with_person, answer, forgotten):
    from conftest import run_in_terminal

    person_id = rows(journal_with_person, "SELECT uuid FROM client WHERE company = ?", COMPANY)
    who = f"{PERSON} ({COMPANY}) [{person_id[0][0][:8]}]"  # unmistakable beside a namesake
    code, output = run_in_terminal(["forget", "jurgen"], answer, {})
    assert (code == 0) is forgotten, output
    assert f"Erase {who} and everything about them, for good?" in output
    assert (traces(journal_with_person) == []) is forgotten
