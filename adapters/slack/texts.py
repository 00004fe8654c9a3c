"""Every sentence the Slack app says to people, in one place (wording, tone, translation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from adapters import wording
from adapters.markup import slack_link
from adapters.wording import confidence as confidence  # shared with the other platform: one wording
from adapters.wording import rate_limited as rate_limited

HANDOFF_NOTICE: Final = (
    "Thanks for your question. I've passed it to our support team and a person will follow up "
    "in this thread shortly."
)
STILL_NEED_HELP: Final = (
    "Sorry that didn't solve it. I've asked our support team to follow up in this thread."
)
HELPED_THANKS: Final = "Glad that helped! :tada:"
NOT_HELPED_NOTED: Final = "A person from our team will follow up here."

HELPED_BUTTON: Final = "This solved it"
NOT_HELPED_BUTTON: Final = "I still need help"
SEND_DRAFT_BUTTON: Final = "Send and teach"
EDIT_AND_SEND_BUTTON: Final = "Edit and send"
TAKE_BUTTON: Final = "I'll take it"
UNDO_BUTTON: Final = "Undo"
TEACH_BUTTON: Final = "Teach this"
TEACH_GLOBAL_BUTTON: Final = "Teach for everyone"
NOT_A_CANDIDATE: Final = (
    "That reply is not kept as an answer (notes, holding replies and questions never are)."
)

AGENTS_ONLY: Final = (
    "Sorry, only our support team can do that. If you have a question, just ask it in this channel "
    "and I'll answer or bring in a person."
)
NOT_AN_ANSWER: Final = "That shortcut works on the assistant's answers only."
STALE_BUTTON: Final = "This button no longer works; the message may be too old."
ALREADY_HANDLED: Final = "This one has already been handled."
ALREADY_TAKEN: Final = "Someone has already taken this one."
FAILED: Final = "Sorry, something went wrong. Please try again in a moment."
NO_HANDOFF_CHANNEL: Final = "No hand-off channel is set for this channel; a person may not see the question."
NOTHING_LEARNED: Final = "Nothing learned yet."
NO_SPOT_CHECKS: Final = wording.NO_SPOT_CHECKS
SPOT_CHECK_INTRO: Final = wording.spot_check_intro(bold=lambda text: f"*{text}*")
SPOT_CHECK_GONE: Final = wording.SPOT_CHECK_GONE
RIGHT_BUTTON: Final = wording.RIGHT
WRONG_BUTTON: Final = wording.WRONG
UNKNOWN_COMMAND: Final = "I don't know that command."
NEED_ACCOUNT: Final = "Run `--private` teaching in the customer's channel, so I know which account it is for."

HELP: Final = (
    "*/assistant* commands\n"
    "• `ask <question>`: see what I would answer here\n"
    "• `teach <question> | <answer> [--private]`: teach an answer (agents; `--private` keeps it to this "
    "channel's account)\n"
    "• `learned`: what I learned recently, with Undo (agents)\n"
    "• `forget ID`: undo a learning event or forget an item (agents)\n"
    "• `stats`: auto-resolution, hand-offs and corrections (agents)\n"
    "• `spot-check`: judge an answer nobody reacted to, drawn at random (agents)\n"
    "• `help`: this list\n\n"
    "In a thread after my answer, an agent's reply is only a candidate: I learn it when you press "
    "*Teach this* (or react :white_check_mark: on your reply), when the customer reacts "
    ":white_check_mark: on it, or when the conversation is resolved with it. Notes, holding replies and "
    "questions are never learned. React with :white_check_mark: or :x: to approve or reject an answer; "
    "removing the reaction takes it back."
)


def candidate_kept(account: str | None) -> str:
    """What an agent sees privately after replying in a customer thread: nothing is learned yet."""
    scope = f"for {account} only" if account else "for this account only"
    return (
        f":memo: Not learned yet. If your reply is the answer, *Teach this* ({scope}) or react "
        ":white_check_mark: on it; *Teach for everyone* makes it shared knowledge."
    )


def handoff_title(account: str | None) -> str:
    return f"Hand-off from {account}" if account else "Hand-off"


def spot_check_recorded(right: bool, thread_link: str | None = None) -> str:
    return ":white_check_mark: " + wording.spot_check_recorded(right, slack_link(thread_link, "its thread"))


def taken_by(user: str) -> str:
    return f":raising_hand: <@{user}> is taking this one."


def sent_by(user: str, edited: bool) -> str:
    how = "an edited answer" if edited else "the draft"
    return f":white_check_mark: <@{user}> sent {how} to the customer."


def resolved_by(user: str) -> str:
    return f":white_check_mark: Resolved by <@{user}> in the thread."


def helped_by(user: str, helped: bool) -> str:
    return f"<@{user}>: " + (HELPED_THANKS if helped else NOT_HELPED_NOTED)


def undone(event_id: str) -> str:
    return f"Undone: `{event_id}`."


def taught(event_id: str, effect: str) -> str:
    return f"Learned: {effect} (`{event_id}`; `/assistant forget {event_id}` undoes it)."


def corrected(user: str) -> str:
    return f"_Corrected by <@{user}>_"


def error(message: str) -> str:
    return f":warning: {message}"


def done_earlier(what: str) -> str:
    """The reply to a request whose work was done by an earlier attempt, whose reply was lost."""
    return f"Done: your `{what}` went through (after a delay; Slack or the database was failing)."


def could_not_handle(channel: str | None, attempts: int, excerpt: str) -> str:
    """The hand-off alert when an event (usually a question) failed every attempt."""
    where = f"<#{channel}>" if channel else "Slack"
    said = f"\n>{excerpt}" if excerpt else ""
    return (
        f":warning: I could not answer a message in {where} after {attempts} attempts (Slack or the "
        f"database kept failing). Please answer it by hand.{said}"
    )


def too_long(length: int, limit: int) -> str:
    """A question over the length limit: what to do instead (a person was told)."""
    return (
        f"Your message is {length:,} characters long; I answer questions of up to {limit:,}. "
        "I've asked our support team to read it; a shorter question gets an answer from me at once."
    )


def stranger_handoff(channel: str, user: str, account: str | None, question: str) -> str:
    """The hand-off alert for a question from someone whose organisation is not the channel's account."""
    said = f"\n>{question[:500]}" if question else ""
    return (
        f":warning: <@{user}> asked in <#{channel}> (account {account or 'unknown'}), but their organisation "
        "is not mapped to that account, so I did not answer from its knowledge. Please answer by hand, and "
        f"map the organisation with `assistant channels set {channel} --account ... --org ...` if it "
        f"belongs there.{said}"
    )


