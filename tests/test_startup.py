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
    # Natural language needs dateparser, a day word alone does not; a typo in a name needs
    # rapidfuzz.
    subprocess.run([sys.executable, "-m", "rapport", "add", "Konrad Brandt"], check=True)
    assert "dateparser" in loaded("log", "brandt", "note", "--at", "3 days ago")
    assert "dateparser" not in loaded("log", "brandt", "note", "--at", "yesterday")
    assert "dateparser" not in loaded("todo", "brandt", "call back", "--due", "Freitag")
    assert "rapidfuzz" in loaded("show", "Brant")


def short_ids(journal_export: str) -> dict[str, str]:
    """The short id of the first record of each type in a jsonl export."""
    found: dict[str, str] = {}
    for line in journal_export.splitlines():
        record = json.loads(line)
        found.setdefault(record["type"], record.get("uuid", "")[:8])
    return found


def rapport(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "rapport", *args], capture_output=True,
                          text=True, check=True, timeout=60)  # fmt: skip
    return done.stdout


def test_no_command_imports_the_orm(journal, tmp_path):
    """Importing SQLAlchemy costs more than all else a command does: the commands run plain
    SQL through rapport.store, and rapport.models (SQLModel) is for scripts alone."""
    rapport("add", "Konrad Brandt", "--company", "Brandt & Vogel")
    rapport("add", "Jana Müller")
    rapport("add", "Jana Vogel")
    rapport("log", "brandt", "first call", "--at", "2025-01-02 10:00", "--follow-up", "x")
    rapport("impression", "brandt", "restless", "--score", "-2")
    rapport("fact", "brandt", "sails a folkboat", "--topic", "hobby")
    rapport("export", "-o", str(tmp_path / "out.jsonl"))
    ids = short_ids((tmp_path / "out.jsonl").read_text())
    commands = [
        ["add", "Lena Brandt"],
        ["log", "brandt", "a call", "--at", "2025-01-03 10:00", "--follow-up", "y",
         "--due", "2025-02-01"],
        ["impression", "brandt", "fair", "--score", "1"],
        ["fact", "brandt", "daughter in Leipzig", "--topic", "family"],
        ["show", "Konrad Brandt"],
        ["show", "brandt", "--json"],
        ["clients"],
        ["search", "call"],
        ["due"],
        ["todo", "brandt", "send the plan"],
        ["done", ids["follow-up"]],
        ["drift"],
        ["stats"],
        ["edit", ids["fact"], "--text", "sails a wooden folkboat"],
        ["rm", ids["interaction"], "--yes"],
        ["rename", "Lena Brandt", "Lena B."],
        ["merge", "Jana Vogel", "Jana Müller", "--yes"],
        ["forget", "Lena B.", "--yes"],
        ["export"],
        ["export", "--format", "csv", "--client", "brandt", "--since", "2020-01-01"],
        ["import", str(tmp_path / "out.jsonl")],
        ["backup", str(tmp_path / "copy.db")],
        ["check"],
        ["db", "info"],
        ["db", "path"],
    ]  # fmt: skip
    for args in commands:
        assert not {"sqlalchemy", "sqlmodel"} & set(loaded(*args)), args
    assert "Lena" not in rapport("export")  # the commands ran, and did their work
