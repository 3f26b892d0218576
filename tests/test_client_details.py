"""A client's details change: several labelled e-mails and phones, dates that recur, how you
met; `add` takes them, `edit CLIENT` changes them (options or the card in $EDITOR), `show`,
export, import, vCard and merge carry them."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta

import pytest

from conftest import rows, run_in_terminal, snapshot

BRANDT = ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--email",
          "work:k.brandt@brandt-vogel.example", "--phone", "mobile:+49 170 5550123",
          "--birthday", "1969-04-02", "-t", "agency")  # fmt: skip


@pytest.fixture
def brandt(run, journal):
    result = run(*BRANDT)
    assert result.exit_code == 0, result.output
    return journal


def client_row(journal) -> tuple:
    return rows(journal, "SELECT email, phone, dates, met, tags, cadence_days FROM client")[0]


def exported_client(run) -> dict:
    lines = [json.loads(line) for line in run("export").stdout.splitlines()]
    return next(record for record in lines if record["type"] == "client")


# -- add ----------------------------------------------------------------------------------


def test_add_takes_labelled_emails_phones_dates_and_how_you_met(run, journal):
    result = run(
        "add", "Anna Berg", "--email", "work:anna@berg.example", "--email",
        "home: anna@mail.example", "--phone", "mobile:+49 170 1234567", "--phone",
        "+49 30 1234567", "--birthday", "--0402", "--date", "work anniversary:2015-06-01",
        "--met", "At the media fair",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert client_row(journal)[:4] == (
        "work: anna@berg.example\nhome: anna@mail.example",
        "mobile: +49 170 1234567\n+49 30 1234567",
        "birthday: --04-02\nwork anniversary: 2015-06-01",
        "At the media fair",
    )
    record = exported_client(run)
    assert record["email"] == "anna@berg.example"  # the single field stays the first value
    assert record["phone"] == "+49 170 1234567"
    assert record["emails"] == [
        {"label": "work", "value": "anna@berg.example"},
        {"label": "home", "value": "anna@mail.example"},
    ]
    assert record["phones"] == [
        {"label": "mobile", "value": "+49 170 1234567"},
        {"label": "", "value": "+49 30 1234567"},
    ]
    assert record["dates"] == [
        {"label": "birthday", "date": "--04-02"},
        {"label": "work anniversary", "date": "2015-06-01"},
    ]
    assert record["met"] == "At the media fair"


@pytest.mark.parametrize("birthday", ["1970-04-02", "04-02", "--0402"])
def test_birthday_forms(run, journal, birthday):
    assert run("add", "Anna Berg", "--birthday", birthday).exit_code == 0
    expected = "birthday: 1970-04-02" if birthday.startswith("1970") else "birthday: --04-02"
    assert client_row(journal)[2] == expected


BAD_DETAILS = [
    (("--email", "anna.berg.example"), "is not an e-mail address"),
    (("--phone", "+49 170 CALLME"), "is not a phone number"),
    (("--birthday", "02-30"), "02-30 is not a day of the calendar"),
    (("--birthday", "2026-13-01"), "2026-13-01 is not a day of the calendar"),
    (("--date", "2015-06-01"), "needs a label"),
    (("--date", "work/anniversary!:2015-06-01"), "bad label"),
    (("--email", "w@rk!:anna@berg.example"), "not an e-mail address"),
    (("--phone", "mob!le:+49 170 1"), "bad label"),
    (("--email", "work:anna@berg\x1b.example"), "'work:anna@berg\\x1b.example' holds the control"),
    (("--birthday", "2999-01-01"), "2999 is not a year the birthday can be in"),
    (("--date", "x:06-01", "--date", "x:07-01"), "two dates labelled 'x'; give one"),
    (("--date", "birthday:1970-04-02", "--birthday", "1970-04-03"), "two dates labelled"),
]


@pytest.mark.parametrize(("option", "message"), BAD_DETAILS)
def test_add_refuses_bad_details(run, journal, option, message):
    assert run("add", "Jana Müller").exit_code == 0
    before = snapshot(journal)
    result = run("add", "Anna Berg", *option)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(journal) == before


# -- edit CLIENT with options -------------------------------------------------------------


def test_edit_changes_details_and_says_what(run, brandt):
    result = run("edit", "brandt", "--email", "home:konrad@mail.example", "--birthday", "04-03")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Updated Konrad Brandt (Brandt & Vogel): e-mail, birthday\n"
    email, _, dates, *_ = client_row(brandt)
    assert email == "work: k.brandt@brandt-vogel.example\nhome: konrad@mail.example"
    assert dates == "birthday: --04-03"


def test_edit_every_option(run, brandt):
    result = run(
        "edit", "Konrad Brandt", "--name", "Konrad K. Brandt", "--company", "", "--role",
        "Managing director", "--remove-email", "K.Brandt@brandt-vogel.example", "--phone",
        "office:+49 40 555", "--remove-phone", "+49 170 5550123", "--tag", "key-account",
        "--untag", "agency", "--every", "3w", "--date", "founded:--03-15", "--met",
        "Media fair in Hamburg",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Updated Konrad K. Brandt: name, company, role, e-mail, phone, tags, cadence, dates, "
        "how you met\n"
    )
    assert rows(brandt, "SELECT name, company, role FROM client") == [
        ("Konrad K. Brandt", None, "Managing director")
    ]
    assert client_row(brandt) == (
        None, "office: +49 40 555", "birthday: 1969-04-02\nfounded: --03-15",
        "Media fair in Hamburg", "key-account", 21,
    )  # fmt: skip
    again = run("edit", "Konrad K. Brandt", "--every", "none", "--birthday", "none", "--met", "",
                "--remove-date", "founded")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert again.stderr == "Updated Konrad K. Brandt: cadence, birthday, dates, how you met\n"
    assert client_row(brandt)[2:] == ("", None, "key-account", None)


def test_adding_a_known_address_relabels_it(run, brandt):
    result = run("edit", "brandt", "--email", "office: K.Brandt@brandt-vogel.example")
    assert result.stderr == "Updated Konrad Brandt (Brandt & Vogel): e-mail\n"
    assert client_row(brandt)[0] == "office: K.Brandt@brandt-vogel.example"


def test_nothing_changed(run, brandt):
    before = snapshot(brandt)
    result = run("edit", "brandt", "--tag", "agency", "--birthday", "1969-04-02")
    assert result.exit_code == 0
    assert result.stderr == "Nothing changed for Konrad Brandt (Brandt & Vogel)\n"
    assert snapshot(brandt) == before


def test_a_client_by_its_short_id(run, brandt):
    short = rows(brandt, "SELECT uuid FROM client")[0][0][:8]
    result = run("edit", short, "--role", "CEO")
    assert result.exit_code == 0, result.output
    assert rows(brandt, "SELECT role FROM client") == [("CEO",)]


def test_an_archived_client_can_be_edited(run, journal, tmp_path):
    source = tmp_path / "archived.jsonl"
    source.write_text(
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"11111111-0000-4000-8000-000000000001","name":"Anna Berg",'
        '"archived":true}\n'
    )
    assert run("import", str(source)).exit_code == 0
    result = run("edit", "anna", "--every", "2w")
    assert result.exit_code == 0, result.output
    assert rows(journal, "SELECT cadence_days, archived FROM client") == [(14, True)]


BAD_EDITS = [
    (("--remove-email", "nobody@example.org"), "nobody@example.org is not among"),
    (("--remove-phone", "+1 555"), "+1 555 is not among"),
    (("--remove-date", "founded"), "has no date labelled 'founded'"),
    (("--email", "konrad at home"), "is not an e-mail address"),
    (("--phone", "call me"), "is not a phone number"),
    (("--phone", "+49 170\x07"), "'+49 170\\x07' holds the control character U+0007"),
    (("--birthday", "02-30"), "02-30 is not a day of the calendar"),
    (("--birthday", "2026-13-01"), "is not a day of the calendar"),
    (("--date", "--0315"), "needs a label"),
    (("--date", "found{ed}:03-15"), "bad label"),
    (("--every", "often"), "cannot read the cadence"),
    (("--tag", "#agency"), "bad tag"),
    (("--name", ""), "empty client name"),
    (("--role", "CEO", "--email", "ok@example.org", "--remove-email", "x@y.example"), "x@y"),
    (("--note", "text", "--role", "CEO"), "give one kind"),
    (("--untag", "nothere"), "Konrad Brandt has no tag 'nothere'"),
    (("--date", "x:06-01", "--date", "x:07-01"), "two dates labelled 'x'; give one"),
]


@pytest.mark.parametrize(("option", "message"), BAD_EDITS)
def test_edit_refuses_bad_input_and_writes_nothing(run, brandt, option, message):
    before = snapshot(brandt)
    result = run("edit", "brandt", *option)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(brandt) == before


def test_a_new_name_follows_rename_rules(run, brandt):
    assert run("add", "Jana Müller", "--company", "Brandt & Vogel").exit_code == 0
    before = snapshot(brandt)
    result = run("edit", "Konrad Brandt", "--name", "Jana Mueller")
    assert result.exit_code == 2
    assert "is already in the journal; to join the two: rapport merge" in result.stderr
    assert snapshot(brandt) == before


def test_entry_options_on_a_client_and_client_options_on_an_entry(run, brandt):
    assert run("log", "brandt", "Call").exit_code == 0
    entry = rows(brandt, "SELECT uuid FROM interaction")[0][0][:8]
    before = snapshot(brandt)
    on_client = run("edit", "brandt", "--mood", "1")
    assert on_client.exit_code == 2
    assert "'brandt' is a client; --note, --at" in on_client.stderr
    on_entry = run("edit", entry, "--email", "a@b.example")
    assert on_entry.exit_code == 2
    assert "is an entry id" in on_entry.stderr
    assert snapshot(brandt) == before
    assert run("edit", entry, "--note", "Long call").exit_code == 0  # entries as before


def test_an_argument_both_entry_and_client_is_ambiguous(run, journal, tmp_path):
    client = "abcdef12-0000-4000-8000-000000000001"
    entry = "abcdef12-0000-4000-8000-000000000002"
    lines = [
        {"type": "header", "format": 1},
        {"type": "client", "uuid": client, "name": "Konrad Brandt"},
        {"type": "interaction", "uuid": entry, "client_uuid": client,
         "at": "2025-01-01T10:00:00+00:00", "kind": "call", "note": "Call"},
    ]  # fmt: skip
    source = tmp_path / "both.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run("import", str(source)).exit_code == 0
    before = snapshot(journal)
    result = run("edit", "abcdef12", "--role", "CEO")
    assert result.exit_code == 2
    assert "'abcdef12' is ambiguous: the id of the call of 2025-01-01" in result.stderr
    assert f"({entry}) and the client Konrad Brandt ({client}); give the whole id" in result.stderr
    assert snapshot(journal) == before
    assert run("edit", client, "--role", "CEO").exit_code == 0
    assert run("edit", entry, "--note", "Long call").exit_code == 0
    assert rows(journal, "SELECT role FROM client") == [("CEO",)]
    assert rows(journal, "SELECT note FROM interaction") == [("Long call",)]


def test_no_option_without_a_terminal_asks_for_options(run, brandt):
    before = snapshot(brandt)
    result = run("edit", "brandt")
    assert result.exit_code == 2
    assert "nothing to change; give options (--email" in result.stderr
    assert snapshot(brandt) == before


# -- edit CLIENT in $EDITOR ---------------------------------------------------------------


def editor(tmp_path, *cards: str | None) -> dict[str, str]:
    """An $EDITOR that writes the n-th card on its n-th call (None: leaves the file as it
    is) and keeps what it was shown in seen-1, seen-2, …"""
    script = tmp_path / "editor.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"base = pathlib.Path({str(tmp_path)!r})\n"
        f"cards = json.loads({json.dumps(json.dumps(list(cards)))})\n"
        "calls = base / 'calls'\n"
        "n = int(calls.read_text()) + 1 if calls.exists() else 1\n"
        "calls.write_text(str(n))\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "(base / f'seen-{n}').write_text(path.read_text(encoding='utf-8'), encoding='utf-8')\n"
        "card = cards[n - 1] if n <= len(cards) else ''\n"
        "if card is not None:\n"
        "    path.write_text(card, encoding='utf-8')\n"
    )
    return {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}


CARD = """\
# Konrad Brandt's card. Lines starting with # are ignored; an empty value clears the field.
# Add lines as needed: email home: …, phone mobile: …, date founded: 1998-03-15
name: Konrad Brandt
company: Brandt & Vogel
role: Managing director
email work: k.brandt@brandt-vogel.example
email home: konrad@mail.example
phone mobile: +49 170 5550123
tags: agency, key-account
every: 3w
birthday: 1969-04-02
date work anniversary: 2015-06-01
met: Media fair in Hamburg, introduced by Jana
"""


def test_the_card_in_the_editor(brandt, tmp_path):
    code, output = run_in_terminal(["edit", "brandt"], b"", editor(tmp_path, CARD))
    assert code == 0, output
    assert (
        "Updated Konrad Brandt (Brandt & Vogel): role, e-mail, tags, cadence, dates, how you met"
        in output
    )
    shown = (tmp_path / "seen-1").read_text()
    assert shown == (
        "# Konrad Brandt's card. Lines starting with # are ignored; an empty value clears "
        "the field.\n# Add lines as needed: email home: …, phone mobile: …, date founded: "
        "1998-03-15\nname: Konrad Brandt\ncompany: Brandt & Vogel\nrole: \n"
        "email work: k.brandt@brandt-vogel.example\nphone mobile: +49 170 5550123\n"
        "tags: agency\nevery: \nbirthday: 1969-04-02\nmet: \n"
    )
    assert client_row(brandt) == (
        "work: k.brandt@brandt-vogel.example\nhome: konrad@mail.example",
        "mobile: +49 170 5550123",
        "birthday: 1969-04-02\nwork anniversary: 2015-06-01",
        "Media fair in Hamburg, introduced by Jana",
        "agency,key-account",
        21,
    )


def test_an_unchanged_card_changes_nothing(brandt, tmp_path):
    before = snapshot(brandt)
    code, output = run_in_terminal(["edit", "brandt"], b"", editor(tmp_path, None))
    assert code == 0, output
    assert "Nothing changed for Konrad Brandt (Brandt & Vogel)" in output
    assert snapshot(brandt) == before


def test_a_card_keeps_what_it_cannot_say(run, journal, tmp_path):
    """An older e-mail column of two addresses survives a card saved unchanged; a note of two
    lines, a card changed elsewhere."""
    source = tmp_path / "old.jsonl"
    source.write_text(
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"11111111-0000-4000-8000-000000000001","name":"Anna Berg",'
        '"email":"a@berg.example, b@berg.example","met":"At the fair,\\nby the coffee"}\n'
    )
    assert run("import", str(source)).exit_code == 0
    before = snapshot(journal)
    code, output = run_in_terminal(["edit", "anna"], b"", editor(tmp_path, None))
    assert code == 0, output
    assert "Nothing changed for Anna Berg" in output
    assert snapshot(journal) == before
    card = (tmp_path / "seen-1").read_text()
    (tmp_path / "calls").unlink()
    role = card.replace("role: \n", "role: Buyer\n")
    # Only what the user changed is read: the old e-mail line, untouched, is no obstacle.
    code, output = run_in_terminal(["edit", "anna"], b"", editor(tmp_path, role))
    assert "Updated Anna Berg: role" in output, output
    assert rows(journal, "SELECT role, email, met FROM client") == [
        ("Buyer", "a@berg.example, b@berg.example", "At the fair,\nby the coffee")
    ]
    (tmp_path / "calls").unlink()
    # Two addresses on one line are not one e-mail: once touched, the editor says so.
    touched = role.replace(", b@berg.example", ",  b@berg.example ,x")
    split = role.replace(", b@berg.example", "\nemail: b@berg.example")
    code, output = run_in_terminal(["edit", "anna"], b"", editor(tmp_path, touched, split))
    assert "Updated Anna Berg: e-mail" in output, output
    assert (tmp_path / "seen-2").read_text().startswith("# ERROR: line 6: 'a@berg.example,")
    assert rows(journal, "SELECT role, email, met FROM client") == [
        ("Buyer", "a@berg.example\nb@berg.example", "At the fair,\nby the coffee")
    ]


def script_editor(tmp_path, body: str) -> dict[str, str]:
    """An $EDITOR running `body` (Python, with `path` the card's file and `rapport(*args)`
    a run of rapport in another process)."""
    script = tmp_path / "script_editor.py"
    script.write_text(
        "import pathlib, subprocess, sys\n"
        "path = pathlib.Path(sys.argv[1])\n"
        f"def rapport(*args):\n"
        f"    subprocess.run([{sys.executable!r}, '-m', 'rapport', *args], check=True,\n"
        "                   stdin=subprocess.DEVNULL, capture_output=True)\n" + body
    )
    return {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}


def test_a_card_writes_only_what_changed_on_it(brandt, tmp_path):
    """A change made by another command while the card is open is kept: saving the card
    writes the fields changed on it, not the whole card as it was shown."""
    body = (
        "rapport('edit', 'brandt', '--phone', 'office:+49 40 555', '--every', '5w',\n"
        "        '--birthday', '04-03', '--met', 'At the fair')\n"
        "text = path.read_text()\n"
        "path.write_text(text.replace('role: ', 'role: Managing director'))\n"
    )
    code, output = run_in_terminal(["edit", "brandt"], b"", script_editor(tmp_path, body))
    assert code == 0, output
    assert "Updated Konrad Brandt (Brandt & Vogel): role" in output
    assert rows(brandt, "SELECT role, phone, cadence_days, dates, met FROM client") == [(
        "Managing director", "mobile: +49 170 5550123\noffice: +49 40 555", 35,
        "birthday: --04-03", "At the fair",
    )]  # fmt: skip


def test_a_client_gone_while_the_card_was_open(brandt, tmp_path):
    body = (
        "rapport('forget', 'brandt', '--yes')\n"
        "path.write_text(path.read_text().replace('role: ', 'role: CEO'))\n"
    )
    code, output = run_in_terminal(["edit", "brandt"], b"", script_editor(tmp_path, body))
    assert code == 1, output
    assert "the client is no longer in the journal (merged or forgotten while the card was " \
        "open); nothing changed" in " ".join(output.split())  # fmt: skip
    assert "Traceback" not in output and "unexpected" not in output


def test_an_editor_that_removes_the_file(brandt, tmp_path):
    before = snapshot(brandt)
    code, output = run_in_terminal(
        ["edit", "brandt"], b"", script_editor(tmp_path, "path.unlink()\n")
    )
    assert code == 1, output
    assert "the editor removed rapport-" in output and "unexpected" not in output
    assert snapshot(brandt) == before


def test_a_card_closed_with_its_error_unchanged_stops(brandt, tmp_path):
    """The user who quits the editor after an error is not shown the card for ever."""
    before = snapshot(brandt)
    body = (
        "text = path.read_text()\n"
        "if '# ERROR' not in text:\n"
        "    path.write_text(text + 'favourite colour: blue\\n')\n"
    )
    code, output = run_in_terminal(["edit", "brandt"], b"", script_editor(tmp_path, body))
    assert code == 1, output
    assert "unknown field 'favourite'" in output
    assert "the card was left as it was, nothing changed" in " ".join(output.split())
    assert snapshot(brandt) == before


def test_every_none_on_the_card_clears_the_cadence(run, brandt, tmp_path):
    assert run("edit", "brandt", "--every", "3w").exit_code == 0
    body = "path.write_text(path.read_text().replace('every: 3w', 'every: none'))\n"
    code, output = run_in_terminal(["edit", "brandt"], b"", script_editor(tmp_path, body))
    assert code == 0, output
    assert client_row(brandt)[5] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("date x: 06-01\ndate x: 07-01", "line 9: two dates labelled 'x'; give one"),
        ("tags: agency, key account", "line 8: bad tag 'key account'"),
    ],
)
def test_a_card_refuses_what_options_refuse(brandt, tmp_path, change, message):
    before = snapshot(brandt)
    seen = tmp_path / "seen-error"
    body = (
        "text = path.read_text()\n"
        "if '# ERROR' in text:\n"
        f"    pathlib.Path({str(seen)!r}).write_text(text)\n"
        "    path.write_text('')\n"
        "else:\n"
        f"    path.write_text(text.replace('tags: agency', {change!r}))\n"
    )
    code, output = run_in_terminal(["edit", "brandt"], b"", script_editor(tmp_path, body))
    assert code == 1, output
    assert "the card is empty; nothing changed" in output
    assert seen.read_text().startswith(f"# ERROR: {message}")
    assert snapshot(brandt) == before


def test_an_emptied_card_aborts(brandt, tmp_path):
    before = snapshot(brandt)
    code, output = run_in_terminal(["edit", "brandt"], b"", editor(tmp_path, "# all gone\n"))
    assert code == 1, output
    assert "the card is empty; nothing changed" in output
    assert snapshot(brandt) == before


def test_an_error_reopens_the_editor_with_the_message(brandt, tmp_path):
    wrong = CARD.replace("email home:", "emial home:")
    code, output = run_in_terminal(["edit", "brandt"], b"", editor(tmp_path, wrong, CARD))
    assert code == 0, output
    second = (tmp_path / "seen-2").read_text()
    assert second.startswith("# ERROR: line 7: unknown field 'emial'; a card has name, company")
    assert "emial home: konrad@mail.example" in second  # what the user wrote is kept
    assert "Updated Konrad Brandt" in output
    assert client_row(brandt)[0].endswith("home: konrad@mail.example")


def test_an_error_then_an_emptied_card_writes_nothing(brandt, tmp_path):
    before = snapshot(brandt)
    bad = CARD.replace("birthday: 1969-04-02", "birthday: 02-30")
    code, output = run_in_terminal(["edit", "brandt"], b"", editor(tmp_path, bad, ""))
    assert code == 1, output
    assert (
        (tmp_path / "seen-2")
        .read_text()
        .startswith("# ERROR: line 11: 02-30 is not a day of the calendar (the birthday)")
    )
    assert snapshot(brandt) == before


# -- show ---------------------------------------------------------------------------------


def test_show_header_lists_details_and_coming_dates(run, journal):
    today = datetime.now().astimezone().date()
    soon = today + timedelta(days=5)
    years = 57 if (soon.month, soon.day) != (2, 29) else 56
    born = date(
        soon.year - years, soon.month, soon.day if (soon.month, soon.day) != (2, 29) else 28
    )
    tomorrow = today + timedelta(days=1)
    result = run(
        "add", "Anna Berg", "--email", "work:anna@berg.example", "--email", "anna@mail.example",
        "--phone", "mobile:+49 170 1234567", "--birthday", born.isoformat(), "--date",
        f"founded:{tomorrow:%m-%d}", "--date", f"work anniversary:{today.year - 11}-{today:%m-%d}",
        "--met", "Media fair in Hamburg",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = " ".join(run("show", "anna").stdout.split())
    assert "work: anna@berg.example · anna@mail.example mobile: +49 170 1234567" in shown
    assert f"birthday {soon.day} {soon:%B}, in 5 days, turns {years}" in shown
    assert f"founded {tomorrow.day} {tomorrow:%B}, tomorrow ·" in shown
    assert f"work anniversary {today.day} {today:%B}, today, 11 years" in shown
    assert "met: Media fair in Hamburg" in shown


def test_show_and_clients_json_carry_the_lists(run, brandt):
    shown = json.loads(run("show", "brandt", "--json").stdout)["client"]
    listed = json.loads(run("clients", "--json").stdout)[0]
    for record in (shown, listed):
        assert record["emails"] == [{"label": "work", "value": "k.brandt@brandt-vogel.example"}]
        assert record["phones"] == [{"label": "mobile", "value": "+49 170 5550123"}]
        assert record["dates"] == [{"label": "birthday", "date": "1969-04-02"}]
        assert record["met"] is None


# -- export and import --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_lists_round_trip(run, brandt, tmp_path, fmt):
    assert run("edit", "brandt", "--email", "+49@odd.example", "--phone", "-49 30 1", "--date",
               "founded:--03-15", "--met", "On a train\nto Hamburg").exit_code == 0  # fmt: skip
    first = run("export").stdout
    out = tmp_path / f"journal.{fmt}"
    assert run("export", "--format", fmt, "--output", str(out)).exit_code == 0
    same = run("import", str(out))
    assert "0 unchanged" not in same.stderr and "0 updated" in same.stderr, same.output
    assert run("edit", "brandt", "--remove-email", "+49@odd.example", "--remove-phone",
               "-49 30 1", "--birthday", "none", "--met", "").exit_code == 0  # fmt: skip
    assert run("import", str(out), "--update").exit_code == 0
    assert run("export").stdout == first


def test_an_old_record_with_email_alone_still_imports(run, journal, tmp_path):
    source = tmp_path / "old.jsonl"
    source.write_text(
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"11111111-0000-4000-8000-000000000001","name":"Anna Berg",'
        '"email":"anna@berg.example","phone":"+49 30 1"}\n'
    )
    assert run("import", str(source)).exit_code == 0
    record = exported_client(run)
    assert record["emails"] == [{"label": "", "value": "anna@berg.example"}]
    assert record["phones"] == [{"label": "", "value": "+49 30 1"}]
    assert record["dates"] == [] and record["met"] is None


BAD_RECORDS = [
    (
        '"email":"a@x.example","emails":[{"label":"work","value":"b@x.example"}]',
        "field 'email' is 'a@x.example', but the first of 'emails' is 'b@x.example'",
    ),
    (
        '"emails":[{"label":"work","value":"b@x.example","pref":1}]',
        "field 'emails' must be a list of objects with the keys label and value",
    ),
    ('"phones":"+49 30 1"', "field 'phones' must be a list"),
    ('"emails":[{"label":"Work","value":"b@x.example"}]', "labels are lower case"),
    ('"dates":[{"label":"birthday","date":"02-30"}]', "02-30 is not a day of the calendar"),
    ('"dates":[{"label":"","date":"1970-01-01"}]', "a date without a label"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_RECORDS)
def test_bad_lists_in_an_import(run, journal, tmp_path, fields, message):
    assert run("add", "Jana Müller").exit_code == 0
    before = snapshot(journal)
    source = tmp_path / "bad.jsonl"
    source.write_text(
        '{"type":"header","format":1}\n'
        '{"type":"client","uuid":"11111111-0000-4000-8000-000000000001","name":"Anna Berg",'
        f"{fields}}}\n"
    )
    result = run("import", str(source))
    assert result.exit_code == 2, result.output
    assert f"line 2: the record {message}" in result.stderr or message in result.stderr
    assert snapshot(journal) == before


# -- vCard and merge ----------------------------------------------------------------------

CARDS = """BEGIN:VCARD
VERSION:3.0
FN:Jörg Müller
EMAIL;TYPE=WORK,INTERNET:joerg@nordlicht.example
EMAIL;TYPE=HOME:jm@private.example
TEL;TYPE=CELL:+49 170 1234567
TEL;TYPE=VOICE:+49 40 555
BDAY:1970-03-14
ANNIVERSARY:20100505
item1.X-ABDATE;type=pref:2015-06-01
item1.X-ABLabel:_$!<Work Anniversary>!$_
item2.EMAIL;type=INTERNET:joerg@club.example
item2.X-ABLabel:Sailing club
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Sophie Laurent
BDAY:--0521
item1.X-ABDATE:1604-03-15
item1.X-ABLabel:founded
END:VCARD
"""


def test_vcard_labels_and_dates(run, journal, tmp_path):
    cards = tmp_path / "contacts.vcf"
    cards.write_text(CARDS)
    result = run("import", str(cards))
    assert result.exit_code == 0, result.output
    assert "2 new, 0 updated, 0 unchanged clients; 5 dates noted" in result.stderr
    assert rows(journal, "SELECT email, phone, dates FROM client ORDER BY name") == [
        ("work: joerg@nordlicht.example\nhome: jm@private.example\n"
         "sailing club: joerg@club.example", "mobile: +49 170 1234567\n+49 40 555",
         "birthday: 1970-03-14\nanniversary: 2010-05-05\nwork anniversary: 2015-06-01"),
        (None, None, "birthday: --05-21\nfounded: --03-15"),
    ]  # fmt: skip
    again = run("import", str(cards))
    assert "0 new, 0 updated, 2 unchanged clients; 0 dates noted" in again.stderr


def test_vcard_adds_to_an_existing_client_without_erasing(run, journal, tmp_path):
    assert run("add", "Jörg Müller", "--email", "old@nordlicht.example", "--birthday",
               "1970-03-13").exit_code == 0  # fmt: skip
    cards = tmp_path / "contacts.vcf"
    cards.write_text(CARDS)
    assert "1 new, 1 updated" in run("import", str(cards)).stderr
    email, _, dates, *_ = rows(journal, "SELECT email, phone, dates FROM client ORDER BY name")[0]
    assert email.startswith("old@nordlicht.example\nwork: joerg@nordlicht.example")
    assert dates.startswith("birthday: 1970-03-14\n")  # the address book is the source


def test_merge_keeps_what_the_kept_client_lacks(run, journal):
    assert run("add", "Konrad Brandt", "--email", "work:k@bv.example", "--birthday",
               "1969-04-02").exit_code == 0  # fmt: skip
    assert run("add", "K. Brandt", "--email", "home:k@home.example", "--email",
               "private:K@BV.example", "--phone", "+49 1", "--birthday", "04-03", "--date",
               "founded:--03-15", "--met", "At a fair").exit_code == 0  # fmt: skip
    assert run("merge", "K. Brandt", "Konrad Brandt", "--yes").exit_code == 0
    assert client_row(journal)[:4] == (
        "work: k@bv.example\nhome: k@home.example",
        "+49 1",
        "birthday: 1969-04-02\nfounded: --03-15",
        "At a fair",
    )


def test_a_birthday_in_the_future_is_refused(run, journal):
    tomorrow = datetime.now().astimezone().date() + timedelta(days=1)
    before = snapshot(journal)
    result = run("add", "Anna Berg", "--birthday", tomorrow.isoformat())
    assert result.exit_code == 2
    assert "is in the future (the birthday)" in result.stderr or "not a year" in result.stderr
    assert snapshot(journal) == before


def test_an_id_that_is_neither_an_entry_nor_a_client(run, brandt):
    before = snapshot(brandt)
    result = run("edit", "93d7", "--company", "Y")
    assert result.exit_code == 2
    assert result.stderr == (
        "rapport: no entry has the id '93d7', and no client's name or id matches it\n"
    )
    assert snapshot(brandt) == before


def test_an_email_pasted_from_a_link(run, brandt):
    assert run("edit", "brandt", "--email", "mailto:k@home.example").exit_code == 0
    assert client_row(brandt)[0].endswith("\nk@home.example")
