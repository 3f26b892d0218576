"""Many rapport processes writing one journal at once: every row lands, nobody sees a lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ServerJournal, rapport_process, rows, snapshot

# A real process that runs `rapport log` `count` times through the command line's own entry
# point, each run opening the journal afresh, as a shell loop would, without paying for
# Python's start-up a thousand times.
WORKER = """
import sys
from rapport.cli import app
name, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    code = app(args=["log", "Shared Client", f"{name} note {i}", "--kind", "call"],
               prog_name="rapport", standalone_mode=False)
    if code:
        sys.exit(code)
"""


# The promise under test is that every writer waits its turn and none is lost, not how long
# the default busy timeout is: on a loaded machine one writer may wait behind seven others
# for more than its 10 s, so the workers wait up to two minutes.
def patient() -> dict[str, str]:
    return {**os.environ, "RAPPORT_BUSY_TIMEOUT": "120000"}


def integrity(path) -> str:
    if isinstance(path, ServerJournal):  # the server keeps its pages sound; check the rows
        orphans = rows(path, "SELECT count(*) FROM interaction i "
                       "LEFT JOIN client c ON c.id = i.client_id WHERE c.id IS NULL")  # fmt: skip
        return "ok" if orphans == [(0,)] else f"{orphans[0][0]} orphaned interactions"
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize(("processes", "each"), [(2, 500), (8, 250)])
def test_concurrent_writers_lose_nothing(run, journal, processes, each):
    assert run("add", "Shared Client").exit_code == 0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, f"w{n}", str(each)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=patient(),
        )
        for n in range(processes)
    ]  # fmt: skip
    started = time.monotonic()
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()
        assert b"locked" not in err and b"busy" not in err
    assert rows(journal, "SELECT count(*) FROM interaction") == [(processes * each,)]
    assert rows(journal, "SELECT count(DISTINCT note) FROM interaction") == [(processes * each,)]
    assert integrity(journal) == "ok"
    print(f"{processes} x {each}: {processes * each} rows, integrity ok, "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip


# A shell loop of whole `rapport log` processes: each starts, opens the journal (and may
# find another process opening it at the same moment), writes one entry and ends.
LANE = """
import subprocess, sys
name, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    done = subprocess.run([sys.executable, "-m", "rapport", "log", "Shared Client",
                           f"{name} note {i}", "--kind", "call"], capture_output=True)
    sys.stderr.buffer.write(done.stderr)
    if done.returncode:
        sys.exit(done.returncode)
"""


@pytest.mark.slow
def test_whole_rapport_log_processes_started_at_once_lose_nothing(run, journal):
    assert run("add", "Shared Client").exit_code == 0
    lanes, each = 8, 25
    started = time.monotonic()
    workers = [
        subprocess.Popen([sys.executable, "-c", LANE, f"p{n}", str(each)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=patient())
        for n in range(lanes)
    ]  # fmt: skip
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()
        said = err.decode().splitlines()
        assert len(said) == each and all(line.startswith("Logged call") for line in said), said
    assert rows(journal, "SELECT count(DISTINCT note) FROM interaction") == [(lanes * each,)]
    assert integrity(journal) == "ok"
    print(f"{lanes} x {each} whole processes: {lanes * each} rows, integrity ok, "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip


# A process that takes the journal's write lock, says when it holds it, and keeps it until
# its stdin closes: a test releases the lock when it has seen what it wanted, however slowly
# a busy machine started the other process. Two minutes at most, so that nothing hangs.
HOLDER = """
import sqlite3, sys, time

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE client SET role = 'held'")
print("locked", time.time(), flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


# On PostgreSQL, rapport's writers take an advisory lock per journal (schema) first.
SERVER_HOLDER = """
import sys, time, psycopg

url = sys.argv[1]
conn = psycopg.connect("postgresql" + url[url.index("://"):])
conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('rapport:' || current_schema(), 0))")
conn.execute("UPDATE client SET role = 'held'")
print("locked", time.time(), flush=True)
sys.stdin.read()
conn.rollback()
"""


class HeldLock:
    """The journal's write lock, held by another process from `hold_lock` until `release`."""

    def __init__(self, journal) -> None:
        script = SERVER_HOLDER if isinstance(journal, ServerJournal) else HOLDER
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, str(journal)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        said = self.process.stdout.readline().split()
        assert said[:1] == [b"locked"], said
        self.since = float(said[1])  # wall-clock time the lock was taken

    def release(self) -> float:
        """Let go of the lock; returns the wall-clock time just before it was let go."""
        released = time.time()
        self.process.stdin.close()
        assert self.process.wait(timeout=120) == 0
        return released

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.release()


def hold_lock(journal) -> HeldLock:
    return HeldLock(journal)


def test_a_writer_waits_for_a_lock(run, journal):
    assert run("add", "A").exit_code == 0
    with hold_lock(journal) as lock:
        writer = subprocess.Popen(
            [sys.executable, "-m", "rapport", "log", "A", "while locked"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(2.0)  # long enough for the writer to reach the lock on a quiet machine
        still_waiting = writer.poll() is None
        released = lock.release()
        _, err = writer.communicate(timeout=60)
    finished = time.time()
    assert writer.returncode == 0, err
    # The promise: the writer waited its turn and then wrote; it never wrote while held.
    assert still_waiting, "the writer ended while another process held the lock"
    assert rows(journal, "SELECT note FROM interaction") == [("while locked",)]
    print(f"waited {finished - lock.since:.2f} s behind a lock released after "
          f"{released - lock.since:.2f} s, then wrote")  # fmt: skip


def test_a_lock_held_past_the_busy_timeout_is_a_clear_error(run, journal):
    assert run("add", "A").exit_code == 0
    before = snapshot(journal)
    with hold_lock(journal):
        started = time.monotonic()
        done = rapport_process("log", "A", "too late", env={"RAPPORT_BUSY_TIMEOUT": "1000"})
        print(f"gave up after {time.monotonic() - started:.2f} s with a 1 s busy timeout")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"rapport: the journal {journal} is busy: another process has held it for more than "
        "1 s; nothing written, try again\n"
    )
    assert snapshot(journal) == before
