"""Every shape of a failed Bot Connector call (issue 15, item 5), through the real bot: a proxy's
HTML or plain-text 502, a 200 whose body is not JSON, a JSON 503. The answer is not lost: the
message stays in the inbox and the sweep answers it once the connector recovers. (The Teams side
already held here when issue 15 was fixed: this test keeps it so; the Slack side's is
``tests/adapters/slack/test_api_error_shapes.py``.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from tests.adapters.teams.conftest import PASSWORD_A, PASSWORD_Q, card_of, card_text, populate, settings_for
from tests.adapters.teams.test_inbox import FlakyConnector, flaky_bot, inbox_status, key_of, wait_status

SHAPES = {
    "html-502": (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "plain-502": (502, "Bad Gateway", "text/plain"),
    "not-json-200": (200, "{not json", "application/json"),
    "html-200": (200, "<html>maintenance</html>", "text/html"),
    "json-503": (503, '{"error": {"code": "ServiceUnavailable", "message": "down"}}', "application/json"),
}


class ProxiedConnector(FlakyConnector):
    """Replies and sends fail ``failures`` times with the given page, as a proxy in front of the
    Bot Connector answers."""

    page: tuple[int, str, str] = SHAPES["html-502"]

    async def _outage(self) -> web.Response | None:
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            status, body, content_type = self.page
            return web.Response(text=body, status=status, content_type=content_type)
        return None


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
async def test_an_answer_the_connector_failed_oddly_is_sent_by_the_sweep(
    shape: str, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    async with ProxiedConnector() as connector:
        populate(connector)
        connector.page = SHAPES[shape]
        async with flaky_bot(settings_for(tmp_path), embedder, connector) as bot:
            connector.failures = 1
            asked = await bot.say(PASSWORD_Q)
            assert connector.refused == 1
            assert await inbox_status(bot, key_of(asked)) == ("pending", 1)
            bot.bot.start()
            assert await wait_status(bot, key_of(asked), "done") == 2
            await bot.settle()
            answers = [r for r in bot.replies(asked) if PASSWORD_A in card_text(card_of(r))]
            assert len(answers) == 1
