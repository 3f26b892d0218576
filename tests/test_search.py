"""`rapport search`: FTS5 over notes, impressions, facts and follow-ups, kept in sync."""

# ruff: noqa: RUF001  (dotless i, full-width letters, CJK commas: the spellings under test)

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture
def story(run):
    for step in [
        ("add", "Jana Müller", "--company", "Nordlicht"),
        ("add", "Konrad Brandt"),
        ("log", "brandt", "Sprach über Segeln auf der Ostsee", "--at", "2025-06-01 12:00"),
        ("log", "brandt", "He sails a folkboat; talked about sailing", "--at", "2025-07-01 12:00"),
        ("log", "muller", "Frau Müller mag Kaffee", "--at", "2025-08-01 12:00", "--kind", "call"),
        ("impression", "brandt", "Restless but honest about sailing", "--at", "2025-06-02"),
        ("fact", "muller", "Collects vintage posters", "--topic", "interest"),
        ("todo", "brandt", "Send the sailing photos", "--due", "2099-01-01"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def found(run, *args) -> list[dict]:
    result = run("search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_finds_every_kind_with_client_date_and_snippet(run, story):
    hits = found(run, "sailing")
    assert {h["type"] for h in hits} == {"interaction", "impression", "follow-up"}
    note = next(h for h in hits if h["type"] == "interaction")
    assert note["client_name"] == "Konrad Brandt"
    assert note["at"] == "2025-07-01T10:00:00+00:00"
    assert note["label"] == "note"
    assert "**sailing**" in note["snippet"]


def test_diacritics_and_case_do_not_matter(run, story):
    assert [h["snippet"] for h in found(run, "muller")] == ["Frau **Müller** mag Kaffee"]
    assert len(found(run, "MÜLLER")) == 1
    assert [h["snippet"] for h in found(run, "segeln")] == ["Sprach über **Segeln** auf der Ostsee"]
    assert len(found(run, "uber")) == 1


def test_english_stems(run, story):
    assert any("**sails**" in h["snippet"] for h in found(run, "sail"))


def test_client_since_latest_and_limit(run, story):
    assert {h["client_name"] for h in found(run, "kaffee OR sailing", "--client", "muller")} == {
        "Jana Müller"
    }
    assert all(h["at"] >= "2025-06-30" for h in found(run, "sailing", "--since", "2025-06-30"))
    newest = found(run, "sailing", "--latest")
    assert [h["at"] for h in newest] == sorted((h["at"] for h in newest), reverse=True)
    assert len(found(run, "sailing", "--limit", "1")) == 1


def test_terminal_output_highlights(run, story):
    out = run("search", "kaffee").stdout
    assert "Jana Müller" in out and "Frau Müller mag Kaffee" in out and "call" in out
    assert "Nothing found for 'zebra'." in run("search", "zebra").stdout
    coloured = run("search", "kaffee", env={"FORCE_COLOR": "1", "NO_COLOR": None}).stdout
    assert re.search(r"\x1b\[[0-9;]*m\s*Kaffee\s*\x1b\[0m", coloured), coloured
    assert "Frau Müller mag " in coloured  # only the match is marked


def test_the_best_match_comes_first(run, story):
    for note in ["Kaffee, Kaffee und noch mehr Kaffee", "Tee; später kurz Kaffee"]:
        assert run("log", "muller", note, "--at", "2025-09-01 12:00").exit_code == 0
    ranked = [h["snippet"] for h in found(run, "kaffee")]
    assert ranked[0].count("**Kaffee**") == 3, ranked
    assert len(ranked) == 3
    newest = [h["snippet"] for h in found(run, "kaffee", "--latest")]
    assert newest[-1] == "Frau Müller mag **Kaffee**"


@pytest.mark.parametrize("query", ['"unclosed', "AND AND", "(", "a NOT", "NOT lunch", "e-mail ("])
def test_a_malformed_query_is_a_clean_error(run, story, query):
    result = run("search", query)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"rapport: cannot search for {query!r}")
    assert len(result.stderr.splitlines()) == 1


def test_search_follows_edit_rm_rename_and_merge(run, story):
    sailing = next(h for h in found(run, "folkboat"))
    assert run("edit", sailing["uuid"][:8], "--note", "He rows a dinghy now").exit_code == 0
    assert found(run, "folkboat") == []
    assert len(found(run, "dinghy")) == 1
    assert run("rm", sailing["uuid"][:8], "--yes").exit_code == 0
    assert found(run, "dinghy") == []
    assert run("rename", "brandt", "Konrad Brand").exit_code == 0
    assert {h["client_name"] for h in found(run, "segeln")} == {"Konrad Brand"}
    assert run("add", "K. Brand").exit_code == 0
    assert run("log", "k. brand", "Segeln im Sommer").exit_code == 0
    assert run("merge", "k. brand", "konrad brand", "--yes").exit_code == 0
    assert {h["client_name"] for h in found(run, "segeln")} == {"Konrad Brand"}
    assert len(found(run, "segeln")) == 2


@pytest.mark.sqlite_only
def test_deleting_a_client_removes_its_index_rows(run, story, journal):
    import sqlite3

    from rapport.clients import find_client
    from rapport.store.sqlite import Database

    db = Database(journal)
    with db.connection(write=True) as conn:
        conn.execute("DELETE FROM client WHERE id = ?", (find_client(conn, "muller").id,))
    assert found(run, "kaffee") == []
    conn = sqlite3.connect(journal)
    (count,) = conn.execute("SELECT count(*) FROM search_index").fetchone()
    (expected,) = conn.execute(
        "SELECT (SELECT count(*) FROM interaction) + (SELECT count(*) FROM impression) + "
        "(SELECT count(*) FROM fact) + (SELECT count(*) FROM follow_up)"
    ).fetchone()
    conn.close()
    assert count == expected


@pytest.mark.parametrize("query", ["e-mail", "O'Brien", "Jean-Luc", "follow-up", "col:foo"])
def test_joined_words_are_searched_as_written(run, story, query):
    assert run("log", "brandt", f"Wrote to {query} today").exit_code == 0
    hits = found(run, query)
    assert len(hits) == 1 and "today" in hits[0]["snippet"]


# -- the query syntax on PostgreSQL ---------------------------------------------------------
# search/postgresql.py reads FTS5's syntax itself; these need no server (test_team_journal.py
# runs the queries on one).


def w(n: int) -> str:
    return f"phraseto_tsquery('rapport_search', rapport_search_text(:w{n}))"


@pytest.mark.parametrize(
    ("query", "sql"),
    [
        ("sail", w(0)),
        ('"first weeks"', w(0)),
        ("harbour OR leipzig", f"({w(0)} || {w(1)})"),
        ("a b OR c", f"(({w(0)} && {w(1)}) || {w(2)})"),
        ("a NOT b", f"({w(0)} && !!{w(1)})"),
        ("(a OR b) AND c", f"(({w(0)} || {w(1)}) && {w(2)})"),
        ("müll*", "to_tsquery('rapport_search', :w0)"),
    ],
)
def test_fts5_queries_become_tsqueries_of_bound_words(query, sql):
    from rapport.search.postgresql import parse

    assert parse(query).sql == sql


def test_words_are_bound_never_pasted():
    from rapport.search.postgresql import parse

    parsed = parse('DROP TABLE "client\'); --" "say ""hi""" pre* "an open phr"*')
    assert "DROP" not in parsed.sql and "client" not in parsed.sql and "hi" not in parsed.sql
    assert list(parsed.words.values()) == ["DROP", "TABLE", "client'); --", 'say "hi"', "'pre':*",
                                           "'an' <-> 'open' <-> 'phr':*"]  # fmt: skip
    assert parse('größ* "k.brandt@x"*').words == {
        "w0": "'größ':*",
        "w1": "'k' <-> 'brandt' <-> 'x':*",
    }


def test_queries_within_too_many_parentheses_are_refused_not_crashed_on(run):
    from rapport.search.postgresql import MAX_DEPTH, QueryError, parse

    deep = "(" * 300 + "lunch" + ")" * 300
    with pytest.raises(QueryError, match=f"more than {MAX_DEPTH} parentheses"):
        parse(deep)
    assert parse("(" * MAX_DEPTH + "lunch" + ")" * MAX_DEPTH).sql == w(0)
    for near in ("NEAR(lunch harbour)", "NEAR (lunch harbour, 5)"):
        with pytest.raises(QueryError, match="NEAR"):
            parse(near)
    assert run("add", "A").exit_code == 0 and run("log", "a", "lunch").exit_code == 0
    result = run("search", deep)  # on this run's own engine: FTS5 refuses it too
    assert result.exit_code == 2 and result.stderr.startswith("rapport: cannot search for")


@pytest.mark.parametrize(
    ("query", "reason"),
    [('"unclosed', "unterminated string"), ("AND AND", "syntax error near 'AND'"),
     ("NOT x", "syntax error near 'NOT'"), ("x OR", "the query ends too soon"),
     ("(x", "a ( is not closed"), ("x)", "syntax error near ')'"),
     ("a;b", "syntax error near ';'")],
)  # fmt: skip
def test_malformed_queries_are_refused_as_fts5_refuses_them(run, query, reason):
    from rapport.search.postgresql import QueryError, parse

    with pytest.raises(QueryError, match=re.escape(reason)):
        parse(query)
    assert run("add", "A").exit_code == 0
    assert run("log", "a", "hello").exit_code == 0
    result = run("search", query)  # the same query on this run's own engine
    assert result.exit_code == 2 and result.stderr.startswith("rapport: cannot search for")


@pytest.mark.parametrize(
    ("snippet", "text", "shown"),
    [
        ("\x02sails\x03 every summer", "sails every summer.", "\x02sails\x03 every summer."),
        ("he \x02sails\x03 every", "Then he sails every summer", "…he \x02sails\x03 every…"),
        ("my family \x02too\x03.", "Asked after my family too.", "…my family \x02too\x03."),
    ],
)
def test_snippets_mark_where_they_cut_the_text(snippet, text, shown):
    from rapport.search.postgresql import trimmed

    assert trimmed(snippet, text) == shown


# -- folding: both engines find the same entries, whatever the spelling ----------------------


@pytest.fixture
def spellings(run):
    for step in [
        ("add", "Jörg Weiß"),
        ("add", "Ayşe Yılmaz"),
        ("log", "weiß", "Traf Herrn Weiß in der Straße", "--at", "2025-06-01 12:00"),
        ("log", "weiß", "Mail von Jörg Weiss", "--at", "2025-06-02 12:00"),
        ("log", "ayşe", "Lunch with Ayşe Yılmaz", "--at", "2025-06-03 12:00"),
        ("log", "ayşe", "YILMAZ HOLDING signed in İstanbul", "--at", "2025-06-04 12:00"),
        ("fact", "ayşe", "Grew up in Łódź, studied with Søren in Århus; loves Αθήνα and ёлки"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def snippets(run, query: str) -> set[str]:
    return {hit["snippet"] for hit in found(run, query)}


@pytest.mark.parametrize("query", ["weiss", "weiß", "WEISS", "Weiß*", "weis*"])
def test_sharp_s_and_ss_find_each_other(run, spellings, query):
    assert snippets(run, query) == {"Traf Herrn **Weiß** in der Straße", "Mail von Jörg **Weiss**"}


def test_turkish_dotless_and_dotted_i_fold(run, spellings):
    assert snippets(run, "yilmaz") == {
        "Lunch with Ayşe **Yılmaz**", "**YILMAZ** HOLDING signed in İstanbul"
    }  # fmt: skip
    assert snippets(run, "yılmaz") == snippets(run, "yilmaz")
    assert snippets(run, "istanbul") == {"YILMAZ HOLDING signed in **İstanbul**"}
    assert snippets(run, "strasse") == {"Traf Herrn Weiß in der **Straße**"}


@pytest.mark.parametrize(
    ("query", "marked"),
    [("lodz", "**Łódź**"), ("soren", "**Søren**"), ("arhus", "**Århus**"),
     ("αθηνα", "**Αθήνα**"), ("елки", "**ёлки**")],
)  # fmt: skip
def test_letters_without_a_decomposition_fold_as_unaccent_folds_them(run, spellings, query, marked):
    (snippet,) = snippets(run, query)
    assert marked in snippet and snippet.replace("**", "") == (
        "Grew up in Łódź, studied with Søren in Århus; loves Αθήνα and ёлки"
    )


def test_phrases_and_operators_fold_too(run, spellings):
    (phrase,) = snippets(run, '"herrn weiss"')  # FTS5 marks the phrase, PostgreSQL each word
    assert phrase.replace("** **", " ") == "Traf **Herrn Weiß** in der Straße"
    assert snippets(run, "weiss NOT mail") == {"Traf Herrn **Weiß** in der Straße"}
    assert len(found(run, "weiss OR yilmaz")) == 4
    assert found(run, "weiss", "--client", "ayşe") == []


@pytest.fixture
def cjk(run):
    for step in [
        ("add", "Li Wei"),
        ("add", "Kim Minjun"),
        ("log", "li wei", "我们在東京见面，然后一起吃了午饭", "--at", "2025-06-01 12:00"),
        ("log", "li wei", "ソウルで会議。ＡＢＣ社の件 lunch", "--at", "2025-06-02 12:00"),
        ("log", "kim", "서울에서 만났다", "--at", "2025-06-03 12:00"),
        ("log", "kim", "京都 trip planned", "--at", "2025-06-04 12:00"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


@pytest.mark.parametrize(
    ("query", "marked"),
    [("東京", "**東京**"), ("東", "**東**"), ("见面", "**见面**"), ("東京见面", "**東京见面**"),
     ("東京*", "**東京**"), ('"東京 见面"', "**東京见面**"), ("ソウル", "**ソウル**"),
     ("서울", "**서울**"), ("abc", "**ＡＢＣ**"), ("ＡＢＣ", "**ＡＢＣ**")],
)  # fmt: skip
def test_a_word_inside_cjk_text_is_found_and_marked(run, cjk, query, marked):
    (hit,) = found(run, query)
    assert marked in hit["snippet"], hit["snippet"]
    shown = hit["snippet"].replace("**", "").strip("…")
    texts = [
        "我们在東京见面，然后一起吃了午饭",
        "ソウルで会議。ＡＢＣ社の件 lunch",
        "서울에서 만났다",
    ]
    assert any(shown in text for text in texts), shown  # the user's own text, not folded


def test_cjk_words_are_phrases_of_their_characters(run, cjk):
    assert found(run, "京東") == []  # the characters in the other order
    alone = found(run, "京")  # in 東京 and in 京都; PostgreSQL may cut the snippet elsewhere
    assert len(alone) == 2 and all("**京**" in hit["snippet"] for hit in alone)
    assert len(found(run, "京 AND trip")) == 1
    assert len(found(run, "東京 OR ソウル")) == 2
    assert [h["snippet"] for h in found(run, "lunch NOT 東京")] == [
        "ソウルで会議。ＡＢＣ社の件 **lunch**"
    ]
    hit = found(run, "午饭")[0]
    assert run("edit", hit["uuid"][:8], "--note", "大阪で会った").exit_code == 0
    assert found(run, "午饭") == [] and len(found(run, "大阪")) == 1


@pytest.mark.sqlite_only
def test_an_old_journal_is_reindexed_folded(run, tmp_path):
    """schema3.db was indexed before m005: its "Größe" is found as `grosse` once migrated."""
    import shutil
    import sqlite3
    from pathlib import Path

    journal = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema3.db", journal)
    journal.chmod(0o600)
    hits = run("--db", str(journal), "search", "grosse", "--json")
    assert hits.exit_code == 0, hits.output
    assert [h["snippet"] for h in json.loads(hits.stdout)] == [
        "Kurzes Telefonat über Segeln und **Größe**"
    ]
    assert run("--db", str(journal), "check").exit_code == 0  # FTS5's own integrity-check
    conn = sqlite3.connect(journal)
    (indexed,) = conn.execute("SELECT count(*) FROM search_index").fetchone()
    (entries,) = conn.execute(
        "SELECT (SELECT count(*) FROM interaction) + (SELECT count(*) FROM impression) + "
        "(SELECT count(*) FROM fact) + (SELECT count(*) FROM follow_up)"
    ).fetchone()
    conn.close()
    assert indexed == entries == 11


@pytest.mark.sqlite_only
def test_another_program_can_still_write_and_its_rows_are_folded(run, spellings, journal):
    """The triggers are plain SQL: a write by the sqlite3 module alone (no rapport) works."""
    import sqlite3

    conn = sqlite3.connect(journal)
    with conn:
        conn.execute(
            "INSERT INTO interaction (uuid, client_id, at, kind, note, tags, created_at, author) "
            "SELECT '9b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e60', id, '2025-07-01 10:00:00.000000', "
            "'note', 'Straßenfest in 北京', '', '2025-07-01 10:00:00.000000', '' "
            "FROM client WHERE name = 'Jörg Weiß'"
        )
    conn.close()
    assert snippets(run, "strassenfest") == {"**Straßenfest** in 北京"}
    assert snippets(run, "北京") == {"Straßenfest in **北京**"}
    assert run("check").exit_code == 0


@pytest.mark.postgres_only
def test_a_server_journal_indexed_before_m005_is_reindexed(run, journal):
    from conftest import SERVER, _server_connection
    from rapport.store.migrations import PUNCTUATION, SEARCH_TEXT

    assert run("add", "Li Wei").exit_code == 0
    assert run("log", "li wei", "我们在東京见面").exit_code == 0
    with _server_connection(SERVER, journal.schema) as conn:  # back to m002's function
        conn.execute(
            f"CREATE OR REPLACE FUNCTION {SEARCH_TEXT}(body text) RETURNS text LANGUAGE sql "
            f"IMMUTABLE AS $$ SELECT regexp_replace(body, '{PUNCTUATION}', ' ', 'g') $$"
        )
        conn.execute("REINDEX INDEX interaction_search")
        conn.execute("DELETE FROM _migrations WHERE name = 'm005_search_folding'")
    result = run("search", "東京", "--json")
    assert result.exit_code == 0, result.output
    assert "updating" in result.stderr
    assert [h["snippet"] for h in json.loads(result.stdout)] == ["…我们在**東京**见面"] or [
        h["snippet"] for h in json.loads(result.stdout)
    ] == ["我们在**東京**见面"]
