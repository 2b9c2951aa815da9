"""Sign-in through the partnership's OpenID Connect provider (authorization code + PKCE).

Councils sign in with Microsoft Entra ID and similar; the console is an ordinary
confidential client. The provider is found by discovery from its issuer URL; the
authorization request carries ``state`` (against forged callbacks), a ``nonce``
(against a replayed ID token) and a PKCE S256 challenge (against a stolen code).
The ID token is verified with the provider's published keys (JWKS): signature,
issuer, audience, expiry and nonce, with ``authlib``'s OAuth 2 pieces and its JOSE
library ``joserfc``. HTTP goes through the console's aiohttp session, so sign-in
needs no second HTTP stack.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from yarl import URL

SCOPES = "openid email profile"
LEEWAY_SECONDS = 60
"""Clock difference tolerated between the provider and the console when checking expiry."""


class SignInError(Exception):
    """Sign-in failed; the message says why in words (never a token or a secret)."""


@dataclass(frozen=True)
class Provider:
    """The provider's endpoints, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None


@dataclass(frozen=True)
class Pending:
    """What the console keeps in the session between sending someone to the provider
    and their return: compared on the callback, then discarded."""

    state: str
    nonce: str
    verifier: str
    next_path: str


class OidcClient:
    """One provider, one client registration."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
    ) -> None:
        self._http = http
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._provider: Provider | None = None
        self._keys: KeySet | None = None

    async def _json(self, response: aiohttp.ClientResponse, what: str) -> dict[str, Any]:
        if response.status != 200:
            raise SignInError(f"the sign-in provider's {what} answered {response.status}")
        try:
            body = await response.json(content_type=None)
        except ValueError:
            raise SignInError(f"the sign-in provider's {what} is not JSON") from None
        if not isinstance(body, dict):
            raise SignInError(f"the sign-in provider's {what} is not a JSON object")
        return body

    async def provider(self) -> Provider:
        """The provider's endpoints (discovered once per process)."""
        if self._provider is None:
            url = f"{self._issuer}/.well-known/openid-configuration"
            try:
                async with self._http.get(url) as response:
                    doc = await self._json(response, "discovery document")
            except aiohttp.ClientError as exc:
                raise SignInError(
                    f"the sign-in provider {self._issuer} cannot be reached ({exc})"
                ) from None
            try:
                self._provider = Provider(
                    issuer=str(doc["issuer"]).rstrip("/"),
                    authorization_endpoint=str(doc["authorization_endpoint"]),
                    token_endpoint=str(doc["token_endpoint"]),
                    jwks_uri=str(doc["jwks_uri"]),
                    end_session_endpoint=doc.get("end_session_endpoint"),
                )
            except KeyError as exc:
                raise SignInError(f"the provider's discovery document has no {exc}") from None
        return self._provider

    async def begin(self, next_path: str) -> tuple[str, Pending]:
        """The provider's sign-in URL for a new request, and what to keep until the callback."""
        provider = await self.provider()
        pending = Pending(generate_token(32), generate_token(32), generate_token(64), next_path)
        url = prepare_grant_uri(
            provider.authorization_endpoint,
            self._client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=SCOPES,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.verifier),  # type: ignore[no-untyped-call]
            code_challenge_method="S256",
        )
        return url, pending

    async def finish(self, code: str, pending: Pending) -> dict[str, Any]:
        """The verified ID token's claims for the authorization ``code``."""
        provider = await self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": pending.verifier,
        }
        # client_secret_basic: each part form-encoded, then base64 (RFC 6749, section 2.3.1).
        pair = f"{quote_plus(self._client_id)}:{quote_plus(self._client_secret)}"
        auth = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        try:
            async with self._http.post(
                provider.token_endpoint, data=form, headers=auth
            ) as response:
                tokens = await self._json(response, "token endpoint")
        except aiohttp.ClientError as exc:
            raise SignInError(f"the sign-in provider cannot be reached ({exc})") from None
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("the sign-in provider sent no ID token")
        return await self._verify(id_token, provider, pending.nonce)

    async def _verify(self, id_token: str, provider: Provider, nonce: str) -> dict[str, Any]:
        for refresh in (False, True):  # a key rotated since the last fetch: fetch once more
            keys = await self._keyset(provider, refresh)
            try:
                token = jwt.decode(id_token, keys)
                break
            except JoseError as exc:
                if refresh:
                    raise SignInError(f"the ID token's signature does not verify ({exc})") from None
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(time.time()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": self._client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise SignInError(f"the ID token is not valid for this console ({exc})") from None
        return dict(token.claims)

    async def _keyset(self, provider: Provider, refresh: bool) -> KeySet:
        if self._keys is None or refresh:
            try:
                async with self._http.get(provider.jwks_uri) as response:
                    self._keys = KeySet.import_key_set(await self._json(response, "key set"))  # type: ignore[arg-type]
            except aiohttp.ClientError as exc:
                raise SignInError(f"the sign-in provider cannot be reached ({exc})") from None
        return self._keys

    async def sign_out_url(self, id_token_hint: str | None, after: str) -> str | None:
        """The provider's end-session URL (RP-initiated logout), if it offers one."""
        provider = await self.provider()
        if provider.end_session_endpoint is None:
            return None
        params = {"post_logout_redirect_uri": after, "client_id": self._client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return str(URL(provider.end_session_endpoint).update_query(params))
