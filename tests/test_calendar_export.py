"""`export --format ics`: follow-ups, dates that recur and contacts due, for a calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar
import pytest

from conftest import snapshot


def today() -> date:
    return datetime.now().astimezone().date()


@pytest.fixture
def journal_with_reminders(run, journal):
    for step in (
        ("add", "Konrad Brandt", "--every", "7d", "--birthday", "1969-12-05",
         "--date", "founded:--03-15", "--impression", "x"),
        ("add", "Jana Müller", "--birthday", "02-29", "--impression", "y"),
        ("add", "Ole Hansen", "--every", "30d", "--impression", "z", "--birthday", "04-02"),
        ("log", "brandt", "Call", "--at", "10 days ago"),
        ("log", "ole", "Lunch", "--at", "27 days ago"),
        ("todo", "brandt", "Send the plan", "--due", "in 4 days"),
        ("todo", "jana", "Ask about the budget"),
        ("todo", "jana", "Old promise", "--due", "2026-01-05"),
        ("archive", "ole"),
    ):  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    done = run("todo", "jana", "Kept promise", "--due", "2026-01-06")
    assert run("done", done.stderr.split("[")[-1].split("]")[0]).exit_code == 0
    return journal


def components(run, *options: str) -> list:
    result = run("export", "--format", "ics", *options)
    assert result.exit_code == 0, result.output
    return icalendar.Calendar.from_ical(result.stdout).subcomponents


def by_summary(items: list) -> dict:
    return {str(item["summary"]): item for item in items}


def test_follow_ups_are_todos_with_a_morning_alarm(run, journal_with_reminders):
    todos = by_summary([c for c in components(run) if c.name == "VTODO"])
    plan = todos["Konrad Brandt: Send the plan"]
    assert plan["due"].dt == today() + timedelta(days=4)
    assert plan["status"] == "NEEDS-ACTION"
    (alarm,) = plan.subcomponents
    assert alarm["trigger"].dt == timedelta(hours=9) and alarm["trigger"].params["RELATED"] == "END"
    assert "due" not in todos["Jana Müller: Ask about the budget"]
    kept = todos["Jana Müller: Kept promise"]
    assert kept["status"] == "COMPLETED" and "completed" in kept and not kept.subcomponents


def test_dates_that_recur_are_yearly_events(run, journal_with_reminders):
    events = by_summary([c for c in components(run) if c.name == "VEVENT"])
    birthday = events["Konrad Brandt: birthday"]
    assert birthday["dtstart"].dt == date(1969, 12, 5)
    assert birthday["rrule"]["FREQ"] == ["YEARLY"]
    founded = events["Konrad Brandt: founded"]
    assert founded["dtstart"].dt == date(today().year, 3, 15)
    leap = events["Jana Müller: birthday"]
    assert (leap["rrule"]["BYMONTH"], leap["rrule"]["BYMONTHDAY"]) == ([2], [-1])
    assert "Ole Hansen: birthday" not in events  # archived


def test_the_next_contact_by_cadence_is_an_all_day_event(run, journal_with_reminders):
    events = by_summary([c for c in components(run) if c.name == "VEVENT"])
    due = events["Get in touch with Konrad Brandt (every 7 days)"]
    assert due["dtstart"].dt == today()  # overdue: today
    assert not any("Ole Hansen" in summary for summary in events)


def test_uids_stay_the_same_from_one_export_to_the_next(run, journal_with_reminders):
    first = sorted(str(c["uid"]) for c in components(run))
    assert first == sorted(str(c["uid"]) for c in components(run))
    assert len(set(first)) == len(first) == 8


def test_client_narrows_and_the_alarm_moves_or_goes(run, journal_with_reminders):
    jana = components(run, "--client", "jana", "--alarm", "7:30")
    assert {str(c["summary"]).split(":")[0] for c in jana} == {"Jana Müller"}
    leap = by_summary(jana)["Jana Müller: birthday"]
    assert leap.subcomponents[0]["trigger"].dt == timedelta(hours=7, minutes=30)
    silent = components(run, "--alarm", "none")
    assert not any(c.subcomponents for c in silent)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--alarm", "25:00"), "--alarm takes a time of day such as 09:00, or none"),
        (("--since", "2025-01-01"), "--format ics writes reminders; --since picks entries"),
        (("--tag", "x"), "--format ics writes reminders; --tag picks entries"),
        (("--client", "nobody"), "no client matches 'nobody'"),
    ],
)
def test_bad_options_write_nothing(run, journal_with_reminders, options, message):
    before = snapshot(journal_with_reminders)
    result = run("export", "--format", "ics", *options)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stdout == ""
    assert snapshot(journal_with_reminders) == before
