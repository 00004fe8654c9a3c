"""The Slack app's settings: read once at start from ``SLACK_*`` environment variables (or .env).

HTTP mode needs ``SLACK_SIGNING_SECRET`` and ``SLACK_BOT_TOKEN``; Socket Mode needs
``SLACK_APP_TOKEN`` and ``SLACK_BOT_TOKEN``. ``load_slack_settings`` turns every bad or missing value
into one ``ConfigurationError`` that names the variables and says where to find them.
"""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigurationError

Mode = Literal["http", "socket"]

_WHERE = {
    "SLACK_BOT_TOKEN": "OAuth & Permissions > Bot User OAuth Token (xoxb-...)",
    "SLACK_SIGNING_SECRET": "Basic Information > App Credentials > Signing Secret",
    "SLACK_APP_TOKEN": "Basic Information > App-Level Tokens, with the connections:write scope (xapp-...)",
}


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip().strip(":") for name in value.split(",") if name.strip().strip(":"))


class SlackSettings(BaseSettings):
    """Credentials and behaviour of the Slack app."""

    model_config = SettingsConfigDict(
        env_prefix="SLACK_",
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    signing_secret: SecretStr | None = Field(default=None, description="Verifies HTTP requests from Slack.")
    bot_token: SecretStr | None = Field(default=None, description="The bot token (xoxb-...).")
    app_token: SecretStr | None = Field(
        default=None, description="An app-level token (xapp-...): Socket Mode."
    )
    api_url: str | None = Field(default=None, description="The Web API base URL (tests); ends in /api/.")
    agent_usergroup: str | None = Field(
        default=None, description="Only this user group's members are agents."
    )
    approve_emoji: str = Field(default="white_check_mark,+1,heavy_check_mark")
    reject_emoji: str = Field(default="x,-1,thumbsdown")
    handoff_channel: str | None = Field(
        default=None, description="Hand-off channel for customer channels that name none."
    )
    show_confidence: bool = Field(
        default=False, description="Show customers the answer's confidence (an internal figure by default)."
    )
    learned_reaction: bool = Field(
        default=False,
        description="Mark a reply the assistant learned with a :mortar_board: reaction customers can see.",
    )
    inbox_lease_seconds: float = Field(
        default=120, gt=0, description="How long an event's processing may take before a sweep retries it."
    )
    inbox_sweep_seconds: float = Field(
        default=30, gt=0, description="How often pending events left by a crash or a failure are retried."
    )
    inbox_max_attempts: int = Field(
        default=5, ge=1, description="After this many attempts an event is handed to people, not retried."
    )
    inbox_retention_hours: float = Field(
        default=24,
        ge=1,
        description="How long a finished event's id is kept (to refuse redeliveries); its body is "
        "emptied as soon as it is done.",
    )

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        path = parts.path.rstrip("/")
        if not path.endswith("/api"):
            path += "/api"
        return f"{parts.scheme}://{parts.netloc}{path}/"

    @field_validator("agent_usergroup", "handoff_channel")
    @classmethod
    def _slack_id(cls, value: str | None) -> str | None:
        if value is not None and (not value.isalnum() or not value.isupper()):
            raise ValueError("must be a Slack id such as S0123ABCD or C0123ABCD")
        return value or None

    @field_validator("approve_emoji", "reject_emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        if not _names(value):
            raise ValueError("must name at least one emoji, comma-separated, such as x,-1")
        return value

    @property
    def approve_names(self) -> frozenset[str]:
        return frozenset(_names(self.approve_emoji))

    @property
    def reject_names(self) -> frozenset[str]:
        return frozenset(_names(self.reject_emoji))

    @property
    def mode(self) -> Mode:
        """Socket Mode when an app token is set, else HTTP; raises if the credentials are incomplete."""
        lines = []
        if self.bot_token is None:
            lines.append(f"SLACK_BOT_TOKEN: not set ({_WHERE['SLACK_BOT_TOKEN']})")
        if self.app_token is None and self.signing_secret is None:
            lines.append(
                f"SLACK_SIGNING_SECRET: not set ({_WHERE['SLACK_SIGNING_SECRET']}); "
                f"or, for Socket Mode, set SLACK_APP_TOKEN ({_WHERE['SLACK_APP_TOKEN']})"
            )
        if lines:
            raise ConfigurationError("The Slack app is not configured:\n  " + "\n  ".join(lines))
        return "socket" if self.app_token is not None else "http"

    def secret(self, name: Literal["bot_token", "signing_secret", "app_token"]) -> str:
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() if value is not None else ""


def load_slack_settings(**overrides: object) -> SlackSettings:
    """Read and validate the Slack settings, one ConfigurationError naming every bad value."""
    try:
        return SlackSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "SLACK_" + "_".join(str(part) for part in error["loc"]).upper()
            where = f" ({_WHERE[name]})" if name in _WHERE else ""
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}{where}")
        raise ConfigurationError("Invalid Slack configuration:\n  " + "\n  ".join(lines)) from exc
