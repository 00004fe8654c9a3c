"""Churn scoring on the clinc150 stream where a few accounts are made to turn sour.

The stream's 40 accounts ask over 253 days; each question is handed off with probability 0.15
and answered wrongly with probability 0.03 (about the replay's rates), and a few healthy
accounts get one complaint or "still need help" at random (decoys). In the last 14 days, 6
accounts turn sour, each in one or two of these ways, drawn at random:

* ``volume``: 3× their usual questions (paraphrases of their own intents);
* ``handoffs``: most of their recent questions handed off;
* ``complaints``: 2–4 angry or "I still need help" messages, some answers marked "didn't help";
* ``silence``: a heavy user (among the busiest accounts) stops asking.

Scored at the end of the stream with the default weights: ROC AUC of the score against the sour
label, precision at 6 and where each sour account ranks. Topics use hashed word n-grams (no
embedder), so the basic-questions-late signal, which needs topics and account ages, is not
exercised: every account starts on the stream's first day.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED_EVAL, record

from assistant.insights.churn import score_accounts
from assistant.insights.records import ConversationRecord
from assistant.insights.settings import InsightSettings
from assistant.insights.topics import build_topics
from assistant.models import Decision

SEED = 0
SOUR = 6
HANDOFF_RATE, WRONG_RATE = 0.15, 0.03
COMPLAINTS = [
    "I still need help with this, nothing you suggested works",
    "This is frustrating, the same problem again",
    "Any update? We are still waiting",
    "still not working, third time asking",
    "Honestly this is unacceptable, we are considering switching to a competitor",
]
DECOYS = ["still waiting on that", "this is a bit annoying", "any update on my earlier question?"]


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def build(
    stream: list[dict], rng: random.Random
) -> tuple[list[ConversationRecord], dict[str, list[str]], datetime]:
    rows = [
        (datetime.fromisoformat(r["ts"].replace("Z", "+00:00")), r["text"], r["account"], r["gold"])
        for r in stream
    ]
    now = rows[-1][0] + timedelta(hours=1)
    recent = now - timedelta(days=14)
    counts: dict[str, int] = {}
    for _, _, account, _ in rows:
        counts[account] = counts.get(account, 0) + 1
    accounts = sorted(counts)
    heavy = sorted(accounts, key=lambda a: -counts[a])[:10]
    sour = rng.sample(accounts, SOUR)
    ways: dict[str, list[str]] = {}
    for account in sour:
        options = ["volume", "handoffs", "complaints"] + (["silence"] if account in heavy else [])
        ways[account] = rng.sample(options, rng.choice([1, 2]) if len(options) > 1 else 1)
        if "silence" in ways[account]:
            ways[account] = ["silence"]
    records: list[ConversationRecord] = []

    def add(at: datetime, text: str, account: str, **fields: object) -> None:
        values: dict[str, object] = {
            "decision": Decision.HANDOFF if rng.random() < HANDOFF_RATE else Decision.ANSWER,
        }
        values.update(fields)
        if values["decision"] is Decision.ANSWER and "outcome" not in values:
            values["outcome"] = rng.random() >= WRONG_RATE
        records.append(ConversationRecord(f"q{len(records)}", text, account, at, **values))  # type: ignore[arg-type]

    own_texts: dict[str, list[str]] = {}
    for at, text, account, _ in rows:
        own_texts.setdefault(account, []).append(text)
        how = ways.get(account, [])
        if at >= recent and "silence" in how:
            continue
        if at >= recent and "handoffs" in how:
            add(at, text, account, decision=Decision.HANDOFF if rng.random() < 0.8 else Decision.ANSWER)
        else:
            add(at, text, account)
    for account, how in ways.items():
        mine = [r for r in records if r.account == account and r.asked_at >= recent]
        if "volume" in how:
            for _ in range(2 * max(len(mine), 4)):
                add(
                    recent + timedelta(minutes=rng.randrange(14 * 24 * 60)),
                    rng.choice(own_texts[account]),
                    account,
                )
        if "complaints" in how:
            for _ in range(rng.randrange(2, 5)):
                at = recent + timedelta(minutes=rng.randrange(14 * 24 * 60))
                add(at, rng.choice(COMPLAINTS), account, not_helped=int(rng.random() < 0.5))
    for account in rng.sample([a for a in accounts if a not in ways], 8):
        add(recent + timedelta(minutes=rng.randrange(14 * 24 * 60)), rng.choice(DECOYS), account)
    return sorted(records, key=lambda r: r.asked_at), ways, now


def main() -> None:
    stream = read(SHARED_EVAL / "clinc150" / "stream.jsonl")
    rng = random.Random(SEED)
    records, ways, now = build(stream, rng)
    # every score, not only those a digest names (churn_min_score), so that the AUC sees them all
    settings = InsightSettings(churn_min_score=0, _env_file=None)  # type: ignore[call-arg]
    model = build_topics(records, threshold=settings.topic_similarity)
    risks = {r.account: r for r in score_accounts(model, settings, now=now)}
    accounts = sorted({r.account for r in records if r.account})
    scores = [risks[a].score if a in risks else 0.0 for a in accounts]
    labels = [a in ways for a in accounts]
    ranking = sorted(accounts, key=lambda a: -(risks[a].score if a in risks else 0.0))
    top = ranking[:SOUR]
    figures = {
        "accounts": len(accounts),
        "sour": {
            a: {
                "ways": w,
                "rank": ranking.index(a) + 1,
                "score": risks[a].score if a in risks else 0.0,
                "reason": risks[a].reason if a in risks else "",
            }
            for a, w in ways.items()
        },
        "roc_auc": round(float(roc_auc_score(labels, scores)), 3),
        "precision_at_6": round(sum(1 for a in top if a in ways) / SOUR, 3),
        "recall_at_10": round(sum(1 for a in ranking[:10] if a in ways) / SOUR, 3),
        "healthy_with_score_over_20": sum(
            1 for a, s in zip(accounts, scores, strict=True) if s > 20 and a not in ways
        ),
        "top_10": [(a, risks[a].score if a in risks else 0.0, a in ways) for a in ranking[:10]],
        "median_healthy_score": float(
            np.median([s for a, s in zip(accounts, scores, strict=True) if a not in ways])
        ),
    }
    for account, info in figures["sour"].items():
        print(
            f"{account}: rank {info['rank']:2d} score {info['score']:5.1f} "
            f"{'+'.join(info['ways'])}: {info['reason']}"
        )
    print(
        f"ROC AUC {figures['roc_auc']}  precision@6 {figures['precision_at_6']}  "
        f"recall@10 {figures['recall_at_10']}"
    )
    path = record(
        "insights_churn",
        {"data": "clinc150 stream.jsonl, 6 accounts made to turn sour", "seed": SEED, **figures},
    )
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
