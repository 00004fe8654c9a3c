"""The question rate limits: token buckets per user and per channel, on a hand-stepped clock."""

from __future__ import annotations

import pytest

from assistant.limits import QuestionLimits, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_user_may_ask_a_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    limits = QuestionLimits(per_user=3, per_channel=100, clock=clock)
    assert [limits.check(user="U1", channel="C1").allowed for _ in range(3)] == [True, True, True]
    refused = limits.check(user="U1", channel="C1")
    assert not refused.allowed and refused.scope == "user"
    assert refused.retry_after == 20  # one token per 20 s at 3 per minute
    clock.now += 19.5
    assert not limits.check(user="U1", channel="C1").allowed
    clock.now += 0.5
    assert limits.check(user="U1", channel="C1").allowed
    assert not limits.check(user="U1", channel="C1").allowed


def test_other_users_are_not_affected_but_the_channel_limit_is_shared() -> None:
    clock = Clock()
    limits = QuestionLimits(per_user=2, per_channel=3, clock=clock)
    assert limits.check(user="U1", channel="C1").allowed
    assert limits.check(user="U1", channel="C1").allowed
    assert not limits.check(user="U1", channel="C1").allowed
    assert limits.check(user="U2", channel="C1").allowed
    refused = limits.check(user="U3", channel="C1")
    assert not refused.allowed and refused.scope == "channel"
    assert limits.check(user="U3", channel="C2").allowed


def test_a_refusal_takes_no_token_from_the_other_bucket() -> None:
    clock = Clock()
    limits = QuestionLimits(per_user=60, per_channel=1, clock=clock)
    assert limits.check(user="U1", channel="C1").allowed
    for _ in range(10):
        assert not limits.check(user="U1", channel="C1").allowed
    assert limits.users.available("U1") == pytest.approx(59)


def test_buckets_never_hold_more_than_their_capacity() -> None:
    clock = Clock()
    buckets = TokenBuckets(5, clock=clock)
    buckets.take("k")
    clock.now += 3600
    assert buckets.available("k") == 5
    assert buckets.wait("k") == 0


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBuckets(0)
