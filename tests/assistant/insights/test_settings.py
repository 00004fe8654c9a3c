"""Insight settings: defaults, environment, and one clear error for bad values."""

from __future__ import annotations

import pytest

from assistant.errors import ConfigurationError
from assistant.insights.settings import load_insight_settings


def test_defaults_match_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_insight_settings(_env_file=None)
    assert (settings.bug_min_messages, settings.bug_min_accounts, settings.bug_window_hours) == (3, 2, 48.0)
    assert settings.weekly_digest_cron == "0 9 * * mon" and settings.timezone == "UTC"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INSIGHTS_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("ASSISTANT_INSIGHTS_BUG_MIN_ACCOUNTS", "3")
    monkeypatch.setenv("ASSISTANT_INSIGHTS_CHURN_WEIGHTS", '{"negative_replies": 4}')
    settings = load_insight_settings(_env_file=None)
    assert settings.zone.key == "Europe/Berlin" and settings.bug_min_accounts == 3
    assert settings.churn_weights.negative_replies == 4 and settings.churn_weights.volume_rising == 1


def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INSIGHTS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigurationError) as raised:
        load_insight_settings(_env_file=None, bug_scan_cron="hourly", bug_min_messages=0)
    message = raised.value.message
    for name in ("TIMEZONE", "BUG_SCAN_CRON", "BUG_MIN_MESSAGES"):
        assert f"ASSISTANT_INSIGHTS_{name}" in message
