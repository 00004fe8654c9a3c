"""Choosing the ``AccountContext``: HubSpot when configured, else the given one (a file), else none.

``account_context`` is what the composition root calls: the accounts file
(``ASSISTANT_ACCOUNTS_FILE``, ``adapters.integrations.account_file``) as the fallback of HubSpot.

The answering path asks for a profile on every question, so the HubSpot context here is guarded:
a short timeout with one attempt, profiles cached for ``ttl`` seconds, and any failure falls back
to the other source (or to no profile) with a warning: a CRM outage never blocks an answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from adapters.integrations.http import JsonHttp
from adapters.integrations.hubspot import HubSpotCompanies, PropertyNames, read_account_map
from adapters.integrations.settings import IntegrationSettings
from assistant.accounts import AccountContext, AccountProfile, NoAccountContext
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

PROFILE_TTL_SECONDS = 600.0


def hubspot_companies(
    settings: IntegrationSettings, *, timeout: float | None = None, attempts: int | None = None
) -> HubSpotCompanies | None:
    """The HubSpot client of the settings (None when ``HUBSPOT_ACCESS_TOKEN`` is unset)."""
    if settings.hubspot_access_token is None:
        return None
    http = JsonHttp(
        name="HubSpot",
        base_url=settings.hubspot_api_url,
        headers={
            "Authorization": f"Bearer {settings.hubspot_access_token.get_secret_value()}",
            "Accept": "application/json",
        },
        timeout=timeout or settings.assistant_integrations_timeout_seconds,
        attempts=attempts or settings.assistant_integrations_attempts,
    )
    mapping = read_account_map(Path(settings.hubspot_account_map)) if settings.hubspot_account_map else {}
    names = PropertyNames(
        plan=settings.hubspot_plan_property,
        arr=settings.hubspot_arr_property,
        renewal=settings.hubspot_renewal_property,
        tier=settings.hubspot_tier_property,
    )
    return HubSpotCompanies(
        http, account_map=mapping, names=names, threshold=settings.assistant_hubspot_churn_threshold
    )


class GuardedAccountContext:
    """A primary context (the CRM) cached and guarded, with a fallback for what it cannot give."""

    def __init__(
        self,
        primary: AccountContext,
        fallback: AccountContext,
        *,
        ttl: float = PROFILE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, AccountProfile | None]] = {}

    async def profile(self, account: str) -> AccountProfile | None:
        cached = self._cache.get(account)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        try:
            found = await self.primary.profile(account)
        except AssistantError as exc:
            log.warning("account context unavailable for %s: %s", account, exc.message)
            return await self.fallback.profile(account)  # not cached: the CRM is tried again next time
        if found is None:
            found = await self.fallback.profile(account)
        self._cache[account] = (self._clock(), found)
        return found


def select_account_context(
    settings: IntegrationSettings, *, fallback: AccountContext | None = None
) -> AccountContext:
    """HubSpot (guarded, falling back to ``fallback``) when configured; else ``fallback``; else none."""
    other = fallback or NoAccountContext()
    companies = hubspot_companies(
        settings, timeout=settings.assistant_hubspot_context_timeout_seconds, attempts=1
    )
    if companies is None:
        return other
    return GuardedAccountContext(companies, other)


def account_context(settings: IntegrationSettings) -> AccountContext:
    """The configured account profiles: HubSpot (when configured) over the accounts file (when
    set) over nothing. The file is read here, so a bad file fails the start."""
    from adapters.integrations.account_file import FileAccountContext

    fallback = (
        FileAccountContext(settings.assistant_accounts_file) if settings.assistant_accounts_file else None
    )
    return select_account_context(settings, fallback=fallback)
