"""The console's pages over real HTTP on loopback: sign-in, the sandbox's teach-and-ask-again loop
through the real service, Undo, scoping to one account, charts and a replay run."""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import aiohttp

from assistant.models import Signal, utcnow
from tests.adapters.console.conftest import ACME_TOKEN, Console
from tests.assistant.replay.test_harness import write_replay

CRYPTO_Q = "Can we pay our suppliers in crypto?"
CRYPTO_A = "No: Lumen Ledger handles accounts receivable only, so it cannot pay suppliers or use crypto."
CRYPTO_AGAIN = "Is it possible to send crypto payments to our suppliers?"


def answer_ids(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'data-answer="(ans_[0-9a-f]+)"', page)))


async def test_wrong_token_is_refused_and_pages_need_a_login(console: Console) -> None:
    client = await console.client(token=None)
    try:
        refused = await client.post("/console/login", data={"token": "not-the-token"}, allow_redirects=False)
        assert refused.status == 401
        assert "That token is not valid." in await refused.text()
        page = await client.get("/console/learning", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/console/login"
        api = await client.get("/console/learning", headers={"Accept": "application/json"})
        assert api.status == 401
        bearer = await client.get("/console/learning", headers={"Authorization": "Bearer all-accounts-token"})
        assert bearer.status == 200
    finally:
        await client.close()


async def test_cross_site_forms_are_refused(console: Console) -> None:
    client = await console.client()
    try:
        response = await client.post(
            "/console/sandbox/ask",
            data={"account": "acme", "text": "hello"},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status == 403
    finally:
        await client.close()


async def test_a_handoff_resolved_in_the_sandbox_is_the_answer_next_time(console: Console) -> None:
    client = await console.client()
    try:
        asked = await client.post("/console/sandbox/ask", data={"account": "acme", "text": CRYPTO_Q})
        page = await asked.text()
        assert asked.status == 200 and CRYPTO_Q in page
        assert "hand-off" in page and "Draft (not sent)" in page
        (answer_id,) = answer_ids(page)

        taken = await client.post(f"/console/sandbox/{answer_id}/take")
        assert "took the hand-off" in await taken.text()
        sent = await client.post(
            f"/console/sandbox/{answer_id}/correct", data={"text": CRYPTO_A, "scope": "everyone"}
        )
        assert CRYPTO_A in await sent.text()

        again = await client.post("/console/sandbox/ask", data={"account": "globex", "text": CRYPTO_AGAIN})
        page = await again.text()
        newest = console.deps.sandbox.exchanges()[-1]
        assert newest.account == "globex" and not newest.answer.handed_off
        assert "accounts receivable only" in newest.answer.text
        assert "accounts receivable only" in page and "learned" in page
    finally:
        await client.close()


async def test_approve_and_reject_are_learned_and_undo_takes_them_back(console: Console) -> None:
    client = await console.client()
    try:
        asked = await client.post(
            "/console/sandbox/ask", data={"account": "acme", "text": "How do I set up a recurring invoice?"}
        )
        (answer_id,) = answer_ids(await asked.text())
        approved = await client.post(f"/console/sandbox/{answer_id}/approve")
        assert approved.status == 200
        learning = await (await client.get("/console/learning")).text()
        (event_id,) = re.findall(r'data-event="(evt_[0-9a-f]+)"', learning)
        assert "approve" in learning and "console-agent" in learning and "Undo" in learning

        undone = await client.post(f"/console/learning/{event_id}/undo")
        page = await undone.text()
        assert "Undone" in page
        (event,) = await console.assistant.learned(include_undone=True)
        assert event.id == event_id and event.undone_at is not None
        assert f'/learning/{event_id}/undo"' not in page

        knowledge = await (
            await client.get("/console/knowledge", params={"q": "recurring", "all": "1"})
        ).text()
        assert "recurring" in knowledge.lower()
    finally:
        await client.close()


async def test_a_viewer_scoped_to_one_account_never_sees_another(console: Console) -> None:
    admin = await console.client()
    acme = await console.client(ACME_TOKEN)
    try:
        asked = await admin.post(
            "/console/sandbox/ask", data={"account": "globex", "text": "What are our custom payment terms?"}
        )
        (globex_answer,) = answer_ids(await asked.text())
        await admin.post(
            f"/console/sandbox/{globex_answer}/correct",
            data={"text": "Globex pays Net 60, agreed in the 2025 contract.", "scope": "account"},
        )
        event = (await console.assistant.learned())[0]
        assert event.account == "globex"

        for path in ("/console/sandbox", "/console/learning", "/console/knowledge?q=Net"):
            page = await (await acme.get(path)).text()
            assert "Net 60" not in page and "globex" not in page.lower(), path
        refused_ask = await acme.post("/console/sandbox/ask", data={"account": "globex", "text": "hi there"})
        assert "only ask as your own account" in await refused_ask.text()
        refused_undo = await acme.post(f"/console/learning/{event.id}/undo")
        assert "belongs to another account" in await refused_undo.text()
        refused_act = await acme.post(f"/console/sandbox/{globex_answer}/approve")
        assert "belongs to another account" in await refused_act.text()
        assert (await acme.get("/console/replay/x/progress")).status == 403
        assert (await console.assistant.learned())[0].undone_at is None
    finally:
        await admin.close()
        await acme.close()


async def test_private_teaching_stays_with_its_account(console: Console) -> None:
    client = await console.client()
    try:
        question = "What payment terms did we agree for our invoices?"
        taught = await client.post(
            "/console/sandbox/teach",
            data={"account": "acme", "question": question, "answer": "Acme pays Net 45.", "private": "on"},
        )
        assert taught.status == 200
        (event,) = await console.assistant.learned()
        assert event.signal.value == "teach" and event.account == "acme"
        asked = await client.post("/console/sandbox/ask", data={"account": "globex", "text": question})
        assert asked.status == 200
        assert "Net 45" not in console.deps.sandbox.exchanges()[-1].answer.text
        again = await client.post("/console/sandbox/ask", data={"account": "acme", "text": question})
        assert again.status == 200
        assert "Net 45" in console.deps.sandbox.exchanges()[-1].answer.text
    finally:
        await client.close()


async def test_charts_draw_the_learning_curve_and_say_what_is_not_available(console: Console) -> None:
    client = await console.client()
    try:
        empty = await (await client.get("/console/charts")).text()
        assert "the curves appear after the first answers" in empty
        await client.post("/console/sandbox/ask", data={"account": "acme", "text": "How do refunds work?"})
        page = await (await client.get("/console/charts")).text()
        assert page.count("<svg") >= 2 and "Learning curve" in page
        assert 'id="insights-unavailable"' in page or 'id="topics"' in page

        acme = await console.client(ACME_TOKEN)
        scoped = await (await acme.get("/console/charts")).text()
        assert "Insights span every account" in scoped
        await acme.close()
    finally:
        await client.close()


async def test_a_replay_runs_both_arms_in_the_background(console: Console, tmp_path: Path) -> None:
    write_replay(tmp_path / "replays" / "mini", repeats=3)
    client = await console.client()
    try:
        page = await (await client.get("/console/replay")).text()
        assert '<option value="mini">' in page
        started = await client.post(
            "/console/replay", data={"set": "mini", "limit": "20"}, allow_redirects=False
        )
        assert started.status == 303
        job_url = started.headers["Location"]
        for _ in range(600):
            progress = await (await client.get(f"{job_url}/progress")).json()
            if progress["status"] != "running":
                break
            await asyncio.sleep(0.1)
        assert progress["status"] == "done", progress
        assert [s["questions"] for s in progress["summary"]] == [20, 20]
        chart = await client.get(f"{job_url}/chart.svg")
        assert chart.content_type == "image/svg+xml" and "<svg" in await chart.text()
        done = await (await client.get(job_url)).text()
        assert "learning" in done and "static" in done

        refused = await client.post("/console/replay", data={"set": "../etc"})
        assert "Pick one of the listed replay sets." in await refused.text()
    finally:
        await client.close()


async def test_an_uploaded_replay_runs_and_its_files_are_removed(console: Console, tmp_path: Path) -> None:
    folder = write_replay(tmp_path / "upload", repeats=1)
    form = aiohttp.FormData()
    for name in ("kb.jsonl", "stream.jsonl"):
        form.add_field(name, (folder / name).read_bytes(), filename=name, content_type="application/jsonl")
    form.add_field("limit", "6")
    client = await console.client()
    try:
        started = await client.post("/console/replay", data=form, allow_redirects=False)
        assert started.status == 303, await started.text()
        job_url = started.headers["Location"]
        for _ in range(600):
            progress = await (await client.get(f"{job_url}/progress")).json()
            if progress["status"] != "running":
                break
            await asyncio.sleep(0.1)
        assert progress["status"] == "done" and progress["dataset"] == "upload", progress
        assert not list(Path(tempfile.gettempdir()).glob("console-upload-*/stream.jsonl"))

        bad = aiohttp.FormData()
        bad.add_field("evil.sh", b"#!/bin/sh", filename="evil.sh")
        refused = await client.post("/console/replay", data=bad)
        assert "Upload kb.jsonl, stream.jsonl" in await refused.text()
    finally:
        await client.close()


async def test_a_token_scoped_to_one_account_teaches_and_corrects_privately_only(console: Console) -> None:
    """Issue 14: Teach with "private" unticked, or Correct/Send with scope everyone, from a token
    scoped to acme, stays private to acme; globex is never given it."""
    acme = await console.client(ACME_TOKEN)
    everyone = await console.client()
    try:
        question = "What payment terms did we agree for our invoices?"
        taught = await acme.post(
            "/console/sandbox/teach",
            data={"account": "acme", "question": question, "answer": "Acme pays Net 45."},
        )
        assert taught.status == 200
        (event,) = await console.assistant.learned()
        assert event.account == "acme" and "private to acme" in event.effect
        await everyone.post("/console/sandbox/ask", data={"account": "globex", "text": question})
        assert "Net 45" not in console.deps.sandbox.exchanges()[-1].answer.text

        asked = await acme.post("/console/sandbox/ask", data={"account": "acme", "text": CRYPTO_Q})
        (answer_id,) = answer_ids(await asked.text())
        sent = await acme.post(
            f"/console/sandbox/{answer_id}/correct", data={"text": CRYPTO_A, "scope": "everyone"}
        )
        assert sent.status == 200
        learned = [e for e in await console.assistant.learned() if e.answer_id == answer_id]
        assert learned and all("for everyone" not in e.effect for e in learned)
        await everyone.post("/console/sandbox/ask", data={"account": "globex", "text": CRYPTO_AGAIN})
        assert "accounts receivable only" not in console.deps.sandbox.exchanges()[-1].answer.text
    finally:
        await acme.close()
        await everyone.close()


async def test_the_learning_page_tells_events_apart_and_searches_their_text(console: Console) -> None:
    """Issue 18.4: every row shows the question, the answer learned, for whom and what it replaced;
    search reaches those texts ("crypto" finds the event that taught the crypto answer)."""
    client = await console.client()
    try:
        asked = await client.post("/console/sandbox/ask", data={"account": "acme", "text": CRYPTO_Q})
        (answer_id,) = answer_ids(await asked.text())
        await client.post(f"/console/sandbox/{answer_id}/take")
        await client.post(
            f"/console/sandbox/{answer_id}/correct", data={"text": CRYPTO_A, "scope": "account"}
        )
        await client.post(
            "/console/sandbox/ask", data={"account": "globex", "text": "How do I set up a recurring invoice?"}
        )
        approved_id = console.deps.sandbox.exchanges()[-1].answer.id
        await client.post(f"/console/sandbox/{approved_id}/approve")

        page = await (await client.get("/console/learning")).text()
        assert CRYPTO_Q in page and "accounts receivable only" in page
        assert "recurring invoice" in page.lower()  # the approval's question and the passage it approved

        found = await (await client.get("/console/learning", params={"q": "crypto"})).text()
        assert len(re.findall(r'data-event="(evt_[0-9a-f]+)"', found)) == 1
        assert "accounts receivable only" in found
        assert "recurring invoice" not in found.lower()
        nothing = await (await client.get("/console/learning", params={"q": "no-such-words"})).text()
        assert "Nothing matches." in nothing
    finally:
        await client.close()


async def test_sandbox_answers_render_markdown_safely(console: Console) -> None:
    """Issue 18.5: a Markdown answer is shown rendered (bold, links, tables), raw HTML as text."""
    from assistant.models import Role

    await console.assistant.teach(
        "How do refunds work?",
        "Refunds go back to the **original card**; see [the guide](https://docs.example.com/refunds).\n\n"
        "| Plan | Window |\n|---|---|\n| Pro | 30 days |\n\n<script>alert(1)</script>",
        actor="docs",
        role=Role.AGENT,
    )
    client = await console.client()
    try:
        question = {"account": "acme", "text": "How do refunds work?"}
        asked = await client.post("/console/sandbox/ask", data=question)
        page = await asked.text()
        assert "<strong>original card</strong>" in page and "**" not in page
        assert '<a href="https://docs.example.com/refunds">the guide</a>' in page
        assert "<td>Pro</td>" in page
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    finally:
        await client.close()


async def test_spot_checks_are_judged_once_and_only_by_their_accounts(console: Console) -> None:
    """A silent answer drawn for a spot check waits on its page until an agent says Right or Wrong
    (Wrong with the right answer corrects it); the verdict is read as a spot check's, a second
    click finds nothing waiting, and a viewer of another account never sees or judges it."""
    admin = await console.client()
    acme = await console.client(ACME_TOKEN)
    try:
        question = "How do I set up a recurring invoice?"
        ids = []
        for account in ("acme", "acme", "globex"):
            await admin.post("/console/sandbox/ask", data={"account": account, "text": question})
            newest = console.deps.sandbox.exchanges()[-1]
            assert newest.account == account and not newest.answer.handed_off
            ids.append(newest.answer.id)
        assert await console.assistant.teacher.accept_silent_answers(before=utcnow() + timedelta(days=2)) == 3
        await console.assistant.store.mark_spot_checks(ids)

        page = await (await admin.get("/console/spot-checks")).text()
        assert set(answer_ids(page)) == set(ids) and question in page
        assert set(answer_ids(await (await acme.get("/console/spot-checks")).text())) == set(ids[:2])
        refused = await acme.post(f"/console/spot-checks/{ids[2]}", data={"verdict": "right"})
        assert "belongs to another account" in await refused.text()
        unsaid = await acme.post(f"/console/spot-checks/{ids[0]}", data={"verdict": ""})
        assert "right or wrong" in await unsaid.text()

        right = await acme.post(f"/console/spot-checks/{ids[0]}", data={"verdict": "right"})
        assert "recorded as right" in await right.text()
        fixed = "Billing → Recurring → New schedule, then pick the customer."
        wrong = await acme.post(f"/console/spot-checks/{ids[1]}", data={"verdict": "wrong", "text": fixed})
        assert "recorded as wrong" in await wrong.text()
        again = await acme.post(f"/console/spot-checks/{ids[1]}", data={"verdict": "right"})
        assert "not waiting for a spot check" in await again.text()

        assert set(answer_ids(await (await admin.get("/console/spot-checks")).text())) == {ids[2]}
        signals = [event.signal for event in await console.assistant.learned()]
        assert sorted(signals) == [Signal.APPROVE, Signal.CORRECT]
        checked = [o for o in await console.assistant.store.labelled_outcomes(10) if o.spot_checked]
        assert sorted(o.correct for o in checked) == [False, True]
    finally:
        await admin.close()
        await acme.close()
