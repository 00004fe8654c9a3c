"""Every sentence the Teams bot says to people, in one place (wording, tone, translation)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from adapters import wording
from adapters.wording import confidence as confidence  # shared with the other platform: one wording

HANDOFF_NOTICE: Final = (
    "Thanks for your question. I've passed it to our support team and a person will follow up "
    "in this thread shortly."
)
STILL_NEED_HELP: Final = "Sorry that didn't solve it. I've asked our support team to follow up here."
HELPED_THANKS: Final = "Glad that helped!"
NOT_HELPED_NOTED: Final = "A person from our team will follow up here."

HELPED_BUTTON: Final = "Helpful"
NOT_HELPED_BUTTON: Final = "Not helpful"
CORRECT_BUTTON: Final = "Correct this"
SAVE_CORRECTION_BUTTON: Final = "Save correction"
SEND_DRAFT_BUTTON: Final = "Send draft"
TAKE_BUTTON: Final = "I'll take it"
APPROVE_BUTTON: Final = "Approve"
REJECT_BUTTON: Final = "Reject"
REFRESH_TITLE: Final = "Refresh"
ALREADY_REVIEWED: Final = "You have already reviewed this answer."

CORRECTION_LABEL: Final = "The right answer"
SCOPE_LABEL: Final = "Who should get this answer?"
EVERYONE: Final = "Everyone"
DRAFT_TITLE: Final = "Draft answer"
NO_DRAFT: Final = "No draft: nothing in the knowledge matched this question."
QUESTION_DELETED: Final = "(the question was deleted)"

AGENTS_ONLY: Final = "Sorry, only our support team can do that."
STALE_BUTTON: Final = "This button no longer works; the card may be too old."
ALREADY_HANDLED: Final = "This one has already been handled."
ALREADY_TAKEN: Final = "Someone has already taken this one."
EMPTY_CORRECTION: Final = "Please write the corrected answer first."
FAILED: Final = "Sorry, something went wrong. Please try again in a moment."
NOT_A_CANDIDATE: Final = (
    "That message is not kept as an answer: only an agent's reply in a customer thread the assistant "
    "answered or handed off is (notes, holding replies and questions never are)."
)
UNKNOWN_COMMAND: Final = "Sorry, I don't know that action."
UNAUTHENTICATED_WARNING: Final = (
    "TEAMS_ALLOW_UNAUTHENTICATED is on: /api/messages accepts requests WITHOUT checking the Bot "
    "Framework token. Use this for local testing only, never on a public address."
)


def handoff_title(account: str | None) -> str:
    return f"Hand-off from {account}" if account else "Hand-off"


def from_where(channel: str, account: str | None) -> str:
    return f"From {channel}" + (f" · account **{account}**" if account else "")


def taken_by(user: str) -> str:
    return f"{user} is taking this one."


def sent_by(user: str) -> str:
    return f"{user} sent the draft to the customer."


def helped_by(user: str, helped: bool) -> str:
    return f"{user}: " + (HELPED_THANKS if helped else NOT_HELPED_NOTED)


def reviewed(approved: bool) -> str:
    """What an agent sees (only them) once they approved or rejected an answer."""
    return "You approved this answer." if approved else "You rejected this answer; it will count against it."


def corrected_by(user: str) -> str:
    return f"Corrected by {user}"


def taught(event_id: str, effect: str) -> str:
    return (
        f"Learned: {effect} (id {event_id}). Undo it on the console's Learning page or with "
        f"'assistant forget {event_id}'."
    )


def error(message: str) -> str:
    return f"⚠️ {message}"


def could_not_handle(conversation: str, attempts: int, excerpt: str) -> str:
    """The hand-off alert when a message (usually a question) failed every attempt."""
    said = f"\n\n> {excerpt}" if excerpt else ""
    return (
        f"⚠️ I could not answer a message in {conversation} after {attempts} attempts (Teams or the "
        f"database kept failing). Please answer it by hand.{said}"
    )


FOLLOW_UP_HANDOFF: Final = (
    "Thanks, I couldn't answer that one myself. I've passed it, with this conversation, to our support "
    "team; a person will follow up here."
)


def relayed(user: str, text: str) -> str:
    """A customer's new message, relayed to the hand-off thread of a conversation a person owns."""
    return f"💬 {user} wrote in the customer's thread:\n\n> {text}"


