"""Block Kit for everything the app posts, opens or publishes; nothing here talks to Slack.

Every builder returns plain dicts (``{"text": ..., "blocks": [...]}`` for messages), keeps to
Slack's limits (3,000 characters a section, 50 blocks, 10 context elements) and neutralises
@channel-style mentions in any text that came from a person or a document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.markdown_text import to_slack
from adapters.markup import slack_link, slack_text
from adapters.slack import constants as ids
from adapters.slack import texts
from adapters.slack.payloads import (
    AnswerRef,
    CsatRef,
    ForwardRef,
    HandoffRef,
    ReplyRef,
    SpotCheckRef,
    UndoRef,
)
from adapters.slack.text import neutralise_mentions, split_text
from adapters.wording import truncate
from assistant.learning.spot_checks import SpotCheck
from assistant.models import Answer, LearningEvent, SourceRef

Block = dict[str, Any]
Message = dict[str, Any]

_SLACK_USER = re.compile(r"^[UW][A-Z0-9_]{2,}$")
_MAX_TEXT_SECTIONS = 30


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def sections(text: str) -> list[Block]:
    """mrkdwn ``text`` as sections of at most 3,000 characters, broadcasts neutralised.

    ``text`` is markup: someone else's words go through ``said`` (``markup.slack_text``) first.
    """
    pieces = split_text(neutralise_mentions(text), ids.SECTION_TEXT_LIMIT) or [" "]
    if len(pieces) > _MAX_TEXT_SECTIONS:
        pieces = [*pieces[: _MAX_TEXT_SECTIONS - 1], "…"]
    return [{"type": "section", "text": mrkdwn(piece)} for piece in pieces]


def context(*parts: str) -> Block:
    elements = [mrkdwn(truncate(part, ids.SECTION_TEXT_LIMIT)) for part in parts if part]
    return {"type": "context", "elements": elements[: ids.CONTEXT_ELEMENTS] or [mrkdwn(" ")]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def said(text: str) -> list[Block]:
    """Someone else's words (a question, an answer, a passage) as sections that show them as
    written: no mention, broadcast, link markup or invisible character survives."""
    return sections(slack_text(text))


def answer_body(text: str) -> list[Block]:
    """An answer (Markdown from documents, tickets or agents) as mrkdwn sections: bold, links,
    lists and tables rendered (``adapters.markdown_text``), nothing pinging or disguised."""
    return sections(to_slack(text))


def fallback(text: str) -> str:
    """The notification text of a message (blocks carry the full text), shown literally."""
    return truncate(slack_text(text), ids.MESSAGE_TEXT_LIMIT) or " "


def source_line(sources: Sequence[SourceRef]) -> str:
    links = [slack_link(source.url, source.title or "source") for source in sources]
    return "Sources: " + " · ".join(links) if links else ""


def answer_footer(answer: Answer, show_confidence: bool = False) -> Block:
    """Sources, and the confidence only where a setting shows it to customers
    (``SLACK_SHOW_CONFIDENCE``): an internal figure otherwise."""
    shown = texts.confidence(answer.confidence) if show_confidence else ""
    return context(source_line(answer.sources), shown)


# answers in the customer's thread


def answer_message(answer: Answer, ref: AnswerRef, *, show_confidence: bool = False) -> Message:
    """The answer, its sources (and confidence, if shown), and the customer's two buttons."""
    value = ref.dump()
    actions = {
        "type": "actions",
        "block_id": "answer_feedback",
        "elements": [
            button(texts.HELPED_BUTTON, ids.HELPED, value, "primary"),
            button(texts.NOT_HELPED_BUTTON, ids.NOT_HELPED, value),
        ],
    }
    footer = answer_footer(answer, show_confidence)
    return {"text": fallback(answer.text), "blocks": [*answer_body(answer.text), footer, actions]}


def answer_after_feedback(
    answer: Answer, user: str, helped: bool, *, show_confidence: bool = False
) -> Message:
    """The answer once a customer said whether it helped: no buttons, their verdict below."""
    footer = answer_footer(answer, show_confidence)
    blocks = [*answer_body(answer.text), footer, context(texts.helped_by(user, helped))]
    return {"text": fallback(answer.text), "blocks": blocks}


