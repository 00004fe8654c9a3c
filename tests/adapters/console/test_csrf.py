"""Cross-site requests against the real console app (issue 15, item 2): a state-changing request
counts as cross-site unless its ``Origin`` is the console's own, so a missing or ``null`` Origin
(a 307 redirect from another origin, a sandboxed frame) is refused, and so is any
``Sec-Fetch-Site`` other than ``same-origin``."""

from __future__ import annotations

import pytest

from tests.adapters.console.conftest import ALL_TOKEN, Console

ASK = {"account": "acme", "text": "How do I export invoices?"}


async def test_the_consoles_own_pages_may_post(console: Console) -> None:
    client = await console.client()
    try:
        asked = await client.post("/console/sandbox/ask", data=ASK, headers={"Sec-Fetch-Site": "same-origin"})
        assert asked.status == 200
    finally:
        await client.close()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "NULL"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://127.0.0.1.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["null", "null-upper", "other-origin", "look-alike-host", "fetch-cross-site", "fetch-same-site"],
)
async def test_a_cross_site_post_is_refused(console: Console, headers: dict[str, str]) -> None:
    client = await console.client(token=None, origin=None)
    try:
        signed_in = await client.post(
            "/console/login",
            data={"token": ALL_TOKEN},
            headers={"Origin": console.origin},
            allow_redirects=False,
        )
        assert signed_in.status == 303
        sent = {"Origin": console.origin, **headers}
        refused = await client.post("/console/sandbox/ask", data=ASK, headers=sent)
        assert refused.status == 403
        assert "Cross-site request refused." in await refused.text()
    finally:
        await client.close()


async def test_a_post_without_origin_is_refused(console: Console) -> None:
    client = await console.client(token=None, origin=None)
    try:
        login = await client.post("/console/login", data={"token": ALL_TOKEN}, allow_redirects=False)
        assert login.status == 403  # no sign-in forged from elsewhere either
        await client.post(
            "/console/login",
            data={"token": ALL_TOKEN},
            headers={"Origin": console.origin},
            allow_redirects=False,
        )
        refused = await client.post("/console/sandbox/ask", data=ASK)
        assert refused.status == 403
        page = await client.get("/console/sandbox")  # reading stays possible
        assert page.status == 200
    finally:
        await client.close()
