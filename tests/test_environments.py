"""Whatever the caller leaves open or sets, rapport answers with one line and an exit code.

Closed descriptors (`<&-`, `>&-`, `2>&-`), a full disk or a closed pipe behind stdout,
arguments that are not UTF-8, and terminals that are not UTF-8. Real processes throughout:
a descriptor is closed in the child itself, not replaced by /dev/null.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import rapport_process, rows, snapshot


@pytest.fixture
def story(run):
    for step in [
        ("add", "Jörg Weiß", "--company", "Müller & Söhne"),
        ("log", "weiss", "Mittag am Hafen → Segeln — später mehr…", "--at", "2025-03-01 12:00"),
        ("impression", "weiss", "Ruhig, genau", "--score", "1", "--at", "2025-03-01 18:00"),
        ("impression", "weiss", "Verlässlich", "--score", "2", "--at", "2025-06-01 18:00"),
        ("fact", "weiss", "Segelt einen Folkeboot", "--topic", "hobby"),
        ("todo", "weiss", "Angebot → Einkauf", "--due", "2025-01-01"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def closing(*fds: int):
    """A preexec_fn that closes `fds` in the child, as the shell's `<&-` does."""

    def close() -> None:
        for fd in fds:
            os.close(fd)

    return close


def rapport(*args: str | bytes, closed: tuple[int, ...] = (), env: dict | None = None, **kwargs):
    return rapport_process(*args, env=env, preexec_fn=closing(*closed), **kwargs)


def contacts(journal) -> int:
    return rows(journal, "SELECT count(*) FROM interaction")[0][0]


# -- closed descriptors ----------------------------------------------------------------------


def test_log_with_stdin_closed_takes_the_note_argument(story, journal):
    done = rapport("log", "weiss", "Anruf wegen des Angebots", closed=(0,))
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().startswith("Logged note with Jörg Weiß")
    assert contacts(journal) == 2


@pytest.mark.parametrize("args", [["log", "weiss"], ["log", "weiss", "-"], ["import", "-"]])
def test_reading_a_closed_stdin_is_bad_input(story, journal, args):
    before = snapshot(journal)
    done = rapport(*args, closed=(0,))
    assert done.returncode == 2
    assert done.stderr.decode() == "rapport: cannot read stdin: it is closed; nothing written\n"
    assert snapshot(journal) == before


@pytest.mark.parametrize(
    "args",
    [["show", "weiss"], ["show", "weiss", "--json"], ["clients"], ["export"], ["stats"],
     ["--help"], ["--version"]],
)  # fmt: skip
def test_output_to_a_closed_stdout_is_one_line(story, args):
    done = rapport(*args, closed=(1,))
    assert done.returncode == 1
    assert done.stderr.decode() == "rapport: cannot write the output: it is closed\n"


def test_a_file_export_with_stdout_closed_is_whole(story, tmp_path):
    """The export's file must not land on descriptor 1, where any print would go into it."""
    target = tmp_path / "out.jsonl"
    done = rapport("export", "-o", str(target), closed=(1,))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == rapport_process("export").stdout


def test_log_with_stdout_closed(story, journal):
    done = rapport("log", "weiss", "kurz gesprochen", closed=(1,))
    assert done.returncode == 0, done.stderr
    assert contacts(journal) == 2


def _todo_id(journal) -> str:
    return rows(journal, "SELECT uuid FROM follow_up")[0][0][:8]


WRITES = [
    ("add", ["add", "Konrad Brandt"]),
    ("log", ["log", "weiss", "Rückruf"]),
    ("log --create", ["log", "Neue Person", "Erstkontakt", "--create"]),
    ("impression", ["impression", "weiss", "Offen", "--score", "1"]),
    ("fact", ["fact", "weiss", "Hat zwei Kinder", "--topic", "family"]),
    ("todo", ["todo", "weiss", "Angebot schicken"]),
    ("rename", ["rename", "weiss", "Jörg Weiss"]),
]


