"""A command that fails writes nothing: not a row, and not even a new journal file."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ("add", "   "),
        ("add", "A", "--every", "often"),
        ("add", "A", "--tag", "two words"),
        ("log", "nobody", "hello"),
        ("log", "nobody", "hello", "--create", "--at", "garbage"),
        ("log", "nobody", "", "--create"),
        ("impression", "x", "y", "--at", "garbage"),
        ("impression", "x", "y"),
        ("fact", "x", "y", "--topic", "bogus"),
        ("fact", "x", "y"),
        ("show", "x"),
        ("show", "x", "--since", "garbage"),
        ("clients", "--sort", "bogus"),
    ],
)
def test_no_journal_file_appears(run, journal, args):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1
    assert not journal.exists()
    if isinstance(journal, Path):
        assert not journal.parent.joinpath("journal.db-wal").exists()


def test_reading_a_missing_journal_says_how_to_start(run, journal):
    result = run("show", "brandt")
    assert result.exit_code == 2
    assert "there is no journal at" in result.stderr
    assert "rapport add NAME" in result.stderr and "rapport demo" in result.stderr


def test_listing_a_missing_journal_is_empty_and_creates_nothing(run, journal):
    result = run("clients", "--json")
    assert result.exit_code == 0
    assert result.stdout == "[]\n"
    assert not journal.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("show", "brandt", "--limit", "99999999999999999999"),
        ("add", "Q", "--every", "99999999999999999999d"),
        ("log", "brandt", "x", "--at", "0001-01-01"),
        ("log", "brandt", "x", "--at", "99"),
        ("log", "brandt", "x", "--at", "5"),
    ],
)
def test_extreme_values_are_bad_input_not_crashes(run, args):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "unexpected" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
