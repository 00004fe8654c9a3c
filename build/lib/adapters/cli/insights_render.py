"""How the digest and the insight lists read in a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.insights.anomalies import Anomaly
from assistant.insights.churn import AccountRisk
from assistant.insights.digest import BugSummary, Digest
from assistant.insights.gaps import KnowledgeGap
from assistant.insights.learning_health import LearningHealth
from assistant.insights.records import MessageRef
from assistant.insights.requests import FeatureTheme

NOTHING = "  (nothing)"


def digest_text(digest: Digest) -> str:
    last = digest.period_end.date()
    lines = [
        f"{digest.title}  [{digest.period_start:%Y-%m-%d} – {last:%Y-%m-%d}, {digest.timezone}]",
        f"{digest.questions} questions this period",
        "",
        "Anomalies",
        *anomaly_lines(digest.anomalies),
        "",
        "Churn risk",
        *churn_lines(digest.churn_risk),
        "",
        "Likely bugs",
        *bug_lines(digest.bugs),
        "",
        "Feature requests",
        *theme_lines(digest.feature_requests),
        "",
        "Knowledge gaps",
        *gap_lines(digest.knowledge_gaps),
        "",
        "Learning",
        *learning_lines(digest.learning),
    ]
    return "\n".join(lines)


def anomaly_lines(anomalies: Sequence[Anomaly]) -> list[str]:
    lines = []
    for a in anomalies:
        if a.kind == "new_topic":
            lines.append(f"  {a.day:%a %d %b}  NEW TOPIC  {a.name}: {a.count} questions since it appeared")
        else:
            normal = a.normal or f"{a.count} questions, expected {a.expected:.1f}"
            lines.append(f"  {a.day:%a %d %b}  spike ×{a.ratio:.1f}  {a.name}: {normal} (p={a.p_value:.1e})")
        lines.extend(_examples(a.examples, indent=6))
    return lines or [NOTHING]


def churn_lines(risks: Sequence[AccountRisk]) -> list[str]:
    return [f"  {r.score:5.1f}  {r.account}: {r.reason}" for r in risks] or [NOTHING]


def bug_lines(bugs: Sequence[BugSummary]) -> list[str]:
    lines = []
    for b in bugs:
        flag = "" if b.stored else " (not yet reported)"
        lines.append(
            f"  [{b.state}, {b.status.value}] {b.id}{flag}: {b.title} — {b.count} messages from "
            f"{len(b.accounts)} accounts ({', '.join(b.accounts)}), "
            f"{b.first_seen:%d %b %H:%M} – {b.last_seen:%d %b %H:%M}"
        )
        lines.extend(_examples(b.examples, indent=6))
    return lines or [NOTHING]


def theme_lines(themes: Sequence[FeatureTheme]) -> list[str]:
    return [
        f"  {t.count:3d} ({t.trend}, {t.previous_count} before)  {t.name}  — {', '.join(t.accounts)}"
        for t in themes
    ] or [NOTHING]


def gap_lines(gaps: Sequence[KnowledgeGap]) -> list[str]:
    lines = []
    for g in gaps:
        lines.append(f"  {g.handoffs}/{g.questions} handed off  {g.name}")
        if g.candidate_answer:
            lines.append(
                f"      draft ({g.agreeing_replies}/{g.replies} agents' replies agree): "
                f"{g.candidate_answer[:200]}"
            )
            lines.append(f'      approve: assistant teach "{g.question}" "<the answer>"')
        else:
            lines.append("      no agent reply yet to draft from")
    return lines or [NOTHING]


def learning_lines(health: LearningHealth) -> list[str]:
    lines = ["  week       questions  auto-res  precision  hand-off  corrections"]
    for w in health.weeks:
        lines.append(
            f"  {w.period}  {w.questions:9d}  {_pct(w.auto_resolution):>8}  {_pct(w.precision):>9}  "
            f"{_pct(w.handoff_rate):>8}  {w.corrections:11d}"
        )
    if health.verdict is not None:
        verdict = health.verdict
        shown = "no clear change" if verdict.verdict == "same" else verdict.verdict
        lines.append(f"  verdict: {shown} — {verdict.summary}")
    return lines


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _examples(examples: Sequence[MessageRef], *, indent: int) -> list[str]:
    pad = " " * indent
    return [
        f"{pad}“{' '.join(e.text.split())[:100]}” — {e.account or 'unknown account'}"
        + (f" <{e.link}>" if e.link else "")
        for e in examples
    ]
