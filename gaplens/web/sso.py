"""The OpenID Connect relying party: discovery, the authorisation code flow with PKCE (S256)
through Authlib, and ID token checks (signature against the provider's JWKS, `iss`, `aud`,
`azp`, `exp`, `iat`, `nonce`) through joserfc, Authlib's JOSE library.

One `OidcClient` per app; the provider's metadata and keys are fetched on first use and
kept for an hour (the keys again at once when a token names a key id they lack: rotation)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from gaplens.accounts.sso import OidcSettings

METADATA_LIFETIME = 3600.0
HTTP_TIMEOUT = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
"""Asymmetric only: `none` and HMAC (keyed with the client secret) are never accepted."""


class SsoError(Exception):
    """The sign-in cannot finish; `message` is safe to show and never holds a token."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class ProviderMetadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a checked ID token says about the person (no token is kept)."""

    issuer: str
    subject: str
    email: str
    display_name: str
    claims: dict[str, Any]


class OidcClient:
    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    # -- the provider's metadata and keys ------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = httpx2.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            body = response.json()
        except (httpx2.HTTPError, ValueError) as error:
            raise SsoError(
                f"The sign-in provider could not be reached ({what}: {type(error).__name__}).",
                status_code=502,
            ) from None
        if not isinstance(body, dict):
            raise SsoError(f"The sign-in provider's {what} is not a JSON object.", 502)
        return body

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched_at > METADATA_LIFETIME:
                self._discover()
            assert self._metadata is not None
            return self._metadata

    def _discover(self) -> None:
        issuer = self.settings.issuer
        # OpenID Connect Discovery 1.0 section 4: the issuer, then the well-known path; the
        # document's issuer must be the configured one exactly (a trailing slash counts).
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        body = self._get_json(url, "discovery")
        if body.get("issuer") != issuer:
            raise SsoError(
                "The sign-in provider's discovery document names another issuer "
                f"('{body.get('issuer')}', configured '{issuer}').",
                status_code=502,
            )
        try:
            metadata = ProviderMetadata(
                authorization_endpoint=str(body["authorization_endpoint"]),
                token_endpoint=str(body["token_endpoint"]),
                jwks_uri=str(body["jwks_uri"]),
                end_session_endpoint=(
                    str(body["end_session_endpoint"]) if body.get("end_session_endpoint") else None
                ),
            )
        except KeyError as missing:
            raise SsoError(
                f"The sign-in provider's discovery document lacks {missing}.", 502
            ) from None
        self._keys = self._fetch_keys(metadata.jwks_uri)
        self._metadata = metadata
        self._fetched_at = time.monotonic()

    def _fetch_keys(self, jwks_uri: str) -> KeySet:
        try:
            return KeySet.import_key_set(self._get_json(jwks_uri, "keys"))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError):
            raise SsoError("The sign-in provider's keys (JWKS) cannot be read.", 502) from None

    def _key_set(self, kid: str | None) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            assert self._keys is not None
            known = {key.kid for key in self._keys.keys}
            if kid is not None and kid not in known:
                self._keys = self._fetch_keys(metadata.jwks_uri)
            return self._keys

    # -- the flow -------------------------------------------------------------------------

    def _oauth(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scope=" ".join(self.settings.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
        )

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.metadata().authorization_endpoint,
                state=state,
                nonce=nonce,
                code_verifier=verifier,
            )
        return str(url)

    def finish(self, redirect_uri: str, code: str, nonce: str, verifier: str) -> VerifiedIdentity:
        """Exchange the code (once: a provider refuses a code used before) and check the ID
        token; every refusal is an `SsoError` naming what was wrong, never the token."""
        token_endpoint = self.metadata().token_endpoint
        try:
            with self._oauth(redirect_uri) as client:
                token = client.fetch_token(
                    token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
        except OAuthError as error:
            raise SsoError(
                f"The sign-in provider refused the sign-in ({error.error}): the link may have "
                "been used already or be too old. Start again."
            ) from None
        except httpx2.HTTPError as error:
            raise SsoError(
                f"The sign-in provider could not be reached (token: {type(error).__name__}).",
                status_code=502,
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoError("The sign-in provider sent no ID token.")
        return self.verify_id_token(id_token, nonce)

    def verify_id_token(self, id_token: str, nonce: str) -> VerifiedIdentity:
        settings = self.settings
        try:
            kid = extract_compact(id_token.encode()).headers().get("kid")
        except (JoseError, ValueError):
            raise SsoError("The sign-in provider sent an ID token that is not a JWT.") from None
        try:
            decoded = jwt.decode(
                id_token, self._key_set(str(kid) if kid else None), ID_TOKEN_ALGORITHMS
            )
        except JoseError as error:
            raise SsoError(f"The ID token's signature is not valid ({error.error}).") from None
        claims = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=settings.leeway_seconds,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise SsoError("The ID token has expired (check the servers' clocks).") from None
        except JoseError as error:
            claim = getattr(error, "claim", "") or ""
            raise SsoError(
                f"The ID token is not for gaplens: its '{claim}' claim is not right "
                f"({error.error})."
            ) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != settings.client_id:
            raise SsoError("The ID token is not for gaplens: its 'azp' claim is not right.")
        if int(claims["iat"]) > time.time() + settings.leeway_seconds:
            raise SsoError("The ID token was issued in the future (check the servers' clocks).")
        subject = str(claims["sub"])
        email = str(claims.get("email") or "")
        if "@" not in email:
            username = str(claims.get("preferred_username") or claims.get("upn") or "")
            email = username if "@" in username else f"{subject}@{urlsplit(settings.issuer).netloc}"
        name = str(claims.get("name") or "").strip()
        return VerifiedIdentity(settings.issuer, subject, email, name, claims)

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too, if it has such an
        endpoint (RP-Initiated Logout); the client id stands in for an ID token hint."""
        try:
            endpoint = self.metadata().end_session_endpoint
        except SsoError:
            return None
        if endpoint is None:
            return None
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
