"""`rapport add`: a client with contact details, tags and a keep-in-touch cadence."""

from __future__ import annotations

import pytest

from conftest import rows, snapshot


def test_add_with_every_option(run, journal):
    result = run(
        "add",
        "Konrad Brandt",
        "--company",
        "Brandt & Vogel",
        "--role",
        "CEO",
        "--email",
        "k@example.com",
        "--phone",
        "+49 40 1",
        "--tag",
        "Agency",
        "-t",
        "key",
        "--every",
        "3w",
    )
    assert result.exit_code == 0, result.output
    assert "Added Konrad Brandt (Brandt & Vogel)" in result.stderr
    assert rows(
        journal,
        "SELECT name, company, role, email, phone, tags, cadence_days, archived FROM client",
    ) == [
        ("Konrad Brandt", "Brandt & Vogel", "CEO", "k@example.com", "+49 40 1", "agency,key", 21, 0)
    ]
    (uuid, created) = rows(journal, "SELECT uuid, created_at FROM client")[0]
    assert len(uuid) == 36 and created


@pytest.mark.parametrize(
    ("every", "days"), [("30d", 30), ("2w", 14), ("3m", 90), ("1y", 365), ("10", 10)]
)
def test_cadence_units(run, journal, every, days):
    assert run("add", "A", "--every", every).exit_code == 0
    assert rows(journal, "SELECT cadence_days FROM client") == [(days,)]


@pytest.mark.parametrize("every", ["0d", "often", "-3d", "3x"])
def test_bad_cadence_writes_nothing(run, journal, every):
    result = run("add", "A", "--every", every)
    assert result.exit_code == 2
    assert "cannot read the cadence" in result.stderr
    assert snapshot(journal) == []


def test_same_person_twice_is_refused(run, journal):
    assert run("add", "Jana Müller", "--company", "Nordlicht").exit_code == 0
    before = snapshot(journal)
    result = run("add", "jana mueller", "--company", "nordlicht")
    assert result.exit_code == 2
    (uuid,) = rows(journal, "SELECT uuid FROM client")[0]
    assert f"Jana Müller (Nordlicht) [{uuid[:8]}] is already in the journal" in result.stderr
    assert snapshot(journal) == before


def test_same_name_at_another_company_is_allowed(run, journal):
    assert run("add", "Jana Müller", "--company", "Nordlicht").exit_code == 0
    assert run("add", "Jana Müller", "--company", "Südwind").exit_code == 0
    assert len(rows(journal, "SELECT id FROM client")) == 2


def test_blank_name_refused(run, journal):
    result = run("add", "  ")
    assert result.exit_code == 2
    assert "empty client name" in result.stderr
