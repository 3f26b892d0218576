"""`rapport demo`: a sample journal in a file of its own."""

from __future__ import annotations

import json

import pytest

from conftest import rows


def test_demo_writes_its_own_file_and_tells_the_story(run, journal, tmp_path):
    result = run("demo")
    assert result.exit_code == 0, result.output
    demo_file = tmp_path / "data" / "rapport" / "demo.db"
    assert demo_file.exists()
    assert not journal.exists()  # the journal RAPPORT_DB names is untouched
    out = result.stdout
    assert out.startswith("Konrad Brandt  Managing director, Brandt & Vogel Werbeagentur")
    assert "Restless and hard to read" in out
    assert "the first impression deceived" in out
    assert "Daughter Lena" in out and "folkboat" in out
    assert f"export RAPPORT_DB={demo_file}" in result.stderr
    assert len(rows(demo_file, "SELECT id FROM client")) == 5
    assert rows(demo_file, "SELECT DISTINCT author FROM interaction") == [("Tester",)]


def test_demo_is_explorable_with_every_view(run, tmp_path):
    target = tmp_path / "sample.db"
    assert run("demo", str(target)).exit_code == 0
    listed = json.loads(run("--db", str(target), "clients", "--json").stdout)
    assert {row["name"] for row in listed} >= {"Konrad Brandt", "Jana Müller"}
    mueller = run("--db", str(target), "show", "MUELLER")
    assert mueller.exit_code == 0
    assert "the first impression was too kind" in mueller.stdout
    assert "overdue" in mueller.stdout


def test_demo_runs_again_on_its_default_file(run, tmp_path):
    assert run("demo").exit_code == 0
    assert run("demo").exit_code == 0
    demo_file = tmp_path / "data" / "rapport" / "demo.db"
    assert len(rows(demo_file, "SELECT id FROM client")) == 5


def test_demo_refuses_an_existing_file_without_force(run, tmp_path):
    target = tmp_path / "mine.db"
    target.write_text("precious")
    result = run("demo", str(target))
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert target.read_text() == "precious"
    assert run("demo", str(target), "--force").exit_code == 0


@pytest.mark.sqlite_only
def test_demo_never_writes_the_users_journal(run, journal):
    assert run("add", "My Client").exit_code == 0
    before = rows(journal, "SELECT name FROM client")
    result = run("demo", str(journal), "--force")
    assert result.exit_code == 2
    assert "is your journal" in result.stderr
    assert rows(journal, "SELECT name FROM client") == before
