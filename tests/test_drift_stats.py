"""`rapport drift` and `rapport stats`, and their --svg / --html pictures."""

from __future__ import annotations

import html
import json
import re
import stat

import pytest


@pytest.fixture
def story(run):
    for step in [
        ("add", "Konrad Brandt"),
        ("add", "Jana Müller"),
        ("add", "Sophie Laurent"),
        ("add", "Tomás Ortega"),
        ("impression", "brandt", "Restless, out to take advantage", "--score", "-2",
         "--at", "2025-01-01"),
        ("impression", "brandt", "Keeps his word", "--score", "1", "--at", "2025-06-01"),
        ("impression", "brandt", "A partner on eye level", "--score", "2", "--at", "2025-09-01"),
        ("impression", "muller", "A natural ally", "--score", "2", "--at", "2025-01-01"),
        ("impression", "muller", "Promises more than she can keep", "--score", "0",
         "--at", "2025-05-01"),
        ("impression", "laurent", "Calm", "--score", "1", "--at", "2025-01-01"),
        ("impression", "laurent", "Still calm", "--score", "1", "--at", "2025-03-01"),
        ("impression", "ortega", "Only one", "--score", "1"),
        ("log", "brandt", "a", "--kind", "lunch", "--at", "2025-01-01"),
        ("log", "brandt", "b", "--kind", "lunch", "--at", "2025-01-11"),
        ("log", "muller", "c", "--kind", "call", "--at", "2025-01-01"),
    ]:  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def test_drift_json(run, story):
    data = json.loads(run("drift", "--json").stdout)
    assert [(c["client_name"], c["change"]) for c in data["clients"]] == [
        ("Konrad Brandt", 4), ("Jana Müller", -2), ("Sophie Laurent", 0)
    ]  # fmt: skip
    assert data["clients"][0]["first"]["text"] == "Restless, out to take advantage"
    assert data["clients"][0]["latest"]["text"] == "A partner on eye level"
    assert (data["deceived"], data["scored"]) == (2, 3)


def test_drift_view(run, story):
    out = run("drift").stdout
    assert out.index("Konrad Brandt") < out.index("Jana Müller") < out.index("Sophie Laurent")
    assert "▲ +4" in out and "▼ -2" in out
    assert "For 2 of 3 clients the first impression was off by two points or more." in out
    assert "Tomás Ortega" not in out  # one impression is no drift


def test_drift_on_an_empty_journal(run):
    assert "No client has two impressions yet" in run("drift").stdout


def test_stats(run, story):
    data = json.loads(run("stats", "--json").stdout)
    assert data["clients"] == 4 and data["interactions"] == 3 and data["impressions"] == 8
    assert data["kinds"] == [
        {"kind": "lunch", "interactions": 2}, {"kind": "call", "interactions": 1}
    ]  # fmt: skip
    assert data["most_contacted"][0] | {"client_uuid": None} == {
        "client_uuid": None,
        "client_name": "Konrad Brandt",
        "company": None,
        "interactions": 2,
    }
    assert data["least_contacted"][0]["interactions"] == 0
    assert data["average_gap_days"] == 10.0
    assert len(data["months"]) == 12
    out = run("stats").stdout
    assert "Contacts per month" in out and "Most contacted" in out and "█" in out


def test_stats_tells_apart_two_clients_of_one_name(run):
    for step in [
        ("add", "Anna Schmidt", "--company", "Alpha"),
        ("add", "Anna Schmidt", "--company", "Beta"),
        ("log", "alpha", "a", "--at", "2025-01-01"),
        ("log", "alpha", "b", "--at", "2025-01-02"),
        ("log", "beta", "c", "--at", "2025-01-01"),
    ]:  # fmt: skip
        assert run(*step).exit_code == 0, step
    data = json.loads(run("stats", "--json").stdout)
    assert data["clients"] == 2 and data["interactions"] == 3
    most = data["most_contacted"]
    assert [(c["client_name"], c["company"], c["interactions"]) for c in most] == [
        ("Anna Schmidt", "Alpha", 2), ("Anna Schmidt", "Beta", 1)
    ]  # fmt: skip
    assert len({c["client_uuid"] for c in most}) == 2
    out = run("stats").stdout
    assert "2 clients · 3 contacts" in out and "average 1 day between" in out
    assert "Anna Schmidt (Alpha)" in out and "Anna Schmidt (Beta)" in out


def test_sparklines_in_show_and_clients(run, story):
    assert "▁▆█" in run("show", "brandt").stdout
    assert "▁▆█" in run("clients").stdout
    listed = {c["name"]: c["scores"] for c in json.loads(run("clients", "--json").stdout)}
    assert listed["Jana Müller"] == [2, 0]


@pytest.mark.parametrize("command", [("show", "brandt"), ("drift",), ("stats",)])
def test_svg_and_html_save_what_is_shown(run, story, tmp_path, command):
    svg, html_file = tmp_path / "view.svg", tmp_path / "view.html"
    result = run(*command, "--svg", str(svg), "--html", str(html_file))
    assert result.exit_code == 0, result.output
    picture, page = svg.read_text(), html_file.read_text()
    assert picture.lstrip().startswith("<svg") and page.lstrip().startswith("<!DOCTYPE html>")
    # The page holds the very lines the terminal got, in order.
    shown = [line.rstrip() for line in result.stdout.splitlines() if line.strip()]
    saved = html.unescape(re.sub(r"<[^>]+>", "", page.split("<pre", 1)[1].split(">", 1)[1]))
    assert [line.rstrip() for line in saved.splitlines() if line.strip()][: len(shown)] == shown
    # The picture holds every word (Rich writes one text element per styled run).
    drawn = html.unescape(" ".join(re.findall(r">([^<]*)</text>", picture))).replace("\xa0", " ")
    for word in {word for line in shown for word in line.split() if word.isalpha()}:
        assert word in drawn, word
    assert stat.S_IMODE(svg.stat().st_mode) == 0o600
    assert f"Saved {svg}" in result.stderr


def test_an_unscored_note_does_not_hide_the_drift(run, story):
    assert run("impression", "brandt", "Tired today").exit_code == 0
    data = json.loads(run("drift", "--json").stdout)
    assert data["clients"][0]["client_name"] == "Konrad Brandt"
    assert data["clients"][0]["change"] == 4
    assert "the first impression deceived" in run("show", "brandt").stdout


def test_sparkline_from_two_scores_in_show(run, story):
    assert "Scores over time █▄" in run("show", "muller").stdout


def test_pictures_are_checked_before_anything_is_printed(run, story, tmp_path):
    result = run("drift", "--svg", str(tmp_path))
    assert result.exit_code == 2 and result.stdout == ""
    assert "is a directory" in result.stderr
    result = run("drift", "--json", "--svg", str(tmp_path / "x.svg"))
    assert result.exit_code == 2 and "leave out --json" in result.stderr


def test_an_existing_picture_file_becomes_private(run, story, tmp_path):
    old = tmp_path / "old.svg"
    old.write_text("x")
    old.chmod(0o644)
    assert run("stats", "--svg", str(old)).exit_code == 0
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_stats_of_an_empty_or_missing_journal(run, journal):
    result = run("stats")
    assert result.exit_code == 0 and not journal.exists()
    assert "0 clients · 0 contacts" in result.stdout
    run("add", "Solo")
    out = run("stats").stdout
    assert "1 client · 0 contacts" in out
    assert "Most contacted" not in out and "Kinds" not in out
