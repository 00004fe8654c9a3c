"""Adaptive Cards for everything the bot posts; nothing here talks to Teams.

Every builder returns the card as a plain dict (``attachment`` wraps it for an activity). Buttons
are ``Action.Execute`` (Universal Actions: Teams sends an ``adaptiveCard/action`` invoke and shows
the card the bot answers with); each falls back to an ``Action.Submit`` with the same data and its
verb, for clients without Universal Actions.

Answer cards use Teams' user-specific views: the card posted (and updated for everyone) is the
customers' view, with no agent-only button; its ``refresh`` clause (an ``Action.Execute`` of verb
``REFRESH``, ``userIds`` the agents the bot knows) makes each person's client ask the bot for their
own view, and an agent's view adds Approve / Reject / Correct this and the confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.markdown_text import to_teams
from adapters.markup import teams_text
from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.payloads import CardRef, ExchangeRef, SpotCheckRef
from adapters.wording import truncate as truncate  # one excerpt rule on both platforms
from assistant.handoff import HandoffNotice
from assistant.learning.spot_checks import SpotCheck
from assistant.models import Answer, SourceRef
from assistant.weburl import web_url

Card = dict[str, Any]
Element = dict[str, Any]


def attachment(card: Card) -> dict[str, Any]:
    return {"contentType": ids.CARD_CONTENT_TYPE, "content": card}


def card(*body: Element, actions: Sequence[Element] = (), refresh: Element | None = None) -> Card:
    content: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": ids.CARD_VERSION,
        "body": [element for element in body if element],
    }
    if actions:
        content["actions"] = list(actions)
    if refresh:
        content["refresh"] = refresh
    return content


def refresh_clause(
    ref: ExchangeRef, *, status: str | None, correctable: bool, agents: Sequence[str] = ()
) -> Element:
    """The ``refresh`` of an answer card: the clients of ``agents`` (user MRIs, at most 60; in
    conversations of 60 people or fewer, everyone's) ask the bot for their own view. The data
    carries the card's state, so the view drawn on refresh matches the card everyone sees."""
    data = {"ref": ref.dump(), ids.VIEW_STATUS: status, ids.VIEW_CORRECTABLE: correctable}
    clause: Element = {
        "action": {"type": "Action.Execute", "title": texts.REFRESH_TITLE, "verb": ids.REFRESH, "data": data}
    }
    if agents:
        clause["userIds"] = list(dict.fromkeys(agents))[: ids.MAX_REFRESH_USERS]
    return clause


def text_block(
    text: str, *, subtle: bool = False, weight: str | None = None, size: str | None = None
) -> Element:
    block: Element = {"type": "TextBlock", "text": truncate(text, ids.TEXT_LIMIT) or " ", "wrap": True}
    if subtle:
        block.update(isSubtle=True, size="Small")
    if weight:
        block["weight"] = weight
    if size:
        block["size"] = size
    return block


def action(title: str, verb: str, ref: CardRef, *, style: str | None = None) -> Element:
    data = {"ref": ref.dump()}
    button: Element = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": {"verb": verb, **data}},
    }
    if style:
        button["style"] = style
    return button


def source_line(sources: Sequence[SourceRef]) -> str:
    links = []
    for source in sources[: ids.MAX_SOURCES]:
        label = teams_text(source.title or "source").replace("[", "(").replace("]", ")")
        url = web_url(source.url)
        links.append(f"[{label}]({url.replace(')', '%29').replace(' ', '%20')})" if url else label)
    return "Sources: " + " · ".join(links) if links else ""


def answer_text(text: str) -> Element:
    """An answer (Markdown from documents, tickets or agents) as card text: the card's Markdown
    subset, tables as lines, links with their real target (``adapters.markdown_text``)."""
    return text_block(to_teams(text))


def quoted(question: str) -> Element:
    """A customer's question, set apart (or that it was deleted)."""
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [text_block(teams_text(question) or texts.QUESTION_DELETED)],
    }


def open_thread(link: str | None) -> list[Element]:
    """The button that opens the customer's thread in Teams (none without a link)."""
    return [{"type": "Action.OpenUrl", "title": texts.OPEN_THREAD, "url": link}] if link else []


