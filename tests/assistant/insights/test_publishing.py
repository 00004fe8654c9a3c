"""Where the insight jobs post: the configured channels, and the fan-out to several publishers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.errors import ConfigurationError
from assistant.insights.anomalies import Anomaly
from assistant.insights.bugs import BugScan
from assistant.insights.digest import Digest
from assistant.insights.publishing import FanOutPublisher, NullPublisher, PublishError
from assistant.insights.settings import load_insight_settings


class Recording:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def _called(self, what: str) -> None:
        self.calls.append(what)
        if self.fail:
            raise OSError(f"{what}: platform down")

    async def publish_digest(self, digest: Digest, charts: Sequence[tuple[str, bytes]]) -> None:
        await self._called("digest")

    async def publish_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        await self._called("anomalies")

    async def publish_bugs(self, scan: BugScan) -> None:
        await self._called("bugs")


async def test_fan_out_posts_to_each_publisher() -> None:
    first, second = Recording(), Recording()
    fan_out = FanOutPublisher([first, NullPublisher(), second])
    await fan_out.publish_bugs(BugScan())
    await fan_out.publish_anomalies([])
    assert first.calls == second.calls == ["bugs", "anomalies"]


async def test_one_failing_destination_does_not_silence_the_others() -> None:
    down, up = Recording(fail=True), Recording()
    with pytest.raises(PublishError) as raised:
        await FanOutPublisher([down, up]).publish_bugs(BugScan())
    assert up.calls == ["bugs"], "the second was still called"
    assert "1 of 2" in raised.value.message and isinstance(raised.value.__cause__, OSError)


def test_channels_are_lists_of_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INSIGHTS_SLACK_DIGEST_CHANNELS", " C0123ABCD, G0PRIVATE ,C0123ABCD")
    monkeypatch.setenv("ASSISTANT_INSIGHTS_TEAMS_DIGEST_CHANNELS", "19:abc@thread.tacv2")
    settings = load_insight_settings(_env_file=None)
    assert settings.slack_digest == ("C0123ABCD", "G0PRIVATE")
    assert settings.slack_engineering == settings.slack_digest, "bug reports default to the digest channels"
    assert settings.teams_engineering == ("19:abc@thread.tacv2",)
    assert settings.publishes and settings.publishes_to_slack and settings.publishes_to_teams

    engineering = load_insight_settings(_env_file=None, slack_engineering_channels="C0ENG")
    assert engineering.slack_engineering == ("C0ENG",)


def test_no_channel_means_nothing_is_published() -> None:
    settings = load_insight_settings(_env_file=None)
    assert not settings.publishes and settings.slack_engineering == ()


def test_bad_channel_ids_are_named() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_insight_settings(
            _env_file=None, slack_digest_channels="#support", teams_engineering_channels="General"
        )
    message = raised.value.message
    assert "ASSISTANT_INSIGHTS_SLACK_DIGEST_CHANNELS" in message and "'#support'" in message
    assert "ASSISTANT_INSIGHTS_TEAMS_ENGINEERING_CHANNELS" in message