def agent_answer_message(text: str, user: str) -> Message:
    """An answer an agent wrote or approved, posted in the customer's thread by the app."""
    return {"text": fallback(text), "blocks": [*answer_body(text), context(texts.corrected(user))]}


def draft_message(answer: Answer, *, show_confidence: bool = False) -> Message:
    """An agent sent the draft as it was: it reads like any answer, without buttons."""
    blocks = [*answer_body(answer.text), answer_footer(answer, show_confidence)]
    return {"text": fallback(answer.text), "blocks": blocks}


def candidate_prompt(ref: ReplyRef, account: str | None) -> Message:
    """The private note to an agent whose reply was kept as a candidate: teach it, or not."""
    text = texts.candidate_kept(account)
    value = ref.dump()
    buttons = [
        button(texts.TEACH_BUTTON, ids.TEACH_REPLY, value, style="primary"),
        button(texts.TEACH_GLOBAL_BUTTON, ids.TEACH_REPLY_GLOBAL, value),
    ]
    section = {"type": "section", "text": mrkdwn(text)}
    return {"text": text, "blocks": [section, {"type": "actions", "elements": buttons}]}


def forward_prompt(ref: ForwardRef) -> Message:
    """The private note to an agent who replied under a hand-off post: send it to the customer."""
    section = {"type": "section", "text": mrkdwn(texts.FORWARD_OFFER)}
    send = button(texts.SEND_TO_CUSTOMER_BUTTON, ids.SEND_TO_CUSTOMER, ref.dump(), style="primary")
    return {"text": texts.FORWARD_OFFER, "blocks": [section, {"type": "actions", "elements": [send]}]}


def csat_prompt(conversation_id: str, scores: Sequence[int]) -> Message:
    """The one-click rating asked of the customer when a conversation is resolved."""
    elements = [
        button(
            texts.CSAT_LABELS[score],
            f"{ids.CSAT_PREFIX}{score}",
            CsatRef(conversation_id=conversation_id, score=score).dump(),
        )
        for score in scores
    ]
    section = {"type": "section", "text": mrkdwn(texts.CSAT_QUESTION)}
    return {
        "text": texts.CSAT_QUESTION,
        "blocks": [section, {"type": "actions", "block_id": "csat", "elements": elements}],
    }


def csat_thanks(user: str, score: int) -> Message:
    text = texts.rated(user, score)
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}


def relay_message(user: str, text: str, link: str | None) -> Message:
    """A customer's new message in the hand-off thread of a conversation a person owns."""
    intro = texts.relayed(user, link)
    return {"text": fallback(f"{intro} {text}"), "blocks": [context(intro), *sections(_quote(text))]}


def notice_message(text: str) -> Message:
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}


# hand-offs in the internal channel


@dataclass(frozen=True, slots=True)
class Card:
    """What a hand-off post (a live ticket card) shows of its conversation besides the exchange."""

    asker: str | None = None
    account_name: str | None = None
    link: str | None = None
    state: str | None = None
    owner: str | None = None
    priority: str | None = None


def card_line(card: Card) -> str:
    """Asker, link to the thread, state, owner and priority, on one line."""
    parts = []
    if card.asker:
        parts.append(f"Asked by {actor(card.asker)}")
    if card.link:
        parts.append(slack_link(card.link, "open the customer's thread"))
    if card.state:
        parts.append(f"State: *{card.state.replace('_', ' ')}*")
    if card.owner:
        parts.append(f"Owner: {actor(card.owner)}")
    if card.priority:
        parts.append(card.priority)
    return " · ".join(parts)


