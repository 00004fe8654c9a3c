"""Property-based tests of ``/api/messages`` on the real Bot Framework stack (loopback, the fake
Bot Connector): a body that is not an activity is a 400 and stores nothing; an activity with
arbitrary field values (of the right shape or not) is never a 500."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.adapters.teams.conftest import AGENT, CUSTOMER, CUSTOMER_CHANNEL, Harness

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
NOT_ACTIVITIES = (
    JSON_VALUES.filter(lambda value: not isinstance(value, dict))
    | st.dictionaries(st.sampled_from(["text", "from", "conversation", "id", "x"]), JSON_VALUES, max_size=4)
    | st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "invoke"]), "serviceUrl": st.sampled_from(["", "ftp://x", 3])}
    )
)


async def stored_questions(harness: Harness) -> int:
    return int((await harness.assistant.store.stats())["questions"])


@EXAMPLES
@given(body=NOT_ACTIVITIES)
async def test_a_non_activity_is_a_400_and_stores_nothing(harness: Harness, body: Any) -> None:
    before = await stored_questions(harness)
    status, _ = await harness.post(body)
    assert status == 400, (status, body)
    assert await stored_questions(harness) == before


@EXAMPLES
@given(raw=st.binary(max_size=200))
async def test_bytes_that_are_not_json_are_a_400(harness: Harness, raw: bytes) -> None:
    try:
        json.loads(raw)
    except ValueError:
        status, _ = await harness.sender.post(None, raw=raw)
        assert status == 400


@EXAMPLES
@given(
    kind=st.sampled_from(["message", "invoke", "conversationUpdate", "messageReaction", "event", "typing"]),
    text=st.none() | st.text(max_size=200) | JSON_VALUES,
    value=st.none() | JSON_VALUES,
    name=st.none() | st.sampled_from(["adaptiveCard/action", "composeExtension/query", "x"]),
    sender=st.sampled_from([CUSTOMER, AGENT, {"id": "29:stranger"}]),
    channel_data=st.none() | JSON_VALUES,
    extra=st.dictionaries(st.sampled_from(["replyToId", "entities", "attachments", "locale"]), JSON_VALUES),
)
async def test_an_activity_with_arbitrary_fields_is_never_a_500(
    harness: Harness,
    kind: str,
    text: Any,
    value: Any,
    name: Any,
    sender: dict[str, Any],
    channel_data: Any,
    extra: dict[str, Any],
) -> None:
    activity = harness.teams.channel_message(CUSTOMER_CHANNEL, sender, "hello")
    activity.update(type=kind, text=text, value=value, name=name, channelData=channel_data, **extra)
    status, _ = await harness.post(activity)
    # 501 is the Bot Framework's documented answer to an invoke the bot does not implement.
    assert status < 500 or (status == 501 and kind == "invoke"), (status, activity)
