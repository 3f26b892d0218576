"""What rapport may open: another program's SQLite file, a read-only journal, a device or a
FIFO, a libpq keyword string. Each is refused with one line, or read without a byte changed."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SERVER, _server_connection, server_journal, snapshot
from rapport.store import migrations

APPLICATION_ID = 0x52415050  # "RAPP"
SIDES = ("", "-wal", "-shm", "-journal")


def files(path: Path) -> dict[str, bytes]:
    """The file and whatever SQLite keeps beside it, byte for byte."""
    found = (Path(f"{path}{side}") for side in SIDES)
    return {str(side)[len(str(path)) :]: side.read_bytes() for side in found if side.exists()}


def listing(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a folder: its mode and bytes."""
    return {
        entry.name: (stat.S_IMODE(entry.stat().st_mode), entry.read_bytes())
        for entry in sorted(folder.iterdir())
        if entry.is_file()
    }


def one_line(result) -> str:
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


# Every way into the file: the ORM's reads and writes, plainsql's connections, maintenance.
EVERY_COMMAND = [
    ["clients"], ["show", "anna"], ["search", "call"], ["export"], ["due"], ["stats"],
    ["add", "Anna"], ["log", "anna", "a call", "--create"], ["impression", "anna", "kind"],
    ["forget", "anna", "--yes"], ["import", "IMPORT"], ["import", "--dry-run", "IMPORT"],
    ["check"], ["db", "info"], ["db", "compact"], ["backup", "BACKUP"],
]  # fmt: skip


def users_database(path: Path, *, wal: bool = False, application_id: int = 0) -> None:
    """Another program's database: a table of users; in WAL mode, left with its -wal and
    -shm as a program that crashed (or still runs) leaves them."""
    script = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        f"conn.execute('PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}')\n"
        f"conn.execute('PRAGMA application_id = {application_id}')\n"
        "conn.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)')\n"
        "conn.execute(\"INSERT INTO users (name) VALUES ('ada'), ('grace')\")\n"
        "conn.commit()\n"
        "conn.execute(\"INSERT INTO users (name) VALUES ('only in the wal')\")\n"
        "conn.commit()\n"
        "os._exit(0)\n"  # no close: the -wal keeps the last commit, the -shm stays
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"type": "client", "uuid": "0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f", "name": "Ida"}\n'
    )
    return {"IMPORT": str(source), "BACKUP": str(tmp_path / "copy.db")}


def command(args: list[str], paths: dict[str, str]) -> list[str]:
    return [paths.get(arg, arg) for arg in args]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("kind", "wal", "application_id"),
    [("rollback journal", False, 0), ("WAL with -wal and -shm", True, 0),
     ("another program's mark", False, 0x47504B47)],  # GeoPackage's "GPKG"
)  # fmt: skip
@pytest.mark.parametrize("args", EVERY_COMMAND, ids=" ".join)
def test_another_programs_database_is_refused_untouched(
    run, tmp_path, paths, kind, wal, application_id, args
):
    other = tmp_path / "other.db"
    users_database(other, wal=wal, application_id=application_id)
    other.chmod(0o600)
    before = files(other)
    assert ("-wal" in before and "-shm" in before) == wal
    result = run("--db", str(other), *command(args, paths))
    assert result.exit_code == 1, result.output
    assert one_line(result) == (
        f"rapport: {other} is a SQLite database, but not a rapport journal; "
        "rapport leaves it untouched\n"
    )
    assert files(other) == before
    assert not Path(paths["BACKUP"]).exists()


@pytest.mark.sqlite_only
def test_the_refusal_comes_before_the_warning_about_its_mode(run, tmp_path):
    other = tmp_path / "other.db"
    users_database(other)
    other.chmod(0o644)  # readable by others: a journal would get a warning first
    result = run("--db", str(other), "clients")
    assert result.exit_code == 1
    assert "not a rapport journal" in one_line(result)


@pytest.mark.sqlite_only
def test_a_new_journal_carries_rapports_mark(run, journal):
    assert run("add", "Anna").exit_code == 0
    assert journal.read_bytes()[68:72] == b"RAPP"
    conn = sqlite3.connect(journal)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


@pytest.mark.sqlite_only
def test_an_empty_sqlite_file_becomes_a_journal(run, journal):
    # Nothing in it to spoil, as a journal whose first write was cut off.
    conn = sqlite3.connect(journal)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")
    conn.close()
    journal.chmod(0o600)
    assert journal.stat().st_size > 0
    assert run("add", "Anna").exit_code == 0
    assert run("clients", "--json").stdout.count('"Anna"') == 1
    assert journal.read_bytes()[68:72] == b"RAPP"


