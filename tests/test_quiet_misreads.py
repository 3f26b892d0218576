"""Inputs that rapport used to take and quietly turn into something else.

A phone's vCard 2.1, a byte-order mark from Notepad or Excel, `fact X -`, a filter that
matches no one, an editor's comment marker: each is read as the person meant it, or
refused with one line and the journal untouched (the refusals are in test_bad_input.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import rapport_process, rows, run_in_terminal, snapshot

BOM = b"\xef\xbb\xbf"

# As Android's contacts app exports a card: vCard 2.1, quoted-printable UTF-8, long values
# broken with `=` at the end of a line, the next line going on without a blank.
ANDROID = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller-L=C3=BCdenscheid;J=C3=B6rg;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller-L=C3=BCdensch=\r\n"
    "eid\r\n"
    "TEL;CELL:+49 170 1234567\r\n"
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:B=C3=A4ckerei & Konditorei Wei=C3=9F =\r\n"
    "GmbH\r\n"
    "TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gesch=C3=A4fts=\r\n"
    "f=C3=BChrer\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0A=\r\n"
    " zweite\r\n"
    "END:VCARD\r\n"
)
# As a Nokia phone writes one: Latin-1 bytes, the bare QUOTED-PRINTABLE parameter.
NOKIA = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Wei=DF;Hanne\r\n"
    "FN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Hanne Wei=DF\r\n"
    "ORG;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Gr=FCnkohl=\r\n"
    " & S=F6hne\r\n"
    "BDAY:19700314\r\n"
    "END:VCARD\r\n"
)


def clients(journal):
    return rows(journal, "SELECT name, company, role, phone FROM client ORDER BY name")


# -- vCard 2.1 ----------------------------------------------------------------------------


def test_a_phones_vcard_21_with_soft_line_breaks(run, journal, tmp_path):
    cards = tmp_path / "phone.vcf"
    cards.write_bytes((ANDROID + NOKIA).encode("utf-8"))
    result = run("import", str(cards))
    assert result.exit_code == 0, result.output
    assert "2 new" in result.stderr
    assert clients(journal) == [
        ("Hanne Weiß", "Grünkohl & Söhne", None, None),
        ("Jörg Müller-Lüdenscheid", "Bäckerei & Konditorei Weiß GmbH", "Geschäftsführer",
         "mobile: +49 170 1234567"),
    ]  # fmt: skip
    birthdays = rows(journal, "SELECT dates FROM client WHERE dates != ''")
    assert birthdays == [("birthday: 1970-03-14",)]


def test_a_soft_line_break_that_looks_like_the_end_of_the_card(run, journal):
    """The line after `=` goes on with the value, even when it reads END:VCARD."""
    card = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ann\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:Her card ends with=0D=0A=\r\n"
        "END:VCARD\r\n"
        "END:VCARD\r\n"
    )
    result = run("import", "-f", "vcf", "-", input=card)
    assert result.exit_code == 0, result.output
    assert [name for name, *_ in clients(journal)] == ["Ann"]


# -- a byte-order mark --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "vcf"])
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_a_byte_order_mark_before_an_import(run, journal, tmp_path, fmt, where):
    body = {
        "jsonl": '{"type":"client","uuid":"0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f","name":"Ann"}\n',
        "csv": "type,uuid,name\r\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,Ann\r\n",
        "vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n",
    }[fmt]
    data = BOM + body.encode()
    if where == "file":
        dump = tmp_path / f"bom.{fmt}"
        dump.write_bytes(data)
        result = run("import", str(dump))
    else:
        result = run("import", "-f", fmt, "-", input=data)
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT name FROM client") == [("Ann",)]


@pytest.mark.parametrize(
    "args",
    [["log", "brandt", "-"], ["log", "brandt"], ["fact", "brandt", "-"], ["fact", "brandt"],
     ["impression", "brandt", "-"], ["impression", "brandt"]],
    ids=" ".join,
)  # fmt: skip
def test_a_byte_order_mark_on_stdin_is_not_text(run, journal, args):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run(*args, input=BOM + b"Sails a folkboat\n")
    assert result.exit_code == 0, result.output
    texts = rows(
        journal,
        "SELECT note FROM interaction UNION ALL SELECT text FROM fact "
        "UNION ALL SELECT text FROM impression",
    )
    assert texts == [("Sails a folkboat",)]


# -- fact and impression read their text as log does --------------------------------------


def test_fact_dash_reads_stdin_as_log_does(run, journal):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run("fact", "brandt", "-", "--topic", "hobby", input="Sails a folkboat\n")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT topic, text FROM fact") == [("hobby", "Sails a folkboat")]


def test_impression_reads_piped_stdin_without_a_text(run, journal):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run("impression", "brandt", "--score", "2", input="Keeps his word")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT text, score FROM impression") == [("Keeps his word", 2)]


def fake_editor(folder: Path, script: str) -> Path:
    """An $EDITOR: a shell script run with the file to edit as $1."""
    editor = folder / "editor"
    editor.write_text(script)
    editor.chmod(0o755)
    return editor


def test_fact_without_text_at_a_terminal_opens_the_editor(run, journal, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    editor = fake_editor(tmp_path, "#!/bin/sh\nprintf 'Likes jazz\\n' > \"$1\"\n")
    code, output = run_in_terminal(["fact", "brandt"], b"", {"EDITOR": str(editor)})
    assert code == 0, output
    assert rows(journal, "SELECT text FROM fact") == [("Likes jazz",)]


def test_fact_for_nobody_fails_before_the_editor_opens(run, journal, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    opened = tmp_path / "opened"
    editor = fake_editor(tmp_path, f"#!/bin/sh\ntouch {opened}\nprintf 'lost\\n' > \"$1\"\n")
    before = snapshot(journal)
    code, output = run_in_terminal(["fact", "nobody"], b"", {"EDITOR": str(editor)})
    assert code == 2, output
    assert "no client matches 'nobody'" in output
    assert not opened.exists()
    assert snapshot(journal) == before


# -- the editor ---------------------------------------------------------------------------


def test_a_note_line_starting_with_hash_survives_the_editor(run, journal, tmp_path):
    """`edit` puts the note in the template; its `# agenda` line is not a comment."""
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("log", "brandt", "# agenda\n- boat\n- budget").exit_code == 0
    # The editor changes one line and keeps all the others.
    editor = fake_editor(tmp_path, '#!/bin/sh\nsed -i "3s/$/ 2027/" "$1"\n')
    short = rows(journal, "SELECT uuid FROM interaction")[0][0][:8]
    code, output = run_in_terminal(["edit", short], b"", {"EDITOR": str(editor)})
    assert code == 0, output
    assert rows(journal, "SELECT note FROM interaction") == [("# agenda\n- boat\n- budget 2027",)]


def test_an_editor_that_saves_a_byte_order_mark(run, journal, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    editor = fake_editor(
        tmp_path, "#!/bin/sh\nprintf '\\357\\273\\277Written in Notepad\\n' > \"$1\"\n"
    )
    code, output = run_in_terminal(["log", "brandt"], b"", {"EDITOR": str(editor)})
    assert code == 0, output
    assert rows(journal, "SELECT note FROM interaction") == [("Written in Notepad",)]


def test_an_editor_that_saves_latin_1_is_refused(run, journal, tmp_path):
    assert run("add", "Konrad Brandt").exit_code == 0
    editor = fake_editor(tmp_path, "#!/bin/sh\nprintf 'Gr\\374\\337e\\n' > \"$1\"\n")
    before = snapshot(journal)
    code, output = run_in_terminal(["log", "brandt"], b"", {"EDITOR": str(editor)})
    assert code == 2, output
    assert "the editor saved the note in another encoding than UTF-8 (byte 3)" in output
    assert "unexpected" not in output
    assert snapshot(journal) == before


# -- filters that match no one ------------------------------------------------------------


def test_clients_with_a_tag_nobody_has(run):
    assert run("add", "Konrad Brandt", "--tag", "vip").exit_code == 0
    result = run("clients", "--tag", "nomatch")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "No client has the tag 'nomatch'.\n"
    as_json = run("clients", "--json", "--tag", "nomatch")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == []


def test_search_says_where_it_looked(run):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("log", "brandt", "hello", "--at", "2026-01-05 10:00").exit_code == 0
    result = run("search", "hello", "--client", "brandt", "--since", "2026-02-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Nothing found for 'hello' about 'brandt' since 2026-02-01."


def test_a_vcard_from_stdin_is_reported_as_stdin(run):
    result = run("import", "-f", "vcf", "-", input="BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Imported stdin: 1 new")


# -- other programs' CSV -------------------------------------------------------------------


def test_excels_true_and_false_are_read(run, journal):
    csv = "type,uuid,name,archived\r\nclient,0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f,Ann,TRUE\r\n"
    result = run("import", "-f", "csv", "-", input=csv)
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT name, archived FROM client") == [("Ann", 1)]


def test_a_real_process_with_a_bom_on_stdin(journal):
    """The same through a pipe into a real process, as `type note.txt | rapport log` is."""
    assert rapport_process("add", "Konrad Brandt").returncode == 0
    done = rapport_process("log", "brandt", input=BOM + b"From Notepad")
    assert done.returncode == 0, done.stderr
    assert rows(journal, "SELECT note FROM interaction") == [("From Notepad",)]


def test_a_csv_saved_again_by_a_german_excel(run, tmp_path):
    """Semicolons, a byte-order mark and TRUE/FALSE: what Excel writes in German."""
    import csv
    import io

    assert run("add", "Konrad Brandt", "--company", "Brandt; Vogel", "-t", "vip").exit_code == 0
    assert run("log", "brandt", "Lunch, then a walk; long", "--kind", "lunch").exit_code == 0
    exported = run("export", "-f", "csv").stdout
    german = io.StringIO()
    writer = csv.writer(german, delimiter=";", lineterminator="\r\n")
    for row in csv.reader(io.StringIO(exported, newline="")):
        writer.writerow([{"true": "TRUE", "false": "FALSE"}.get(cell, cell) for cell in row])
    assert "FALSE" in german.getvalue()
    dump = tmp_path / "excel.csv"
    dump.write_bytes(BOM + german.getvalue().encode("utf-8"))
    other = str(tmp_path / "other.db")
    result = run("--db", other, "import", str(dump))
    assert result.exit_code == 0, result.output
    assert run("--db", other, "export").stdout == run("export").stdout


def test_crlf_from_a_windows_pipe_is_a_line_end(run, journal):
    assert run("add", "Konrad Brandt").exit_code == 0
    assert run("log", "brandt", input=b"line one\r\nline two\r\n").exit_code == 0
    assert rows(journal, "SELECT note FROM interaction") == [("line one\nline two",)]


def test_a_vcard_company_on_two_lines_is_kept_on_one(run, journal):
    card = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ann\r\n"
        "ORG;ENCODING=QUOTED-PRINTABLE:Brandt=0D=0A& Vogel;Sales\r\n"
        "TITLE:  Head  of   Sales \r\nEND:VCARD\r\n"
    )
    assert run("import", "-f", "vcf", "-", input=card).exit_code == 0
    assert clients(journal) == [("Ann", "Brandt & Vogel, Sales", "Head of Sales", None)]
