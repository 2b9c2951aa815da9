"""Admin sessions for the codec endpoint, so the Web UI can use it without a custom header.

The Temporal Web UI cannot add a static ``Authorization`` header to its codec
calls, but with ``TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true`` it sends the
browser's cookies. An admin opens ``/login`` on the codec endpoint once, types
the ``ESCALATION_CODEC_TOKEN``, and gets an HttpOnly, SameSite=Strict session
cookie (an expiry signed with a key derived from the token) that the UI's calls
then carry. Changing the token ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

COOKIE = "escalation_codec_session"
LIFETIME = timedelta(hours=8)


def _mac(token: str, expiry: int) -> str:
    key = hashlib.sha256(b"escalation-codec-session:" + token.encode()).digest()
    return hmac.new(key, str(expiry).encode(), hashlib.sha256).hexdigest()


def issue(token: str, now: datetime) -> str:
    """A session value valid for ``LIFETIME`` from ``now``."""
    expiry = int((now + LIFETIME).timestamp())
    return f"{expiry}.{_mac(token, expiry)}"


def valid(value: str | None, token: str, now: datetime) -> bool:
    """Whether a cookie value is a genuine, unexpired session for this token."""
    if not value:
        return False
    expiry_text, _, mac = value.partition(".")
    if not expiry_text.isdigit() or not hmac.compare_digest(mac, _mac(token, int(expiry_text))):
        return False
    return now.timestamp() < int(expiry_text)


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Codec endpoint: admin sign-in</title></head><body>
<h1>Codec endpoint: admin sign-in</h1>{message}
<p>Signing in lets the Temporal Web UI in this browser show case payloads decrypted.</p>
<form method="post" action="/login"><label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button></form></body></html>"""
