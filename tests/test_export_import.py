"""Export and import: lossless, idempotent, all or nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import select
import shlex
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import rapport_process, rows, run_in_terminal, snapshot
from rapport import clients, corrections, exporting, formats, transfer
from rapport.checks import KINDS, TOPICS
from rapport.errors import BadInput
from rapport.names import line_problem
from rapport.store.sqlite import Database

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# -- the law: export → import → export is the identity -----------------------------------

TRICKY = ["Müller", "Mu\u0308ller", "😀", "שלום", "مرحبا", "a\nb", 'say "hi"', "x,y", "=SUM(A1)",
          "+49 40", "-3", "@home", "'=quoted", "\ttab", "\r\nline", "ß", "Ørsted"]  # fmt: skip

texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=40),
    st.text(min_size=200, max_size=2000, alphabet='abc äöü 😀\n,"'),
).filter(lambda t: t.strip() != "")


def one_line(text: str) -> bool:
    """What rapport takes as a name, company, role or author: no controls, 200 characters."""
    return line_problem(text, "name") is None


# Names, companies, roles and authors: one line, no control or bidi characters.
lines = st.one_of(
    st.sampled_from([t for t in TRICKY if one_line(t)]),
    st.text(
        st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters=BIDI), max_size=40
    ),
    st.text(min_size=100, max_size=200, alphabet='abc äöü 😀,"'),
).filter(lambda t: t.strip() != "")
names = st.lists(
    lines,
    min_size=1,
    max_size=4,
    unique_by=lambda n: " ".join(n.split()).casefold(),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(timezone.utc)
)


optional_texts = st.one_of(st.none(), lines)
# Labelled e-mails, phones and yearly dates as `add` takes them (`work:anna@…`).
item_labels = st.sampled_from(["", "work", "home", "mobile", "work anniversary", "ärger 2"])
addresses = st.from_regex(r"[a-zA-Z0-9._+=-]{1,10}@[a-z0-9.-]{1,10}", fullmatch=True)
numbers = st.from_regex(r"\+?[0-9][0-9 ()/.-]{0,12}[0-9]", fullmatch=True)
yearly_days = st.tuples(
    st.dates(datetime(1900, 1, 1).date(), datetime(2020, 12, 31).date()), st.booleans()
).map(lambda day: day[0].isoformat() if day[1] else f"{day[0]:%m-%d}")


def typed(label: str, value: str) -> str:
    return f"{label}:{value}" if label else value


details = st.fixed_dictionaries({
    "role": optional_texts, "email": optional_texts, "phone": optional_texts,
    "cadence_days": st.one_of(st.none(), st.integers(1, 3650)),
    "emails": st.lists(st.builds(typed, item_labels, addresses), max_size=3),
    "phones": st.lists(st.builds(typed, item_labels, numbers), max_size=2),
    "birthday": st.one_of(st.none(), yearly_days),
    "yearly_dates": st.lists(  # one date a label: two would be refused
        st.builds(typed, item_labels.filter(bool), yearly_days), max_size=2,
        unique_by=lambda typed: typed.partition(":")[0],
    ),
    "met": st.one_of(st.none(), texts),
})  # fmt: skip


@st.composite
def journals(draw):
    """A journal as calls to rapport's own functions: clients and what happened with them."""
    people = [" ".join(n.split()) for n in draw(names)]
    people = [(p, draw(details), draw(st.booleans())) for p in dict.fromkeys(people) if p]
    entries = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["log", "impression", "fact", "follow", "todo"]),
                st.integers(0, len(people) - 1),
                texts,
                moments,
                st.one_of(st.none(), st.integers(-2, 2)),
                st.sampled_from(KINDS),
                st.sampled_from(TOPICS),
                st.lists(st.integers(0, len(people) - 1), max_size=2, unique=True),  # --with
            ),
            max_size=12,
        )
    )
    return people, entries


def build(db: Database, people: list[tuple], entries: list[tuple]) -> None:
    archived = []
    for person, more, archive in people:
        # The same person spelled another way (Müller, Mueller) is refused: skip them.
        with contextlib.suppress(BadInput):
            client = clients.add_client(db, person, company=person[::-1], tags=["x"], **more)
            archived += [client.id] if archive else []
    for what, who, text, at, score, kind, topic, others in entries:
        # Refer to clients by uuid-free exact names would be ambiguous for odd names; use ids.
        query = people[who][0]
        author = " ".join(text[:20].split())  # odd authors too: quotes, emoji
        db.author = author if score and one_line(author) else ""
        try:
            if what == "log":
                tags = ["ärger", "q3-plan"] if score else None
                met = [people[other][0] for other in others if other != who]
                clients.log(db, query, text, at=at, mood=score, kind=kind, tags=tags, others=met)
            elif what == "impression":
                clients.add_impression(db, query, text, at=at, score=score)
            elif what == "fact":
                clients.add_fact(db, query, text, at=at, topic=topic)
            elif what == "follow":
                clients.log(db, query, "call", at=at, follow_up=text, due=at.date())
            else:  # a follow-up of its own, done when the score says so
                _, todo = clients.add_todo(db, query, text, at.date() if score else None)
                if score and score > 0:
                    corrections.mark_done(db, todo.uuid)
        except BadInput:
            pass  # a generated name may resolve ambiguously; the law holds for what was written
    with db.connection(write=True, create=True) as conn:  # no command archives a client yet
        for client_id in archived:
            conn.execute("UPDATE client SET archived = ? WHERE id = ?", (True, client_id))


def exported(db: Database, fmt: str = "jsonl") -> str:
    out = io.StringIO(newline="")
    if fmt == "csv":
        formats.write_csv(exporting.export_records(db, exporting.Filters()), out, raw=True)
    else:
        formats.write_jsonl(exporting.export_lines(db, exporting.Filters()), out)
    return out.getvalue()


def imported(db: Database, text: str, fmt: str = "jsonl") -> transfer.ImportReport:
    stream = io.BytesIO(text.encode("utf-8"))
    lines = formats.read_csv(stream, raw=True) if fmt == "csv" else formats.read_jsonl(stream)
    return transfer.import_records(db, lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal_spec=journals())
def test_sqlite_writes_each_record_as_records_py_would(journal_spec):
    """export_lines has SQLite build the JSON; it must be records.py's JSON, byte for byte."""
    people, entries = journal_spec
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder, "a.db"))
        build(db, people, entries)
        lines = list(exporting.export_lines(db, exporting.Filters()))
        records = list(exporting.export_records(db, exporting.Filters()))
    assert lines == [formats.encode(record) for record in records]