def footer(answer: Answer, show_confidence: bool = True) -> Element:
    """Sources, and the confidence where it is shown: to agents, and to customers only with
    ``TEAMS_SHOW_CONFIDENCE`` (an internal figure otherwise)."""
    confidence = texts.confidence(answer.confidence) if show_confidence else ""
    parts = [part for part in (source_line(answer.sources), confidence) if part]
    return text_block("  \n".join(parts), subtle=True)


# answers in the customer's thread


def answer_card(
    answer: Answer,
    ref: ExchangeRef,
    *,
    status: str | None = None,
    correctable: bool = True,
    show_confidence: bool = False,
    agents: Sequence[str] = (),
) -> Card:
    """The answer as everyone sees it (customers' view): its sources (and confidence, if shown),
    "Helpful" / "Not helpful" until someone gave a verdict, then ``status`` (who said what).

    ``correctable`` (False once the answer was corrected) is kept for the agents' view, which the
    ``refresh`` clause fetches (``agent_view``).
    """
    body = [answer_text(answer.text), footer(answer, show_confidence)]
    again = refresh_clause(ref, status=status, correctable=correctable, agents=agents)
    if status is not None:
        return card(*body, text_block(status, subtle=True), refresh=again)
    actions = [
        action(texts.HELPED_BUTTON, ids.HELPED, ref, style="positive"),
        action(texts.NOT_HELPED_BUTTON, ids.NOT_HELPED, ref),
    ]
    return card(*body, actions=actions, refresh=again)


def agent_view(
    answer: Answer,
    ref: ExchangeRef,
    *,
    status: str | None = None,
    correctable: bool = True,
    reviewed: str | None = None,
    agents: Sequence[str] = (),
) -> Card:
    """An agent's own view of an answer card (never shown to customers): the confidence, the status
    everyone sees, and Approve / Reject (until this agent reviewed it) and Correct this."""
    body = [answer_text(answer.text), footer(answer, True)]
    if status is not None:
        body.append(text_block(status, subtle=True))
    if reviewed is not None:
        body.append(text_block(reviewed, subtle=True))
    actions = []
    if reviewed is None:
        actions.append(action(texts.APPROVE_BUTTON, ids.APPROVE, ref, style="positive"))
        actions.append(action(texts.REJECT_BUTTON, ids.REJECT, ref, style="destructive"))
    if correctable:
        actions.append(action(texts.CORRECT_BUTTON, ids.CORRECT, ref))
    again = refresh_clause(ref, status=status, correctable=correctable, agents=agents)
    return card(*body, actions=actions, refresh=again)


def correction_card(answer: Answer, ref: ExchangeRef, account: str | None) -> Card:
    """The answer with a form for the right one (agents only: the handler checks)."""
    account_label = f"This account only ({account})" if account else "This account only"
    form: list[Element] = [
        {
            "type": "Input.Text",
            "id": ids.TEXT_INPUT,
            "label": texts.CORRECTION_LABEL,
            "isMultiline": True,
            "isRequired": True,
            "maxLength": ids.INPUT_LIMIT,
            "value": truncate(answer.text, ids.INPUT_LIMIT),
        },
        {
            "type": "Input.ChoiceSet",
            "id": ids.SCOPE_INPUT,
            "label": texts.SCOPE_LABEL,
            "style": "expanded",
            "value": ids.SCOPE_ACCOUNT,
            "choices": [
                {"title": account_label, "value": ids.SCOPE_ACCOUNT},
                {"title": texts.EVERYONE, "value": ids.SCOPE_EVERYONE},
            ],
        },
    ]
    save = action(texts.SAVE_CORRECTION_BUTTON, ids.CORRECT_SUBMIT, ref, style="positive")
    return card(answer_text(answer.text), footer(answer), *form, actions=[save])


def agent_answer_card(text: str, user: str) -> Card:
    """An answer an agent wrote, posted in the customer's thread by the bot."""
    return card(answer_text(text), text_block(texts.corrected_by(user), subtle=True))


def draft_card(answer: Answer, *, show_confidence: bool = False) -> Card:
    """An agent sent the draft as it was: it reads like any answer, without buttons."""
    return card(answer_text(answer.text), footer(answer, show_confidence))


