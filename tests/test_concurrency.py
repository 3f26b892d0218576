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
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ,
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
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ)
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


HOLDER = """
import sqlite3, sys, time

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE client SET role = 'held'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


# On PostgreSQL, rapport's writers take an advisory lock per journal (schema) first.
SERVER_HOLDER = """
import sys, time, psycopg

url = sys.argv[1]
conn = psycopg.connect("postgresql" + url[url.index("://"):])
conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('rapport:' || current_schema(), 0))")
conn.execute("UPDATE client SET role = 'held'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.rollback()
"""


def hold_lock(journal, seconds: float) -> subprocess.Popen:
    script = SERVER_HOLDER if isinstance(journal, ServerJournal) else HOLDER
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(journal), str(seconds)], stdout=subprocess.PIPE
    )
    assert holder.stdout.readline() == b"locked\n"
    return holder


def test_a_writer_waits_two_seconds_for_a_lock(run, journal):
    assert run("add", "A").exit_code == 0
    holder = hold_lock(journal, 2.0)
    started = time.monotonic()
    done = rapport_process("log", "A", "while locked")
    waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert waited >= 1.5
    print(f"waited {waited:.2f} s for a 2 s lock, then wrote")
    assert rows(journal, "SELECT note FROM interaction") == [("while locked",)]


def test_a_lock_held_past_the_busy_timeout_is_a_clear_error(run, journal):
    assert run("add", "A").exit_code == 0
    before = snapshot(journal)
    holder = hold_lock(journal, 4.0)
    started = time.monotonic()
    done = rapport_process("log", "A", "too late", env={"RAPPORT_BUSY_TIMEOUT": "1000"})
    print(f"gave up after {time.monotonic() - started:.2f} s with a 1 s busy timeout")
    holder.wait(timeout=30)
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"rapport: the journal {journal} is busy: another process has held it for more than "
        "1 s; nothing written, try again\n"
    )
    assert snapshot(journal) == before
