"""GitHub Issues as an ``IssueTracker`` (REST API 2022-11-28; GitHub Enterprise by ``GITHUB_API_URL``).

* create: ``POST /repos/{owner}/{repo}/issues`` with title, body and labels; the body ends with
  the bug's marker in an HTML comment (invisible on github.com).
* find (after a lost reply): ``GET /repos/{owner}/{repo}/issues?state=all&sort=created`` (the
  newest 100, not the search API, whose index lags) and the marker in a body.
* comment / has_comment: ``POST`` / ``GET /repos/{owner}/{repo}/issues/{number}/comments``.
* status: ``GET /repos/{owner}/{repo}/issues/{number}``: closed with ``state_reason`` other than
  ``not_planned`` is fixed; the resolution is the newest comment not written by the assistant.

Quotes of customers go into the issue, so the repository must be private: the first create
checks ``GET /repos/{owner}/{repo}`` and refuses a public one unless ``allow_public``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.integrations.http import JsonHttp
from assistant.errors import ConfigurationError
from assistant.integrations.tickets import ExternalTicket, TicketDraft, TicketStatus

NAME = "github"
MARKER_PREFIX = "support-assistant-"
PAGE = 100
MAX_PAGES = 10
RESOLUTION_CHARS = 500


def hidden(marker: str) -> str:
    return f"<!-- {marker} -->"


class GitHubIssues:
    """Issues of one repository (``owner/name``)."""

    name = NAME

    def __init__(self, http: JsonHttp, repo: str, *, allow_public: bool = False) -> None:
        self.http = http
        self.repo = repo
        self._allow_public = allow_public
        self._checked = False

    async def check(self) -> str:
        """The repository's visibility (raises for a public one unless allowed)."""
        data = await self.http.get(f"/repos/{self.repo}")
        private = bool(data.get("private")) if isinstance(data, dict) else False
        if not private and not self._allow_public:
            raise ConfigurationError(
                f"GitHub repository {self.repo} is public: bug tickets quote customers, so they are "
                "filed only in a private repository (set ASSISTANT_GITHUB_ALLOW_PUBLIC=1 to override)."
            )
        self._checked = True
        return "private" if private else "public (allowed)"

    async def create(self, draft: TicketDraft) -> ExternalTicket:
        if not self._checked:
            await self.check()
        body = {
            "title": draft.title,
            "body": f"{draft.body}\n\n{hidden(draft.marker)}",
            "labels": list(draft.labels),
        }
        return self._ticket(await self.http.post(f"/repos/{self.repo}/issues", body))

    async def find(self, marker: str) -> ExternalTicket | None:
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": PAGE}
        issues = await self.http.get(f"/repos/{self.repo}/issues", params=params)
        for issue in issues or []:
            if hidden(marker) in (issue.get("body") or ""):
                return self._ticket(issue)
        return None

    async def comment(self, ticket: ExternalTicket, body: str, marker: str) -> None:
        path = f"/repos/{self.repo}/issues/{ticket.external_id}/comments"
        await self.http.post(path, {"body": f"{body}\n\n{hidden(marker)}"})

    async def has_comment(self, ticket: ExternalTicket, marker: str) -> bool:
        return any(hidden(marker) in (c.get("body") or "") for c in await self._comments(ticket))

    async def status(self, ticket: ExternalTicket) -> TicketStatus:
        issue = await self.http.get(f"/repos/{self.repo}/issues/{ticket.external_id}")
        if issue.get("state") != "closed":
            return TicketStatus(closed=False)
        fixed = issue.get("state_reason") != "not_planned"
        resolution = ""
        if fixed:
            theirs = [c for c in await self._comments(ticket) if MARKER_PREFIX not in (c.get("body") or "")]
            resolution = (theirs[-1].get("body") or "").strip()[:RESOLUTION_CHARS] if theirs else ""
        closed_at = issue.get("closed_at")
        return TicketStatus(
            closed=True,
            fixed=fixed,
            resolution=resolution,
            closed_at=datetime.fromisoformat(closed_at.replace("Z", "+00:00")) if closed_at else None,
        )

    async def _comments(self, ticket: ExternalTicket) -> list[dict[str, Any]]:
        comments: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            batch = await self.http.get(
                f"/repos/{self.repo}/issues/{ticket.external_id}/comments",
                params={"per_page": PAGE, "page": page},
            )
            comments.extend(batch or [])
            if len(batch or []) < PAGE:
                break
        return comments

    def _ticket(self, issue: dict[str, Any]) -> ExternalTicket:
        number = str(issue["number"])
        return ExternalTicket(NAME, number, f"#{number}", str(issue["html_url"]))
