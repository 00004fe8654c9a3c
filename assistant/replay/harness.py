"""Plays a replay directory through the assistant with a simulated agent (see the format doc).

The assistant answers each stream question exactly as it would a live one (``Assistant.ask``);
the simulated agent then approves, corrects or resolves through ``Assistant.feedback``, the same
calls Slack, Teams and the console make. The agent's tag (``gold``) rides on its reply as the
resolution key, as a macro or an article id would in real life, and a tagged reply is shared with
every account (an agent answering with a macro chooses "everyone"); an untagged one is not.
The agent also judges the silent answers the assistant puts to it for a spot check (approving a
right one, correcting a wrong one), at ``spot_check_rate``; it ignores the rest.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.replay_format import ReplayData, StreamRecord
from assistant.models import Decision, Question, Role, Signal
from assistant.replay.metrics import Checkpoint, ReplayReport, Tally
from assistant.service import Assistant

AGENT = "replay-agent"
#: The simulated agent looks at the spot checks waiting for it every this many questions.
_SPOT_CHECK_POLL = 10
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How the simulated agent behaves and what is measured."""

    learning: bool = True
    approve_rate: float = 0.3
    correct_rate: float = 1.0
    #: The share of spot checks the agent answers (the rest it leaves unanswered).
    spot_check_rate: float = 1.0
    checkpoints: tuple[int, ...] = ()
    window: int = 0
    seed: int = 0


def default_checkpoints(stream_length: int, count: int = 2) -> tuple[int, ...]:
    """Evenly spaced checkpoints ending at the end of the stream."""
    return tuple(sorted({max(1, round(stream_length * (i + 1) / count)) for i in range(count)}))


async def run_replay(
    assistant: Assistant,
    data: ReplayData,
    *,
    dataset: str,
    options: ReplayOptions,
    progress: Progress | None = None,
) -> ReplayReport:
    """Ingest the knowledge base, play the stream, score the test split at checkpoints."""
    started = time.perf_counter()
    rng = random.Random(options.seed)
    report = ReplayReport(
        dataset=dataset,
        arm="learning" if options.learning else "static",
        parameters={
            "approve_rate": options.approve_rate,
            "correct_rate": options.correct_rate,
            "spot_check_rate": options.spot_check_rate,
            "spot_check_share": assistant.settings.spot_check_share,
            "target_precision": assistant.settings.target_precision,
        },
    )
    await Ingestor(assistant).ingest_articles(data.kb)
    await _warm(assistant, [r.text for r in data.stream] + [r.text for r in data.test], progress)

    checkpoints = set(options.checkpoints or default_checkpoints(len(data.stream)))
    window_size = options.window or max(1, len(data.stream) // 15)
    total, window = Tally(), Tally()
    agent = _SpotChecker(options, random.Random(options.seed + 1))
    for position, record in enumerate(data.stream, start=1):
        answer_id, answered, correct, corrected = await _play(assistant, record, options, rng)
        if options.learning:
            agent.asked(answer_id, record)
            if position % _SPOT_CHECK_POLL == 0:
                await agent.judge(assistant, at=record.ts)
        total.add(answered=answered, correct=correct, corrected=corrected)
        window.add(answered=answered, correct=correct, corrected=corrected)
        if window.questions == window_size or position == len(data.stream):
            report.windows.append({"end": position, **window.figures()})
            window = Tally()
        if position in checkpoints and data.test:
            report.checkpoints.append(await score_test(assistant, data.test, after=position))
        if progress:
            progress("stream", position, len(data.stream))
    report.cumulative = total.figures()
    report.spot_checks = agent.judged
    report.seconds = round(time.perf_counter() - started, 1)
    return report


async def score_test(assistant: Assistant, test: Sequence[StreamRecord], *, after: int) -> dict[str, float]:
    """Judge every held-out question without recording or learning anything."""
    checkpoint = Checkpoint(after=after)
    for record in test:
        assessment = await assistant.assess(record.text, record.account)
        best = assessment.ranking.best
        checkpoint.add(
            gold=record.gold,
            top_key=best.resolution_key if best else None,
            answered=assessment.decision is Decision.ANSWER,
        )
    return checkpoint.figures()


class _SpotChecker:
    """The simulated agent's side of spot checks: it remembers what it knows of each answer and
    gives its verdict when the assistant asks."""

    def __init__(self, options: ReplayOptions, rng: random.Random) -> None:
        self._options = options
        self._rng = rng
        self._records: dict[str, StreamRecord] = {}
        self._ignored: set[str] = set()
        self.judged = 0

    def asked(self, answer_id: str, record: StreamRecord) -> None:
        self._records[answer_id] = record

    async def judge(self, assistant: Assistant, *, at: datetime) -> None:
        for check in await assistant.spot_checks(limit=_SPOT_CHECK_POLL * 10):
            answer = check.answer
            if answer.id in self._ignored or answer.id not in self._records:
                continue
            if self._rng.random() >= self._options.spot_check_rate:
                self._ignored.add(answer.id)
                continue
            record = self._records[answer.id]
            if record.gold is not None and answer.resolution_key == record.gold:
                await assistant.feedback(answer.id, Signal.APPROVE, actor=AGENT, role=Role.AGENT, at=at)
            else:
                await _reply(assistant, answer.id, Signal.CORRECT, record, at=at)
            self.judged += 1


async def _reply(
    assistant: Assistant, answer_id: str, signal: Signal, record: StreamRecord, *, at: datetime
) -> None:
    """The agent's own reply to a question, taught (a correction or a resolution). A tagged reply
    is a macro or an article: the agent shares it with every account, as "Correct for everyone"
    does. A bespoke reply (no tag) stays with the asker's account."""
    await assistant.feedback(
        answer_id,
        signal,
        text=record.answer,
        resolution_key=record.gold,
        make_global=record.gold is not None,
        actor=AGENT,
        role=Role.AGENT,
        at=at,
    )


async def _play(
    assistant: Assistant, record: StreamRecord, options: ReplayOptions, rng: random.Random
) -> tuple[str, bool, bool, bool]:
    answer = await assistant.ask(
        Question(
            text=record.text,
            account=record.account,
            channel=record.channel,
            user=record.user,
            external_id=record.id,
            asked_at=record.ts,
        )
    )
    answered = answer.decision is Decision.ANSWER
    correct = answered and record.gold is not None and answer.resolution_key == record.gold
    corrected = False
    if not options.learning:
        return answer.id, answered, correct, corrected
    if answered and correct:
        if rng.random() < options.approve_rate:
            await assistant.feedback(answer.id, Signal.APPROVE, actor=AGENT, role=Role.AGENT, at=record.ts)
    elif answered:
        if rng.random() < options.correct_rate:
            corrected = True
            await _reply(assistant, answer.id, Signal.CORRECT, record, at=record.ts)
    else:
        await _reply(assistant, answer.id, Signal.RESOLVE, record, at=record.ts)
    return answer.id, answered, correct, corrected


async def _warm(assistant: Assistant, texts: list[str], progress: Progress | None) -> None:
    """Embed every text up front in batches; the live path then finds them in the cache."""
    unique = list(dict.fromkeys(texts))
    batch = 512
    for start in range(0, len(unique), batch):
        await assistant.embedder.embed(unique[start : start + batch])
        if progress:
            progress("embedding", min(start + batch, len(unique)), len(unique))
