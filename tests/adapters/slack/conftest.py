"""Fixtures of the Slack tests: the real Bolt app on loopback, a fake Slack Web API, a real SQLite
store and the real embedder.

The set-up itself lives in ``harness.py`` (shared with the load test and the scale benchmark);
its names are re-exported here because the tests import them from this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.config import DEFAULT_INNER_LAYER
from tests.adapters.slack.harness import (
    ACME_TEAM,
    AGENT,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    HANDOFF_CHANNEL,
    OTHER_CUSTOMER,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    SIGNING_SECRET,
    VAGUE,
    Harness,
    bind_channels,
    database_url,
    populate,
    running_harness,
    slack_settings,
)

__all__ = [
    "ACME_TEAM",
    "AGENT",
    "CUSTOMER",
    "CUSTOMER_CHANNEL",
    "HANDOFF_CHANNEL",
    "OTHER_CUSTOMER",
    "PASSWORD_A",
    "PASSWORD_Q",
    "SEED",
    "SIGNING_SECRET",
    "VAGUE",
    "Harness",
    "bind_channels",
    "database_url",
    "embedder",
    "harness",
    "populate",
    "slack_settings",
]


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The bundled MiniLM with the product's default inner layer, loaded once: it takes a few seconds."""
    return SentenceTransformerEmbedder(inner_layer=DEFAULT_INNER_LAYER)


@pytest.fixture
async def harness(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    async with running_harness(database_url(tmp_path), embedder, background_refit=False) as started:
        yield started
