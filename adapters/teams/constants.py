"""Every id the Teams bot and its cards share: card verbs, input ids, limits, the manifest's names.

``manifests/teams/manifest.json`` repeats ``BOT_NAME``; ``assistant teams-package`` fills in the app id.
"""

from __future__ import annotations

from typing import Final

PLATFORM: Final = "teams"
CHANNEL_ID: Final = "msteams"  # the Bot Framework's channelId of Teams
MESSAGES_PATH: Final = "/api/messages"
BOT_NAME: Final = "Support Assistant"

# Action.Execute verbs (the fallback Action.Submit carries the same in data["verb"])
HELPED: Final = "answer_helped"
NOT_HELPED: Final = "answer_not_helped"
CORRECT: Final = "answer_correct"  # opens the correction form (agents only)
CORRECT_SUBMIT: Final = "answer_correct_submit"
SEND_DRAFT: Final = "handoff_send_draft"
TAKE_HANDOFF: Final = "handoff_take"
CSAT: Final = "conversation_csat"  # the rating of a resolved conversation (score in its data)
CSAT_KEY: Final = "score"
CONVERSATION_KEY: Final = "conversation_id"
SEND_TO_CUSTOMER: Final = "handoff_reply_send"  # on the card under an agent's reply in a hand-off thread
REPLY_KEY: Final = "reply"  # the agent's reply's activity id, in that action's data

APPROVE: Final = "answer_approve"  # agents: the answer is right (Signal.APPROVE)
REJECT: Final = "answer_reject"  # agents: the answer is wrong (Signal.REJECT)
REFRESH: Final = "answer_view"  # the card's refresh: each person's own view of an answer card
SPOT_CHECK_RIGHT: Final = "spot_check_right"  # agents: a silent answer drawn at random was right
SPOT_CHECK_WRONG: Final = "spot_check_wrong"  # ... or wrong

# what the refresh action's data carries besides the ref: the state every view is drawn from
VIEW_STATUS: Final = "status"
VIEW_CORRECTABLE: Final = "correctable"
MAX_REFRESH_USERS: Final = 60  # Teams refreshes user-specific views for at most 60 listed users

# inputs of the correction form (their values arrive merged into the action's data)
# The message action (manifest: composeExtensions) on an agent's reply: "Teach this".
TEACH_REPLY_COMMAND: Final = "teachReply"

TEXT_INPUT: Final = "answer_text"
SCOPE_INPUT: Final = "answer_scope"
SCOPE_ACCOUNT: Final = "account"
SCOPE_EVERYONE: Final = "everyone"

# Adaptive Cards as Teams renders them
CARD_VERSION: Final = "1.4"
CARD_CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE_TYPE: Final = "application/vnd.microsoft.activity.message"
TEXT_LIMIT: Final = 20_000  # Teams rejects messages over ~28 KB; cards carry the text twice at most
INPUT_LIMIT: Final = 4000
MAX_SOURCES: Final = 5
