"""The attacks of the red-team pass (issue 15), seeded and counted; run by ``hostile_inputs.py``.

Each category names what must be 0 (``*_escaped``, ``*_accepted``, ``5xx``, ``lost``) beside the
controls that must keep working (``control_*``), so a fix that refuses everything shows:

* ``model_output``: a hostile model's answers against ``check_output`` (the prompt echoed with
  zero-width or bidi characters inside, fullwidth letters, bare domains, prefixes and look-alikes
  of a source's URL, floods past ``MAX_ANSWER_CHARS``, the canary respaced, paraphrased rules);
* ``console_csrf``: state-changing posts to the real console app with ``Origin: null``, no
  ``Origin``, another origin or ``Sec-Fetch-Site: cross-site``/``same-site``;
* ``source_urls``: documents whose front matter names a ``javascript:``/``data:``/… URL, through
  ingestion, the sandbox page and its Content-Security-Policy;
* ``redaction``: Luhn-valid card numbers with any separator, IBANs in any case, e-mails and
  phones, in taught answers, corrections and imported tickets (what is stored is read back);
* ``nested_json``: bodies nested 65 to 20,000 levels to ``/slack/events`` (JSON and form
  ``payload``) and ``/api/messages``;
* ``slack_error_shapes``: ``conversations.info`` failing as a proxy's HTML or plain-text 502, a
  non-JSON 200 or a JSON 503 while a customer asks in a new Slack Connect channel;
* ``feedback_counters``: concurrent customer rejections of one item (SQLite);
* ``console_sign_in``: a burst of wrong tokens from one client;
* ``cli_learned_json``: ``assistant learned --json`` once events exist.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient, TestServer

from adapters.console.app import CONTENT_SECURITY_POLICY
from adapters.console.server import console_server_app
from adapters.console.settings import load_console_settings
from adapters.llm import prompts
from adapters.storage.sql.conversations import SqlConversationStore
from adapters.wiring import build_assistant
from assistant.answering.output_check import MAX_ANSWER_CHARS, check_output
from assistant.config import default_database_url_for, load_settings
from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.tickets import TicketRecord
from assistant.models import ItemKind, KnowledgeItem, Question, Role, Signal
from assistant.ports import Composition
from assistant.privacy.redaction import luhn_valid
from tests.adapters.slack import harness as slack_kit
from tests.adapters.slack.faulty_slack import FaultySlack
from tests.adapters.slack.load import UNLIMITED
from tests.fakes.slack_requests import message_event

Tally = Callable[[str, str, int], None]

SOURCE = KnowledgeItem(
    id="kn_00000000beef",
    kind=ItemKind.PASSAGE,
    text=(
        "Invoices are under Billing; the guide is https://lumenledger.com/billing and "
        "support@lumenledger.com."
    ),
    resolution_key="doc:billing",
    source="billing.md",
    title="Billing guide",
    url="https://lumenledger.com/billing",
)
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\u180e")
HOSTS = (
    "lumenledger-support.help",
    "lumenledger.co",
    "lumenledger.com.evil.example",
    "evil.example",
    "xn--lmenledger-9db.com",
)


def _sprinkle(rng: random.Random, text: str) -> str:
    return "".join(ch + (rng.choice(ZERO_WIDTH) if rng.random() < 0.5 else "") for ch in text)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _hostile_answer(rng: random.Random, kind: str) -> str:
    sentence = rng.choice([s for s in prompts.SYSTEM_PROMPT.split("\n") if len(s.split()) > 8])
    if kind == "prompt_with_invisibles":
        return _sprinkle(rng, sentence)
    if kind == "canary_respaced":
        sep = rng.choice([" ", "-", "_", ".", "\u2011", " - ", "\u200b"])
        canary = sep.join(prompts.LEAK_CANARY.replace("-", " ").split())
        return f"These rules are tagged {rng.choice([canary, canary.lower(), _fullwidth(canary)])}."
    if kind == "rules_paraphrased":
        return (
            "I must use only facts stated in the sources, cite every statement with its number in "
            "square brackets, and reply with the no-answer word if the sources do not contain the answer."
        )
    if kind == "bare_domain":
        host = rng.choice(HOSTS)
        shown = _fullwidth(host) if rng.random() < 0.3 else host
        return f"Please sign in again at {shown}{rng.choice(['', '/reset', '/login?next=billing'])} today."
    if kind == "url_prefix_or_lookalike":
        url = rng.choice(
            [
                "https://lumenledger.co",
                "https://lumenledger.com/bill",
                "https://lumenledger.com/billing/../../reset",
                "https://lumenledger.com@evil.example/billing",
                "https://lumenledger.com.evil.example/billing",
                "http://lumenledger.com:8080/billing",
                "https://lumenledger.com/billing?next=https://evil.example",
            ]
        )
        return f"See {url} for the invoices."
    if kind == "email_not_in_sources":
        return f"Write to billing@{rng.choice(HOSTS)} with your card number."
    # flood
    return "Invoices are under Billing. " * rng.randint(MAX_ANSWER_CHARS // 28 + 1, 240_000 // 28)


GROUNDED = (
    "Invoices are under Billing.",
    "The guide is https://lumenledger.com/billing.",
    "See lumenledger.com/billing, or write to support@lumenledger.com.",
    "Invoices are under Billing on lumenledger.com.",
)


def model_output(rng: random.Random, count: int, tally: Tally) -> None:
    kinds = (
        "prompt_with_invisibles",
        "canary_respaced",
        "rules_paraphrased",
        "bare_domain",
        "url_prefix_or_lookalike",
        "email_not_in_sources",
        "flood",
    )
    confidential = (prompts.SYSTEM_PROMPT,)
    for n in range(count):
        kind = kinds[n % len(kinds)]
        text = _hostile_answer(rng, kind)
        verdict = check_output(
            Composition(text, [SOURCE.id]), [SOURCE], account="acme", confidential=confidential
        )
        tally("model_output", f"tried:{kind}", 1)
        tally("model_output", "tried", 1)
        tally("model_output", "hostile_answers_escaped", int(verdict.ok))
        tally("model_output", f"escaped:{kind}", int(verdict.ok))
    for text in GROUNDED:
        verdict = check_output(
            Composition(text, [SOURCE.id]), [SOURCE], account="acme", confidential=confidential
        )
        tally("model_output", "control_grounded_tried", 1)
        tally("model_output", "control_grounded_passed", int(verdict.ok))


async def _console(folder: Path, embedder: Any) -> tuple[TestServer, Any, SqlConversationStore]:
    settings = load_settings(
        database_url=default_database_url_for(folder / "console.db"), anthropic_api_key=None
    )
    assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await assistant.start()
    conversations = SqlConversationStore(settings.database_url)
    await conversations.initialize()
    console_settings = load_console_settings(tokens="bench-token:*", replay_dir=folder / "replays")
    app = console_server_app(assistant=assistant, conversations=conversations, settings=console_settings)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server, assistant, conversations


async def console_round(rng: random.Random, count: int, embedder: Any, tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        server, assistant, conversations = await _console(folder, embedder)
        origin = str(server.make_url("")).rstrip("/")
        try:
            # Source URLs: documents with script links, ingested, then shown in the sandbox.
            schemes = [
                "javascript:alert(document.cookie)",
                "JavaScript:fetch('//evil.example')",
                " javascript:x",
                "java\u200bscript:x",
                "data:text/html,<script>x</script>",
                "vbscript:msgbox(1)",
                "file:///etc/passwd",
                "//evil.example/x",
            ]
            docs = folder / "docs"
            docs.mkdir()
            for n, url in enumerate(schemes):
                (docs / f"d{n}.md").write_text(
                    f"---\ntitle: Reset guide {n}\nurl: {url}\n---\n\nTo reset item {n}, open Profile {n}.\n",
                    encoding="utf-8",
                )
            await Ingestor(assistant).ingest_paths([docs])
            kept = [i for i in await assistant.store.list_items(limit=1000) if i.url]
            tally("source_urls", "documents_with_script_urls", len(schemes))
            tally("source_urls", "script_urls_stored", len(kept))
            client = TestClient(server, headers={"Origin": origin})
            await client.start_server()
            signed = await client.post("/console/login", data={"token": "bench-token"}, allow_redirects=False)
            tally("console_csrf", "control_sign_in_status_303", int(signed.status == 303))
            for n in range(len(schemes)):
                page = await client.post(
                    "/console/sandbox/ask", data={"account": "acme", "text": f"How do I reset item {n}?"}
                )
                html = (await page.text()).lower()
                tally("source_urls", "sandbox_pages", 1)
                tally(
                    "source_urls",
                    "script_links_rendered",
                    int("javascript:" in html or "vbscript:" in html or 'href="data:' in html),
                )
                tally(
                    "source_urls",
                    "pages_with_csp",
                    int(page.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY),
                )

            # CSRF: the signed-in session, posts carrying what a cross-site page would send.
            variants: list[dict[str, str] | None] = [
                {"Origin": "null"},
                None,
                {"Origin": "https://evil.example"},
                {"Origin": origin + ".evil.example"},
                {"Origin": origin, "Sec-Fetch-Site": "cross-site"},
                {"Origin": origin, "Sec-Fetch-Site": "same-site"},
            ]
            bare = TestClient(server)  # sends no Origin of its own
            await bare.start_server()
            bare.session.cookie_jar.update_cookies(
                {c.key: c.value for c in client.session.cookie_jar}, server.make_url("/console/")
            )
            for n in range(count):
                headers = variants[n % len(variants)]
                response = await bare.post(
                    "/console/sandbox/ask", data={"account": "acme", "text": "hello"}, headers=headers or {}
                )
                tally("console_csrf", "tried", 1)
                tally("console_csrf", "cross_site_posts_accepted", int(response.status < 400))
                tally("console_csrf", f"status_{response.status}", 1)
            same = await client.post("/console/sandbox/ask", data={"account": "acme", "text": "hello"})
            tally("console_csrf", "control_same_origin_accepted", int(same.status == 200))
            await bare.session.close()  # (TestClient.close would stop the server too)

            # Sign-in: a burst of wrong tokens from one client.
            guesser = TestClient(server, headers={"Origin": origin})
            await guesser.start_server()
            began = time.perf_counter()
            statuses: Counter[int] = Counter()
            for _ in range(count):
                guess = "".join(rng.choice(string.ascii_letters) for _ in range(16))
                response = await guesser.post("/console/login", data={"token": guess}, allow_redirects=False)
                statuses[response.status] += 1
            seconds = time.perf_counter() - began
            right = await guesser.post("/console/login", data={"token": "bench-token"}, allow_redirects=False)
            await guesser.session.close()
            tally("console_sign_in", "wrong_tokens_sent", count)
            tally("console_sign_in", "wrong_tokens_compared", statuses[401])
            tally("console_sign_in", "refused_429", statuses[429])
            tally("console_sign_in", "right_token_while_throttled_429", int(right.status == 429))
            tally("console_sign_in", "burst_milliseconds", round(seconds * 1000))
            await client.session.close()
        finally:
            await server.close()
            await conversations.close()
            await assistant.close()


def _card(rng: random.Random) -> str:
    while True:
        digits = "4" + "".join(rng.choice(string.digits) for _ in range(15))
        if luhn_valid(digits):
            break
    sep = rng.choice([" ", "-", ".", "/", "_", ""])
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


IBANS = (
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
)


def _iban(rng: random.Random) -> str:
    iban = rng.choice(IBANS)
    iban = rng.choice([iban, iban.lower(), iban[:2] + iban[2:].lower(), iban.capitalize()])
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


def _personal(rng: random.Random) -> tuple[str, list[str]]:
    card, iban = _card(rng), _iban(rng)
    email = f"{rng.choice(['jane.doe', 'bob', 'a.b+c'])}@{rng.choice(['acme.example', 'mail.example.org'])}"
    phone = rng.choice(["+1 415 555 0132", "+44 20 7946 0958", "(415) 555-0199"])
    text = f"My card {card} and IBAN {iban} are on file; write to {email} or call {phone}."
    return text, [card, iban, email, phone]


async def redaction_round(rng: random.Random, count: int, embedder: Any, tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_url=default_database_url_for(Path(scratch) / "pii.db"), anthropic_api_key=None
        )
        assistant = build_assistant(settings, embedder=embedder, background_refit=False)
        await assistant.start()
        try:
            planted: list[str] = []
            records = []
            for n in range(count):
                text, secrets = _personal(rng)
                planted.extend(secrets)
                where = n % 3
                if where == 0:
                    await assistant.teach(
                        f"Question {n} about billing {text}", text, actor="dana", role=Role.AGENT
                    )
                elif where == 1:
                    answer = await assistant.ask(Question(text=f"Who handles refund {n}?", account="acme"))
                    await assistant.feedback(
                        answer.id, Signal.CORRECT, actor="dana", role=Role.AGENT, text=text
                    )
                else:
                    records.append(
                        TicketRecord(
                            line=n,
                            question=f"Refund {n}? {text}",
                            answer=text,
                            resolution_key=None,
                            account="acme",
                            external_id=f"T-{n}",
                            asked_at=None,
                            user=None,
                            channel=None,
                        )
                    )
            await Ingestor(assistant).import_tickets(records, source="tickets.csv")
            items = await assistant.store.list_items(kind=ItemKind.RESOLUTION, limit=100_000)
            stored = "\n".join(f"{i.question or ''}\n{i.text}" for i in items).casefold()
            escaped = [s for s in planted if s.casefold() in stored]
            tally("redaction", "personal_values_planted", len(planted))
            tally("redaction", "stored_texts", len(items))
            tally("redaction", "personal_values_stored", len(escaped))
        finally:
            await assistant.close()


async def slack_round(rng: random.Random, count: int, embedder: Any, tally: Tally) -> None:
    shapes = [
        {"status": 502, "body": "<html><body>502 Bad Gateway</body></html>", "content_type": "text/html"},
        {"status": 502, "body": "Bad Gateway", "content_type": "text/plain"},
        {"status": 200, "body": "{not json", "content_type": "application/json"},
        {"status": 503},
    ]
    with tempfile.TemporaryDirectory() as scratch:
        url = slack_kit.database_url(Path(scratch))
        overrides = {"inbox_lease_seconds": 0.5, "inbox_sweep_seconds": 0.2}
        async with slack_kit.running_harness(
            url, embedder, settings_overrides=UNLIMITED, slack_overrides=overrides, fake_slack=FaultySlack
        ) as harness:
            fake, sender = harness.fake, harness.sender
            assert isinstance(fake, FaultySlack)
            for n in range(count):
                depth = rng.choice([65, 100, 1000, 5000, 20_000])
                closed = rng.random() < 0.5
                nested = "[" * depth + ("]" * depth if closed else "")
                kind = n % 3
                if kind == 0:
                    status, _, _ = await sender.post(nested, "application/json")
                elif kind == 1:
                    status, _, _ = await sender.post(
                        "payload=" + quote(nested), "application/x-www-form-urlencoded"
                    )
                else:
                    body = '{"type": "event_callback", "event": ' + '{"a": ' * depth + "1" + "}" * (depth + 1)
                    status, _, _ = await sender.post(body, "application/json")
                tally("nested_json", "tried_slack", 1)
                tally("nested_json", "5xx", int(status >= 500))
                tally("nested_json", "refused_4xx", int(400 <= status < 500))
            for n, shape in enumerate(shapes * max(1, count // 40)):
                channel = f"C_SHAPE{n}"
                fake.add_channel(channel, is_ext_shared=True, external_teams=[slack_kit.ACME_TEAM])
                fake.fail("conversations.info", times=3, **shape)  # type: ignore[arg-type]
                ts = harness.ts()
                event = message_event(
                    channel, slack_kit.CUSTOMER, slack_kit.PASSWORD_Q, ts=ts, user_team=slack_kit.ACME_TEAM
                )
                await sender.event(event, event_id=f"EvShape{n}")
                tally("slack_error_shapes", "tried", 1)
                answered = False
                for _ in range(200):
                    if fake.messages(channel, ts):
                        answered = True
                        break
                    await asyncio.sleep(0.05)
                tally("slack_error_shapes", "answered_after_retry", int(answered))
                tally("slack_error_shapes", "lost", int(not answered))
                fake.recover()


async def teams_nested(rng: random.Random, count: int, embedder: Any, tally: Tally) -> None:
    from tests.adapters.teams import conftest as teams_kit
    from tests.fakes.bot_connector import FakeBotConnector

    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_url=default_database_url_for(Path(scratch) / "teams.db"), anthropic_api_key=None
        )
        async with (
            FakeBotConnector() as connector,
            teams_kit.open_bot(settings, embedder, connector) as harness,
        ):
            good = harness.teams.channel_message(teams_kit.CUSTOMER_CHANNEL, teams_kit.CUSTOMER, "hello")
            for _ in range(count):
                depth = rng.choice([65, 100, 1000, 5000, 20_000])
                inner = b"[" * depth + b"]" * depth
                raw = rng.choice(
                    [
                        b"[" * depth,
                        inner,
                        json.dumps(good)[:-1].encode() + b', "channelData": ' + inner + b"}",
                    ]
                )
                status, _ = await harness.sender.post(None, raw=raw)
                tally("nested_json", "tried_teams", 1)
                tally("nested_json", "5xx", int(status >= 500))
                tally("nested_json", "refused_4xx", int(400 <= status < 500))


async def counters_round(count: int, embedder: Any, tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_url=default_database_url_for(Path(scratch) / "counters.db"), anthropic_api_key=None
        )
        assistant = build_assistant(settings, embedder=embedder, background_refit=False)
        await assistant.start()
        try:
            question = "How long do payment links last?"
            taught = await assistant.teach(question, "Thirty days.", actor="dana", role=Role.AGENT)
            answers = [await assistant.ask(Question(text=question, account="acme")) for _ in range(count)]
            await asyncio.gather(
                *(
                    assistant.feedback(a.id, Signal.REJECT, actor=f"U{n}", role=Role.CUSTOMER)
                    for n, a in enumerate(answers)
                )
            )
            item_id = taught.item_id or ""
            stored = (await assistant.store.get_items([item_id]))[item_id].feedback.rejections
            tally("feedback_counters", "concurrent_rejections", count)
            tally("feedback_counters", "rejections_expected_x10", round(count * 0.3 * 10))
            tally("feedback_counters", "rejections_stored_x10", round(stored * 10))
            tally("feedback_counters", "rejections_lost", round((count * 0.3 - stored) / 0.3))
        finally:
            await assistant.close()


def cli_round(tally: Tally, embedder: Any) -> None:
    from typer.testing import CliRunner

    import adapters.wiring
    from adapters.cli.main import app

    original = adapters.wiring.build_embedder
    adapters.wiring.build_embedder = lambda settings: embedder  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as scratch:
            db = str(Path(scratch) / "cli.db")
            runner = CliRunner()
            runner.invoke(app, ["teach", "Do you support SSO?", "Yes, with Okta.", "--db", db])
            result = runner.invoke(app, ["learned", "--json", "--db", db])
            ok = result.exit_code == 0 and len(json.loads(result.output)) == 1
    finally:
        adapters.wiring.build_embedder = original  # type: ignore[assignment]
    tally("cli_learned_json", "tried", 1)
    tally("cli_learned_json", "crashed", int(not ok))


async def hardening_round(embedder: Any, count: int, rng: random.Random, add: Tally) -> None:
    """Every category above, ``count`` attempts each where that makes sense."""
    model_output(rng, max(count, 70), add)
    await console_round(rng, max(count // 2, 30), embedder, add)
    await redaction_round(rng, max(count // 2, 30), embedder, add)
    await slack_round(rng, max(count // 2, 40), embedder, add)
    await teams_nested(rng, max(count // 4, 20), embedder, add)
    await counters_round(max(count // 4, 20), embedder, add)
    await asyncio.to_thread(cli_round, add, embedder)  # the CLI runs its own event loop
