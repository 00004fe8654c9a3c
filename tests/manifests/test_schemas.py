"""Both app manifests validate against the vendored schemas (``tests/manifests/schemas``, sources in
its README): Teams' v1.26 manifest schema (an excerpt) and SchemaStore's Slack app manifest schema.
Each check is shown to fail on a manifest the schema refuses, and the manifests say what the bot
handles: Teams' shared channels (``supportsChannelFeatures``), the ``help`` command and only the
permissions it uses; Slack's event subscriptions for the onboarding events and direct messages.

Needs the ``jsonschema`` package (dev extras); skipped where it is not installed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.teams import constants as ids
from adapters.teams import texts
from adapters.teams.manifest import fill_in

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
APP_ID = "0f3c5a86-2c3b-4a55-9d1e-6b2f7c8d9e01"


def teams_manifest() -> dict[str, Any]:
    return fill_in((ROOT / "manifests" / "teams" / "manifest.json").read_text(), APP_ID)


def slack_manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifests" / "slack" / "manifest.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def errors(schema_file: str, manifest: dict[str, Any]) -> list[str]:
    """What the schema refuses. Teams' schema says draft-04 but uses ``const`` (draft-06 on), which
    a draft-04 validator ignores: it is checked as draft-07, as Microsoft's tools honour ``const``."""
    schema = json.loads((SCHEMAS / schema_file).read_text())
    validator = jsonschema.Draft7Validator(schema)
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest))


TEAMS_SCHEMA = "MicrosoftTeams.v1.26.excerpt.schema.json"
SLACK_SCHEMA = "slack-app-manifest.json"


def test_the_teams_manifest_validates_against_the_v1_26_schema() -> None:
    manifest = teams_manifest()
    assert errors(TEAMS_SCHEMA, manifest) == []
    assert manifest["manifestVersion"] == "1.26" and "/v1.26/" in manifest["$schema"]
    assert manifest["supportsChannelFeatures"] == "tier1"  # shared channels: Teams' Slack Connect
    assert "permissions" not in manifest  # identity / messageTeamMembers: nothing uses them
    rsc = [p["name"] for p in manifest["authorization"]["permissions"]["resourceSpecific"]]
    assert rsc == ["ChannelMessage.Read.Group"]  # TeamMember.Read.Group: the roster API needs none
    [bot] = manifest["bots"]
    commands = {
        scope: [command["title"] for command in menu["commands"]]
        for menu in bot["commandLists"]
        for scope in menu["scopes"]
    }
    # spot-check is for agents: offered in the 1:1 chat, not in the menus customers see in channels
    assert commands == {
        "personal": [texts.HELP_COMMAND, texts.SPOT_CHECK_COMMAND],
        "team": [texts.HELP_COMMAND],
        "groupChat": [texts.HELP_COMMAND],
    }
    assert [c["id"] for c in manifest["composeExtensions"][0]["commands"]] == [ids.TEACH_REPLY_COMMAND]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda m: m.update(manifestVersion="1.17"), "['manifestVersion']"),
        (lambda m: m.update(supportsChannelFeatures="tier9"), "['supportsChannelFeatures']"),
        (lambda m: m["bots"][0].update(scopes=["groupchat"]), "['bots', 0, 'scopes', 0]"),
        (lambda m: m.update(permissions=["TeamMember.Read.Group"]), "['permissions', 0]"),
        (lambda m: m.update(id="{{MICROSOFT_APP_ID}}"), "['id']"),
    ],
)
def test_the_teams_schema_refuses_what_teams_refuses(change: Any, path: str) -> None:
    manifest = copy.deepcopy(teams_manifest())
    change(manifest)
    assert any(found.startswith(path) for found in errors(TEAMS_SCHEMA, manifest))


def test_the_slack_manifest_validates_and_subscribes_to_the_onboarding_events() -> None:
    manifest = slack_manifest()
    assert errors(SLACK_SCHEMA, manifest) == []
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"member_joined_channel", "channel_shared", "channel_unshared", "message.im"} <= events
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]  # message.im needs it
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


def test_the_slack_schema_refuses_a_display_name_with_spaces() -> None:
    manifest = slack_manifest()
    manifest["features"]["bot_user"]["display_name"] = "Support Assistant"
    assert errors(SLACK_SCHEMA, manifest) == [
        "['features', 'bot_user', 'display_name']: 'Support Assistant' does not match '^[\\\\w\\\\-.]+$'"
    ]
