"""The learning curve of a replay: both arms' auto-resolution and precision per window."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.replay.metrics import ReplayReport


def plot_arms(reports: Sequence[ReplayReport], path: Path) -> None:
    """Write a PNG with one line per arm for auto-resolution and for precision."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for report in reports:
        ends = [w["end"] for w in report.windows]
        left.plot(
            ends, [w["auto_resolution_rate"] for w in report.windows], marker="o", label=f"{report.arm} arm"
        )
        right.plot(ends, [w["precision"] for w in report.windows], marker="o", label=f"{report.arm} arm")
    left.set_title("Auto-resolution per window")
    right.set_title("Precision of automated answers per window")
    for axis in (left, right):
        axis.set_xlabel("questions played")
        axis.set_ylim(0, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right")
    target = reports[0].parameters.get("target_precision")
    if isinstance(target, float):
        right.axhline(target, color="grey", linestyle="--", linewidth=1)
    fig.suptitle(f"Replay of {reports[0].dataset}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