@pytest.mark.parametrize("args", [args for _, args in WRITES], ids=[i for i, _ in WRITES])
def test_a_write_with_stderr_closed_exits_0(story, journal, args):
    """The entry is written; a retrying script must not write it twice for want of a line."""
    before = snapshot(journal)
    done = rapport(*args, closed=(2,))
    assert done.returncode == 0
    assert snapshot(journal) != before


def test_corrections_with_stderr_closed_exit_0(story, journal, run):
    assert run("todo", "weiss", "Angebot schicken").exit_code == 0
    item = _todo_id(journal)
    for args in [["edit", item, "--note", "Angebot senden"], ["done", item], ["rm", item, "-y"]]:
        before = snapshot(journal)
        done = rapport(*args, closed=(2,))
        assert done.returncode == 0, args
        assert snapshot(journal) != before, args


def test_import_with_stderr_closed_exits_0(story, journal, tmp_path):
    source = tmp_path / "more.jsonl"
    source.write_bytes(rapport_process("export", "--type", "client").stdout)
    other = tmp_path / "other.db"
    done = rapport("--db", str(other), "import", str(source), closed=(2,))
    assert done.returncode == 0
    listed = rapport_process("--db", str(other), "clients", "--json").stdout.decode()
    assert [client["name"] for client in json.loads(listed)] == ["Jörg Weiß"]


def test_a_failure_with_stderr_closed_keeps_its_exit_code(story, journal):
    before = snapshot(journal)
    assert rapport("show", "nobody", closed=(2,)).returncode == 2
    assert rapport("log", "nobody", "x", closed=(2,)).returncode == 2
    assert rapport("show", "weiss", closed=(1, 2)).returncode == 1
    assert snapshot(journal) == before


# -- stdout that cannot take it ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["export"], ["show", "weiss"], ["show", "weiss", "--json"], ["clients"], ["stats"]]
)
def test_output_to_a_full_disk_is_one_line(story, args):
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "rapport", *args], stdout=full,
                              stderr=subprocess.PIPE, env=os.environ, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode() == "rapport: cannot write the output: No space left on device\n"


