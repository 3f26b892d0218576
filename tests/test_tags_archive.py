"""Tags that come back out (show, search, export, clients, completion) and archived clients."""

from __future__ import annotations

import json

import pytest

from conftest import rapport_process, rows, snapshot


@pytest.fixture
def story(run):
    for step in [
        ("add", "Konrad Brandt", "--company", "Brandt & Vogel", "--every", "3w", "-t", "agency"),
        ("add", "Jana Müller", "--every", "2w"),
        ("add", "Ole Berg"),
        ("log", "brandt", "Workshop on the Q1 budget", "--tag", "budgetq1", "--tag", "Workshop",
         "--at", "2025-03-04 10:00", "--follow-up", "Send the plan", "--due", "2025-03-10"),
        ("log", "brandt", "Lunch, talked about sailing", "--kind", "lunch",
         "--at", "2025-05-01 12:00", "--follow-up", "Book the boat", "--due", "2025-05-10"),
        ("log", "muller", "Budget call", "--kind", "call", "--tag", "budgetq1",
         "--at", "2025-04-01 09:00"),
        ("log", "muller", "Other budget, next year", "--tag", "budgetq10",
         "--at", "2025-04-02 09:00"),
        ("impression", "brandt", "Restless about the budget", "--score", "-2",
         "--at", "2025-03-04 18:00"),
        ("impression", "brandt", "Warm and open", "--score", "2", "--at", "2025-05-01 18:00"),
        ("fact", "brandt", "Sails a folkboat", "--topic", "hobby", "--at", "2025-05-01 15:00"),
        ("todo", "brandt", "Call about the budget", "--due", "2025-06-01"),
    ]:  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def found(run, *args: str) -> list[dict]:
    result = run("search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def notes(hits: list[dict]) -> list[str]:
    return [hit["snippet"].replace("**", "") for hit in hits]


def exported(run, *args: str) -> list[dict]:
    result = run("export", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()[1:]]


# -- tags: show -------------------------------------------------------------------------------


def test_show_puts_an_entrys_tags_after_its_note(run, story):
    result = run("show", "brandt")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "Workshop" in line)
    assert "Workshop on the Q1 budget  #budgetq1 #workshop" in line
    sailing = next(line for line in result.stdout.splitlines() if "sailing" in line)
    assert "#" not in sailing  # no tags, no marks


def test_show_json_carries_the_tags(run, story):
    timeline = json.loads(run("show", "brandt", "--json").stdout)["timeline"]
    tags = {e["note"]: e["tags"] for e in timeline if e["type"] == "interaction"}
    assert tags == {"Workshop on the Q1 budget": ["budgetq1", "workshop"],
                    "Lunch, talked about sailing": []}  # fmt: skip


# -- tags: search -----------------------------------------------------------------------------


def test_a_hashtag_alone_lists_the_tagged_contacts_newest_first(run, story):
    hits = found(run, "#budgetq1")
    assert notes(hits) == ["Budget call", "Workshop on the Q1 budget"]  # not budgetq10's
    assert hits[0] == {
        "type": "interaction", "uuid": hits[0]["uuid"], "client_uuid": hits[0]["client_uuid"],
        "client_name": "Jana Müller", "at": "2025-04-01T07:00:00+00:00", "label": "call",
        "snippet": "Budget call", "rank": 0.0, "client_archived": False,
    }  # fmt: skip
    assert found(run, "--tag", "budgetq1") == hits
    assert found(run, "#BudgetQ1") == hits  # tags are stored in lower case


def test_the_tag_list_shows_as_search_hits(run, story):
    result = run("search", "#workshop")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [
        "2025-03-04", "Konrad", "Brandt", "note", "Workshop", "on", "the", "Q1", "budget",
        found(run, "#workshop")[0]["uuid"][:8],
    ]  # fmt: skip


def test_several_tags_mean_all_of_them(run, story):
    assert notes(found(run, "--tag", "budgetq1", "--tag", "workshop")) == [
        "Workshop on the Q1 budget"
    ]
    assert notes(found(run, "#budgetq1 #workshop")) == ["Workshop on the Q1 budget"]
    assert notes(found(run, "#budgetq1", "--tag", "budgetq10")) == []


