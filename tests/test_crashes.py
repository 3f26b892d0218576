"""kill -9, Ctrl-C and a full disk during an import: the journal stays whole.

An import is one transaction, so after any crash the journal holds nothing of it (never a
part): SQLite's journal rolls the unfinished transaction back on the next open.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import rows

# Killed and starved processes against the SQLite file.
pytestmark = pytest.mark.sqlite_only

LINES = 100_000
OWNER = "0b0e0a8e-1111-4d3e-9a6a-2b2f3c4d5e6f"


def write_import(path: Path, count: int = LINES) -> None:
    with path.open("w") as out:
        out.write('{"type":"header","format":1}\n')
        out.write(json.dumps({"type": "client", "uuid": OWNER, "name": "Big Import"}) + "\n")
        for n in range(count - 1):
            out.write(json.dumps({
                "type": "interaction", "uuid": f"{n:08x}-0000-4000-8000-000000000000",
                "client_uuid": OWNER, "at": "2025-01-01T10:00:00+00:00", "kind": "note",
                "note": f"Entry number {n} about the spring campaign",
            }) + "\n")  # fmt: skip


def start_import(journal: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rapport", "--db", str(journal), "import", str(source)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_until_read(process: subprocess.Popen, source: Path, share: float = 0.3) -> None:
    """Wait until the import has read `share` of its file, as /proc shows its position.

    A fixed sleep lands after the end once the import gets faster (100,000 lines take about
    2 s here); the file position says the import is under way on any machine.
    """
    size, wanted = source.stat().st_size, str(source.resolve())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError, IndexError, ValueError):
            for fd in Path(f"/proc/{process.pid}/fd").iterdir():
                if os.readlink(fd) == wanted:
                    info = Path(f"/proc/{process.pid}/fdinfo/{fd.name}").read_text()
                    if int(info.split()[1]) >= share * size:
                        return
        time.sleep(0.005)


def state(journal: Path) -> tuple[str, int, int]:
    conn = sqlite3.connect(journal)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("SELECT count(*) FROM client").fetchone()[0],
            conn.execute("SELECT count(*) FROM interaction").fetchone()[0],
        )
    finally:
        conn.close()


@pytest.fixture
def lived_in(run, journal):
    """A journal with earlier work in it, the WAL folded into the file."""
    for step in [("add", "Konrad Brandt"), ("log", "brandt", "Lunch at the harbour")]:
        assert run(*step).exit_code == 0
    conn = sqlite3.connect(journal)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return journal


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("import") / "big.jsonl"
    write_import(path)
    return path


NOTHING, EVERYTHING = ("ok", 1, 1), ("ok", 2, LINES)  # of the import, in `lived_in`


def interrupt_import(journal: Path, source: Path, share: float, sig: int) -> tuple[int, bytes]:
    """Start an import, send `sig` once it has read `share` of its file; its status and stderr.

    Aimed by how far the import has read, not by a clock, so a busy machine aims as well as
    a quiet one. A signal may still land after the commit (the process had not yet exited):
    the caller asserts all or nothing and counts only what provably landed before.
    """
    process = start_import(journal, source)
    wait_until_read(process, source, share)
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def put_back(journal: Path, pristine: Path) -> None:
    """The journal as it was before a trial whose import got through whole."""
    for leftover in (Path(f"{journal}-wal"), Path(f"{journal}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(pristine, journal)


@pytest.mark.slow
def test_kill_9_at_random_moments_during_an_import(lived_in, big_file):
    journal = lived_in
    rng = random.Random(20261127)
    pristine = journal.with_name("pristine.db")
    shutil.copy(journal, pristine)
    landed = 0
    for _ in range(20):
        code, _ = interrupt_import(journal, big_file, rng.uniform(0.05, 0.95), signal.SIGKILL)
        after = state(journal)
        # All or nothing, whenever the kill landed, and a sound file.
        assert after in (NOTHING, EVERYTHING), after
        if after == NOTHING and code == -signal.SIGKILL:
            landed += 1  # provably before the commit: none of it is there
        else:
            put_back(journal, pristine)  # the import finished first; this trial does not count
    print(f"{landed} of 20 kills landed before the import's commit")
    assert landed >= 15, f"only {landed} of 20 kills landed before the import's commit"
    done = start_import(journal, big_file)
    assert done.wait(timeout=600) == 0
    assert state(journal) == EVERYTHING
    assert rows(journal, "SELECT count(DISTINCT uuid) FROM interaction") == [(LINES,)]


@pytest.mark.slow
def test_kill_9_of_an_import_into_a_new_journal_leaves_nothing(tmp_path, big_file):
    journal = tmp_path / "new" / "journal.db"
    for _ in range(5):  # a kill that lands after the import's end proves nothing: again
        code, _ = interrupt_import(journal, big_file, 0.3, signal.SIGKILL)
        if code == -signal.SIGKILL and not journal.exists():
            break
        assert code in (0, -signal.SIGKILL)  # the whole import, or nothing
        assert state(journal) == ("ok", 1, LINES - 1)
        for made in journal.parent.iterdir():
            made.unlink()
    else:
        pytest.fail("no kill landed before the import's end in 5 trials")
    left = list(journal.parent.glob(".journal.db.*"))
    # The next import clears what the killed one left, then succeeds.
    assert start_import(journal, big_file).wait(timeout=600) == 0
    assert state(journal) == ("ok", 1, LINES - 1)
    assert all(not p.exists() for p in left)


@pytest.mark.slow
def test_ctrl_c_during_an_import(lived_in, big_file):
    journal = lived_in
    pristine = journal.with_name("pristine.db")
    shutil.copy(journal, pristine)
    for _ in range(5):  # a Ctrl-C after the commit is ignored (tested below): try again
        code, err = interrupt_import(journal, big_file, 0.3, signal.SIGINT)
        if code == 130:
            break
        assert code == 0 and state(journal) == EVERYTHING, err
        put_back(journal, pristine)
    else:
        pytest.fail("no Ctrl-C landed before the import's commit in 5 trials")
    assert err.decode() == (
        f"rapport: interrupted: nothing from {big_file} was imported; the journal is as it was\n"
    )
    assert state(journal) == NOTHING
    done = start_import(journal, big_file)
    assert done.wait(timeout=600) == 0
    assert state(journal) == EVERYTHING
    assert rows(journal, "SELECT count(DISTINCT uuid) FROM interaction") == [(LINES,)]


class InterruptedAfterCommit:
    """A sqlite3 connection that gets a real SIGINT as soon as its COMMIT has run."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def execute(self, sql: str, *args):
        cursor = self._conn.execute(sql, *args)
        if sql == "COMMIT":
            os.kill(os.getpid(), signal.SIGINT)  # a real signal, delivered as the commit ends
        return cursor


