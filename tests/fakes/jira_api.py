"""A fake of Jira Cloud's REST API v3 (issues, comments, JQL search) on loopback.

Shapes from the v3 reference: ``POST /rest/api/3/issue`` takes ``{"fields": {project, summary,
issuetype, description (ADF), labels}}`` and answers 201 ``{"id", "key", "self"}``; a bad field is
400 ``{"errorMessages": [], "errors": {"field": "…"}}``; ``GET /rest/api/3/search/jql`` answers
``{"issues": [...], "isLast": true}``; comments are ``{"startAt", "maxResults", "total",
"comments"}`` with ``properties`` only when ``expand=properties``; an issue's ``fields.status``
has a ``statusCategory.key`` (``new``, ``indeterminate``, ``done``) and ``fields.resolution`` is
null or ``{"name": "Done"}``. Basic auth (e-mail and API token) or 401.

``resolve(key, resolution, comment)`` plays an engineer moving the issue to Done.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.http_service import FakeHttpService

ISSUE_TYPES = ("Bug", "Task", "Story")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _is_adf(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "doc" and doc.get("version") == 1


class FakeJira(FakeHttpService):
    def __init__(
        self, *, email: str = "bot@acme.test", token: str = "jira-token", project: str = "SUP"
    ) -> None:
        super().__init__()
        self.email = email
        self.token = token
        self.project = project
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self._ids = 10000

    def authorized(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return request.headers.get("Authorization") == expected

    def unauthorized(self) -> web.Response:
        return web.json_response(
            {
                "errorMessages": [
                    "You are not authenticated. Authentication required to perform this operation."
                ],
                "errors": {},
            },
            status=401,
        )

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/rest/api/3/project/{key}", self._project)
        app.router.add_post("/rest/api/3/issue", self._create)
        app.router.add_get("/rest/api/3/search/jql", self._search)
        app.router.add_get("/rest/api/3/issue/{key}", self._get)
        app.router.add_post("/rest/api/3/issue/{key}/comment", self._comment)
        app.router.add_get("/rest/api/3/issue/{key}/comment", self._comments)

    def resolve(self, key: str, resolution: str = "Done", comment: str | None = None) -> None:
        if comment:
            doc = {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": comment}]}],
            }
            self._add_comment(key, doc, [], author="Engineer")
        fields = self.issues[key]["fields"]
        fields["status"] = {"name": "Done", "statusCategory": {"id": 3, "key": "done", "name": "Done"}}
        fields["resolution"] = {"name": resolution}

    @staticmethod
    def _error(
        status: int, *, messages: list[str] | None = None, errors: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response({"errorMessages": messages or [], "errors": errors or {}}, status=status)

    async def _project(self, request: web.Request) -> web.Response:
        if request.match_info["key"] != self.project:
            return self._error(
                404, messages=[f"No project could be found with key '{request.match_info['key']}'."]
            )
        return web.json_response({"id": "10000", "key": self.project, "name": "Support"})

    async def _create(self, request: web.Request) -> web.Response:
        data = await request.json()
        fields = data.get("fields") if isinstance(data, dict) else None
        if not isinstance(fields, dict):
            return self._error(400, messages=["No fields were given."])
        errors = {}
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary") or len(fields["summary"]) > 255:
            errors["summary"] = "You must specify a summary of the issue."
        if "description" in fields and not _is_adf(fields["description"]):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        if errors:
            return self._error(400, errors=errors)
        self._ids += 1
        key = f"{self.project}-{len(self.issues) + 1}"
        issue = {
            "id": str(self._ids),
            "key": key,
            "self": f"{self.base_url}/rest/api/3/issue/{self._ids}",
            "fields": {
                "summary": fields["summary"],
                "description": fields.get("description"),
                "labels": list(fields.get("labels") or []),
                "issuetype": {"name": fields["issuetype"]["name"]},
                "status": {"name": "To Do", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
                "resolution": None,
                "created": _now(),
            },
        }
        self.issues[key] = issue
        self.comments[key] = []
        return web.json_response({"id": issue["id"], "key": key, "self": issue["self"]}, status=201)

    async def _search(self, request: web.Request) -> web.Response:
        jql = request.query.get("jql", "")
        project = re.search(r'project\s*=\s*"?([A-Z0-9]+)"?', jql)
        label = re.search(r'labels\s*=\s*"([^"]+)"', jql)
        if project is None:
            return self._error(400, messages=["Unbounded JQL queries are not allowed here."])
        found = [
            i
            for i in self.issues.values()
            if i["key"].startswith(project.group(1) + "-")
            and (label is None or label.group(1) in i["fields"]["labels"])
        ]
        limit = int(request.query.get("maxResults", 50))
        issues = [
            {"id": i["id"], "key": i["key"], "self": i["self"], "fields": {"summary": i["fields"]["summary"]}}
            for i in found[:limit]
        ]
        return web.json_response({"issues": issues, "isLast": len(found) <= limit})

    async def _get(self, request: web.Request) -> web.Response:
        issue = self.issues.get(request.match_info["key"])
        if issue is None:
            return self._error(
                404, messages=["Issue does not exist or you do not have permission to see it."]
            )
        wanted = request.query.get("fields")
        fields = (
            issue["fields"]
            if not wanted
            else {k: v for k, v in issue["fields"].items() if k in wanted.split(",")}
        )
        return web.json_response(
            {"id": issue["id"], "key": issue["key"], "self": issue["self"], "fields": fields}
        )

    async def _comment(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key not in self.issues:
            return self._error(
                404, messages=["Issue does not exist or you do not have permission to see it."]
            )
        data = await request.json()
        if not isinstance(data, dict) or not _is_adf(data.get("body")):
            return self._error(400, errors={"comment": "Comment body can not be empty!"})
        comment = self._add_comment(
            key, data["body"], list(data.get("properties") or []), author="Support bot"
        )
        return web.json_response({k: v for k, v in comment.items() if k != "properties"}, status=201)

    async def _comments(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key not in self.issues:
            return self._error(
                404, messages=["Issue does not exist or you do not have permission to see it."]
            )
        start = int(request.query.get("startAt", 0))
        limit = int(request.query.get("maxResults", 50))
        expand = "properties" in request.query.get("expand", "").split(",")
        every = self.comments[key]
        page = [
            c if expand else {k: v for k, v in c.items() if k != "properties"}
            for c in every[start : start + limit]
        ]
        return web.json_response(
            {"startAt": start, "maxResults": limit, "total": len(every), "comments": page}
        )

    def _add_comment(
        self, key: str, body: dict[str, Any], properties: list[Any], *, author: str
    ) -> dict[str, Any]:
        self._ids += 1
        comment = {
            "id": str(self._ids),
            "self": f"{self.base_url}/rest/api/3/issue/{self.issues[key]['id']}/comment/{self._ids}",
            "author": {"displayName": author},
            "body": body,
            "created": _now(),
            "properties": properties,
        }
        self.comments[key].append(comment)
        return comment
