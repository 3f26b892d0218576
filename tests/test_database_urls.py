"""--db and RAPPORT_DB: a file path, or a PostgreSQL URL whose password never shows.

None of these needs a server: an unreachable one is enough to see what an error prints.
"""

from __future__ import annotations

import pytest

from rapport.store.postgres import _translate, redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://anna@db/clients", "postgresql://anna@db/clients"),
        ("postgresql://anna:s3cret@db/clients", "postgresql://anna:***@db/clients"),
        # libpq reads the password up to the @: a # or ? in it is still the password
        ("postgresql://anna:S3c#ret?x@db:5432/clients", "postgresql://anna:***@db:5432/clients"),
        ("postgresql://anna:p%40ss@db/c?password=zz&sslmode=require",
         "postgresql://anna:***@db/c?password=***&sslmode=require"),
        ("postgresql://db/c?options=-csearch_path%3Dsales", "postgresql://db/c?options=-csearch_path%3Dsales"),
        # SQLAlchemy would read these differently from libpq: hide as much as either reads
        ("postgresql://anna:pa/S3cret@db/c", "postgresql://anna:***@db/c"),
        ("postgresql://anna:S3c@retPW@db/c", "postgresql://anna:***@db/c"),
        ("postgresql://db/c?pass%77ord=S3cret&sslpassword=x", "postgresql://db/c?pass%77ord=***&sslpassword=***"),
    ],
)  # fmt: skip
def test_the_password_is_redacted_as_libpq_reads_it(url, shown):
    assert redact(url) == shown


@pytest.mark.parametrize("password", ["s3cret-Pa55", "S3c#retPW", "we?ird:one", "p%40ss"])
def test_an_unreachable_server_is_one_line_without_the_password(run, password):
    url = f"postgresql+psycopg://anna:{password}@127.0.0.1:1/clients"
    for args in (("clients",), ("show", "anna"), ("log", "anna", "hello"), ("db", "info")):
        result = run("--db", url, *args)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(
            "rapport: cannot reach the journal postgresql+psycopg://anna:***@127.0.0.1:1/clients: "
        )
        assert len(result.stderr.splitlines()) == 1
        assert password not in result.output and "p@ss" not in result.output
    shown = run("--db", url, "db", "path")
    assert shown.stdout == "postgresql+psycopg://anna:***@127.0.0.1:1/clients\n"


def test_a_sqlite_url_is_a_file_and_other_databases_are_refused(run, tmp_path):
    target = tmp_path / "as-url.db"
    assert run("--db", f"sqlite:///{target}", "add", "A").exit_code == 0
    assert run("--db", str(target), "clients", "--json").stdout.count('"name": "A"') == 1
    refused = run("--db", "mysql://root@localhost/test", "clients")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "rapport: rapport keeps journals in SQLite files and on PostgreSQL, not mysql: give a "
        "file path or a postgresql://user@host/database URL\n"
    )


@pytest.mark.parametrize(
    "mistyped",
    ["postgresql:/anna:S3cret@127.0.0.1/clients", "postgresql//anna:S3cret@127.0.0.1/clients",
     " postgresql://anna:S3cret@127.0.0.1/clients", "postgres:anna:S3cret@db"],
)  # fmt: skip
def test_a_mistyped_url_is_refused_not_made_a_file(run, tmp_path, monkeypatch, mistyped):
    monkeypatch.chdir(tmp_path)
    result = run("--db", mistyped, "add", "X")
    assert result.exit_code == 2
    assert result.stderr == (
        "rapport: the journal given is almost a PostgreSQL URL, not quite: write "
        "postgresql://user@host/database, with nothing before it\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("sql", "psycopg"),
    [
        ("SELECT a FROM t WHERE a = ? AND b = :b", "SELECT a FROM t WHERE a = %s AND b = %(b)s"),
        ("SELECT '50%?', x::text, arr[1:2] FROM t", "SELECT '50%%?', x::text, arr[1:2] FROM t"),
        ('SELECT "odd?:col" -- a comment: :no ?\nFROM t /* :nor ? */ WHERE c = :c',
         'SELECT "odd?:col" -- a comment: :no ?\nFROM t /* :nor ? */ WHERE c = %(c)s'),
        ("SELECT $$ :no ? $$, 5 % 2", "SELECT $$ :no ? $$, 5 %% 2"),
    ],
)  # fmt: skip
def test_sqlite_parameters_become_psycopg_parameters(sql, psycopg):
    assert _translate(sql) == psycopg
