"""Fakes of external services that tests drive over real HTTP on loopback."""

from tests.fakes.anthropic_api import (
    Delay,
    FakeAnthropic,
    HttpError,
    RawBody,
    Reply,
    ScriptStep,
    api_error,
    overloaded,
    rate_limited,
)
from tests.fakes.slack_api import Call, FakeSlack
from tests.fakes.slack_requests import SlackSender

__all__ = [
    "Call",
    "Delay",
    "FakeAnthropic",
    "FakeSlack",
    "HttpError",
    "RawBody",
    "Reply",
    "ScriptStep",
    "SlackSender",
    "api_error",
    "overloaded",
    "rate_limited",
]
