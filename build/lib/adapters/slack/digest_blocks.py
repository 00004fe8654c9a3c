"""Block Kit for what the insight jobs post: the weekly digest, spikes, and bug reports.

Pure builders like ``blocks.py``: plain dicts, Slack's limits kept (50 blocks, 3,000 characters
a section), customers' words escaped and mentions neutralised, each quoted message linked to
where it was asked when the link is known. The charts are uploaded beside the message by the
publisher (``files_upload_v2``); these builders only say they are there.

A bug report posted to the engineering channel (``bug_report_message``) carries the buttons
"Bug", "Not a bug" and "Duplicate of…" (``BugRef`` in their value) until someone labels it; then
it says who labelled it and how. When the report is seen again the post is redrawn and a line
goes into its thread (``bug_update_reply``) instead of a new post.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.markup import slack_link, slack_text
from adapters.slack import constants as ids
from adapters.slack.blocks import button, context, fallback, mrkdwn, plain, sections
from adapters.slack.payloads import ButtonPayload
from adapters.wording import learning_line, truncate
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.records import BugReport, BugStatus, Evidence, MessageRef

Block = dict[str, Any]
Message = dict[str, Any]

ROWS = 5
EVIDENCE_LINKS = 3
QUOTE_CHARS = 140
REPORT_EXAMPLES = 5
SELECT_OPTIONS = 100  # Slack's limit for a static_select

BUG_BUTTON = "Bug"
NOT_BUG_BUTTON = "Not a bug"
DUPLICATE_BUTTON = "Duplicate of…"
NO_OTHER_REPORT = "There is no other bug report to mark this one a duplicate of."
REPORT_GONE = "This bug report is no longer stored."


class BugRef(ButtonPayload):
    """A bug report a button or the duplicate modal acts on (with its post, for the modal)."""

    bug_id: str
    channel: str | None = None
    ts: str | None = None


def escape(text: str) -> str:
    """Text shown as-is in mrkdwn (``markup.slack_text``), whitespace flattened and ``>`` escaped
    too (a digest line is quoted text, never a block quote)."""
    return slack_text(" ".join(text.split())).replace(">", "&gt;")


def quote(ref: MessageRef) -> str:
    said = f"“{escape(truncate(ref.text, QUOTE_CHARS))}”"
    who = " ".join((ref.account or "unknown account").split())
    return f"{said} — {slack_link(ref.link, who)}"


def evidence_links(evidence: Sequence[Evidence]) -> str:
    """A few of the messages behind a claim as links (named by account), and how many more."""
    linked = [e for e in evidence if e.permalink][:EVIDENCE_LINKS]
    if not linked:
        return ""
    links = " · ".join(slack_link(e.permalink, e.account or "message") for e in linked)
    more = len(evidence) - len(linked)
    return f"\n_evidence:_ {links}" + (f" (+{more} more)" if more > 0 else "")


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
            [
                f"*{r.score:.0f}* {escape(r.account)}: {escape(r.reason)}" + evidence_links(r.evidence)
                for r in digest.churn_risk[:ROWS]
            ],
        ),
        (
            "Likely bugs",
            [
                _bug_line(b.title, b.count, b.accounts, b.state, b.examples)
                + (f"\n{escape(b.normal)}" if b.normal else "")
                + evidence_links(b.evidence)
                for b in digest.bugs[:ROWS]
            ],
        ),
        (
            "Feature requests",
            [
                f"*{t.count}* ({t.trend}, {t.previous_count} last period) {escape(t.name)}"
                f" — {escape(', '.join(t.accounts))}" + evidence_links(t.evidence)
                for t in digest.feature_requests[:ROWS]
            ],
        ),
        (
            "Knowledge gaps",
            [
                f"*{g.handoffs}/{g.questions}* handed off: {escape(g.name)}"
                + (f" ({escape(g.normal)})" if g.normal else "")
                + (f"\n>draft: {escape(truncate(g.candidate_answer, 300))}" if g.candidate_answer else "")
                + evidence_links(g.evidence)
                for g in digest.knowledge_gaps[:ROWS]
            ],
        ),
        ("Learning", [learning_line(digest, bold=lambda text: f"*{text}*")]),
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


def bug_report_message(report: BugReport) -> Message:
    """One likely bug for engineers: what customers see, who, when, examples; buttons while open."""
    title = f"Likely bug: {report.title}"
    facts = (
        f"`{report.id}` — *{report.count} messages* from *{len(report.accounts)} accounts* "
        f"({escape(', '.join(report.accounts))}), first seen {report.first_seen:%a %d %b %H:%M}, "
        f"last seen {report.last_seen:%a %d %b %H:%M} UTC"
    )
    examples = "\n".join(f">{quote(e)}" for e in report.examples[:REPORT_EXAMPLES])
    blocks: list[Block] = [
        header(truncate(title, 150)),
        *sections(f"_What customers see:_ {escape(report.symptom)}\n{facts}\n{examples}"),
    ]
    if report.status is BugStatus.OPEN:
        value = BugRef(bug_id=report.id).dump()
        blocks.append(
            {
                "type": "actions",
                "block_id": f"bug_labels:{report.id}"[:255],
                "elements": [
                    button(BUG_BUTTON, ids.BUG_CONFIRM, value, style="danger"),
                    button(NOT_BUG_BUTTON, ids.BUG_NOT_BUG, value),
                    button(DUPLICATE_BUTTON, ids.BUG_DUPLICATE, value),
                ],
            }
        )
    else:
        blocks.append(context(labelled_line(report)))
    return {"text": fallback(title), "blocks": blocks[: ids.MAX_BLOCKS]}


def labelled_line(report: BugReport) -> str:
    verdict = {
        BugStatus.BUG: ":beetle: marked *a bug*",
        BugStatus.NOT_BUG: ":white_check_mark: marked *not a bug*",
        BugStatus.DUPLICATE: f":link: marked *a duplicate of* `{report.duplicate_of}`",
    }.get(report.status, "labelled")
    who = f"<@{report.labelled_by}>" if report.labelled_by else "someone"
    return f"{who} {verdict}"


def bug_update_reply(report: BugReport) -> Message:
    """A line in the report's thread: it was reported again."""
    text = (
        f"Reported again: now {report.count} messages from {len(report.accounts)} accounts, "
        f"last seen {report.last_seen:%a %d %b %H:%M} UTC."
    )
    latest = sorted(report.examples, key=lambda e: e.asked_at)[-1:]
    return {"text": fallback(text), "blocks": sections(text + "".join(f"\n>{quote(e)}" for e in latest))}


