"""Adaptive Cards for what the insight jobs post to Teams: the digest, spikes, bug reports.

Pure builders beside ``cards.py`` (whose ``card`` and ``text_block`` they use). Customers' words
go through ``teams_text`` like every other echoed text. The digest's charts ride in the card as
``Image`` elements with a ``data:image/png;base64`` URL. Teams refuses a bot message over 100 KB
(40 KB in older documentation; base64 images are said not to count: learn.microsoft.com, "Format
your bot messages"); to stay safe either way the images share a budget (``IMAGE_BUDGET``), and a
chart beyond it is left out with a line saying so (the digest's two charts take ~55,000). Bug reports
carry no label buttons here: engineers label them from Slack or ``assistant insights label-bug``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from adapters.markup import teams_text
from adapters.teams.cards import Card, Element, card, text_block, truncate
from adapters.wording import learning_line
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.records import BugReport, Evidence, MessageRef

ROWS = 5
EVIDENCE_LINKS = 3
QUOTE_CHARS = 140
IMAGE_BUDGET = 80_000  # base64 characters of chart images per card


def quote(ref: MessageRef) -> str:
    said = f"“{teams_text(truncate(' '.join(ref.text.split()), QUOTE_CHARS))}”"
    who = teams_text(ref.account or "unknown account")
    if ref.link and ref.link.startswith("https://"):
        return f"{said} — [{who}]({ref.link})"
    return f"{said} — {who}"


def evidence_links(evidence: Sequence[Evidence]) -> str:
    """A few of the messages behind a claim as Markdown links (https only), and how many more."""
    linked = [e for e in evidence if e.permalink and e.permalink.startswith("https://")][:EVIDENCE_LINKS]
    if not linked:
        return ""
    links = " · ".join(f"[{teams_text(e.account or 'message')}]({e.permalink})" for e in linked)
    more = len(evidence) - len(linked)
    return f" — evidence: {links}" + (f" (+{more} more)" if more > 0 else "")


def _section(title: str, lines: Sequence[str]) -> list[Element]:
    body = "\n\n".join(f"- {line}" for line in lines) if lines else "_nothing to report_"
    return [
        {**text_block(title, weight="Bolder"), "separator": True, "spacing": "Medium"},
        text_block(body),
    ]


def chart_images(charts: Sequence[tuple[str, bytes]]) -> tuple[list[Element], list[str]]:
    """The charts that fit the budget as Image elements, and the names of those left out."""
    images: list[Element] = []
    left_out: list[str] = []
    spent = 0
    for name, png in charts:
        data = base64.b64encode(png).decode("ascii")
        if spent + len(data) > IMAGE_BUDGET:
            left_out.append(name)
            continue
        spent += len(data)
        alt = name.rsplit(".", 1)[0].replace("-", " ")
        images.append({"type": "Image", "url": f"data:image/png;base64,{data}", "altText": alt})
    return images, left_out


def digest_card(digest: Digest, charts: Sequence[tuple[str, bytes]] = ()) -> Card:
    """The weekly digest: each section's top rows, then the charts that fit."""
    last = digest.days[-1] if digest.days else digest.period_end.date()
    body: list[Element] = [
        text_block(digest.title, weight="Bolder", size="Large"),
        text_block(
            f"{digest.period_start:%a %d %b} – {last:%a %d %b %Y} ({digest.timezone}) · "
            f"{digest.questions} questions",
            subtle=True,
        ),
    ]
    body += _section("Anomalies", [anomaly_line(a) for a in digest.anomalies[:ROWS]])
    body += _section(
        "Churn risk",
        [
            f"**{r.score:.0f}** {teams_text(r.account)}: {teams_text(r.reason)}" + evidence_links(r.evidence)
            for r in digest.churn_risk[:ROWS]
        ],
    )
    body += _section(
        "Likely bugs",
        [
            f"**{teams_text(b.title)}** ({b.state}) — {b.count} messages from {len(b.accounts)} accounts"
            + (f"; {teams_text(b.normal)}" if b.normal else "")
            + evidence_links(b.evidence)
            for b in digest.bugs[:ROWS]
        ],
    )
    body += _section(
        "Feature requests",
        [
            f"**{t.count}** ({t.trend}, {t.previous_count} last period) {teams_text(t.name)}"
            + evidence_links(t.evidence)
            for t in digest.feature_requests[:ROWS]
        ],
    )
    body += _section(
        "Knowledge gaps",
        [
            f"**{g.handoffs}/{g.questions}** handed off: {teams_text(g.name)}"
            + (f" ({teams_text(g.normal)})" if g.normal else "")
            + evidence_links(g.evidence)
            for g in digest.knowledge_gaps[:ROWS]
        ],
    )
    body += _section("Learning", [learning_line(digest, bold=lambda text: f"**{text}**")])
    images, left_out = chart_images(charts)
    body += images
    if left_out:
        missing = ", ".join(left_out)
        body.append(text_block(f"Not shown (too large for a Teams card): {missing}.", subtle=True))
    return card(*body)


def anomalies_card(anomalies: Sequence[Anomaly]) -> Card:
    title = f"{len(anomalies)} unusual volume(s) yesterday"
    lines = [anomaly_line(a, examples=True) for a in anomalies[: ROWS * 2]]
    return card(text_block(title, weight="Bolder", size="Medium"), text_block("\n\n".join(lines)))


def bug_report_card(report: BugReport) -> Card:
    """One likely bug: what customers see, who, when, a few examples."""
    facts = (
        f"`{report.id}` — **{report.count} messages** from **{len(report.accounts)} accounts** "
        f"({teams_text(', '.join(report.accounts))}); first seen {report.first_seen:%a %d %b %H:%M}, "
        f"last seen {report.last_seen:%a %d %b %H:%M} UTC"
    )
    examples = "\n\n".join(f"> {quote(e)}" for e in report.examples[:ROWS])
    return card(
        text_block(f"Likely bug: {teams_text(report.title)}", weight="Bolder", size="Medium"),
        text_block(f"_What customers see:_ {teams_text(report.symptom)}"),
        text_block(facts, subtle=True),
        text_block(examples),
    )


def bug_update_text(report: BugReport) -> str:
    return (
        f"Reported again: now {report.count} messages from {len(report.accounts)} accounts, "
        f"last seen {report.last_seen:%a %d %b %H:%M} UTC."
    )


def bug_scan_summary(scan: BugScan) -> str:
    return f"{len(scan.new)} new likely bug(s), {len(scan.updated)} updated"


def anomaly_line(anomaly: Anomaly, *, examples: bool = False) -> str:
    name = teams_text(anomaly.name)
    if anomaly.kind == "new_topic":
        line = f"{anomaly.day:%a %d}: new topic **{name}**, {anomaly.count} questions so far"
    else:
        normal = anomaly.normal or f"{anomaly.count} questions, about {anomaly.expected:.0f} expected"
        line = f"{anomaly.day:%a %d}: **{name}** ×{anomaly.ratio:.1f} ({teams_text(normal)})"
    if examples:
        line += "".join(f"\n\n> {quote(e)}" for e in anomaly.examples[:2])
    return line + evidence_links(anomaly.evidence)
