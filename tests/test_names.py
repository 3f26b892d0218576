"""Client names resolve forgivingly but never guess."""

from __future__ import annotations

import json
import re

import pytest

from conftest import rows, snapshot
from rapport.errors import BadInput
from rapport.names import Candidate, fold, resolve

PEOPLE = [
    Candidate(1, "Jana Müller", "Nordlicht Media"),
    Candidate(2, "Konrad Brandt", "Brandt & Vogel"),
    Candidate(3, "Anna Brauer", "Südwind"),
    Candidate(4, "Ann", None),
    Candidate(5, "Ayşe Demir", "Demir Design"),
]


@pytest.mark.parametrize(
    "query",
    [
        "Jana Müller",
        "jana müller",
        "JANA MUELLER",
        "jana muller",
        "Jana Mu\u0308ller",
        "müller",
        "Mueller",
        "MULLER",
        "Mu\u0308ller",
        "nordlicht",
    ],
)
def test_umlaut_accent_and_case_forms_all_find_mueller(query):
    assert resolve(query, PEOPLE).id == 1


def test_exact_name_wins_over_a_longer_prefix():
    assert resolve("ann", PEOPLE).id == 4


def test_unique_prefix():
    assert resolve("kon", PEOPLE).id == 2


def test_substring_of_company():
    assert resolve("vogel", PEOPLE).id == 2
    assert resolve("sudwind", PEOPLE).id == 3


def test_cedilla_folds():
    assert resolve("ayse", PEOPLE).id == 5


def test_ambiguous_lists_every_candidate():
    with pytest.raises(BadInput) as error:
        resolve("bra", PEOPLE)
    message = str(error.value)
    assert "'bra' matches 2 clients" in message
    assert "Konrad Brandt (Brandt & Vogel)" in message
    assert "Anna Brauer (Südwind)" in message


def test_unknown_suggests_close_matches():
    with pytest.raises(BadInput, match="did you mean Konrad Brandt"):
        resolve("Konrad Brant", PEOPLE)


def test_unknown_without_anything_close():
    with pytest.raises(BadInput) as error:
        resolve("zzzzzz", PEOPLE)
    assert str(error.value) == "no client matches 'zzzzzz'"


def test_fold():
    assert fold("  Jürgen   ÖZİL ") == "jurgen ozil"


def test_dotless_i_and_sharp_s_fold():
    people = [Candidate(1, "Ahmet Y\u0131lmaz", None), Candidate(2, "Jörg Weiß", None)]
    assert resolve("yilmaz", people).id == 1
    assert resolve("YILMAZ", people).id == 1
    assert resolve("weiss", people).id == 2
    assert fold("\u0130pek") == fold("ipek") == "ipek"


# -- through the command line, on either engine ---------------------------------------------

LISTED = re.compile(r"\[([0-9a-f-]{8,36})\]")


def uuid_of(journal, name: str, company: str | None = None) -> str:
    found = rows(journal, "SELECT uuid, company FROM client WHERE name = ?", name)
    return next(uuid for uuid, at in found if at == company)


def shown_name(run, query: str) -> tuple[str, str | None]:
    result = run("show", query, "--json")
    assert result.exit_code == 0, (query, result.output)
    client = json.loads(result.stdout)["client"]
    return client["name"], client["company"]


def test_an_exact_spelling_wins_over_a_folded_one(run, journal):
    assert run("add", "Jörg Weiß", "--company", "Acme").exit_code == 0
    assert run("add", "Joerg Weiss").exit_code == 0
    assert shown_name(run, "Joerg Weiss") == ("Joerg Weiss", None)
    assert shown_name(run, "Jörg Weiß") == ("Jörg Weiß", "Acme")
    assert shown_name(run, "Jo\u0308rg Weiß") == ("Jörg Weiß", "Acme")  # NFC first
    assert shown_name(run, "jörg  weiß") == ("Jörg Weiß", "Acme")  # then any case
    assert shown_name(run, "JOERG WEISS") == ("Joerg Weiss", None)
    assert shown_name(run, "Jörg Weiß (Acme)") == ("Jörg Weiß", "Acme")  # as messages print it


