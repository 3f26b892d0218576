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