def test_words_with_a_tag_are_narrowed_to_the_tagged_contacts(run, story):
    everything = found(run, "budget")
    assert {h["type"] for h in everything} == {"interaction", "impression", "follow-up"}
    assert sorted(notes(found(run, "budget #budgetq1"))) == [
        "Budget call", "Workshop on the Q1 budget"
    ]  # fmt: skip
    assert notes(found(run, "budget", "--tag", "workshop")) == ["Workshop on the Q1 budget"]
    marked = found(run, "budget", "--tag", "workshop")[0]["snippet"]
    assert marked == "Workshop on the Q1 **budget**"
    assert found(run, "sailing", "--tag", "budgetq1") == []


def test_tags_with_client_since_and_latest(run, story):
    assert notes(found(run, "#budgetq1", "--client", "brandt")) == ["Workshop on the Q1 budget"]
    assert notes(found(run, "#budgetq1", "--since", "2025-03-05")) == ["Budget call"]
    assert notes(found(run, "budget #budgetq1", "--latest")) == [
        "Budget call", "Workshop on the Q1 budget"
    ]  # fmt: skip
    assert notes(found(run, "#budgetq1", "--limit", "1")) == ["Budget call"]


def test_a_tag_matches_whole_tags_and_no_like_wildcards(run):
    for step in [
        ("add", "Anna"),
        ("log", "anna", "underscore", "--tag", "a_b", "--at", "2025-01-01"),
        ("log", "anna", "letter", "--tag", "axb", "--at", "2025-01-02"),
        ("log", "anna", "longer", "--tag", "a_bc", "--at", "2025-01-03"),
    ]:
        assert run(*step).exit_code == 0
    assert notes(found(run, "#a_b")) == ["underscore"]
    assert notes(found(run, "#a")) == []
    result = run("clients", "--tag", "a_b", "--json")
    assert [c["name"] for c in json.loads(result.stdout)] == ["Anna"]


def test_a_tag_that_finds_nothing_says_so(run, story):
    result = run("search", "--tag", "nothere")
    assert result.exit_code == 0
    assert result.stdout == "Nothing found for '#nothere'.\n"
    result = run("search", "sailing #nothere")
    assert result.stdout == "Nothing found for 'sailing #nothere'.\n"


def test_a_hash_inside_a_word_or_quotes_is_no_tag(run):
    assert run("add", "Anna").exit_code == 0
    assert run("log", "anna", "Learning C# now", "--at", "2025-01-01").exit_code == 0
    assert notes(found(run, "learning")) == ["Learning C# now"]
    assert notes(found(run, '"C#"')) == ["Learning C# now"]  # in quotes as written


# -- tags: export -----------------------------------------------------------------------------


def test_export_by_tag_keeps_the_contacts_their_follow_ups_and_clients(run, story):
    records = exported(run, "--tag", "budgetq1")
    assert [(r["type"], r.get("name") or r.get("note") or r.get("text")) for r in records] == [
        ("client", "Konrad Brandt"),
        ("client", "Jana Müller"),
        ("interaction", "Workshop on the Q1 budget"),
        ("interaction", "Budget call"),
        ("follow-up", "Send the plan"),
    ]
    assert [r["name"] for r in exported(run, "--tag", "budgetq1", "--tag", "workshop")
            if r["type"] == "client"] == ["Konrad Brandt"]  # fmt: skip
    narrowed = exported(run, "--tag", "budgetq1", "--client", "muller")
    assert [r["type"] for r in narrowed] == ["client", "interaction"]
    assert [r["type"] for r in exported(run, "--tag", "budgetq1", "--since", "2025-04-02")] == []
    assert [r["type"] for r in exported(run, "--tag", "budgetq1", "--type", "interaction")] == [
        "interaction", "interaction"
    ]  # fmt: skip


def test_an_export_by_tag_imports_whole(run, story, tmp_path):
    result = run("export", "--tag", "workshop")
    other = tmp_path / "other.db"
    imported = run("--db", str(other), "import", "-", input=result.stdout)
    assert imported.exit_code == 0, imported.output
    show = json.loads(run("--db", str(other), "show", "brandt", "--json").stdout)
    assert [e["note"] for e in show["timeline"]] == ["Workshop on the Q1 budget"]
    assert [f["text"] for f in show["follow_ups"]] == ["Send the plan"]


