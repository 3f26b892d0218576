"""A team journal on PostgreSQL: what only a server run can show.

The rest of the suite runs here too when RAPPORT_TEST_DATABASE_URL is set (see conftest);
these tests cover the server's own side: its migrations, moving a journal between the two
engines, the password that must never show, and erasure. Without a server they skip.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import (
    SERVER,
    ServerJournal,
    _server_connection,
    rapport_process,
    rows,
    server_journal,
    snapshot,
)
from rapport.store import Database, migrations, open_journal
from rapport.store.postgres import redact
from test_export_import import build, exported, imported, journals

pytestmark = pytest.mark.postgres_only


@contextlib.contextmanager
def another_user(journal: ServerJournal, name: str, privileges: str) -> Iterator[str]:
    """A login role with `privileges` on the journal's tables; yields its URL."""
    role = f"{name}_{journal.schema}"
    with _server_connection(SERVER) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT USAGE ON SCHEMA {journal.schema} TO {role}")
        conn.execute(f"GRANT {privileges} ON ALL TABLES IN SCHEMA {journal.schema} TO {role}")
    try:
        yield re.sub(r"://([^@/]*@)?", f"://{role}@", journal.url, count=1)
    finally:
        with _server_connection(SERVER) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    user, _, host = rest.rpartition("@")
    return f"{scheme}://{user.partition(':')[0]}:{password}@{host}"


# -- migrations ---------------------------------------------------------------------------


def test_every_migration_is_recorded(run, journal):
    # tests/test_models.py holds the SQLModel classes to the migrated tables, here as on SQLite.
    assert run("add", "A").exit_code == 0
    names = [name for (name,) in rows(journal, "SELECT name FROM _migrations ORDER BY name")]
    assert names == [m.__name__ for m in migrations.MIGRATIONS]


def test_a_second_open_changes_nothing(run, journal):
    assert run("add", "A").exit_code == 0
    before = snapshot(journal)
    assert run("clients").exit_code == 0
    assert run("check").exit_code == 0
    assert snapshot(journal) == before