ODD_TAGS = ['say "hi"', "back\\slash", "new\nline", ",lead", "a,,b", "trail,", "ünï,ok", "tab\tx"]


@pytest.mark.sqlite_only
def test_tags_written_by_other_programs_export_like_records_py(run, journal):
    # rapport stores only words as tags; SQLite leaves anything else to Python's encoder.
    assert run("add", "Anna").exit_code == 0
    for tags in ODD_TAGS:
        assert run("log", "anna", f"note {tags!r}").exit_code == 0
    conn = sqlite3.connect(journal)
    for n, tags in enumerate(ODD_TAGS, start=1):
        conn.execute("UPDATE interaction SET tags = ? WHERE id = ?", (tags, n))
    conn.execute("UPDATE client SET tags = ?", (ODD_TAGS[0],))  # clients' JSON is SQLite's too
    conn.commit()
    conn.close()
    db = Database(journal)
    lines = list(exporting.export_lines(db, exporting.Filters()))
    records = list(exporting.export_records(db, exporting.Filters()))
    assert lines == [formats.encode(record) for record in records]
    assert {tuple(r["tags"]) for r in records if r["type"] == "interaction"} >= {("a", "b")}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal_spec=journals())
def test_export_import_export_is_byte_identical(fmt, journal_spec):
    people, entries = journal_spec
    with tempfile.TemporaryDirectory() as folder:
        source, target = Database(Path(folder, "a.db")), Database(Path(folder, "b.db"))
        build(source, people, entries)
        first = exported(source, fmt)
        report = imported(target, first, fmt)
        assert exported(target, fmt) == first
        again = imported(target, first, fmt)
        assert again.new == 0 and again.updated == 0 and not again.differing
        assert again.unchanged == report.new


# -- through the command line --------------------------------------------------------------


@pytest.fixture
def story(run):
    for step in [
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--phone", "+49 40 1",
         "-t", "agency"),
        ("add", "Jana Müller", "--company", "=HYPERLINK(\"x\")"),
        ("log", "brandt", "First meeting", "--kind", "meeting", "--at", "2025-03-04 10:00"),
        ("log", "brandt", "Lunch", "--kind", "lunch", "--at", "2025-08-01 12:00",
         "--follow-up", "Send plan", "--due", "2025-08-15"),
        ("log", "muller", "--kind", "call", "--at", "2025-09-01 09:00", "--",
         "-2 points on the offer"),
        ("impression", "brandt", "Restless", "--score", "-2", "--at", "2025-03-04 18:00"),
        ("fact", "brandt", "Sails", "--topic", "hobby", "--at", "2025-08-01 15:00"),
    ]:  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def test_jsonl_header_and_records(run, story):
    lines = run("export").stdout.splitlines()
    assert json.loads(lines[0]) == {"type": "header", "format": 1}
    records = [json.loads(line) for line in lines[1:]]
    assert [r["type"] for r in records] == [
        "client",
        "client",
        "interaction",
        "interaction",
        "interaction",
        "impression",
        "fact",
        "follow-up",
    ]
    meeting = records[2]
    assert list(meeting) == [
        "type",
        "uuid",
        "client_uuid",
        "client_name",
        "at",
        "kind",
        "note",
        "mood",
        "tags",
        "author",
        "created_at",
        "with_clients",
    ]
    assert meeting["at"] == "2025-03-04T09:00:00+00:00"
    assert meeting["client_name"] == "Konrad Brandt"
    follow_up = records[-1]
    assert follow_up["interaction_uuid"] == records[3]["uuid"]
    assert follow_up["due"] == "2025-08-15"


def test_each_record_has_the_fields_of_formats_schema_in_its_order(run, story):
    # records.py (the Python writer, PostgreSQL's) and exporting.py's json_object (SQLite's)
    # are derived from formats.SCHEMA; test_sqlite_writes_each_record_as_records_py_would
    # holds the two to the same bytes.
    written = {}
    for line in run("export").stdout.splitlines()[1:]:
        record = json.loads(line)
        written[record["type"]] = list(record)
    assert written == {kind: ["type", *fields] for kind, fields in formats.SCHEMA.items()}


def test_two_exports_are_byte_identical(run, story):
    assert run("export").stdout_bytes == run("export").stdout_bytes
    assert run("export", "-f", "csv").stdout_bytes == run("export", "-f", "csv").stdout_bytes


def test_json_format(run, story):
    data = json.loads(run("export", "--format", "json").stdout)
    assert data["format"] == 1
    assert len(data["records"]) == 8


def test_filters(run, story):
    def types(*args):
        return [json.loads(line)["type"] for line in run("export", *args).stdout.splitlines()[1:]]

    assert types("--type", "client") == ["client", "client"]
    assert types("--client", "muller") == ["client", "interaction"]
    assert types("--kind", "lunch", "--type", "interaction") == ["interaction"]
    assert types("--since", "2025-08-01", "--until", "2025-08-31", "--type", "interaction") == [
        "interaction"
    ]
    result = run("export", "--type", "meeting")
    assert result.exit_code == 2 and "unknown type 'meeting'" in result.stderr


def test_csv_neutralises_formulas_and_raw_does_not(run, story):
    safe = run("export", "-f", "csv").stdout
    assert "'=HYPERLINK" in safe and "'+49 40 1" in safe and "'-2 points" in safe
    assert ",Restless,-2," in safe  # numbers are left alone: a score is not a formula
    raw = run("export", "-f", "csv", "--raw").stdout
    assert '"=HYPERLINK(""x"")"' in raw and "'=" not in raw


def test_csv_neutral_export_round_trips_through_import(run, story, tmp_path):
    (tmp_path / "j.csv").write_text(run("export", "-f", "csv").stdout, newline="")
    other = tmp_path / "other.db"
    assert run("--db", str(other), "import", str(tmp_path / "j.csv")).exit_code == 0
    assert run("--db", str(other), "export").stdout == run("export").stdout


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+1", "'=1+1"), ("'=1+1", "''=1+1"), ("'plain", "'plain"), ("plain", "plain"),
     ("\ttab", "'\ttab"), ("@x", "'@x")],
)  # fmt: skip
def test_neutralise_is_reversible(text, cell):
    assert formats.neutralise(text) == cell
    assert formats.unneutralise(cell) == text


