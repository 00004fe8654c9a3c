"""A fake of GitHub's REST API (issues and their comments) on loopback, answering as GitHub does.

Shapes from the REST reference (API version 2022-11-28): an issue object has ``id``, ``number``,
``html_url``, ``url``, ``state`` (``open``/``closed``), ``state_reason`` (``completed``,
``not_planned``, ``reopened`` or null), ``title``, ``body``, ``labels`` (objects with ``name``),
``comments``, ``closed_at``; list endpoints return arrays; errors are ``{"message": …,
"documentation_url": …}`` (401 "Bad credentials", 404 "Not Found", 422 "Validation Failed" with
``errors``). A token is accepted as ``Authorization: Bearer`` or ``token``.

``close(number, reason, comment)`` plays an engineer closing the issue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.http_service import FakeHttpService

DOCS = "https://docs.github.com/rest"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub(FakeHttpService):
    def __init__(
        self, *, token: str = "ghp_test_token", repo: str = "acme/product", private: bool = True
    ) -> None:
        super().__init__()
        self.token = token
        self.repo = repo
        self.private = private
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self._ids = 1000

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") in (f"Bearer {self.token}", f"token {self.token}")

    def unauthorized(self) -> web.Response:
        return web.json_response({"message": "Bad credentials", "documentation_url": DOCS}, status=401)

    def routes(self, app: web.Application) -> None:
        base = "/repos/{owner}/{name}"
        app.router.add_get(base, self._repo)
        app.router.add_post(base + "/issues", self._create)
        app.router.add_get(base + "/issues", self._list)
        app.router.add_get(base + "/issues/{number}", self._get)
        app.router.add_post(base + "/issues/{number}/comments", self._comment)
        app.router.add_get(base + "/issues/{number}/comments", self._comments)

    # what engineers do

    def close(self, number: int, reason: str = "completed", comment: str | None = None) -> None:
        if comment:
            self._add_comment(number, comment, login="engineer")
        issue = self.issues[number]
        issue.update(state="closed", state_reason=reason, closed_at=_now(), updated_at=_now())

    # handlers

    def _repo_ok(self, request: web.Request) -> bool:
        return f"{request.match_info['owner']}/{request.match_info['name']}" == self.repo

    @staticmethod
    def _missing() -> web.Response:
        return web.json_response(
            {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, status=404
        )

    async def _repo(self, request: web.Request) -> web.Response:
        if not self._repo_ok(request):
            return self._missing()
        return web.json_response(
            {
                "id": 1,
                "full_name": self.repo,
                "private": self.private,
                "visibility": "private" if self.private else "public",
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        if not self._repo_ok(request):
            return self._missing()
        data = await request.json()
        if not isinstance(data, dict) or not data.get("title"):
            return web.json_response(
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                    "documentation_url": DOCS,
                },
                status=422,
            )
        number = len(self.issues) + 1
        self._ids += 1
        issue = {
            "id": self._ids,
            "node_id": f"I_{self._ids}",
            "url": f"{self.base_url}/repos/{self.repo}/issues/{number}",
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": data["title"],
            "body": data.get("body"),
            "user": {"login": "support-bot", "id": 7},
            "labels": [
                {"id": i, "name": name, "color": "ededed"} for i, name in enumerate(data.get("labels") or [])
            ],
            "comments": 0,
            "created_at": _now(),
            "updated_at": _now(),
            "closed_at": None,
        }
        self.issues[number] = issue
        self.comments[number] = []
        return web.json_response(issue, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        if not self._repo_ok(request):
            return self._missing()
        state = request.query.get("state", "open")
        issues = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        newest_first = request.query.get("direction", "desc") == "desc"
        issues.sort(key=lambda i: i["number"], reverse=newest_first)
        per_page = min(int(request.query.get("per_page", 30)), 100)
        page = int(request.query.get("page", 1))
        return web.json_response(issues[(page - 1) * per_page : page * per_page])

    async def _get(self, request: web.Request) -> web.Response:
        issue = self.issues.get(int(request.match_info["number"]))
        if not self._repo_ok(request) or issue is None:
            return self._missing()
        return web.json_response(issue)

    async def _comment(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if not self._repo_ok(request) or number not in self.issues:
            return self._missing()
        data = await request.json()
        if not isinstance(data, dict) or not data.get("body"):
            return web.json_response({"message": "Validation Failed", "documentation_url": DOCS}, status=422)
        return web.json_response(self._add_comment(number, data["body"], login="support-bot"), status=201)

    async def _comments(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if not self._repo_ok(request) or number not in self.issues:
            return self._missing()
        per_page = min(int(request.query.get("per_page", 30)), 100)
        page = int(request.query.get("page", 1))
        return web.json_response(self.comments[number][(page - 1) * per_page : page * per_page])

    def _add_comment(self, number: int, body: str, *, login: str) -> dict[str, Any]:
        self._ids += 1
        comment = {
            "id": self._ids,
            "html_url": f"https://github.com/{self.repo}/issues/{number}#issuecomment-{self._ids}",
            "body": body,
            "user": {"login": login},
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.comments[number].append(comment)
        self.issues[number]["comments"] = len(self.comments[number])
        return comment
