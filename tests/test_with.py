"""Meetings with several people: `log --with`, and one interaction in each client's views."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import rows, run_in_terminal, snapshot
from rapport import exporting, formats
from rapport.store import open_journal

WORKSHOP = "Workshop on the Q1 plan"


@pytest.fixture
def clients(run):
    for step in [
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--every", "30"),
        ("add", "Jana Müller", "--every", "14"),
        ("add", "Emre Demir"),
        ("add", "Sophie Laurent"),
    ]:
        assert run(*step).exit_code == 0, step


@pytest.fixture
def workshop(run, clients):
    result = run("log", "brandt", WORKSHOP, "--kind", "meeting", "--at", "2025-06-01 10:00",
                 "--with", "Jana Müller", "--with", "demir")  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def flat(text: str) -> str:
    """Output with line wrapping undone: the table folds long cells."""
    return " ".join(text.split())


def uuid_of(journal, name: str) -> str:
    return rows(journal, "SELECT uuid FROM client WHERE name = ?", name)[0][0]


def exported(run) -> list[dict]:
    return [json.loads(line) for line in run("export").stdout.splitlines()[1:]]


# -- log --with -----------------------------------------------------------------------------


def test_log_with_names_everyone_and_links_the_others(run, journal, workshop):
    assert re.fullmatch(
        r"Logged meeting with Konrad Brandt, Jana Müller and Emre Demir, 2025-06-01 10:00  "
        r"\[[0-9a-f]{8}\]\n",
        workshop.stderr,
    )
    assert rows(
        journal, "SELECT c.name FROM interaction i JOIN client c ON c.id = i.client_id"
    ) == [("Konrad Brandt",)]
    linked = rows(journal, "SELECT c.name FROM interaction_client l JOIN client c "
                  "ON c.id = l.client_id ORDER BY c.name")  # fmt: skip
    assert linked == [("Emre Demir",), ("Jana Müller",)]


def test_log_with_one_other(run, clients):
    result = run("log", "jana", "Coffee", "-w", "sophie")
    assert result.exit_code == 0
    assert result.stderr.startswith("Logged note with Jana Müller and Sophie Laurent, ")


@pytest.mark.parametrize(
    ("others", "message"),
    [
        (["brandt"], "rapport: --with 'brandt' is Konrad Brandt, whom the contact is logged for\n"),
        (["Konrad Brandt"], "rapport: --with 'Konrad Brandt' is Konrad Brandt, whom the contact "
         "is logged for\n"),
        (["jana", "jana"], "rapport: --with names Jana Müller twice\n"),
        (["jana", "Jana Müller"], "rapport: --with names Jana Müller twice\n"),
        (["demir", "MUELLER", "jana"], "rapport: --with names Jana Müller twice\n"),
        (["nobody"], "rapport: no client matches 'nobody'"),
    ],
)  # fmt: skip
def test_bad_with_writes_nothing(run, journal, clients, others, message):
    before = snapshot(journal)
    args = [word for other in others for word in ("--with", other)]
    result = run("log", "brandt", "Workshop", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert snapshot(journal) == before


def test_at_a_terminal_an_unknown_with_stops_before_the_editor(journal, clients, tmp_path):
    editor = tmp_path / "editor"
    marker = tmp_path / "opened"
    editor.write_text(f"#!/bin/sh\ntouch {marker}\necho 'A note' > \"$1\"\n")
    editor.chmod(0o755)
    before = snapshot(journal)
    code, output = run_in_terminal(
        ["log", "brandt", "--with", "nobody"], b"", {"EDITOR": str(editor)}
    )
    assert code == 2
    assert "no client matches 'nobody'" in output
    assert not marker.exists(), "the note would have been typed in vain"
    assert snapshot(journal) == before


def test_an_ambiguous_with_writes_nothing(run, journal, clients):
    assert run("add", "Jana Schmidt").exit_code == 0
    before = snapshot(journal)
    result = run("log", "brandt", "Workshop", "--with", "jana")
    assert result.exit_code == 2
    assert "'jana' matches 2 clients" in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(journal) == before


# -- each client's views --------------------------------------------------------------------


def test_show_names_the_others_for_each_client(run, workshop):
    brandt = flat(run("show", "brandt").stdout)
    assert f"{WORKSHOP} with Emre Demir, Jana Müller" in brandt  # its own client, then by name
    jana = flat(run("show", "jana").stdout)
    assert f"{WORKSHOP} with Konrad Brandt, Emre Demir" in jana
    assert "Last contact" in jana and "1 contact" in jana
    demir = flat(run("show", "demir").stdout)
    assert f"{WORKSHOP} with Konrad Brandt, Jana Müller" in demir
    assert "with" not in flat(run("show", "sophie").stdout).replace("without", "")


def test_show_json_gives_the_meeting_its_own_client_and_the_others(run, journal, workshop):
    shown = json.loads(run("show", "demir", "--json").stdout)
    assert shown["client"]["interaction_count"] == 1
    assert shown["client"]["last_contact"] == "2025-06-01T08:00:00+00:00"
    (meeting,) = shown["timeline"]
    assert meeting["note"] == WORKSHOP
    assert meeting["client_uuid"] == uuid_of(journal, "Konrad Brandt")
    assert meeting["client_name"] == "Konrad Brandt"
    others = sorted([uuid_of(journal, "Jana Müller"), uuid_of(journal, "Emre Demir")])
    assert meeting["with_clients"] == others
    (record,) = [r for r in exported(run) if r["type"] == "interaction"]
    assert meeting == record  # the export's record, field for field
    alone = json.loads(run("show", "sophie", "--json").stdout)
    assert alone["client"]["interaction_count"] == 0 and alone["timeline"] == []


def test_the_meeting_is_newest_contact_only_when_it_is(run, workshop):
    assert run("log", "jana", "Call later", "--kind", "call", "--at", "2025-07-01").exit_code == 0
    assert run("log", "demir", "Call before", "--kind", "call", "--at", "2025-05-01").exit_code == 0
    listed = {row["client_name"] if "client_name" in row else row["name"]: row
              for row in json.loads(run("clients", "--json").stdout)}  # fmt: skip
    assert listed["Jana Müller"]["last_kind"] == "call"
    assert listed["Jana Müller"]["interaction_count"] == 2
    assert listed["Emre Demir"]["last_kind"] == "meeting"
    assert listed["Emre Demir"]["last_contact"] == "2025-06-01T08:00:00+00:00"
    assert listed["Emre Demir"]["interaction_count"] == 2
    assert listed["Sophie Laurent"]["interaction_count"] == 0


def test_the_meeting_counts_as_contact_in_due(run, clients):
    assert run("log", "brandt", "Long ago", "--at", "2020-01-01").exit_code == 0
    assert run("log", "jana", "Long ago", "--at", "2020-01-01").exit_code == 0
    due = json.loads(run("due", "--json").stdout)
    assert {row["name"] for row in due["clients"]} == {"Konrad Brandt", "Jana Müller"}
    never = {row["name"] for row in due["never_contacted"]}
    assert never == {"Emre Demir", "Sophie Laurent"}
    assert run("log", "sophie", "Dinner", "--with", "jana", "--with", "demir").exit_code == 0
    due = json.loads(run("due", "--json").stdout)
    assert {row["name"] for row in due["clients"]} == {"Konrad Brandt"}
    assert due["never_contacted"] == []


def test_a_meeting_is_contact_for_the_missing_first_impression(run, clients):
    assert run("impression", "brandt", "Sharp", "--first").exit_code == 0
    assert run("log", "brandt", "Workshop", "--with", "demir").exit_code == 0
    due = json.loads(run("due", "--json").stdout)
    assert [row["name"] for row in due["no_first_impression"]] == ["Emre Demir"]


def test_stats_count_the_meeting_once_but_for_each_client(run, workshop):
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["interactions"] == 1
    assert sum(kind["interactions"] for kind in stats["kinds"]) == 1
    counts = {c["client_name"]: c["interactions"] for c in stats["least_contacted"]}
    assert counts == {"Konrad Brandt": 1, "Jana Müller": 1, "Emre Demir": 1, "Sophie Laurent": 0}


def test_search_finds_the_meeting_once(run, workshop):
    hits = json.loads(run("search", "workshop", "--json").stdout)
    assert [hit["client_name"] for hit in hits] == ["Konrad Brandt"]


def test_search_for_a_client_finds_the_meetings_they_were_at(run, workshop):
    assert run("log", "jana", "Her own workshop").exit_code == 0
    for asked in (["workshop"], ["--latest", "workshop"]):
        hits = json.loads(run("search", *asked, "--client", "jana", "--json").stdout)
        assert sorted(hit["snippet"] for hit in hits) == [
            "**Workshop** on the Q1 plan", "Her own **workshop**"]  # fmt: skip
    hits = json.loads(run("search", "workshop", "--client", "sophie", "--json").stdout)
    assert hits == []


def test_search_a_tag_for_a_client_finds_the_meetings_they_were_at(run, clients):
    assert run("log", "brandt", "Budget round", "--with", "jana", "--tag", "q1").exit_code == 0
    hits = json.loads(run("search", "#q1", "--client", "jana", "--json").stdout)
    assert [hit["client_name"] for hit in hits] == ["Konrad Brandt"]


def test_export_of_one_client_takes_their_meetings_and_whoever_was_there(run, workshop, tmp_path):
    assert run("log", "sophie", "Not Emre's").exit_code == 0
    part = run("export", "--client", "demir")
    records = [json.loads(line) for line in part.stdout.splitlines()[1:]]
    names = sorted(r["name"] for r in records if r["type"] == "client")
    assert names == ["Emre Demir", "Jana Müller", "Konrad Brandt"]
    assert [r["note"] for r in records if r["type"] == "interaction"] == [WORKSHOP]
    empty = str(tmp_path / "empty.db")  # the file imports whole into a journal of its own
    assert run("--db", empty, "import", "-", input=part.stdout).exit_code == 0
    assert WORKSHOP in run("--db", empty, "show", "demir").stdout


def test_markdown_puts_the_meeting_in_each_section(run, workshop):
    text = run("export", "--format", "markdown").stdout
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}
    for name in ("Konrad Brandt", "Jana Müller", "Emre Demir"):
        assert WORKSHOP in sections[name], name
    assert WORKSHOP not in sections["Sophie Laurent"]


# -- export and import ----------------------------------------------------------------------


def test_export_lists_the_others_and_an_empty_list_otherwise(run, journal, workshop):
    assert run("log", "sophie", "Alone").exit_code == 0
    meeting, alone = [r for r in exported(run) if r["type"] == "interaction"]
    others = sorted([uuid_of(journal, "Jana Müller"), uuid_of(journal, "Emre Demir")])
    assert meeting["with_clients"] == others
    assert alone["with_clients"] == []


@pytest.mark.sqlite_only
def test_sqlite_writes_the_list_as_records_py_does(run, journal, workshop):
    assert run("log", "sophie", "Alone").exit_code == 0
    assert run("log", "jana", "Three", "--with", "sophie", "--with", "brandt").exit_code == 0
    db = open_journal(str(journal))
    lines = list(exporting.export_lines(db, exporting.Filters()))
    records = list(exporting.export_records(db, exporting.Filters()))
    assert lines == [formats.encode(record) for record in records]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_export_keeps_the_meeting(run, workshop, tmp_path, fmt):
    first = run("export", "--format", fmt).stdout
    other = str(tmp_path / "other.db")
    assert run("--db", other, "import", "--format", fmt, "-", input=first).exit_code == 0
    assert run("--db", other, "export", "--format", fmt).stdout == first
    assert "with Konrad Brandt, Emre Demir" in flat(run("--db", other, "show", "jana").stdout)
    again = run("import", "--format", fmt, "-", input=first)
    assert "0 new, 5 unchanged, 0 updated" in again.stderr


def test_an_export_without_the_field_still_imports(run, journal, tmp_path):
    lines = [
        {"type": "header", "format": 1},
        {"type": "client", "uuid": "11111111-1111-4111-8111-111111111111", "name": "Anna Berg"},
        {"type": "interaction", "uuid": "22222222-2222-4222-8222-222222222222",
         "client_uuid": "11111111-1111-4111-8111-111111111111", "at": "2025-01-01T10:00:00Z",
         "kind": "call", "note": "Old export"},
    ]  # fmt: skip
    result = run("import", "-", input="\n".join(map(json.dumps, lines)) + "\n")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT count(*) FROM interaction_client") == [(0,)]
    (record,) = [r for r in exported(run) if r["type"] == "interaction"]
    assert record["with_clients"] == []


def _meeting_file(run, change) -> str:
    lines = run("export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        if record.get("type") == "interaction":
            change(record)
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


UNKNOWN = "99999999-9999-4999-8999-999999999999"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(with_clients=[UNKNOWN]),
         f"the interaction was with client {UNKNOWN}, who is neither in the journal nor in "
         "the file; nothing imported"),
        (lambda r: r.update(with_clients=r["with_clients"][0]),
         "the record field 'with_clients' must be a list of client uuids; nothing imported"),
        (lambda r: r.update(with_clients=["not-a-uuid"]),
         "the record field 'with_clients' is not a uuid: 'not-a-uuid'; nothing imported"),
        (lambda r: r.update(with_clients=[r["client_uuid"]]),
         "with_clients names the interaction's own client"),
        (lambda r: r.update(with_clients=r["with_clients"][:1] * 2),
         "with_clients names a client twice; nothing imported"),
    ],
)  # fmt: skip
def test_a_bad_list_imports_nothing(run, journal, workshop, tmp_path, change, message):
    text = _meeting_file(run, change)
    for target in (None, str(tmp_path / "other.db")):  # into this journal, and a new one
        where = () if target is None else ("--db", target)
        before = snapshot(journal)
        result = run(*where, "import", "-", input=text)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("rapport: line 6: ") and message in result.stderr
        assert result.stderr.count("\n") == 1
        assert snapshot(journal) == before
        if target is not None:
            assert snapshot(Path(target)) == []


def test_import_update_replaces_the_list(run, journal, workshop):
    sophie = uuid_of(journal, "Sophie Laurent")
    text = _meeting_file(run, lambda r: r.update(with_clients=[sophie]))
    before = snapshot(journal)
    result = run("import", "-", input=text)
    assert "1 record differs from the journal and was left alone (line 6)" in result.stderr
    assert snapshot(journal) == before
    result = run("import", "-", "--update", input=text)
    assert "0 new, 4 unchanged, 1 updated" in result.stderr, result.stderr
    linked = rows(journal, "SELECT c.name FROM interaction_client l JOIN client c "
                  "ON c.id = l.client_id")  # fmt: skip
    assert linked == [("Sophie Laurent",)]
    assert run("import", "-", input=text).stderr.endswith("0 new, 5 unchanged, 0 updated\n")


# -- corrections ------------------------------------------------------------------------------


def test_rm_removes_the_meeting_once(run, journal, workshop):
    short = re.search(r"\[([0-9a-f]{8})\]", workshop.stderr).group(1)
    result = run("rm", short, "--yes")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT count(*) FROM interaction") == [(0,)]
    assert rows(journal, "SELECT count(*) FROM interaction_client") == [(0,)]
    assert WORKSHOP not in run("show", "jana").stdout


def _links(journal) -> list[tuple[str, str]]:
    return rows(journal, "SELECT o.name, c.name FROM interaction_client l "
                "JOIN client c ON c.id = l.client_id JOIN interaction i ON i.id = l.interaction_id "
                "JOIN client o ON o.id = i.client_id ORDER BY 1, 2")  # fmt: skip


def test_merge_moves_the_links(run, journal, workshop):
    # Sophie is Emre Demir twice; a meeting of hers that Jana and Demir were at too.
    assert run("log", "sophie", "Dinner", "--with", "demir", "--with", "jana").exit_code == 0
    assert run("log", "jana", "Lunch", "--with", "sophie").exit_code == 0
    result = run("merge", "sophie", "demir", "--yes")
    assert result.exit_code == 0, result.output
    assert _links(journal) == [
        ("Emre Demir", "Jana Müller"),  # the dinner is Demir's now: his own link went
        ("Jana Müller", "Emre Demir"),  # the lunch: Sophie's link is Demir's
        ("Konrad Brandt", "Emre Demir"),
        ("Konrad Brandt", "Jana Müller"),
    ]
    shown = json.loads(run("show", "demir", "--json").stdout)
    assert shown["client"]["interaction_count"] == 3


def test_merge_keeps_one_link_where_both_were_there(run, journal, clients):
    assert run("log", "brandt", "Both there", "--with", "demir", "--with", "sophie").exit_code == 0
    assert run("merge", "sophie", "demir", "--yes").exit_code == 0
    assert _links(journal) == [("Konrad Brandt", "Emre Demir")]


def test_merge_into_the_meetings_own_client_drops_the_link(run, journal, workshop):
    assert run("merge", "jana", "brandt", "--yes").exit_code == 0
    assert _links(journal) == [("Konrad Brandt", "Emre Demir")]
    assert json.loads(run("show", "brandt", "--json").stdout)["client"]["interaction_count"] == 1


def test_forget_passes_the_meeting_to_the_others(run, journal, workshop):
    assert run("forget", "brandt", "--yes").exit_code == 0
    owner = rows(journal, "SELECT c.name FROM interaction i JOIN client c ON c.id = i.client_id")
    # The first other client by uuid, as export lists them.
    first = min(("Jana Müller", "Emre Demir"), key=lambda name: uuid_of(journal, name))
    second = ({"Jana Müller", "Emre Demir"} - {first}).pop()
    assert owner == [(first,)]
    assert _links(journal) == [(first, second)]
    assert f"{WORKSHOP} with {first}" in flat(run("show", second).stdout)


def test_forget_someone_who_was_only_with_them(run, journal, workshop):
    assert run("forget", "demir", "--yes").exit_code == 0
    assert _links(journal) == [("Konrad Brandt", "Jana Müller")]
    assert f"{WORKSHOP} with Konrad Brandt" in flat(run("show", "jana").stdout)
    assert "Demir" not in run("show", "jana").stdout


@pytest.mark.sqlite_only
def test_forget_leaves_no_trace_of_the_meetings_own_client(run, journal, clients):
    person = "Jürgen Größe-Öztürk"
    assert run("add", person).exit_code == 0
    assert run("log", "jurgen", "Workshop on cranes", "--with", "jana").exit_code == 0
    files = (journal, Path(f"{journal}-wal"))

    def data() -> bytes:
        return b"".join(path.read_bytes() for path in files if path.exists())

    assert person.encode() in data(), "the scan must be able to find them before"
    assert run("forget", "jurgen", "--yes").exit_code == 0
    assert person.encode() not in data() and "Größe".encode() not in data()
    assert "Workshop on cranes" in run("show", "jana").stdout


def test_import_writes_the_links_into_this_journal(run, journal, tmp_path):
    other = ("--db", str(tmp_path / "other.db"))  # a file, so the import below is the engine's
    for step in [("add", "Konrad Brandt"), ("add", "Jana Müller"), ("add", "Emre Demir"),
                 ("log", "brandt", WORKSHOP, "--with", "jana", "--with", "demir"),
                 ("log", "jana", "Lunch", "--with", "demir")]:  # fmt: skip
        assert run(*other, *step).exit_code == 0, step
    text = run(*other, "export").stdout
    result = run("import", "-", input=text)
    assert result.exit_code == 0, result.output
    assert run("export").stdout == text
    assert _links(journal) == [
        ("Jana Müller", "Emre Demir"),
        ("Konrad Brandt", "Emre Demir"),
        ("Konrad Brandt", "Jana Müller"),
    ]