def test_markdown_journal(run, story):
    out = run("export", "-f", "markdown").stdout
    assert out.startswith("# Relationship journal\n")
    assert "## Konrad Brandt" in out and "## Jana Müller" in out
    assert "- **First impression** (2025-03-04, score -2): Restless" in out
    assert "### Talking points\n\n- *hobby*: Sails (2025-08-01)" in out
    assert "- [ ] Send plan (due 2025-08-15)" in out
    timeline = out[out.index("### Timeline") :]
    assert timeline.index("First meeting") < timeline.index("Lunch")


def test_markdown_keeps_only_the_types_asked_for(run, story):
    out = run("export", "-f", "markdown", "--type", "interaction").stdout
    assert "## Konrad Brandt" in out and "## Jana Müller" in out
    assert "First meeting" in out and "-2 points on the offer" in out
    for left_out in ["impression", "Restless", "Talking points", "Sails", "Send plan"]:
        assert left_out not in out, left_out
    only_people = run("export", "-f", "markdown", "--type", "client").stdout
    assert "## Konrad Brandt" in only_people and "+49 40 1" in only_people
    assert "Timeline" not in only_people and "Restless" not in only_people
    facts = run("export", "-f", "markdown", "--type", "fact", "--type", "follow-up").stdout
    assert "- *hobby*: Sails" in facts and "- [ ] Send plan" in facts
    assert "learned (hobby): Sails" in facts and "First meeting" not in facts


def test_markdown_timeline_is_in_time_order_across_kinds(run, story):
    out = run("export", "-f", "markdown", "--client", "brandt").stdout
    timeline = out[out.index("### Timeline") :].splitlines()[2:]
    assert [line[:22] for line in timeline] == [
        "- **2025-03-04 10:00**", "- **2025-03-04 18:00**", "- **2025-08-01 12:00**",
        "- **2025-08-01 15:00**",
    ]  # fmt: skip
    assert "\n\n\n" not in out  # one blank line between blocks


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "markdown"])
def test_an_export_that_fails_writes_not_a_byte(run, story, fmt, tmp_path):
    result = run("export", "-f", fmt, "--client", "brandt", "--client", "nobody")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "rapport: no client matches 'nobody'\n"
    missing = run("--db", str(tmp_path / "none.db"), "export", "-f", fmt)
    assert missing.exit_code == 2 and missing.stdout == ""
    assert "there is no journal at" in missing.stderr


def test_output_file_is_private_and_atomic(run, story, tmp_path):
    target = tmp_path / "out.jsonl"
    assert run("export", "--output", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == run("export").stdout
    failed = run("export", "--output", str(tmp_path / "bad.jsonl"), "--client", "nobody")
    assert failed.exit_code == 2
    assert list(tmp_path.glob("*bad*")) == []


def test_pipe_between_two_databases(journal, story, tmp_path):
    other = tmp_path / "other.db"
    exporter = subprocess.Popen(
        [sys.executable, "-m", "rapport", "export"], stdout=subprocess.PIPE, env=os.environ
    )
    importer = subprocess.run(
        [sys.executable, "-m", "rapport", "--db", str(other), "import", "-"],
        stdin=exporter.stdout,
        capture_output=True,
        timeout=60,
    )
    exporter.wait(timeout=60)
    assert exporter.returncode == 0
    assert importer.returncode == 0, importer.stderr
    assert b"Imported stdin: 8 new" in importer.stderr
    again = rapport_process("--db", str(other), "export")
    assert again.stdout == rapport_process("export").stdout


def test_export_into_a_closed_pipe_is_quiet(journal, story):
    done = subprocess.run(
        f"{sys.executable} -m rapport export | head -c 10",
        shell=True,
        capture_output=True,
        env=os.environ,
        timeout=60,
    )
    assert done.stdout == b'{"type":"h'
    assert done.stderr == b""


# -- import: idempotent, reported, all or nothing ------------------------------------------


def test_second_import_adds_nothing(run, story, tmp_path):
    dump = tmp_path / "j.jsonl"
    dump.write_text(run("export").stdout)
    result = run("import", str(dump))
    assert result.exit_code == 0
    assert result.stderr == f"Imported {dump}: 0 new, 8 unchanged, 0 updated\n"


def test_changed_records_are_reported_then_updated(run, journal, story, tmp_path):
    lines = run("export").stdout.splitlines()
    record = json.loads(lines[3])
    record["note"] = "Lunch at the harbour"
    lines[3] = json.dumps(record)
    dump = tmp_path / "j.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    before = snapshot(journal)
    result = run("import", str(dump))
    assert result.exit_code == 0
    assert (
        "1 record differs from the journal and was left alone (line 4); --update" in result.stderr
    )
    assert snapshot(journal) == before
    result = run("import", str(dump), "--update")
    assert "0 new, 7 unchanged, 1 updated" in result.stderr
    assert ("Lunch at the harbour",) in rows(journal, "SELECT note FROM interaction")


def test_dry_run_reports_and_writes_nothing(run, journal, story, tmp_path):
    other = tmp_path / "other.db"
    dump = tmp_path / "j.jsonl"
    dump.write_text(run("export").stdout)
    result = run("--db", str(other), "import", str(dump), "--dry-run")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"Dry run of {dump}, nothing written: would be 8 new")
    assert not other.exists()


def test_dry_run_on_a_journal_with_records_reports_each_kind(run, journal, story, tmp_path):
    lines = run("export").stdout.splitlines()
    changed = json.loads(lines[3]) | {"note": "Lunch at the harbour"}
    added = json.loads(lines[7]) | {"uuid": "0b0e0a8e-3333-4d3e-9a6a-2b2f3c4d5e6f", "text": "Rows"}
    dump = tmp_path / "j.jsonl"
    dump.write_text("\n".join([*lines[:3], json.dumps(changed), *lines[4:], json.dumps(added)]))
    before = snapshot(journal)
    result = run("import", str(dump), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Dry run of {dump}, nothing written: would be 1 new (1 fact), 7 unchanged, 0 updated"
    ), result.stderr
    assert "1 record differs from the journal and would be left alone (line 4)" in result.stderr
    updating = run("import", str(dump), "--dry-run", "--update")
    assert "would be 1 new (1 fact), 7 unchanged, 1 updated" in updating.stderr
    cards = tmp_path / "c.vcf"
    cards.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Konrad Brandt\nTITLE:CEO\nEND:VCARD\n")
    contacts = run("import", str(cards), "--dry-run")
    assert "0 new, 1 updated, 0 unchanged clients" in contacts.stderr, contacts.stderr
    assert snapshot(journal) == before


