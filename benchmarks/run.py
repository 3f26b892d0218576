"""The benchmark runner: whole-process times and peak memory, as ratios to baselines.

Every figure is a median over interleaved runs, so a busy shared machine slows the baselines
and rapport alike. It builds journals of each size with benchmarks/generate.py and rapport's
own import (cached under benchmarks/data/), converts them to jrnl's text format, and prints a
table that it also writes to benchmarks/RESULTS.md.

    python benchmarks/run.py                       # 10k, 100k and 1M interactions
    python benchmarks/run.py --sizes 10000,100000 --runs 9   # quicker, without the million
    python benchmarks/run.py --no-jrnl             # skip the comparison with jrnl

jrnl is installed into benchmarks/.venv-jrnl on first use (never a dependency of rapport).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
JRNL_VENV = HERE / ".venv-jrnl"
PY = sys.executable
CLIENT = "Konrad Brandt 003"  # generate.py's names carry an index, so this one is unique

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


def run_quiet(command: list[str], env: dict[str, str] | None = None, **kwargs) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, **kwargs)  # fmt: skip


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def peak_kb(command: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    return int(done.stderr.strip().splitlines()[-1])


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def rapport(*args: str) -> list[str]:
    return [PY, "-m", "rapport", *args]


def journal_for(size: int) -> Path:
    """benchmarks/data/journal-SIZE.db, made once with rapport's own import."""
    DATA.mkdir(exist_ok=True)
    db = DATA / f"journal-{size}.db"
    if db.exists():
        return db
    source = DATA / f"journal-{size}.jsonl"
    with source.open("w") as out:
        subprocess.run([PY, str(HERE / "generate.py"), "--interactions", str(size)], stdout=out,
                       check=True)  # fmt: skip
    run_quiet(rapport("--db", str(db), "import", str(source)))
    return db