def test_export_by_tag_in_csv_and_markdown(run, story):
    csv = run("export", "--tag", "budgetq1", "--format", "csv")
    assert csv.exit_code == 0, csv.output
    assert [line.split(",")[0] for line in csv.stdout.splitlines()[2:]] == [
        "client", "client", "interaction", "interaction", "follow-up"
    ]  # fmt: skip
    markdown = run("export", "--tag", "workshop", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    text = markdown.stdout
    assert "Konrad Brandt" in text and "Workshop on the Q1 budget" in text
    assert "Send the plan" in text
    for left_out in ("Jana Müller", "sailing", "Restless", "folkboat", "Book the boat"):
        assert left_out not in text


def test_export_help_says_impressions_and_facts_are_left_out(run):
    help_text = " ".join(run("export", "--help").stdout.split())
    assert "impressions and facts have no tags and are left out" in help_text


# -- tags: clients ----------------------------------------------------------------------------


def test_clients_by_tag_on_the_client_or_on_a_contact(run, story):
    def listed(tag: str) -> list[str]:
        result = run("clients", "--tag", tag, "--json")
        assert result.exit_code == 0, result.output
        return [c["name"] for c in json.loads(result.stdout)]

    assert listed("agency") == ["Konrad Brandt"]  # the client's own tag
    assert listed("budgetq1") == ["Jana Müller", "Konrad Brandt"]  # a contact's tag
    assert listed("workshop") == ["Konrad Brandt"]
    assert listed("budget") == []
    assert "or with a contact logged with it" in " ".join(run("clients", "--help").stdout.split())


# -- tags: completion -------------------------------------------------------------------------


def complete(words: str) -> list[str]:
    index = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {"_RAPPORT_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index)}
    return [line for line in rapport_process(env=env).stdout.decode().splitlines() if line]


def test_tag_options_complete_from_the_journal(run, story):
    assert complete("rapport log brandt x --tag bu") == ["budgetq1", "budgetq10"]
    assert complete("rapport search --tag w") == ["workshop"]
    assert complete("rapport export --tag a") == ["agency"]
    assert complete("rapport clients --tag budgetq1") == ["budgetq1", "budgetq10"]
    assert complete("rapport add Anna -t ") == ["agency", "budgetq1", "budgetq10", "workshop"]
    assert complete("rapport search --tag zz") == []


# -- tags: bad input --------------------------------------------------------------------------

BAD_TAGS = {
    "budget q1": "bad tag 'budget q1': a tag is one word",
    "#budgetq1": "bad tag '#budgetq1': write the tag without #",
    "": "bad tag ''",
}
COMMANDS = {
    "log": ["log", "brandt", "note"],
    "add": ["add", "Anna"],
    "search": ["search"],
    "search with words": ["search", "budget"],
    "export": ["export"],
    "clients": ["clients"],
}


@pytest.mark.parametrize("tag", sorted(BAD_TAGS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_tag_is_refused_and_changes_nothing(run, journal, story, command, tag):
    before = snapshot(journal)
    result = run(*COMMANDS[command], "--tag", tag)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"rapport: {BAD_TAGS[tag]}")
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""
    assert snapshot(journal) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("#", "a # in the query needs a tag after it"),
        ("budget #", "a # in the query needs a tag after it"),
        ("#budget+q1", "bad tag 'budget+q1'"),
    ],
)
def test_a_bad_hashtag_in_a_query_is_refused(run, story, query, message):
    result = run("search", query)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_export_by_tag_refuses_types_without_tags(run, story):
    for kind in ("fact", "impression"):
        result = run("export", "--tag", "budgetq1", "--type", kind)
        assert result.exit_code == 2
        assert result.stderr == (
            "rapport: impressions and facts have no tags: leave out --tag or that --type\n"
        )
        assert result.stdout == ""


# -- archive ----------------------------------------------------------------------------------


def test_archive_and_unarchive_say_what_they_did(run, journal, story):
    result = run("archive", "brandt")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Archived Konrad Brandt (Brandt & Vogel): out of clients, due and drift; "
        "still in show, search and export\n"
    )
    assert rows(journal, "SELECT name FROM client WHERE archived") == [("Konrad Brandt",)]
    before = snapshot(journal)
    again = run("archive", "brandt")
    assert (again.exit_code, again.stderr) == (0, "Konrad Brandt is already archived\n")
    assert snapshot(journal) == before
    back = run("unarchive", "brandt")
    assert (back.exit_code, back.stderr) == (
        0, "Unarchived Konrad Brandt (Brandt & Vogel): back in clients, due and drift\n"
    )  # fmt: skip
    assert rows(journal, "SELECT count(*) FROM client WHERE archived") == [(0,)]
    twice = run("unarchive", "brandt")
    assert (twice.exit_code, twice.stderr) == (0, "Konrad Brandt is not archived\n")


