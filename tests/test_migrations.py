"""The schema comes from explicit, append-only migrations (tests/test_models.py holds the
SQLModel classes to it)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rapport.store import migrations
from rapport.store.sqlite import Database, SqliteConnection, schema_version

# SQLite files of every schema version; tests/test_team_journal.py migrates on the server.
pytestmark = pytest.mark.sqlite_only


def open_and_close(path):
    with Database(path).connection(create=True):  # opening is lazy: the first use migrates
        pass


def columns(conn: sqlite3.Connection, table: str) -> dict[str, bool]:
    return {row[1]: bool(row[3]) for row in conn.execute(f"PRAGMA table_info({table})")}


def test_migrations_are_recorded_and_versioned(tmp_path):
    path = tmp_path / "j.db"
    open_and_close(path)
    conn = sqlite3.connect(path)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    conn.close()
    assert names == [m.__name__ for m in migrations.MIGRATIONS]
    assert schema_version(path) == migrations.SCHEMA_VERSION == len(names)


def test_a_second_open_changes_nothing(tmp_path):
    path = tmp_path / "j.db"
    open_and_close(path)
    conn = sqlite3.connect(path)
    before = list(conn.iterdump())
    conn.close()
    open_and_close(path)
    conn = sqlite3.connect(path)
    assert list(conn.iterdump()) == before
    conn.close()


def test_migration_names_are_unique_and_numbered():
    names = [m.__name__ for m in migrations.MIGRATIONS]
    assert len(set(names)) == len(names)
    assert names == sorted(names)
    assert all(name.startswith(f"m{i:03d}_") for i, name in enumerate(names, start=1))


def make_schema_1(path):
    """A journal as rapport 0.1's first release wrote it: only m001 applied."""
    raw = sqlite3.connect(path, isolation_level=None)
    conn = SqliteConnection(raw)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at DATETIME)")
    migrations.m001_initial(conn)
    conn.execute("INSERT INTO _migrations VALUES ('m001_initial', datetime('now'))")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO client (uuid, name, tags, archived, created_at) "
        "VALUES ('0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f', 'Jana Müller', '', 0, '2025-01-01')"
    )
    conn.execute(
        "INSERT INTO interaction (uuid, client_id, at, kind, note, tags, created_at) VALUES "
        "('1b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f', 1, '2025-01-02', 'lunch', "
        "'Sie segelt gern', '', '2025-01-02')"
    )
    conn.execute("COMMIT")
    raw.close()


def test_an_old_journal_is_backed_up_then_migrated_with_every_row(run, journal):
    make_schema_1(journal)
    before = sqlite3.connect(journal)
    rows_before = before.execute("SELECT * FROM interaction").fetchall()
    before.close()
    result = run("show", "muller", "--json")
    assert result.exit_code == 0, result.output
    backup = journal.with_name("journal.db.schema1.bak")
    assert f"the old file is kept at {backup}" in result.stderr
    assert backup.exists() and (backup.stat().st_mode & 0o777) == 0o600
    assert schema_version(backup) == 1
    assert schema_version(journal) == migrations.SCHEMA_VERSION
    conn = sqlite3.connect(journal)
    assert as_before(conn.execute("SELECT * FROM interaction").fetchall(), rows_before)
    # The new search index was filled from the rows that were already there.
    hits = conn.execute("SELECT rowid FROM search_index WHERE search_index MATCH 'segelt'")
    assert hits.fetchall() == [(4,)]
    conn.close()
    second = run("show", "muller")
    assert second.exit_code == 0 and "schema" not in second.stderr  # migrated once


# -- journals written by every earlier schema version ------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
# The versions that have a committed fixture (make_fixtures.py writes one per schema).
FIXTURE_VERSIONS = sorted(int(p.stem.removeprefix("schema")) for p in FIXTURES.glob("schema*.db"))
TABLES = ["client", "interaction", "impression", "fact", "follow_up"]


def all_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}
    finally:
        conn.close()


