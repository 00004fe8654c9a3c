"""Zendesk's incremental ticket export and ticket comments, for ``assistant import-tickets --from zendesk``.

* ``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>`` then ``?cursor=<after_cursor>``
  until ``end_of_stream``: every ticket changed since the start time.
* ``GET /api/v2/tickets/{id}/comments.json`` (following ``next_page``) for each solved or closed
  ticket: the comments with their ``public`` flag, which keeps private notes out.

Auth: an API token with the agent's e-mail (``{email}/token:{token}``, basic) or an OAuth access
token (bearer). 429s are waited out (``Retry-After``) by ``JsonHttp``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters.integrations.http import JsonHttp

RESOLVED = frozenset({"solved", "closed"})
MAX_COMMENT_PAGES = 50


def zendesk_auth(token: str, email: str | None) -> str:
    if email:
        return "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
    return f"Bearer {token}"


def zendesk_client(subdomain: str, token: str, *, email: str | None, api_url: str | None = None) -> JsonHttp:
    return JsonHttp(
        name="Zendesk",
        base_url=api_url or f"https://{subdomain}.zendesk.com",
        headers={"Authorization": zendesk_auth(token, email), "Accept": "application/json"},
    )


async def export_tickets(
    http: JsonHttp, *, since: datetime, progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Every ticket changed since ``since``, resolved ones with their ``comments`` attached."""
    tickets: list[dict[str, Any]] = []
    page = await http.get(
        "/api/v2/incremental/tickets/cursor.json", params={"start_time": int(since.timestamp())}
    )
    while True:
        batch = [t for t in page.get("tickets") or [] if isinstance(t, dict)]
        for ticket in batch:
            if ticket.get("status") in RESOLVED:
                ticket = {**ticket, "comments": await _comments(http, ticket["id"])}
            else:
                ticket = {**ticket, "comments": []}
            tickets.append(ticket)
        if progress is not None:
            progress(len(batch))
        if page.get("end_of_stream") or not page.get("after_cursor"):
            return tickets
        page = await http.get(
            "/api/v2/incremental/tickets/cursor.json", params={"cursor": page["after_cursor"]}
        )


async def _comments(http: JsonHttp, ticket_id: Any) -> list[dict[str, Any]]:
    comments: list[dict[str, Any]] = []
    page = await http.get(f"/api/v2/tickets/{ticket_id}/comments.json")
    for _ in range(MAX_COMMENT_PAGES):
        comments.extend(page.get("comments") or [])
        if not page.get("next_page"):
            break
        page = await http.get(str(page["next_page"]))
    return comments