# -- devices, FIFOs and sockets --------------------------------------------------------------


def not_a_file(kind: str, tmp_path: Path) -> Path:
    if kind == "device":
        return Path("/dev/null")
    target = tmp_path / kind
    if kind == "FIFO (named pipe)":
        os.mkfifo(target)
    else:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(target))
    return target


@pytest.mark.sqlite_only
@pytest.mark.parametrize("kind", ["device", "FIFO (named pipe)", "socket"])
@pytest.mark.parametrize("args", [["clients"], ["add", "Anna"], ["check"], ["db", "info"]])
def test_a_device_a_fifo_or_a_socket_is_refused(run, tmp_path, kind, args):
    target = not_a_file(kind, tmp_path)
    beside = {side: Path(f"{target}{side}").exists() for side in SIDES[1:]}
    result = run("--db", str(target), *args)
    assert result.exit_code == 1, result.output
    line = one_line(result)
    assert line == f"rapport: {target} is a {kind}, not a file; give the path of a journal file\n"
    assert "chmod" not in line
    assert {side: Path(f"{target}{side}").exists() for side in SIDES[1:]} == beside
    assert stat.S_IMODE(target.stat().st_mode) == (0o666 if kind == "device" else
                                                   stat.S_IMODE(target.stat().st_mode))  # fmt: skip


# -- read-only journals --------------------------------------------------------------------


def unprivileged_prefix() -> list[str]:
    """How to run rapport so that file modes bind it. Root ignores them; in a new user
    namespace (unshare --user) root keeps its files but loses the power to override modes.
    A user other than root needs nothing."""
    if os.geteuid() != 0:
        return []
    try:
        probe = subprocess.run(["unshare", "--user", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        probe = None
    if probe is None or probe.returncode != 0:
        pytest.skip("running as root, and unshare --user is not allowed here: root ignores "
                    "file modes, so a read-only journal cannot be made")  # fmt: skip
    return ["unshare", "--user"]


def as_user(*args: str, journal: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-m", "rapport", "--db", str(journal), *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "RAPPORT_DB": ""},
    )  # fmt: skip
    return done


@pytest.fixture(params=["file 0400", "folder 0500"])
def read_only(request, run, tmp_path):
    folder = tmp_path / "journals"
    folder.mkdir(mode=0o700)
    journal = folder / "journal.db"
    assert run("--db", str(journal), "add", "Anna", "--company", "Nordlicht").exit_code == 0
    assert run("--db", str(journal), "log", "anna", "Talked about sailing").exit_code == 0
    target = journal if request.param == "file 0400" else folder
    writable = stat.S_IMODE(target.stat().st_mode)
    target.chmod(0o400 if target == journal else 0o500)
    yield journal
    target.chmod(writable)


@pytest.mark.sqlite_only
def test_a_read_only_journal_is_read_and_left_as_it_is(read_only, tmp_path):
    journal = read_only
    before = listing(journal.parent)
    assert set(before) == {"journal.db"}
    out = tmp_path / "out"
    out.mkdir()
    for args in (["clients"], ["show", "anna"], ["search", "sailing"], ["export"], ["db", "info"],
                 ["due"], ["backup", str(out / "copy.db")]):  # fmt: skip
        done = as_user(*args, journal=journal)
        assert done.returncode == 0, (args, done.stderr)
        assert listing(journal.parent) == before, args  # no -wal, no -shm, not a byte
    assert "Talked about sailing" in as_user("show", "anna", journal=journal).stdout
    copied = sqlite3.connect(out / "copy.db")
    assert copied.execute("SELECT count(*) FROM interaction").fetchone() == (1,)
    copied.close()


@pytest.mark.sqlite_only
def test_check_on_a_read_only_journal_says_what_it_could_not_check(read_only):
    done = as_user("check", journal=read_only)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "integrity:    ok", "foreign keys: ok",
        "search index: not checked: the journal is read-only",
        f"schema:       version {migrations.SCHEMA_VERSION}", "ok",
    ]  # fmt: skip


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "args",
    [["log", "anna", "hello"], ["add", "Ben"], ["impression", "anna", "warm"],
     ["forget", "anna", "--yes"], ["db", "compact"], ["rename", "anna", "Annabel"],
     ["todo", "anna", "call back"], ["import", "IMPORT"]],
)  # fmt: skip
def test_writes_to_a_read_only_journal_say_so_and_the_next_write_works(read_only, run, paths, args):
    journal = read_only
    before = listing(journal.parent)
    done = as_user(*command(args, paths), journal=journal)
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"rapport: the journal {journal} is read-only"), done.stderr
    assert listing(journal.parent) == before
    journal.chmod(0o600)
    journal.parent.chmod(0o700)
    # Nothing left behind (a 0400 -shm) stops the owner from writing once it is writable.
    again = as_user("log", "anna", "writable again", journal=journal)
    assert again.returncode == 0, again.stderr
    assert "writable again" in run("--db", str(journal), "show", "anna").stdout


