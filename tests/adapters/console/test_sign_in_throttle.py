"""Guessing console tokens is throttled per client (issue 15, item 6): the real console app
accepted ~950 wrong tokens a second. After ``SIGN_IN_FAILURES_PER_MINUTE`` wrong tokens (form or
Bearer header) a client gets 429 with ``Retry-After``, the right token included, until its
bucket refills; other clients are not affected."""

from __future__ import annotations

from adapters.console.auth import SIGN_IN_FAILURES_PER_MINUTE, Sessions
from adapters.console.settings import load_console_settings
from tests.adapters.console.conftest import ALL_TOKEN, Console

JSON = {"Accept": "application/json"}


async def test_wrong_tokens_are_throttled_then_even_the_right_one_waits(console: Console) -> None:
    client = await console.client(token=None)
    try:
        statuses = []
        for n in range(SIGN_IN_FAILURES_PER_MINUTE + 3):
            response = await client.post(
                "/console/login", data={"token": f"guess-{n}"}, allow_redirects=False
            )
            statuses.append(response.status)
        assert statuses == [401] * SIGN_IN_FAILURES_PER_MINUTE + [429] * 3
        assert int(response.headers["Retry-After"]) >= 1
        assert "Content-Security-Policy" in response.headers
        right = await client.post("/console/login", data={"token": ALL_TOKEN}, allow_redirects=False)
        assert right.status == 429  # no oracle while throttled
        bearer = await client.get("/console/learning", headers={"Authorization": f"Bearer {ALL_TOKEN}"})
        assert bearer.status == 429
    finally:
        await client.close()


async def test_bearer_guesses_count_too(console: Console) -> None:
    client = await console.client(token=None)
    try:
        statuses = [
            (
                await client.get("/console/learning", headers={"Authorization": f"Bearer guess-{n}", **JSON})
            ).status
            for n in range(SIGN_IN_FAILURES_PER_MINUTE + 1)
        ]
    finally:
        await client.close()
    assert statuses == [401] * SIGN_IN_FAILURES_PER_MINUTE + [429]


def test_the_throttle_is_per_client_and_refills() -> None:
    now = [0.0]
    sessions = Sessions(load_console_settings(tokens=f"{ALL_TOKEN}:*"), clock=lambda: now[0])
    for _ in range(SIGN_IN_FAILURES_PER_MINUTE):
        assert sessions.throttled("10.0.0.1") == 0
        assert sessions.attempt("10.0.0.1", "wrong") is None
    assert sessions.throttled("10.0.0.1") == 60 // SIGN_IN_FAILURES_PER_MINUTE
    assert sessions.throttled("10.0.0.2") == 0  # another client
    assert sessions.attempt("10.0.0.2", ALL_TOKEN) is not None
    now[0] += 60 / SIGN_IN_FAILURES_PER_MINUTE  # one try back
    assert sessions.throttled("10.0.0.1") == 0
    assert sessions.attempt("10.0.0.1", ALL_TOKEN) is not None  # the right token does not use a try
    assert sessions.throttled("10.0.0.1") == 0
