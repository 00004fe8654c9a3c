"""The console on loopback (port 0): a real SQLite store with the Lumen Ledger sample, the real
embedder, and two sign-in tokens, one seeing every account and one scoped to ``acme``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.console.deps import DEPS, ConsoleDeps
from adapters.console.server import console_server_app
from adapters.console.settings import load_console_settings
from adapters.storage.sql.conversations import SqlConversationStore
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import parse_ticket_file
from assistant.service import Assistant
from tests.conftest import SAMPLES

ALL_TOKEN = "all-accounts-token"
ACME_TOKEN = "acme-only-token"
TOKENS = f"{ALL_TOKEN}:*,{ACME_TOKEN}:acme"


@dataclass
class Console:
    app: web.Application
    server: TestServer
    assistant: Assistant

    @property
    def url(self) -> str:
        return str(self.server.make_url("/console"))

    @property
    def deps(self) -> ConsoleDeps:
        return self.console_app[DEPS]

    @property
    def console_app(self) -> web.Application:
        for resource in self.app.router.resources():
            sub = getattr(resource, "_app", None)
            if isinstance(sub, web.Application) and DEPS in sub:
                return sub
        raise LookupError("no console sub-app")

    @property
    def origin(self) -> str:
        """What a browser sends as ``Origin`` from a console page."""
        return str(self.server.make_url("")).rstrip("/")

    async def client(
        self, token: str | None = ALL_TOKEN, *, origin: str | None = "console"
    ) -> TestClient[web.Request, web.Application]:
        """A client with its own cookies, signed in with ``token`` (None: not signed in), that
        sends ``Origin`` as a browser on a console page does (``origin=None``: no header)."""
        headers = {"Origin": self.origin if origin == "console" else origin} if origin else {}
        client: TestClient[web.Request, web.Application] = TestClient(self.server, headers=headers)
        await client.start_server()
        if token is not None:
            response = await client.post("/console/login", data={"token": token}, allow_redirects=False)
            assert response.status == 303, await response.text()
        return client


@pytest.fixture
async def loaded(assistant: Assistant) -> Assistant:
    """The assistant with the sample docs and past tickets."""
    await Ingestor(assistant).ingest_paths([SAMPLES / "kb"])
    await Ingestor(assistant).import_tickets(parse_ticket_file(SAMPLES / "tickets.csv"), source="tickets.csv")
    return assistant


@pytest.fixture
async def console(loaded: Assistant, tmp_path: Path) -> AsyncIterator[Console]:
    conversations = SqlConversationStore(loaded.settings.database_url)
    await conversations.initialize()
    settings = load_console_settings(tokens=TOKENS, replay_dir=tmp_path / "replays")
    app = console_server_app(assistant=loaded, conversations=conversations, settings=settings)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield Console(app=app, server=server, assistant=loaded)
    finally:
        await server.close()
        await conversations.close()