@pytest.mark.sqlite_only
def test_a_read_only_journal_is_read_with_what_is_still_in_its_wal(run, tmp_path):
    journal = tmp_path / "journal.db"
    assert run("--db", str(journal), "add", "Anna").exit_code == 0
    holder = sqlite3.connect(journal, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM client").fetchone()  # keeps the checkpoint back
    try:
        assert run("--db", str(journal), "log", "anna", "only in the wal").exit_code == 0
        journal.chmod(0o400)
        before = {name: mode for name, (mode, _) in listing(tmp_path).items()}
        done = as_user("show", "anna", journal=journal)
        assert done.returncode == 0, done.stderr
        assert "only in the wal" in done.stdout
        assert {name: mode for name, (mode, _) in listing(tmp_path).items()} == before
    finally:
        holder.close()
        journal.chmod(0o600)


@pytest.mark.sqlite_only
def test_check_on_a_file_that_is_not_a_journal_does_not_say_ok(run, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("These are my notes, not a database.\n")
    result = run("--db", str(notes), "check")
    assert result.exit_code == 1
    assert "foreign keys: ok" not in result.output
    assert (
        one_line(result) == f"rapport: {notes} is not a rapport journal (not an SQLite database)\n"
    )


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.parametrize("args", [["clients"], ["show", "anna"], ["search", "x"], ["export"],
                                  ["db", "info"], ["check"]])  # fmt: skip
def test_a_read_leaves_another_programs_schema_alone(run, args):
    with server_journal() as other:
        with _server_connection(SERVER, other.schema) as conn:
            conn.execute("CREATE TABLE users (id integer PRIMARY KEY, name text)")
            conn.execute("INSERT INTO users VALUES (1, 'ada')")
        before = snapshot(other)
        result = run("--db", other.url, *args)
        assert result.exit_code in (0, 1, 2), result.output
        assert snapshot(other) == before  # no table of rapport's made there


@pytest.mark.postgres_only
@pytest.mark.parametrize("args", [["clients"], ["add", "Anna"], ["log", "anna", "x", "--create"],
                                  ["check"], ["db", "info"], ["export"]])  # fmt: skip
def test_another_programs_migrations_table_is_not_taken_for_a_journal(run, args):
    with server_journal() as other:
        with _server_connection(SERVER, other.schema) as conn:
            conn.execute("CREATE TABLE users (id integer PRIMARY KEY, name text)")
            conn.execute("CREATE TABLE _migrations (name text PRIMARY KEY, applied_at timestamp)")
            conn.execute("INSERT INTO _migrations VALUES ('0001_users', now()), ('0002_x', now())")
        before = snapshot(other)
        result = run("--db", other.url, *args)
        assert result.exit_code == 1, result.output
        assert one_line(result) == (
            f"rapport: the schema {other.schema} holds another program's _migrations table: it "
            "is not a rapport journal, and rapport leaves it untouched\n"
        )
        assert snapshot(other) == before


# -- libpq keyword strings -----------------------------------------------------------------


def keywords(url: str, password: str | None = None) -> str:
    """A test server's URL as libpq's keyword/value string."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict("postgresql" + url[url.index("://") :])
    if password is not None:
        params["password"] = password
    return make_conninfo(**params)


@pytest.mark.parametrize(
    ("secret", "written"),
    [("s3cret-Pa55", "s3cret-Pa55"), ("with space", "'with space'"), ("quo'te", r"'quo\'te'"),
     ("back\\slash", r"back\\slash")],
    ids=["plain", "space", "quote", "backslash"],
)  # fmt: skip
def test_a_libpq_keyword_string_is_a_server_not_a_file(run, tmp_path, monkeypatch, secret, written):
    monkeypatch.chdir(tmp_path)
    address = f"host=127.0.0.1 port=1 dbname=clients user=anna password={written}"
    shown = "host=127.0.0.1 port=1 dbname=clients user=anna password=***"
    for args in (("clients",), ("add", "Anna"), ("check",), ("db", "info"), ("export",)):
        result = run("--db", address, *args)
        assert result.exit_code == 1, result.output
        assert one_line(result).startswith(f"rapport: cannot reach the journal {shown}: ")
        assert secret not in result.output and written not in result.output
    path = run("--db", address, "db", "path")
    assert (path.exit_code, path.stdout) == (0, f"{shown}\n")
    assert list(tmp_path.iterdir()) == []  # no file named after the string


@pytest.mark.parametrize(
    "address",
    ["host=127.0.0.1 password=my secret", "host=127.0.0.1 dbname='open password=hunter2",
     "host=127.0.0.1 password=hunter2 ;", "password=hunter2 and more"],
    ids=["unquoted-space", "unclosed-quote", "trailing-garbage", "words-after"],
)  # fmt: skip
def test_a_mistyped_keyword_string_is_refused_not_made_a_file(run, tmp_path, monkeypatch, address):
    monkeypatch.chdir(tmp_path)
    for args in (("add", "Probe"), ("clients",), ("db", "path")):
        result = run("--db", address, *args)
        assert result.exit_code == 2, result.output
        assert one_line(result).startswith("rapport: the journal given looks like a PostgreSQL")
        assert "hunter2" not in result.output and "secret" not in result.output
    assert list(tmp_path.iterdir()) == []  # no journal named after the password


def test_a_file_whose_name_holds_an_equals_sign_is_still_a_file(run, tmp_path):
    target = tmp_path / "notes=2026.db"
    assert run("--db", str(target), "add", "Anna").exit_code == 0
    assert target.exists()


@pytest.mark.postgres_only
def test_a_journal_is_reached_through_a_libpq_keyword_string(run, journal):
    written = keywords(journal.url)
    assert "://" not in written
    assert run("--db", written, "add", "Anna").exit_code == 0
    assert run("--db", written, "log", "anna", "through keywords").exit_code == 0
    assert "through keywords" in run("show", "anna").stdout  # the same journal by its URL
    compacted = run("--db", written, "db", "compact")
    assert compacted.exit_code == 0, compacted.output
    assert "file" not in compacted.output


def test_db_compact_says_what_it_rewrote(run):
    assert run("add", "Anna").exit_code == 0
    done = run("db", "compact")
    assert done.exit_code == 0
    if SERVER:
        assert done.stderr == (
            "Compacted: rapport's tables were rewritten without deleted rows (VACUUM FULL).\n"
        )
    else:
        assert done.stderr == "Compacted: no deleted data is left in the file.\n"


@pytest.mark.sqlite_only
def test_a_shm_file_an_earlier_reader_left_read_only_is_named(run, tmp_path):
    journal = tmp_path / "journal.db"
    assert run("--db", str(journal), "add", "Anna").exit_code == 0
    journal.chmod(0o400)
    # What an earlier rapport (or sqlite3 itself) left after reading the 0400 journal.
    reader = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)\n"
        "conn.execute('SELECT count(*) FROM client').fetchone()\n"
        "os._exit(0)\n"
    )
    left = subprocess.run([*unprivileged_prefix(), sys.executable, "-c", reader, str(journal)])
    assert left.returncode == 0
    shm = Path(f"{journal}-shm")
    assert stat.S_IMODE(shm.stat().st_mode) == 0o400
    journal.chmod(0o600)
    Path(f"{journal}-wal").chmod(0o600)  # SQLite itself gives an empty -wal the file's mode
    assert as_user("clients", journal=journal).returncode == 0
    done = as_user("log", "anna", "hello", journal=journal)
    assert done.returncode == 1
    assert done.stderr == (
        f"rapport: the journal {journal} is read-only: {shm} beside it may not be written "
        "(make it writable as the journal is); nothing written\n"
    )
    shm.chmod(0o600)
    assert as_user("log", "anna", "hello", journal=journal).returncode == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["clients"], ["log", "anna", "hello"], ["check"]])
def test_a_journal_this_user_may_not_read_is_one_line(run, tmp_path, args):
    journal = tmp_path / "journal.db"
    assert run("--db", str(journal), "add", "Anna").exit_code == 0
    journal.chmod(0o000)
    try:
        done = as_user(*args, journal=journal)
        assert done.returncode == 1
        assert done.stderr == f"rapport: cannot read the journal {journal}: Permission denied\n"
        assert sorted(path.name for path in tmp_path.iterdir()) == ["journal.db"]
    finally:
        journal.chmod(0o600)
