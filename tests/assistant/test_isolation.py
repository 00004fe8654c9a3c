"""Account isolation, adversarially: 20 accounts plant private answers holding fake secrets and
every account tries to pull the others' out (verbatim, paraphrased, with the victim's id in the
text, by prompt injection). The real assistant (SQLite, embedded index, the offline embedder)
must leak nothing: no secret in any answer or draft, no other account's item among the sources.

The full battery, every attacker against every victim, is ``benchmarks/leak_battery.py``.
"""

from __future__ import annotations

import pytest

from assistant.models import Question
from assistant.service import Assistant
from tests.assistant.leak_battery import NAMES, TOPICS, find_leaks, run_battery, secret_of, teach_accounts


@pytest.mark.slow
async def test_no_account_gets_another_accounts_private_knowledge(assistant: Assistant) -> None:
    result = await run_battery(assistant, NAMES, victims_per_attacker=3)

    assert result.accounts == 20
    assert result.attempts >= 20 * 3 * 12
    assert result.leaks == []
    # The positive control: the planted secrets are there to be found by their owners.
    assert result.own_recalled == 20


async def test_the_leak_check_sees_a_secret_shown_to_another_account(assistant: Assistant) -> None:
    """The battery's detector is not blind: the owner's own answer, judged as if another account
    had received it, counts as leaks (its secret and its private item)."""
    await teach_accounts(assistant, NAMES[:2])
    secrets = {name: secret_of(name) for name in NAMES[:2]}
    own = await assistant.ask(Question(text=TOPICS[0][0], account="acme"))

    assert await find_leaks(assistant, own, "acme", secrets) == []
    leaks = await find_leaks(assistant, own, "globex", secrets)
    assert "globex saw acme's secret" in leaks
    assert any(leak.startswith("globex was shown acme's item") for leak in leaks)
