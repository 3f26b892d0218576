"""`rapport impression` and `rapport fact`: how you see someone, and who they are."""

from __future__ import annotations

import pytest

from conftest import rows, snapshot


@pytest.fixture(autouse=True)
def brandt(run):
    assert run("add", "Konrad Brandt").exit_code == 0


def impressions(journal):
    return rows(journal, "SELECT stage, text, score FROM impression ORDER BY id")


def test_the_first_impression_recorded_is_first_then_later(run, journal):
    assert run("impression", "brandt", "Restless", "--score", "-2").exit_code == 0
    result = run("impression", "brandt", "Keeps his word", "-s", "2")
    assert result.exit_code == 0, result.output
    assert impressions(journal) == [("first", "Restless", -2), ("later", "Keeps his word", 2)]
    assert "Recorded a later impression of Konrad Brandt" in result.stderr


def test_explicit_first_when_none_exists(run, journal):
    assert run("impression", "brandt", "Warm", "--first").exit_code == 0
    assert impressions(journal) == [("first", "Warm", None)]


def test_second_first_is_refused_and_writes_nothing(run, journal):
    assert run("impression", "brandt", "Restless", "--score", "-2").exit_code == 0
    before = snapshot(journal)
    result = run("impression", "brandt", "Actually warm", "--first")
    assert result.exit_code == 2
    assert "already has a first impression" in result.stderr
    assert "--replace" in result.stderr
    assert snapshot(journal) == before


def test_replace_overwrites_the_first(run, journal):
    assert run("impression", "brandt", "Restless", "--score", "-2").exit_code == 0
    (uuid,) = rows(journal, "SELECT uuid FROM impression")[0]
    result = run("impression", "brandt", "Nervous", "--first", "--replace", "--score", "-1")
    assert result.exit_code == 0, result.output
    assert impressions(journal) == [("first", "Nervous", -1)]
    assert rows(journal, "SELECT uuid FROM impression") == [(uuid,)]


@pytest.mark.parametrize("score", ["3", "-3"])
def test_score_out_of_range(run, journal, score):
    before = snapshot(journal)
    result = run("impression", "brandt", "text", "--score", score)
    assert result.exit_code == 2
    assert "--score must be between -2 and +2" in result.stderr
    assert snapshot(journal) == before


def test_impression_at_a_past_date(run, journal):
    assert run("impression", "brandt", "Restless", "--at", "2025-03-04 18:00").exit_code == 0
    assert rows(journal, "SELECT at FROM impression") == [("2025-03-04 17:00:00.000000",)]


def test_fact_with_topic(run, journal):
    result = run("fact", "brandt", "Sails a folkboat", "--topic", "hobby")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT topic, text FROM fact") == [("hobby", "Sails a folkboat")]
    assert "Noted a hobby detail about Konrad Brandt" in result.stderr


def test_fact_default_topic_is_other(run, journal):
    result = run("fact", "brandt", "Drinks his coffee black")
    assert result.exit_code == 0
    assert rows(journal, "SELECT topic FROM fact") == [("other",)]
    assert "Noted an other detail" not in result.stderr
    assert "Noted a detail about Konrad Brandt" in result.stderr


def test_a_topic_with_a_vowel_takes_an(run, journal):
    result = run("fact", "brandt", "Collects old maps", "--topic", "interest")
    assert "Noted an interest detail about Konrad Brandt" in result.stderr


def test_fact_unknown_topic(run, journal):
    before = snapshot(journal)
    result = run("fact", "brandt", "x", "--topic", "gossip")
    assert result.exit_code == 2
    assert "unknown topic 'gossip'" in result.stderr
    assert snapshot(journal) == before


@pytest.mark.parametrize("command", ["impression", "fact"])
def test_empty_text_refused(run, journal, command):
    before = snapshot(journal)
    result = run(command, "brandt", "   ")
    assert result.exit_code == 2
    assert "empty" in result.stderr
    assert snapshot(journal) == before


def test_latest_is_the_newest_later_impression_even_if_dated_before_the_first(run, journal):
    assert run("impression", "brandt", "cold", "--score", "-2").exit_code == 0
    assert (
        run("impression", "brandt", "warmer", "--score", "1", "--at", "last month").exit_code == 0
    )
    out = run("show", "brandt").stdout
    assert "warmer" in out.split("Latest impression")[1]
    assert "Score -2 → +1" in out
    assert "-2 → +1" in run("clients").stdout


def test_replace_keeps_the_first_impressions_date(run, journal):
    assert run("impression", "brandt", "Restless", "--at", "2025-03-04 18:00").exit_code == 0
    assert run("impression", "brandt", "Nervous", "--first", "--replace").exit_code == 0
    assert rows(journal, "SELECT at, text FROM impression") == [
        ("2025-03-04 17:00:00.000000", "Nervous")
    ]


def test_replace_without_first_is_refused(run, journal):
    assert run("impression", "brandt", "Restless").exit_code == 0
    before = snapshot(journal)
    result = run("impression", "brandt", "Other", "--replace")
    assert result.exit_code == 2
    assert "--replace goes with --first" in result.stderr
    assert snapshot(journal) == before
