"""What the message classifier learns from: labelled issues, built-in chat examples, engineers.

* ``load_issue_examples``: the NLBSE'24 issue CSVs (repo, created_at, label, title, body), labels
  bug / feature / question; long GitHub issues, so they teach the vocabulary of each kind.
* ``SEED_EXAMPLES``: short chat messages written for this project, a few of each kind, the only
  examples of ``other`` until engineers label some; they teach the classifier what a chat message
  of each kind looks like.
* engineers' labels (``LabelledMessage``), weighted by ``InsightSettings.label_weight``: a bug
  report marked "bug" or "duplicate" labels its messages ``bug``, "not a bug" labels them
  ``question`` (the customer asked about behaviour that is as designed).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.errors import MalformedFileError
from assistant.insights.classifier import Example, issue_text
from assistant.insights.records import LabelledMessage, MessageLabel

ISSUE_FILES = {"train": "nlbse24_issues_train.csv", "test": "nlbse24_issues_test.csv"}
SEED_WEIGHT = 3.0

_SEEDS: dict[MessageLabel, tuple[str, ...]] = {
    MessageLabel.BUG: (
        "The export button gives a 500 error since this morning",
        "Invoices page is blank after the update",
        "Login fails with 'invalid token' even with the right password",
        "the sync has been stuck at 0% for hours",
        "We get an error when uploading a CSV, it worked yesterday",
        "The dashboard crashes when I filter by date",
        "Payments are showing twice in the ledger",
        "webhook stopped firing after your release",
        "Search returns nothing although the record exists",
        "Emails are not being sent anymore, nothing in the outbox",
        "The app freezes when I open the reports tab",
        "totals are wrong on the monthly report, numbers don't add up",
        "Getting a timeout on every API call since 10am",
        "The mobile app keeps logging me out",
        "Attachments fail to upload with an unknown error",
        "Broken link on the billing page, it goes to a 404",
    ),
    MessageLabel.FEATURE: (
        "Could you add an export to Excel?",
        "It would be great to have dark mode",
        "Please add support for SSO with Okta",
        "We'd love a way to bulk edit invoices",
        "Any plans to support multiple currencies?",
        "Feature request: let us schedule reports weekly",
        "Can you make the dashboard customizable?",
        "It would help if we could set custom roles and permissions",
        "Would be nice to get Slack notifications for approvals",
        "Please allow more than 10 users on our plan",
        "We need an API endpoint to create customers",
        "Suggestion: add keyboard shortcuts to the editor",
    ),
    MessageLabel.QUESTION: (
        "How do I reset my password?",
        "Where can I find last month's invoices?",
        "What are your support hours?",
        "Is it possible to change the billing email?",
        "How do I add a new user to our workspace?",
        "Can I export my data to CSV?",
        "what's the difference between the pro and business plans",
        "How long does a bank transfer take to show up?",
        "Which browsers do you support?",
        "How can I connect my accounting software?",
        "do you have a guide for setting up the integration",
        "When will my subscription renew?",
    ),
    MessageLabel.OTHER: (
        "thanks!",
        "Thank you, that worked",
        "ok great",
        "hi",
        "Hello team",
        "👍",
        "perfect, thanks a lot",
        "never mind, found it",
        "Good morning",
        "got it",
        "sounds good",
        "cheers",
        "ok",
        "no worries",
    ),
}

SEED_EXAMPLES: tuple[Example, ...] = tuple(
    Example(text=text, label=label, weight=SEED_WEIGHT) for label, texts in _SEEDS.items() for text in texts
)


def load_issue_examples(directory: Path, split: str = "train") -> list[Example]:
    """The NLBSE'24 issues of one split as examples (weight 1)."""
    path = directory / ISSUE_FILES[split]
    csv.field_size_limit(sys.maxsize)  # issue bodies run past the csv module's default limit
    examples = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    label = MessageLabel(row["label"].strip())
                    examples.append(Example(text=issue_text(row["title"], row["body"] or ""), label=label))
                except (KeyError, ValueError, AttributeError):
                    raise MalformedFileError(str(path), "expected columns label, title, body", line) from None
    except OSError as exc:
        raise MalformedFileError(str(path), f"cannot be read ({type(exc).__name__})") from exc
    return examples


def label_examples(labels: Sequence[LabelledMessage], weight: float) -> list[Example]:
    """Engineers' labels as examples; deleted messages (no text) are left out."""
    return [Example(text=m.text, label=m.label, weight=weight) for m in labels if m.text.strip()]


def training_examples(
    labels: Sequence[LabelledMessage], *, issues_dir: Path | None, label_weight: float
) -> list[Example]:
    """Everything the classifier is trained on: issues (when the folder exists), seeds, labels."""
    examples: list[Example] = []
    if issues_dir is not None and (issues_dir / ISSUE_FILES["train"]).exists():
        examples.extend(load_issue_examples(issues_dir, "train"))
    examples.extend(SEED_EXAMPLES)
    examples.extend(label_examples(labels, label_weight))
    return examples
