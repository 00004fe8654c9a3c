"""The web console's settings: read once at start from ``ASSISTANT_CONSOLE_*`` variables (or .env).

Who may sign in:

* ``ASSISTANT_CONSOLE_TOKEN``: one token that sees every account;
* ``ASSISTANT_CONSOLE_TOKENS``: ``token:scope`` pairs separated by commas, where the scope is ``*``
  (every account) or one account id: ``ASSISTANT_CONSOLE_TOKENS=s3cret:*,acme-lead-token:acme``.

With neither set the console refuses every sign-in, unless it runs as the local demo (``open``:
``make demo`` on 127.0.0.1 only), where nobody needs to sign in.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigurationError

ALL_ACCOUNTS = "*"
MIN_TOKEN_CHARS = 8


class ConsoleSettings(BaseSettings):
    """Access to the console and where its replay page looks for replay directories."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_CONSOLE_",
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    token: SecretStr | None = Field(default=None, description="A token that sees every account.")
    tokens: SecretStr | None = Field(default=None, description="token:scope pairs, comma-separated.")
    open: bool = Field(default=False, description="No sign-in (the local demo only).")
    replay_dir: Path | None = Field(default=None, description="Folder whose subfolders are replay sets.")
    agent_name: str = Field(default="console-agent", description="Who the sandbox's agent side is.")

    @field_validator("tokens")
    @classmethod
    def _pairs(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_tokens(value.get_secret_value())
        return value

    def scopes(self) -> dict[str, str | None]:
        """Each accepted token and its scope: None for every account, else the one account."""
        found: dict[str, str | None] = {}
        if self.token is not None and self.token.get_secret_value():
            found[self.token.get_secret_value()] = None
        if self.tokens is not None:
            found.update(parse_tokens(self.tokens.get_secret_value()))
        return found


def parse_tokens(value: str) -> dict[str, str | None]:
    """``"t1:*,t2:acme"`` → ``{"t1": None, "t2": "acme"}``; ValueError naming what is wrong."""
    found: dict[str, str | None] = {}
    for number, pair in enumerate((p.strip() for p in value.split(",")), start=1):
        if not pair:
            continue
        token, sep, scope = pair.rpartition(":")
        if not sep or not token or not scope.strip():
            raise ValueError(f"pair {number} is not token:scope (scope is * or an account id)")
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"the token of pair {number} is shorter than {MIN_TOKEN_CHARS} characters")
        found[token] = None if scope.strip() == ALL_ACCOUNTS else scope.strip()
    return found


def load_console_settings(**overrides: object) -> ConsoleSettings:
    """Read and validate the settings; one ConfigurationError naming every bad value."""
    try:
        return ConsoleSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"ASSISTANT_CONSOLE_{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ConfigurationError("Invalid console configuration:\n  " + "\n  ".join(lines)) from exc
