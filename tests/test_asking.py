"""The first impression is asked for, and dates that recur come up in `due` (issue 14).

Questions are tested at a real pty (`run_in_terminal`); scripts, whose stdin is no terminal,
are never asked.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import (
    ServerJournal,
    rapport_process,
    rows,
    run_in_terminal,
    snapshot,
    write_behind,
)

FIRST_QUESTION = "First impression of Jana Müller (Enter skips): "
SCORE_QUESTION = "Score, -2 to +2 (Enter skips): "


def impressions(journal: Path | ServerJournal) -> list[tuple]:
    return rows(journal, "SELECT c.name, m.stage, m.text, m.score FROM impression m "
                "JOIN client c ON c.id = m.client_id ORDER BY m.id")  # fmt: skip


def ok(result) -> None:
    assert result.exit_code == 0, result.output


# -- add asks ---------------------------------------------------------------------------------


def test_add_at_a_terminal_asks_for_the_first_impression_and_its_score(journal):
    code, output = run_in_terminal(["add", "Jana Müller"], b"Distant, checks her phone\n-1\n", {})
    assert code == 0, output
    assert FIRST_QUESTION in output and SCORE_QUESTION in output
    assert impressions(journal) == [("Jana Müller", "first", "Distant, checks her phone", -1)]
    # written with the client, at the same moment, by the same author
    (created, at, author), = rows(journal, "SELECT c.created_at, m.at, m.author FROM client c "
                                  "JOIN impression m ON m.client_id = c.id")  # fmt: skip
    assert abs(datetime.fromisoformat(at) - datetime.fromisoformat(created)) < timedelta(minutes=1)
    assert author == "Tester"


def test_enter_skips_the_first_impression_and_asks_no_score(journal):
    code, output = run_in_terminal(["add", "Jana Müller"], b"\n", {})
    assert code == 0, output
    assert FIRST_QUESTION in output and SCORE_QUESTION not in output
    assert impressions(journal) == []
    assert rows(journal, "SELECT name FROM client") == [("Jana Müller",)]


def test_enter_skips_the_score(journal):
    code, output = run_in_terminal(["add", "Jana Müller"], b"Warm\n\n", {})
    assert code == 0, output
    assert impressions(journal) == [("Jana Müller", "first", "Warm", None)]


def test_a_bad_score_is_asked_again(journal):
    code, output = run_in_terminal(["add", "Jana Müller"], b"Warm\n5\nsoso\n+2\n", {})
    assert code == 0, output
    assert "'5' is not a score: -2, -1, 0, +1 or +2 (Enter skips)" in output
    assert "'soso' is not a score" in output
    assert output.count(SCORE_QUESTION) == 3
    assert impressions(journal) == [("Jana Müller", "first", "Warm", 2)]


def test_add_with_an_impression_at_a_terminal_asks_only_its_score(journal):
    args = ["add", "Jana Müller", "--impression", "Restless"]
    code, output = run_in_terminal(args, b"-2\n", {})
    assert code == 0, output
    assert FIRST_QUESTION not in output and SCORE_QUESTION in output
    assert impressions(journal) == [("Jana Müller", "first", "Restless", -2)]


def test_a_duplicate_fails_before_anything_is_asked(run, journal):
    ok(run("add", "Jana Müller", "--impression", "Warm"))
    before = snapshot(journal)
    code, output = run_in_terminal(["add", "jana muller"], b"never read\n", {})
    assert code == 2, output
    assert "First impression" not in output and "already in the journal" in output
    assert snapshot(journal) == before


def test_add_in_a_script_is_never_asked(journal):
    done = rapport_process("add", "Jana Müller", input=b"Warm\n1\n")
    assert done.returncode == 0, done.stderr
    assert b"First impression" not in done.stderr
    assert impressions(journal) == []


def test_add_takes_the_impression_and_score_as_options(run, journal):
    ok(run("add", "Jana Müller", "--company", "Müller PR", "--impression", " Distant ",
           "--score", "-1"))  # fmt: skip
    assert impressions(journal) == [("Jana Müller", "first", "Distant", -1)]
    ok(run("add", "Tomás Ortega", "--impression", "Cheerful"))
    assert impressions(journal)[-1] == ("Tomás Ortega", "first", "Cheerful", None)
    shown = json.loads(run("show", "jana", "--json").stdout)
    assert shown["first_impression"]["text"] == "Distant"


RANGE = "rapport: --score must be between -2 and +2, not "
ALONE = "rapport: --score needs --impression TEXT: it scores the first impression"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--score", "3", "--impression", "x"], RANGE + "3"),
        (["--score", "-3", "--impression", "x"], RANGE + "-3"),
        (["--score", "1"], ALONE),
        (["--impression", ""], "rapport: empty impression; nothing written"),
        (["--impression", "   "], "rapport: empty impression; nothing written"),
    ],
)  # fmt: skip
def test_bad_first_impression_options(run, journal, args, message):
    ok(run("add", "Anna Berg"))
    before = snapshot(journal)
    result = run("add", "Jana Müller", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message]
    assert snapshot(journal) == before


def test_a_bad_option_fails_before_anything_is_asked(journal):
    code, output = run_in_terminal(["add", "Jana Müller", "--score", "1"], b"x\n", {})
    assert code == 2 and "First impression" not in output
    assert snapshot(journal) == []


# -- log asks when it creates the client -------------------------------------------------------


def test_log_asks_for_the_first_impression_of_the_client_it_adds(run, journal):
    ok(run("add", "Konrad Brandt", "--impression", "Restless"))
    code, output = run_in_terminal(["log", "Jana Müller", "Met at a fair"], b"y\nWarm\n1\n", {})
    assert code == 0, output
    assert "Add 'Jana Müller' as a new client? [y/N]" in output and FIRST_QUESTION in output
    assert impressions(journal)[-1] == ("Jana Müller", "first", "Warm", 1)
    assert rows(journal, "SELECT note FROM interaction") == [("Met at a fair",)]


def test_log_create_at_a_terminal_asks_too(journal):
    code, output = run_in_terminal(["log", "Jana Müller", "Call", "--create"], b"Brisk\n\n", {})
    assert code == 0, output
    assert "[y/N]" not in output and FIRST_QUESTION in output
    assert impressions(journal) == [("Jana Müller", "first", "Brisk", None)]


def test_log_create_asks_nothing_of_a_client_already_there(run, journal):
    ok(run("add", "Jana Müller"))
    code, output = run_in_terminal(["log", "jana", "Call", "--create"], b"\n\n", {})
    assert code == 0, output
    assert "First impression" not in output and impressions(journal) == []


def test_log_create_in_a_script_is_never_asked(journal):
    done = rapport_process("log", "Jana Müller", "Call", "--create", input=b"")
    assert done.returncode == 0, done.stderr
    assert b"First impression" not in done.stderr
    assert rows(journal, "SELECT name FROM client") == [("Jana Müller",)]
    assert impressions(journal) == []


def test_declining_the_new_client_asks_nothing_more(run, journal):
    ok(run("add", "Konrad Brandt"))
    before = snapshot(journal)
    code, output = run_in_terminal(["log", "Jana Müller", "Met at a fair"], b"n\nWarm\n", {})
    assert code == 2 and "First impression" not in output
    assert snapshot(journal) == before


# -- impression asks for its score ------------------------------------------------------------


def test_impression_without_a_score_asks_for_one(run, journal):
    ok(run("add", "Jana Müller", "--impression", "Distant", "--score", "-1"))
    code, output = run_in_terminal(["impression", "jana", "Warmer over lunch"], b"1\n", {})
    assert code == 0, output
    assert SCORE_QUESTION in output
    assert impressions(journal)[-1] == ("Jana Müller", "later", "Warmer over lunch", 1)
    code, output = run_in_terminal(["impression", "jana", "A quick note"], b"\n", {})
    assert code == 0, output
    assert impressions(journal)[-1] == ("Jana Müller", "later", "A quick note", None)


def test_impression_with_a_score_or_in_a_script_asks_nothing(run, journal):
    ok(run("add", "Jana Müller", "--impression", "Distant"))
    code, output = run_in_terminal(["impression", "jana", "Warmer", "--score", "2"], b"\n", {})
    assert code == 0 and SCORE_QUESTION not in output
    done = rapport_process("impression", "jana", "Piped", input=b"1\n")
    assert done.returncode == 0, done.stderr
    assert b"Score" not in done.stderr
    assert impressions(journal)[-2:] == [
        ("Jana Müller", "later", "Warmer", 2), ("Jana Müller", "later", "Piped", None)
    ]  # fmt: skip


def test_impression_of_nobody_fails_before_the_question(run, journal):
    ok(run("add", "Jana Müller"))
    before = snapshot(journal)
    code, output = run_in_terminal(["impression", "nobody", "Warm"], b"1\n", {})
    assert code == 2 and SCORE_QUESTION not in output
    assert snapshot(journal) == before


# -- due: no first impression yet -------------------------------------------------------------


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def test_due_lists_recent_contacts_without_a_first_impression(run, journal):
    for step in [
        ("add", "Jana Müller"),
        ("log", "jana", "Call", "--kind", "call", "--at", day(-3)),
        ("add", "Konrad Brandt", "--impression", "Restless"),  # has one
        ("log", "brandt", "Lunch", "--at", day(-1)),
        ("add", "Tomás Ortega"),  # contacted too long ago
        ("log", "ortega", "Fair", "--at", day(-91)),
        ("add", "Anna Berg"),  # never contacted: its own section
        ("add", "Eva Roth"),  # archived
        ("log", "roth", "Call", "--at", day(-2)),
        ("add", "Ole Lund"),
        ("log", "lund", "Mail", "--kind", "email", "--at", day(-90)),
    ]:
        ok(run(*step))
    write_behind(journal, "UPDATE client SET archived = TRUE WHERE name = ?", "Eva Roth")
    data = json.loads(run("due", "--json").stdout)
    assert [c["name"] for c in data["no_first_impression"]] == ["Jana Müller", "Ole Lund"]
    assert data["no_first_impression"][0]["last_kind"] == "call"
    assert set(data["no_first_impression"][0]) == set(data["never_contacted"][0])
    out = run("due").stdout
    assert "No first impression yet\n" in out
    assert "Jana Müller  last contact 3 days ago, call" in out
    assert "Ole Lund     last contact 90 days ago, email" in out
    assert "Ortega" not in out.split("No first impression yet")[1]


def test_due_json_of_an_empty_journal_has_the_new_keys(run):
    data = json.loads(run("due", "--json").stdout)
    assert data["no_first_impression"] == [] and data["dates"] == []


# -- due: dates that recur --------------------------------------------------------------------


def spoken(when: date) -> str:
    return f"{when.day} {when:%B}"


def test_due_lists_the_dates_coming_up(run, journal):
    today = date.today()
    soon, tomorrow = today + timedelta(days=5), today + timedelta(days=1)
    later = today + timedelta(days=20)
    for name in ["Konrad Brandt", "Jana Müller", "Anna Berg", "Eva Roth"]:
        ok(run("add", name, "--impression", "Fine"))
    dated = {
        "Konrad Brandt": f"birthday: 1968-{soon:%m-%d}",
        "Jana Müller": f"birthday: --{tomorrow:%m-%d}\nwork anniversary: 2012-{today:%m-%d}",
        "Anna Berg": f"founded: --{later:%m-%d}",  # beyond the horizon
        "Eva Roth": f"birthday: 1980-{today:%m-%d}",  # archived
    }
    for name, text in dated.items():
        write_behind(journal, "UPDATE client SET dates = ? WHERE name = ?", text, name)
    write_behind(journal, "UPDATE client SET archived = TRUE WHERE name = ?", "Eva Roth")

    data = json.loads(run("due", "--within", "7d", "--json").stdout)
    brandt, jana, _ = rows(journal, "SELECT uuid FROM client ORDER BY id")[:3]
    assert data["dates"] == [
        {"client_uuid": jana[0], "client_name": "Jana Müller", "label": "work anniversary",
         "date": f"2012-{today:%m-%d}", "next": today.isoformat(), "in_days": 0,
         "years": today.year - 2012},
        {"client_uuid": jana[0], "client_name": "Jana Müller", "label": "birthday",
         "date": f"--{tomorrow:%m-%d}", "next": tomorrow.isoformat(), "in_days": 1,
         "years": None},
        {"client_uuid": brandt[0], "client_name": "Konrad Brandt", "label": "birthday",
         "date": f"1968-{soon:%m-%d}", "next": soon.isoformat(), "in_days": 5,
         "years": soon.year - 1968},
    ]  # fmt: skip
    out = run("due", "--within", "7d").stdout
    assert "Coming up\n" in out
    lines = out.split("Coming up\n")[1].splitlines()
    assert lines == [
        f"  Jana Müller    work anniversary {spoken(today)}, today, {today.year - 2012} years",
        f"  Jana Müller    birthday {spoken(tomorrow)}, tomorrow",
        f"  Konrad Brandt  birthday {spoken(soon)}, in 5 days, turns {soon.year - 1968}",
    ]
    # the default horizon is today: only today's date
    data = json.loads(run("due", "--json").stdout)
    assert [(d["client_name"], d["label"]) for d in data["dates"]] == [
        ("Jana Müller", "work anniversary")
    ]


def test_29_february_comes_round_on_28_february_in_a_common_year(run, journal, monkeypatch):
    from rapport import dates

    monkeypatch.setattr(dates, "now", lambda: datetime(2027, 2, 25, 12, tzinfo=timezone.utc))
    ok(run("add", "Konrad Brandt", "--impression", "Restless"))
    write_behind(journal, "UPDATE client SET dates = ? WHERE name = ?",
            "birthday: 1980-02-29", "Konrad Brandt")  # fmt: skip
    data = json.loads(run("due", "--within", "5d", "--json").stdout)
    (item,) = data["dates"]
    assert (item["date"], item["next"], item["in_days"], item["years"]) == (
        "1980-02-29", "2027-02-28", 3, 47
    )  # fmt: skip
    out = run("due", "--within", "5d").stdout
    assert "Konrad Brandt  birthday 29 February (28 February in 2027), in 3 days, turns 47" in out


# -- drift says what it could not compare -----------------------------------------------------


def test_drift_says_how_many_it_could_not_compare_and_why(run, journal):
    for step in [
        ("add", "Konrad Brandt", "--impression", "Restless", "--score", "-2"),
        ("impression", "brandt", "Warm", "--score", "2"),  # compared
        ("add", "Jana Müller", "--impression", "Distant"),  # first unscored
        ("impression", "jana", "Kind", "--score", "1"),
        ("add", "Tomás Ortega", "--impression", "Cheerful"),  # nothing later
        ("add", "Anna Berg"),  # no first impression
        ("add", "Ole Lund"),
        ("add", "Eva Roth"),  # archived: not counted
    ]:
        ok(run(*step))
    write_behind(journal, "UPDATE client SET archived = TRUE WHERE name = ?", "Eva Roth")
    data = json.loads(run("drift", "--json").stdout)
    assert data["not_compared"] == {"no_first": 2, "no_later": 1, "unscored": 1}
    out = run("drift").stdout
    line = "Not compared: 2 without a first impression, 1 without a later one, 1 unscored\n"
    assert line in out


def test_drift_names_only_the_reasons_there_are(run):
    ok(run("add", "Tomás Ortega", "--impression", "Cheerful"))
    out = run("drift").stdout
    assert "Not compared: 1 without a later one\n" in out


def test_drift_without_anyone_left_out_says_nothing_of_it(run):
    ok(run("add", "Konrad Brandt", "--impression", "Restless", "--score", "-2"))
    ok(run("impression", "brandt", "Warm", "--score", "2"))
    assert "Not compared" not in run("drift").stdout
    data = json.loads(run("drift", "--json").stdout)
    assert data["not_compared"] == {"no_first": 0, "no_later": 0, "unscored": 0}
