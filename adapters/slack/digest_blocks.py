"""Block Kit for what the insight jobs post: the weekly digest, spikes, and bug reports.

Pure builders like ``blocks.py``: plain dicts, Slack's limits kept (50 blocks, 3,000 characters
a section), customers' words escaped and mentions neutralised, each quoted message linked to
where it was asked when the link is known. The charts are uploaded beside the message by the
publisher (``files_upload_v2``); these builders only say they are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.slack import constants as ids
from adapters.slack.blocks import context, fallback, mrkdwn, plain, sections
from adapters.slack.text import link_label, truncate
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.records import BugReport, MessageRef

Block = dict[str, Any]
Message = dict[str, Any]

ROWS = 5
QUOTE_CHARS = 140


def escape(text: str) -> str:
    """Text shown as-is in mrkdwn: &, < and > escaped, whitespace flattened."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(ref: MessageRef) -> str:
    said = f"“{escape(truncate(ref.text, QUOTE_CHARS))}”"
    who = escape(ref.account or "unknown account")
    return f"{said} — <{ref.link}|{link_label(who)}>" if ref.link else f"{said} — {who}"


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def digest_blocks(digest: Digest) -> Message:
    """The weekly digest as one message."""
    last = digest.days[-1] if digest.days else digest.period_end.date()
    blocks: list[Block] = [
        header(digest.title),
        context(
            f"{digest.period_start:%a %d %b} – {last:%a %d %b %Y} ({digest.timezone})",
            f"{digest.questions} questions",
        ),
    ]
    parts = [
        ("Anomalies", [_anomaly_line(a) for a in digest.anomalies[:ROWS]]),
        (
            "Churn risk",
            [f"*{r.score:.0f}* {escape(r.account)}: {escape(r.reason)}" for r in digest.churn_risk[:ROWS]],
        ),
        (
            "Likely bugs",
            [_bug_line(b.title, b.count, b.accounts, b.state, b.examples) for b in digest.bugs[:ROWS]],
        ),
        (
            "Feature requests",
            [
                f"*{t.count}* ({t.trend}, {t.previous_count} last period) {escape(t.name)}"
                f" — {escape(', '.join(t.accounts))}"
                for t in digest.feature_requests[:ROWS]
            ],
        ),
        (
            "Knowledge gaps",
            [
                f"*{g.handoffs}/{g.questions}* handed off: {escape(g.name)}"
                + (f"\n>draft: {escape(truncate(g.candidate_answer, 300))}" if g.candidate_answer else "")
                for g in digest.knowledge_gaps[:ROWS]
            ],
        ),
        ("Learning", [_learning_line(digest)]),
    ]
    for title, lines in parts:
        blocks.append({"type": "divider"})
        blocks.extend(sections(f"*{title}*\n" + ("\n".join(lines) if lines else "_nothing to report_")))
    if digest.volume or digest.learning.weeks:
        blocks.append(context("Charts: questions per day by topic, and learning week by week (attached)."))
    return {"text": fallback(digest.title), "blocks": blocks[: ids.MAX_BLOCKS]}


def anomaly_blocks(anomalies: Sequence[Anomaly]) -> Message:
    """The daily check's spikes."""
    lines = [_anomaly_line(a, examples=True) for a in anomalies[: ROWS * 2]]
    text = f"{len(anomalies)} unusual volume(s) yesterday"
    return {"text": fallback(text), "blocks": [header(text), *sections("\n\n".join(lines))][: ids.MAX_BLOCKS]}


def bug_scan_blocks(scan: BugScan) -> Message:
    """New likely bugs, and known ones reported again."""
    lines = [_report_line(r, "New likely bug") for r in scan.new] + [
        _report_line(r, "Reported again") for r in scan.updated
    ]
    text = f"{len(scan.new)} new likely bug(s), {len(scan.updated)} updated"
    return {"text": fallback(text), "blocks": [header(text), *sections("\n\n".join(lines))][: ids.MAX_BLOCKS]}


def _report_line(report: BugReport, label: str) -> str:
    return (
        f"*{label}* `{report.id}`\n"
        + _bug_line(report.title, report.count, report.accounts, report.status.value, report.examples)
        + f"\n_what customers see:_ {escape(report.symptom)}"
    )


def _bug_line(
    title: str, count: int, accounts: Sequence[str], state: str, examples: Sequence[MessageRef]
) -> str:
    head = f"*{escape(title)}* ({state}) — {count} messages from {len(accounts)} accounts"
    return "\n".join([head, *(f">{quote(e)}" for e in examples[:2])])


def _anomaly_line(anomaly: Anomaly, *, examples: bool = False) -> str:
    if anomaly.kind == "new_topic":
        line = f"{anomaly.day:%a %d}: new topic *{escape(anomaly.name)}*, {anomaly.count} questions so far"
    else:
        line = (
            f"{anomaly.day:%a %d}: *{escape(anomaly.name)}* ×{anomaly.ratio:.1f} "
            f"({anomaly.count} questions, about {anomaly.expected:.0f} expected)"
        )
    if examples:
        line += "".join(f"\n>{quote(e)}" for e in anomaly.examples[:2])
    return line


def _learning_line(digest: Digest) -> str:
    weeks = digest.learning.weeks
    if not weeks:
        return "_no questions yet_"
    week = weeks[-1]

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    line = (
        f"{week.period}: auto-resolution {pct(week.auto_resolution)}, precision {pct(week.precision)}, "
        f"hand-offs {pct(week.handoff_rate)}, {week.corrections} corrections"
    )
    verdict = {True: "improving", False: "not improving", None: None}[digest.learning.improving]
    return line + (f"; month over month: *{verdict}*" if verdict else "")


__all__ = ["anomaly_blocks", "bug_scan_blocks", "digest_blocks", "mrkdwn"]
