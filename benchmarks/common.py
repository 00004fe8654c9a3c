"""What every benchmark records beside its figures: when, on what machine, from which commit."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: The shared eval data: $ASSISTANT_EVAL_DIR (from a worktree), else ../shared/eval.
SHARED_EVAL = Path(os.environ.get("ASSISTANT_EVAL_DIR") or ROOT.parent / "shared" / "eval")


def machine(load_at_start: float | None = None) -> dict[str, Any]:
    """A short description of the machine the figures come from; the load average is the one
    given (taken when the run started), else the current one."""
    memory_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            memory_gb = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m_at_start": load_at_start if load_at_start is not None else load_average(),
    }


def clinc150_questions() -> tuple[list[str], list[str]]:
    """The question texts of the shared clinc150 stream and test files (scale and load runs)."""
    from assistant.knowledge.replay_format import read_stream

    folder = SHARED_EVAL / "clinc150"
    stream = [record.text for record in read_stream(folder / "stream.jsonl")]
    test = [record.text for record in read_stream(folder / "test.jsonl")]
    return stream, test


def load_average() -> float | None:
    """The 1-minute load average now (the machine is shared: recorded at a run's start and end)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def p50_p95_ms(seconds: list[float], digits: int = 1) -> dict[str, float]:
    """The median and the 95th percentile (nearest rank) of timings taken in seconds, in ms."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, digits),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, digits),
    }


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm", encoding="utf-8") as handle:
        return round(int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024, 1)


def commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def record(name: str, figures: dict[str, Any], *, load_at_start: float | None = None) -> Path:
    """Write results/<name>.json with the date, machine and commit beside the figures.

    Long runs pass the load average they read when they started (``load_average()``): the machine
    is shared, and what ran beside a run is part of its figures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(load_at_start),
        "commit": commit(),
        **figures,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


#: The stream window (questions) the learning analyses judge per.
STREAM_WINDOW = 600


def oracle_coverage(confidence: np.ndarray, right: np.ndarray, target: float) -> float:
    """The largest share of questions answerable, most confident first, at precision >= target:
    what a threshold chosen knowing the outcomes would reach."""
    order = np.argsort(-confidence)
    good = np.cumsum(right[order])
    meets = np.where(good / np.arange(1, len(order) + 1) >= target)[0]
    return float(good[meets.max()] / len(right)) if meets.size else 0.0


@dataclass(frozen=True)
class Asked:
    """The question an assessment was made for: its text, account and vector."""

    text: str
    account: str | None
    vector: np.ndarray


@dataclass
class TracedArm:
    """One learning-arm replay, question by question: what ``describe`` kept of each assessment
    (with the gold), for the stream and then for the held-out set scored at its end."""

    stream: list[dict[str, Any]]
    test: list[dict[str, Any]]
    report: Any
    stream_vectors: np.ndarray
    test_vectors: np.ndarray


async def trace_learning_arm(
    dataset: str, describe: Callable[[Any, Any, Asked], dict[str, Any]]
) -> TracedArm:
    """Play ``dataset``'s learning arm once with the product's defaults, keeping
    ``describe(service, assessment, asked)`` for every question assessed, and both parts' vectors."""
    from adapters.wiring import build_assistant, build_embedder
    from assistant.config import default_database_url_for, load_settings
    from assistant.knowledge.replay_format import read_replay_dir
    from assistant.replay import harness
    from assistant.replay.harness import ReplayOptions, run_replay

    rows: list[dict[str, Any]] = []
    assess = harness.Assistant.assess

    async def traced(self, text, account):  # type: ignore[no-untyped-def]
        assessment = await assess(self, text, account)
        vector = np.asarray((await self.embedder.embed([text]))[0])
        rows.append(describe(self, assessment, Asked(text, account, vector)))
        return assessment

    harness.Assistant.assess = traced  # type: ignore[method-assign]
    data = read_replay_dir(SHARED_EVAL / dataset)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            settings = load_settings(database_url=default_database_url_for(Path(scratch) / "replay.db"))
            service = build_assistant(settings, embedder=build_embedder(settings), background_refit=False)
            await service.start()
            try:
                options = ReplayOptions(checkpoints=(len(data.stream),))
                report = await run_replay(service, data, dataset=dataset, options=options)
                stream_vectors = np.array(await service.embedder.embed([r.text for r in data.stream]))
                test_vectors = np.array(await service.embedder.embed([r.text for r in data.test]))
            finally:
                await service.close()
    finally:
        harness.Assistant.assess = assess  # type: ignore[method-assign]
    questions = list(data.stream) + list(data.test)
    for row, question in zip(rows, questions, strict=True):
        row["gold"] = question.gold
    return TracedArm(
        stream=rows[: len(data.stream)],
        test=rows[len(data.stream) :],
        report=report,
        stream_vectors=stream_vectors,
        test_vectors=test_vectors,
    )
