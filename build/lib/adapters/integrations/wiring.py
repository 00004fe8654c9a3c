"""The integrations' composition root: trackers from the settings, and the ticket sync over them.

``serve``'s scheduled job, ``assistant integrations sync`` and the webhooks all build the sync
here, so they run the same code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from adapters.integrations.github import GitHubIssues
from adapters.integrations.http import JsonHttp, Sleep
from adapters.integrations.jira import JiraIssues, basic_auth
from adapters.integrations.settings import IntegrationSettings
from assistant.insights.records import BugReport, MessageLabel
from assistant.insights.service import InsightService
from assistant.integrations.bug_tickets import BugTicketSync, Confidence, Teacher
from assistant.integrations.tickets import FixNotifier, IssueTracker, ThreadLocator, TicketLedger

GITHUB_WRITE_INTERVAL = 1.0  # GitHub: a second between content-creating requests


@dataclass(slots=True)
class Trackers:
    """The configured trackers and the HTTP clients to close with them."""

    trackers: list[IssueTracker] = field(default_factory=list)
    clients: list[JsonHttp] = field(default_factory=list)

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


def build_trackers(settings: IntegrationSettings, *, sleep: Sleep = asyncio.sleep) -> Trackers:
    """A tracker per configured integration (none configured: none)."""
    built = Trackers()
    common = {
        "timeout": settings.assistant_integrations_timeout_seconds,
        "attempts": settings.assistant_integrations_attempts,
        "sleep": sleep,
    }
    if settings.github and settings.github_token is not None and settings.assistant_github_repo:
        http = JsonHttp(
            name="GitHub",
            base_url=settings.github_api_url,
            headers={
                "Authorization": f"Bearer {settings.github_token.get_secret_value()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "support-assistant",
            },
            write_interval=GITHUB_WRITE_INTERVAL,
            **common,  # type: ignore[arg-type]
        )
        built.clients.append(http)
        built.trackers.append(
            GitHubIssues(
                http, settings.assistant_github_repo, allow_public=settings.assistant_github_allow_public
            )
        )
    if (
        settings.jira_url
        and settings.jira_email
        and settings.jira_api_token
        and settings.assistant_jira_project
    ):
        http = JsonHttp(
            name="Jira",
            base_url=settings.jira_url,
            headers={
                "Authorization": basic_auth(settings.jira_email, settings.jira_api_token.get_secret_value()),
                "Accept": "application/json",
            },
            **common,  # type: ignore[arg-type]
        )
        built.clients.append(http)
        built.trackers.append(
            JiraIssues(
                http,
                site=settings.jira_url,
                project=settings.assistant_jira_project,
                issue_type=settings.assistant_jira_issue_type,
            )
        )
    return built


def classifier_confidence(service: InsightService) -> Confidence:
    """A report's confidence: the classifier's mean P(bug) over its quoted messages."""

    async def confidence(report: BugReport) -> float:
        texts = [example.text for example in report.examples] or [report.symptom]
        classifier = await service.classifier()
        return float(np.mean(classifier.probability_of(MessageLabel.BUG, texts)))

    return confidence


def build_ticket_sync(
    settings: IntegrationSettings,
    *,
    service: InsightService,
    ledger: TicketLedger,
    trackers: Sequence[IssueTracker],
    teacher: Teacher | None,
    threads: ThreadLocator | None,
    notifier: FixNotifier | None,
) -> BugTicketSync:
    auto = settings.assistant_tickets_auto_confidence
    return BugTicketSync(
        source=service.source,
        ledger=ledger,
        trackers=trackers,
        notifier=notifier,
        threads=threads,
        teacher=teacher,
        notify=settings.assistant_tickets_notify,
        auto_confidence=auto,
        confidence=classifier_confidence(service) if auto is not None else None,
        label=settings.assistant_tickets_label,
    )