def valid_lines(run) -> list[str]:
    return run("export").stdout.splitlines()


def second_first_impression(lines: list[bytes]) -> list[bytes]:
    """The client's first impression again, under a new uuid: the batch insert fails."""
    first = next(line for line in lines if b'"stage":"first"' in line)
    fresh = b'"uuid":"0b0e0a8e-2222-4d3e-9a6a-2b2f3c4d5e6f"'
    twin = re.sub(rb'"uuid":"[^"]+"', fresh, first, count=1)
    return [*lines, twin]


BAD = {
    "invalid UTF-8": (lambda lines: lines[:2] + [b"\xff\xfe"], "line 3: not valid UTF-8"),
    "NUL byte": (lambda lines: lines[:4] + [lines[4].replace(b"Lunch", b"Lu\x00nch")],
                 "line 5: contains a NUL byte"),
    "not JSON": (lambda lines: lines[:2] + [b"{oops"], "line 3: not JSON"),
    "missing field": (lambda lines: lines[:2] + [b'{"type":"client","uuid":"'
                      + b'0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f"}'],
                      "line 3: the record misses the field 'name'"),
    "unknown type": (lambda lines: lines[:2] + [b'{"type":"meeting"}'],
                     "line 3: the record has unknown type 'meeting'"),
    "bad date": (lambda lines: lines[:3] + [lines[3].replace(b'"at":"2025', b'"at":"20x5')],
                 "line 4: the record field 'at' is not an ISO 8601 time"),
    "dangling client": (lambda lines: [lines[0], lines[3]], "line 2: refers to client"),
    "second first impression": (second_first_impression,
                                "a second first impression for this client"),
    "newer format": (lambda lines: [b'{"type":"header","format":2}'] + lines[1:],
                     "line 1: the record is format 2; this rapport reads format 1"),
    "bad score": (lambda lines: lines[:6] + [lines[6].replace(b'"score":-2', b'"score":7')],
                  "line 7: the record field 'score' must be between -2 and 2"),
    "note over 1 MiB": (lambda lines: lines[:4] + [lines[4].replace(b"Lunch", b"L" * 1_048_577)],
                        "line 5: the record field 'note' is 1,048,577 bytes; rapport keeps texts "
                        "up to 1 MiB, 1,048,576 bytes"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_the_line_and_writes_nothing(run, story, tmp_path, case):
    change, message = BAD[case]
    lines = [line.encode() for line in valid_lines(run)]
    other = tmp_path / "other.db"
    assert run("--db", str(other), "add", "Someone Else").exit_code == 0
    before = snapshot(other)
    dump = tmp_path / "bad.jsonl"
    dump.write_bytes(b"\n".join(change(lines)) + b"\n")
    result = run("--db", str(other), "import", str(dump))
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert result.stderr.rstrip().endswith("nothing imported")
    assert snapshot(other) == before


def test_a_bad_line_late_in_the_file_undoes_the_good_ones(run, story, tmp_path):
    lines = valid_lines(run) + ['{"type":"fact"}']
    dump = tmp_path / "late.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    other = tmp_path / "other.db"
    result = run("--db", str(other), "import", str(dump))
    assert result.exit_code == 2
    assert "line 10:" in result.stderr
    assert not other.exists() or rows(other, "SELECT count(*) FROM client") == [(0,)]


def test_format_from_extension_and_errors(run, tmp_path):
    unknown = tmp_path / "notes.txt"
    unknown.write_text("x")
    result = run("import", str(unknown))
    assert result.exit_code == 2 and "pass --format" in result.stderr
    result = run("import", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


# -- vCard ----------------------------------------------------------------------------------

VCARDS = """BEGIN:VCARD
VERSION:3.0
FN:Jörg Müller
N:Müller;Jörg;;;
ORG:Nordlicht Media
TITLE:Head of media
EMAIL;TYPE=WORK:joerg@nordlicht.example
EMAIL;TYPE=HOME:jm@private.example
TEL;TYPE=CELL:+49 170 1234567
BDAY:1970-03-14
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Sophie Laurent
ORG:Maison Laurent
EMAIL:sophie@laurent.example
BDAY:--0521
UID:urn:uuid:4FBE8971-0BC3-424C-9C26-36C3E1EFF6B1
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Tomás Ortega
TITLE:Freelance producer
UID:tomas-ortega@addressbook.example
END:VCARD
"""
SOPHIE = "4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"


def test_vcard_import(run, journal, tmp_path):
    cards = tmp_path / "contacts.vcf"
    cards.write_text(VCARDS.replace("\n", "\r\n"), encoding="utf-8")
    result = run("import", str(cards))
    assert result.exit_code == 0, result.output
    assert "3 new, 0 updated, 0 unchanged clients; 2 dates noted" in result.stderr
    found = "SELECT name, company, role, email, phone, dates FROM client ORDER BY name"
    assert rows(journal, found) == [
        ("Jörg Müller", "Nordlicht Media", "Head of media",
         "work: joerg@nordlicht.example\nhome: jm@private.example", "mobile: +49 170 1234567",
         "birthday: 1970-03-14"),
        ("Sophie Laurent", "Maison Laurent", None, "sophie@laurent.example", None,
         "birthday: --05-21"),
        ("Tomás Ortega", None, "Freelance producer", None, None, ""),
    ]  # fmt: skip
    assert rows(journal, "SELECT count(*) FROM fact") == [(0,)]  # birthdays are dates now
    again = run("import", str(cards))
    assert "0 new, 0 updated, 3 unchanged clients; 0 dates noted" in again.stderr


def test_vcard_updates_an_existing_client(run, journal, tmp_path):
    assert run("add", "Jörg Müller", "--company", "Nordlicht Media").exit_code == 0
    cards = tmp_path / "contacts.vcf"
    cards.write_text(VCARDS)
    result = run("import", str(cards))
    assert "2 new, 1 updated, 0 unchanged clients" in result.stderr
    assert rows(journal, "SELECT count(*) FROM client WHERE name = 'Jörg Müller'") == [(1,)]


def test_a_uuid_uid_becomes_the_clients_uuid_and_travels_back(run, journal, tmp_path):
    cards = tmp_path / "contacts.vcf"
    cards.write_text(VCARDS)
    assert run("import", str(cards)).exit_code == 0
    uuids = dict(rows(journal, "SELECT name, uuid FROM client"))
    assert uuids["Sophie Laurent"] == SOPHIE  # from urn:uuid:…, as rapport writes uuids
    assert uuids["Tomás Ortega"] != "tomas-ortega@addressbook.example"  # not a uuid: a new one
    exported = run("export").stdout
    assert run("import", "-", input=exported).stderr.startswith("Imported stdin: 0 new,")
    assert "0 new, 0 updated, 3 unchanged clients" in run("import", str(cards)).stderr
    assert rows(journal, "SELECT count(*) FROM client") == [(3,)]
    other = tmp_path / "other.db"
    assert run("--db", str(other), "import", "-", input=exported).exit_code == 0
    assert run("--db", str(other), "export").stdout == exported


def test_the_same_name_at_another_company_is_another_person(run, journal, tmp_path):
    cards = tmp_path / "annas.vcf"
    cards.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Berg\nORG:Firm A\nEMAIL:anna@a.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Berg\nORG:Firm B\nEMAIL:anna@b.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Berg\nTEL:+49 1\nEND:VCARD\n"
    )
    assert run("add", "Anna Berg", "--company", "Firm A").exit_code == 0
    result = run("import", str(cards))
    assert result.exit_code == 2 and "'Anna Berg' matches 2 clients" in result.stderr
    cards.write_text(cards.read_text().rsplit("BEGIN:VCARD", 1)[0])
    result = run("import", str(cards))
    assert "1 new, 1 updated, 0 unchanged clients" in result.stderr, result.stderr
    assert rows(journal, "SELECT company, email FROM client ORDER BY company") == [
        ("Firm A", "anna@a.example"), ("Firm B", "anna@b.example")
    ]  # fmt: skip
    # Beside a namesake without a company, a card of Firm A still finds its own client.
    assert run("add", "Anna Berg").exit_code == 0
    cards.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Anna Berg\nORG:Firm A\nTITLE:CEO\nEND:VCARD\n")
    assert "0 new, 1 updated" in run("import", str(cards)).stderr
    assert rows(journal, "SELECT role FROM client WHERE company = 'Firm A'") == [("CEO",)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\ngarbage here\nEND:VCARD\n",
         "line 4: not a vCard (Failed to parse line: garbage here)"),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n\nBEGIN:VCARD\nVERSION:3.0\nFN:B\n"
         "TEL:1\n  folded\nno colon\nEND:VCARD\n",
         "line 11: not a vCard (Failed to parse line: no colon)"),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:B\n",
         "line 5: a vCard without END:VCARD"),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\n",
         "line 1: a vCard without END:VCARD"),
        ("Name,Phone\nAnna,1\n", "line 1: not a vCard (text outside BEGIN:VCARD … END:VCARD)"),
    ],
)  # fmt: skip
def test_a_broken_vcard_names_its_line(run, journal, tmp_path, text, message):
    cards = tmp_path / "broken.vcf"
    cards.write_text(text)
    result = run("import", str(cards))
    assert result.exit_code == 2
    assert result.stderr == f"rapport: {message}; nothing imported\n"
    assert not journal.exists()


