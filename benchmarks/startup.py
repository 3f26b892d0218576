"""Whole-process time of `rapport show` and `rapport log` beside the stack's import cost.

Runs each command several times, interleaved so that load on a shared machine hits all of
them alike, and prints medians and ratios against `import typer, rich, sqlmodel`.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo.db"
        env = {**os.environ, "RAPPORT_DB": str(Path(folder) / "journal.db")}
        subprocess.run(
            [python, "-m", "rapport", "demo", str(demo)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env["RAPPORT_DB"] = str(demo)
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "import typer, rich, sqlmodel": [python, "-c", "import typer, rich, sqlmodel"],
            "rapport --help": [python, "-m", "rapport", "--help"],
            "rapport show brandt": [python, "-m", "rapport", "show", "brandt"],
            "rapport log brandt (ISO date)": [
                python,
                "-m",
                "rapport",
                "log",
                "brandt",
                "benchmark note",
                "--at",
                "2026-01-01 10:00",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))
    baseline = statistics.median(times["import typer, rich, sqlmodel"])
    print(f"{'command':34} {'median':>9} {'vs stack import':>16}   ({runs} runs each)")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:34} {median * 1000:7.0f}ms {median / baseline:15.2f}x")


if __name__ == "__main__":
    main()
