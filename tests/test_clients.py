"""`rapport clients`: everyone at a glance."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def three(run):
    for step in [
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--every", "21d", "-t", "agency"),
        ("add", "Jana Müller", "--company", "Nordlicht", "-t", "media"),
        ("add", "Tomás Ortega"),
        ("log", "brandt", "a", "--at", "2025-01-01 10:00", "--kind", "call"),
        ("log", "brandt", "b", "--at", "2025-02-01 10:00", "--kind", "lunch"),
        ("log", "muller", "c", "--at", "2025-03-01 10:00"),
        ("impression", "brandt", "restless", "--score", "-2"),
        ("impression", "brandt", "warm", "--score", "2"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def test_table(run, three):
    result = run("clients")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Jana Müller") < out.index("Konrad Brandt") < out.index("Tomás Ortega")
    brandt = next(line for line in out.splitlines() if "Konrad Brandt" in line)
    assert "lunch" in brandt and " 2 " in brandt and "-2 → +2" in brandt and "overdue" in brandt
    ortega = next(line for line in out.splitlines() if "Tomás Ortega" in line)
    assert "never" in ortega


def test_json(run, three):
    data = json.loads(run("clients", "--json").stdout)
    by_name = {row["name"]: row for row in data}
    brandt = by_name["Konrad Brandt"]
    assert brandt["interaction_count"] == 2
    assert brandt["last_contact"] == "2025-02-01T09:00:00+00:00"
    assert brandt["last_kind"] == "lunch"
    assert (brandt["first_score"], brandt["latest_score"]) == (-2, 2)
    assert brandt["overdue_days"] > 0
    assert by_name["Tomás Ortega"]["last_contact"] is None
    assert by_name["Tomás Ortega"]["overdue_days"] is None


def test_sort_and_tag(run, three):
    data = json.loads(run("clients", "--json", "--sort", "last").stdout)
    assert [row["name"] for row in data] == ["Jana Müller", "Konrad Brandt", "Tomás Ortega"]
    data = json.loads(run("clients", "--json", "--tag", "agency").stdout)
    assert [row["name"] for row in data] == ["Konrad Brandt"]


def test_bad_sort(run, three):
    result = run("clients", "--sort", "age")
    assert result.exit_code == 2
    assert "unknown sort 'age'" in result.stderr


def test_empty_journal(run):
    result = run("clients")
    assert result.exit_code == 0
    assert "No clients yet" in result.stderr
    assert run("clients", "--json").stdout == "[]\n"


def test_tag_filter_is_literal(run, three):
    assert run("clients", "--json", "--tag", "%").exit_code == 2  # not a tag at all
    assert json.loads(run("clients", "--json", "--tag", "_gency").stdout) == []
    assert len(json.loads(run("clients", "--json", "--tag", "AGENCY").stdout)) == 1


def test_archived_clients_are_not_called_no_clients(run, journal):
    """A journal whose clients are all archived is not empty, and says so."""
    archived = (
        '{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"Ann",'
        '"tags":["vip"],"archived":true}\n'
    )
    assert run("import", "-", input=archived).exit_code == 0
    result = run("clients")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "No clients to list; the journal holds 1 archived client, which is not listed.\n"
    )
    tagged = run("clients", "--tag", "vip")
    assert (
        tagged.stderr == "No client has the tag 'vip' but 1 archived client, which is not listed.\n"
    )
    assert run("clients", "--tag", "other").stderr == "No client has the tag 'other'.\n"