def test_folded_lines_and_a_card_inside_a_card_are_read(run, journal, tmp_path):
    cards = tmp_path / "odd.vcf"
    cards.write_text(
        "begin:vcard\r\nversion:2.1\r\nFN:Agnès Martin\r\nNOTE:the folded line below\r\n"
        " END:VCARD is text, not the card's end\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\n"
        "FN:Her Assistant\r\nEND:VCARD\r\nTEL:+33 1 2\r\nEND:VCARD\r\n\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Second\r\nEND:VCARD\r\n"
    )
    result = run("import", str(cards))
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT name, phone FROM client ORDER BY name") == [
        ("Agnès Martin", "+33 1 2"), ("Second", None)
    ]  # fmt: skip


def test_broken_vcard_is_refused(run, journal, tmp_path):
    cards = tmp_path / "broken.vcf"
    cards.write_text("BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nEND:VCARD\n")
    result = run("import", str(cards))
    assert result.exit_code == 2
    assert "without a name" in result.stderr
    assert not journal.exists()


# -- completion -----------------------------------------------------------------------------


def complete(words: str) -> list[str]:
    env = {"_RAPPORT_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "2"}
    return [line for line in rapport_process(env=env).stdout.decode().splitlines() if line]


def test_shell_completion_lists_client_names(run, story):
    # Escaped for bash, which puts a completion on the command line as it is written.
    assert complete("rapport show Ja") == ["Jana\\ Müller"]
    assert complete("rapport log k") == ["konrad\\ Brandt"]  # resolves like "Konrad Brandt"
    assert complete("rapport impression Jana\\ M") == ["Jana\\ Müller"]
    assert complete("rapport fact K") == ["Konrad\\ Brandt"]
    assert complete("rapport show x") == []
    assert complete('rapport show "Ja') == ["Jana Müller"]  # bash closes the quote itself


@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="needs bash")
def test_a_completed_name_is_one_word_in_a_real_bash(run, journal, story, tmp_path):
    """Type `rapport fact ko<TAB> Rows` into bash: the fact is about Konrad Brandt."""
    assert run("add", "Anna O'Neil (Berlin)").exit_code == 0
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PS1": "$ ", "HOME": str(tmp_path), "INPUTRC": "/dev/null"}  # fmt: skip
    main, child = pty.openpty()
    shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=child, stdout=child,
                             stderr=child, env=env, close_fds=True)  # fmt: skip
    os.close(child)
    seen = b""

    def type_and_wait(keys: bytes, marker: bytes) -> None:
        nonlocal seen
        os.write(main, keys)
        deadline = time.monotonic() + 30
        while marker not in seen and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                seen += os.read(main, 4096)
        assert marker in seen, seen.decode(errors="replace")

    try:
        type_and_wait(b"source <(rapport --show-completion bash); echo READY\n", b"READY\r\n")
        type_and_wait(b"rapport fact ko\t", b"konrad\\ Brandt")
        # $((…)) tells the command's status from the echo of what was typed.
        type_and_wait(b"Rows --topic hobby; echo fact-$((6*7))-$?\n", b"fact-42-")
        type_and_wait(b"rapport show Anna\t", b"Anna\\ O\\'Neil\\ \\(Berlin\\)")
        type_and_wait(b" >/dev/null; echo show-$((6*7))-$?\n", b"show-42-")
        type_and_wait(b'rapport log "Konrad B\t', b'"Konrad Brandt" ')
        type_and_wait(b"Quoted; echo log-$((6*7))-$?\n", b"log-42-")
    finally:
        shell.kill()
        shell.wait()
        os.close(main)
    text = seen.decode(errors="replace")
    assert "fact-42-0" in text and "show-42-0" in text and "log-42-0" in text, text
    sql = "SELECT c.name FROM fact f JOIN client c ON c.id = f.client_id WHERE f.text = 'Rows'"
    assert rows(journal, sql) == [("Konrad Brandt",)]
    assert ("Quoted",) in rows(journal, "SELECT note FROM interaction")


