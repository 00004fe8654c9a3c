"""What the bot sends carries a token it got itself: MSAL's client-credentials flow against a local
HTTPS authority (``TEAMS_LOGIN_URL``), the token then presented to the fake Bot Connector.

MSAL needs an https authority, and checks an Entra host it does not know through
``login.microsoftonline.com`` (the network); an AD FS authority (path ``/adfs``) is one it takes as
known to the developer, so the local authority is served under ``/adfs``. Its certificate is made
per test and trusted through ``REQUESTS_CA_BUNDLE`` (MSAL talks through ``requests``).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
from assistant.errors import ConfigurationError
from assistant.models import Role
from tests.adapters.teams.conftest import (
    CUSTOMER,
    CUSTOMER_CHANNEL,
    PASSWORD_A,
    PASSWORD_Q,
    SEED,
    bind_channels,
    card_of,
    card_text,
    open_bot,
    settings_for,
    teams_settings,
)
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.bot_tokens import FakeTokenIssuer

APP_ID = "00000000-0000-0000-0000-0000000000a1"
PASSWORD = "not-a-real-secret"
SCOPE = "https://api.botframework.com/.default"


@dataclass
class Authority:
    """A local Entra-like authority: OpenID configuration and a token endpoint, over HTTPS."""

    url: str
    ca_file: Path
    accept: str
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "authority.pem", directory / "authority.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@contextmanager
def local_authority(directory: Path, *, accept: str = PASSWORD) -> Iterator[Authority]:
    """The authority on its own thread (MSAL's calls are blocking ``requests`` calls made inside the
    event loop); it issues a token only for ``APP_ID`` with the secret ``accept``."""
    cert_file, key_file = _certificate(directory)
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            base = state["authority"].url
            if self.path.split("?")[0] != "/adfs/.well-known/openid-configuration":
                self._json(404, {"error": "not_found"})
                return
            endpoints = {
                "token_endpoint": f"{base}/oauth2/token",
                "authorization_endpoint": f"{base}/oauth2/authorize",
            }
            self._json(200, {"issuer": base, **endpoints})

        def do_POST(self) -> None:
            authority: Authority = state["authority"]
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            authority.requests.append(form)
            if form.get("client_id") != [APP_ID] or form.get("client_secret") != [authority.accept]:
                self._json(401, {"error": "invalid_client", "error_description": "bad secret"})
                return
            token = f"token-{len(authority.issued) + 1}"
            authority.issued.append(token)
            self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    state["authority"] = Authority(f"https://127.0.0.1:{port}/adfs", cert_file, accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["authority"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_login_url_must_be_https() -> None:
    from adapters.teams.settings import load_teams_settings

    with pytest.raises(ConfigurationError, match="TEAMS_LOGIN_URL: must be an https URL"):
        load_teams_settings(
            _env_file=None, app_id=APP_ID, app_password=PASSWORD, login_url="http://x.example/t"
        )


@pytest.mark.parametrize("secret", [PASSWORD, "a-revoked-secret"])
async def test_replies_carry_the_token_the_authority_issued(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    connector: FakeBotConnector,
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
) -> None:
    with FakeTokenIssuer() as issuer, local_authority(tmp_path, accept=secret) as authority:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.ca_file))
        settings = teams_settings(
            allow_unauthenticated=False,
            app_id=APP_ID,
            app_password=PASSWORD,
            openid_metadata_url=issuer.metadata_url,
            login_url=authority.url,
        )
        async with open_bot(settings_for(tmp_path), embedder, connector, settings) as bot:
            await bind_channels(bot.conversations)
            for question, answer in SEED:
                await bot.assistant.teach(question, answer, actor="seed", role=Role.AGENT)
            activity = bot.teams.channel_message(CUSTOMER_CHANNEL, CUSTOMER, PASSWORD_Q)
            token = issuer.token(app_id=APP_ID, service_url=connector.service_url)
            status, _ = await bot.post(activity, token=token)
            assert status in (200, 201)
            [form, *_] = authority.requests
            assert form["grant_type"] == ["client_credentials"] and form["scope"] == [SCOPE]
            if secret == PASSWORD:
                [reply] = bot.replies(activity)
                assert reply.token in authority.issued and PASSWORD_A in card_text(card_of(reply))
            else:  # the authority refused the secret: nothing is sent, and the turn fails quietly
                assert authority.issued == [] and bot.replies(activity) == []
