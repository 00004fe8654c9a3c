"""How requests to ``/api/messages`` are authenticated: the SDK's own JWT validation.

``build_authentication`` gives ``ConfigurationBotFrameworkAuthentication`` the settings under the
names it reads (``APP_ID``, ``APP_PASSWORD``, ``APP_TYPE``, ``APP_TENANTID``): the public Azure
cloud's Bot Connector issuer, OpenID metadata and signing keys, the app id as the audience and the
``serviceurl`` claim checked against the activity. ``TEAMS_OPENID_METADATA_URL`` moves only where
the signing keys are fetched from (sovereign clouds, tests); the checks stay the same.
``TEAMS_LOGIN_URL`` moves the Entra authority the bot gets its own tokens from for what it sends
(replies, proactive messages): MSAL's client-credentials flow, same scope and app id.

``StrictAuthentication`` makes every way a token can be wrong a ``PermissionError`` (so the
adapter answers 401): the SDK raises PyJWT's errors, ``KeyError`` or ``IndexError`` for malformed
tokens or unknown keys, which would otherwise be a 500. A failure to fetch the signing keys stays
an error of ours (``requests`` exceptions pass through: 5xx, and the Bot Connector retries).
With ``TEAMS_ALLOW_UNAUTHENTICATED=1`` no app id is configured, which is the SDK's own
"authentication disabled" mode: requests without a token are accepted and replies carry none.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from adapters.teams.settings import TeamsSettings

log = logging.getLogger(__name__)


class SdkConfiguration:
    """The attributes ``ConfigurationBotFrameworkAuthentication`` reads, from our settings."""

    def __init__(self, settings: TeamsSettings) -> None:
        authenticated = settings.auth_mode == "authenticated"
        self.APP_ID = settings.app_id if authenticated else None
        self.APP_PASSWORD = settings.password() if authenticated else None
        self.APP_TYPE = settings.app_type if authenticated else "MultiTenant"
        self.APP_TENANTID = settings.tenant_id
        if settings.openid_metadata_url or settings.login_url:
            # Setting any of these switches the SDK to its parameterised mode, which needs them all:
            # everything but the metadata URL and the login URL keeps the public cloud's values.
            tenant = settings.tenant_id or AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = (
                settings.openid_metadata_url
                or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
            )
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
                settings.login_url or AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + tenant
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            self.OAUTH_URL = AuthenticationConstants.OAUTH_URL
            self.CALLER_ID = CallerIdConstants.public_azure_channel
            self.VALIDATE_AUTHORITY = True


class StrictAuthentication(BotFrameworkAuthentication):
    """The SDK's authentication, with every rejected token a ``PermissionError``."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await self._inner.authenticate_request(activity, auth_header)
        except (PermissionError, requests.RequestException):
            raise
        except Exception as exc:  # PyJWT errors, KeyError, IndexError, ValueError: a bad token
            log.info("rejected a token: %s", type(exc).__name__)
            raise PermissionError("The request's token is not valid.") from exc

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise PermissionError("Streaming connections are not supported.")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self._inner.create_user_token_client(claims_identity)

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def build_authentication(settings: TeamsSettings, **options: Any) -> BotFrameworkAuthentication:
    """The SDK's configuration-driven authentication for ``settings`` (raises on bad credentials)."""
    inner = ConfigurationBotFrameworkAuthentication(SdkConfiguration(settings), logger=log, **options)
    return StrictAuthentication(inner)
