"""What `--help`, `--version` and the quick paths load: heavy things only when used."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["dateparser", "rapidfuzz", "sqlalchemy", "sqlmodel", "rich.table"]

PROBE = """
import json, sys
from rapport.cli import app
try:
    app(args=sys.argv[1:], prog_name="rapport")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["log", "--help"], ["show", "-h"]])
def test_help_and_version_load_nothing_heavy(args):
    assert loaded(*args) == []


def test_log_with_an_iso_date_skips_the_date_parser_and_fuzzy_matcher(journal):
    subprocess.run([sys.executable, "-m", "rapport", "add", "Konrad Brandt"], check=True)
    modules = loaded("log", "brandt", "note", "--at", "2025-01-01 10:00")
    assert "dateparser" not in modules
    assert "rapidfuzz" not in modules
    assert "rich.table" not in modules  # log prints one line; layout is for show


def test_the_probe_sees_modules_when_they_are_loaded(journal):
    # Natural language needs dateparser; a typo in a name needs rapidfuzz.
    subprocess.run([sys.executable, "-m", "rapport", "add", "Konrad Brandt"], check=True)
    assert "dateparser" in loaded("log", "brandt", "note", "--at", "yesterday")
    assert "rapidfuzz" in loaded("show", "Brant")


@pytest.mark.parametrize(
    "args",
    [
        [
            "log",
            "brandt",
            "a call",
            "--at",
            "2025-01-02 10:00",
            "--follow-up",
            "x",
            "--due",
            "2025-02-01",
        ],
        ["show", "Konrad Brandt"],
        ["show", "brandt", "--json"],
        ["search", "call"],
        ["export"],
        ["export", "--format", "csv", "--client", "brandt", "--since", "2020-01-01"],
    ],
)
def test_the_daily_commands_run_without_the_orm(journal, args):
    # Importing SQLAlchemy costs more than all else they do: see clients.py.
    subprocess.run([sys.executable, "-m", "rapport", "add", "Konrad Brandt"], check=True)
    subprocess.run([sys.executable, "-m", "rapport", "log", "brandt", "first call"], check=True)
    assert not {"sqlalchemy", "sqlmodel"} & set(loaded(*args))
