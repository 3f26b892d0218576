"""The schema comes from explicit, append-only migrations; the models must agree with it."""

from __future__ import annotations

import sqlite3

from sqlmodel import SQLModel

from rapport import migrations, models  # noqa: F401  (models registers the tables)
from rapport.db import Database, schema_version


def open_and_close(path):
    db = Database(path)
    assert db.engine is not None  # opening is lazy: the first use migrates
    db.close()


def columns(conn: sqlite3.Connection, table: str) -> dict[str, bool]:
    return {row[1]: bool(row[3]) for row in conn.execute(f"PRAGMA table_info({table})")}


def test_migrated_schema_matches_the_models(tmp_path):
    path = tmp_path / "j.db"
    open_and_close(path)
    conn = sqlite3.connect(path)
    try:
        for table in SQLModel.metadata.sorted_tables:
            actual = columns(conn, table.name)
            expected = {c.name: not c.nullable for c in table.columns if not c.primary_key}
            actual.pop("id")
            assert actual == expected, table.name
    finally:
        conn.close()


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
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at DATETIME)"
        )
        migrations.m001_initial(conn)
        conn.exec_driver_sql("INSERT INTO _migrations VALUES ('m001_initial', datetime('now'))")
        conn.exec_driver_sql("PRAGMA user_version = 1")
        conn.exec_driver_sql(
            "INSERT INTO client (uuid, name, tags, archived, created_at) "
            "VALUES ('0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f', 'Jana Müller', '', 0, '2025-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO interaction (uuid, client_id, at, kind, note, tags, created_at) VALUES "
            "('1b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f', 1, '2025-01-02', 'lunch', "
            "'Sie segelt gern', '', '2025-01-02')"
        )
    engine.dispose()


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
    assert conn.execute("SELECT * FROM interaction").fetchall() == rows_before
    # The new search index was filled from the rows that were already there.
    hits = conn.execute("SELECT rowid FROM search_index WHERE search_index MATCH 'segelt'")
    assert hits.fetchall() == [(4,)]
    conn.close()
    second = run("show", "muller")
    assert second.exit_code == 0 and "schema" not in second.stderr  # migrated once
