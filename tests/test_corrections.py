"""edit, rm, rename and merge: people make typos and duplicates."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import rows, snapshot


@pytest.fixture
def story(run, journal):
    for step in [
        ("add", "Konrad Brant", "--company", "Brandt & Vogel", "-t", "agency"),
        ("log", "brant", "Lunch", "--kind", "lunch", "--at", "2025-03-01 12:00", "--mood", "1"),
        ("impression", "brant", "Restless", "--score", "-2", "--at", "2025-03-01 18:00"),
        ("fact", "brant", "Sails", "--topic", "hobby"),
        ("todo", "brant", "Send plan", "--due", "2099-01-01"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def uuid_of(journal, table: str) -> str:
    return rows(journal, f"SELECT uuid FROM {table} LIMIT 1")[0][0]


def test_edit_an_interaction(run, journal, story):
    short = uuid_of(journal, "interaction")[:8]
    result = run("edit", short, "--note", "Dinner", "--kind", "event", "--mood", "2",
                 "--at", "2025-03-02 19:00")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT note, kind, mood, at FROM interaction") == [
        ("Dinner", "event", 2, "2025-03-02 18:00:00.000000")
    ]
    assert "Changed the event of 2025-03-02 (Konrad Brant)" in result.stderr


def test_edit_impression_fact_and_follow_up(run, journal, story):
    assert (
        run(
            "edit", uuid_of(journal, "impression")[:6], "--score", "-1", "--text", "Nervous"
        ).exit_code
        == 0
    )
    assert rows(journal, "SELECT text, score FROM impression") == [("Nervous", -1)]
    assert run("edit", uuid_of(journal, "fact")[:6], "--topic", "interest").exit_code == 0
    assert rows(journal, "SELECT topic FROM fact") == [("interest",)]
    assert run("edit", uuid_of(journal, "follow_up")[:6], "--due", "2099-02-03").exit_code == 0
    assert rows(journal, "SELECT due FROM follow_up") == [("2099-02-03",)]


@pytest.mark.parametrize(
    ("table", "args", "message"),
    [
        ("fact", ("--mood", "1"), "--mood does not apply to the hobby detail"),
        ("impression", ("--kind", "call"), "--kind does not apply to the first impression"),
        ("interaction", ("--score", "1"), "--score does not apply to the lunch"),
        ("interaction", ("--mood", "5"), "--mood must be between -2 and +2"),
        ("interaction", ("--at", "in 3 days"), "is in the future"),
        ("interaction", (), "nothing to change"),
    ],
)  # fmt: skip
def test_edit_refuses_what_does_not_fit(run, journal, story, table, args, message):
    before = snapshot(journal)
    result = run("edit", uuid_of(journal, table)[:8], *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert snapshot(journal) == before


def test_rm_asks_and_yes_skips_the_question(run, journal, story):
    short = uuid_of(journal, "interaction")[:8]
    before = snapshot(journal)
    result = run("rm", short)  # not at a terminal: needs --yes
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert snapshot(journal) == before
    result = run("rm", short, "--yes")
    assert result.exit_code == 0
    assert result.stderr == "Removed the lunch of 2025-03-01 (Konrad Brant)\n"
    assert rows(journal, "SELECT count(*) FROM interaction") == [(0,)]
    # The follow-up that came from it stays, no longer linked.
    assert rows(journal, "SELECT count(*) FROM follow_up") == [(1,)]


def test_removing_the_first_impression_promotes_the_next(run, journal, story):
    assert run("impression", "brant", "Warmer", "--score", "1").exit_code == 0
    (first,) = rows(journal, "SELECT uuid FROM impression WHERE stage = 'first'")[0]
    assert run("rm", first[:8], "-y").exit_code == 0
    assert rows(journal, "SELECT text, stage FROM impression") == [("Warmer", "first")]


def test_rename(run, journal, story):
    result = run("rename", "brant", "Konrad Brandt")
    assert result.exit_code == 0
    assert result.stderr == "Renamed Konrad Brant to Konrad Brandt\n"
    assert rows(journal, "SELECT name FROM client") == [("Konrad Brandt",)]
    assert run("add", "Jana Müller", "--company", "Brandt & Vogel").exit_code == 0
    before = snapshot(journal)
    clash = run("rename", "jana", "konrad brandt")
    assert clash.exit_code == 2 and "rapport merge" in clash.stderr
    assert snapshot(journal) == before


def test_merge_moves_everything_and_keeps_the_earlier_first_impression(run, journal, story):
    for step in [
        ("add", "Konrad Brandt", "--email", "k@example.com", "-t", "key"),
        ("impression", "konrad brandt", "Warm", "--score", "1", "--at", "2025-05-01"),
        ("log", "konrad brandt", "Call", "--at", "2025-05-02"),
    ]:
        assert run(*step).exit_code == 0
    result = run("merge", "konrad brant", "konrad brandt", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Merged Konrad Brant into Konrad Brandt: 1 interaction, 1 impression, 1 fact, 1 follow-up\n"
    )
    assert rows(journal, "SELECT name, company, email, tags FROM client") == [
        ("Konrad Brandt", "Brandt & Vogel", "k@example.com", "agency,key")
    ]
    assert rows(journal, "SELECT text, stage FROM impression ORDER BY at") == [
        ("Restless", "first"), ("Warm", "later")
    ]  # fmt: skip
    assert rows(journal, "SELECT count(*) FROM interaction") == [(2,)]


def test_merge_refuses_the_same_client_and_asks(run, journal, story):
    same = run("merge", "brant", "Konrad", "--yes")
    assert same.exit_code == 2 and "are the same client" in same.stderr
    run("add", "Other")
    before = snapshot(journal)
    result = run("merge", "other", "brant")
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert snapshot(journal) == before


def test_merge_keeps_the_first_impression_of_the_client_kept_when_it_is_earlier(
    run, journal, story
):
    for step in [
        ("add", "K. Brant"),
        ("impression", "k. brant", "Warm", "--score", "1", "--at", "2025-05-01"),
    ]:
        assert run(*step).exit_code == 0
    assert run("merge", "k. brant", "konrad brant", "--yes").exit_code == 0
    assert rows(journal, "SELECT text, stage FROM impression ORDER BY at") == [
        ("Restless", "first"), ("Warm", "later")
    ]  # fmt: skip
    assert rows(journal, "SELECT name FROM client") == [("Konrad Brant",)]


@pytest.mark.parametrize("command", ["rm", "merge"])
def test_the_question_is_asked_and_no_keeps_everything(run, journal, story, command):
    from conftest import run_in_terminal

    assert run("add", "K. Brant").exit_code == 0
    args = ["rm", uuid_of(journal, "interaction")[:8]]
    if command == "merge":
        args = ["merge", "k. brant", "konrad brant"]
    before = snapshot(journal)
    code, output = run_in_terminal(args, b"n\n", {})
    assert code == 1 and "nothing written" in output, output
    assert snapshot(journal) == before
    code, output = run_in_terminal(args, b"y\n", {})
    assert code == 0, output
    assert snapshot(journal) != before
    if command == "merge":  # each named with its id: a namesake cannot be mistaken
        assert re.search(
            r"Move everything of K\. Brant \[[0-9a-f]{8}\] into Konrad Brant "
            r"\(Brandt & Vogel\) \[[0-9a-f]{8}\] and delete K\. Brant\?",
            output,
        )


def test_ambiguous_and_unknown_ids(run, journal, story):
    result = run("edit", "0000", "--note", "x")
    assert result.exit_code == 2 and "has the id '0000'" in result.stderr
    # Two entries whose ids begin alike, brought in by an import.
    lines = run("export", "--type", "interaction").stdout.splitlines()
    record = json.loads(lines[1])
    twins = [{**record, "uuid": f"abcd{n}000-0000-4000-8000-000000000000"} for n in (1, 2)]
    imported = run("import", "-", input="\n".join([lines[0]] + [json.dumps(t) for t in twins]))
    assert imported.exit_code == 0, imported.output
    before = snapshot(journal)
    result = run("edit", "abcd", "--note", "x")
    assert result.exit_code == 2 and "the id 'abcd' is ambiguous" in result.stderr
    assert snapshot(journal) == before
    assert run("edit", "abcd1", "--note", "x").exit_code == 0


def test_edit_without_options_opens_the_editor_on_the_text(run, journal, story, tmp_path):
    from conftest import run_in_terminal

    editor = tmp_path / "editor"
    # Keep the old text, add a line: proves the editor was given the current note.
    editor.write_text('#!/bin/sh\nsed -i "1s/$/ at the harbour/" "$1"\n')
    editor.chmod(0o755)
    short = uuid_of(journal, "interaction")[:8]
    code, output = run_in_terminal(["edit", short], b"", {"EDITOR": str(editor)})
    assert code == 0, output
    assert rows(journal, "SELECT note FROM interaction") == [("Lunch at the harbour",)]


QUOTED = 'Dwayne "The Rock" O\'Neil $HOME'  # an apostrophe, quotes and a dollar


def test_the_merge_hint_is_a_command_a_shell_runs_as_written(run, journal):
    assert run("add", QUOTED, "--company", "Rock & Co").exit_code == 0
    assert run("add", "Dwayne Johnson", "--company", "Rock & Co").exit_code == 0
    assert run("log", "Dwayne Johnson", "Lunch at the harbour").exit_code == 0
    before = snapshot(journal)
    clash = run("rename", "Dwayne Johnson", QUOTED)
    assert clash.exit_code == 2 and snapshot(journal) == before
    command = clash.stderr.rstrip("\n").split("to join the two: ")[1]
    assert command == "rapport merge 'Dwayne Johnson' 'Dwayne \"The Rock\" O'\"'\"'Neil $HOME'"
    words = subprocess.run(  # what sh makes of it
        ["sh", "-c", f"set -- {command}; printf '%s\\n' \"$@\""], capture_output=True, text=True
    ).stdout.splitlines()
    assert words == ["rapport", "merge", "Dwayne Johnson", QUOTED]
    merged = run(*words[1:], "--yes")
    assert merged.exit_code == 0, merged.output
    assert rows(journal, "SELECT name FROM client") == [(QUOTED,)]


def test_the_merge_hint_names_namesakes_by_id(run, journal):
    for company in ("X", "Y"):
        assert run("add", "Konrad Brandt", "--company", company).exit_code == 0
    assert run("add", "K. Brandt", "--company", "X").exit_code == 0
    x = rows(journal, "SELECT uuid FROM client WHERE company = 'X' ORDER BY id")[0][0]
    clash = run("rename", "K. Brandt", "Konrad Brandt")
    assert clash.exit_code == 2
    assert clash.stderr == (
        f"rapport: Konrad Brandt (X) [{x[:8]}] is already in the journal; "
        f"to join the two: rapport merge 'K. Brandt' {x[:8]}\n"
    )
