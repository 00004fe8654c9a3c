"""Every threshold of the insights layer, with its default, in one settings object.

Read once at start from ``ASSISTANT_INSIGHTS_*`` environment variables (or the .env file), like
``assistant.config.Settings``; tests and benchmarks construct it with keyword arguments. Churn
weights are one nested object (``ASSISTANT_INSIGHTS_CHURN_WEIGHTS='{"negative_replies": 2}'``).
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigurationError


class ChurnWeights(BaseModel):
    """How much each churn signal counts; a weight of 0 switches a signal off."""

    model_config = ConfigDict(frozen=True)

    volume_rising: float = Field(default=1.0, ge=0)
    basic_questions_late: float = Field(default=1.0, ge=0)
    repeated_handoffs: float = Field(default=1.0, ge=0)
    negative_replies: float = Field(default=1.5, ge=0)
    still_need_help: float = Field(default=1.5, ge=0)
    silence_after_heavy_use: float = Field(default=2.0, ge=0)

    def as_dict(self) -> dict[str, float]:
        return {name: float(value) for name, value in self.model_dump().items()}


class InsightSettings(BaseSettings):
    """Thresholds and schedules of topics, bugs, anomalies, churn, requests, gaps and digests."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_INSIGHTS_",
        env_file=os.environ.get("ASSISTANT_CONFIG_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # schedules (cron expressions, five fields, in ``timezone``)
    timezone: str = Field(default="UTC", description="IANA time zone of the schedules and of 'a day'.")
    weekly_digest_cron: str = Field(default="0 9 * * mon", description="Weekly digest (Monday 09:00).")
    anomaly_check_cron: str = Field(default="0 8 * * *", description="Daily anomaly check.")
    bug_scan_cron: str = Field(default="0 * * * *", description="Hourly bug scan.")
    job_lease_minutes: float = Field(
        default=60.0, gt=0, description="A claimed run not finished by then may be run again."
    )

    # topics
    topic_similarity: float = Field(default=0.5, gt=0, lt=1, description="Cosine to join a topic.")
    topic_keywords: int = Field(default=4, ge=1, le=10)

    # bugs
    bug_min_messages: int = Field(default=3, ge=1)
    bug_min_accounts: int = Field(default=2, ge=1)
    bug_window_hours: float = Field(default=48.0, gt=0)
    bug_probability: float = Field(default=0.5, gt=0, lt=1, description="Classifier's P(bug) to count.")
    bug_similarity: float = Field(default=0.55, gt=0, lt=1, description="Cosine of one bug's messages.")
    bug_match_similarity: float = Field(
        default=0.7, gt=0, lt=1, description="Cosine at which a new group is a known bug."
    )
    bug_merge_similarity: float = Field(
        default=0.65, gt=0, lt=1, description="Cosine of two wordings' centroids that are one bug."
    )
    bug_growth: float = Field(
        default=3.0, gt=1, description="A bug is at least this many times its usual volume (or new)."
    )
    bug_history_days: int = Field(default=28, ge=0, description="History a bug scan compares with.")
    bug_examples: int = Field(default=5, ge=1)

    # anomalies
    anomaly_baseline_days: int = Field(default=56, ge=7)
    anomaly_min_history_days: int = Field(default=14, ge=1)
    anomaly_min_count: int = Field(default=5, ge=1, description="A topic's day needs this many.")
    anomaly_total_min_count: int = Field(default=10, ge=1, description="The total's day needs this many.")
    anomaly_min_accounts: int = Field(default=2, ge=1, description="A topic's day needs this many accounts.")
    anomaly_similarity: float = Field(
        default=0.65, gt=0, lt=1, description="Cosine of the fine topics whose volume is judged."
    )
    anomaly_ratio: float = Field(default=2.0, gt=1, description="Volume / expected to be a spike.")
    anomaly_p_value: float = Field(default=0.001, gt=0, lt=1, description="Poisson tail probability.")
    new_topic_days: int = Field(default=7, ge=1)
    new_topic_min_count: int = Field(default=8, ge=1)
    anomaly_examples: int = Field(default=3, ge=1)

    # churn
    churn_recent_days: int = Field(default=14, ge=1)
    churn_baseline_days: int = Field(default=56, ge=7)
    churn_young_days: int = Field(default=30, ge=1, description="An account's first days of life.")
    churn_mature_days: int = Field(default=90, ge=1, description="Basic questions after this are late.")
    churn_basic_share: float = Field(
        default=0.5, gt=0, le=1, description="A topic is basic when this share comes from young accounts."
    )
    churn_heavy_weekly: float = Field(default=5.0, gt=0, description="Questions a week that are heavy use.")
    churn_p_value: float = Field(
        default=0.01, gt=0, lt=1, description="How improbable under its normal a churn signal must be."
    )
    churn_min_evidence: int = Field(
        default=3, ge=1, description="Messages a churn signal rests on, at least."
    )
    churn_weights: ChurnWeights = Field(default_factory=ChurnWeights)
    churn_top: int = Field(default=10, ge=1)
    churn_min_score: float = Field(default=10.0, ge=0, le=100, description="Scores below are not named.")
    churn_renewal_days: int = Field(
        default=60, ge=0, description="An account renewing within this many days weighs more (CRM data)."
    )
    churn_renewal_factor: float = Field(
        default=1.25, ge=1, le=4, description="How much more: the score is multiplied by this (at most 100)."
    )

    # feature requests
    request_probability: float = Field(default=0.5, gt=0, lt=1)
    request_similarity: float = Field(default=0.5, gt=0, lt=1)
    request_min_messages: int = Field(
        default=3, ge=1, description="Messages a theme needs (a single one is not)."
    )

    # knowledge gaps
    gap_min_handoffs: int = Field(default=3, ge=1)
    gap_handoff_rate: float = Field(default=0.6, gt=0, le=1)

    # learning verdicts
    learning_window_days: int = Field(default=14, ge=1, description="Each of the two windows compared.")
    learning_min_questions: int = Field(default=50, ge=1, description="Questions needed in each window.")

    # the message classifier
    classifier_issues_dir: str | None = Field(
        default=None, description="NLBSE'24 CSVs to train the message classifier on, if present."
    )
    label_weight: float = Field(default=5.0, gt=0, description="Weight of an engineer's label.")

    # digests
    history_days: int = Field(default=92, ge=14, description="History loaded before a digest's week.")
    digest_limit: int = Field(default=10, ge=1, description="Rows per digest section.")

    # where the jobs post (comma-separated channel ids; none configured: the jobs do not run)
    slack_digest_channels: str = Field(
        default="", description="Slack channels (C0123ABCD,...) for the weekly digest and anomalies."
    )
    slack_engineering_channels: str = Field(
        default="", description="Slack channels for bug reports with their label buttons (else digest's)."
    )
    teams_digest_channels: str = Field(
        default="", description="Teams channels (19:...@thread.tacv2,...) for the digest and anomalies."
    )
    teams_engineering_channels: str = Field(
        default="", description="Teams channels for bug reports (else the digest channels)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/Berlin)") from None
        return value

    @field_validator("weekly_digest_cron", "anomaly_check_cron", "bug_scan_cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("must be a cron expression of five fields: minute hour day month weekday")
        return value

    @field_validator("slack_digest_channels", "slack_engineering_channels")
    @classmethod
    def _slack_channels(cls, value: str) -> str:
        for channel in _split(value):
            if not (channel.isalnum() and channel.isupper() and channel[0] in "CG"):
                raise ValueError(f"'{channel}' is not a Slack channel id such as C0123ABCD")
        return value

    @field_validator("teams_digest_channels", "teams_engineering_channels")
    @classmethod
    def _teams_channels(cls, value: str) -> str:
        for channel in _split(value):
            if not channel.startswith("19:") or "@thread" not in channel:
                raise ValueError(f"'{channel}' is not a Teams channel id such as 19:abc...@thread.tacv2")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slack_digest(self) -> tuple[str, ...]:
        return _split(self.slack_digest_channels)

    @property
    def slack_engineering(self) -> tuple[str, ...]:
        """Where Slack bug reports go: the engineering channels, else the digest channels."""
        return _split(self.slack_engineering_channels) or self.slack_digest

    @property
    def teams_digest(self) -> tuple[str, ...]:
        return _split(self.teams_digest_channels)

    @property
    def teams_engineering(self) -> tuple[str, ...]:
        return _split(self.teams_engineering_channels) or self.teams_digest

    @property
    def publishes_to_slack(self) -> bool:
        return bool(self.slack_digest or self.slack_engineering)

    @property
    def publishes_to_teams(self) -> bool:
        return bool(self.teams_digest or self.teams_engineering)

    @property
    def publishes(self) -> bool:
        """Whether any channel is configured (else no insight job is scheduled)."""
        return self.publishes_to_slack or self.publishes_to_teams


def _split(value: str) -> tuple[str, ...]:
    """Comma-separated ids, blanks dropped, order kept, duplicates once."""
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def load_insight_settings(**overrides: object) -> InsightSettings:
    """Read and validate the settings, raising one ConfigurationError that names every bad value."""
    try:
        return InsightSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"ASSISTANT_INSIGHTS_{'.'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ConfigurationError("Invalid insights configuration:\n  " + "\n  ".join(lines)) from exc