def test_every_ambiguity_lists_ids_that_work(run, journal):
    assert run("add", "Jörg Weiß", "--company", "Acme").exit_code == 0
    assert run("add", "Joerg Weiss").exit_code == 0
    result = run("show", "weiss")
    assert result.exit_code == 2
    weiss, joerg = uuid_of(journal, "Jörg Weiß", "Acme"), uuid_of(journal, "Joerg Weiss")
    assert result.stderr == (
        f"rapport: 'weiss' matches 2 clients: Joerg Weiss [{joerg[:8]}]; "
        f"Jörg Weiß (Acme) [{weiss[:8]}]; name one by its id\n"
    )
    listed = LISTED.findall(result.stderr)
    assert [shown_name(run, short)[0] for short in listed] == ["Joerg Weiss", "Jörg Weiß"]


def test_namesakes_at_two_companies_are_reached_by_id(run, journal):
    assert run("add", "Konrad Brandt", "--company", "X").exit_code == 0
    assert run("add", "Konrad Brandt", "--company", "Y").exit_code == 0
    result = run("show", "Konrad Brandt")
    assert result.exit_code == 2 and "name one by its id" in result.stderr
    x = uuid_of(journal, "Konrad Brandt", "X")
    for query in (x[:8], x[:13], x, x.upper()):
        assert shown_name(run, query) == ("Konrad Brandt", "X"), query


