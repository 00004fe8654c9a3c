"""Does the embedding runtime move the replay figures (issue 18.7: the small install must not cost
quality)? The learning arm of ``assistant replay`` on clinc150 for each runtime (ONNX Runtime,
torch) and each seed of the simulated agent, so the runtime's effect is seen beside the spread the
seed alone makes.

Run: ``.venv/bin/python benchmarks/runtime_seeds.py [--seeds 0,1,2] [--set clinc150]
[--runtimes onnx] [--name seeds-clinc150]`` (the torch extra installed, as ``make test`` does);
writes ``benchmarks/results/runtime_seeds.json`` (or ``NAME.json``: one runtime over the seeds is
how a change's effect is told from the seed's spread). Each
replay takes 2–3 minutes here. ``--from FOLDER`` records reports already written by the same
commands (``seed-<runtime>-<seed>.json``) instead of running them again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, load_average, record

RUNTIMES = ("onnx", "torch")


def replay(dataset: str, runtime: str, seed: int, out: Path) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "assistant"), "replay", str(SHARED_EVAL / dataset),
         "--seed", str(seed), "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_EMBEDDING_RUNTIME": runtime},
    )  # fmt: skip


AVERAGED = (
    "auto_resolution",
    "precision",
    "test_precision",
    "test_forced_accuracy",
    "test_coverage",
    "test_oos_handoff",
)


def figures(report: dict) -> dict[str, float | None]:
    test = report["checkpoints"][-1]
    return {
        "auto_resolution": round(report["cumulative"]["auto_resolution_rate"], 4),
        "precision": round(report["cumulative"]["precision"], 4),
        "test_precision": round(test["precision"], 4),
        "test_forced_accuracy": round(test["forced_accuracy"], 4),
        "test_coverage": round(test["coverage"], 4),
        "test_oos_handoff": round(test["oos_handoff"], 4) if test.get("oos_handoff") is not None else None,
        "seconds": report["seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--set", default="clinc150")
    parser.add_argument("--from", dest="source", type=Path)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    parser.add_argument("--name", default="runtime_seeds")
    args = parser.parse_args()
    load_start = load_average()
    folder = args.source or Path(tempfile.mkdtemp(prefix="runtime-seeds-"))
    runs: dict[str, dict[str, dict[str, float]]] = {}
    for runtime in args.runtimes.split(","):
        for seed in map(int, args.seeds.split(",")):
            out = folder / f"seed-{runtime}-{seed}.json"
            if args.source is None:
                replay(args.set, runtime, seed, out)
            runs.setdefault(runtime, {})[str(seed)] = figures(json.loads(out.read_text()))
            print(runtime, seed, runs[runtime][str(seed)], flush=True)
    means = {
        runtime: {
            name: round(statistics.mean(run[name] for run in per_seed.values()), 4)
            for name in AVERAGED
            if all(run[name] is not None for run in per_seed.values())
        }
        for runtime, per_seed in runs.items()
    }
    result = {"set": args.set, "runs": runs, "means": means, "from_existing_reports": bool(args.source)}
    print(record(args.name, result, load_at_start=load_start))


if __name__ == "__main__":
    main()
