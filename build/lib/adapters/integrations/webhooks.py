"""Webhook endpoints that close the loop at once: ``POST /integrations/github`` and ``/integrations/jira``.

Each is mounted only when its secret is set (``GITHUB_WEBHOOK_SECRET``, ``JIRA_WEBHOOK_SECRET``)
and verifies the HMAC-SHA256 of the raw body before reading it: GitHub's
``X-Hub-Signature-256: sha256=<hex>``, Jira admin webhooks' ``X-Hub-Signature: sha256=<hex>``.
A bad or missing signature is a 401 and nothing else happens. A verified event only names a
ticket: its state is then read from the tracker's API (``BugTicketSync.ticket_changed``, the
same code as the poll), so a forged or replayed body could at most trigger a read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from adapters.integrations.runner import IntegrationRuntime
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

GITHUB_PATH = "/integrations/github"
JIRA_PATH = "/integrations/jira"


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC-SHA256 of ``body`` with ``secret``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def add_webhook_routes(app: web.Application, runtime: IntegrationRuntime) -> list[str]:
    """Mount the endpoints whose secret is configured; returns their paths."""
    settings = runtime.settings
    paths = []
    if settings.github and settings.github_webhook_secret is not None:
        app.router.add_post(GITHUB_PATH, _github(runtime, settings.github_webhook_secret.get_secret_value()))
        paths.append(GITHUB_PATH)
    if settings.jira and settings.jira_webhook_secret is not None:
        app.router.add_post(JIRA_PATH, _jira(runtime, settings.jira_webhook_secret.get_secret_value()))
        paths.append(JIRA_PATH)
    return paths


def _github(runtime: IntegrationRuntime, secret: str) -> Any:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(secret, body, request.headers.get("X-Hub-Signature-256")):
            return web.json_response({"ok": False, "error": "bad signature"}, status=401)
        payload = _json(body)
        if payload is None:
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        event = request.headers.get("X-GitHub-Event", "")
        repo = (payload.get("repository") or {}).get("full_name")
        issue = payload.get("issue") or {}
        if event != "issues" or repo != runtime.settings.assistant_github_repo or "number" not in issue:
            return web.json_response({"ok": True, "ignored": True}, status=202)
        return await _changed(runtime, "github", str(issue["number"]))

    return handle


def _jira(runtime: IntegrationRuntime, secret: str) -> Any:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(secret, body, request.headers.get("X-Hub-Signature")):
            return web.json_response({"ok": False, "error": "bad signature"}, status=401)
        payload = _json(body)
        if payload is None:
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        key = (payload.get("issue") or {}).get("key")
        if not str(payload.get("webhookEvent", "")).startswith("jira:issue") or not key:
            return web.json_response({"ok": True, "ignored": True}, status=202)
        return await _changed(runtime, "jira", str(key))

    return handle


async def _changed(runtime: IntegrationRuntime, tracker: str, key: str) -> web.Response:
    try:
        report = await runtime.sync.ticket_changed(tracker, key)
    except AssistantError as exc:  # the tracker or the store is down: the poll will catch up
        log.warning("%s webhook for %s: %s", tracker, key, exc.message)
        return web.json_response({"ok": True, "deferred": True}, status=202)
    return web.json_response({"ok": True, "closed": len(report.closed)}, status=202)


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
