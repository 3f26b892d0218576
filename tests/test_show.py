"""`rapport show`: the briefing before a meeting."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from conftest import rapport_process

COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")


@pytest.fixture
def story(run):
    """A short version of the demo's story, with fixed dates."""
    steps = [
        (
            "add",
            "Konrad Brandt",
            "--company",
            "Brandt & Vogel",
            "--role",
            "Managing director",
            "--every",
            "21d",
            "--tag",
            "agency",
        ),
        (
            "log",
            "brandt",
            "First meeting; he checked his phone all the time",
            "--kind",
            "meeting",
            "--at",
            "2025-03-04 10:00",
            "--mood",
            "-1",
        ),
        (
            "impression",
            "brandt",
            "Restless, out to take advantage",
            "--score",
            "-2",
            "--at",
            "2025-03-04 18:00",
        ),
        (
            "log",
            "brandt",
            "Lunch; he sails every summer",
            "--kind",
            "lunch",
            "--at",
            "2025-08-01 12:00",
            "--follow-up",
            "Send the media plan",
            "--due",
            "2025-08-15",
        ),
        (
            "fact",
            "brandt",
            "Sails a folkboat out of Kiel",
            "--topic",
            "hobby",
            "--at",
            "2025-08-01 15:00",
        ),
        (
            "fact",
            "brandt",
            "Daughter starts university in Leipzig",
            "--topic",
            "family",
            "--at",
            "2025-09-10 15:00",
        ),
        (
            "impression",
            "brandt",
            "A partner on eye level",
            "--score",
            "2",
            "--at",
            "2025-10-01 18:00",
        ),
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def test_briefing_has_every_part(run, story):
    result = run("show", "brandt")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Konrad Brandt  Managing director, Brandt & Vogel")
    days = (date.today() - date(2025, 8, 1)).days
    assert f"Last contact {days} days ago, lunch (2025-08-01) · 2 contacts" in out
    assert f"overdue by {days - 21} days" in out
    assert "First impression" in out and "Restless, out to take advantage" in out
    assert "Latest impression" in out and "A partner on eye level" in out
    assert "Score -2 → +2: the first impression deceived; you see them 4 points better" in out
    # Talking points newest first, follow-ups with overdue mark.
    assert out.index("Daughter starts university") < out.index("Sails a folkboat")
    assert "2025-08-15 overdue  Send the media plan" in out
    # Timeline newest first: impression, fact, fact, lunch, impression, meeting.
    timeline = out[out.index("Timeline, newest first") :]
    order = [
        "A partner on eye level",
        "Daughter starts",
        "Sails a folkboat",
        "Lunch; he sails",
        "Restless, out",
        "First meeting",
    ]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)


