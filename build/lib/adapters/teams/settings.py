"""The Teams bot's settings: read once at start from the environment (or .env).

The Azure Bot registration gives ``MICROSOFT_APP_ID`` and ``MICROSOFT_APP_PASSWORD`` (and, for a
single-tenant bot, ``MICROSOFT_APP_TENANT_ID`` with ``MICROSOFT_APP_TYPE=SingleTenant``): every
request to ``/api/messages`` is then checked as the Bot Framework requires (a JWT signed by the
Bot Connector for this app id). ``TEAMS_ALLOW_UNAUTHENTICATED=1`` turns the check off for a local
emulator or tests only; the app then says so loudly (a warning at start and in ``/healthz``).

``load_teams_settings`` turns every bad or missing value into one ``ConfigurationError`` that
names the variables and says where to find them.
"""

from __future__ import annotations

import os
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigurationError

AppType = Literal["MultiTenant", "SingleTenant"]
AuthMode = Literal["authenticated", "unauthenticated"]

_WHERE = {
    "MICROSOFT_APP_ID": "Azure Bot > Configuration > Microsoft App ID",
    "MICROSOFT_APP_PASSWORD": "Azure Bot > Configuration > Manage Password > a client secret's value",
    "MICROSOFT_APP_TENANT_ID": "Azure Bot > Configuration > App Tenant ID (SingleTenant bots)",
}
_ENV = {
    "app_id": "MICROSOFT_APP_ID",
    "app_password": "MICROSOFT_APP_PASSWORD",
    "tenant_id": "MICROSOFT_APP_TENANT_ID",
    "app_type": "MICROSOFT_APP_TYPE",
}


def _env(field: str) -> AliasChoices:
    name = _ENV.get(field, f"TEAMS_{field.upper()}")
    return AliasChoices(field, name)


_SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9_]{2,}$")


