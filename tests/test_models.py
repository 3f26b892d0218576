"""rapport.models, the SQLModel classes for scripting, describe the schema the migrations make.

No command imports them (tests/test_startup.py); here they are held to a migrated journal,
column by column, and used as the README shows, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone

from sqlmodel import Session, SQLModel, create_engine, select

from conftest import SERVER, rows
from rapport.models import Client, FollowUp, Impression, Interaction

# What each Python type of a model's field is declared as by the migrations, per engine.
DECLARED = {
    "sqlite": {int: {"INTEGER"}, str: {"VARCHAR", "TEXT"}, bool: {"BOOLEAN"},
               datetime: {"DATETIME"}, date: {"DATE"}},
    "postgresql": {int: {"integer"}, str: {"text"}, bool: {"boolean"},
                   datetime: {"timestamp without time zone"}, date: {"date"}},
}  # fmt: skip


def migrated_columns(journal, table: str) -> dict[str, tuple[str, bool, bool]]:
    """name → (declared type, nullable, primary key) as the migrations made the table."""
    if SERVER:
        found = rows(
            journal,
            "SELECT c.column_name, c.data_type, c.is_nullable = 'YES', "
            "EXISTS (SELECT 1 FROM information_schema.key_column_usage k "
            "JOIN information_schema.table_constraints t USING (constraint_name, table_schema) "
            "WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema "
            "AND k.table_name = c.table_name AND k.column_name = c.column_name) "
            "FROM information_schema.columns c "
            f"WHERE c.table_schema = current_schema() AND c.table_name = '{table}'",
        )
        return {name: (kind, nullable, key) for name, kind, nullable, key in found}
    with sqlite3.connect(journal) as conn:
        found = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return {name: (kind, not notnull, bool(key)) for _, name, kind, notnull, _, key in found}


def engine_url(journal) -> str:
    return str(journal) if SERVER else f"sqlite:///{journal}"


def test_every_model_column_is_the_migrated_column(run, journal):
    assert run("add", "Anna").exit_code == 0  # the first write migrates
    dialect = "postgresql" if SERVER else "sqlite"
    tables = SQLModel.metadata.sorted_tables
    assert {t.name for t in tables} == {"client", "interaction", "impression", "fact",
                                        "follow_up", "interaction_client"}  # fmt: skip
    for table in tables:
        migrated = migrated_columns(journal, table.name)
        assert list(migrated) == [c.name for c in table.columns], table.name  # names, in order
        for column in table.columns:
            declared, nullable, key = migrated[column.name]
            python = getattr(column.type, "impl_instance", column.type).python_type  # UTCDateTime
            assert declared in DECLARED[dialect][python], (table.name, column.name)
            assert key == column.primary_key, (table.name, column.name)
            if not key:
                assert nullable == column.nullable, (table.name, column.name)


def test_a_script_reads_what_the_commands_wrote(run, journal):
    assert run("add", "Konrad Brandt", "--company", "Brandt & Vogel").exit_code == 0
    assert run("log", "konrad", "Lunch at the harbour", "--kind", "lunch",
               "--at", "2026-11-15 12:30", "--follow-up", "Send the plan",
               "--due", "2026-12-01").exit_code == 0  # fmt: skip
    assert run("impression", "konrad", "Restless", "--score", "-2").exit_code == 0
    # The README's example: the path `rapport db path` prints, or the server's URL.
    with Session(create_engine(engine_url(journal))) as session:
        client = session.exec(select(Client)).one()
        lunch = session.exec(select(Interaction)).one()
        first = session.exec(select(Impression)).one()
        todo = session.exec(select(FollowUp)).one()
    assert (client.name, client.company, client.archived) == ("Konrad Brandt", "Brandt & Vogel",
                                                               False)  # fmt: skip
    assert (lunch.kind, lunch.note, lunch.client_id) == ("lunch", "Lunch at the harbour", client.id)
    assert lunch.at.tzinfo == timezone.utc
    assert (first.stage, first.score) == ("first", -2)
    assert (todo.due, todo.done_at, todo.interaction_id) == (date(2026, 12, 1), None, lunch.id)


def test_a_script_writes_what_the_commands_read(run, journal):
    assert run("add", "Anna").exit_code == 0
    engine = create_engine(engine_url(journal))
    with Session(engine) as session:
        anna = session.exec(select(Client)).one()
        session.add(Interaction(client_id=anna.id, at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc),
                                kind="call", note="Asked about the boat"))  # fmt: skip
        session.commit()
    engine.dispose()
    shown = run("show", "anna", "--json")
    assert shown.exit_code == 0, shown.output
    assert "Asked about the boat" in shown.stdout
    assert run("search", "boat").stdout.count("Asked about the boat") == 1