OPEN_THREAD: Final = "Open the customer's thread"


def asked_by(name: str) -> str:
    return f"Asked by {name}"


SEND_TO_CUSTOMER_BUTTON: Final = "Send to customer"
FORWARD_OFFER: Final = "Your reply stays in this channel. Send it to the customer's thread?"


def sent_to_customer(name: str) -> str:
    return f"✅ {name} sent this reply to the customer's thread."


HELP_COMMAND: Final = "help"  # the manifest's commandLists offers it; typed or @mentioned
SPOT_CHECK_COMMAND: Final = "spot-check"  # agents: typed in a 1:1 chat or @mentioned, like help


def welcome_team(channel: str, mapped_as: str | None = None) -> str:
    """Said once when the app is added to a team (or a group chat): how to set the channel up, or
    what it is set up as already (``mapped_as``)."""
    if mapped_as is not None:
        return (
            f"Hi, I'm the Support Assistant. This channel is set up as {mapped_as}. "
            "Mention me with **help** to see what I do."
        )
    return (
        "Hi, I'm the Support Assistant. In a channel an admin maps to a customer account I answer "
        "customers' questions, and pass what I can't answer to your support team.\n\n"
        f"This channel is not set up yet. An admin maps it with:\n\n"
        f"`assistant channels set '{channel}' --account <account> --platform teams`\n\n"
        f"(or `assistant channels internal '{channel}' --platform teams` for your own support "
        "channel, where hand-offs and digests go). Mention me with **help** to see what I do."
    )


WELCOME_PERSONAL: Final = (
    "Hi, I'm the Support Assistant. Ask me a question here and I'll answer it, or pass it to our "
    "support team, who will follow up in this chat. Type **help** to see what I do."
)


def not_set_up(channel: str) -> str:
    """The hint in a channel or group chat nobody mapped (instead of silence)."""
    return (
        "This channel is not set up yet, so I can't answer here. Please ask an admin to map it: "
        f"`assistant channels set '{channel}' --account <account> --platform teams`."
    )


HELP: Final = (
    "**What I do**\n\n"
    "- Customers: ask a question in a mapped channel (or in a 1:1 chat with me); I answer with "
    "sources, or pass it to the support team. Say **Not helpful** on an answer to reach a person.\n"
    "- Agents: Approve, Reject or Correct this on my answers; 👍 (or the *Teach this* message "
    "action) on a colleague's reply teaches it; on hand-off cards, *I'll take it* and *Send draft*; "
    "**spot-check** to judge an answer nobody reacted to, drawn at random (the card comes to our "
    "1:1 chat).\n"
    "- Admins: map channels with `assistant channels set … --platform teams`."
)


SPOT_CHECK_SUMMARY: Final = "Spot check"  # the notification of the card
NO_SPOT_CHECKS: Final = wording.NO_SPOT_CHECKS
SPOT_CHECK_INTRO: Final = wording.spot_check_intro(bold=lambda text: f"**{text}**")
SPOT_CHECK_GONE: Final = wording.SPOT_CHECK_GONE
RIGHT_BUTTON: Final = wording.RIGHT
WRONG_BUTTON: Final = wording.WRONG


def spot_checked_at(account: str | None, asked: datetime) -> str:
    """Under a spot check's intro: whose answer it was, and when (``account`` as card text)."""
    where = f"account **{account}** · " if account else ""
    return f"{where}asked {asked:%Y-%m-%d %H:%M} UTC"


def spot_check_recorded(right: bool, thread_link: str | None = None) -> str:
    thread = f"[its thread]({thread_link})" if thread_link else "its thread"
    return "✅ " + wording.spot_check_recorded(right, thread)


CSAT_QUESTION: Final = "This conversation is resolved. How did we do?"
CSAT_LABELS: Final = {1: "🙁 Not good", 2: "😐 Okay", 3: "😄 Great"}
CUSTOMERS_ONLY: Final = "Only the customer can rate this conversation."
ALREADY_RATED: Final = "You rated this conversation already. Thank you!"


def rated(name: str, score: int) -> str:
    return f"Thanks for your rating, {name}: {CSAT_LABELS.get(score, str(score))}."
