"""What a journal holds reaches the terminal only as text: control and bidi characters are
spelled out (`\\x1b`, `\\u202e`), SVG and HTML stay well-formed, JSON and exports keep the
exact text. Output is not padded, survives any COLUMNS, and NO_COLOR means no escape codes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from conftest import (
    rapport_process,
    run_in_terminal,
    snapshot,
    write_behind,
)

# Clear the screen and turn red, ring the bell, an 8-bit CSI, a right-to-left override, an
# isolate and a mark: each changes what a terminal shows when printed raw.
EVIL = "\x1b[2J\x1b[31m\x07\x9b1m\u202eevil\u2066\u200f"
SHOWN = "\\x1b[2J\\x1b[31m\\x07\\x9b1m\\u202eevil\\u2066\\u200f"
NAME, COMPANY, ROLE, AUTHOR = f"Eve {EVIL}Ross", f"Acme{EVIL}", f"Boss{EVIL}", f"Ann{EVIL}"
NOTE = f"Kaffee {EVIL} bei\nzweite Zeile\tmit Tab"
# Whatever a terminal would act on: C0 except tab and newline, DEL, C1, bidi controls.
WIDE = {"COLUMNS": "400"}  # the spelled-out text on one line, for the asserts
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def evil(run, journal):
    """A client whose name, company, role and author hold EVIL, and notes that do (tags are
    words: checked since the first version)."""
    steps = [
        ("add", "Eve Placeholder", "--company", "Placeholder", "--every", "1w"),
        ("add", "Eva Other"),
        ("log", "placeholder", NOTE, "--kind", "call", "--at", "2025-03-01 10:00",
         "--follow-up", f"Send {EVIL} plan", "--due", "2025-03-05"),
        ("impression", "placeholder", f"First {EVIL}", "--score", "-2", "--at", "2025-03-01"),
        ("impression", "placeholder", f"Later {EVIL}", "--score", "2", "--at", "2025-04-01"),
        ("fact", "placeholder", f"Sails {EVIL}", "--topic", "hobby", "--at", "2025-03-02"),
    ]  # fmt: skip
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    write_behind(
        journal,
        "UPDATE client SET name = ?, company = ?, role = ?, tags = ? WHERE name = ?",
        NAME, COMPANY, ROLE, "sailing,vip", "Eve Placeholder",
    )  # fmt: skip
    write_behind(journal, "UPDATE interaction SET author = ?", AUTHOR)


def _safe(text: str) -> None:
    assert not RAW.search(text), ascii(text)
    assert "\x1b" not in text  # piped: not even a colour code


@pytest.mark.parametrize(
    "args",
    [["show", "ross"], ["clients"], ["due"], ["drift"], ["stats"], ["search", "kaffee"],
     ["search", "sails"], ["show", "ross", "--limit", "0"]],
)  # fmt: skip
def test_every_view_spells_out_control_characters(run, evil, args):
    result = run(*args, env=WIDE)
    assert result.exit_code == 0, result.output
    _safe(result.output)
    assert SHOWN in result.stdout, result.stdout


def test_the_briefing_shows_each_field_safely_and_keeps_a_note_s_lines(run, evil):
    # Two authors, so the timeline names them.
    assert run("log", "ross", "from someone else", "--at", "2025-03-03 09:00").exit_code == 0
    out = run("show", "ross", env=WIDE).stdout
    _safe(out)
    fields = [f"Eve {SHOWN}Ross", f"Boss{SHOWN}, Acme{SHOWN}", "#sailing #vip", f"First {SHOWN}",
              f"Later {SHOWN}", f"Sails {SHOWN}", f"Send {SHOWN}"]  # fmt: skip
    for field in fields:
        assert field in out, (field, out)
    assert "Ann\\x1b" in out  # the author column, cut to its width
    # The note keeps its line break and its tab where the timeline wraps it.
    assert f"Kaffee {SHOWN} bei" in out
    assert re.search(r"\n +zweite Zeile +mit Tab", out), out


def test_messages_on_stderr_spell_out_control_characters(run, evil):
    said = [
        run("log", "ross", f"again {EVIL}"),
        run("todo", "ross", f"Call {EVIL}"),
        run("fact", "ross", "x", "--topic", "family"),
        run("impression", "ross", "y"),
    ]
    for result in said:
        assert result.exit_code == 0, result.output
        _safe(result.stderr)
    assert f"Logged note with Eve {SHOWN}Ross" in said[0].stderr
    assert f"Follow-up for Eve {SHOWN}Ross: Call {SHOWN}" in said[1].stderr
    follow_up = re.search(r"\[([0-9a-f]{8})\]", said[1].stderr).group(1)
    done = run("done", follow_up)
    assert done.exit_code == 0 and f"Done: Call {SHOWN} (Eve {SHOWN}Ross)" in done.stderr


def test_an_error_naming_stored_text_spells_it_out(run, evil, journal):
    before = snapshot(journal)
    result = run("show", "ev")  # Eve … and Eva: ambiguous, and the error lists both
    assert result.exit_code != 0
    assert result.stderr.startswith("rapport: ")
    _safe(result.stderr)
    assert SHOWN in result.stderr
    refused = run("forget", "ross")  # not at a terminal: asks for --yes, naming the client
    assert refused.exit_code == 2 and SHOWN in refused.stderr
    _safe(refused.stderr)
    assert snapshot(journal) == before


def test_saved_pictures_are_well_formed(run, evil, tmp_path):
    for args in (["show", "ross"], ["drift"], ["stats"]):
        svg, html = tmp_path / f"{args[0]}.svg", tmp_path / f"{args[0]}.html"
        result = run(*args, "--svg", str(svg), "--html", str(html))
        assert result.exit_code == 0, result.output
        ET.parse(svg)  # raises on a character XML does not allow
        page = html.read_text(encoding="utf-8")
        text = _html_text(page)
        assert not RAW.search(svg.read_text(encoding="utf-8")) and not RAW.search(page)
        if args[0] != "stats":  # stats names nobody's notes
            assert "evil" in text and "\\u202e" in text, text


def _html_text(page: str) -> str:
    parts: list[str] = []

    class Collect(HTMLParser):
        def handle_data(self, data: str) -> None:
            parts.append(data)

    parser = Collect(convert_charrefs=True)
    parser.feed(page)
    parser.close()
    return "".join(parts)


def test_the_svg_title_holds_what_was_typed_safely(run, evil, tmp_path):
    svg = tmp_path / "show.svg"
    assert run("show", "Eve \x1b", "--svg", str(svg)).exit_code == 0
    ET.parse(svg)
    assert "\\x1b" in svg.read_text(encoding="utf-8")


def test_json_and_exports_keep_the_exact_text(run, evil, journal, tmp_path, monkeypatch):
    for args in (["show", "ross", "--json"], ["clients", "--json"], ["search", "kaffee", "--json"]):
        out = run(*args).stdout
        assert not RAW.search(out), ascii(out)  # JSON escapes them: \u001b, \u202e …
        assert "\\u001b" in out and "\\u202e" in out
    brief = json.loads(run("show", "ross", "--json").stdout)
    assert brief["client"]["name"] == NAME and brief["client"]["company"] == COMPANY
    assert NOTE in [entry.get("note") for entry in brief["timeline"]]
    exported = run("export").stdout
    assert json.dumps(NAME, ensure_ascii=False)[1:-1] in exported
    # Names are one line of plain text now: an older journal's name with controls is kept
    # and exported as it is, but no journal takes it in again.
    copy = tmp_path / "copy.db"
    refused = run("--db", str(copy), "import", "-", input=exported)
    assert refused.exit_code == 2 and "holds the control character U+001B" in refused.stderr
    assert not copy.exists()
    # Notes, impressions, facts and follow-ups: read into a new journal and exported again,
    # the same text, byte for byte.
    write_behind(
        journal, "UPDATE client SET name = 'Eve Ross', company = NULL, role = NULL WHERE name = ?",
        NAME,
    )  # fmt: skip
    write_behind(journal, "UPDATE interaction SET author = 'Eve'")
    first = run("export").stdout
    assert json.dumps(NOTE, ensure_ascii=False)[1:-1] in first
    monkeypatch.setenv("RAPPORT_DB", str(copy))
    imported = run("import", "-", input=first)
    assert imported.exit_code == 0, imported.stderr
    again = run("export").stdout
    assert again == first


def _plain_lines(args: list[str], **env: str) -> list[str]:
    result = rapport_process(*args, input=b"", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode("utf-8").splitlines()


@pytest.mark.parametrize(
    "args", [["show", "ross"], ["clients"], ["drift"], ["stats"], ["due"], ["search", "kaffee"]]
)
def test_piped_output_is_not_padded(evil, args):
    lines = _plain_lines(args)
    assert len(lines) > 1
    padded = [line for line in lines if line != line.rstrip()]
    assert not padded, padded


def test_a_columns_that_is_no_width_falls_back_to_80(evil):
    for columns in ("0", "-5", "abc", "", "1e3"):
        lines = _plain_lines(["show", "ross"], COLUMNS=columns)
        assert any("Timeline" in line for line in lines), columns
        assert max(len(line) for line in lines) == 80, columns  # the panels span the width


def test_a_huge_columns_is_clamped(evil):
    lines = _plain_lines(["show", "ross"], COLUMNS="99999999")
    assert any("Timeline" in line for line in lines)
    assert 100 < max(len(line) for line in lines) <= 1000


def test_no_color_piped_means_no_escape_codes_at_all(evil):
    forced = "\n".join(_plain_lines(["show", "ross"], FORCE_COLOR="1"))
    assert re.search(r"\x1b\[1m", forced)  # bold, without NO_COLOR: the check below can fail
    for args in (["show", "ross"], ["clients"], ["drift"], ["stats"], ["due"]):
        out = "\n".join(_plain_lines(args, FORCE_COLOR="1", NO_COLOR="1"))
        assert "\x1b" not in out, (args, ascii(out))


def test_at_a_terminal_only_style_codes_reach_it(evil):
    code, out = run_in_terminal(["show", "ross"], b"", {"NO_COLOR": ""})
    assert code == 0, out
    assert SHOWN in out
    codes = re.findall(r"\x1b[^m]*m?", out)
    assert codes and all(re.fullmatch(r"\x1b\[[0-9;]*m", c) for c in codes), codes
    assert not RAW.search(re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r", "")), ascii(out)


def test_no_color_at_a_terminal_means_plain_text(evil):
    code, out = run_in_terminal(["show", "ross"], b"", {"NO_COLOR": "1"})
    assert code == 0, out
    assert "Timeline" in out and SHOWN in out
    assert "\x1b" not in out, ascii(out)


# -- markdown ---------------------------------------------------------------------------

STRUCTURE = [
    "First line\n# Not a heading\n> not a quote\n- not an item\n1. not a list\n===",
    "Before\n---\n```\nnot code\n    not indented code either",
    "<script>alert(1)</script> and <!-- not a comment",
    "a | b | c\n|---|---|\n| 1 | 2 |",
    "*not em* _nor this_ **nor** `code` [link](x) ![img](y) &amp; AT&T jana_m@x.de",
    "+ not a list\n2) nor this\n  ## indented heading\n\npara after a blank line",
]


def _markdown_texts(document: str) -> tuple[list[str], set[str]]:
    """Each paragraph's text as markdown-it reads it (breaks as newlines), and the kinds of
    block the document holds."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(document)
    texts = []
    for token in tokens:
        if token.type != "inline":
            continue
        text = ""
        for child in token.children or []:
            if child.type in ("text", "code_inline", "html_inline"):
                text += child.content if child.type == "text" else f"<{child.type}>"
            elif child.type in ("hardbreak", "softbreak"):
                text += "\n"
        texts.append(text)
    return texts, {token.type for token in tokens}


