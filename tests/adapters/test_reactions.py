"""``adapters.reactions``: one rule for what a reaction means, with Slack's and Teams' names."""

from __future__ import annotations

from adapters.reactions import reaction_signal
from assistant.models import Signal


def test_slack_names_and_skin_tones() -> None:
    approve, reject = frozenset({"white_check_mark", "+1"}), frozenset({"x", "-1"})
    assert reaction_signal("+1::skin-tone-4", approve=approve, reject=reject) is Signal.APPROVE
    assert reaction_signal("x", approve=approve, reject=reject) is Signal.REJECT
    assert reaction_signal("tada", approve=approve, reject=reject) is None


def test_teams_names_whatever_their_case() -> None:
    approve, reject = frozenset({"like", "heart"}), frozenset({"angry"})
    assert reaction_signal(" Like ", approve=approve, reject=reject) is Signal.APPROVE
    assert reaction_signal("angry", approve=approve, reject=reject) is Signal.REJECT
    assert reaction_signal("laugh", approve=approve, reject=reject) is None
