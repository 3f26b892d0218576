"""The benchmark runner: whole-process times and peak memory, as ratios to baselines.

Every figure is a median over interleaved runs, so a busy shared machine slows the baselines
and rapport alike: only ratios within one run are worth comparing. It builds journals of each
size with benchmarks/generate.py and rapport's own import (cached in the data folder), times
the twelve daily commands at each size beside Typer's hello world, and prints a table that it
also writes to benchmarks/RESULTS.md.

    python benchmarks/run.py                       # 10k, 100k and 1M interactions
    python benchmarks/run.py --quick               # 1k and 10k, 3 runs: a check of the runner
    python benchmarks/run.py --sizes 10000,1000000 --runs 7 --no-jrnl \\
        --postgres postgresql://postgres@127.0.0.1:5432/test    # also import 100k on a server

The runner imports nothing of rapport. `--python` names the interpreter whose rapport is
measured (another checkout's venv, say); the baselines run on it too. `--data` shares the
generated journals between such runs, so both measure the same files.

jrnl is installed into benchmarks/.venv-jrnl on first use (never a dependency of rapport).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JRNL_VENV = HERE / ".venv-jrnl"
CLIENT = "Konrad Brandt 003"  # generate.py's names carry an index, so this one is unique
PG_SCHEMA = "bench_import"
PG_SIZE = 100_000

FLOOR = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
cid = conn.execute("SELECT id FROM client WHERE name = ?", (sys.argv[2],)).fetchone()[0]
rows = conn.execute("SELECT at, kind, note FROM interaction WHERE client_id = ? "
                    "ORDER BY at DESC LIMIT 50", (cid,)).fetchall()
print(len(rows))
"""
TYPER_HELLO = """
import typer
app = typer.Typer()
@app.command()
def main(name: str = "world"):
    print(f"hello {name}")
app()
"""
# The daily commands and the targets of issue 13: each at most 1.2x Typer's hello world,
# growing at most 1.1x (search 2x) from the smallest journal to the largest.
DAILY = ("show", "log", "clients", "due", "search", "drift", "stats",
         "add", "impression", "fact", "todo", "done")  # fmt: skip
VS_HELLO = 1.2
GROWTH = {"search": 2.0}
GROWTH_DEFAULT = 1.1

# Set by main() from the options.
PY = sys.executable
DATA = HERE / "data"


def rapport_package(python: str) -> str:
    """Where the measured interpreter finds rapport's modules (without importing them here)."""
    found = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('rapport').origin)"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return found.stdout.strip()


def run_quiet(command: list[str], env: dict[str, str] | None = None, **kwargs) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, **kwargs)  # fmt: skip


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds the whole process took; a command that fails stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()}")
    return seconds