def handoff_message(
    *,
    question: str,
    account: str | None,
    answer: Answer,
    ref: HandoffRef,
    taken_by: str | None = None,
    done: str | None = None,
    card: Card | None = None,
) -> Message:
    """The question, the account, the draft with sources and confidence, and the agents' buttons.

    ``done`` (a line saying who sent what) replaces the buttons; ``taken_by`` drops "I'll take it";
    ``card`` adds the conversation's asker, account name, link, state and owner.
    """
    name = (card.account_name if card is not None else None) or account
    title = texts.handoff_title(name)
    where = f"<#{ref.channel}>" + (f" · account *{slack_text(name)}*" if name else "")
    blocks: list[Block] = [
        {"type": "header", "text": plain(title, 150)},
        context(f"From {where}", texts.confidence(answer.confidence)),
        *([context(card_line(card))] if card is not None and card_line(card) else []),
        *sections(_quote(question or "(the question was deleted)")),
    ]
    if answer.text:
        blocks.append({"type": "section", "text": mrkdwn("*Draft answer*")})
        blocks.extend(answer_body(answer.text))
        if answer.sources:
            blocks.append(context(source_line(answer.sources)))
    else:
        blocks.append(context("No draft: nothing in the knowledge matched this question."))
    if done is not None:
        blocks.append(context(done))
    else:
        if taken_by is not None:
            blocks.append(context(texts.taken_by(taken_by)))
        value = ref.dump()
        elements = []
        if answer.text:
            elements.append(button(texts.SEND_DRAFT_BUTTON, ids.SEND_DRAFT, value, "primary"))
        elements.append(button(texts.EDIT_AND_SEND_BUTTON, ids.EDIT_AND_SEND, value))
        if taken_by is None:
            elements.append(button(texts.TAKE_BUTTON, ids.TAKE_HANDOFF, value))
        blocks.append({"type": "actions", "block_id": "handoff_actions", "elements": elements})
    return {"text": fallback(f"{title}: {question}"), "blocks": blocks[: ids.MAX_BLOCKS]}


def spot_check_message(check: SpotCheck | None, note: str = "", *, link: str | None = None) -> Message:
    """The newest answer waiting for a spot check, with Right and Wrong (or that none is) and a
    ``link`` to its thread, under ``note`` (what became of the last verdict)."""
    top: list[Block] = [context(note)] if note else []
    if check is None:
        text = f"{note}\n{texts.NO_SPOT_CHECKS}".strip()
        return {"text": text, "blocks": [*top, {"type": "section", "text": mrkdwn(texts.NO_SPOT_CHECKS)}]}
    answer = check.answer
    question = check.question.text if check.question is not None else ""
    where = f"account *{slack_text(answer.account)}* · " if answer.account else ""
    value = SpotCheckRef(answer_id=answer.id).dump()
    blocks: list[Block] = [
        *top,
        {"type": "section", "text": mrkdwn(texts.SPOT_CHECK_INTRO)},
        context(
            f"{where}asked {answer.created_at:%Y-%m-%d %H:%M} UTC"
            + (f" · {slack_link(link, 'open the thread')}" if link else "")
        ),
        *sections(_quote(question or "(the question was deleted)")),
        *answer_body(answer.text),
        *([context(source_line(answer.sources))] if answer.sources else []),
    ]
    actions = {
        "type": "actions",
        "block_id": "spot_check_actions",
        "elements": [
            button(texts.RIGHT_BUTTON, ids.SPOT_CHECK_RIGHT, value, "primary"),
            button(texts.WRONG_BUTTON, ids.SPOT_CHECK_WRONG, value, "danger"),
        ],
    }
    # The buttons stay whatever the answer's length.
    blocks = [*blocks[: ids.MAX_BLOCKS - 1], actions]
    return {"text": fallback(f"Spot check: {question}"), "blocks": blocks}


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in slack_text(text).splitlines() or [""])


# modals


def _text_input(initial: str, label: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": ids.TEXT_INPUT,
        "multiline": True,
        "max_length": ids.INPUT_LIMIT,
    }
    if initial:
        element["initial_value"] = initial[: ids.INPUT_LIMIT]
    return {"type": "input", "block_id": ids.TEXT_BLOCK, "label": plain(label), "element": element}


def edit_modal(draft: str, ref: HandoffRef) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "private_metadata": ref.dump(),
        "title": plain("Edit and send", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [_text_input(draft, "Answer to send to the customer")],
    }


