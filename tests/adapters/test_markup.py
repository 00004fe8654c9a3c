"""One neutralisation for everything the bot echoes (``adapters.markup``), and every renderer
(Slack blocks, the Slack digest's ``escape``, Teams cards) using it on other people's words."""

from __future__ import annotations

import json

import pytest

from adapters.markup import clean_unicode, slack_link, slack_text, teams_text
from adapters.slack import blocks
from adapters.slack.digest_blocks import escape
from adapters.slack.payloads import AnswerRef, HandoffRef
from adapters.teams import cards
from adapters.teams.payloads import ExchangeRef
from assistant.handoff import HandoffNotice
from assistant.models import Answer, Decision, ItemKind, LearningEvent, Role, Signal, SourceRef

MARKUP = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0EVIL|@oncall>",
    "<@U0EVIL>",
    "<#C0EVIL|general>",
    "<http://evil.example/login|your invoice>",
)
INVISIBLE = ("\u202e", "\u202a", "\u2067", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00", "\x1b")
HOSTILE = " ".join(MARKUP) + " pay here " + "".join(INVISIBLE) + " \U000e0049\U000e0047 done"


@pytest.mark.parametrize("char", INVISIBLE)
def test_clean_unicode_drops_invisible_and_control_characters(char: str) -> None:
    assert clean_unicode(f"a{char}b") == "ab"


def test_clean_unicode_keeps_text_newlines_tabs_and_emoji() -> None:
    text = "Ça coûte 5 €\n\t— 日本語 🎉 👍🏽"
    assert clean_unicode(text) == text
    assert clean_unicode("a\r\nb\rc") == "a\nb\nc"


def test_slack_text_shows_every_markup_literally() -> None:
    text = slack_text(HOSTILE)
    assert "<" not in text
    assert "&lt;!channel>" in text and "&lt;@U0EVIL>" in text
    assert not any(char in text for char in INVISIBLE)
    # Slack sends what people type with &, < and > as entities: they are not escaped twice.
    assert slack_text("Q&A &lt;b&gt; Settings > Billing") == "Q&amp;A &lt;b&gt; Settings > Billing"


def test_links_show_their_real_target() -> None:
    assert slack_text("See <https://kb.example/x|the guide>.") == "See the guide (https://kb.example/x)."
    assert slack_text("<https://kb.example/x>") == "https://kb.example/x"
    assert slack_text("<mailto:a@b.example|a@b.example>") == "a@b.example"
    assert teams_text("<https://kb.example/x|guide>") == "guide (https://kb.example/x)"


def test_slack_link_keeps_only_http_urls_and_a_label_that_cannot_break_out() -> None:
    assert slack_link("https://kb/1", "Doc|1>") == "<https://kb/1|Doc¦1›>"
    assert slack_link("javascript:alert(1)", "Doc") == "Doc"
    assert slack_link("https://kb/1|<!channel>", "Doc") == "Doc"
    assert slack_link(None, "<!here>") == "‹!here›"


def test_teams_text_shows_markup_and_real_link_targets() -> None:
    text = teams_text(HOSTILE + " [your invoice](https://evil.example/x)")
    assert "<" not in text and not any(char in text for char in INVISIBLE)
    assert "your invoice (https://evil.example/x)" in text and "](" not in text


def _answer(text: str) -> Answer:
    source = SourceRef("kn_1", "Guide <!here>", "https://kb/1", ItemKind.PASSAGE)
    return Answer("ans_1", "q_1", text, Decision.ANSWER, 0.97, "k", ["kn_1"], [source], "acme")


def assert_clean(rendered: object) -> None:
    text = json.dumps(rendered, ensure_ascii=False)
    for markup in (*MARKUP, "<!here>"):
        assert markup not in text
    for char in INVISIBLE:
        assert char not in text, repr(char)
    assert "\U000e0049" not in text


def test_every_slack_message_with_other_peoples_words_is_neutralised() -> None:
    answer = _answer(HOSTILE)
    ref = HandoffRef(answer_id="ans_1", channel="C1", thread_ts="1.0")
    assert_clean(blocks.answer_message(answer, AnswerRef(answer_id="ans_1", channel="C1", thread_ts="1.0")))
    assert_clean(blocks.answer_after_feedback(answer, "U1", True))
    assert_clean(blocks.agent_answer_message(HOSTILE, "U1"))
    assert_clean(blocks.draft_message(answer))
    assert_clean(blocks.handoff_message(question=HOSTILE, account="acme", answer=answer, ref=ref))
    event = LearningEvent("evt_1", Signal.TEACH, "someone <!channel>", Role.AGENT, HOSTILE, account="acme")
    assert_clean(blocks.learned_message([event]))
    assert escape(HOSTILE) == slack_text(" ".join(HOSTILE.split())).replace(">", "&gt;")


def test_every_teams_card_with_other_peoples_words_is_neutralised() -> None:
    answer = _answer(HOSTILE)
    ref = ExchangeRef(answer_id="ans_1", channel="19:c", conversation="19:c;messageid=1", thread="1")
    assert_clean(cards.answer_card(answer, ref))
    assert_clean(cards.draft_card(answer))
    assert_clean(cards.agent_answer_card(HOSTILE, "Dana"))
    notice = HandoffNotice.of(answer, question=HOSTILE, origin=ref.origin())
    assert_clean(cards.handoff_card(notice, ref))


def test_teams_text_leaves_no_link_that_a_cut_could_close() -> None:
    cut = teams_text("See [your invoice](http://evil.examp")
    assert "](" not in cut and cut.endswith("[your invoice] (http://evil.examp")
