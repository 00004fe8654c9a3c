"""The digest scored on planted streams: each detector's precision and recall, with margin.

Four weeks of traffic from 21 accounts of uneven size (one onboarding mid-stream) with planted
spikes (4×, 6× on two days, 12×), a bug in 15 wordings from 7 accounts, a how-to that reads like
a bug, routine problems that read like malfunctions, three request themes, a knowledge gap, three
souring accounts among healthy ones (a heavy one included) and a quiet control problem. The
figures seen on seeds 0–2 are in the comments; thresholds leave a margin below them.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from assistant.insights.digest import Digest
from assistant.insights.planted import PlantedTruth, StreamShape, load_intent_texts, planted_stream
from assistant.insights.scoring import score_digest
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings
from assistant.insights.testing import InMemoryInsightSource

SEEDS = (0, 1, 2)
EVAL = Path(os.environ.get("ASSISTANT_EVAL_DIR", "/work/shared/eval"))


def digest_of(shape: StreamShape, texts: dict[str, list[str]] | None = None) -> tuple[Digest, PlantedTruth]:
    records, truth = planted_stream(shape, intent_texts=texts)
    service = InsightService(
        source=InMemoryInsightSource(records),
        settings=InsightSettings(_env_file=None),  # type: ignore[call-arg]
        clock=lambda: truth.period_end,
    )
    return asyncio.run(service.digest(truth.period_start, truth.period_end)), truth


@pytest.fixture(scope="module")
def runs() -> list[tuple[Digest, PlantedTruth, dict[str, Any]]]:
    results = []
    for seed in SEEDS:
        digest, truth = digest_of(StreamShape(seed=seed))
        results.append((digest, truth, score_digest(digest, truth)))
    return results


def pooled(runs: list[tuple[Digest, PlantedTruth, dict[str, Any]]], section: str) -> tuple[float, float]:
    """Mean precision and recall of a section over the seeds (a missing precision counts 0)."""
    precision = [s[section]["precision"] or 0.0 for _, _, s in runs]
    recall = [s[section]["recall"] or 0.0 for _, _, s in runs]
    return sum(precision) / len(runs), sum(recall) / len(runs)


def test_spikes_of_every_size_are_found_and_stay_flagged(runs) -> None:  # type: ignore[no-untyped-def]
    precision, recall = pooled(runs, "anomalies")
    assert precision >= 0.75 and recall >= 0.75  # seen: 0.93 and 1.0
    for _, truth, score in runs:
        assert score["anomalies"]["quiet_control_flagged"] == 0
        two_days = next(s for s in truth.spikes if len(s.days) == 2)
        found = set(score["anomalies"]["found"])
        assert {f"{two_days.problem} {d.isoformat()}" for d in two_days.days} <= found, (
            "an incident stays flagged on its second day"
        )
        biggest = max(truth.spikes, key=lambda s: s.multiplier)
        assert f"{biggest.problem} {biggest.days[0].isoformat()}" in found


def test_each_spike_says_what_normal_looks_like(runs) -> None:  # type: ignore[no-untyped-def]
    for digest, _, _ in runs:
        spikes = [a for a in digest.anomalies if a.kind == "spike"]
        assert spikes
        for spike in spikes:
            weekday = f"{spike.day:%A}"
            assert spike.normal.startswith(f"{spike.count} this {weekday} vs ") and "usual" in spike.normal
            assert spike.expected < spike.count / 2


def test_the_bug_is_found_once_across_wordings_and_routine_problems_are_not_bugs(runs) -> None:  # type: ignore[no-untyped-def]
    for _, _, score in runs:
        bugs = score["bugs"]
        assert bugs["recall"] == 1.0 and bugs["duplicates"] == 0 and bugs["rank"] == 1
        assert bugs["precision"] >= 0.5 and not bugs["howto_reported"]
    digest, truth, _ = runs[0]
    bug = digest.bugs[0]
    assert len(bug.accounts) == len(truth.bug_accounts) and bug.count >= 15
    assert "none before" in bug.normal or "usual" in bug.normal


def test_souring_accounts_are_named_with_their_own_reasons(runs) -> None:  # type: ignore[no-untyped-def]
    precision, recall = pooled(runs, "churn_risk")
    assert precision >= 0.7 and recall >= 0.75  # seen: 1.0 and 1.0 (templated texts)
    for digest, _, score in runs:
        churn = score["churn_risk"]
        assert not churn["heavy_healthy_named"], "a heavy healthy account is not at risk"
        assert not churn["new_account_named"], "an onboarding account is judged against peers"
        assert churn["distinct_reasons"] == len(churn["named"])
        for risk in digest.churn_risk:
            assert " vs " in risk.reason and risk.evidence


def test_request_themes_without_one_message_themes(runs) -> None:  # type: ignore[no-untyped-def]
    precision, recall = pooled(runs, "feature_requests")
    assert precision >= 0.7 and recall >= 0.9  # seen: 1.0 and 1.0
    for digest, _, _ in runs:
        assert all(theme.count + theme.previous_count >= 3 for theme in digest.feature_requests)


def test_the_gap_ranks_first_with_its_questions(runs) -> None:  # type: ignore[no-untyped-def]
    for digest, truth, score in runs:
        assert score["knowledge_gaps"]["recall"] == 1.0 and score["knowledge_gaps"]["rank"] == 1
        gap = digest.knowledge_gaps[0]
        assert {e.question_id for e in gap.evidence} <= truth.gap_ids | set(truth.problem_of)
        assert gap.handoff_rate >= 0.6 and "handed off" in gap.normal
    precision, _ = pooled(runs, "knowledge_gaps")
    assert precision >= 0.5  # seen: 0.67


def test_the_learning_verdict_is_right_and_says_its_doubt(runs) -> None:  # type: ignore[no-untyped-def]
    for digest, _, score in runs:
        assert score["learning"]["correct"], score["learning"]
        verdict = digest.learning.verdict
        assert verdict is not None and verdict.before_questions > verdict.min_questions
        primary = verdict.changes[0]
        assert primary.low is not None and primary.low > 0 and "95% CI" in verdict.summary


def test_every_item_lists_the_messages_behind_it(runs) -> None:  # type: ignore[no-untyped-def]
    digest, truth, _ = runs[0]
    data = digest.to_dict()
    for section in ("anomalies", "churn_risk", "bugs", "feature_requests", "knowledge_gaps"):
        assert data[section], section
        for item in data[section]:
            assert item["evidence"], (section, item)
            for evidence in item["evidence"]:
                assert set(evidence) == {"question_id", "external_id", "account", "permalink"}
                assert evidence["question_id"] in truth.problem_of
                assert evidence["permalink"].startswith("https://") and evidence["external_id"]


def test_a_stream_too_short_to_judge_learning_says_so() -> None:
    digest, _ = digest_of(StreamShape(weeks=3, weekday_volume=3, spikes=(), bug_messages=0, souring=()))
    assert digest.learning.verdict is not None
    assert digest.learning.verdict.verdict == "not enough data" and digest.learning.improving is None


@pytest.mark.slow
@pytest.mark.skipif(not (EVAL / "clinc150").exists(), reason="the shared eval data (clinc150) is absent")
def test_with_real_question_texts() -> None:
    """The routine traffic worded as real clinc150 questions (read here, never copied)."""
    texts = load_intent_texts(EVAL / "clinc150")
    digest, truth = digest_of(StreamShape(seed=0), texts)
    score = score_digest(digest, truth)
    assert score["bugs"]["recall"] == 1.0 and score["bugs"]["rank"] == 1  # seen on seeds 0–5
    assert (score["anomalies"]["recall"] or 0) >= 0.5 and (score["anomalies"]["precision"] or 0) >= 0.6
    assert (score["churn_risk"]["recall"] or 0) >= 0.6 and not score["churn_risk"]["heavy_healthy_named"]
    assert score["feature_requests"]["recall"] == 1.0 and score["knowledge_gaps"]["rank"] == 1
    assert score["learning"]["correct"]
