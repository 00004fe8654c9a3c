"""Bug detection: several customers reporting the same unexpected behaviour become a likely bug.

1. ``find_bug_groups``: messages that read as a malfunction (the classifier's P(bug), and
   malfunction wording unless the classifier is sure) are grouped by meaning (online clustering,
   ``bug_similarity``), then groups whose centroids are close (``bug_merge_similarity``) are
   merged, so one bug reported in many wordings ("export fails", "download is broken") is one
   group; a group is a likely bug when some ``bug_window_hours`` window holds at least
   ``bug_min_messages`` of its messages from ``bug_min_accounts`` accounts.
   ``abnormal_groups`` then keeps only what is new or abnormally frequent against the history
   (a stable routine intent such as "my card was declined" is never a bug) and not what the
   assistant answers well (a documented how-to that reads like a bug), ranked by evidence.
2. ``reconcile``: each group is matched with the stored reports (by shared messages, or by the
   cosine of its centroid and a report's signature): a match updates that report, and only a
   group matching nothing becomes a new report. So one bug is reported once, then updated.
   A group matching a report engineers marked "not a bug" is absorbed quietly; one matching a
   duplicate updates the report it duplicates.
3. ``apply_verdict``: an engineer's label (bug, not a bug, duplicate) on a report, and the message
   labels it gives the classifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from assistant.errors import InvalidInputError
from assistant.insights.records import (
    BugReport,
    BugStatus,
    ConversationRecord,
    MessageLabel,
    MessageRef,
)
from assistant.insights.settings import InsightSettings
from assistant.insights.text import headline, keywords
from assistant.insights.topics import OnlineClusterer
from assistant.models import new_id

#: Share of a group's messages already in a report that makes it that report.
OVERLAP_MATCH = 0.5
#: A classifier this sure needs no malfunction wording.
SURE_BUG = 0.9
#: Share of a group's messages answered well that makes it a documented how-to, not a bug.
DOCUMENTED_SHARE = 0.5
MALFUNCTION = re.compile(
    r"\b(error\w*|fail\w*|broken|break\w*|crash\w*|bug\w*|not (work\w*|load\w*|sav\w*)|"
    r"(doesn'?t|does not|won'?t|can'?t|cannot|isn'?t|stopped) (work|load|open|save|sync|export|download)\w*|"
    r"does nothing|nothing happens|blank|empty|spins? forever|stuck|timed? ?out|5\d\d|4\d\d|wrong)\b",
    re.I,
)


def reads_as_malfunction(text: str, bug_probability: float, settings: InsightSettings) -> bool:
    """Whether a message reports something broken: malfunction wording and the classifier agree."""
    if bug_probability >= SURE_BUG:
        return True
    return bug_probability >= settings.bug_probability / 2 and bool(MALFUNCTION.search(text))


@dataclass(frozen=True, slots=True)
class BugGroup:
    """Messages that look like one bug, found in one scan."""

    records: list[ConversationRecord]
    centroid: np.ndarray = field(repr=False)
    central: int
    qualified: bool = True

    @property
    def accounts(self) -> list[str]:
        return sorted({r.account for r in self.records if r.account})


@dataclass(slots=True)
class BugScan:
    """What a scan changed: reports to announce, reports to update, groups absorbed quietly."""

    new: list[BugReport] = field(default_factory=list)
    updated: list[BugReport] = field(default_factory=list)
    quiet: list[BugReport] = field(default_factory=list)

    @property
    def changed(self) -> list[BugReport]:
        return [*self.new, *self.updated, *self.quiet]


def qualifies(records: Sequence[ConversationRecord], settings: InsightSettings) -> bool:
    """Whether some window of ``bug_window_hours`` holds enough messages from enough accounts."""
    ordered = sorted(records, key=lambda r: r.asked_at)
    window = timedelta(hours=settings.bug_window_hours)
    start = 0
    for end, record in enumerate(ordered):
        while record.asked_at - ordered[start].asked_at > window:
            start += 1
        inside = ordered[start : end + 1]
        accounts = {r.account for r in inside if r.account}
        if len(inside) >= settings.bug_min_messages and len(accounts) >= settings.bug_min_accounts:
            return True
    return False


def find_bug_groups(
    records: Sequence[ConversationRecord],
    bug_probability: np.ndarray,
    vectors: np.ndarray,
    settings: InsightSettings,
) -> list[BugGroup]:
    """Groups of likely bug reports among ``records`` (rows of ``vectors`` and probabilities).

    Groups too small to be a bug on their own are returned too, ``qualified`` False: they may
    still add to a bug already reported.
    """
    order = sorted(range(len(records)), key=lambda i: records[i].asked_at)
    chosen = [i for i in order if reads_as_malfunction(records[i].text, float(bug_probability[i]), settings)]
    if not chosen:
        return []
    clusterer = OnlineClusterer(vectors.shape[1], threshold=settings.bug_similarity)
    clusters: dict[int, list[int]] = {}
    for index in chosen:
        clusters.setdefault(clusterer.add(vectors[index]), []).append(int(index))
    groups = []
    for members in _merged(clusters, clusterer.centroids, settings.bug_merge_similarity):
        group_records = [records[i] for i in members]
        centroid = vectors[members].mean(axis=0)
        centroid = centroid / (float(np.linalg.norm(centroid)) or 1.0)
        central = int(np.argmax(vectors[members] @ centroid))
        ok = qualifies(group_records, settings)
        groups.append(BugGroup(records=group_records, centroid=centroid, central=central, qualified=ok))
    return groups


def _merged(clusters: dict[int, list[int]], centroids: np.ndarray, similarity: float) -> list[list[int]]:
    """Clusters whose centroids are close joined (average linkage): one bug, several wordings."""
    keys = sorted(clusters)
    if len(keys) < 2:
        return [sorted(clusters[k]) for k in keys]
    tree = linkage(centroids[keys].astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=1.0 - similarity, criterion="distance")
    joined: dict[int, list[int]] = {}
    for key, label in zip(keys, labels, strict=True):
        joined.setdefault(int(label), []).extend(clusters[key])
    return [sorted(members) for members in joined.values()]


@dataclass(frozen=True, slots=True)
class BugEvidence:
    """Why a group is a likely bug: its reach, and how its volume compares with what is usual."""

    group: BugGroup
    accounts: int
    count: int
    usual: float
    growth: float
    normal: str


def abnormal_groups(
    groups: Sequence[BugGroup],
    history: np.ndarray,
    history_days: float,
    window_days: float,
    settings: InsightSettings,
) -> list[BugEvidence]:
    """The qualified groups that are new or abnormally frequent and not documented, best first.

    ``history`` holds the vectors of the messages before the window (``history_days`` of them):
    what is usual for a group is how many of them are as close to its centroid as its own
    messages are, scaled to the window. Ranked by accounts affected, then growth, then count.
    """
    kept = []
    for group in groups:
        if not group.qualified:
            continue
        answered_well = sum(
            1
            for r in group.records
            if r.answered and (r.outcome is True or r.helped > 0) and not r.not_helped
        )
        if answered_well >= DOCUMENTED_SHARE * len(group.records):
            continue
        usual = 0.0
        if len(history) and history_days > 0 and history.shape[1] == group.centroid.shape[0]:
            near = int((history @ group.centroid >= settings.bug_similarity).sum())
            usual = near / history_days * window_days
        count = len(group.records)
        growth = count / max(usual, 0.5)
        if growth < settings.bug_growth:
            continue
        normal = (
            f"{count} reports from {len(group.accounts)} accounts vs {usual:.1f} usual in "
            f"{window_days:.0f} days"
            if usual
            else f"{count} reports from {len(group.accounts)} accounts, none before"
        )
        kept.append(BugEvidence(group, len(group.accounts), count, round(usual, 2), round(growth, 1), normal))
    return sorted(kept, key=lambda e: (-e.accounts, -e.growth, -e.count, e.group.records[0].asked_at))


def reconcile(
    groups: Sequence[BugGroup],
    existing: Sequence[BugReport],
    settings: InsightSettings,
    *,
    now: datetime,
    make_id: Callable[[], str] = lambda: new_id("bug"),
) -> BugScan:
    """Match groups with stored reports: update matches, create reports for qualified others."""
    reports = {report.id: replace(report, question_ids=list(report.question_ids)) for report in existing}
    scan = BugScan()
    touched: dict[str, str] = {}
    for group in groups:
        match = _match(group, list(reports.values()), settings)
        if match is not None and match.status is BugStatus.DUPLICATE and match.duplicate_of in reports:
            match = reports[match.duplicate_of]
        if match is None and not group.qualified:
            continue
        if match is None:
            report = new_report(group, settings, now=now, bug_id=make_id())
            reports[report.id] = report
            scan.new.append(report)
            touched[report.id] = "new"
            continue
        fresh = [r for r in group.records if r.question_id not in set(match.question_ids)]
        if not fresh:
            continue
        merge_into(match, fresh, group.centroid, settings, now=now)
        kind = "quiet" if match.status is BugStatus.NOT_BUG else "updated"
        touched.setdefault(match.id, kind)
    for bug_id, kind in touched.items():
        if kind == "updated":
            scan.updated.append(reports[bug_id])
        elif kind == "quiet":
            scan.quiet.append(reports[bug_id])
    return scan


def new_report(group: BugGroup, settings: InsightSettings, *, now: datetime, bug_id: str) -> BugReport:
    """A report of a group never seen before."""
    central = group.records[group.central]
    texts = [r.text for r in group.records]
    ordered = sorted(group.records, key=lambda r: r.asked_at)
    return BugReport(
        id=bug_id,
        title=headline(central.text, 80),
        symptom=headline(central.text, 240),
        keywords=keywords(texts, limit=settings.topic_keywords),
        examples=_examples([central, *ordered], settings.bug_examples),
        accounts=group.accounts,
        first_seen=ordered[0].asked_at,
        last_seen=ordered[-1].asked_at,
        question_ids=[r.question_id for r in ordered],
        signature=group.centroid,
        created_at=now,
        updated_at=now,
    )


def merge_into(
    report: BugReport,
    fresh: Sequence[ConversationRecord],
    centroid: np.ndarray,
    settings: InsightSettings,
    *,
    now: datetime,
) -> None:
    """Add ``fresh`` messages to ``report`` (in place) and move its signature towards them."""
    before = report.count
    report.question_ids.extend(r.question_id for r in fresh)
    report.accounts = sorted(set(report.accounts) | {r.account for r in fresh if r.account})
    report.first_seen = min([report.first_seen, *(r.asked_at for r in fresh)])
    report.last_seen = max([report.last_seen, *(r.asked_at for r in fresh)])
    newest = sorted(fresh, key=lambda r: r.asked_at, reverse=True)
    kept = report.examples[:1]
    report.examples = kept + _examples(
        newest, settings.bug_examples - len(kept), skip={e.question_id for e in kept}
    )
    if report.signature.shape == centroid.shape:
        combined = report.signature * before + centroid * len(fresh)
        norm = float(np.linalg.norm(combined))
        report.signature = (combined / norm if norm else report.signature).astype(np.float32)
    report.version += 1
    report.updated_at = now


def apply_verdict(
    report: BugReport,
    status: BugStatus,
    *,
    actor: str,
    duplicate_of: BugReport | None = None,
    now: datetime,
) -> tuple[BugReport, MessageLabel]:
    """An engineer's label on a report, and the label its messages get for the classifier."""
    if status is BugStatus.OPEN:
        raise InvalidInputError("A report is labelled bug, not_bug or duplicate.")
    if status is BugStatus.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInputError("Say which report this one duplicates.")
        if duplicate_of.id == report.id:
            raise InvalidInputError("A report cannot duplicate itself.")
    labelled = replace(
        report,
        status=status,
        duplicate_of=duplicate_of.id if status is BugStatus.DUPLICATE and duplicate_of else None,
        labelled_by=actor,
        updated_at=now,
    )
    return labelled, MessageLabel.QUESTION if status is BugStatus.NOT_BUG else MessageLabel.BUG


def _match(group: BugGroup, reports: Sequence[BugReport], settings: InsightSettings) -> BugReport | None:
    ids = {r.question_id for r in group.records}
    best, best_score = None, -1.0
    for report in reports:
        shared = len(ids & set(report.question_ids)) / len(ids)
        same_space = report.signature.shape == group.centroid.shape
        similarity = float(np.dot(report.signature, group.centroid)) if same_space else -1.0
        if shared >= OVERLAP_MATCH:
            similarity = max(similarity, 1.0 + shared)
        if similarity >= settings.bug_match_similarity and similarity > best_score:
            best, best_score = report, similarity
    return best


def _examples(
    records: Sequence[ConversationRecord], limit: int, *, skip: set[str] | None = None
) -> list[MessageRef]:
    seen = set(skip or ())
    examples: list[MessageRef] = []
    for record in records:
        if record.question_id in seen or len(examples) >= limit:
            continue
        seen.add(record.question_id)
        examples.append(
            MessageRef(
                question_id=record.question_id,
                text=record.text,
                account=record.account,
                asked_at=record.asked_at,
                link=record.link,
            )
        )
    return examples