def test_archiving_nobody_is_refused(run, journal, story):
    before = snapshot(journal)
    for command in ("archive", "unarchive"):
        result = run(command, "zed")
        assert result.exit_code == 2
        assert "no client matches 'zed'" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert snapshot(journal) == before


def names(records: list[dict]) -> list[str]:
    return [r.get("client_name") or r["name"] for r in records]


def test_archived_clients_leave_the_daily_views(run, story):
    assert run("archive", "brandt").exit_code == 0
    assert run("archive", "berg").exit_code == 0
    listed = json.loads(run("clients", "--json").stdout)
    assert names(listed) == ["Jana Müller"]
    assert "Konrad Brandt" not in run("clients").stdout
    only = json.loads(run("clients", "--archived", "--json").stdout)
    assert names(only) == ["Konrad Brandt", "Ole Berg"]
    assert [c["archived"] for c in only] == [True, True]
    assert names(json.loads(run("clients", "--archived", "--tag", "agency", "--json").stdout)) == [
        "Konrad Brandt"
    ]
    due = json.loads(run("due", "--json").stdout)
    assert names(due["clients"]) == ["Jana Müller"]  # Brandt's cadence is overdue too
    assert due["follow_ups"] == [] and due["never_contacted"] == []
    assert json.loads(run("drift", "--json").stdout)["clients"] == []
    stats = json.loads(run("stats", "--json").stdout)
    assert names(stats["least_contacted"]) == ["Jana Müller"]
    assert complete("rapport show K") == [] and complete("rapport show J") == ["Jana\\ Müller"]
    assert complete("rapport unarchive K") == ["Konrad\\ Brandt"]


def test_archived_clients_stay_in_show_search_and_export(run, story, tmp_path):
    assert run("archive", "brandt").exit_code == 0
    show = run("show", "brandt")
    assert show.exit_code == 0, show.output
    assert show.stdout.splitlines()[0] == "Konrad Brandt  Brandt & Vogel  archived"
    assert json.loads(run("show", "brandt", "--json").stdout)["client"]["archived"] is True
    hits = found(run, "sailing")
    assert hits and {(h["client_name"], h["client_archived"]) for h in hits} == {
        ("Konrad Brandt", True)
    }
    assert [h["client_archived"] for h in found(run, "#budgetq1")] == [False, True]
    assert "Konrad Brandt (archived)" in run("search", "sailing").stdout
    assert "Jana Müller (archived)" not in run("search", "budget").stdout
    records = exported(run)
    assert [r["archived"] for r in records if r["type"] == "client"] == [True, False, False]
    other = tmp_path / "other.db"
    imported = run("--db", str(other), "import", "-", input=run("export").stdout)
    assert imported.exit_code == 0, imported.output
    assert (
        json.loads(run("--db", str(other), "clients", "--archived", "--json").stdout)[0]["name"]
        == "Konrad Brandt"
    )


def test_logging_to_an_archived_client_works_and_says_so(run, journal, story):
    assert run("archive", "brandt").exit_code == 0
    result = run("log", "brandt", "Ran into him at the fair", "--at", "2025-06-01")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:] == [
        "Konrad Brandt is archived: logged all the same (unarchive brings them back)"
    ]
    assert rows(journal, "SELECT archived FROM client WHERE name = 'Konrad Brandt'") in (
        [(1,)], [(True,)]
    )  # fmt: skip
    quiet = run("log", "muller", "Hello", "--at", "2025-06-01")
    assert len(quiet.stderr.splitlines()) == 1


def test_an_empty_archived_list_says_so(run, story):
    result = run("clients", "--archived")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No archived clients.\n")
    assert run("clients", "--archived", "--json").stdout == "[]\n"
