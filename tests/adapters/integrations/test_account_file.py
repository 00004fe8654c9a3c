"""Account profiles from a YAML or CSV file (``ASSISTANT_ACCOUNTS_FILE``), and the composition
root's choice between HubSpot and the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.integrations.account_file import FileAccountContext, read_accounts
from adapters.integrations.accounts import account_context
from adapters.integrations.settings import IntegrationSettings
from assistant.errors import MalformedFileError

SAMPLE = Path(__file__).parents[3] / "samples" / "accounts.yaml"


def settings(**values: Any) -> IntegrationSettings:
    return IntegrationSettings(_env_file=None, **values)  # type: ignore[call-arg]


async def test_the_sample_file_names_every_sample_account() -> None:
    accounts = FileAccountContext(SAMPLE)
    acme = await accounts.profile("acme")
    assert acme is not None and acme.display_name == "Acme Corp"
    assert (acme.plan, acme.tier) == ("Growth", "premium") and "Payments" in acme.products
    assert {"acme", "globex", "initech", "umbrella"} == {
        a for a in ("acme", "globex", "initech", "umbrella") if await accounts.profile(a)
    }
    assert await accounts.profile("slack:T0GLOBEX") is None


def test_csv_rows_with_lists_dates_and_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "account,name,plan,products,renewal_date,arr,region\n"
        "acme,Acme Corp,Pro,Invoicing;Payments,2027-03-01,12000,EU\n"
        "globex,,,,,,\n",
        encoding="utf-8",
    )
    profiles = read_accounts(path)
    acme = profiles["acme"]
    assert acme.products == ("Invoicing", "Payments") and acme.renewal_date == date(2027, 3, 1)
    assert acme.arr == 12000.0 and acme.extra == {"region": "EU"}
    assert profiles["globex"].display_name == "globex"


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("a.csv", "account,name\n,Nameless\n", 2),
        ("a.csv", "account,arr\nacme,lots\n", 2),
        ("a.csv", "account\nacme\nacme\n", 3),
        ("a.yaml", "accounts: [1, 2]\n", None),
        ("a.yaml", "accounts:\n  - account: acme\n   name: [\n", 3),
        ("a.json", "{}", None),
    ],
)
def test_a_bad_file_fails_with_where(tmp_path: Path, name: str, content: str, line: int | None) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MalformedFileError) as raised:
        read_accounts(path)
    assert raised.value.path == str(path) and raised.value.line == line


async def test_the_file_is_the_context_when_no_crm_is_configured() -> None:
    context = account_context(settings(assistant_accounts_file=str(SAMPLE)))
    assert isinstance(context, FileAccountContext)
    profile = await account_context(settings()).profile("acme")
    assert profile is None  # nothing configured: every account is just its id


def test_a_missing_accounts_file_is_a_settings_problem() -> None:
    assert any(
        "ASSISTANT_ACCOUNTS_FILE" in p for p in settings(assistant_accounts_file="/nope.yaml").problems()
    )


def test_hubspot_when_configured_falls_back_to_the_file() -> None:
    from adapters.integrations.accounts import GuardedAccountContext

    context = account_context(settings(assistant_accounts_file=str(SAMPLE), hubspot_access_token="pat"))
    assert isinstance(context, GuardedAccountContext)
    assert isinstance(context.fallback, FileAccountContext)
