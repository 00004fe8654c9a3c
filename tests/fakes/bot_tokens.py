"""A fake of the Bot Connector's token issuer: OpenID metadata and signing keys on loopback, and
tokens signed as the Bot Connector signs the requests it sends to a bot.

The SDK fetches the metadata with blocking ``requests`` calls from inside the event loop, so this
server runs on its own thread (``http.server``), not on the test's loop. Keys are fresh RSA keys
made per instance; ``token`` mints a JWT with the claims the SDK checks (issuer
``https://api.botframework.com``, audience = the app id, ``serviceurl``), ``stranger`` one signed
with a key the metadata does not publish::

    with FakeTokenIssuer() as issuer:
        settings = TeamsSettings(app_id=..., app_password=..., openid_metadata_url=issuer.metadata_url)
        token = issuer.token(app_id=APP_ID, service_url=connector.service_url)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["ISSUER", "FakeTokenIssuer"]

ISSUER = "https://api.botframework.com"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeTokenIssuer:
    """OpenID metadata at ``metadata_url``, its JWKS, and tokens signed with the published key."""

    def __init__(self, *, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.key_id = "fake-key-1"
        self._key = _private_key()
        self._stranger = _private_key()
        self.endorsements = list(endorsements)
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeTokenIssuer is not running: use it with `with`.")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    def jwks(self) -> dict[str, Any]:
        key = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        key.update(kid=self.key_id, use="sig", endorsements=self.endorsements)
        return {"keys": [key]}

    def token(self, *, app_id: str, service_url: str, lifetime: int = 3600, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + lifetime,
            **claims,
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def stranger(self, *, app_id: str, service_url: str) -> str:
        """A well-formed token with the right claims, signed by a key nobody published."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 3600,
        }
        return jwt.encode(payload, self._stranger, algorithm="RS256", headers={"kid": self.key_id})

    def __enter__(self) -> Self:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                if self.path.endswith("openidconfiguration"):
                    body = {
                        "issuer": ISSUER,
                        "jwks_uri": f"{issuer.base_url}/v1/.well-known/keys",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                elif self.path.endswith("/keys"):
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-token-issuer", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
