"""Every id the Slack app and its manifest share: action ids, callback ids, block ids, limits.

``manifests/slack/manifest.yaml`` repeats ``COMMAND`` and ``CORRECT_SHORTCUT``; a test keeps them equal.
"""

from __future__ import annotations

from typing import Final

PLATFORM: Final = "slack"
COMMAND: Final = "/assistant"

# message shortcut (manifest: shortcuts[].callback_id)
CORRECT_SHORTCUT: Final = "correct_answer"

# buttons on an answer in the customer's thread
HELPED: Final = "answer_helped"
NOT_HELPED: Final = "answer_not_helped"

# buttons on a hand-off in the internal channel
SEND_DRAFT: Final = "handoff_send_draft"
EDIT_AND_SEND: Final = "handoff_edit_and_send"
TAKE_HANDOFF: Final = "handoff_take"

# the customer's rating of a resolved conversation: one button per score (action ids are unique
# within a block), CSAT_PREFIX + the score
CSAT_PREFIX: Final = "conversation_csat_"

# the button on the note an agent sees privately after replying under a hand-off post
SEND_TO_CUSTOMER: Final = "handoff_reply_send"

# buttons on the note an agent sees privately after replying in a customer thread: teach the reply
TEACH_REPLY: Final = "reply_teach"
TEACH_REPLY_GLOBAL: Final = "reply_teach_global"

# Undo buttons: in the /assistant learned list and on the App Home
UNDO_LEARNED: Final = "learned_undo"
UNDO_HOME: Final = "home_undo"

# the verdict buttons on a spot check (/assistant spot-check)
SPOT_CHECK_RIGHT: Final = "spot_check_right"
SPOT_CHECK_WRONG: Final = "spot_check_wrong"

# buttons on a bug report in the engineering channel, and the "Duplicate of…" modal
BUG_CONFIRM: Final = "bug_report_confirm"
BUG_NOT_BUG: Final = "bug_report_not_bug"
BUG_DUPLICATE: Final = "bug_report_duplicate"
DUPLICATE_VIEW: Final = "bug_duplicate_view"
DUPLICATE_BLOCK: Final = "bug_duplicate_of"
DUPLICATE_INPUT: Final = "bug_duplicate_of_input"

# modals
EDIT_VIEW: Final = "handoff_edit_view"
CORRECT_VIEW: Final = "correct_answer_view"
TEXT_BLOCK: Final = "answer_text"
TEXT_INPUT: Final = "answer_text_input"
SCOPE_BLOCK: Final = "answer_scope"
SCOPE_INPUT: Final = "answer_scope_input"
SCOPE_ACCOUNT: Final = "account"
SCOPE_EVERYONE: Final = "everyone"

# Slack's limits (https://api.slack.com/reference/block-kit)
SECTION_TEXT_LIMIT: Final = 3000
MESSAGE_TEXT_LIMIT: Final = 4000  # the fallback `text`; Slack truncates at 40,000, notifications far sooner
MAX_BLOCKS: Final = 50
BUTTON_VALUE_LIMIT: Final = 2000
PRIVATE_METADATA_LIMIT: Final = 3000
INPUT_LIMIT: Final = 3000
CONTEXT_ELEMENTS: Final = 10