def jrnl_command() -> list[str] | None:
    exe = JRNL_VENV / "bin" / "jrnl"
    if not exe.exists():
        run_quiet([PY, "-m", "venv", str(JRNL_VENV)])
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--no-jrnl", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    env = {**os.environ, "COLUMNS": "100"}
    hello = DATA / "typer_hello.py"
    DATA.mkdir(exist_ok=True)
    hello.write_text(TYPER_HELLO)
    jrnl = None if args.no_jrnl else jrnl_command()

    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c pass": ([PY, "-c", "pass"], env),
        "import typer, rich.console, sqlmodel": (
            [PY, "-c", "import typer, rich.console, sqlmodel"], env),
        "Typer hello world": ([PY, str(hello)], env),
        "rapport --help": (rapport("--help"), env),
    }  # fmt: skip
    for size in sizes:
        db = journal_for(size)
        scratch = DATA / f"log-{size}.db"
        shutil.copy(db, scratch)  # `log` writes; keep the measured journal as it was
        at = label(size)
        commands |= {
            f"sqlite3 floor @{at}": ([PY, "-c", FLOOR, str(db), CLIENT], env),
            f"rapport show @{at}": (rapport("--db", str(db), "show", CLIENT), env),
            f"rapport log @{at}": (rapport("--db", str(scratch), "log", CLIENT, "bench note",
                                              "--at", "2026-01-01 10:00"), env),
            f"rapport due @{at}": (rapport("--db", str(db), "due"), env),
            f"rapport search @{at}": (rapport("--db", str(db), "search", "Leipzig",
                                                 "--limit", "10"), env),
        }  # fmt: skip
        if jrnl and size <= 100_000:
            home = jrnl_home(size, db)
            commands |= {
                f"jrnl -n 10 @{at}": ([*jrnl, "-n", "10"], home),
                f"jrnl -contains Leipzig @{at}": (
                    [*jrnl, "-contains", "Leipzig", "-n", "10"], home),
                f"jrnl add @{at}": ([*jrnl, "bench note"], home),
            }  # fmt: skip

    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (command, cmd_env) in commands.items():
            times[name].append(timed(command, cmd_env))
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    memory = {
        name: peak_kb(cmd, e) for name, (cmd, e) in commands.items() if "rapport show" in name
    }

    largest = max(sizes)
    db = journal_for(largest)
    export = [PY, "-m", "rapport", "--db", str(db), "export"]
    dump = ["sqlite3", "-json", str(db), "SELECT * FROM interaction ORDER BY at, uuid"]
    export_s = statistics.median(timed(export, env) for _ in range(3))
    dump_s = statistics.median(timed(dump, env) for _ in range(3))
    export_kb = {
        fmt: peak_kb([*export, "--format", fmt], env) for fmt in ("jsonl", "csv", "markdown")
    }
    fresh = DATA / "import-target.db"
    for leftover in DATA.glob("import-target.db*"):
        leftover.unlink()
    started = time.perf_counter()
    run_quiet(rapport("--db", str(fresh), "import", str(DATA / f"journal-{largest}.jsonl")))
    import_s = time.perf_counter() - started

    stack = medians["import typer, rich.console, sqlmodel"]
    lines = [f"# rapport benchmarks, {dt.date.today()}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
             f"Python {platform.python_version()}; {args.runs} interleaved runs, medians.", "",
             "| command | median | vs stack import |", "|---|---|---|"]  # fmt: skip
    for name, seconds in medians.items():
        lines.append(f"| {name} | {seconds * 1000:.0f} ms | {seconds / stack:.2f}x |")
    lines += ["", "| ratio | figure | target |", "|---|---|---|"]
    small, big = label(min(sizes)), label(largest)
    for what in ("log", "show", "due", "search"):
        growth = medians[f"rapport {what} @{big}"] / medians[f"rapport {what} @{small}"]
        target = "2x" if what == "search" else "1.1x"
        lines.append(f"| {what} growth {small} → {big} | {growth:.2f}x | ≤ {target} |")
    for what in ("log", "show"):
        ratio = medians[f"rapport {what} @{big}"] / stack
        lines.append(f"| {what} @{big} vs stack import | {ratio:.2f}x | ≤ 0.75x |")
    helped = medians["rapport --help"] / medians["Typer hello world"]
    lines.append(f"| --help vs Typer hello | {helped:.2f}x | ≤ 1.2x |")
    if jrnl and 100_000 in sizes:
        for ours, theirs, target in (("show", "jrnl -n 10", "0.25x"),
                                     ("search", "jrnl -contains Leipzig", "0.25x"),
                                     ("log", "jrnl add", "0.01x")):  # fmt: skip
            ratio = medians[f"rapport {ours} @100k"] / medians[f"{theirs} @100k"]
            lines.append(f"| {ours} vs {theirs} @100k | {ratio:.3f}x | ≤ {target} |")
    peaks = [memory[f"rapport show @{label(s)}"] for s in sizes]
    first, last = peaks[0] / 1024, peaks[-1] / 1024
    lines += [
        f"| show peak memory {small} → {big} | {first:.1f} → {last:.1f} MB "
        f"({last / first:.2f}x) | within 10% |",
        f"| export @{big} vs sqlite3 -json | {export_s:.1f} s vs {dump_s:.1f} s "
        f"({export_s / dump_s:.2f}x) | ≤ 2x |",
    ]
    for fmt, kb in export_kb.items():
        lines.append(f"| export --format {fmt} @{big} peak memory | {kb / 1024:.1f} MB | < 80 MB |")
    lines.append(
        f"| import @{big} vs export | {import_s:.1f} s ({import_s / export_s:.2f}x) | < 10x |"
    )
    report = "\n".join(lines) + "\n"
    print(report)
    (HERE / "RESULTS.md").write_text(report)
    json.dump({"medians": medians, "export": export_s, "dump": dump_s, "import": import_s},
              (DATA / "last-run.json").open("w"), indent=1)  # fmt: skip


if __name__ == "__main__":
    main()