def test_plain_text_when_piped_and_with_no_color(run, story):
    assert "\x1b[" not in run("show", "brandt").stdout
    coloured = run("show", "brandt", env={"FORCE_COLOR": "1"}).stdout
    assert COLOUR.search(coloured)  # the check below can fail
    forced = run("show", "brandt", env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    assert not COLOUR.search(forced)  # bold may stay; colour goes


def test_limit_and_hidden_count(run, story):
    out = run("show", "brandt", "--limit", "2").stdout
    assert "A partner on eye level" in out and "Daughter starts" in out
    assert "Lunch; he sails" not in out.split("Timeline")[1]
    assert "… 4 earlier; --limit 0 shows all" in out
    everything = run("show", "brandt", "--limit", "0").stdout
    assert "First meeting" in everything and "earlier" not in everything


def test_since_filters_the_timeline(run, story):
    out = run("show", "brandt", "--since", "2025-09-01").stdout
    timeline = out[out.index("Timeline") :]
    assert "A partner on eye level" in timeline
    assert "Lunch; he sails" not in timeline


def test_negative_limit_is_bad_input(run, story):
    result = run("show", "brandt", "--limit", "-1")
    assert result.exit_code == 2
    assert "--limit" in result.stderr


def test_every_timeline_entry_shows_its_short_id(run, story):
    timeline = json.loads(run("show", "brandt", "--json", "--limit", "0").stdout)["timeline"]
    shown = run("show", "brandt", "--limit", "0").stdout.split("Timeline, newest first")[1]
    assert len(timeline) > 3
    for entry in timeline:
        assert entry["uuid"][:8] in shown, entry


def test_json_briefing(run, story):
    result = run("show", "brandt", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "client",
        "first_impression",
        "latest_impression",
        "facts",
        "follow_ups",
        "timeline",
    }
    client = data["client"]
    assert client["type"] == "client"
    assert client["name"] == "Konrad Brandt"
    assert client["tags"] == ["agency"]
    assert client["cadence_days"] == 21
    assert client["interaction_count"] == 2
    assert client["last_contact"] == "2025-08-01T10:00:00+00:00"
    assert data["first_impression"]["score"] == -2
    assert data["first_impression"]["stage"] == "first"
    assert data["latest_impression"]["text"] == "A partner on eye level"
    assert [f["topic"] for f in data["facts"]] == ["family", "hobby"]
    (todo,) = data["follow_ups"]
    assert todo["type"] == "follow-up" and todo["due"] == "2025-08-15"
    assert todo["interaction_uuid"] == next(
        e["uuid"] for e in data["timeline"] if e.get("note", "").startswith("Lunch")
    )
    assert [e["type"] for e in data["timeline"]] == [
        "impression",
        "fact",
        "fact",
        "interaction",
        "impression",
        "interaction",
    ]
    meeting = data["timeline"][-1]
    assert meeting == {
        "type": "interaction",
        "uuid": meeting["uuid"],
        "client_uuid": client["uuid"],
        "client_name": "Konrad Brandt",
        "at": "2025-03-04T09:00:00+00:00",
        "kind": "meeting",
        "note": "First meeting; he checked his phone all the time",
        "mood": -1,
        "tags": [],
        "author": "Tester",
        "created_at": meeting["created_at"],
        "with_clients": [],
    }


def test_show_a_client_with_nothing_yet(run):
    assert run("add", "Tomás Ortega").exit_code == 0
    result = run("show", "tomas")
    assert result.exit_code == 0, result.output
    assert "Never contacted" in result.stdout
    assert "not recorded yet" in result.stdout
    assert "nothing recorded yet" in result.stdout


def test_ambiguous_client_lists_candidates(run):
    run("add", "Anna Brauer")
    run("add", "Anna Berg")
    result = run("show", "anna")
    assert result.exit_code == 2
    assert re.search(
        r"matches 2 clients: Anna Berg \[[0-9a-f]{8}\]; Anna Brauer \[[0-9a-f]{8}\]; name one by",
        result.stderr,
    )


def test_times_are_shown_in_local_time(run):
    run("add", "X")
    run("log", "x", "late call", "--at", "2025-06-30T23:30:00+00:00")
    # 23:30 UTC is already July 1st in Berlin (UTC+2 in summer).
    assert "2025-07-01" in run("show", "x").stdout
    utc = rapport_process("show", "x", env={"TZ": "UTC"})
    assert b"2025-06-30" in utc.stdout


def test_due_in_the_future_is_not_overdue(run):
    run("add", "X")
    soon = (date.today() + timedelta(days=3)).isoformat()
    run("log", "x", "call", "--follow-up", "send offer", "--due", soon)
    out = run("show", "x").stdout
    assert f"{soon} in 3 days  send offer" in out
    assert "overdue" not in out


def test_json_has_the_whole_timeline_unless_limited(run):
    run("add", "X")
    for day in range(1, 16):
        run("log", "x", f"note {day}", "--at", f"2025-01-{day:02d} 10:00")
    assert len(json.loads(run("show", "x", "--json").stdout)["timeline"]) == 15
    assert len(json.loads(run("show", "x", "--json", "-n", "3").stdout)["timeline"]) == 3
    assert "… 5 earlier" in run("show", "x").stdout


def test_since_after_everything_says_nothing_since(run, story):
    out = run("show", "brandt", "--since", "2099-01-01").stdout
    assert "nothing since 2099-01-01" in out
    assert "nothing recorded yet" not in out


def test_a_planned_contact_is_not_the_last_contact(run):
    run("add", "X")
    run("log", "x", "past call", "--at", "2025-01-01 10:00", "--kind", "call")
    run("log", "x", "planned lunch", "--at", "in 5 days", "--future", "--kind", "lunch")
    out = run("show", "x").stdout
    assert "Last contact" in out and ", call (2025-01-01)" in out
    assert json.loads(run("clients", "--json").stdout)[0]["last_kind"] == "call"
