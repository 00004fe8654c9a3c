"""The platform-neutral reply rules: small talk, and which agent replies may ever become an answer.

Adversarial on purpose: holding replies, questions back to the customer and internal notes in every
formatting and several languages must never be classified ANSWER (they would be served to the next
customer); real answers, including ones that end with a courtesy question, must be.
"""

from __future__ import annotations

import pytest

from assistant.learning.replies import (
    ReplyKind,
    classify_reply,
    clean_reply,
    is_note,
    is_small_talk,
    is_teachable_reply,
)


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thank you so much :pray:",
        "ok",
        "OK 👍",
        ":+1:",
        "🎉🎉",
        "hi team",
        "Good morning all",
        "got it, cheers",
        "",
        "merci !",
        "danke",
    ],
)
def test_small_talk(text: str) -> None:
    assert is_small_talk(text)


@pytest.mark.parametrize(
    "text",
    [
        "thanks, but how do I export?",
        "ok?",
        "Hi, my invoice is wrong",
        "hello <@U1> the sync is broken",
        "SSO",
    ],
)
def test_not_small_talk(text: str) -> None:
    assert not is_small_talk(text)


def test_clean_reply_drops_leading_mentions_only() -> None:
    assert clean_reply("<@U1>, <@W2|bob>: try <@U3>'s fix") == "try <@U3>'s fix"
    assert clean_reply("<at>Dana</at> try the export") == "try the export"


NOTES = [
    "note: checking with the team",
    "NOTE: checking",
    "Note - the customer is on the legacy plan",
    "NOTE - escalated",
    "Internal note: refund approved by finance",
    "internal: linked JIRA-1",
    "*note:* customer was rude",
    "_Note_: they are on the old plan",
    "**Internal** — do not share the discount",
    "<@U123> (internal) escalated to eng",
    "[internal] linked JIRA-1",
    "[Note] checking the logs",
    "(note) see ticket 1234",
    "// for the record",
    "#internal they owe us two invoices",
    "FYI: the sync job failed at 3am",
    "fyi - finance knows",
    "TODO: refund after the call",
    "Nota: el cliente está en el plan antiguo",
    "Notiz: Kunde hat zweimal bezahlt",
    "Remarque : le client est sur l'ancien forfait",
    "Interne: Rückerstattung genehmigt",
    "nb: they are a reseller",
    "> note: quoting the runbook",
]


@pytest.mark.parametrize("text", NOTES)
def test_notes_in_any_formatting_or_language_are_notes(text: str) -> None:
    assert is_note(text), text
    assert classify_reply(text) is ReplyKind.NOTE


HOLDING = [
    "Let me check with our billing team and get back to you shortly.",
    "Thanks for waiting! Let me check with our billing team and get back to you shortly.",
    "Looking into it now.",
    "I'll check with engineering and get back to you.",
    "One moment please, I'm checking with the team.",
    "Escalating this to our engineers; we'll keep you posted.",
    "Bear with me, investigating.",
    "Let me confirm with finance. Which invoice number is it?",
    "Je vérifie auprès de l'équipe facturation et je reviens vers vous.",
    "Ich prüfe das und melde mich gleich.",
    "Déjame revisar con el equipo y te aviso.",
    "Un momento, lo reviso.",
    "I’ll get back to you by end of day.",
    "Give me a few minutes to reproduce it on our side.",
    "Give us an hour and we'll have it sorted.",
    "We are reproducing it on our end.",
]


@pytest.mark.parametrize("text", HOLDING)
def test_holding_replies_are_never_answers(text: str) -> None:
    assert classify_reply(text) is ReplyKind.HOLDING, text


QUESTIONS = [
    "Which customer is it for, and do you want the invoices sent automatically or saved as drafts?",
    "<@U1> Could you send me a screenshot?",
    "Hi! Which browser are you using?",
    "Thanks. Is this on the web app or the mobile app? And since when?",
    "¿Qué navegador usas?",
    "Welche Version nutzen Sie?",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_back_to_the_customer_are_never_answers(text: str) -> None:
    assert classify_reply(text) is ReplyKind.QUESTION, text


ANSWERS = [
    "Use Settings > Billing.",
    "<@U123> Use Settings > Billing.",
    "Go to Settings > Security and press Reset password; the link is valid for an hour.",
    "Open Settings > Billing and click Export. Does that work for you?",
    "Your account was locked after five failed sign-ins; it unlocks itself after 15 minutes.",
    "Notifications are under Settings > Notifications; switch off the daily summary there.",
    "Notes are exported with the project: use File > Export > Include notes.",
    "Internal users sign in with SSO; external guests use the email link.",
    "Click on it to open the invoice, then press Download PDF.",
    "Allez dans Paramètres > Facturation et cliquez sur Exporter.",
    "Reproducing the issue takes three steps: open Billing, export, and reload.",
    "Give the export a minute to finish, then reload the page.",
]


@pytest.mark.parametrize("text", ANSWERS)
def test_real_answers_are_answers(text: str) -> None:
    assert classify_reply(text) is ReplyKind.ANSWER, text
    assert is_teachable_reply(text)


@pytest.mark.parametrize("text", ["thanks!", "<@U123>", "ok 👍", ""])
def test_small_talk_replies_are_not_answers(text: str) -> None:
    assert classify_reply(text) is ReplyKind.SMALL_TALK
