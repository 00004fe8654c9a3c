"""Jira Cloud as an ``IssueTracker`` (REST API v3, basic auth with an e-mail and an API token).

* create: ``POST /rest/api/3/issue`` (project key, summary, issue type by name, description in
  Atlassian Document Format, labels); the bug's marker is one of the labels.
* find (after a lost reply): ``GET /rest/api/3/search/jql`` with ``labels = "<marker>"``.
* comment: ``POST /rest/api/3/issue/{key}/comment`` with the marker as a comment property
  (invisible in Jira); has_comment reads ``GET …/comment?expand=properties``.
* status: ``GET /rest/api/3/issue/{key}?fields=status,resolution``: closed when the status is in
  the "done" category; fixed unless the resolution says otherwise (Won't Do, Duplicate, …); the
  resolution text is the resolution's name and the newest comment not written by the assistant.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from adapters.integrations.http import JsonHttp
from assistant.integrations.tickets import ExternalTicket, TicketDraft, TicketStatus

NAME = "jira"
PROPERTY = "support-assistant"
NOT_FIXED = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "incomplete"})
SUMMARY_CHARS = 255
RESOLUTION_CHARS = 500


def basic_auth(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()


def adf(text: str) -> dict[str, Any]:
    """Plain text (paragraphs split on blank lines, lines on newlines) as an ADF document."""
    content = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n")]
        nodes: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if index:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        if nodes:
            content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def adf_text(node: Any) -> str:
    """The text of an ADF document (paragraphs on their own lines)."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    inner = "".join(adf_text(child) for child in node.get("content") or [])
    return inner + "\n" if node.get("type") in ("paragraph", "heading") else inner


class JiraIssues:
    """Issues of one Jira project."""

    name = NAME

    def __init__(self, http: JsonHttp, *, site: str, project: str, issue_type: str = "Bug") -> None:
        self.http = http
        self.site = site.rstrip("/")
        self.project = project
        self.issue_type = issue_type

    async def check(self) -> str:
        data = await self.http.get(f"/rest/api/3/project/{self.project}")
        return f"project {data.get('key', self.project)} ({data.get('name', '')})"

    async def create(self, draft: TicketDraft) -> ExternalTicket:
        fields = {
            "project": {"key": self.project},
            "summary": draft.title[:SUMMARY_CHARS],
            "issuetype": {"name": self.issue_type},
            "description": adf(draft.body),
            "labels": [*draft.labels, draft.marker],
        }
        created = await self.http.post("/rest/api/3/issue", {"fields": fields})
        return self._ticket(created)

    async def find(self, marker: str) -> ExternalTicket | None:
        jql = f'project = "{self.project}" AND labels = "{marker}"'
        found = await self.http.get(
            "/rest/api/3/search/jql", params={"jql": jql, "fields": "summary", "maxResults": 1}
        )
        issues = (found or {}).get("issues") or []
        return self._ticket(issues[0]) if issues else None

    async def comment(self, ticket: ExternalTicket, body: str, marker: str) -> None:
        payload = {"body": adf(body), "properties": [{"key": PROPERTY, "value": {"marker": marker}}]}
        await self.http.post(f"/rest/api/3/issue/{ticket.key}/comment", payload)

    async def has_comment(self, ticket: ExternalTicket, marker: str) -> bool:
        return any(_marker_of(c) == marker for c in await self._comments(ticket))

    async def status(self, ticket: ExternalTicket) -> TicketStatus:
        issue = await self.http.get(f"/rest/api/3/issue/{ticket.key}", params={"fields": "status,resolution"})
        fields = issue.get("fields") or {}
        category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        if category != "done":
            return TicketStatus(closed=False)
        resolution = (fields.get("resolution") or {}).get("name") or ""
        fixed = resolution.lower() not in NOT_FIXED
        text = ""
        if fixed:
            theirs = [c for c in await self._comments(ticket) if _marker_of(c) is None]
            text = adf_text(theirs[-1].get("body")).strip()[:RESOLUTION_CHARS] if theirs else ""
        return TicketStatus(closed=True, fixed=fixed, resolution=text or (resolution if fixed else ""))

    async def _comments(self, ticket: ExternalTicket) -> list[dict[str, Any]]:
        comments: list[dict[str, Any]] = []
        start = 0
        while True:
            page = await self.http.get(
                f"/rest/api/3/issue/{ticket.key}/comment",
                params={"startAt": start, "maxResults": 100, "expand": "properties"},
            )
            batch = (page or {}).get("comments") or []
            comments.extend(batch)
            start += len(batch)
            if not batch or start >= int((page or {}).get("total", 0)):
                return comments

    def _ticket(self, issue: dict[str, Any]) -> ExternalTicket:
        key = str(issue["key"])
        return ExternalTicket(NAME, str(issue["id"]), key, f"{self.site}/browse/{key}")


def _marker_of(comment: dict[str, Any]) -> str | None:
    properties: Iterable[dict[str, Any]] = comment.get("properties") or []
    for prop in properties:
        if prop.get("key") == PROPERTY and isinstance(prop.get("value"), dict):
            return str(prop["value"].get("marker"))
    return None