def peak_kb(command: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    return int(done.stderr.strip().splitlines()[-1])


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def rapport(*args: str) -> list[str]:
    return [PY, "-m", "rapport", *args]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def measured() -> str:
    """Which rapport is measured: its version and, from a git checkout, the commit."""
    version = subprocess.run(rapport("--version"), capture_output=True, text=True).stdout
    # find_spec in the measured interpreter locates the package without importing it.
    where = subprocess.run([PY, "-c", "import importlib.util as u; "
                            "print(u.find_spec('rapport').origin)"],
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    commit = subprocess.run(["git", "-C", str(Path(where).parent), "rev-parse", "--short",
                             "HEAD"], capture_output=True, text=True).stdout.strip()  # fmt: skip
    return f"{version.strip()} ({Path(where).parent}{', commit ' + commit if commit else ''})"


def jsonl_for(size: int) -> Path:
    """DATA/journal-SIZE.jsonl, an export written once by generate.py."""
    source = DATA / f"journal-{size}.jsonl"
    if not source.exists():
        part = source.with_suffix(".part")
        with part.open("w") as out:
            subprocess.run([sys.executable, str(HERE / "generate.py"), "--interactions",
                            str(size)], stdout=out, check=True)  # fmt: skip
        part.rename(source)
    return source


def journal_for(size: int) -> Path:
    """DATA/journal-SIZE.db, made once with rapport's own import (which is all or nothing)."""
    db = DATA / f"journal-{size}.db"
    if not db.exists():
        run_quiet(rapport("--db", str(db), "import", str(jsonl_for(size))))
    return db


def open_follow_ups(db: Path, count: int) -> list[str]:
    """Ids of follow-ups still open (generate.py makes one per client), one for each `done`."""
    conn = sqlite3.connect(db)
    found = conn.execute(
        "SELECT uuid FROM follow_up WHERE done_at IS NULL ORDER BY uuid LIMIT ?", (count,)
    )
    ids = [uuid for (uuid,) in found]
    conn.close()
    if len(ids) < count:
        sys.exit(f"{db} has {len(ids)} open follow-ups, fewer than the {count} runs")
    return ids


def daily(size: int, runs: int) -> dict[str, list[list[str]]]:
    """The daily commands on the journal of `size`: for each, its command line in each run.

    Readers read the journal as generated. Writers write to a fresh copy of it, made here, so
    the journal read stays as it was and the copy grows by one row a run, which no size
    notices; `add` gets a new name each run and `done` another open follow-up.
    """
    db = journal_for(size)
    scratch = DATA / f"scratch-{size}.db"
    for leftover in DATA.glob(f"scratch-{size}.db*"):
        leftover.unlink()
    shutil.copy(db, scratch)
    ids = open_follow_ups(scratch, runs)
    read = ("--db", str(db))
    write = ("--db", str(scratch))
    every = {
        "show": rapport(*read, "show", CLIENT),
        "log": rapport(*write, "log", CLIENT, "bench note", "--at", "2026-01-01 10:00"),
        "clients": rapport(*read, "clients"),
        "due": rapport(*read, "due"),
        "search": rapport(*read, "search", "Leipzig", "--limit", "10"),
        "drift": rapport(*read, "drift"),
        "stats": rapport(*read, "stats"),
        "impression": rapport(*write, "impression", CLIENT, "Calmer now.", "--score", "1"),
        "fact": rapport(*write, "fact", CLIENT, "Sails a folkboat.", "--topic", "hobby"),
        "todo": rapport(*write, "todo", CLIENT, "Send the media plan", "--due", "friday"),
    }
    lines = {name: [argv] * runs for name, argv in every.items()}
    lines["add"] = [rapport(*write, "add", f"Bench Person {run}", "--company", "Bench GmbH")
                    for run in range(runs)]  # fmt: skip
    lines["done"] = [rapport(*write, "done", uuid) for uuid in ids]
    return {name: lines[name] for name in DAILY}


def jrnl_command() -> list[str] | None:
    exe = JRNL_VENV / "bin" / "jrnl"
    if not exe.exists():
        run_quiet([sys.executable, "-m", "venv", str(JRNL_VENV)])
        run_quiet([str(JRNL_VENV / "bin" / "pip"), "install", "-q", "jrnl==4.6"])
    return [str(exe)] if exe.exists() else None


def jrnl_home(size: int, db: Path) -> dict[str, str]:
    """A jrnl journal with the same interactions, and a config pointing at it."""
    home = DATA / f"jrnl-{size}"
    text = home / "journal.txt"
    config = home / "config" / "jrnl" / "jrnl.yaml"
    if not text.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db)
        with text.open("w") as out:
            for at, kind, note, name in conn.execute(
                "SELECT i.at, i.kind, i.note, c.name FROM interaction i "
                "JOIN client c ON c.id = i.client_id ORDER BY i.at"
            ):
                out.write(f"[{at[:16]}] {kind} with {name}.\n{note}\n\n")
        conn.close()
        config.write_text(
            "colors: {body: none, date: none, tags: none, title: none}\n"
            "default_hour: 9\ndefault_minute: 0\neditor: ''\nencrypt: false\n"
            "highlight: false\nindent_character: '|'\n"
            f"journals: {{default: {{journal: {text}}}}}\n"
            "linewrap: 79\ntagsymbols: '#@'\ntemplate: false\ntimeformat: '%Y-%m-%d %H:%M'\n"
            "version: v4.6\n"
        )
    return {**os.environ, "XDG_CONFIG_HOME": str(config.parent.parent), "HOME": str(home)}


def postgres_imports(url: str, source: Path, runs: int, env: dict[str, str]) -> list[float]:
    """Seconds for `rapport import` of `source` into a fresh schema on the server, each run."""
    # The form the test suite's conftest uses: the schema through libpq's options.
    journal = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{PG_SCHEMA}"
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", re.sub(r"^postgresql\+\w+", "postgresql", url)]
    seconds = []
    for _ in range(runs):
        run_quiet([*psql, "-c", f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"])
        run_quiet([*psql, "-c", f"CREATE SCHEMA {PG_SCHEMA}"])
        seconds.append(timed(rapport("--db", journal, "import", str(source)), env))
    run_quiet([*psql, "-c", f"DROP SCHEMA {PG_SCHEMA} CASCADE"])
    return seconds


def mark(figure: float, target: float) -> str:
    return f"{figure:.2f}x {'✓' if figure <= target else '✗'}"


def main() -> None:
    global PY, DATA
    began, load_before = time.perf_counter(), load()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="journal sizes in interactions, comma-separated",
    )
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="sizes 1000,10000, 3 runs, no jrnl: to check the runner",
    )
    parser.add_argument("--no-jrnl", action="store_true")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter whose rapport is measured [default: this one]",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE / "data",
        help="where generated journals are cached [default: benchmarks/data]",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help=f"also time importing {label(PG_SIZE)} into a fresh schema "
        "on this server, e.g. postgresql://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "RESULTS.md",
        help="where the table is written [default: benchmarks/RESULTS.md]",
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs, args.no_jrnl = "1000,10000", 3, True
    sizes = sorted(int(s) for s in args.sizes.split(","))
    small, largest = sizes[0], sizes[-1]
    PY, DATA = str(Path(args.python).absolute()), args.data.resolve()
    DATA.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COLUMNS": "100"}
    # An installed rapport runs from bytecode (pip compiles it); an editable checkout under
    # PYTHONDONTWRITEBYTECODE would compile its source on every start, and time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PY, "-m", "compileall", "-q", str(Path(rapport_package(PY)).parent)],
                   env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    hello = DATA / "typer_hello.py"
    hello.write_text(TYPER_HELLO)
    jrnl = None if args.no_jrnl else jrnl_command()

    commands: dict[str, tuple[list[list[str]], dict[str, str]]] = {
        "python -c pass": ([[PY, "-c", "pass"]] * args.runs, env),
        "import typer, rich.console, sqlmodel": (
            [[PY, "-c", "import typer, rich.console, sqlmodel"]] * args.runs, env),
        "Typer hello world": ([[PY, str(hello)]] * args.runs, env),
        "rapport --help": ([rapport("--help")] * args.runs, env),
    }  # fmt: skip
    for size in sizes:
        at = label(size)
        db = journal_for(size)
        commands[f"sqlite3 floor @{at}"] = ([[PY, "-c", FLOOR, str(db), CLIENT]] * args.runs, env)
        for name, lines in daily(size, args.runs).items():
            commands[f"rapport {name} @{at}"] = (lines, env)
        if jrnl and size <= 100_000:
            home = jrnl_home(size, db)
            commands |= {
                f"jrnl -n 10 @{at}": ([[*jrnl, "-n", "10"]] * args.runs, home),
                f"jrnl -contains Leipzig @{at}": (
                    [[*jrnl, "-contains", "Leipzig", "-n", "10"]] * args.runs, home),
                f"jrnl add @{at}": ([[*jrnl, "bench note"]] * args.runs, home),
            }  # fmt: skip

    times: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(args.runs):
        for name, (lines, cmd_env) in commands.items():
            times[name].append(timed(lines[run], cmd_env))
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    memory = {size: peak_kb(rapport("--db", str(journal_for(size)), "show", CLIENT), env)
              for size in sizes}  # fmt: skip

    db = journal_for(largest)
    export = rapport("--db", str(db), "export")
    dump = ["sqlite3", "-json", str(db), "SELECT * FROM interaction ORDER BY at, uuid"]
    export_runs, dump_runs = [], []
    for _ in range(3):
        export_runs.append(timed(export, env))
        dump_runs.append(timed(dump, env))
    export_s, dump_s = statistics.median(export_runs), statistics.median(dump_runs)
    export_kb = {
        fmt: peak_kb([*export, "--format", fmt], env) for fmt in ("jsonl", "csv", "markdown")
    }
    fresh = DATA / "import-target.db"
    for leftover in DATA.glob("import-target.db*"):
        leftover.unlink()
    import_s = timed(rapport("--db", str(fresh), "import", str(jsonl_for(largest))), env)
    pg_runs = postgres_imports(args.postgres, jsonl_for(PG_SIZE), 3, env) if args.postgres else []

    hello_s = medians["Typer hello world"]
    big = label(largest)
    lines = [f"# rapport benchmarks, {dt.date.today()}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
             f"Python {platform.python_version()}; {args.runs} interleaved runs, medians.",
             f"Measured: {measured()}.",
             f"Load average (1, 5, 15 min): {load_before} at the start, {load()} at the end.",
             "", "| command | median | vs Typer hello |", "|---|---|---|"]  # fmt: skip
    for name, seconds in medians.items():
        if not any(name.startswith(f"rapport {what} @") for what in DAILY):
            lines.append(f"| {name} | {seconds * 1000:.0f} ms | {seconds / hello_s:.2f}x |")

    lines += ["", f"Daily commands: each at most {VS_HELLO}x Typer hello, and growing at most "
              f"{GROWTH_DEFAULT}x (search {GROWTH['search']:g}x) from {label(small)} to {big}.",
              "", "| command | " + " | ".join(f"@{label(s)}" for s in sizes)
              + " | " + " | ".join(f"vs hello @{label(s)}" for s in sizes)
              + f" | growth {label(small)} → {big} |",
              "|---" * (2 * len(sizes) + 2) + "|"]  # fmt: skip
    vs_hello, growth = {}, {}
    for what in DAILY:
        at = [medians[f"rapport {what} @{label(s)}"] for s in sizes]
        vs_hello[what], growth[what] = at[-1] / hello_s, at[-1] / at[0]
        lines.append(f"| {what} | " + " | ".join(f"{s * 1000:.0f} ms" for s in at) + " | "
                     + " | ".join(mark(s / hello_s, VS_HELLO) for s in at) + " | "
                     + mark(growth[what], GROWTH.get(what, GROWTH_DEFAULT)) + " |")  # fmt: skip
    met = sum(figure <= VS_HELLO for figure in vs_hello.values())
    grown = sum(figure <= GROWTH.get(w, GROWTH_DEFAULT) for w, figure in growth.items())
    worst = max(DAILY, key=vs_hello.__getitem__)
    fastest_growing = max(DAILY, key=lambda w: growth[w] / GROWTH.get(w, GROWTH_DEFAULT))
    first, last = memory[small] / 1024, memory[largest] / 1024
    helped = medians["rapport --help"] / hello_s
    lines += ["", "| target | figure | target |", "|---|---|---|",
              f"| daily commands @{big} vs Typer hello | {met} of {len(DAILY)} met; "
              f"worst {worst} {vs_hello[worst]:.2f}x | ≤ {VS_HELLO}x each |",
              f"| daily commands' growth {label(small)} → {big} | {grown} of {len(DAILY)} met; "
              f"worst {fastest_growing} {growth[fastest_growing]:.2f}x | ≤ {GROWTH_DEFAULT}x "
              f"(search ≤ {GROWTH['search']:g}x) |",
              f"| export @{big} vs sqlite3 -json | {export_s:.1f} s vs {dump_s:.1f} s "
              f"({export_s / dump_s:.2f}x) | ≤ 2x |"]  # fmt: skip
    if pg_runs:
        runs = ", ".join(f"{s:.1f}" for s in pg_runs)
        median = statistics.median(pg_runs)
        lines.append(
            f"| import @{label(PG_SIZE)} on PostgreSQL | {median:.1f} s (runs: {runs} s) "
            "| before/after |"
        )
    lines += [f"| --help vs Typer hello | {helped:.2f}x | ≤ 1.2x |",
              f"| show peak memory {label(small)} → {big} | {first:.1f} → {last:.1f} MB "
              f"({last / first:.2f}x) | within 10% |"]  # fmt: skip
    for fmt, kb in export_kb.items():
        lines.append(f"| export --format {fmt} @{big} peak memory | {kb / 1024:.1f} MB | < 80 MB |")
    lines.append(
        f"| import @{big} vs export (SQLite) | {import_s:.1f} s ({import_s / export_s:.2f}x) "
        "| < 10x |"
    )
    if jrnl and 100_000 in sizes:
        for ours, theirs, target in (("show", "jrnl -n 10", "0.25x"),
                                     ("search", "jrnl -contains Leipzig", "0.25x"),
                                     ("log", "jrnl add", "0.01x")):  # fmt: skip
            ratio = medians[f"rapport {ours} @100k"] / medians[f"{theirs} @100k"]
            lines.append(f"| {ours} vs {theirs} @100k | {ratio:.3f}x | ≤ {target} |")
    minutes = (time.perf_counter() - began) / 60
    lines += ["", f"The whole run took {minutes:.1f} minutes."]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.write_text(report)
    json.dump({"medians": medians, "times": times, "export": export_s, "dump": dump_s,
               "import": import_s, "postgres_import": pg_runs},
              (DATA / "last-run.json").open("w"), indent=1)  # fmt: skip


if __name__ == "__main__":
    main()
