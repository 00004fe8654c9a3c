"""`assistant replay`: play a support history through the real pipeline and report the learning."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.render import to_json
from adapters.cli.session import database_url, open_assistant, run_command
from adapters.wiring import build_embedder
from assistant.config import default_database_url_for, load_settings
from assistant.errors import InvalidInputError
from assistant.knowledge.replay_format import read_replay_dir

if TYPE_CHECKING:  # the harness needs the numeric stack: imported when a replay runs
    from tqdm import tqdm

    from assistant.ports import Embedder
    from assistant.replay.harness import ReplayOptions
    from assistant.replay.metrics import ReplayReport


def _parse_checkpoints(value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        points = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError:
        raise InvalidInputError(
            f"--checkpoints takes whole numbers separated by commas, not '{value}'."
        ) from None
    if any(point <= 0 for point in points):
        raise InvalidInputError("--checkpoints must be positive question counts.")
    return points


def replay_command(
    directory: Annotated[
        Path, typer.Argument(help="A replay directory (kb.jsonl, stream.jsonl, test.jsonl).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON report.")] = Path("report.json"),
    no_learning: Annotated[
        bool, typer.Option("--no-learning", help="The static-bot arm: learn nothing.")
    ] = False,
    approve_rate: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.3,
    correct_rate: Annotated[float, typer.Option(min=0.0, max=1.0)] = 1.0,
    checkpoints: Annotated[
        str | None, typer.Option(help="Stream positions to score the test split at, e.g. 1000,5000.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Also run the other arm and draw both curves (PNG).")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Fill and keep this store instead of a fresh one.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated agent.")] = 0,
) -> None:
    """Replay DIRECTORY in a fresh store and print the figures; the last line is machine-readable."""

    async def work() -> None:
        from assistant.replay.harness import ReplayOptions

        data = read_replay_dir(directory)
        options = ReplayOptions(
            learning=not no_learning,
            approve_rate=approve_rate,
            correct_rate=correct_rate,
            checkpoints=_parse_checkpoints(checkpoints),
            seed=seed,
        )
        embedder = build_embedder(load_settings())
        report = await _run_arm(directory, data, options, db, embedder)
        other = None
        if plot is not None:
            other_options = replace(options, learning=no_learning)
            other = await _run_arm(directory, data, other_options, None, embedder)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = report.to_dict() if other is None else {**report.to_dict(), "other_arm": other.to_dict()}
        out.write_text(to_json(payload) + "\n", encoding="utf-8")
        if plot is not None and other is not None:
            from adapters.cli.replay_plot import plot_arms

            plot_arms([report, other], plot)
        _print_summary(report, out, plot)

    run_command(work)


async def _run_arm(
    directory: Path, data, options: ReplayOptions, db: str | None, embedder: Embedder
) -> ReplayReport:  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    from assistant.replay.harness import run_replay

    with tempfile.TemporaryDirectory(prefix="assistant-replay-") as scratch:
        url = database_url(db) or default_database_url_for(Path(scratch) / "replay.db")
        settings = load_settings(database_url=url)
        async with open_assistant(settings, embedder=embedder, background_refit=False) as assistant:
            bars: dict[str, tqdm] = {}

            def progress(stage: str, done: int, total: int) -> None:
                bar = bars.get(stage)
                if bar is None:
                    arm = "learning" if options.learning else "static"
                    bar = bars[stage] = tqdm(
                        total=total, desc=f"{arm}: {stage}", unit="q", disable=None, leave=False
                    )
                bar.update(done - bar.n)

            try:
                return await run_replay(
                    assistant, data, dataset=directory.name, options=options, progress=progress
                )
            finally:
                for bar in bars.values():
                    bar.close()


def _print_summary(report: ReplayReport, out: Path, plot: Path | None) -> None:
    figures = report.cumulative
    typer.echo(
        f"{report.dataset} ({report.arm} arm): {figures.get('questions', 0)} questions in {report.seconds}s"
    )
    for window in report.windows:
        typer.echo(
            f"  up to {window['end']:>6}: auto {window['auto_resolution_rate']:.3f}  "
            f"precision {window['precision']:.3f}  hand-off {window['handoff_rate']:.3f}"
        )
    for checkpoint in report.checkpoints:
        typer.echo(f"  test after {checkpoint['after']}: {json.dumps(checkpoint)}")
    typer.echo(f"report: {out}" + (f"  plot: {plot}" if plot else ""))
    typer.echo(report.summary_line())
