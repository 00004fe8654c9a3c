"""One settings object, read once at start from the environment and an optional file.

Every threshold a user may want to change lives here, with its default; nothing else reads the
environment. ``load_settings`` turns validation failures into one clear message per bad value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.answering.calibration import NOVELTY_QUANTILE
from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from assistant.service_levels import ServiceLevels

DEFAULT_EMBEDDING_MODEL = "bundled:all-MiniLM-L6-v2"
#: The encoder layer whose states the resolution head may weigh (``retrieval.vectors``): of the
#: bundled model's six, the third added the most in replays (the second and fourth a little less).
DEFAULT_INNER_LAYER = 3
#: What executes the embedding model: ONNX Runtime (small, quick to start) or torch (any model).
EmbeddingRuntime = Literal["onnx", "torch"]
#: What a silent answer is taken for (``answering.calibration``).
SilenceHandling = Literal["discounted", "estimated"]


class Settings(BaseSettings):
    """Configuration of the assistant; environment variables win over the file."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./assistant.db",
        description="SQLAlchemy URL of the store (SQLite by default, PostgreSQL for scale).",
    )
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description="A sentence-transformers model name or path; 'bundled:all-MiniLM-L6-v2' is offline.",
    )
    embedding_runtime: EmbeddingRuntime = Field(
        default="onnx",
        description="'onnx' runs BERT-family models on ONNX Runtime; 'torch' runs any model (torch extra).",
    )
    embedding_inner_layer: int = Field(
        default=DEFAULT_INNER_LAYER,
        ge=0,
        description=(
            "An encoder layer whose pooled states each vector also carries, for the resolution head"
            " to weigh once its own examples show they help (0: none). Turning it on re-embeds the"
            " stored knowledge once, at start."
        ),
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where the onnx runtime keeps the graph it builds (default ~/.cache/support-assistant).",
    )
    target_precision: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Answer only when this precision is expected."
    )
    novelty_quantile: float = Field(
        default=NOVELTY_QUANTILE,
        ge=0.0,
        lt=0.5,
        description=(
            "Hand off questions less familiar than this share of those their resolution answered rightly."
        ),
    )
    implicit_acceptance_hours: float = Field(
        default=24.0,
        ge=0,
        description="An answer nobody objected to within this time counts as (weakly) right.",
    )
    silence: SilenceHandling = Field(
        default="discounted",
        description=(
            "What a silent answer counts for: 'discounted' (half a yes, safe when agents leave"
            " some wrong answers uncorrected) or 'estimated' (read from how often agents approve"
            " and correct; for teams that correct every wrong answer they see)."
        ),
    )
    spot_check_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description=(
            "Share of silent answers put to an agent to judge (0: none); their verdicts say what"
            " silence means instead of the discount."
        ),
    )
    redact_personal_data: bool = Field(
        default=True,
        description="Replace e-mails, phones, card and account numbers in questions before use.",
    )
    max_question_chars: int = Field(default=40_000, gt=0)
    questions_per_user_per_minute: float = Field(
        default=20, gt=0, description="Chat questions one person may ask per minute; more are refused."
    )
    questions_per_channel_per_minute: float = Field(
        default=60, gt=0, description="Chat questions one channel may ask per minute; more are refused."
    )
    first_response_minutes: str = Field(
        default="default=240",
        description="First-response targets per account tier in minutes: 'premium=30,default=240'.",
    )
    service_level_check_seconds: float = Field(
        default=60.0, gt=0, description="How often conversations waiting on people are checked against them."
    )
    retrieval_limit: int = Field(default=20, gt=0, le=200)
    sync_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Catch up with other instances' learning at most this often (0: before every ask).",
    )

    weaviate_url: str | None = Field(default=None, validation_alias="WEAVIATE_URL")
    weaviate_api_key: SecretStr | None = Field(default=None, validation_alias="WEAVIATE_API_KEY")
    weaviate_grpc_port: int = Field(default=50051, gt=0, lt=65536, validation_alias="WEAVIATE_GRPC_PORT")
    weaviate_collection: str = Field(
        default="SupportKnowledge",
        pattern=r"^[A-Z][A-Za-z0-9_]*$",
        validation_alias="WEAVIATE_COLLECTION",
        description="One collection per workspace: give each workspace's instances their own name.",
    )
    weaviate_vectorizer: str | None = Field(
        default=None,
        validation_alias="WEAVIATE_VECTORIZER",
        description="A Weaviate text2vec module name; unset, the assistant computes the vectors.",
    )

    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    anthropic_model: str = Field(default="claude-sonnet-4-5", validation_alias="ANTHROPIC_MODEL")
    llm_timeout_seconds: float = Field(default=20.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @field_validator("first_response_minutes")
    @classmethod
    def _service_levels(cls, value: str) -> str:
        from assistant.service_levels import ServiceLevels

        try:
            ServiceLevels.parse(value)
        except ConfigurationError as exc:
            raise ValueError(exc.message) from exc
        return value

    @property
    def service_levels(self) -> ServiceLevels:
        """The first-response targets (``first_response_minutes``), parsed."""
        from assistant.service_levels import ServiceLevels

        return ServiceLevels.parse(self.first_response_minutes)


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings, raising one ConfigurationError that names every bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            env = f"ASSISTANT_{name.upper()}" if not name.isupper() else name
            lines.append(f"{env}: {error['msg']}")
        raise ConfigurationError("Invalid configuration:\n  " + "\n  ".join(lines)) from exc


def default_database_url_for(path: Path) -> str:
    """The SQLite URL for a file path, as the CLI's --db accepts plain paths too."""
    return f"sqlite+aiosqlite:///{path}"