def test_a_reader_that_stops_early_ends_rapport_quietly(run, tmp_path):
    """An export far larger than a pipe holds (64 KiB): the writer is certain to be cut off."""
    client = str(uuid.uuid4())
    lines = [{"type": "client", "uuid": client, "name": "Konrad Brandt"}] + [
        {"type": "interaction", "uuid": str(uuid.uuid4()), "client_uuid": client,
         "at": "2025-01-01T10:00:00+00:00", "kind": "note", "note": "Segeln " * 60}
        for _ in range(1500)
    ]  # fmt: skip
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run("import", str(source)).exit_code == 0
    exporter = subprocess.Popen([sys.executable, "-m", "rapport", "export"], env=os.environ,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert exporter.stdout.read(10) == b'{"type":"h'
    exporter.stdout.close()
    error = exporter.stderr.read()
    assert exporter.wait(timeout=60) == 1  # cut short, as a script with pipefail may ask
    assert error == b""  # as `| head` expects of any Unix tool


# -- arguments that are not UTF-8 -----------------------------------------------------------


@pytest.mark.parametrize(
    "args, shown",
    [
        ([b"add", b"Bad\xffName"], "Bad\\xffName"),
        ([b"add", b"Good", b"--company", b"Bad\xffCo"], "Bad\\xffCo"),
        ([b"log", b"weiss", b"Notiz \xfcber"], "Notiz \\xfcber"),
        ([b"log", b"weiss", b"x", b"--kind", b"c\xe4ll"], "c\\xe4ll"),
        ([b"--author", b"J\xf6rg", b"log", b"weiss", b"x"], "J\\xf6rg"),
        ([b"show", b"wei\xdf"], "wei\\xdf"),
    ],
)
def test_arguments_that_are_not_utf8_are_bad_input(story, journal, args, shown):
    before = snapshot(journal)
    done = rapport(*args)
    assert done.returncode == 2
    message = f"rapport: the argument '{shown}' is not UTF-8; nothing written\n"
    assert done.stderr.decode() == message
    assert snapshot(journal) == before


def test_a_journal_name_that_is_not_utf8_is_bad_input(story, journal, tmp_path):
    before = snapshot(journal)
    by_option = rapport(b"--db", b"bad\xff.db", b"add", b"X", cwd=tmp_path)
    by_variable = rapport("add", "X", env={"RAPPORT_DB": os.fsdecode(b"bad\xff.db")}, cwd=tmp_path)
    assert (by_option.returncode, by_variable.returncode) == (2, 2)
    refused = "'bad\\xff.db' is not UTF-8; nothing written\n"
    assert by_option.stderr.decode() == f"rapport: the argument {refused}"
    assert by_variable.stderr.decode() == f"rapport: RAPPORT_DB {refused}"
    assert not list(tmp_path.glob("bad*"))
    assert snapshot(journal) == before


# -- terminals that are not UTF-8 ---------------------------------------------------------------


@pytest.fixture(scope="session")
def latin1(tmp_path_factory) -> dict[str, str]:
    """The environment of a real ISO-8859-1 terminal (a locale built with localedef)."""
    if not shutil.which("localedef"):
        pytest.skip("needs localedef to build a latin-1 locale")
    folder = tmp_path_factory.mktemp("locales")
    built = subprocess.run(["localedef", "-i", "de_DE", "-f", "ISO-8859-1",
                            str(folder / "de_DE.ISO-8859-1")], capture_output=True)  # fmt: skip
    if built.returncode != 0:
        pytest.skip(f"localedef could not build de_DE.ISO-8859-1: {built.stderr[-200:]!r}")
    return {"LOCPATH": str(folder), "LC_ALL": "de_DE.ISO-8859-1", "LANG": "de_DE.ISO-8859-1"}


VIEWS = [["show", "weiss"], ["clients"], ["drift"], ["stats"], ["due"], ["search", "segeln"]]


@pytest.mark.parametrize("args", VIEWS)
def test_an_ascii_terminal_gets_readable_ascii(story, args):
    done = rapport(*args, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    shown = done.stdout.decode("ascii")  # nothing but ASCII reaches the terminal
    if args == ["show", "weiss"]:
        assert "J\\xf6rg Wei\\xdf" in shown  # unambiguous escapes, not question marks
        assert "Mittag am Hafen -> Segeln" in shown  # rapport's own signs as look-alikes


@pytest.mark.parametrize("args", VIEWS)
def test_a_latin1_terminal_gets_latin1(story, latin1, args):
    done = rapport(*args, env=latin1)
    assert done.returncode == 0, done.stderr
    shown = done.stdout.decode("latin-1")
    if args == ["show", "weiss"]:
        assert "Jörg Weiß" in shown and "Mittag am Hafen -> Segeln -- später mehr..." in shown


def test_a_latin1_terminal_types_latin1_names(story, latin1):
    done = rapport(b"show", "Jörg".encode("latin-1"), env=latin1)
    assert done.returncode == 0, done.stderr
    assert "Jörg Weiß" in done.stdout.decode("latin-1")
    missing = rapport(b"show", "Jürgen".encode("latin-1"), env=latin1)
    assert missing.returncode == 2
    assert missing.stderr.decode("latin-1") == "rapport: no client matches 'Jürgen'\n"


def test_an_ascii_terminal_gets_errors_it_can_show(story):
    done = rapport("show", "Jürgen", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 2
    assert done.stderr.decode("ascii") == "rapport: no client matches 'J\\xfcrgen'\n"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_machine_output_stays_utf8(story, latin1, encoding):
    env = {"PYTHONIOENCODING": "ascii"} if encoding == "ascii" else latin1
    exported = rapport("export", env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == rapport_process("export").stdout
    shown = rapport("show", "weiss", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout.decode("utf-8"))
    assert data["client"]["name"] == "Jörg Weiß"
    assert any("→ Segeln" in entry.get("note", "") for entry in data["timeline"])