def unmapped_handoff(channel: str, user: str, orgs: list[str], question: str) -> str:
    """The hand-off alert for a question in an unmapped channel shared with several organisations."""
    said = f"\n>{question[:500]}" if question else ""
    return (
        f":warning: <@{user}> asked in <#{channel}>, which is shared with several organisations "
        f"({', '.join(orgs)}) and not mapped to an account, so I did not answer. Please answer by hand "
        f"and map it: `assistant channels set {channel} --account ... --org ...`.{said}"
    )


def too_long_handoff(channel: str, user: str, length: int) -> str:
    """The hand-off alert for a question too long to answer automatically."""
    return (
        f":warning: <@{user}> asked a question of {length:,} characters in <#{channel}>, too long to "
        "answer automatically. Please read it in the channel."
    )


SEND_TO_CUSTOMER_BUTTON: Final = "Send to customer"
FORWARD_OFFER: Final = (
    ":outbox_tray: Your reply stays in this channel. *Send to customer* posts it in the customer's thread."
)
SENT_TO_CUSTOMER: Final = ":white_check_mark: Sent to the customer's thread."
FOLLOW_UP_HANDOFF: Final = (
    "Thanks, I couldn't answer that one myself. I've passed it, with this thread, to our support team; "
    "a person will follow up here."
)


def relayed(user: str, link: str | None) -> str:
    """A customer's new message, relayed to the hand-off thread of a conversation a person owns."""
    where = f"<{link}|the customer's thread>" if link else "the customer's thread"
    return f":speech_balloon: <@{user}> wrote in {where}:"


def replied_by(user: str) -> str:
    return f":speech_balloon: <@{user}> replied to the customer; waiting on the customer."


ASK_NOT_ANSWERED: Final = (
    "I'm not sure enough to answer that privately, and nobody has been told about it. "
    "Post your question in your support channel and a person from the team will pick it up."
)


def ask_preview_handoff(confidence: str) -> str:
    """``/assistant ask`` by an agent, when a customer asking the same would be handed off."""
    return (
        "Preview only, nothing was handed off: in a customer channel this would go to a person "
        f"({confidence})."
    )


CSAT_QUESTION: Final = "This conversation is resolved. How did we do?"
CSAT_LABELS: Final = {1: ":slightly_frowning_face: Not good", 2: ":neutral_face: Okay", 3: ":smile: Great"}
CUSTOMERS_ONLY: Final = "Only the customer can rate this conversation."
ALREADY_RATED: Final = "You rated this conversation already. Thank you!"


def rated(user: str, score: int) -> str:
    return f"Thanks for your rating, <@{user}>: {CSAT_LABELS.get(score, str(score))}."


def welcome(channel: str, mapped_as: str | None) -> str:
    """Said once when the app joins a channel: what it is set up as, or how to set it up."""
    intro = (
        "Hi, I'm the Support Assistant. I answer customers' questions in channels mapped to an "
        "account and pass what I can't answer to your support team."
    )
    if mapped_as is not None:
        return f"{intro} This channel is set up as {mapped_as}. Type `/assistant help` to see what I do."
    return (
        f"{intro} This channel is not set up yet: an admin maps it with "
        f"`assistant channels set {channel} --account <account>` (or `assistant channels internal "
        f"{channel}` for your own support channel). A Slack Connect channel shared with one customer "
        "organisation is set up by itself. Type `/assistant help` to see what I do."
    )


def priority(tier: str | None, target: timedelta) -> str:
    """The card's priority: the account's tier and how soon a person should answer."""
    minutes = int(target.total_seconds() // 60)
    within = f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"
    return f"Priority: *{tier or 'standard'}* (first response within {within})"
