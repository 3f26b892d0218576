"""Who wrote what: every entry records its author, shown once more than one person writes."""

from __future__ import annotations

import getpass
import json

import pytest

from conftest import rows, snapshot


def test_the_author_comes_from_the_option_then_the_environment_then_the_login(
    run, journal, monkeypatch
):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("--author", "Anna Berg", "log", "brandt", "Pitch").exit_code == 0
    assert run("log", "brandt", "Call").exit_code == 0  # RAPPORT_AUTHOR=Tester (conftest)
    monkeypatch.delenv("RAPPORT_AUTHOR")
    assert run("log", "brandt", "Lunch").exit_code == 0
    assert rows(journal, "SELECT note, author FROM interaction ORDER BY id") == [
        ("Pitch", "Anna Berg"), ("Call", "Tester"), ("Lunch", getpass.getuser()),
    ]  # fmt: skip


def test_every_kind_of_entry_records_its_author(run, journal):
    assert run("add", "Konrad Brandt").exit_code == 0
    steps = [
        ("log", "brandt", "Pitch", "--follow-up", "Send the plan"),
        ("impression", "brandt", "Gruff", "--first", "--score", "-1"),
        ("fact", "brandt", "Sails a folkboat", "--topic", "hobby"),
        ("todo", "brandt", "Ask about Lena"),
    ]
    for step in steps:
        assert run("--author", "Jonas Weiß", *step).exit_code == 0, step
    for table in ("interaction", "impression", "fact", "follow_up"):
        assert set(rows(journal, f"SELECT author FROM {table}")) == {("Jonas Weiß",)}, table


def test_the_timeline_names_authors_only_when_there_are_several(run):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("--author", "Anna Berg", "log", "brandt", "Pitch at the agency").exit_code == 0
    alone = run("show", "brandt").stdout
    assert "Anna Berg" not in alone
    assert run("--author", "Jonas Weiß", "log", "brandt", "Lunch at the harbour").exit_code == 0
    shared = run("show", "brandt").stdout
    pitch = next(line for line in shared.splitlines() if "Pitch at the agency" in line)
    lunch = next(line for line in shared.splitlines() if "Lunch at the harbour" in line)
    assert "Anna Berg" in pitch and "Jonas Weiß" in lunch


def test_authors_travel_through_export_and_import(run, journal, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("--author", "Anna Berg", "log", "brandt", "Pitch").exit_code == 0
    dump = run("export").stdout
    meeting = json.loads(dump.splitlines()[2])
    assert meeting["author"] == "Anna Berg"
    other = tmp_path / "other.db"
    imported = run("--db", str(other), "--author", "Someone Else", "import", "-", input=dump)
    assert imported.exit_code == 0, imported.output
    assert rows(other, "SELECT author FROM interaction") == [("Anna Berg",)]
    assert run("--db", str(other), "export").stdout == dump


def test_an_export_from_before_authorship_imports_unattributed(run, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("log", "brandt", "Pitch").exit_code == 0
    lines = run("export").stdout.splitlines()
    older = []
    for line in lines:
        record = json.loads(line)
        record.pop("author", None)
        older.append(json.dumps(record))
    other = tmp_path / "other.db"
    result = run("--db", str(other), "import", "-", input="\n".join(older) + "\n")
    assert result.exit_code == 0, result.output
    assert rows(other, "SELECT author FROM interaction") == [("",)]


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_author_is_not_given_whichever_way_it_comes(run, journal, monkeypatch, blank):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("--author", blank, "log", "brandt", "Option").exit_code == 0  # → $RAPPORT_AUTHOR
    monkeypatch.setenv("RAPPORT_AUTHOR", blank)
    assert run("log", "brandt", "Environment").exit_code == 0  # → the login name
    assert run("--author", blank, "log", "brandt", "Both").exit_code == 0
    login = getpass.getuser()
    assert rows(journal, "SELECT note, author FROM interaction ORDER BY id") == [
        ("Option", "Tester"), ("Environment", login), ("Both", login),
    ]  # fmt: skip


def test_an_author_is_one_line_of_at_most_200_characters(run, journal, monkeypatch):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("--author", "  Anna \n Berg ", "log", "brandt", "Pitch").exit_code == 0
    assert run("--author", "A" * 200, "log", "brandt", "Call").exit_code == 0
    assert rows(journal, "SELECT author FROM interaction ORDER BY id") == [
        ("Anna Berg",),
        ("A" * 200,),
    ]
    before = snapshot(journal)
    for bad in ("Eve\x1b[31m", "Eve\x07", "Eve\u202e", "A" * 201):
        monkeypatch.setenv("RAPPORT_AUTHOR", bad)
        result = run("todo", "brandt", "Send the plan")
        assert result.exit_code == 2, bad
        assert result.stderr.startswith("rapport: the author ($RAPPORT_AUTHOR) ")
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert snapshot(journal) == before