def correct_modal(text: str, ref: HandoffRef, account: str | None) -> dict[str, Any]:
    account_label = f"This account only ({account})" if account else "This account only"
    options = [
        {"text": plain(account_label), "value": ids.SCOPE_ACCOUNT},
        {"text": plain("Everyone"), "value": ids.SCOPE_EVERYONE},
    ]
    scope = {
        "type": "input",
        "block_id": ids.SCOPE_BLOCK,
        "label": plain("Who should get this answer?"),
        "element": {
            "type": "radio_buttons",
            "action_id": ids.SCOPE_INPUT,
            "options": options,
            "initial_option": options[0],
        },
    }
    return {
        "type": "modal",
        "callback_id": ids.CORRECT_VIEW,
        "private_metadata": ref.dump(),
        "title": plain("Correct this answer", 24),
        "submit": plain("Post and learn", 24),
        "close": plain("Cancel", 24),
        "blocks": [_text_input(text, "The right answer"), scope],
    }


# learning: /assistant learned and the App Home


def actor(name: str) -> str:
    return f"<@{name}>" if _SLACK_USER.match(name) else slack_text(name)


def event_line(event: LearningEvent) -> str:
    account = f" · {slack_text(event.account)}" if event.account else ""
    undone = " · ~undone~" if event.undone_at else ""
    return (
        f"*{slack_text(event.effect)}*\n{actor(event.actor)} ({event.role.value}){account} · "
        f"{event.created_at:%Y-%m-%d %H:%M} UTC · `{event.id}`{undone}"
    )


def event_blocks(events: Sequence[LearningEvent], undo_action: str, limit: int) -> list[Block]:
    blocks: list[Block] = []
    for event in events[:limit]:
        block: Block = {"type": "section", "text": mrkdwn(event_line(event))}
        if event.undone_at is None:
            block["accessory"] = button(
                texts.UNDO_BUTTON, undo_action, UndoRef(event_id=event.id).dump(), "danger"
            )
        blocks.append(block)
    return blocks


def learned_message(events: Sequence[LearningEvent]) -> Message:
    if not events:
        return {
            "text": texts.NOTHING_LEARNED,
            "blocks": [{"type": "section", "text": mrkdwn(texts.NOTHING_LEARNED)}],
        }
    header = {"type": "header", "text": plain("Recently learned", 150)}
    return {"text": "Recently learned", "blocks": [header, *event_blocks(events, ids.UNDO_LEARNED, 40)]}


def figure(value: float, percent: bool = False) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return f"{value:.0%}" if percent else f"{value:g}"


def stats_text(figures: Mapping[str, float], title: str = "All time") -> str:
    return (
        f"*{title}*\n"
        f"• Questions: {figure(figures.get('questions', 0))}\n"
        f"• Auto-resolution: {figure(figures.get('auto_resolution_rate', math.nan), True)}\n"
        f"• Hand-offs: {figure(figures.get('handed_off', 0))} "
        f"({figure(figures.get('handoff_rate', math.nan), True)})\n"
        f"• Corrections: {figure(figures.get('corrections', 0))}\n"
        f"• Precision: {figure(figures.get('precision', math.nan), True)}\n"
        f"• Answers learned: {figure(figures.get('learned_items', 0))}"
    )


def home_view(
    *, events: Sequence[LearningEvent], figures: Mapping[str, float], since: datetime, is_agent: bool
) -> dict[str, Any]:
    """The App Home: this week's figures and what was learned, with provenance and Undo."""
    if not is_agent:
        intro = "I answer questions in your support channel and bring in a person when I'm not sure."
        return {"type": "home", "blocks": [{"type": "section", "text": mrkdwn(intro)}]}
    blocks: list[Block] = [
        {"type": "header", "text": plain("Support assistant", 150)},
        {"type": "section", "text": mrkdwn(stats_text(figures, f"Since {since:%Y-%m-%d}"))},
        {"type": "divider"},
        {"type": "header", "text": plain("Learned this week", 150)},
    ]
    learned = event_blocks(events, ids.UNDO_HOME, ids.MAX_BLOCKS - len(blocks) - 1)
    blocks.extend(learned or [{"type": "section", "text": mrkdwn(texts.NOTHING_LEARNED)}])
    return {"type": "home", "blocks": blocks}