def duplicate_modal(report: BugReport, candidates: Sequence[BugReport], post: BugRef) -> dict[str, Any]:
    """Pick the report this one duplicates (the other open or confirmed reports)."""
    options = [
        {"text": plain(f"{c.title} ({c.count}) · {c.id}"), "value": c.id} for c in candidates[:SELECT_OPTIONS]
    ]
    return {
        "type": "modal",
        "callback_id": ids.DUPLICATE_VIEW,
        "private_metadata": post.dump(),
        "title": plain("Duplicate of…", 24),
        "submit": plain("Mark duplicate", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "section", "text": mrkdwn(f"*{escape(truncate(report.title, 200))}* duplicates:")},
            {
                "type": "input",
                "block_id": ids.DUPLICATE_BLOCK,
                "label": plain("Bug report"),
                "element": {"type": "static_select", "action_id": ids.DUPLICATE_INPUT, "options": options},
            },
        ],
    }


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
        normal = anomaly.normal or f"{anomaly.count} questions, about {anomaly.expected:.0f} expected"
        line = f"{anomaly.day:%a %d}: *{escape(anomaly.name)}* ×{anomaly.ratio:.1f} ({escape(normal)})"
    if examples:
        line += "".join(f"\n>{quote(e)}" for e in anomaly.examples[:2])
    return line + evidence_links(anomaly.evidence)


__all__ = [
    "BugRef",
    "anomaly_blocks",
    "bug_report_message",
    "bug_scan_blocks",
    "bug_update_reply",
    "digest_blocks",
    "duplicate_modal",
    "evidence_links",
    "labelled_line",
    "mrkdwn",
]
