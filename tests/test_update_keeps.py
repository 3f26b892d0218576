"""Fixes from a hostile tester: --update keeps what an older record leaves out, unreadable
vCard dates are kept as facts, archived --with clients are named, new journals are 0600."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest

from conftest import rows, snapshot

NEW_CLIENT_KEYS = ("emails", "phones", "dates", "met")


@pytest.fixture
def full(run):
    for step in [
        ("add", "Konrad Brandt", "--email", "work:k@brandt.example",
         "--email", "home:k@home.example",
         "--phone", "mobile:+49 170 1", "--phone", "+49 40 2", "--birthday", "1969-04-02",
         "--date", "founded:--03-15", "--met", "At the fair"),
        ("add", "Jana Müller"),
        ("log", "brandt", "Workshop", "--with", "Jana Müller"),
    ]:  # fmt: skip
        assert run(*step).exit_code == 0, step


def _old(text: str, *, keep_email: bool = True) -> str:
    """The export as an older rapport wrote it: without the keys of schema 7."""
    out = []
    for line in text.splitlines():
        record = json.loads(line)
        if record["type"] == "client":
            for key in NEW_CLIENT_KEYS + (() if keep_email else ("email", "phone")):
                record.pop(key, None)
        if record["type"] == "interaction":
            record.pop("with_clients", None)
        out.append(json.dumps(record))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("keep_email", [True, False])
def test_an_older_export_updates_nothing(run, journal, full, keep_email):
    text = _old(run("export").stdout, keep_email=keep_email)
    before = snapshot(journal)
    result = run("import", "-", "--update", input=text)
    assert result.exit_code == 0, result.output
    assert "0 updated" in result.stderr and "3 unchanged" in result.stderr
    assert snapshot(journal) == before


def test_an_older_record_changes_only_what_it_gives(run, journal, full):
    records = [json.loads(line) for line in _old(run("export").stdout).splitlines()]
    client = next(r for r in records if r.get("name") == "Konrad Brandt")
    client["email"] = "new@brandt.example"
    client["company"] = "Brandt & Vogel"
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    result = run("import", "-", "--update", input=text)
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.stderr
    [(email, phone, dates, met, company)] = rows(
        journal, "SELECT email, phone, dates, met, company FROM client WHERE name = 'Konrad Brandt'"
    )
    assert email == "new@brandt.example\nhome: k@home.example"
    assert phone == "mobile: +49 170 1\n+49 40 2"
    assert "birthday: 1969-04-02" in dates and "founded: --03-15" in dates
    assert (met, company) == ("At the fair", "Brandt & Vogel")
    assert len(rows(journal, "SELECT * FROM interaction_client")) == 1


def test_present_but_empty_fields_clear(run, journal, full):
    records = [json.loads(line) for line in run("export").stdout.splitlines()]
    for record in records:
        if record.get("name") == "Konrad Brandt":
            record.update(email=None, phone=None, emails=[], phones=[], dates=[], met=None)
        if record["type"] == "interaction":
            record["with_clients"] = []
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    assert run("import", "-", "--update", input=text).exit_code == 0
    assert rows(journal, "SELECT email, phone, dates, met FROM client WHERE name = 'Konrad Brandt'"
                ) == [(None, None, "", None)]  # fmt: skip
    assert rows(journal, "SELECT * FROM interaction_client") == []


def _csv_without(text: str, columns: tuple[str, ...]) -> str:
    reader = csv.DictReader(io.StringIO(text))
    kept = [name for name in reader.fieldnames or () if name not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, kept, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(reader)
    return out.getvalue()


def test_a_csv_without_the_new_columns_updates_nothing(run, journal, full):
    text = run("export", "--format", "csv").stdout
    text = _csv_without(text, NEW_CLIENT_KEYS + ("with_clients",))
    before = snapshot(journal)
    result = run("import", "-", "--format", "csv", "--update", input=text)
    assert result.exit_code == 0, result.output
    assert "0 updated" in result.stderr and "3 unchanged" in result.stderr
    assert snapshot(journal) == before


def test_an_empty_csv_cell_clears(run, journal, full):
    text = run("export", "--format", "csv").stdout
    reader = csv.DictReader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.DictWriter(out, reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for row in reader:
        if row["type"] == "client" and row["name"] == "Konrad Brandt":
            row["met"] = ""
        writer.writerow(row)
    result = run("import", "-", "--format", "csv", "--update", input=out.getvalue())
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.stderr
    assert rows(journal, "SELECT met FROM client WHERE name = 'Konrad Brandt'") == [(None,)]


CARD = """BEGIN:VCARD
VERSION:3.0
FN:Anna Berg
{dates}
END:VCARD
"""


@pytest.mark.parametrize(
    ("line", "topic", "text"),
    [
        ("BDAY:19700230", "birthday", "Birthday: 19700230"),
        ("BDAY:00000101", "birthday", "Birthday: 00000101"),
        ("BDAY;VALUE=text:circa 1800", "birthday", "Birthday: circa 1800"),
        ("ANNIVERSARY:19700230", "other", "Anniversary: 19700230"),
    ],
)
def test_an_unreadable_card_date_is_kept_as_a_fact(run, journal, line, topic, text):
    card = CARD.format(dates=line)
    result = run("import", "-", "--format", "vcf", input=card)
    assert result.exit_code == 0, result.output
    assert "1 date kept as a fact: rapport could not read it" in result.stderr
    assert rows(journal, "SELECT topic, text FROM fact") == [(topic, text)]
    assert rows(journal, "SELECT dates FROM client") == [("",)]
    before = snapshot(journal)  # the same address book again adds nothing
    again = run("import", "-", "--format", "vcf", input=card)
    assert again.exit_code == 0 and "1 unchanged" in again.stderr
    assert "kept as a fact" not in again.stderr
    assert snapshot(journal) == before


def test_readable_and_unreadable_card_dates_together(run, journal):
    card = CARD.format(dates="BDAY:1970-04-02\nitem1.X-ABDATE:not a day\n"
                       "item1.X-ABLabel:_$!<Anniversary>!$_\nANNIVERSARY:19700230")  # fmt: skip
    result = run("import", "-", "--format", "vcf", input=card)
    assert result.exit_code == 0, result.output
    assert "2 dates kept as facts: rapport could not read them" in result.stderr
    assert rows(journal, "SELECT dates FROM client") == [("birthday: 1970-04-02",)]
    assert sorted(rows(journal, "SELECT topic, text FROM fact")) == [
        ("other", "Anniversary: 19700230"), ("other", "Anniversary: not a day")
    ]  # fmt: skip


def test_log_with_archived_others_says_so_for_each(run, journal):
    for step in [
        ("add", "Anna Berg"),
        ("add", "Jana Müller"),
        ("add", "Emre Demir"),
        ("add", "Sophie Laurent"),
        ("archive", "Jana Müller"),
        ("archive", "demir"),
    ]:
        assert run(*step).exit_code == 0, step  # fmt: skip
    result = run("log", "anna", "Workshop", "--with", "Jana Müller", "--with", "demir",
                 "--with", "sophie")  # fmt: skip
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "is archived" in line]
    assert notes == [
        "Jana Müller is archived: logged all the same (unarchive brings them back)",
        "Emre Demir is archived: logged all the same (unarchive brings them back)",
    ]
    assert len(rows(journal, "SELECT * FROM interaction_client")) == 3


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


VCARD = "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Berg\nEND:VCARD\n"


@pytest.mark.parametrize("via", ["--db", "RAPPORT_DB"])
@pytest.mark.parametrize(
    ("args", "given"),
    [
        (("add", "Anna Berg"), None),
        (("log", "Anna Berg", "hello", "--create"), None),
        (("import", "-", "--format", "vcf"), VCARD),
        (("import", "-"), "records"),
    ],
)
def test_a_new_journal_is_private(run, tmp_path, umask_022, via, args, given):
    records = run("--db", str(tmp_path / "source.db"), "add", "Jana Müller")
    assert records.exit_code == 0
    if given == "records":
        given = run("--db", str(tmp_path / "source.db"), "export").stdout
    path = tmp_path / "new" / "journal.db"
    if via == "--db":
        result = run("--db", str(path), *args, input=given)
    else:
        result = run(*args, input=given, env={"RAPPORT_DB": str(path)})
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "chmod" not in result.stderr  # no warning about its own file
    again = run("--db", str(path), "clients")
    assert again.exit_code == 0 and "chmod" not in again.stderr


def test_demo_writes_a_private_file(run, tmp_path, umask_022):
    path = tmp_path / "demo.db"
    assert run("demo", str(path)).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run("demo", str(path), "--force").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
