"""docs/export-format.md is the contract scripts rely on: it must say what rapport writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rapport import formats

PAGE = (Path(__file__).parent.parent / "docs" / "export-format.md").read_text(encoding="utf-8")


def section(record_type: str) -> str:
    return PAGE.split(f"\n### {record_type}\n", 1)[1].split("\n#", 1)[0]


@pytest.mark.parametrize("record_type", sorted(formats.SCHEMA))
def test_the_page_lists_every_field_of_every_record(record_type):
    first_cells = re.findall(r"^\| (`[^|]+) \|", section(record_type), re.MULTILINE)
    documented = {name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
    assert documented == set(formats.SCHEMA[record_type])


@pytest.mark.parametrize("record_type", sorted(formats.SCHEMA))
def test_the_example_line_is_a_valid_record_with_every_field(record_type):
    (example,) = re.findall(r"```json\n(.*)\n```", section(record_type))
    record = json.loads(example)
    assert formats.check_record(record)[0] == record_type
    assert set(record) == {"type", *formats.SCHEMA[record_type]}
    assert formats.encode(record) == example  # written exactly as rapport writes it


@pytest.fixture
def story(run):
    for step in [
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--every", "3w", "-t", "agency"),
        ("log", "brandt", "Lunch", "--kind", "lunch", "--at", "2025-08-01 12:00", "--mood", "2",
         "--follow-up", "Send plan", "--due", "2025-08-15"),
        ("impression", "brandt", "Restless", "--score", "-2", "--at", "2025-03-04 18:00"),
        ("impression", "brandt", "A partner", "--score", "2", "--at", "2025-09-01"),
        ("fact", "brandt", "Sails", "--topic", "hobby", "--at", "2025-08-01 15:00"),
    ]:  # fmt: skip
        assert run(*step).exit_code == 0, step


def test_json_views_print_the_export_records(run, story):
    exported = {
        record["uuid"]: record for record in map(json.loads, run("export").stdout.splitlines()[1:])
    }
    shown = json.loads(run("show", "brandt", "--json").stdout)
    entries = [shown["client"], shown["first_impression"], shown["latest_impression"],
               *shown["facts"], *shown["follow_ups"], *shown["timeline"]]  # fmt: skip
    listed = json.loads(run("clients", "--json").stdout)
    hits = json.loads(run("search", "lunch OR sails", "--json").stdout)
    for entry in [*entries, *listed]:
        record = exported[entry["uuid"]]
        assert {key: entry[key] for key in record} == record  # every field, same value
    for hit in hits:
        record = exported[hit["uuid"]]
        assert (hit["type"], hit["client_uuid"], hit["client_name"]) == (
            record["type"], record["client_uuid"], record["client_name"]
        )  # fmt: skip
