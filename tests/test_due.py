"""`rapport due`, `todo` and `done`: what needs attention."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from conftest import rows, snapshot


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def story(run):
    for step in [
        ("add", "Konrad Brandt", "--every", "14d"),
        ("add", "Jana Müller", "--every", "30d"),
        ("add", "Tomás Ortega"),
        ("log", "brandt", "call", "--at", day(-20)),
        ("log", "muller", "lunch", "--at", day(-25)),
        ("todo", "brandt", "Send the media plan", "--due", day(-2)),
        ("todo", "muller", "Call about the budget", "--due", day(3)),
        ("todo", "muller", "Someday", "--due", day(30)),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def test_due_today(run, story):
    data = json.loads(run("due", "--json").stdout)
    assert [f["text"] for f in data["follow_ups"]] == ["Send the media plan"]
    assert data["follow_ups"][0]["overdue_days"] == 2
    assert [(c["name"], c["overdue_days"]) for c in data["clients"]] == [("Konrad Brandt", 6)]
    assert [c["name"] for c in data["never_contacted"]] == ["Tomás Ortega"]
    out = run("due").stdout
    assert "2d overdue" in out and "Konrad Brandt  6 days overdue" in out
    assert "Never contacted" in out and "Tomás Ortega" in out


def test_within_looks_ahead(run, story):
    data = json.loads(run("due", "--within", "7d", "--json").stdout)
    assert [f["text"] for f in data["follow_ups"]] == [
        "Send the media plan",
        "Call about the budget",
    ]
    assert [c["name"] for c in data["clients"]] == ["Konrad Brandt", "Jana Müller"]
    assert data["horizon"] == day(7)


def test_done_closes_a_follow_up(run, journal, story):
    uuid = json.loads(run("due", "--json").stdout)["follow_ups"][0]["uuid"]
    result = run("done", uuid[:8])
    assert result.exit_code == 0, result.output
    assert result.stderr == "Done: Send the media plan (Konrad Brandt)\n"
    assert json.loads(run("due", "--json").stdout)["follow_ups"] == []
    again = run("done", uuid[:8])
    assert again.exit_code == 2 and "was done on" in again.stderr


@pytest.mark.parametrize(
    ("entry_id", "message"),
    [
        ("zz", "is not an entry id"),
        ("ffffffff", "no follow-up has the id"),
        ("", "not an entry id"),
    ],
)
def test_done_with_a_bad_id(run, journal, story, entry_id, message):
    before = snapshot(journal)
    result = run("done", entry_id)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(journal) == before


def test_done_refuses_an_entry_that_is_not_a_follow_up(run, journal, story):
    (uuid,) = rows(journal, "SELECT uuid FROM interaction LIMIT 1")[0]
    result = run("done", uuid[:8])
    assert result.exit_code == 2 and "no follow-up has the id" in result.stderr


def test_todo_without_due_and_with_a_bad_date(run, journal, story):
    assert run("todo", "ortega", "Ask about spring").exit_code == 0
    assert ("Ask about spring", None) in rows(journal, "SELECT text, due FROM follow_up")
    before = snapshot(journal)
    result = run("todo", "ortega", "x", "--due", "someday maybe")
    assert result.exit_code == 2
    assert snapshot(journal) == before


def test_nothing_due(run):
    run("add", "A", "--impression", "Quiet")  # else due asks for the first impression
    run("log", "a", "hello")
    assert "Nothing due until" in run("due").stdout


@pytest.mark.parametrize("within", ["-3d", "abc", "1.5d", "99y"])
def test_within_must_be_a_period(run, story, within):
    result = run("due", "--within", within)
    assert result.exit_code == 2
    assert f"cannot read the --within {within!r}" in result.stderr


def test_within_zero_in_any_unit(run, story):
    assert run("due", "--within", "0w").exit_code == 0


def test_show_lists_follow_ups_with_their_ids(run, journal, story):
    (uuid,) = rows(journal, "SELECT uuid FROM follow_up WHERE text = 'Someday'")[0]
    assert uuid[:8] in run("show", "muller").stdout
