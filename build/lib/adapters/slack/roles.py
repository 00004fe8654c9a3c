"""Who is who: the app's own identity, and whether a member is an agent, a customer or a bot.

An agent is a member of the app's own organisation, the workspace it is installed in or, on
Enterprise Grid, any workspace of the same enterprise (``auth.test``'s ``enterprise_id`` against
the member's ``enterprise_user.enterprise_id``), who is neither a bot nor a guest; when
``SLACK_AGENT_USERGROUP`` is set, only that user group's members are agents. Everyone else who
writes in a customer channel (members of a Slack Connect partner organisation, guests) is a
customer: nobody is an agent by default. Lookups (``auth.test``, ``users.info``,
``usergroups.users.list``) are cached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.api_errors import SDK_BODY_ERRORS, lookup
from assistant.errors import AssistantError
from assistant.models import Role

log = logging.getLogger(__name__)

MEMBER_TTL_SECONDS = 600.0
FAILED_LOOKUP_TTL_SECONDS = 30.0
USERGROUP_TTL_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """``auth.test`` for the bot token."""

    team_id: str
    user_id: str
    bot_id: str | None
    enterprise_id: str | None = None

    @property
    def orgs(self) -> frozenset[str]:
        """The app's own organisation: its workspace and, on Enterprise Grid, its enterprise."""
        return frozenset(org for org in (self.team_id, self.enterprise_id) if org)


def enterprise_of(user: Mapping[str, Any]) -> str | None:
    """The Enterprise Grid organisation of a ``users.info`` user, when it has one."""
    grid = user.get("enterprise_user") or {}
    enterprise = grid.get("enterprise_id") if isinstance(grid, Mapping) else None
    return str(enterprise) if enterprise else None


def orgs_of(user: Mapping[str, Any]) -> frozenset[str]:
    """The organisations a member belongs to: their workspace and, on Grid, their enterprise."""
    return frozenset(str(org) for org in (user.get("team_id"), enterprise_of(user)) if org)


def member_role(
    user: Mapping[str, Any], *, home_team: str, home_enterprise: str | None = None
) -> Role | None:
    """A ``users.info`` user's role without a user group: None for bots and deactivated members."""
    if user.get("is_bot") or user.get("deleted") or user.get("id") == "USLACKBOT":
        return None
    own = user.get("team_id") == home_team or (
        home_enterprise is not None and enterprise_of(user) == home_enterprise
    )
    if not own or user.get("is_restricted") or user.get("is_ultra_restricted"):
        return Role.CUSTOMER
    return Role.AGENT


class Members:
    """Cached answers to "is this member an agent?" for one workspace."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        agent_usergroup: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        remember_name: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        """``remember_name`` keeps a looked-up member's display name (for ``assistant learned``)."""
        self._client = client
        self._remember_name = remember_name
        self._usergroup = agent_usergroup
        self._clock = clock
        self._identity: BotIdentity | None = None
        self._users: dict[str, tuple[float, Mapping[str, Any] | None]] = {}
        self._group: tuple[float, frozenset[str]] | None = None

    async def identity(self) -> BotIdentity:
        if self._identity is None:
            result = await self._client.auth_test()
            self._identity = BotIdentity(
                team_id=str(result["team_id"]),
                user_id=str(result["user_id"]),
                bot_id=result.get("bot_id"),
                enterprise_id=result.get("enterprise_id") or None,
            )
        return self._identity

    async def role_of(self, user_id: str | None) -> Role | None:
        """AGENT, CUSTOMER, or None for bots, the app itself and members that cannot be looked up."""
        if not user_id:
            return None
        identity = await self.identity()
        if user_id == identity.user_id:
            return None
        user = await self._user(user_id)
        if user is None:
            return None
        role = member_role(user, home_team=identity.team_id, home_enterprise=identity.enterprise_id)
        if role is None or self._usergroup is None:
            return role
        return Role.AGENT if user_id in await self._group_members() else Role.CUSTOMER

    async def is_agent(self, user_id: str | None) -> bool:
        return await self.role_of(user_id) is Role.AGENT

    async def team_of(self, user_id: str) -> str | None:
        user = await self._user(user_id)
        return str(user["team_id"]) if user is not None and user.get("team_id") else None

    async def orgs_of(self, user_id: str) -> frozenset[str]:
        """The member's workspace and Grid enterprise (empty when they cannot be looked up)."""
        user = await self._user(user_id)
        return orgs_of(user) if user is not None else frozenset()

    async def _user(self, user_id: str) -> Mapping[str, Any] | None:
        now = self._clock()
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        data = await lookup(self._client.users_info(user=user_id), f"users.info {user_id}")
        found = data.get("user") if data is not None else None
        user: Mapping[str, Any] | None = found if isinstance(found, Mapping) else None
        ttl = MEMBER_TTL_SECONDS if user is not None else FAILED_LOOKUP_TTL_SECONDS
        self._users[user_id] = (now + ttl, user)
        if user is not None and self._remember_name is not None:
            await self._keep_name(user_id, user)
        return user

    async def _keep_name(self, user_id: str, user: Mapping[str, Any]) -> None:
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or ""
        if not name or self._remember_name is None:
            return
        try:
            await self._remember_name(user_id, str(name))
        except AssistantError as exc:  # a name is a nicety: the lookup goes on
            log.warning("could not keep a display name: %s", type(exc).__name__)

    async def _group_members(self) -> frozenset[str]:
        now = self._clock()
        if self._group is not None and self._group[0] > now:
            return self._group[1]
        try:
            result = await self._client.usergroups_users_list(usergroup=self._usergroup or "")
            members = frozenset(result.get("users") or [])
        except (SlackApiError, *SDK_BODY_ERRORS) as exc:  # keep what was known; retried next period
            log.warning("usergroups.users.list failed: %s", type(exc).__name__)
            members = self._group[1] if self._group is not None else frozenset()
        self._group = (now + USERGROUP_TTL_SECONDS, members)
        return members