def test_every_command_that_names_a_client_takes_its_id(run, journal):
    for company in ("X", "Y"):
        assert run("add", "Konrad Brandt", "--company", company).exit_code == 0
    x, y = uuid_of(journal, "Konrad Brandt", "X")[:8], uuid_of(journal, "Konrad Brandt", "Y")[:8]
    for step in [
        ("log", x, "Lunch at the harbour", "--at", "2026-01-31 12:00"),
        ("impression", x, "Restless", "--score", "-1", "--at", "2026-01-31 13:00"),
        ("fact", x, "Sails a folkboat", "--topic", "hobby"),
        ("todo", x, "Send the plan"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    assert rows(journal, "SELECT c.company, count(*) FROM interaction i JOIN client c "
                "ON c.id = i.client_id GROUP BY c.company") == [("X", 1)]  # fmt: skip
    search = run("search", "folkboat", "--client", x, "--json")
    assert search.exit_code == 0 and len(json.loads(search.stdout)) == 1
    assert run("search", "folkboat", "--client", y, "--json").stdout.strip() == "[]"
    exported = run("export", "--client", x).stdout.splitlines()
    assert len(exported) == 6  # header, the client and four entries
    assert run("rename", y, "Konrad Brandt Junior").exit_code == 0
    assert run("rename", "Konrad Brandt Junior", "Konrad Brandt").exit_code == 0
    merged = run("merge", y, x, "--yes")
    assert merged.exit_code == 0, merged.output
    assert run("forget", x, "--yes").exit_code == 0
    assert rows(journal, "SELECT count(*) FROM client") == [(0,)]


def test_an_exact_name_wins_over_an_id_that_looks_like_it(run, journal):
    assert run("add", "Konrad Brandt").exit_code == 0
    brandt = uuid_of(journal, "Konrad Brandt")
    assert run("add", brandt[:8]).exit_code == 0  # a name that is Brandt's id
    assert shown_name(run, brandt[:8]) == (brandt[:8], None)
    assert shown_name(run, brandt[:10]) == ("Konrad Brandt", None)


def test_ids_that_share_eight_characters_are_listed_longer(run, journal):
    records = [{"type": "header", "format": 1}] + [
        {"type": "client", "uuid": f"12345678-{digit * 4}-4000-8000-000000000000", "name": name}
        for digit, name in (("a", "Anna Berg"), ("b", "Anna Brauer"))
    ]
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    assert run("import", "-", input=text).exit_code == 0
    result = run("show", "12345678")
    assert result.exit_code == 2
    assert "Anna Berg [12345678-a]; Anna Brauer [12345678-b]" in result.stderr
    assert shown_name(run, "12345678-b") == ("Anna Brauer", None)


def test_name_resolution_folds_dotless_i_and_sharp_s(run, journal):
    assert run("add", "Ahmet Y\u0131lmaz").exit_code == 0
    assert run("add", "Jörg Weiß").exit_code == 0
    assert run("add", "\u0130pek Öztürk").exit_code == 0
    assert shown_name(run, "yilmaz") == ("Ahmet Y\u0131lmaz", None)
    assert shown_name(run, "weiss") == ("Jörg Weiß", None)
    assert shown_name(run, "ipek") == ("\u0130pek Öztürk", None)


BAD = {
    "ESC in a name": (["add", "Bad\x1b[2JName"], "the client name 'Bad\\x1b[2JName'", "U+001B"),
    "BEL in a company": (["add", "Anna", "--company", "Firm\x07"], "company 'Firm\\x07'", "U+0007"),
    "C1 in a role": (["add", "Anna", "--role", "CEO\x9b"], "role 'CEO\\x9b'", "U+009B"),
    "RLO in a name": (["add", "Anna \u202egreB"], "'Anna \\u202egreB'", "bidi control U+202E"),
    "LRI in a company": (["add", "Anna", "-c", "A\u2066B"], "'A\\u2066B'", "U+2066"),
    "tab in a company": (["add", "Anna", "-c", "A\tB"], "company 'A\\tB'", "U+0009"),
    "ESC in an email": (["add", "Anna", "--email", "a@b\x1b"], "email 'a@b\\x1b'", "U+001B"),
    "a rename to ESC": (
        ["rename", "brandt", "Konrad\x1b Brandt"],
        "'Konrad\\x1b Brandt'",
        "U+001B",
    ),
    "ESC by --author": (
        ["--author", "Eve\x1b", "log", "brandt", "x"],
        "author (--author)",
        "U+001B",
    ),
    "201 characters": (["add", "A" * 201], "the client name is 201 characters long", "up to 200"),
    "a long company": (["add", "Anna", "-c", "A" * 201], "the company is 201 characters", "200"),
    "a long --author": (
        ["--author", "A" * 201, "log", "brandt", "x"],
        "author (--author) is",
        "200",
    ),
}


@pytest.mark.parametrize("args, shown, code", BAD.values(), ids=BAD.keys())
def test_control_characters_and_long_names_are_refused(run, journal, args, shown, code):
    assert run("add", "Konrad Brandt").exit_code == 0
    before = snapshot(journal)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("rapport: ") and result.stderr.count("\n") == 1
    assert shown in result.stderr and code in result.stderr
    assert not any(ch in result.stderr for ch in "\x1b\x07\x9b\t\u202e\u2066")  # never raw
    assert snapshot(journal) == before


def test_a_name_of_200_characters_and_joiners_are_fine(run, journal):
    assert run("add", "A" * 200).exit_code == 0
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined by ZWJ, a format char
    assert (
        run(
            "add",
            f"Nasrin {family}",
            "--company",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ).exit_code
        == 0
    )
    assert shown_name(run, "nasrin")[0] == f"Nasrin {family}"


def test_a_bad_rapport_author_is_refused_before_anything_is_written(run, journal, monkeypatch):
    assert run("add", "Konrad Brandt").exit_code == 0
    before = snapshot(journal)
    monkeypatch.setenv("RAPPORT_AUTHOR", "Eve \u202eevE")
    result = run("log", "brandt", "x")
    assert result.exit_code == 2
    assert result.stderr == (
        "rapport: the author ($RAPPORT_AUTHOR) 'Eve \\u202eevE' holds the bidi control U+202E; "
        "names, companies, roles and authors are one line of plain text; nothing written\n"
    )
    assert snapshot(journal) == before
