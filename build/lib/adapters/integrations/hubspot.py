"""HubSpot CRM: account context in (``AccountContext``), churn risk out (company properties, notes).

Plain aiohttp through ``JsonHttp`` (see the README for why not ``hubspot-api-client``), CRM v3:

* account → company: a mapping file (``HUBSPOT_ACCOUNT_MAP``, CSV ``account,company_id`` or
  ``account,domain``), else an account id that is a domain (``acme.com``); a domain is found with
  ``POST /crm/v3/objects/companies/search`` (``domain EQ``).
* context: ``GET /crm/v3/objects/companies/{id}?properties=…`` gives the name, domain, plan, ARR
  and renewal date (property names configurable); ``GET /crm/v3/owners/{id}`` the owner's name.
* churn: the properties ``support_churn_risk`` (number), ``support_churn_reasons`` (text) and
  ``support_churn_listed`` (on the risk list, true/false) are created if missing
  (``GET``/``POST /crm/v3/properties/companies``), written with ``PATCH
  /crm/v3/objects/companies/{id}``, and a note (``POST /crm/v3/objects/notes``, associated to the
  company, type 190) is added when the account enters or leaves the list. The company's own
  ``support_churn_listed`` is the state, so restarts and several instances agree.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from adapters.integrations.http import JsonHttp
from assistant.accounts import AccountProfile
from assistant.errors import MalformedFileError
from assistant.insights.churn import AccountRisk
from assistant.integrations.tickets import TrackerError

log = logging.getLogger(__name__)

RISK = "support_churn_risk"
REASONS = "support_churn_reasons"
LISTED = "support_churn_listed"
GROUP = "companyinformation"
NOTE_TO_COMPANY = 190  # HubSpot-defined association type: note → company
PROPERTIES: tuple[dict[str, Any], ...] = (
    {
        "name": RISK,
        "label": "Support churn risk",
        "type": "number",
        "fieldType": "number",
        "groupName": GROUP,
        "description": "0-100, from the support assistant",
    },
    {
        "name": REASONS,
        "label": "Support churn reasons",
        "type": "string",
        "fieldType": "textarea",
        "groupName": GROUP,
        "description": "Top reasons, from the support assistant",
    },
    {
        "name": LISTED,
        "label": "On the support churn-risk list",
        "type": "enumeration",
        "fieldType": "booleancheckbox",
        "groupName": GROUP,
        "options": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}],
    },
)


@dataclass(frozen=True, slots=True)
class PropertyNames:
    """Which company properties hold the plan, ARR and renewal date (HubSpot has no standard ones)."""

    plan: str = "plan"
    arr: str = "annualrevenue"
    renewal: str = "renewal_date"
    tier: str = "tier"


def read_account_map(path: Path) -> dict[str, str]:
    """``account → company id or domain`` from a CSV with a header; bad rows named by line."""
    mapping: dict[str, str] = {}
    source = path.as_posix()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [cell.strip().lower() for cell in next(reader, [])]
        if len(header) < 2 or header[0] != "account" or header[1] not in ("company_id", "domain"):
            raise MalformedFileError(source, "the header must be account,company_id or account,domain", 1)
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                raise MalformedFileError(source, "needs an account and a company", line)
            mapping[row[0].strip()] = row[1].strip()
    return mapping


@dataclass(slots=True)
class ChurnPush:
    """What one churn push did."""

    written: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    created_properties: list[str] = field(default_factory=list)


class HubSpotCompanies:
    """HubSpot companies as account context, and where churn risk is written."""

    def __init__(
        self,
        http: JsonHttp,
        *,
        account_map: Mapping[str, str] | None = None,
        names: PropertyNames | None = None,
        threshold: float = 50.0,
    ) -> None:
        self.http = http
        self._map = dict(account_map or {})
        self._names = names or PropertyNames()
        self._threshold = threshold
        self._ids: dict[str, str | None] = {}
        self._properties_ready = False

    async def check(self) -> str:
        await self.http.get("/crm/v3/objects/companies", params={"limit": 1})
        return f"{len(self._map)} mapped account(s)"

    async def company_id(self, account: str) -> str | None:
        """The HubSpot company of an account (cached for the process)."""
        if account in self._ids:
            return self._ids[account]
        target = self._map.get(account) or (account if "." in account else None)
        found = None
        if target is not None and target.isdigit():
            found = target
        elif target is not None:
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "domain", "operator": "EQ", "value": target}]}
                ],
                "properties": ["domain"],
                "limit": 1,
            }
            found_page = await self.http.request(
                "POST", "/crm/v3/objects/companies/search", body=body, safe=True
            )
            results = (found_page or {}).get("results") or []
            found = str(results[0]["id"]) if results else None
        self._ids[account] = found
        return found

    # AccountContext

    async def profile(self, account: str) -> AccountProfile | None:
        """Name, plan, tier, owner, ARR and renewal date from the company (None: no company)."""
        company = await self.company_id(account)
        if company is None:
            return None
        names = self._names
        wanted = ["name", "domain", "hubspot_owner_id", names.plan, names.arr, names.renewal, names.tier]
        data = await self.http.request(
            "GET",
            f"/crm/v3/objects/companies/{company}",
            params={"properties": ",".join(wanted)},
            ok_missing=True,
        )
        if data is None:
            return None
        props = data.get("properties") or {}
        owner = None
        if props.get("hubspot_owner_id"):
            person = await self.http.request(
                "GET", f"/crm/v3/owners/{props['hubspot_owner_id']}", ok_missing=True
            )
            if person:
                owner = " ".join(
                    p for p in (person.get("firstName"), person.get("lastName")) if p
                ) or person.get("email")
        return AccountProfile(
            account=account,
            name=props.get("name") or None,
            plan=props.get(names.plan) or None,
            tier=props.get(names.tier) or None,
            owner=owner,
            arr=_number(props.get(names.arr)),
            renewal_date=_day(props.get(names.renewal)),
            domains=(props["domain"],) if props.get("domain") else (),
            extra={"hubspot_company_id": company},
        )

    # churn out

    async def push_churn(
        self, risks: Sequence[AccountRisk], accounts: Sequence[str], *, dry_run: bool = False
    ) -> ChurnPush:
        """Write each account's score and reasons; a note when it enters or leaves the list.

        ``accounts`` are every account to consider (so that one no longer at risk is written 0
        and leaves the list); ``risks`` those with a score.
        """
        out = ChurnPush()
        by_account = {risk.account: risk for risk in risks}
        for account in sorted(set(accounts) | set(by_account)):
            company = await self.company_id(account)
            if company is None:
                out.unmapped.append(account)
                continue
            risk = by_account.get(account)
            score = round(risk.score) if risk else 0
            listed = score >= self._threshold
            reasons = _reasons(risk)
            current = await self.http.get(
                f"/crm/v3/objects/companies/{company}", params={"properties": f"{RISK},{LISTED}"}
            )
            was_listed = ((current.get("properties") or {}).get(LISTED) or "false") == "true"
            if dry_run:
                out.written.append(f"{account} → company {company}: risk {score}")
                continue
            if not self._properties_ready:
                out.created_properties = await self._ensure_properties()
            values = {RISK: str(score), REASONS: reasons, LISTED: "true" if listed else "false"}
            await self.http.request(
                "PATCH", f"/crm/v3/objects/companies/{company}", body={"properties": values}
            )
            out.written.append(f"{account} → company {company}: risk {score}")
            if listed != was_listed:
                await self._note(company, account, score, reasons, entered=listed)
                (out.entered if listed else out.left).append(account)
        return out

    async def _ensure_properties(self) -> list[str]:
        created = []
        for spec in PROPERTIES:
            existing = await self.http.request(
                "GET", f"/crm/v3/properties/companies/{spec['name']}", ok_missing=True
            )
            if existing is None:
                await self.http.post("/crm/v3/properties/companies", spec)
                created.append(str(spec["name"]))
        self._properties_ready = True
        return created

    async def _note(self, company: str, account: str, score: int, reasons: str, *, entered: bool) -> None:
        if entered:
            body = f"Support assistant: {account} entered the churn-risk list (risk {score}/100). {reasons}"
        else:
            body = f"Support assistant: {account} left the churn-risk list (risk {score}/100)."
        payload = {
            "properties": {
                "hs_timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "hs_note_body": body,
            },
            "associations": [
                {
                    "to": {"id": company},
                    "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_COMPANY}
                    ],
                }
            ],
        }
        try:
            await self.http.post("/crm/v3/objects/notes", payload)
        except TrackerError as exc:  # the state is written; a missing note is logged, not retried blindly
            log.warning("HubSpot note for %s not written: %s", account, exc.message)


def _reasons(risk: AccountRisk | None, top: int = 3) -> str:
    if risk is None:
        return ""
    strongest = [s for s in risk.signals if s.contribution > 0][:top]
    return "; ".join(f"{s.name.replace('_', ' ')}: {s.evidence}" for s in strongest) or risk.reason


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    if text.isdigit():  # HubSpot date properties: midnight UTC in epoch milliseconds
        return datetime.fromtimestamp(int(text) / 1000, UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