# hand-offs in the internal channel


def handoff_card(
    notice: HandoffNotice,
    ref: ExchangeRef,
    *,
    taken_by: str | None = None,
    done: str | None = None,
) -> Card:
    """The question, the account, the draft with sources and confidence, and the agents' buttons.

    ``done`` (who sent what) replaces the buttons; ``taken_by`` drops "I'll take it".
    """
    account = notice.account_name or notice.account
    body: list[Element] = [
        text_block(texts.handoff_title(account), weight="Bolder", size="Medium"),
        text_block(
            texts.from_where(ref.channel, account) + " · " + texts.confidence(notice.confidence), subtle=True
        ),
        *([text_block(texts.asked_by(teams_text(notice.asker)), subtle=True)] if notice.asker else []),
        quoted(notice.question),
    ]
    if notice.draft:
        body.append(text_block(texts.DRAFT_TITLE, weight="Bolder"))
        body.append(answer_text(notice.draft))
        if notice.sources:
            body.append(text_block(source_line(notice.sources), subtle=True))
    else:
        body.append(text_block(texts.NO_DRAFT, subtle=True))
    opens = open_thread(notice.origin.link)
    if done is not None:
        return card(*body, text_block(done, subtle=True), actions=opens)
    if taken_by is not None:
        body.append(text_block(texts.taken_by(taken_by), subtle=True))
    actions: list[Element] = []
    if notice.draft:
        actions.append(action(texts.SEND_DRAFT_BUTTON, ids.SEND_DRAFT, ref, style="positive"))
    if taken_by is None:
        actions.append(action(texts.TAKE_BUTTON, ids.TAKE_HANDOFF, ref))
    return card(*body, actions=[*actions, *opens])


def forward_card(ref: ExchangeRef, reply_id: str) -> Card:
    """Under an agent's reply in a hand-off thread: send it to the customer's thread."""
    send = action(texts.SEND_TO_CUSTOMER_BUTTON, ids.SEND_TO_CUSTOMER, ref, style="positive")
    send["data"][ids.REPLY_KEY] = reply_id
    send["fallback"]["data"][ids.REPLY_KEY] = reply_id
    return card(text_block(texts.FORWARD_OFFER, subtle=True), actions=[send])


def forwarded_card(name: str) -> Card:
    return card(text_block(texts.sent_to_customer(name), subtle=True))


def csat_card(conversation_id: str, ref: ExchangeRef) -> Card:
    """The one-click rating asked of the customer when a conversation is resolved."""
    buttons = []
    for score, label in texts.CSAT_LABELS.items():
        button = action(label, ids.CSAT, ref)
        for data in (button["data"], button["fallback"]["data"]):
            data.update({ids.CSAT_KEY: score, ids.CONVERSATION_KEY: conversation_id})
        buttons.append(button)
    return card(text_block(texts.CSAT_QUESTION), actions=buttons)


def rated_card(name: str, score: int) -> Card:
    return card(text_block(texts.rated(name, score), subtle=True))


# spot checks in an agent's 1:1 chat


def spot_check_card(check: SpotCheck | None, note: str = "", *, link: str | None = None) -> Card:
    """The newest answer waiting for a spot check, with Right and Wrong (or that none is) and a
    ``link`` to its thread, under ``note`` (what became of the last verdict)."""
    top = text_block(note, subtle=True) if note else {}
    if check is None:
        return card(top, text_block(texts.NO_SPOT_CHECKS))
    answer = check.answer
    ref = SpotCheckRef(answer_id=answer.id)
    buttons = [
        action(texts.RIGHT_BUTTON, ids.SPOT_CHECK_RIGHT, ref, style="positive"),
        action(texts.WRONG_BUTTON, ids.SPOT_CHECK_WRONG, ref, style="destructive"),
    ]
    account = teams_text(answer.account) if answer.account else None
    return card(
        top,
        text_block(texts.SPOT_CHECK_INTRO),
        text_block(texts.spot_checked_at(account, answer.created_at), subtle=True),
        quoted(check.question.text if check.question is not None else ""),
        answer_text(answer.text),
        footer(answer),
        actions=[*buttons, *open_thread(link)],
    )
