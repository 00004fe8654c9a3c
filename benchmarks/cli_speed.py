"""How long the CLI takes to answer, cold (a new process each time), against the goals of issue 18:
``--help`` and bad-input errors < 0.5 s, ``stats``/``learned``/``forget`` < 1.5 s, a cold ``ask``
< 4 s. ``forget`` is timed twice: with an unknown id (refused from the store alone) and forgetting a
real knowledge item (in a fresh copy of the store each run). Each command runs ``--repeats`` times
on a store filled with the samples (docs and tickets); the median wall time is recorded.

Run: ``.venv/bin/python benchmarks/cli_speed.py [--repeats 5]``; writes
``benchmarks/results/cli_speed.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, record

CLI = ROOT / ".venv" / "bin" / "assistant"
GOALS = {
    "help": 0.5,
    "bad input": 0.5,
    "bad setting": 0.5,
    "stats": 1.5,
    "learned": 1.5,
    "forget": 1.5,
    "forget known": 1.5,
    "ask": 4.0,
}


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([str(CLI), *args], capture_output=True, env=env, cwd=ROOT, check=False)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_start = load_average()
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "store.db")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        for setup in (
            ["ingest", "samples/kb", "--db", store],
            ["import-tickets", "samples/tickets.csv", "--db", store],
        ):
            subprocess.run([str(CLI), *setup], capture_output=True, env=env, cwd=ROOT, check=True)
        commands = {
            "help": (["--help"], env),
            "bad input": (["ask", "", "--db", store], env),
            "bad setting": (["stats", "--db", store], {**env, "ASSISTANT_MAX_QUESTION_CHARS": "lots"}),
            "stats": (["stats", "--db", store], env),
            "learned": (["learned", "--db", store], env),
            "forget": (["forget", "evt_unknown", "--db", store], env),
            "ask": (["ask", "How do I set up a recurring invoice?", "--db", store], env),
        }
        # Forgetting a real item changes the store: each run forgets it in its own copy.
        with sqlite3.connect(store) as db:
            [(item_id,)] = db.execute("SELECT id FROM knowledge_items WHERE status = 'active' LIMIT 1")
        copies = [str(Path(folder) / f"copy{n}.db") for n in range(args.repeats)]
        commands["forget known"] = (["forget", item_id, "--db", "{copy}"], env)
        figures = {}
        for name, (argv, environment) in commands.items():
            runs = []
            for copy in copies:
                shutil.copy(store, copy)
                runs.append(timed([copy if arg == "{copy}" else arg for arg in argv], environment))
            median = statistics.median(seconds for seconds, _ in runs)
            figures[name] = {
                "median_s": round(median, 2),
                "goal_s": GOALS[name],
                "met": median < GOALS[name],
                "exit_codes": sorted({code for _, code in runs}),
            }
            print(f"{name:>12}: {median:.2f} s (goal < {GOALS[name]} s)")
    path = record("cli_speed", {"repeats": args.repeats, "commands": figures}, load_at_start=load_start)
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