def test_an_old_schema_is_migrated_with_every_row(run, journal):
    """A journal from before authorship (m003), as an earlier rapport left it on the server."""
    assert run("add", "Brandt").exit_code == 0
    assert run("log", "brandt", "before authorship").exit_code == 0
    later = [m.__name__ for m in migrations.MIGRATIONS[2:]]  # m005 only replaces the index
    with _server_connection(SERVER, journal.schema) as conn:
        conn.execute("DELETE FROM _migrations WHERE name = ANY(%s)", (later,))
        for table in ("interaction", "impression", "fact", "follow_up"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN author")
        conn.execute("DROP INDEX interaction_kind_at")  # m006's
        conn.execute("DROP TABLE interaction_client")  # m007's
        conn.execute("ALTER TABLE client DROP COLUMN dates, DROP COLUMN met")
    result = run("show", "brandt")
    assert result.exit_code == 0, result.output
    assert "updating" in result.stderr
    assert f"from schema 2 to {migrations.SCHEMA_VERSION}" in result.stderr
    assert rows(journal, "SELECT note, author FROM interaction") == [("before authorship", "")]
    assert rows(journal, "SELECT count(*) FROM _migrations") == [(migrations.SCHEMA_VERSION,)]
    assert "before authorship" in run("search", "authorship").stdout


def test_an_update_stays_when_the_command_after_it_fails(run, journal):
    """The update runs in a transaction of its own, as on SQLite: a write that then fails
    (no such client) does not take the new schema back with it, to announce it again."""
    assert run("add", "Brandt").exit_code == 0
    with _server_connection(SERVER, journal.schema) as conn:
        conn.execute("DELETE FROM _migrations WHERE name = 'm006_interaction_kind'")
        conn.execute("DROP INDEX interaction_kind_at")
    failed = run("log", "nobody", "a note")
    assert failed.exit_code == 2 and "updating" in failed.stderr
    again = run("show", "brandt")
    assert again.exit_code == 0 and "updating" not in again.stderr
    assert rows(journal, "SELECT count(*) FROM _migrations") == [(migrations.SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused_and_left_unchanged(run, journal):
    assert run("add", "A").exit_code == 0
    with _server_connection(SERVER, journal.schema) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('m999_future', now())")
    before = snapshot(journal)
    for args in (("log", "a", "hello"), ("clients",), ("show", "a")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        newer = migrations.SCHEMA_VERSION + 1
        assert f"was written by a newer rapport (schema {newer};" in result.stderr
    assert snapshot(journal) == before


# -- moving a journal between the engines --------------------------------------------------


def test_sqlite_to_postgres_and_back_is_byte_identical(journal, tmp_path):
    """The way a user joins a team: export the file, import it on the server, and back."""
    laptop, back_home = tmp_path / "laptop.db", tmp_path / "back.db"
    assert rapport_process("demo", str(laptop)).returncode == 0
    first = rapport_process("--db", str(laptop), "export").stdout
    moved = rapport_process("--db", str(journal), "import", "-", input=first)
    assert moved.returncode == 0, moved.stderr
    assert rapport_process("--db", str(journal), "export").stdout == first
    piped = subprocess.run(
        f"{sys.executable} -m rapport --db '{journal}' export | "
        f"{sys.executable} -m rapport --db '{back_home}' import -",
        shell=True, capture_output=True, check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert rapport_process("--db", str(back_home), "export").stdout == first
    for fmt in ("csv", "markdown"):
        on_server = rapport_process("--db", str(journal), "export", "--format", fmt).stdout
        assert on_server == rapport_process("--db", str(laptop), "export", "-f", fmt).stdout


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(journal_spec=journals())
def test_any_journal_survives_the_move_to_the_server(journal_spec):
    people, entries = journal_spec
    with tempfile.TemporaryDirectory() as folder, server_journal() as server:
        source, target = Database(Path(folder, "a.db")), open_journal(server.url)
        build(source, people, entries)
        first = exported(source, "jsonl")
        report = imported(target, first)
        assert exported(target, "jsonl") == first
        again = imported(target, first)
        assert again.new == 0 and again.unchanged == report.new


QUERIES = ["sail", "sails", "SAILING", "harbour OR leipzig", '"first weeks"', "dau*", "lunch",
           "pressure NOT cheat", "(harbour OR kiel) AND lunch", "eye level", "segeln", "müller",
           "muller", "zuruck", "e-mail", "vogel", "example", "14159", '"k brandt"', "share",
           "team", "müll*", "büro*", '"zurück ins"*', "srv"]  # fmt: skip


def test_search_finds_the_same_on_both_engines(journal, tmp_path):
    laptop = tmp_path / "laptop.db"
    assert rapport_process("demo", str(laptop)).returncode == 0
    sample = rapport_process("--db", str(laptop), "export").stdout
    extra = (
        '{"type":"interaction","uuid":"7d3f0c6e-5b1a-4c59-9d07-0e3f5e6a7b81",'
        '"client_uuid":"%s","client_name":"x","at":"2026-01-02T10:00:00+00:00",'
        '"kind":"note","note":"Segeln mit Frau Müller, zurück ins Büro. Mail '
        'k.brandt@brandt-vogel.example, https://x.example/team, /srv/share, 3.14159"}\n'
    )
    owner = json.loads(sample.splitlines()[1])["uuid"]
    sample += (extra % owner).encode()
    for target in (laptop, journal):
        done = rapport_process("--db", str(target), "import", "-", input=sample)
        assert done.returncode == 0, done.stderr
    for query in QUERIES:
        found = [
            sorted(hit["uuid"] for hit in json.loads(rapport_process(
                "--db", str(where), "search", query, "--json").stdout))
            for where in (laptop, journal)
        ]  # fmt: skip
        assert found[0] == found[1], query
        assert found[0] or query in ("e-mail",), query


# -- the password --------------------------------------------------------------------------


def test_a_password_in_the_url_never_shows(run, journal):
    secret = "s3cret-Pa55"
    url = with_password(journal.url, secret)
    assert redact(url) == with_password(journal.url, "***")
    outputs = [
        run("--db", url, *args)
        for args in (("add", "Anna"), ("log", "anna", "hello"), ("show", "anna"), ("db", "path"),
                     ("db", "info"), ("check",), ("show", "nobody"), ("backup", "x.db"))
    ]  # fmt: skip
    assert [r.exit_code for r in outputs] == [0, 0, 0, 0, 0, 0, 2, 2]
    unreachable = with_password(journal.url.replace("/test?", "/no_such_database?"), secret)
    failed = run("--db", unreachable, "clients")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("rapport: cannot reach the journal postgresql")
    assert "no_such_database" in failed.stderr and len(failed.stderr.splitlines()) == 1
    outputs.append(failed)
    for result in outputs:
        assert secret not in result.output


def test_a_user_who_may_only_read_gets_one_line_and_changes_nothing(run, journal):
    assert run("add", "Anna").exit_code == 0
    with another_user(journal, "reader", "SELECT") as as_reader:
        before = snapshot(journal)
        assert run("--db", as_reader, "show", "anna").exit_code == 0
        result = run("--db", as_reader, "log", "anna", "hello")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"rapport: the journal {as_reader} may not be written")
        assert len(result.stderr.splitlines()) == 1
        assert snapshot(journal) == before


# -- erasure -------------------------------------------------------------------------------


def test_forget_removes_every_row_and_rewrites_the_tables(run, journal):
    assert run("add", "Jürgen Vogel", "--company", "Vogel Werbung").exit_code == 0
    assert run("log", "vogel", "Talked about his daughter's sailing regatta").exit_code == 0
    assert run("impression", "vogel", "Curt and guarded", "--first").exit_code == 0
    assert run("add", "Anna").exit_code == 0
    files = "SELECT pg_relation_filenode('interaction'), pg_relation_filenode('interaction_search')"
    before = rows(journal, files)
    result = run("forget", "vogel", "--yes")
    assert result.exit_code == 0, result.output
    assert "rewritten without them (VACUUM FULL)" in result.stderr
    assert "no trace" not in result.stderr  # the server's WAL and dumps are out of reach
    for table in ("interaction", "impression", "follow_up", "fact"):
        assert rows(journal, f"SELECT count(*) FROM {table}") == [(0,)]
    assert rows(journal, "SELECT name FROM client") == [("Anna",)]
    assert run("search", "regatta").stdout == "Nothing found for 'regatta'.\n"
    after = rows(journal, files)
    assert all(a != b for a, b in zip(after[0], before[0], strict=True))  # VACUUM FULL ran


def test_check_and_info_on_the_server(run, journal):
    assert run("add", "A").exit_code == 0
    checked = run("check")
    assert checked.exit_code == 0
    assert checked.stdout.splitlines() == [
        "integrity:    ok", "foreign keys: ok", "search index: ok",
        f"schema:       version {migrations.SCHEMA_VERSION}", "ok",
    ]  # fmt: skip
    info = run("db", "info")
    assert info.stdout.startswith(
        f"path:     {journal.url}\nschema:   version {migrations.SCHEMA_VERSION}\n"
    )
    assert info.stdout.endswith("backups:  the server's own (pg_dump); rapport keeps none\n")
    with _server_connection(SERVER, journal.schema) as conn:
        conn.execute("DROP INDEX fact_search")
    assert run("check").exit_code == 1


# -- sharing one server --------------------------------------------------------------------


def test_readers_do_not_wait_for_a_writer(run, journal):
    from test_concurrency import hold_lock

    assert run("add", "Anna").exit_code == 0
    with hold_lock(journal):
        for args in (("clients",), ("show", "anna"), ("due",), ("stats",), ("search", "x")):
            done = rapport_process(*args, env={"RAPPORT_BUSY_TIMEOUT": "1000"})
            assert done.returncode == 0, (args, done.stderr)


def test_a_schema_name_that_needs_quoting(run):
    with _server_connection(SERVER) as conn:
        conn.execute('CREATE SCHEMA "Team-A"')
    try:
        url = ServerJournal(SERVER, "%22Team-A%22").url
        assert run("--db", url, "add", "Anna").exit_code == 0
        assert run("--db", url, "check").stdout.endswith("\nok\n")
        info = run("--db", url, "db", "info")
        assert info.exit_code == 0 and "rows:     1 client," in info.stdout
    finally:
        with _server_connection(SERVER) as conn:
            conn.execute('DROP SCHEMA "Team-A" CASCADE')


def test_a_missing_schema_is_named_as_such(run):
    url = ServerJournal(SERVER, "no_such_schema").url
    for args in (("clients",), ("show", "anna"), ("add", "Anna")):
        result = run("--db", url, *args)
        assert result.exit_code == 1, result.output
        assert "names in its search_path does not exist on the server" in result.stderr


@contextlib.contextmanager
def another_database() -> Iterator[str]:
    """A new database on the server, without the unaccent extension that conftest installs."""
    database = f"rapport_{uuid.uuid4().hex[:12]}"
    with _server_connection(SERVER) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    scheme, rest = SERVER.split("://", 1)
    try:
        yield f"{scheme}://" + re.sub(r"/[^/?]*(\?|$)", f"/{database}\\1", rest, count=1)
    finally:
        with _server_connection(SERVER) as conn:
            conn.execute(f"DROP DATABASE {database} WITH (FORCE)")


def test_journals_in_one_database_keep_their_search_when_another_goes(run):
    """The unaccent extension goes to public, not into whichever journal came first."""
    with another_database() as base:
        with _server_connection(base) as conn:
            conn.execute("CREATE SCHEMA team_a")
            conn.execute("CREATE SCHEMA team_b")
        first, second = ServerJournal(base, "team_a").url, ServerJournal(base, "team_b").url
        for url in (first, second):
            assert (
                run("--db", url, "log", "Anna Müller", "Café am Hafen", "--create").exit_code == 0
            )
        with _server_connection(base) as conn:
            conn.execute("DROP SCHEMA team_a CASCADE")
        found = run("--db", second, "search", "cafe")
        assert found.exit_code == 0 and "Anna Müller" in found.stdout
        assert run("--db", second, "check").stdout.endswith(
            f"search index: ok\nschema:       version {migrations.SCHEMA_VERSION}\nok\n"
        )


def test_check_warns_when_unaccent_lives_in_another_journal(run):
    with another_database() as base:
        with _server_connection(base) as conn:
            conn.execute("CREATE SCHEMA team_a")
            conn.execute("CREATE SCHEMA team_b")
            conn.execute("CREATE EXTENSION unaccent SCHEMA team_a")  # as an older rapport did
        for schema in ("team_a", "team_b"):
            url = ServerJournal(base, schema).url
            assert run("--db", url, "add", "Anna").exit_code == 0
        checked = run("--db", ServerJournal(base, "team_b").url, "check")
        assert checked.exit_code == 0
        assert "search index: ok, but its unaccent lives in the journal team_a" in checked.stdout


def test_forget_by_a_user_who_may_not_rewrite_the_tables_says_so(run, journal):
    assert run("add", "Jürgen Vogel").exit_code == 0
    assert run("log", "vogel", "regatta").exit_code == 0
    with another_user(journal, "member", "ALL") as as_member:
        result = run("--db", as_member, "forget", "vogel", "--yes")
        assert result.exit_code == 0, result.output
        assert "traces remain in rapport's tables on the server for now (only the owner" in (
            result.stderr
        )
        assert "file" not in result.stderr.split("Backups")[0]  # a server holds no file
        assert rows(journal, "SELECT count(*) FROM interaction") == [(0,)]
        assert run("db", "compact").exit_code == 0  # the owner can