# Columns added since m001, with what rows written before them hold: m003's author on
# entries; m007's dates and met on clients.
ADDED_LATER = {"client": ("", None)}


def as_before(after: list[tuple], before: list[tuple], table: str = "") -> bool:
    """The same rows with the same content; columns added since hold their defaults."""
    if len(after) != len(before):
        return False
    later = ADDED_LATER.get(table, ("",))
    for new, old in zip(after, before, strict=True):
        added = new[len(old) :]
        if new[: len(old)] != old or added != later[len(later) - len(added) :]:
            return False
    return True


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_every_old_journal_migrates_keeping_every_row(run, tmp_path, version):
    journal = tmp_path / "journal.db"
    shutil.copy(FIXTURES / f"schema{version}.db", journal)
    journal.chmod(0o600)
    before = all_rows(journal)
    assert sum(map(len, before.values())) >= 10  # the fixture is not empty
    result = run("--db", str(journal), "check")
    assert result.exit_code == 0, result.output
    assert schema_version(journal) == migrations.SCHEMA_VERSION
    after = all_rows(journal)
    assert all(as_before(after[table], before[table], table) for table in TABLES)
    # Searching works on rows that were there before the search index existed.
    hits = run("--db", str(journal), "search", "segeln", "--json")
    assert '"Kurzes Telefonat über **Segeln** und Größe"' in hits.stdout
    if version < migrations.SCHEMA_VERSION:
        assert (tmp_path / f"journal.db.schema{version}.bak").exists()
    conn = sqlite3.connect(journal)
    dump = list(conn.iterdump())
    conn.close()
    assert run("--db", str(journal), "clients").exit_code == 0
    conn = sqlite3.connect(journal)
    assert list(conn.iterdump()) == dump  # a second open changes nothing
    conn.close()


def test_log_migrates_an_old_journal_before_writing(run, tmp_path):
    journal = tmp_path / "journal.db"
    shutil.copy(FIXTURES / "schema1.db", journal)
    journal.chmod(0o644)  # readable by others: warned about once, though opened twice
    before = all_rows(journal)
    name = before["client"][0][2]
    result = run("--db", str(journal), "log", name, "Ein Anruf nach dem Update", "--kind", "call")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("can be read by other users") == 1
    assert (tmp_path / "journal.db.schema1.bak").exists()
    after = all_rows(journal)
    assert as_before(after["interaction"][: len(before["interaction"])], before["interaction"])
    assert len(after["interaction"]) == len(before["interaction"]) + 1
    hits = run("--db", str(journal), "search", "Update", "--json")
    assert "Ein Anruf nach dem **Update**" in hits.stdout


def test_the_fixture_script_still_writes_what_is_committed(tmp_path):
    from fixtures.make_fixtures import build

    for version in FIXTURE_VERSIONS:
        fresh = tmp_path / f"schema{version}.db"
        build(version, fresh)
        assert all_rows(fresh) == all_rows(FIXTURES / f"schema{version}.db")


def old_journal_with_many_rows(journal: Path) -> None:
    make_schema_1(journal)
    conn = sqlite3.connect(journal)
    conn.executemany(
        "INSERT INTO interaction (uuid, client_id, at, kind, note, tags, created_at) "
        "VALUES (?, 1, '2025-01-02', 'note', ?, '', '2025-01-02')",
        ((f"{n:08x}-0000-4000-8000-000000000001", f"note {n} about sailing and segeln")
         for n in range(300_000)),
    )  # fmt: skip
    conn.commit()
    conn.close()
    journal.chmod(0o600)


