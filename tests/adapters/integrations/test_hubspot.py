"""HubSpot: account context read from companies, churn risk written back, against a local fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.integrations.accounts import GuardedAccountContext, select_account_context
from adapters.integrations.http import JsonHttp
from adapters.integrations.hubspot import LISTED, REASONS, RISK, HubSpotCompanies, read_account_map
from adapters.integrations.runner import open_integrations, run_churn_push
from adapters.integrations.settings import IntegrationSettings
from assistant.accounts import AccountProfile, NoAccountContext
from assistant.config import Settings
from assistant.errors import MalformedFileError
from assistant.insights.churn import AccountRisk, ChurnSignal
from assistant.insights.settings import InsightSettings
from assistant.models import Question
from assistant.ports import Embedder
from assistant.service import Assistant
from tests.fakes.hubspot_api import FakeHubSpot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def hubspot() -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot() as fake:
        fake.companies["101"] = {
            "name": "Acme Corp", "domain": "acme.com", "hubspot_owner_id": "7", "annualrevenue": "120000",
            "plan": "Pro", "renewal_date": "1777593600000", "tier": "gold",
        }  # fmt: skip
        fake.companies["202"] = {"name": "Globex", "domain": "globex.io", "renewal_date": "2026-09-30"}
        fake.owners["7"] = {"id": "7", "email": "sam@vendor.test", "firstName": "Sam", "lastName": "Lee"}
        yield fake


def companies(fake: FakeHubSpot, **kw: object) -> HubSpotCompanies:
    http = JsonHttp(
        name="HubSpot",
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.token}"},
        sleep=no_sleep,
    )
    return HubSpotCompanies(http, **kw)  # type: ignore[arg-type]


def risk(account: str, score: float) -> AccountRisk:
    signal = ChurnSignal("still_need_help", 0.8, 1.5, score, "3 'still not working' messages this week")
    return AccountRisk(account, score, "still need help", [signal], 9, 4)


async def test_profile_by_domain_and_by_mapped_company_id(hubspot: FakeHubSpot) -> None:
    crm = companies(hubspot, account_map={"globex": "202"})
    try:
        acme = await crm.profile("acme.com")
        globex = await crm.profile("globex")
        assert await crm.profile("initech") is None  # neither mapped nor a domain: nothing asked
        assert await crm.profile("unknown.example") is None
    finally:
        await crm.http.close()
    assert acme == AccountProfile(
        account="acme.com", name="Acme Corp", plan="Pro", tier="gold", owner="Sam Lee", arr=120000.0,
        renewal_date=date(2026, 5, 1), domains=("acme.com",), extra={"hubspot_company_id": "101"},
    )  # fmt: skip
    assert globex is not None and globex.renewal_date == date(2026, 9, 30) and globex.owner is None
    search = hubspot.calls("POST", "/crm/v3/objects/companies/search")[0]
    assert search.body["filterGroups"] == [
        {"filters": [{"propertyName": "domain", "operator": "EQ", "value": "acme.com"}]}
    ]
    assert search.headers["Authorization"] == "Bearer pat-na1-test"
    read = hubspot.calls("GET", "/crm/v3/objects/companies/101")[0]
    assert set(read.query["properties"].split(",")) >= {
        "name",
        "hubspot_owner_id",
        "plan",
        "annualrevenue",
        "renewal_date",
    }


async def test_churn_risk_creates_its_properties_writes_scores_and_notes_entering_and_leaving(
    hubspot: FakeHubSpot,
) -> None:
    crm = companies(hubspot, account_map={"globex": "202"}, threshold=50)
    try:
        first = await crm.push_churn([risk("acme.com", 72.4)], ["acme.com", "globex", "initech"])
        again = await crm.push_churn([risk("acme.com", 75)], ["acme.com", "globex"])
        calmer = await crm.push_churn([risk("acme.com", 20)], ["acme.com", "globex"])
    finally:
        await crm.http.close()
    assert sorted(first.created_properties) == sorted([RISK, REASONS, LISTED])
    created = hubspot.calls("POST", "/crm/v3/properties/companies")
    assert [c.body["name"] for c in created] == [RISK, REASONS, LISTED]
    assert created[0].body["type"] == "number" and created[0].body["groupName"] == "companyinformation"
    assert first.entered == ["acme.com"] and first.unmapped == ["initech"]
    assert again.entered == [] and again.left == []
    assert calmer.left == ["acme.com"]
    patch = hubspot.calls("PATCH", "/crm/v3/objects/companies/101")[0]
    assert patch.body == {
        "properties": {
            RISK: "72",
            REASONS: "still need help: 3 'still not working' messages this week",
            LISTED: "true",
        }
    }
    assert hubspot.companies["101"][RISK] == "20" and hubspot.companies["101"][LISTED] == "false"
    assert hubspot.companies["202"][RISK] == "0"
    entered, left = hubspot.notes
    assert "entered the churn-risk list (risk 72/100)" in entered["properties"]["hs_note_body"]
    assert "left the churn-risk list" in left["properties"]["hs_note_body"]
    assert entered["associations"] == [
        {"to": {"id": "101"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}]}
    ]


async def test_dry_run_writes_nothing(hubspot: FakeHubSpot) -> None:
    crm = companies(hubspot)
    try:
        out = await crm.push_churn([risk("acme.com", 90)], ["acme.com"], dry_run=True)
    finally:
        await crm.http.close()
    assert out.written == ["acme.com → company 101: risk 90"]
    assert (
        hubspot.calls("PATCH") == []
        and hubspot.calls("POST", "/properties/companies") == []
        and not hubspot.notes
    )


async def test_a_crm_outage_never_blocks_a_profile(hubspot: FakeHubSpot) -> None:
    class FileContext:
        async def profile(self, account: str) -> AccountProfile | None:
            return AccountProfile(account=account, name="From the file")

    crm = companies(hubspot)
    guarded = GuardedAccountContext(crm, FileContext())
    try:
        hubspot.fail_next("POST", "/crm/v3/objects/companies/search", "server_error")
        hubspot.fail_next("POST", "/crm/v3/objects/companies/search", "server_error")
        hubspot.fail_next("POST", "/crm/v3/objects/companies/search", "server_error")
        hubspot.fail_next("POST", "/crm/v3/objects/companies/search", "server_error")
        down = await guarded.profile("acme.com")
        up = await guarded.profile("acme.com")
        unknown = await guarded.profile("initech")
    finally:
        await crm.http.close()
    assert down is not None and down.name == "From the file"
    assert up is not None and up.name == "Acme Corp"
    assert unknown is not None and unknown.name == "From the file"


def test_selection_and_account_map(tmp_path: Path) -> None:
    none = IntegrationSettings(_env_file=None)  # type: ignore[call-arg]
    assert isinstance(select_account_context(none), NoAccountContext)
    chosen = select_account_context(IntegrationSettings(_env_file=None, hubspot_access_token="pat"))  # type: ignore[call-arg]
    assert isinstance(chosen, GuardedAccountContext)
    mapping = tmp_path / "accounts.csv"
    mapping.write_text("account,company_id\nacme,101\n\nglobex,202\n", encoding="utf-8")
    assert read_account_map(mapping) == {"acme": "101", "globex": "202"}
    mapping.write_text("account,company_id\nacme,101\nglobex\n", encoding="utf-8")
    with pytest.raises(MalformedFileError) as bad:
        read_account_map(mapping)
    assert bad.value.line == 3


async def test_the_sync_pushes_the_stores_accounts(
    hubspot: FakeHubSpot, assistant: Assistant, settings: Settings, embedder: Embedder
) -> None:
    """The scheduled job's code: every account of the store is written (risk 0 when calm)."""
    for i, account in enumerate(("acme.com", "globex.io", "initech")):
        await assistant.ask(
            Question(text="How do I add a user?", account=account, asked_at=T0 + timedelta(hours=i))
        )
    integration = IntegrationSettings(
        _env_file=None, hubspot_access_token=hubspot.token, hubspot_api_url=hubspot.base_url
    )  # type: ignore[call-arg]
    async with open_integrations(
        settings,
        integration,
        InsightSettings(_env_file=None),
        embedder=embedder,
        teacher=None,  # type: ignore[call-arg]
    ) as runtime:
        assert runtime is not None and runtime.trackers.trackers == []
        dry = await run_churn_push(runtime, dry_run=True)
        assert dry is not None and hubspot.calls("PATCH") == []
        pushed = await run_churn_push(runtime, claim_at=T0)
        assert await run_churn_push(runtime, claim_at=T0) is None  # this period is done
    assert pushed is not None and sorted(pushed.written) == [
        "acme.com → company 101: risk 0",
        "globex.io → company 202: risk 0",
    ]
    assert pushed.unmapped == ["initech"]
    assert hubspot.companies["101"][RISK] == "0" and hubspot.companies["101"][LISTED] == "false"