def test_unicode_forms_survive(run, journal):
    nfd = unicodedata.normalize("NFD", "Jürgen")
    assert run("add", nfd).exit_code == 0
    record = json.loads(run("export", "--type", "client").stdout.splitlines()[1])
    assert record["name"] == nfd  # stored and exported as typed, not normalised


def test_created_at_survives_to_the_microsecond(run, journal, tmp_path):
    run("add", "A")
    line = run("export").stdout.splitlines()[1]
    created = json.loads(line)["created_at"]
    assert datetime.fromisoformat(created) > datetime.now(timezone.utc) - timedelta(minutes=5)


def test_progress_bar_on_a_terminal_for_large_files(journal, tmp_path):
    client = "0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f"
    lines = ['{"type":"header","format":1}',
             f'{{"type":"client","uuid":"{client}","name":"Big Client"}}']  # fmt: skip
    note = "x" * 300
    for index in range(5000):
        lines.append(json.dumps({"type": "interaction", "uuid": str(uuid.UUID(int=index + 1)),
                                 "client_uuid": client, "at": "2025-01-01T10:00:00+00:00",
                                 "kind": "note", "note": note}))  # fmt: skip
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(lines) + "\n")
    assert big.stat().st_size > 1 << 20
    code, output = run_in_terminal(["import", str(big)], b"", {})
    assert code == 0, output
    assert "Importing big.jsonl" in output
    assert "5001 new" in output
    piped = rapport_process("import", str(big))
    assert b"Importing" not in piped.stderr  # no bar when stderr is not a terminal


# -- edge cases found in review -------------------------------------------------------------


def test_client_names_in_csv_rows_are_neutralised_too(run):
    assert run("add", '=HYPERLINK("http://evil","x")').exit_code == 0
    assert run("log", "hyperlink", "hi", "--kind", "call").exit_code == 0
    out = run("export", "-f", "csv").stdout
    assert ',"=HYPERLINK' not in out and ",=HYPERLINK" not in out
    assert out.count("'=HYPERLINK") == 2  # the client row and the interaction row


@pytest.mark.parametrize("tag", ["=1+1", "@sum", "-x", "a\x00b", "two words"])
def test_tags_are_plain_words(run, journal, tag):
    result = run("add", "A", "--tag", tag)
    assert result.exit_code == 2
    assert "bad tag" in result.stderr


FILTERS = [("--kind", "call"), ("--kind", "lunch"), ("--since", "2025-08-01"),
           ("--until", "2025-08-01"), ("--client", "muller")]  # fmt: skip


@pytest.mark.parametrize("args", FILTERS)
def test_a_filtered_export_imports_into_an_empty_journal(run, story, tmp_path, args):
    dump = tmp_path / "part.jsonl"
    dump.write_text(run("export", *args).stdout)
    result = run("--db", str(tmp_path / "empty.db"), "import", str(dump))
    assert result.exit_code == 0, result.output


def test_follow_ups_travel_with_their_contact(run, story):
    def types(*args):
        return [json.loads(line)["type"] for line in run("export", *args).stdout.splitlines()[1:]]

    assert "follow-up" in types("--kind", "lunch")
    assert "follow-up" not in types("--kind", "call")


def test_until_a_day_includes_that_day(run, story):
    out = run("export", "--since", "2025-08-01", "--until", "2025-08-01", "--type", "interaction")
    assert [json.loads(line)["note"] for line in out.stdout.splitlines()[1:]] == ["Lunch"]


def test_type_and_kind_are_case_insensitive(run, story):
    assert len(run("export", "--type", "Client").stdout.splitlines()) == 3
    assert len(run("export", "--kind", "LUNCH", "--type", "interaction").stdout.splitlines()) == 2


MORE_BAD = {
    "huge integer": ('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"A",'
                     '"cadence_days":' + "9" * 5000 + "}", "line 2: not a value rapport reads"),
    "surrogate": ('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f",'
                  '"name":"Sur\\ud800rogate"}', "line 2: the record field 'name' contains an"),
    "boolean as text": ('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f",'
                        '"name":"A","archived":"yes"}', "field 'archived' must be true or false"),
    "dangling interaction": ('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f",'
                             '"name":"A"}\n{"type":"follow-up","uuid":"1b0e0a8e-1111-4d3e-9a6a-'
                             '2b2f3c4d5e6f","client_uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f",'
                             '"text":"x","interaction_uuid":"2b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f"}',
                             "line 3: the follow-up refers to interaction"),
    "duplicate uuid": ('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"A"}'
                       '\n{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"B"}',
                       "line 3: uuid 0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f appears twice"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MORE_BAD))
def test_more_bad_jsonl(run, journal, tmp_path, case):
    body, message = MORE_BAD[case]
    dump = tmp_path / "bad.jsonl"
    dump.write_text('{"type":"header","format":1}\n' + body + "\n")
    result = run("import", str(dump))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not journal.exists()


