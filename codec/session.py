"""Admin sessions for the codec endpoint, so the Web UI can use it without a custom header.

The Temporal Web UI cannot add a static ``Authorization`` header to its codec
calls, but with ``TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true`` it sends the
browser's cookies. An admin opens ``/login`` on the codec endpoint once, types
the ``ESCALATION_CODEC_TOKEN``, and gets an HttpOnly, SameSite=Strict session
cookie (an expiry signed with a key derived from the token) that the UI's calls
then carry. Changing the token ends every session.

Guessing the token at ``/login`` is slowed down by ``SignInThrottle``: after
``MAX_FAILED_SIGN_INS`` wrong tokens from one address within ``SIGN_IN_WINDOW``,
that address is answered 429 until the oldest failure leaves the window.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

COOKIE = "escalation_codec_session"
LIFETIME = timedelta(hours=8)

MAX_FAILED_SIGN_INS = 10
"""Wrong tokens one client address may try per ``SIGN_IN_WINDOW`` before it must wait."""
SIGN_IN_WINDOW = 60.0
"""Seconds over which failed sign-ins are counted."""
TRACKED_ADDRESSES = 10_000
"""Addresses remembered at most (the least recently failing forgotten first), so a flood
from many addresses cannot grow the endpoint's memory without bound."""


class SignInThrottle:
    """Failed sign-ins per client address in a sliding window, in this process's memory.

    Per process, deliberately: the endpoint is one small process, and a restart
    forgetting the counts costs an attacker a restart per ten guesses. The address
    is the connection's peer: behind a proxy that is the proxy's, so everyone behind
    it shares one allowance (``X-Forwarded-For`` is not trusted: anyone can send it).
    """

    def __init__(
        self,
        limit: int = MAX_FAILED_SIGN_INS,
        window: float = SIGN_IN_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.get(address, deque())
        cutoff = self._clock() - self._window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            self._failures.pop(address, None)
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds ``address`` must wait before trying again, or None if it may try now."""
        failures = self._recent(address)
        if len(failures) < self._limit:
            return None
        return max(1, math.ceil(failures[0] + self._window - self._clock()))

    def failed(self, address: str) -> None:
        """Count one wrong token from ``address``."""
        failures = self._recent(address)
        failures.append(self._clock())
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > TRACKED_ADDRESSES:
            self._failures.popitem(last=False)


def _mac(token: str, expiry: int) -> str:
    key = hashlib.sha256(b"escalation-codec-session:" + token.encode()).digest()
    return hmac.new(key, str(expiry).encode(), hashlib.sha256).hexdigest()


def issue(token: str, now: datetime) -> str:
    """A session value valid for ``LIFETIME`` from ``now``."""
    expiry = int((now + LIFETIME).timestamp())
    return f"{expiry}.{_mac(token, expiry)}"


def same(given: str, expected: str) -> bool:
    """Constant-time equality of a secret from a request (cookie, header, form) and ours.

    Compared as bytes: ``hmac.compare_digest`` raises TypeError for a ``str`` holding
    a non-ASCII character, which a client can send in any of them; that must answer
    401, never 500. ``surrogatepass`` encodes even the lone surrogates aiohttp makes
    of undecodable header bytes.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def valid(value: str | None, token: str, now: datetime) -> bool:
    """Whether a cookie value is a genuine, unexpired session for this token."""
    if not value:
        return False
    expiry_text, _, mac = value.partition(".")
    # isascii: str.isdigit() also accepts digits int() refuses, such as '²'; and int()
    # refuses more than 4,300 digits, which a cookie header can hold: 12 is year 33658.
    if not (expiry_text.isascii() and expiry_text.isdigit() and len(expiry_text) <= 12):
        return False
    if not same(mac, _mac(token, int(expiry_text))):
        return False
    return now.timestamp() < int(expiry_text)


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Codec endpoint: admin sign-in</title></head><body>
<h1>Codec endpoint: admin sign-in</h1>{message}
<p>Signing in lets the Temporal Web UI in this browser show case payloads decrypted.</p>
<form method="post" action="/login"><label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button></form></body></html>"""
