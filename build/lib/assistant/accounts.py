"""What the assistant knows about a customer account beyond its id: name, plan, products, tier.

Answers use it as context ("what about on the Pro plan?"), hand-off posts show the account's name
instead of its id, service levels follow its tier, and churn scoring weighs its renewal date. The
facts come from an ``AccountContext`` port: a YAML/CSV file by default, a CRM (HubSpot) when one is
configured. The core only names the shape and the port; adapters fill it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AccountProfile:
    """One customer account as the vendor's systems describe it; every fact but the id is optional.

    ``tier`` picks the service level (first-response time); ``domains`` are the e-mail/web domains
    that identify the company (a CRM match); ``extra`` holds any other field a source provides,
    passed to the answerer as data, never as instructions.
    """

    account: str
    name: str | None = None
    plan: str | None = None
    products: tuple[str, ...] = ()
    tier: str | None = None
    owner: str | None = None
    arr: float | None = None
    renewal_date: date | None = None
    domains: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """The name people read: the company's name, else its id."""
        return self.name or self.account


class AccountContext(Protocol):
    """Where account profiles come from (a file, a CRM); read-only for the core."""

    async def profile(self, account: str) -> AccountProfile | None:
        """The account's profile, or None when the source knows nothing of it."""
        ...


class NoAccountContext:
    """The default when nothing is configured: every account is just its id."""

    async def profile(self, account: str) -> AccountProfile | None:
        return None