CSV_HEADER = ",".join(formats.CSV_COLUMNS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("nothing,here\n1,2\n", "line 1: a rapport CSV starts with a header row naming 'type'"),
        (CSV_HEADER + "\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,A" + "," * 40 + "\n",
         "line 2: the row has more cells than the header row has columns"),
        (CSV_HEADER + "\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,A,,,,,,²\n",
         "line 2: the record field 'cadence_days' must be a whole number"),
        (CSV_HEADER + "\nheader" + "," * (len(formats.CSV_COLUMNS) - 1) + "x\n",
         "line 2: the record is format 'x'"),
        (CSV_HEADER + '\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,"A\nB\n',
         "line 2: not CSV"),
        # A record whose cells hold newlines is named by the line it starts on.
        (CSV_HEADER + '\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,"A\nB"\n\n'
         'client,0b0e0a8e-2222-4d3e-9a6a-2b2f3c4d5e6f,"C\nD\nE",,,,,,x\n',
         "line 5: the record field 'cadence_days' must be a whole number"),
        (CSV_HEADER + "\n\n   \n", "line 3: the record has unknown type '   '"),
    ],
)  # fmt: skip
def test_bad_csv(run, journal, tmp_path, body, message):
    dump = tmp_path / "bad.csv"
    dump.write_text(body)
    result = run("import", str(dump))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not journal.exists()


def test_bad_json_names_the_record(run, story, tmp_path):
    data = json.loads(run("export", "-f", "json").stdout)
    data["records"][4]["mood"] = 9
    dump = tmp_path / "pretty.json"
    dump.write_text(json.dumps(data, indent=2))
    result = run("--db", str(tmp_path / "o.db"), "import", str(dump))
    assert result.exit_code == 2
    assert "record 5: the record field 'mood' must be between -2 and 2" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_byte_order_mark_is_accepted(run, story, tmp_path, fmt):
    dump = tmp_path / f"bom.{fmt}"
    dump.write_bytes(b"\xef\xbb\xbf" + run("export", "-f", fmt).stdout_bytes)
    result = run("--db", str(tmp_path / "o.db"), "import", str(dump))
    assert result.exit_code == 0, result.output
    assert "8 new" in result.stderr


def test_a_repeated_record_with_the_same_content_is_unchanged(run, journal, tmp_path):
    line = '{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"A"}'
    dump = tmp_path / "twice.jsonl"
    dump.write_text(line + "\n" + line + "\n")
    result = run("import", str(dump))
    assert result.stderr.startswith(f"Imported {dump}: 1 new (1 client), 1 unchanged")


@pytest.mark.parametrize("body", ["", '{"type":"header","format":1}\n'])
def test_an_empty_import_creates_no_journal(run, journal, tmp_path, body):
    dump = tmp_path / "empty.jsonl"
    dump.write_text(body)
    result = run("import", str(dump))
    assert result.exit_code == 0
    assert "0 new" in result.stderr
    assert not journal.exists()


def test_vcard_errors_name_the_card_line_and_tel_uris_are_numbers(run, journal, tmp_path):
    cards = tmp_path / "c.vcf"
    cards.write_text("BEGIN:VCARD\nVERSION:4.0\nFN:A\nTEL;VALUE=uri:tel:+49-40-555\nEND:VCARD\n"
                     "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nEND:VCARD\n")  # fmt: skip
    result = run("import", str(cards))
    assert result.exit_code == 2
    assert "line 6: a vCard without a name" in result.stderr
    cards.write_text("BEGIN:VCARD\nVERSION:4.0\nFN:A\nTEL;VALUE=uri:tel:+49-40-555\nEND:VCARD\n")
    assert run("import", str(cards)).exit_code == 0
    assert rows(journal, "SELECT phone FROM client") == [("+49-40-555",)]


def test_imported_names_are_tidied_like_added_ones(run, journal, tmp_path):
    dump = tmp_path / "n.jsonl"
    dump.write_text('{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f",'
                    '"name":"  Spaced   Name "}\n')  # fmt: skip
    assert run("import", str(dump)).exit_code == 0
    assert rows(journal, "SELECT name FROM client") == [("Spaced Name",)]
    assert "0 new, 1 unchanged" in run("import", str(dump)).stderr


@pytest.mark.sqlite_only
def test_a_large_import_fills_the_search_index_batch_by_batch(run, journal, tmp_path):
    # Several batches (transfer._Batch.SIZE), each moved over from its staging table.
    owner = "0b0e0a8e-3333-4d3e-9a6a-2b2f3c4d5e6f"
    lines = [json.dumps({"type": "client", "uuid": owner, "name": "Big Import"})]
    lines += [
        json.dumps({"type": "interaction", "uuid": str(uuid.UUID(int=n)), "client_uuid": owner,
                    "at": "2025-01-01T10:00:00+00:00", "kind": "note", "note": f"Eintrag {n}"})
        for n in range(1, 4501)
    ]  # fmt: skip
    dump = tmp_path / "big.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    assert run("import", str(dump)).exit_code == 0
    assert rows(journal, "SELECT count(*), count(DISTINCT uuid) FROM interaction") == [(4500, 4500)]
    assert rows(journal, "SELECT count(*) FROM search_index") == [(4500,)]
    hits = run("search", "4500", "--json")
    assert "Eintrag **4500**" in hits.stdout


# -- namesakes and names that cannot be shown (issue 12) -----------------------------------


