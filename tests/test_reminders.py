"""`due --exit-status`: a cron job, a systemd timer or a shell prompt asks whether anything
is due by the exit code alone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta


def test_nothing_due_exits_0(run, journal):
    assert run("due", "--exit-status").exit_code == 0  # no journal yet
    assert run("add", "Anna").exit_code == 0  # never contacted: a reminder, not due
    result = run("due", "--exit-status")
    assert result.exit_code == 0 and "Never contacted" in result.stdout


def test_a_follow_up_due_exits_1_with_the_report(run, journal):
    assert run("add", "Anna", "--impression", "Calm", "--score", "1").exit_code == 0
    assert run("todo", "anna", "Send the offer", "--due", "today").exit_code == 0
    result = run("due", "--exit-status")
    assert result.exit_code == 1 and "Send the offer" in result.stdout
    as_json = run("due", "--exit-status", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["follow_ups"][0]["text"] == "Send the offer"


def test_a_client_overdue_for_contact_exits_1(run, journal):
    assert run("add", "Anna", "--every", "7d", "--impression", "Calm").exit_code == 0
    assert run("log", "anna", "Call", "--at", "3 weeks ago").exit_code == 0
    assert run("due", "--exit-status").exit_code == 1


def test_a_birthday_within_the_horizon_exits_1(run, journal):
    soon = datetime.now().astimezone().date() + timedelta(days=3)
    assert run("add", "Anna", "--birthday", f"{soon:%m-%d}", "--impression", "x").exit_code == 0
    assert run("due", "--exit-status").exit_code == 0
    assert run("due", "--exit-status", "--within", "7d").exit_code == 1
