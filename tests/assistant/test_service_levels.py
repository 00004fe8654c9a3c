"""First-response targets per tier, who is late, and what a rating says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigurationError
from assistant.service_levels import ServiceLevels, csat_helped, overdue
from assistant.threads import Conversation, ThreadState


def test_targets_parse_per_tier_with_a_default() -> None:
    levels = ServiceLevels.parse(" Enterprise=15, premium=30 ,default=120")
    assert levels.target("enterprise") == timedelta(minutes=15)
    assert levels.target("PREMIUM") == timedelta(minutes=30)
    assert levels.target("standard") == levels.target(None) == timedelta(minutes=120)
    assert levels.shortest == timedelta(minutes=15)
    assert ServiceLevels.parse("").target("x") == timedelta(minutes=240)


@pytest.mark.parametrize("bad", ["premium", "premium=0", "=30", "premium=soon"])
def test_a_bad_target_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        ServiceLevels.parse(bad)
    with pytest.raises(ConfigurationError):
        load_settings(first_response_minutes=bad)


def test_only_a_conversation_waiting_on_people_can_be_late() -> None:
    levels = ServiceLevels.parse("premium=30")
    opened = Conversation.start(platform="slack", channel="C", thread="1", account="acme", asker="U")
    handed = opened.moved(ThreadState.HANDED_OFF)
    later = handed.updated_at + timedelta(minutes=31)
    late = overdue(handed, "premium", levels, later)
    assert late is not None and late.waited == timedelta(minutes=31) and late.target == timedelta(minutes=30)
    assert overdue(handed, None, levels, later) is None  # the default is 240 minutes
    assert overdue(handed.moved(ThreadState.WAITING_ON_CUSTOMER), "premium", levels, later) is None
    same = overdue(handed.moved(ThreadState.HANDED_OFF), "premium", levels, later + timedelta(hours=1))
    assert same is not None and same.key == late.key  # the customer wrote again: the same wait
    replied = handed.moved(ThreadState.WAITING_ON_CUSTOMER)
    again = overdue(replied.moved(ThreadState.HANDED_OFF), "premium", levels, later + timedelta(hours=1))
    assert again is not None and again.key != late.key  # a new waiting period, a new reminder


def test_what_a_rating_says() -> None:
    assert (csat_helped(3), csat_helped(2), csat_helped(1)) == (True, None, False)