def kill_mid_migration(journal: Path, delay: float) -> int:
    """Start a command that migrates `journal`, kill it `delay` s after its pages reach the
    write-ahead log, and return its status."""
    wal = Path(f"{journal}-wal")
    process = subprocess.Popen(
        [sys.executable, "-m", "rapport", "--db", str(journal), "clients"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    # The migration is under way once its pages reach the write-ahead log: it is one
    # transaction, so they are not committed until every row is migrated.
    deadline = time.monotonic() + 60
    while not (wal.exists() and wal.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    process.kill()
    process.wait(timeout=60)
    return process.returncode


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_kill_9_during_a_migration_leaves_the_old_version_usable(tmp_path, trial):
    journal = tmp_path / "journal.db"
    for attempt in range(5):
        old_journal_with_many_rows(journal)
        # A little further into the migration each trial; closer in again after a miss.
        code = kill_mid_migration(journal, 0.05 * trial / (attempt + 1))
        conn = sqlite3.connect(journal)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM interaction").fetchone()[0] == 300_001
        conn.close()
        # All or nothing: the old version whole, or (killed after the commit) the new one.
        assert version in (1, migrations.SCHEMA_VERSION)
        if version == 1 and code == -signal.SIGKILL:
            break  # provably killed before the commit
        for made in tmp_path.iterdir():
            made.unlink()
    else:
        pytest.fail("no kill landed inside the migration in 5 attempts")
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "--db", str(journal), "check"], capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert schema_version(journal) == migrations.SCHEMA_VERSION


@pytest.mark.parametrize("live_wal", [False, True], ids=["closed", "open elsewhere"])
def test_an_old_journal_gets_rapports_mark_keeping_every_row(run, tmp_path, live_wal):
    journal = tmp_path / "journal.db"
    shutil.copy(FIXTURES / "schema3.db", journal)
    journal.chmod(0o600)
    assert journal.read_bytes()[68:72] == bytes(4)  # made before the mark
    before = all_rows(journal)
    holder = sqlite3.connect(journal, isolation_level=None)
    if live_wal:  # another process has it open: the header alone does not tell
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM client").fetchone()
    try:
        result = run("--db", str(journal), "clients")
        assert result.exit_code == 0, result.output
        assert "from schema 3 to" in result.stderr
    finally:
        holder.close()
    after = all_rows(journal)
    assert all(as_before(after[table], before[table], table) for table in TABLES)
    conn = sqlite3.connect(journal)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
    conn.close()
    assert journal.read_bytes()[68:72] == b"RAPP"  # checkpointed: in the header itself
    backup = tmp_path / "journal.db.schema3.bak"
    assert backup.read_bytes()[68:72] == bytes(4)  # the file as it was
    assert all_rows(backup) == before
    assert schema_version(journal) == migrations.SCHEMA_VERSION


def test_birthday_facts_from_vcard_imports_become_birthdays(run, tmp_path):
    journal = tmp_path / "journal.db"
    shutil.copy(FIXTURES / "schema6.db", journal)
    journal.chmod(0o600)
    conn = sqlite3.connect(journal)
    conn.executemany(
        "INSERT INTO fact (uuid, client_id, at, topic, text, created_at, author) "
        "VALUES (?, ?, '2025-05-01 00:00:00.000000', 'birthday', ?, '2025-05-01', '')",
        [("5b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e60", 1, "Birthday: 14 March 1970"),
         ("5b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e61", 1, "Her birthday is in May, ask"),
         ("5b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e62", 2, "Birthday: 29 February"),
         ("5b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e63", 2, "Birthday: 3 March")],
    )  # fmt: skip
    conn.commit()
    conn.close()
    assert run("--db", str(journal), "check").exit_code == 0
    conn = sqlite3.connect(journal)
    dates = dict(conn.execute("SELECT id, dates FROM client WHERE id IN (1, 2)").fetchall())
    facts = [text for (text,) in conn.execute(
        "SELECT text FROM fact WHERE topic = 'birthday' ORDER BY text")]  # fmt: skip
    conn.close()
    assert dates == {1: "birthday: 1970-03-14", 2: "birthday: --02-29"}
    # What is not a date, and a second birthday that disagrees, stay facts: nothing is lost.
    assert facts == ["Birthday: 3 March", "Her birthday is in May, ask"]