def _ids(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def _url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


class TeamsSettings(BaseSettings):
    """Credentials and behaviour of the Teams bot."""

    model_config = SettingsConfigDict(
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    app_id: str | None = Field(default=None, validation_alias=_env("app_id"))
    app_password: SecretStr | None = Field(default=None, validation_alias=_env("app_password"))
    tenant_id: str | None = Field(default=None, validation_alias=_env("tenant_id"))
    app_type: AppType = Field(default="MultiTenant", validation_alias=_env("app_type"))
    allow_unauthenticated: bool = Field(
        default=False,
        validation_alias=_env("allow_unauthenticated"),
        description="Accept requests without a Bot Framework token: local testing only.",
    )
    agent_ids: str = Field(
        default="", validation_alias=_env("agent_ids"), description="AAD object ids of the agents."
    )
    agent_tenant_id: str | None = Field(
        default=None,
        validation_alias=_env("agent_tenant_id"),
        description="The vendor's own tenant id: its members are agents (default MICROSOFT_APP_TENANT_ID).",
    )
    customer_tenants: str = Field(
        default="", validation_alias=_env("customer_tenants"), description="Tenant ids of customers."
    )
    handoff_channel: str | None = Field(
        default=None,
        validation_alias=_env("handoff_channel"),
        description="Hand-off channel (19:...@thread...) for customer channels and chats that name none.",
    )
    handoff_slack_channel: str | None = Field(
        default=None,
        validation_alias=_env("handoff_slack_channel"),
        description="A Slack channel id (C...): Teams hand-offs go there instead of a Teams channel.",
    )
    openid_metadata_url: str | None = Field(
        default=None,
        validation_alias=_env("openid_metadata_url"),
        description="Where the Bot Connector's signing keys are published (sovereign clouds, tests).",
    )

    login_url: str | None = Field(
        default=None,
        validation_alias=_env("login_url"),
        description="The Entra authority the bot gets its own tokens from (sovereign clouds, tests).",
    )

    show_confidence: bool = Field(
        default=False,
        validation_alias=_env("show_confidence"),
        description="Show customers the answer's confidence (an internal figure by default).",
    )
    approve_reactions: str = Field(
        default="like,heart",
        validation_alias=_env("approve_reactions"),
        description="Reactions that approve an answer, or say an agent's reply is the answer.",
    )
    reject_reactions: str = Field(
        default="angry",
        validation_alias=_env("reject_reactions"),
        description="Reactions that reject the assistant's answer.",
    )

    inbox_lease_seconds: float = Field(
        default=120,
        gt=0,
        validation_alias=_env("inbox_lease_seconds"),
        description="How long a message's processing may take before a sweep retries it.",
    )
    inbox_sweep_seconds: float = Field(
        default=30,
        gt=0,
        validation_alias=_env("inbox_sweep_seconds"),
        description="How often messages left pending by a crash or a failure are retried.",
    )
    inbox_max_attempts: int = Field(
        default=5,
        ge=1,
        validation_alias=_env("inbox_max_attempts"),
        description="After this many attempts a message is handed to people, not retried.",
    )
    inbox_retention_hours: float = Field(
        default=24,
        ge=1,
        validation_alias=_env("inbox_retention_hours"),
        description="How long a finished message's id is kept (to refuse redeliveries); its body is "
        "emptied as soon as it is done.",
    )

    @field_validator("app_id", "tenant_id", "agent_tenant_id", "handoff_channel")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("handoff_slack_channel")
    @classmethod
    def _slack_channel(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not _SLACK_CHANNEL.match(value):
            raise ValueError("must be a Slack channel id (C0123ABCD: channel details > About, at the bottom)")
        return value

    @field_validator("app_password")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("app_type", mode="before")
    @classmethod
    def _app_type(cls, value: object) -> object:
        names = {"multitenant": "MultiTenant", "singletenant": "SingleTenant"}
        return names.get(str(value).strip().lower(), value) if value is not None else value

    @field_validator("openid_metadata_url")
    @classmethod
    def _metadata_url(cls, value: str | None) -> str | None:
        return _url(value)

    @field_validator("login_url")
    @classmethod
    def _login_url(cls, value: str | None) -> str | None:
        value = _url(value)
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https URL (the token authority)")
        return value

    @property
    def configured(self) -> bool:
        """Whether Teams was asked for at all (an app id, a password or the unauthenticated mode)."""
        return bool(self.app_id or self.app_password or self.allow_unauthenticated)

    @property
    def auth_mode(self) -> AuthMode:
        """How requests are checked; raises ConfigurationError when the credentials are incomplete."""
        if self.allow_unauthenticated:
            return "unauthenticated"
        lines = []
        if not self.app_id:
            lines.append(f"MICROSOFT_APP_ID: not set ({_WHERE['MICROSOFT_APP_ID']})")
        if self.app_password is None:
            lines.append(f"MICROSOFT_APP_PASSWORD: not set ({_WHERE['MICROSOFT_APP_PASSWORD']})")
        if self.app_type == "SingleTenant" and not self.tenant_id:
            lines.append(
                f"MICROSOFT_APP_TENANT_ID: needed when MICROSOFT_APP_TYPE=SingleTenant "
                f"({_WHERE['MICROSOFT_APP_TENANT_ID']})"
            )
        if lines:
            lines.append("or, for local testing only, TEAMS_ALLOW_UNAUTHENTICATED=1")
            raise ConfigurationError("The Teams bot is not configured:\n  " + "\n  ".join(lines))
        return "authenticated"

    @property
    def approve_reaction_set(self) -> frozenset[str]:
        return _ids(self.approve_reactions)

    @property
    def reject_reaction_set(self) -> frozenset[str]:
        return _ids(self.reject_reactions)

    @property
    def agent_id_set(self) -> frozenset[str]:
        return _ids(self.agent_ids)

    @property
    def customer_tenant_set(self) -> frozenset[str]:
        return _ids(self.customer_tenants)

    @property
    def home_tenant(self) -> str | None:
        """The vendor's tenant, whose members are agents (``roles.member_role``), lower-cased."""
        tenant = self.agent_tenant_id or self.tenant_id
        return tenant.lower() if tenant else None

    def check_agent_rule(self) -> None:
        """Raise ConfigurationError unless agents are defined explicitly: a customer must never be
        an agent by default (a multi-tenant bot cannot tell its own tenant from a customer's)."""
        if not self.agent_id_set and not self.home_tenant:
            raise ConfigurationError(
                "The Teams bot cannot tell agents from customers: set TEAMS_AGENT_TENANT_ID (or "
                "MICROSOFT_APP_TENANT_ID) to your organisation's tenant id (Entra admin center > "
                "Overview > Tenant ID), or TEAMS_AGENT_IDS to the agents' Entra object ids."
            )

    def check_handoff_destination(self, *, slack_configured: bool) -> None:
        """Raise ConfigurationError when hand-offs should go to Slack but Slack does not run here."""
        if self.handoff_slack_channel and not slack_configured:
            raise ConfigurationError(
                "TEAMS_HANDOFF_SLACK_CHANNEL is set, but Slack is not configured in this process: set "
                "SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), or unset "
                "TEAMS_HANDOFF_SLACK_CHANNEL to hand off to a Teams channel (TEAMS_HANDOFF_CHANNEL)."
            )

    def password(self) -> str:
        return self.app_password.get_secret_value() if self.app_password is not None else ""


def load_teams_settings(**overrides: object) -> TeamsSettings:
    """Read and validate the Teams settings, one ConfigurationError naming every bad value."""
    try:
        return TeamsSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            name = _ENV.get(field, f"TEAMS_{field.upper()}")
            where = f" ({_WHERE[name]})" if name in _WHERE else ""
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}{where}")
        raise ConfigurationError("Invalid Teams configuration:\n  " + "\n  ".join(lines)) from exc
