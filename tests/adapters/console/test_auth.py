"""Console tokens and scopes: parsing the configuration, and what a scoped viewer may see."""

from __future__ import annotations

import pytest

from adapters.console.auth import Sessions, Viewer
from adapters.console.settings import load_console_settings, parse_tokens
from assistant.errors import ConfigurationError


def test_token_pairs_give_each_token_its_scope() -> None:
    assert parse_tokens("lead-token-1:*, acme-token-1:acme,") == {
        "lead-token-1": None,
        "acme-token-1": "acme",
    }


@pytest.mark.parametrize("value", ["no-scope-here", "short:*", "tokentoken:", ":acme"])
def test_a_malformed_pair_stops_the_start_with_the_variable_named(value: str) -> None:
    with pytest.raises(ConfigurationError, match="ASSISTANT_CONSOLE_TOKENS"):
        load_console_settings(tokens=value)


def test_the_single_token_sees_every_account_and_wrong_tokens_get_nothing() -> None:
    sessions = Sessions(load_console_settings(token="one-token-for-all", tokens="acme-token-1:acme"))
    assert sessions.check("one-token-for-all") == Viewer(scope=None)
    assert sessions.check("acme-token-1") == Viewer(scope="acme")
    assert sessions.check("one-token-for-al") is None
    assert sessions.check("") is None


def test_no_token_configured_means_no_sign_in() -> None:
    sessions = Sessions(load_console_settings(token=None, tokens=None, open=False))
    assert not sessions.configured and sessions.check("anything-at-all") is None


def test_a_scoped_viewer_sees_its_own_and_global_data_and_changes_only_its_own() -> None:
    acme = Viewer(scope="acme")
    assert acme.may_see("acme") and acme.may_see(None) and not acme.may_see("globex")
    assert acme.owns("acme") and not acme.owns(None) and not acme.owns("globex")
    assert Viewer(scope=None).owns("globex") and Viewer(scope=None).owns(None)
