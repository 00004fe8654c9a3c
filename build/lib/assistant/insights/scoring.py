"""Scores a digest against a planted stream's truth: precision and recall per detector.

It reads the digest's JSON (``Digest.to_dict``), what a lead sees, and matches each item to a
planted truth by its evidence: an item is about what most of its evidence messages were planted
as. A second item about the same truth counts as a false positive (one problem, one item).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from assistant.insights.planted import PlantedTruth


def _about(evidence: Iterable[Mapping[str, Any]], truth_of: Mapping[str, str]) -> str | None:
    """What most of the evidence is about (None without evidence)."""
    counts = Counter(truth_of.get(e["question_id"], "?") for e in evidence)
    if not counts:
        return None
    label, top = counts.most_common(1)[0]
    return label if top * 2 > sum(counts.values()) else "mixed"


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def score_anomalies(items: list[dict[str, Any]], truth: PlantedTruth) -> dict[str, Any]:
    """Spike-days: a flagged day of a planted problem's spike is a hit; the rest are false alarms."""
    planted = {(s.problem, d.isoformat()) for s in truth.spikes for d in s.days}
    hits: set[tuple[str, str]] = set()
    false_alarms = []
    for item in items:
        if item.get("series") == "total" or item.get("kind") != "spike":
            continue  # a new topic growing fast is judged by what it is (a bug, a theme), not here
        about = _about(item.get("evidence", []), truth.problem_of)
        key = (about or "", str(item["day"]))
        if key in planted and key not in hits:
            hits.add(key)
        else:
            false_alarms.append(f"{item['day']} {item.get('name', '')[:60]}")
    flagged = len(hits) + len(false_alarms)
    quiet = sum(
        1 for item in items if _about(item.get("evidence", []), truth.problem_of) == truth.quiet_problem
    )
    return {
        "precision": _ratio(len(hits), flagged),
        "recall": _ratio(len(hits), len(planted)),
        "found": sorted(f"{p} {d}" for p, d in hits),
        "missed": sorted(f"{p} {d}" for p, d in planted - hits),
        "false_alarms": false_alarms,
        "quiet_control_flagged": quiet,
        "sizes": {
            s.problem: {"multiplier": s.multiplier, "days": len(s.days), "extra_a_day": s.extra}
            for s in truth.spikes
        },
    }


def score_bugs(items: list[dict[str, Any]], truth: PlantedTruth) -> dict[str, Any]:
    """The planted bug found once; every other item (a routine problem, the how-to) is false."""
    labels = [_about(item.get("evidence", []), {q: "bug" for q in truth.bug_ids}) for item in items]
    hits = labels.count("bug")
    first_rank = labels.index("bug") + 1 if "bug" in labels else None
    return {
        "precision": _ratio(min(hits, 1), len(items)),
        "recall": 1.0 if hits else 0.0,
        "items": len(items),
        "duplicates": max(0, hits - 1),
        "rank": first_rank,
        "howto_reported": any(
            _about(item.get("evidence", []), {q: "howto" for q in truth.howto_ids}) == "howto"
            for item in items
        ),
    }


def score_churn(items: list[dict[str, Any]], truth: PlantedTruth) -> dict[str, Any]:
    """Souring accounts named, healthy ones (the heavy one, the new one) not."""
    named = [item["account"] for item in items]
    souring = set(truth.souring)
    hits = [a for a in named if a in souring]
    reasons = [item.get("reason", "") for item in items]
    return {
        "precision": _ratio(len(hits), len(named)),
        "recall": _ratio(len(hits), len(souring)),
        "named": named,
        "missed": sorted(souring - set(named)),
        "heavy_healthy_named": truth.heavy_healthy in named,
        "new_account_named": truth.new_account in named,
        "distinct_reasons": len(set(reasons)),
    }


def score_themes(items: list[dict[str, Any]], truth: PlantedTruth) -> dict[str, Any]:
    """Each planted request theme found once; any other theme is false."""
    truth_of = {q: theme for theme, ids in truth.themes.items() for q in ids}
    found: set[str] = set()
    false_items = 0
    for item in items:
        about = _about(item.get("evidence", []), truth_of)
        if about in truth.themes and about not in found:
            found.add(about)
        else:
            false_items += 1
    return {
        "precision": _ratio(len(found), len(items)),
        "recall": _ratio(len(found), len(truth.themes)),
        "found": sorted(found),
        "false_items": false_items,
    }


def score_gaps(items: list[dict[str, Any]], truth: PlantedTruth) -> dict[str, Any]:
    """The planted gap found, and how high it ranks."""
    truth_of = dict.fromkeys(truth.gap_ids, "gap")
    labels = [_about(item.get("evidence", []), truth_of) for item in items]
    return {
        "precision": _ratio(min(1, labels.count("gap")), len(items)),
        "recall": 1.0 if "gap" in labels else 0.0,
        "rank": labels.index("gap") + 1 if "gap" in labels else None,
        "items": len(items),
    }


def score_digest(digest: Mapping[str, Any] | Any, truth: PlantedTruth) -> dict[str, Any]:
    """Every detector's score (``digest``: a ``Digest`` or its ``to_dict``)."""
    data = digest if isinstance(digest, Mapping) else digest.to_dict()
    verdict = data["learning"].get("verdict", {}).get("verdict") if data["learning"].get("verdict") else None
    return {
        "anomalies": score_anomalies(data["anomalies"], truth),
        "bugs": score_bugs(data["bugs"], truth),
        "churn_risk": score_churn(data["churn_risk"], truth),
        "feature_requests": score_themes(data["feature_requests"], truth),
        "knowledge_gaps": score_gaps(data["knowledge_gaps"], truth),
        "learning": {"expected": truth.learning, "verdict": verdict, "correct": verdict == truth.learning},
    }


def spike_days(truth: PlantedTruth) -> list[date]:
    """Every planted spike-day."""
    return sorted({d for s in truth.spikes for d in s.days})
