"""Replays started from the console: each runs both arms (learning and static) of
``assistant.replay.harness.run_replay`` in a background task, each arm on a fresh temporary store,
and reports its progress for the page to poll.

Jobs live in this process's memory; one runs at a time (a replay keeps a CPU busy), and the
process's closing cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from assistant.config import Settings, default_database_url_for
from assistant.errors import AssistantError, InvalidInputError
from assistant.knowledge.replay_format import ReplayData, read_replay_dir
from assistant.models import new_id, utcnow
from assistant.ports import Embedder
from assistant.replay.harness import ReplayOptions, run_replay
from assistant.replay.metrics import ReplayReport

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 300
MAX_LIMIT = 20_000
ARMS = (True, False)

JobStatus = Literal["running", "done", "failed"]


@dataclass(slots=True)
class ReplayJob:
    id: str
    dataset: str
    limit: int
    status: JobStatus = "running"
    arm: str = "learning"
    stage: str = "reading"
    done: int = 0
    total: int = 0
    error: str = ""
    reports: list[ReplayReport] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: utcnow().isoformat(timespec="seconds"))

    def progress(self) -> dict[str, object]:
        return {
            "id": self.id,
            "dataset": self.dataset,
            "status": self.status,
            "arm": self.arm,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "summary": [report.cumulative for report in self.reports],
        }


class Replays:
    """Starts, tracks and cancels console replays."""

    def __init__(self, *, settings: Settings, embedder: Embedder, root: Path | None) -> None:
        self._settings = settings
        self._embedder = embedder
        self.root = root
        self._jobs: dict[str, ReplayJob] = {}
        self._task: asyncio.Task[None] | None = None

    def available(self) -> list[str]:
        """The replay sets under the configured folder (subfolders with a stream.jsonl)."""
        if self.root is None or not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "stream.jsonl").is_file())

    def resolve(self, name: str) -> Path:
        """A listed replay set's folder; names only, never paths, come from the browser."""
        if name not in self.available() or self.root is None:
            raise InvalidInputError("Pick one of the listed replay sets.")
        return self.root / name

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def jobs(self) -> list[ReplayJob]:
        return list(reversed(self._jobs.values()))

    def get(self, job_id: str) -> ReplayJob | None:
        return self._jobs.get(job_id)

    def start(self, directory: Path, *, dataset: str, limit: int, owned: bool = False) -> ReplayJob:
        """Start replaying ``directory`` (deleted afterwards when ``owned``, e.g. an upload)."""
        if self.busy:
            raise InvalidInputError("A replay is already running; wait for it to finish.")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInputError(f"Replay between 1 and {MAX_LIMIT:,} questions.")
        job = ReplayJob(id=new_id("replay"), dataset=dataset, limit=limit)
        self._jobs[job.id] = job
        self._task = asyncio.get_running_loop().create_task(self._run(job, directory, owned), name=job.id)
        return job

    async def _run(self, job: ReplayJob, directory: Path, owned: bool) -> None:
        try:
            data = await asyncio.to_thread(read_replay_dir, directory)
            data = ReplayData(kb=data.kb, stream=data.stream[: job.limit], test=data.test[: job.limit // 3])
            for learning in ARMS:
                job.arm = "learning" if learning else "static"
                job.reports.append(await self._arm(job, data, learning))
            job.status = "done"
        except AssistantError as exc:
            job.status, job.error = "failed", exc.message
        except asyncio.CancelledError:
            job.status, job.error = "failed", "Cancelled: the console stopped."
            raise
        except Exception as exc:  # a replay must never take the console down
            log.exception("replay %s failed", job.id)
            job.status, job.error = "failed", f"The replay failed ({type(exc).__name__}); see the log."
        finally:
            if owned:
                shutil.rmtree(directory, ignore_errors=True)

    async def _arm(self, job: ReplayJob, data: ReplayData, learning: bool) -> ReplayReport:
        from adapters.wiring import build_assistant

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        with tempfile.TemporaryDirectory(prefix="console-replay-") as scratch:
            settings = self._settings.model_copy(
                update={
                    "database_url": default_database_url_for(Path(scratch) / "replay.db"),
                    "anthropic_api_key": None,
                }
            )
            assistant = build_assistant(settings, embedder=self._embedder, background_refit=False)
            await assistant.start()
            try:
                options = replace(ReplayOptions(), learning=learning)
                return await run_replay(
                    assistant, data, dataset=job.dataset, options=options, progress=progress
                )
            finally:
                await assistant.close()

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
