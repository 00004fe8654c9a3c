"""Builds ``samples/replay/lumen-ledger``: a small replay set (the format is docs/replay-format.md)
over the sample knowledge base, so the console's Replay page and ``assistant replay`` can be tried
out of the box. The articles are ``samples/kb`` (one source of truth); the questions below were
written for this set: several wordings per article, some that no article answers (gold null: the
right move is a hand-off), spread over six weeks and four accounts.

Run: ``.venv/bin/python samples/replay/build.py`` (rewrites the three files).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
KB = HERE.parent / "kb"
OUT = HERE / "lumen-ledger"
ACCOUNTS = ("acme", "globex", "initech", "umbrella")
START = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)

#: (gold article or None, question) for the stream; the agent's reply is the article's summary.
STREAM: list[tuple[str | None, str]] = [
    ("invoices", "How do I set up a recurring invoice?"),
    ("invoices", "can invoices go out automatically every month?"),
    ("invoices", "Where do I change the PDF template of our invoices?"),
    ("invoices", "how to add a PO number field to the invoice"),
    ("refunds-and-credit-notes", "How do I refund a card payment?"),
    ("refunds-and-credit-notes", "customer paid twice, how do we give one payment back"),
    ("refunds-and-credit-notes", "What's the difference between a credit note and a refund?"),
    ("refunds-and-credit-notes", "can I void an invoice that was already sent?"),
    ("payments", "A customer's card payment failed, what happens now?"),
    ("payments", "how do smart retries work"),
    ("payments", "Can customers pay by bank transfer?"),
    ("payments", "how do I send a payment link to a client"),
    ("users-and-roles", "How do I invite a colleague to our workspace?"),
    ("users-and-roles", "we need SAML SSO with Okta, how?"),
    ("users-and-roles", "lost my phone, can't get the 2FA code"),
    ("users-and-roles", "what can a Finance Manager do that a Viewer can't?"),
    ("api-authentication", "How do I create an API key?"),
    ("api-authentication", "our API key leaked, how do we rotate it"),
    ("api-authentication", "is there a sandbox to test the API?"),
    ("api-rate-limits", "We keep getting 429 from the API"),
    ("api-rate-limits", "what's the API rate limit"),
    ("webhooks", "How do I verify a webhook signature?"),
    ("webhooks", "webhooks are retried how many times?"),
    ("webhooks", "how to add a webhook endpoint"),
    ("integrations", "How do I connect Xero?"),
    ("integrations", "quickbooks sync keeps failing"),
    ("integrations", "does it integrate with Salesforce"),
    ("taxes", "How do I charge VAT to EU customers?"),
    ("taxes", "do you calculate US sales tax"),
    ("taxes", "where is the VAT report"),
    ("data-export", "How can I export all our invoices to CSV?"),
    ("data-export", "can we schedule a weekly export"),
    ("plans-and-pricing", "What counts as a seat?"),
    ("plans-and-pricing", "how do we switch to annual billing"),
    ("plans-and-pricing", "can I remove a seat mid-month"),
    ("security-and-compliance", "Do you have a SOC 2 report?"),
    ("security-and-compliance", "can our data stay in the EU"),
    ("security-and-compliance", "where is the audit log"),
    ("troubleshooting", "Customers say they never got the invoice email"),
    ("troubleshooting", "webhook deliveries fail with 401"),
    ("getting-started", "we just signed up, where do we start?"),
    (None, "Can you pay our suppliers in crypto?"),
    (None, "Is there a mobile app for Android?"),
    (None, "our account manager promised a discount, where is it?"),
    (None, "Can Lumen Ledger run payroll?"),
    (None, "do you support invoicing in Bitcoin"),
]
#: Held out: other wordings, scored at checkpoints and never learned from.
TEST: list[tuple[str | None, str]] = [
    ("invoices", "set up an invoice that repeats every quarter"),
    ("refunds-and-credit-notes", "give money back to a customer who paid by card"),
    ("payments", "what happens when an automatic card charge is declined"),
    ("users-and-roles", "add a new teammate to Lumen Ledger"),
    ("users-and-roles", "reset two-factor for a user who switched phones"),
    ("api-authentication", "generate a key for the REST API"),
    ("api-rate-limits", "too many requests error from your API"),
    ("webhooks", "check that a webhook really came from you"),
    ("integrations", "link our Xero account"),
    ("taxes", "charging VAT for customers in Germany"),
    ("data-export", "download our invoices as a spreadsheet"),
    ("plans-and-pricing", "who counts as a paid seat"),
    ("security-and-compliance", "is our data stored in Europe"),
    ("troubleshooting", "invoice emails are not arriving"),
    (None, "can you handle our payroll"),
    (None, "pay vendors with cryptocurrency"),
]
HANDOFF_ANSWER = "That isn't something Lumen Ledger does today; I've passed your request to the product team."


def articles() -> list[dict[str, str]]:
    found = []
    for path in sorted(KB.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---", 2)
        meta = yaml.safe_load(front)
        url = meta.get("url", "")
        found.append({"id": path.stem, "title": meta["title"], "body": body.strip(), "url": url})
    return found


def summary(article: dict[str, str]) -> str:
    """What an agent replies: the article's first paragraph after its heading, and its link."""
    paragraphs = [p.strip() for p in article["body"].split("\n\n") if p.strip() and not p.startswith("#")]
    return f"{paragraphs[0]} More: {article['url']}"


def records(pairs: list[tuple[str | None, str]], by_id: dict[str, dict[str, str]], prefix: str,
            rounds: int, rng: random.Random) -> list[dict[str, object]]:  # fmt: skip
    rows = []
    for round_ in range(rounds):
        for gold, text in pairs:
            rows.append((gold, text, round_))
    rng.shuffle(rows)
    step = timedelta(seconds=42 * 86_400 // max(len(rows), 1))
    out = []
    for n, (gold, text, _) in enumerate(rows):
        account = rng.choice(ACCOUNTS)
        out.append(
            {
                "id": f"{prefix}-{n:04d}",
                "ts": (START + n * step).isoformat().replace("+00:00", "Z"),
                "account": account,
                "user": f"{account}-user-{rng.randint(1, 3)}",
                "channel": f"ext-{account}-support",
                "text": text,
                "gold": gold,
                "answer": summary(by_id[gold]) if gold else HANDOFF_ANSWER,
            }
        )
    return out


def write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def main() -> None:
    rng = random.Random(7)
    kb = articles()
    by_id = {article["id"]: article for article in kb}
    OUT.mkdir(exist_ok=True)
    write(OUT / "kb.jsonl", kb)
    write(OUT / "stream.jsonl", records(STREAM, by_id, "q", rounds=3, rng=rng))
    write(OUT / "test.jsonl", records(TEST, by_id, "t", rounds=1, rng=rng))
    print(f"wrote {OUT}: {len(kb)} articles, {3 * len(STREAM)} stream questions, {len(TEST)} test questions")


if __name__ == "__main__":
    main()
