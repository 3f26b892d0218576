"""`rapport log`: right after a call, from an argument, a pipe or $EDITOR."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import rapport_process, rows, run_in_terminal, snapshot


@pytest.fixture
def brandt(run):
    result = run("add", "Konrad Brandt", "--company", "Brandt & Vogel")
    assert result.exit_code == 0, result.output


def interactions(journal: Path) -> list[tuple]:
    return rows(journal, "SELECT kind, note, mood, tags FROM interaction ORDER BY id")


def test_log_with_note_argument(run, journal, brandt):
    result = run("log", "brandt", "Lunch; he sails", "--kind", "lunch", "--mood", "2")
    assert result.exit_code == 0, result.output
    assert interactions(journal) == [("lunch", "Lunch; he sails", 2, "")]
    assert "Logged lunch with Konrad Brandt" in result.stderr


def test_negative_mood_and_tags(run, journal, brandt):
    result = run(
        "log", "brandt", "Tense call", "-k", "call", "--mood", "-2", "--tag", "Rates", "-t", "q1"
    )
    assert result.exit_code == 0, result.output
    assert interactions(journal) == [("call", "Tense call", -2, "q1,rates")]


def test_note_from_stdin_in_process(run, journal, brandt):
    result = run("log", "brandt", input="Met at the fair.\nHe asked about us.\n")
    assert result.exit_code == 0, result.output
    assert interactions(journal)[0][1] == "Met at the fair.\nHe asked about us."


def test_note_piped_from_another_process(journal, brandt):
    echo = subprocess.Popen(["printf", "Piped note über Segeln\\n"], stdout=subprocess.PIPE)
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "log", "brandt", "--kind", "call"],
        stdin=echo.stdout,
        capture_output=True,
        timeout=60,
    )
    echo.wait()
    assert done.returncode == 0, done.stderr
    assert interactions(journal) == [("call", "Piped note über Segeln", None, "")]


def test_dash_reads_stdin(run, journal, brandt):
    result = run("log", "brandt", "-", input="from a dash")
    assert result.exit_code == 0, result.output
    assert interactions(journal)[0][1] == "from a dash"


@pytest.mark.parametrize("note", ["", "   \n\t "])
def test_empty_note_aborts_and_writes_nothing(run, journal, brandt, note):
    before = snapshot(journal)
    result = run("log", "brandt", input=note)
    assert result.exit_code == 2
    assert result.stderr == "rapport: empty note; nothing written\n"
    assert snapshot(journal) == before


def test_nul_byte_in_note_is_refused(run, journal, brandt):
    before = snapshot(journal)
    result = run("log", "brandt", input="a\x00b")
    assert result.exit_code == 2
    assert "NUL" in result.stderr
    assert snapshot(journal) == before


def test_invalid_utf8_on_stdin_is_refused(run, journal, brandt):
    before = snapshot(journal)
    result = run("log", "brandt", input=b"caf\xe9")
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr
    assert snapshot(journal) == before


def test_unknown_client_suggests_close_names_and_writes_nothing(run, journal, brandt):
    before = snapshot(journal)
    result = run("log", "Brant", "a note")  # a typo: not a prefix or substring
    assert result.exit_code == 2
    assert result.stderr == "rapport: no client matches 'Brant'; did you mean Konrad Brandt?\n"
    assert snapshot(journal) == before


def test_create_flag_adds_the_client(run, journal):
    result = run("log", "Ayşe Demir", "First call", "--create", "--kind", "call")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT name FROM client") == [("Ayşe Demir",)]
    assert "Added Ayşe Demir" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--kind", "dinner", "unknown kind 'dinner'"),
        ("--mood", "3", "--mood must be between -2 and +2"),
        ("--at", "the day after never", "cannot read the date"),
        ("--due", "someday maybe", "cannot read the date"),
        ("--tag", "a,b", "bad tag"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(run, journal, brandt, option, value, message):
    before = snapshot(journal)
    args = ["log", "brandt", "note", option, value]
    if option == "--due":
        args += ["--follow-up", "send it"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(journal) == before


def test_due_without_follow_up_is_refused(run, journal, brandt):
    result = run("log", "brandt", "note", "--due", "friday")
    assert result.exit_code == 2
    assert "--due needs --follow-up" in result.stderr


def stored_at(journal: Path) -> datetime:
    (value,) = rows(journal, "SELECT at FROM interaction")[0]
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def test_at_iso_is_local_time_stored_as_utc(run, journal, brandt):
    result = run("log", "brandt", "note", "--at", "2026-03-01 13:00")
    assert result.exit_code == 0, result.output
    # TZ is Europe/Berlin in the tests: 13:00 in winter is 12:00 UTC.
    assert rows(journal, "SELECT at FROM interaction") == [("2026-03-01 12:00:00.000000",)]


@pytest.mark.parametrize(
    ("words", "days_back"),
    [("yesterday 15:00", 1), ("gestern 15:00", 1), ("3 days ago", 3), ("vor 3 Tagen", 3)],
)
def test_at_natural_language_english_and_german(run, journal, brandt, words, days_back):
    result = run("log", "brandt", "note", "--at", words)
    assert result.exit_code == 0, result.output
    local_day = stored_at(journal).astimezone().date()
    assert local_day == datetime.now().astimezone().date() - timedelta(days=days_back)


def test_at_last_friday_is_a_past_friday(run, journal, brandt):
    result = run("log", "brandt", "note", "--at", "last friday")
    assert result.exit_code == 0, result.output
    moment = stored_at(journal).astimezone()
    assert moment.weekday() == 4
    assert timedelta(0) < datetime.now().astimezone() - moment <= timedelta(days=8)


def test_future_date_needs_the_flag(run, journal, brandt):
    before = snapshot(journal)
    result = run("log", "brandt", "planned", "--at", "in 3 days")
    assert result.exit_code == 2
    assert "in the future; pass --future" in result.stderr
    assert snapshot(journal) == before
    result = run("log", "brandt", "planned", "--at", "in 3 days", "--future")
    assert result.exit_code == 0, result.output
    assert stored_at(journal) > datetime.now(timezone.utc) + timedelta(days=2)


def test_follow_up_is_linked_to_the_interaction(run, journal, brandt):
    result = run(
        "log", "brandt", "lunch", "--follow-up", "Send the media plan", "--due", "2099-01-02"
    )
    assert result.exit_code == 0, result.output
    assert rows(
        journal,
        "SELECT f.text, f.due, f.done_at, i.note FROM follow_up f "
        "JOIN interaction i ON i.id = f.interaction_id",
    ) == [("Send the media plan", "2099-01-02", None, "lunch")]
    assert "Follow-up: Send the media plan, due 2099-01-02" in result.stderr


def test_markup_in_a_note_is_stored_and_shown_literally(run, journal, brandt):
    note = "[red]not red[/] [bold]x :smile:"
    assert run("log", "brandt", note).exit_code == 0
    assert interactions(journal)[0][1] == note
    shown = run("show", "brandt")
    assert note in shown.stdout


# -- interactive: a real terminal through a pseudo-terminal ------------------------------


@pytest.fixture
def editor_script(tmp_path: Path) -> Path:
    script = tmp_path / "fake-editor"
    script.write_text(
        "#!/bin/sh\nprintf 'Written in the editor\\n# a comment line\\nsecond line\\n' > \"$1\"\n"
    )
    script.chmod(0o755)
    return script


def test_note_from_editor_when_interactive(journal, brandt, editor_script):
    code, output = run_in_terminal(["log", "brandt"], b"", {"EDITOR": str(editor_script)})
    assert code == 0, output
    assert interactions(journal)[0][1] == "Written in the editor\nsecond line"


def test_editor_left_empty_aborts(journal, brandt, tmp_path):
    empty_editor = tmp_path / "empty-editor"
    empty_editor.write_text("#!/bin/sh\nexit 0\n")  # keeps only the comment template
    empty_editor.chmod(0o755)
    before = snapshot(journal)
    code, output = run_in_terminal(["log", "brandt"], b"", {"EDITOR": str(empty_editor)})
    assert code == 2
    assert "empty note; nothing written" in output
    assert snapshot(journal) == before


def test_interactive_unknown_client_offers_to_create(journal, brandt):
    # yes, then Enter skips the first impression asked of a new client
    code, output = run_in_terminal(["log", "Sophie Laurent", "Met at a fair"], b"y\n\n", {})
    assert code == 0, output
    assert "Add 'Sophie Laurent' as a new client?" in output
    assert rows(journal, "SELECT name FROM client ORDER BY id")[-1] == ("Sophie Laurent",)


def test_interactive_unknown_client_declined_writes_nothing(journal, brandt):
    before = snapshot(journal)
    code, output = run_in_terminal(["log", "Sophie Laurent", "Met at a fair"], b"n\n", {})
    assert code == 2
    assert "no client matches 'Sophie Laurent'" in output
    assert snapshot(journal) == before


def test_non_interactive_unknown_client_does_not_prompt(journal, brandt):
    done = rapport_process("log", "Sophie", "note", input=b"")
    assert done.returncode == 2
    assert b"[y/N]" not in done.stderr


def test_an_editor_that_fails_is_a_runtime_failure(journal, brandt, tmp_path):
    failing = tmp_path / "failing-editor"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    before = snapshot(journal)
    code, output = run_in_terminal(["log", "brandt"], b"", {"EDITOR": str(failing)})
    assert code == 1
    assert "the editor exited with status 3; nothing written" in output
    assert snapshot(journal) == before
