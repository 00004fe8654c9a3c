"""Replay every shared evaluation set through `assistant replay` and record the figures.

Each set runs as a user would run it (the console script in a subprocess), with --plot so both
arms are measured; each arm's own time (after the model is loaded) is in its report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, SHARED_EVAL, record

SETS = ("clinc150", "hwu64", "stackfaq")


def run(dataset: str, *extra: str) -> tuple[dict, float, str]:
    out = RESULTS / f"replay-{dataset}.json"
    command = [
        str(ROOT / ".venv" / "bin" / "assistant"),
        "replay",
        str(SHARED_EVAL / dataset),
        "--out",
        str(out),
        *extra,
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    seconds = time.perf_counter() - started
    return json.loads(out.read_text()), seconds, completed.stdout.strip().splitlines()[-1]


def main() -> None:
    sets = sys.argv[1:] or list(SETS)
    figures: dict[str, dict] = {}
    for dataset in sets:
        if not (SHARED_EVAL / dataset).is_dir():
            print(f"skipping {dataset}: {SHARED_EVAL / dataset} is absent")
            continue
        report, seconds, summary = run(dataset, "--plot", str(RESULTS / f"replay-{dataset}.png"))
        other = report.pop("other_arm")
        figures[dataset] = {
            "learning": {"cumulative": report["cumulative"], "checkpoints": report["checkpoints"]},
            "static": {"cumulative": other["cumulative"], "checkpoints": other["checkpoints"]},
            "learning_arm_seconds": report["seconds"],
            "static_arm_seconds": other["seconds"],
            "command_wall_seconds": round(seconds, 1),
            "summary": summary,
        }
        print(f"{dataset}: {summary} ({seconds:.0f}s)")
    path = record("replay", {"sets": figures})
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