def client_uuid(journal, company: str | None = None) -> list[str]:
    return [
        u for u, c in rows(journal, "SELECT uuid, company FROM client ORDER BY id") if c == company
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_import_refuses_a_namesake_unless_allowed(run, journal, tmp_path, fmt):
    other = tmp_path / "other.db"
    assert run("--db", str(other), "add", "konrad  brandt", "--company", "x").exit_code == 0
    assert run("--db", str(other), "log", "brandt", "Lunch at the harbour").exit_code == 0
    export = tmp_path / f"theirs.{fmt}"
    assert run("--db", str(other), "export", "--format", fmt, "-o", str(export)).exit_code == 0
    assert run("add", "Konrad Brandt", "--company", "X").exit_code == 0
    ours, theirs = (
        rows(journal, "SELECT uuid FROM client")[0][0],
        rows(other, "SELECT uuid FROM client")[0][0],
    )
    before = snapshot(journal)
    line = {"jsonl": 2, "csv": 3}[fmt]  # after the header (and in CSV the header record)
    for dry in ([], ["--dry-run"]):
        refused = run("import", str(export), *dry)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr == (
            f"rapport: line {line}: konrad brandt (x) [{theirs[:8]}] has the name and company of "
            f"Konrad Brandt (X) [{ours[:8]}] in the journal, under another id; nothing imported; "
            "--allow-namesakes imports it beside the other "
            f"(then 'rapport merge {theirs[:8]} {ours[:8]}' joins the two)\n"
        )
        assert snapshot(journal) == before
    allowed = run("import", str(export), "--allow-namesakes")
    assert allowed.exit_code == 0, allowed.output
    hint = allowed.stderr.splitlines()[-1]
    assert hint == (
        f"line {line}: konrad brandt (x) [{theirs[:8]}] has the name and company of [{ours[:8]}]; "
        f"if they are one person: rapport merge {theirs[:8]} {ours[:8]}"
    )
    again = run("import", str(export))  # matched by uuid now: no namesake, nothing new
    assert again.exit_code == 0 and "0 new" in again.stderr
    command = shlex.split(hint.split(": ", 2)[-1])
    assert command[:2] == ["rapport", "merge"]
    assert run(*command[1:], "--yes").exit_code == 0
    assert rows(journal, "SELECT uuid FROM client") == [(ours,)]
    assert "Lunch at the harbour" in run("show", "Konrad Brandt").stdout


def test_two_namesakes_in_one_file_are_refused_unless_allowed(run, journal):
    first, second = "1a2b3c4d-0000-4000-8000-000000000001", "5e6f7a8b-0000-4000-8000-000000000002"
    records = [
        {"type": "header", "format": 1},
        {"type": "client", "uuid": first, "name": "Jörg Weiß", "company": "Acme"},
        {"type": "client", "uuid": second, "name": "Joerg Weiss", "company": "ACME"},
    ]
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    assert run("add", "Anna Berg").exit_code == 0
    before = snapshot(journal)
    refused = run("import", "-", input=text)
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        "rapport: line 3: Joerg Weiss (ACME) [5e6f7a8b] has the name and company of "
        "Jörg Weiß (Acme) [1a2b3c4d] on line 2, under another id; nothing imported"
    )
    assert snapshot(journal) == before
    allowed = run("import", "-", "--allow-namesakes", input=text)
    assert allowed.exit_code == 0
    assert "rapport merge 5e6f7a8b 1a2b3c4d" in allowed.stderr
    assert run("show", "Joerg Weiss").exit_code == 0 and run("show", "Jörg Weiß").exit_code == 0


CARD = "BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nORG:{org}\nEMAIL:{email}\nEND:VCARD\n"


def test_two_cards_of_one_name_and_company_are_refused_unless_allowed(run, journal, tmp_path):
    cards = tmp_path / "twins.vcf"
    cards.write_text(
        CARD.format(name="Thomas Müller", org="Siemens", email="t.mueller@a.example")
        + CARD.format(name="Thomas Mueller", org="Siemens", email="thomas.mueller@b.example")
    )
    assert run("add", "Anna Berg").exit_code == 0
    before = snapshot(journal)
    refused = run("import", str(cards))
    assert refused.exit_code == 2
    assert refused.stderr == (
        "rapport: line 7: the card of Thomas Mueller (Siemens) has the name and company of the "
        "card on line 1; nothing imported; --allow-namesakes imports them as two clients\n"
    )
    assert snapshot(journal) == before
    allowed = run("import", str(cards), "--allow-namesakes")
    assert allowed.exit_code == 0, allowed.output
    assert "2 new, 0 updated, 0 unchanged clients" in allowed.stderr
    assert "if they are one person: rapport merge" in allowed.stderr
    assert rows(journal, "SELECT email FROM client WHERE company = 'Siemens' ORDER BY id") == [
        ("t.mueller@a.example",), ("thomas.mueller@b.example",)
    ]  # fmt: skip
    # Again: each card finds the client of its own spelling; a third spelling finds both,
    # and the error lists each with its id.
    again = run("import", str(cards))
    assert again.exit_code == 0 and "0 new, 0 updated, 2 unchanged" in again.stderr
    cards.write_text(CARD.format(name="THOMAS MUELLER", org="Siemens", email="t@c.example"))
    ambiguous = run("import", str(cards))
    assert ambiguous.exit_code == 2
    muller, mueller = (u[:8] for u in client_uuid(journal, "Siemens"))
    assert ambiguous.stderr == (
        "rapport: line 1: 'THOMAS MUELLER' matches 2 clients: "
        f"Thomas Mueller (Siemens) [{mueller}]; Thomas Müller (Siemens) [{muller}]; "
        "give the card the company (ORG) of one, or merge them; nothing imported\n"
    )


BAD_RECORDS = {
    "ESC in a client name": (
        "jsonl",
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"1a2b3c4d-0000-4000-8000-000000000001","name":"Bad\\u001bName"}\n',
        "line 2: the client name 'Bad\\x1bName' holds the control character U+001B",
    ),
    "RLO in an author": (
        "jsonl",
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"1a2b3c4d-0000-4000-8000-000000000001","name":"Anna"}\n'
        '{"type":"fact","uuid":"1a2b3c4d-0000-4000-8000-000000000002","client_uuid":'
        '"1a2b3c4d-0000-4000-8000-000000000001","at":"2026-01-01T10:00:00+00:00",'
        '"topic":"hobby","text":"Sails","author":"Eve \\u202eevE"}\n',
        "line 3: the author 'Eve \\u202eevE' holds the bidi control U+202E",
    ),
    "BEL in a CSV company": (
        "csv",
        "type,uuid,name,company\r\nclient,1a2b3c4d-0000-4000-8000-000000000001,Anna,Firm\x07\r\n",
        "line 2: the company 'Firm\\x07' holds the control character U+0007",
    ),
    "a long CSV name": (
        "csv",
        "type,uuid,name\r\nclient,1a2b3c4d-0000-4000-8000-000000000001," + "A" * 201 + "\r\n",
        "line 2: the client name is 201 characters long; rapport keeps up to 200",
    ),
    "ESC in a card": (
        "vcf",
        CARD.format(name="Anna", org="Firm", email="a@b.example")
        + CARD.format(name="Bad\x1b[2JName", org="Firm", email="b@b.example"),
        "line 7: the client name 'Bad\\x1b[2JName' holds the control character U+001B",
    ),
}


@pytest.mark.parametrize("fmt, text, message", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_an_import_refuses_names_with_control_characters(
    run, journal, tmp_path, fmt, text, message
):
    assert run("add", "Konrad Brandt").exit_code == 0
    before = snapshot(journal)
    source = tmp_path / f"bad.{fmt}"
    source.write_bytes(text.encode())
    result = run("import", str(source))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"rapport: {message};") and result.stderr.count("\n") == 1
    assert "nothing imported" in result.stderr and "\x1b" not in result.stderr
    assert snapshot(journal) == before
