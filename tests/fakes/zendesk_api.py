"""A fake of Zendesk's Support API: the cursor-based incremental ticket export and ticket comments.

Shapes from the API reference: ``GET /api/v2/incremental/tickets/cursor.json`` (``start_time``
or ``cursor``) answers ``{"tickets", "after_url", "after_cursor", "before_url",
"before_cursor", "end_of_stream"}``; ``GET /api/v2/tickets/{id}/comments.json`` answers
``{"comments", "next_page", "previous_page", "count"}`` (comments with ``public``); a bad
credential is 401 ``{"error": "Couldn't authenticate you"}``. API tokens authenticate as
``{email}/token:{token}`` (basic), OAuth tokens as bearer.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from tests.fakes.http_service import FakeHttpService

PAGE = 2
COMMENTS_PAGE = 3


class FakeZendesk(FakeHttpService):
    def __init__(
        self,
        *,
        email: str = "agent@acme.test",
        token: str = "zd-token",
        tickets: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.email = email
        self.token = token
        self.tickets = tickets or []  # each with its "comments", served apart as the API does

    def authorized(self, request: web.Request) -> bool:
        basic = "Basic " + base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return request.headers.get("Authorization") in (basic, f"Bearer {self.token}")

    def unauthorized(self) -> web.Response:
        return web.json_response({"error": "Couldn't authenticate you"}, status=401)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v2/incremental/tickets/cursor.json", self._export)
        app.router.add_get("/api/v2/tickets/{id}/comments.json", self._comments)

    async def _export(self, request: web.Request) -> web.Response:
        if "cursor" in request.query:
            start = int(request.query["cursor"].removeprefix("c"))
        elif "start_time" in request.query:
            start = 0
        else:
            return web.json_response(
                {"error": "InvalidPaginationParameter", "description": "start_time or cursor is required"},
                status=400,
            )
        page = [{k: v for k, v in t.items() if k != "comments"} for t in self.tickets[start : start + PAGE]]
        end = start + PAGE >= len(self.tickets)
        after = f"c{start + PAGE}"
        return web.json_response(
            {
                "tickets": page,
                "after_url": None
                if end
                else f"{self.base_url}/api/v2/incremental/tickets/cursor.json?cursor={after}",
                "after_cursor": None if end else after,
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": end,
            }
        )

    async def _comments(self, request: web.Request) -> web.Response:
        ticket = next((t for t in self.tickets if str(t["id"]) == request.match_info["id"]), None)
        if ticket is None:
            return web.json_response({"error": "RecordNotFound", "description": "Not found"}, status=404)
        page = int(request.query.get("page", 1))
        comments = ticket.get("comments", [])
        chunk = comments[(page - 1) * COMMENTS_PAGE : page * COMMENTS_PAGE]
        more = page * COMMENTS_PAGE < len(comments)
        path = f"{self.base_url}/api/v2/tickets/{ticket['id']}/comments.json"
        return web.json_response(
            {
                "comments": chunk,
                "next_page": f"{path}?page={page + 1}" if more else None,
                "previous_page": f"{path}?page={page - 1}" if page > 1 else None,
                "count": len(comments),
            }
        )
