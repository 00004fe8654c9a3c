"""Property-based tests of the Slack edge through the real Bolt app on loopback.

Whatever arrives at ``/slack/events``: a correctly signed request is never refused as unsigned and
never fails with a 500; any change to a signed request (body, signature, a stale timestamp) is a
401; a slash command with arbitrary fields is acknowledged, never a 500. Each property runs a
bounded number of examples (deadlines off: the machine is shared) on one app instance.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.adapters.slack.conftest import AGENT, CUSTOMER, CUSTOMER_CHANNEL, HANDOFF_CHANNEL, Harness

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FORM = "application/x-www-form-urlencoded"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
EVENTISH = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "url_verification", "block_actions", "nonsense"])},
    optional={
        "event": st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "reaction_added", "app_home_opened", "x"])},
            optional={
                "text": st.text(max_size=80),
                "user": st.sampled_from([CUSTOMER, AGENT, "U_NOBODY", ""]),
                "channel": st.sampled_from([CUSTOMER_CHANNEL, HANDOFF_CHANNEL, "C_UNKNOWN"]),
                "ts": st.sampled_from(["1710000000.000001", "x", ""]),
                "subtype": st.sampled_from(["file_share", "bot_message", "message_deleted"]),
            },
        ),
        "event_id": st.text(max_size=12),
        "challenge": st.text(max_size=12),
        "team_id": JSON_VALUES,
    },
)

# Bodies Bolt can parse: JSON objects, form fields, a form ``payload`` holding a JSON object. What it
# cannot parse is a known bug (see the last test).
BODIES = (
    EVENTISH.map(lambda event: (json.dumps(event), "application/json"))
    | st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5).map(
        lambda value: (json.dumps(value), "application/json")
    )
    | st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=5)
    .map(lambda fields: (urlencode(fields), FORM))
    .filter(lambda body: "payload" not in body[0] and not body[0].startswith("{"))
    | EVENTISH.map(lambda event: (urlencode({"payload": json.dumps(event)}), FORM))
)


@EXAMPLES
@given(body=BODIES)
async def test_a_validly_signed_request_is_never_refused_nor_a_500(
    harness: Harness, body: tuple[str, str]
) -> None:
    status, _, _ = await harness.sender.post(body[0], body[1])
    await harness.settle()
    assert status != 401 and status < 500, status


@EXAMPLES
@given(
    body=BODIES,
    mutation=st.sampled_from(["body", "signature", "stale timestamp", "future timestamp", "no signature"]),
    position=st.integers(min_value=0),
)
async def test_any_change_to_a_signed_request_is_a_401(
    harness: Harness, body: tuple[str, str], mutation: str, position: int
) -> None:
    text, content_type = body
    now = int(time.time())
    signature = harness.sender.verifier.generate_signature(timestamp=str(now), body=text) or ""
    timestamp = now
    if mutation == "body":
        # Still a body Bolt parses (whitespace around JSON or a form), but not the one signed.
        text = text + " " if position % 2 else " " + text
    elif mutation == "signature":
        index = 3 + position % (len(signature) - 3)
        signature = signature[:index] + ("0" if signature[index] != "0" else "1") + signature[index + 1 :]
    elif mutation == "stale timestamp":
        timestamp = now - 60 * 6 - position % 10_000
        signature = harness.sender.verifier.generate_signature(timestamp=str(timestamp), body=text) or ""
    elif mutation == "future timestamp":
        timestamp = now + 60 * 6 + position % 10_000
        signature = harness.sender.verifier.generate_signature(timestamp=str(timestamp), body=text) or ""
    else:
        signature = "v0="
    status, _, _ = await harness.sender.post(text, content_type, timestamp=timestamp, signature=signature)
    assert status == 401, (mutation, status)


COMMAND_FIELDS = st.fixed_dictionaries(
    {
        "command": st.sampled_from(["/assistant", "/other", ""]),
        "text": st.one_of(
            st.text(max_size=120),
            st.sampled_from(["ask", "teach", "teach a | b", "teach | --private", "forget", "forget kn_x",
                             "learned", "stats", "help", "ask <!channel>", "teach q | <@U1> --private"]),
        ),
    },
    optional={
        "user_id": st.sampled_from([CUSTOMER, AGENT, "U_NOBODY", ""]),
        "channel_id": st.sampled_from([CUSTOMER_CHANNEL, HANDOFF_CHANNEL, "C_UNKNOWN", ""]),
        "team_id": st.sampled_from(["T_HOME", "T_ACME", ""]),
        "response_url": st.sampled_from(["", "not a url"]),
        "trigger_id": st.text(max_size=10),
    },
)  # fmt: skip


@EXAMPLES
@given(fields=COMMAND_FIELDS)
async def test_a_slash_command_with_any_fields_is_acknowledged_never_a_500(
    harness: Harness, fields: dict[str, str]
) -> None:
    status, _, _ = await harness.sender.command(fields)
    await harness.settle()
    assert status == 200 or (fields["command"] != "/assistant" and status == 404), status


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("0", "application/json"), ("[]", "application/json"), ("not json", "application/json"),
     ("{", FORM), ("payload=%7B", FORM),
     # Issue 15: nesting that made the JSON decoder raise RecursionError (a 500 with a traceback).
     ("[" * 5000, "application/json"), ("[" * 5000 + "]" * 5000, "application/json"),
     ('{"type": "event_callback", "event": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "application/json"),
     ("payload=" + "%5B" * 5000, FORM), ("payload=" + "%5B" * 5000 + "%5D" * 5000, FORM)],
    ids=["zero", "array", "not-json", "form-brace", "form-payload-brace", "nested-5000", "nested-closed",
         "nested-event", "form-nested-5000", "form-nested-closed"],
)  # fmt: skip
async def test_a_body_bolt_cannot_parse_is_refused_with_a_400(
    harness: Harness, body: str, content_type: str
) -> None:
    status, _, _ = await harness.sender.post(body, content_type)
    assert status == 400, status


@EXAMPLES
@given(timestamp=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12).filter(
    lambda t: not t.isdigit()
))
async def test_a_timestamp_that_is_not_a_number_is_a_401(harness: Harness, timestamp: str) -> None:
    status, _, _ = await harness.sender.post(
        "{}", "application/json", signature="v0=", headers={"X-Slack-Request-Timestamp": timestamp}
    )
    assert status == 401, status


@pytest.mark.parametrize(
    "body",
    [
        {"type": "event_callback", "event": "x", "event_id": "Ev1"},
        {"type": "x", "event": True},
        {"type": "event_callback", "event": None, "event_id": "Ev2"},
        {"type": "event_callback", "team_id": 7, "event": {"type": "message"}},
        {"type": "block_actions", "user": "U1", "team": "T1"},
    ],
)
async def test_a_signed_payload_with_a_field_of_the_wrong_type_is_a_400(
    harness: Harness, body: dict[str, object]
) -> None:
    status, _, _ = await harness.sender.post(json.dumps(body), "application/json")
    await harness.settle()
    assert status == 400, status
    assert (await harness.assistant.store.stats())["questions"] == 0
