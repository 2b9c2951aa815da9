"""Signed, expiring decision links: one person, one case, one stage, one kind of decision.

A link carries its claims in clear (workflow id, stage, the person's email, the
action, the expiry) and an HMAC-SHA256 over them with ``ESCALATION_LINK_SECRET``.
Anyone can read a link; nobody without the secret can make or alter one. The
claims hold the pseudonymous workflow id, never a child's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote

from settings import Settings

Action = Literal["decide", "confirm", "respond", "chair"]
"""decide: record resolved (with the agreed outcome) or unresolved (with the reason);
confirm: record the written confirmation of a resolution; respond: add a stage's response
to a practice alert's case note."""

ACTIONS: tuple[Action, ...] = ("decide", "confirm", "respond", "chair")


class LinkError(ValueError):
    """Why a link cannot be used; ``kind`` picks the page the person sees."""

    def __init__(self, kind: Literal["forged", "expired"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class LinkClaims:
    """What a link lets its holder do."""

    workflow_id: str
    stage: str
    email: str
    action: Action
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def same_mac(given: str, expected: str) -> bool:
    """Constant-time comparison of a MAC from outside with the expected one.

    Compared as bytes: ``hmac.compare_digest`` raises TypeError for a ``str`` with a
    non-ASCII character, and a link typed or mangled by a mail client can carry one;
    that is a forged link (403), not a server error. ``surrogatepass`` lets even a
    lone surrogate (an undecodable byte in the URL) through to the comparison.
    """
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def sign(claims: LinkClaims, secret: str) -> str:
    """The token: base64url(JSON claims) '.' base64url(HMAC-SHA256)."""
    if not secret:
        raise ValueError("ESCALATION_LINK_SECRET: decision links need a secret")
    payload = {
        "w": claims.workflow_id,
        "s": claims.stage,
        "e": claims.email.lower(),
        "a": claims.action,
        "x": int(claims.expires_at.timestamp()),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(body, secret)}"


def verify(token: str, secret: str, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token.

    Raises:
        LinkError: ``forged`` (altered, malformed or signed with another secret)
            or ``expired``.
    """
    body, _, mac = token.partition(".")
    if not token.isascii():  # every token we issue is base64url: nothing else can be genuine
        raise LinkError("forged", "this link is not one the escalation service issued")
    if not body or not mac or not same_mac(mac, _mac(body, secret)):
        raise LinkError("forged", "this link is not one the escalation service issued")
    try:
        raw = json.loads(_unb64(body))
        claims = LinkClaims(
            workflow_id=str(raw["w"]),
            stage=str(raw["s"]),
            email=str(raw["e"]),
            action=raw["a"] if raw["a"] in ACTIONS else "decide",
            expires_at=datetime.fromtimestamp(int(raw["x"]), UTC),
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise LinkError("forged", "this link is malformed") from None
    if raw["a"] not in ACTIONS:
        raise LinkError("forged", "this link names an unknown action")
    if now >= claims.expires_at:
        raise LinkError(
            "expired", f"this link expired on {claims.expires_at:%d %B %Y at %H:%M} UTC"
        )
    return claims


def default_expiry(due_at: datetime, valid_days: int = 14) -> datetime:
    """Links stay usable a while past the deadline: a late decision is still a decision."""
    return due_at + timedelta(days=valid_days)


def decision_link(
    base_url: str,
    secret: str,
    *,
    workflow_id: str,
    stage: str,
    email: str,
    action: Action,
    expires_at: datetime,
) -> str:
    """The URL to put in an email asking ``email`` to act at ``stage`` of ``workflow_id``.

    The email renderer calls this for every recipient who must act (``decide``)
    or confirm in writing (``confirm``).
    """
    claims = LinkClaims(workflow_id, stage, email, action, expires_at)
    return f"{base_url.rstrip('/')}/d/{quote(sign(claims, secret), safe='.-_')}"


def link_from_settings(
    settings: Settings,
    *,
    workflow_id: str,
    stage: str,
    email: str,
    action: Action,
    due_at: datetime,
) -> str | None:
    """The link for an email, or None when no ``ESCALATION_LINK_SECRET`` is configured.

    What the email renderer calls: the link outlives the deadline by
    ``ESCALATION_LINK_VALID_DAYS`` and points at ``ESCALATION_WEB_BASE_URL``.
    """
    if settings.link_secret is None or not settings.link_secret.get_secret_value():
        return None
    return decision_link(
        settings.web_base_url,
        settings.link_secret.get_secret_value(),
        workflow_id=workflow_id,
        stage=stage,
        email=email,
        action=action,
        expires_at=default_expiry(due_at, settings.link_valid_days),
    )