def test_markdown_renders_each_note_as_its_exact_text(run):
    assert run("add", "Konrad Brandt", "--company", "# Firma <b>").exit_code == 0
    for index, note in enumerate(STRUCTURE):
        at = f"2025-03-0{index + 1} 10:00"
        assert run("log", "brandt", note, "--at", at).exit_code == 0
    assert run("fact", "brandt", STRUCTURE[0], "--topic", "hobby").exit_code == 0
    assert run("todo", "brandt", STRUCTURE[1]).exit_code == 0
    assert run("impression", "brandt", STRUCTURE[2], "--score", "1").exit_code == 0
    document = run("export", "-f", "markdown").stdout
    texts, blocks = _markdown_texts(document)
    allowed = {"heading_open", "heading_close", "paragraph_open", "paragraph_close", "inline"}
    allowed |= {"bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close"}
    assert blocks <= allowed, blocks - allowed
    for note in STRUCTURE:
        assert any(text.endswith(f"note: {note}") for text in texts), (note, texts)
    assert "Konrad Brandt" in texts and "# Firma <b>" in texts
    assert any(text.startswith(f"hobby: {STRUCTURE[0]} (") for text in texts), texts
    assert any(text.startswith(f"[ ] {STRUCTURE[1]}") for text in texts), texts


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "markdown"])
def test_an_export_shown_on_a_terminal_cannot_act_on_it(evil, fmt):
    """Piped or saved, an export keeps the exact text; on a terminal a person reads it."""
    from conftest import run_in_terminal

    code, output = run_in_terminal(["export", "-f", fmt], b"", {})
    assert code == 0, output
    # A pty turns "\n" into "\r\n"; nothing else of the note may reach the screen raw.
    assert not RAW.search(output.replace("\r\n", "\n").replace("\t", " ")), ascii(output)
    spelled = "\\u001b" if fmt in ("jsonl", "json") else "\\x1b"
    assert spelled in output


def test_an_export_to_dash_is_stdout(run, evil):
    assert run("export", "-o", "-").stdout == run("export").stdout
