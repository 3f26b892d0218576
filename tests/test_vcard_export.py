"""`export --format vcf`: the clients as vCards (4.0, or 3.0), read back without loss of what
rapport's own vCard import reads."""

from __future__ import annotations

import json

import pytest
import vobject

from conftest import snapshot

BRANDT = ("add", "Konrad Brandt", "-c", "Brandt, Vogel & Co", "-r", "CEO; founder",
          "--email", "work:k@brandt.example", "--email", "private mail:k@home.example",
          "--phone", "mobile:+49 170 1", "--phone", "+49 40 2", "--phone", "office:+49 40 3",
          "--birthday", "1969-12-05", "--date", "founded:--03-15",
          "--date", "anniversary:2015-06-01", "--date", "work anniversary:2010-01-31",
          "-t", "agency", "--met", "At the fair; by the coffee, with Jana")  # fmt: skip
KEPT = (
    "uuid",
    "name",
    "company",
    "role",
    "email",
    "phone",
    "emails",
    "phones",
    "dates",
    "tags",
    "met",
)


@pytest.fixture
def clients(run):
    for step in (BRANDT, ("add", "Cher")):
        assert run(*step).exit_code == 0


def client_records(run, *db: str) -> list[dict]:
    lines = run(*db, "export", "--type", "client").stdout.splitlines()[1:]
    return [{key: json.loads(line)[key] for key in KEPT} for line in lines]


@pytest.mark.parametrize("version", ["4.0", "3.0"])
def test_vcards_read_back_as_the_clients_they_were(run, clients, tmp_path, version):
    cards = run("export", "--format", "vcf", "--vcard", version)
    assert cards.exit_code == 0, cards.output
    other = str(tmp_path / "other.db")
    imported = run("--db", other, "import", "--format", "vcf", "-", input=cards.stdout)
    assert imported.exit_code == 0, imported.output
    assert client_records(run, "--db", other) == client_records(run)


@pytest.mark.parametrize("version", ["4.0", "3.0"])
def test_vobject_reads_every_card(run, journal, clients, version):
    text = run("export", "--format", "vcf", "--vcard", version).stdout
    cards = list(vobject.readComponents(text))
    records = client_records(run)
    assert [card.uid.value for card in cards] == [r["uuid"] for r in records]
    brandt = cards[0]
    assert brandt.version.value == version
    assert brandt.fn.value == "Konrad Brandt"
    assert (brandt.n.value.given, brandt.n.value.family) == ("Konrad", "Brandt")
    assert brandt.org.value == ["Brandt, Vogel & Co"]
    assert brandt.title.value == "CEO; founder"
    assert brandt.categories.value == ["agency"]
    assert brandt.note.value == "At the fair; by the coffee, with Jana"
    assert brandt.bday.value == ("19691205" if version == "4.0" else "1969-12-05")
    assert [e.value for e in brandt.email_list] == ["k@brandt.example", "k@home.example"]
    assert brandt.rev.value.endswith("Z")


def test_a_date_without_its_year_in_each_version(run, journal):
    assert run("add", "Jana", "--birthday", "01-10").exit_code == 0
    four = run("export", "--format", "vcf").stdout
    three = run("export", "--format", "vcf", "--vcard", "3.0").stdout
    assert "\nBDAY:--0110\n" in four.replace("\r\n", "\n")
    assert "\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-01-10\n" in three.replace("\r\n", "\n")


def test_client_and_tag_choose_the_cards(run, journal, clients):
    assert run("log", "cher", "Tour dates", "--tag", "tour").exit_code == 0
    one = run("export", "--format", "vcf", "--client", "cher").stdout
    tagged = run("export", "--format", "vcf", "--tag", "tour").stdout
    for text in (one, tagged):
        assert text.count("BEGIN:VCARD") == 1 and "\nFN:Cher" in text.replace("\r", "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--vcard", "2.1"), "unknown vCard version '2.1'; choose 4.0 or 3.0"),
        (("--since", "2025-01-01"), "--format vcf writes clients; --since picks entries"),
        (("--kind", "lunch"), "--format vcf writes clients; --kind picks entries"),
        (("--type", "fact"), "--format vcf writes clients; --type picks entries"),
    ],
)
def test_options_that_do_not_apply_are_refused(run, journal, clients, options, message):
    before = snapshot(journal)
    result = run("export", "--format", "vcf", *options)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    assert snapshot(journal) == before


def test_categories_join_the_tags_and_a_note_never_overwrites(run, journal, tmp_path):
    assert run("add", "Jana Müller", "-t", "media", "--met", "Kick-off at Nordlicht").exit_code == 0
    assert run("add", "Ole Hansen").exit_code == 0
    cards = tmp_path / "book.vcf"
    cards.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jana Müller\r\nCATEGORIES:Key Account,media\r\n"
        "NOTE:From the address book\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ole Hansen\r\nCATEGORIES:#1 fan!,sailing\r\n"
        "NOTE:Met at the regatta\\, Kiel\r\nEND:VCARD\r\n"
    )
    assert run("import", str(cards)).exit_code == 0
    found = {r["name"]: (r["tags"], r["met"]) for r in client_records(run)}
    assert found == {
        "Jana Müller": (["key-account", "media"], "Kick-off at Nordlicht"),
        "Ole Hansen": (["sailing"], "Met at the regatta, Kiel"),
    }