def test_ctrl_c_as_the_commit_finishes_does_not_undo_the_report(
    run, lived_in, tmp_path, monkeypatch
):
    """A Ctrl-C that lands once the commit has begun waits for it: the import is whole,
    and rapport says so rather than "nothing was imported"."""
    source = tmp_path / "small.jsonl"
    write_import(source, 500)
    connect = sqlite3.connect
    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", lambda *a, **k: InterruptedAfterCommit(connect(*a, **k)))
        result = run("import", str(source))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Imported {source}: 500 new")
    assert state(lived_in) == ("ok", 2, 500)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def limit_file_size(limit: int):
    def apply() -> None:
        # Without this, the kernel would kill the process (SIGXFSZ) instead of failing the write.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_disk_that_fills_up_during_an_import(lived_in, tmp_path):
    journal = lived_in
    source = tmp_path / "medium.jsonl"
    write_import(source, 20_000)
    limit = journal.stat().st_size + 256 * 1024
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "--db", str(journal), "import", str(source)],
        capture_output=True, preexec_fn=limit_file_size(limit), timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.decode() == (
        f"rapport: cannot write the journal {journal}: the disk is full or the file may not "
        "grow; nothing written, the journal is as it was\n"
    )
    assert state(journal) == ("ok", 1, 1)
    assert rows(journal, "SELECT note FROM interaction") == [("Lunch at the harbour",)]
