"""`assistant console` / `make demo`'s server: it listens on port 0, says where, serves the console
and /healthz, and stops when told."""

from __future__ import annotations

import asyncio

import aiohttp

from adapters.console.server import serve_console
from adapters.console.settings import load_console_settings
from assistant.config import Settings
from assistant.service import Assistant


async def test_the_console_server_runs_until_stopped(settings: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    prepared: list[Assistant] = []

    async def prepare(assistant: Assistant) -> None:
        prepared.append(assistant)

    server = asyncio.create_task(
        serve_console(
            settings=settings,
            console_settings=load_console_settings(token="a-long-console-token", open=False),
            host="127.0.0.1",
            port=0,
            ready=ready.set_result,
            stop=stop,
            embedder=embedder,
            prepare=prepare,
        )
    )
    url = await asyncio.wait_for(ready, 60)
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/console/") and prepared
        base = url.removesuffix("/console/")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as health:
                assert health.status == 200 and (await health.json())["ok"] is True
            async with http.get(f"{base}/", allow_redirects=True) as home:
                assert home.status == 200 and str(home.url).endswith("/console/login")
                assert "Access token" in await home.text()
            async with http.get(f"{base}/console/static/console.css") as css:
                assert css.status == 200
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
