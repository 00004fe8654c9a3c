"""The integrations' settings, from the environment (or the .env file), checked at start.

Each integration is optional: GitHub is on when ``ASSISTANT_GITHUB_REPO`` is set, Jira when
``JIRA_URL`` is. A half-configured one (a repository without a token, a Jira site without its
project) stops the start with one line per missing or bad value. Tokens are ``SecretStr``: they
are sent only in the Authorization header and never printed or logged.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigurationError

REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
PROJECT = re.compile(r"^[A-Z][A-Z0-9_]+$")


class IntegrationSettings(BaseSettings):
    """GitHub Issues and Jira Cloud for bug tickets, and how the loop is closed."""

    model_config = SettingsConfigDict(
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    assistant_github_repo: str | None = Field(default=None, description="owner/name of the bug tracker")
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_webhook_secret: SecretStr | None = None
    assistant_github_allow_public: bool = False

    jira_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    assistant_jira_project: str | None = None
    assistant_jira_issue_type: str = "Bug"
    jira_webhook_secret: SecretStr | None = None

    assistant_accounts_file: str | None = Field(
        default=None, description="YAML or CSV of account profiles (name, plan, products, tier)"
    )
    hubspot_access_token: SecretStr | None = None
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_account_map: str | None = Field(default=None, description="CSV account,company_id|domain")
    hubspot_plan_property: str = "plan"
    hubspot_arr_property: str = "annualrevenue"
    hubspot_renewal_property: str = "renewal_date"
    hubspot_tier_property: str = "tier"
    assistant_hubspot_churn_threshold: float = Field(default=50.0, ge=0, le=100)
    assistant_hubspot_context_timeout_seconds: float = Field(default=3.0, gt=0)

    assistant_crawl_urls: str = Field(default="", description="sitemaps or start URLs re-crawled by serve")
    assistant_crawl_hours: float = Field(default=24.0, gt=0)

    assistant_tickets_auto_confidence: float | None = Field(default=None, gt=0, le=1)
    assistant_tickets_notify: Literal["threads", "agents", "none"] = "threads"
    assistant_tickets_label: str = "support-assistant"
    assistant_tickets_sync_minutes: float = Field(default=10.0, gt=0)
    assistant_integrations_timeout_seconds: float = Field(default=15.0, gt=0)
    assistant_integrations_attempts: int = Field(default=4, ge=1, le=10)

    @field_validator("assistant_github_repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and not REPO.match(value.strip()):
            raise ValueError(f"'{value}' is not owner/name")
        return value.strip() if value else None

    @field_validator("github_api_url", "jira_url", "hubspot_api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("assistant_crawl_urls")
    @classmethod
    def _crawl_urls(cls, value: str) -> str:
        for url in (part.strip() for part in value.split(",") if part.strip()):
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return value

    @field_validator("assistant_jira_project")
    @classmethod
    def _project(cls, value: str | None) -> str | None:
        if value is not None and not PROJECT.match(value):
            raise ValueError(f"'{value}' is not a Jira project key such as SUP")
        return value

    @property
    def github(self) -> bool:
        return self.assistant_github_repo is not None

    @property
    def jira(self) -> bool:
        return self.jira_url is not None

    @property
    def hubspot(self) -> bool:
        return self.hubspot_access_token is not None

    @property
    def crawl_urls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.strip() for p in self.assistant_crawl_urls.split(",") if p.strip()))

    @property
    def anything(self) -> bool:
        """Whether any integration is configured (else serve starts no integration job)."""
        return self.any_tracker or self.hubspot or bool(self.crawl_urls)

    @property
    def any_tracker(self) -> bool:
        return self.github or self.jira

    def problems(self) -> list[str]:
        """What a half-configured integration lacks (empty when all is well)."""
        lines = []
        if self.github and not self.github_token:
            lines.append("GITHUB_TOKEN: required when ASSISTANT_GITHUB_REPO is set")
        if self.jira:
            for name, value in (
                ("JIRA_EMAIL", self.jira_email),
                ("JIRA_API_TOKEN", self.jira_api_token),
                ("ASSISTANT_JIRA_PROJECT", self.assistant_jira_project),
            ):
                if not value:
                    lines.append(f"{name}: required when JIRA_URL is set")
        elif self.assistant_jira_project or self.jira_api_token:
            lines.append("JIRA_URL: required when ASSISTANT_JIRA_PROJECT or JIRA_API_TOKEN is set")
        if self.assistant_accounts_file and not os.path.isfile(self.assistant_accounts_file):
            lines.append(f"ASSISTANT_ACCOUNTS_FILE: no such file {self.assistant_accounts_file!r}")
        if self.hubspot_account_map and not os.path.isfile(self.hubspot_account_map):
            lines.append(f"HUBSPOT_ACCOUNT_MAP: no such file {self.hubspot_account_map!r}")
        return lines


def load_integration_settings(**overrides: object) -> IntegrationSettings:
    """Read and validate, raising one ConfigurationError that names every bad or missing value."""
    try:
        settings = IntegrationSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError("Invalid integrations configuration:\n  " + "\n  ".join(lines)) from exc
    problems = settings.problems()
    if problems:
        raise ConfigurationError("Invalid integrations configuration:\n  " + "\n  ".join(problems))
    return settings
