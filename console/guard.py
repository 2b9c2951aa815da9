"""The session cookie, the sign-in requirement, CSRF tokens and the pages' headers.

The session lives in one cookie, encrypted and authenticated with the console's key
(``aiohttp_session``'s ``EncryptedCookieStorage``, Fernet): HttpOnly, SameSite=Lax
(the provider's redirect back is a top-level GET from another site, which Strict
would strip), Secure when the console is served over HTTPS, and it expires after
``SESSION_HOURS``. It holds the subject, email and name the provider vouched for,
the provider groups the access file knows, and the CSRF token; roles are worked
out on every request from the access file as it is now, so a role taken away
applies at once.

Every POST must carry the session's CSRF token (a synchronizer token compared in
constant time); a missing or wrong one is refused before anything is read or sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session, get_session, new_session
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from console.access import Identity
from console.message import message
from console.state import STATE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "escalation_console"
SESSION_HOURS = 8
"""A working day: a console left signed in overnight asks for sign-in again."""
PUBLIC = frozenset({"/signin", "/auth/callback", "/signed-out", "/health"})
IDENTITY: web.RequestKey[Identity] = web.RequestKey("identity", Identity)
"""Where ``require_sign_in`` puts the signed-in person on the request."""


def session_key(secret: str) -> bytes:
    """The 32-byte key of the cookie's encryption (Fernet), derived from the configured secret."""
    return hashlib.sha256(b"escalation-console-session:" + secret.encode()).digest()


def install_sessions(app: web.Application, secret: str, secure: bool) -> None:
    """Keep sessions in the encrypted cookie described above."""
    storage = EncryptedCookieStorage(
        session_key(secret),
        cookie_name=COOKIE,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path="/",
    )
    setup_session(app, storage)


async def start_session(
    request: web.Request, sub: str, email: str, name: str, groups: list[str]
) -> None:
    """A fresh session for the person just signed in (a new one: no fixation)."""
    session = await new_session(request)
    session.update(
        sub=sub,
        email=email,
        name=name,
        groups=groups,
        csrf=secrets.token_urlsafe(32),
        since=int(time.time()),
    )


def identity(request: web.Request) -> Identity:
    """The signed-in person of this request (set by ``require_sign_in``)."""
    return request[IDENTITY]


async def csrf_token(request: web.Request) -> str:
    """The session's CSRF token, for the forms of the page being rendered."""
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form, once its CSRF token matches the session's; else 403, nothing done.

    Files (a contacts upload) are read by the caller from ``request.post()``: this returns
    the text fields only.
    """
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    sent = form.get("csrf")
    if not (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise web.HTTPForbidden(
            text="This form is out of date or did not come from the console "
            "(its security token does not match your session). Nothing was done: "
            "go back, reload the page and send it again.",
        )
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _signin_redirect(request: web.Request) -> web.HTTPFound:
    path = request.path_qs if request.method == "GET" else "/"
    return web.HTTPFound(f"/signin?next={quote(path, safe='')}")


@web.middleware
async def require_sign_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but sign-in's own needs a signed-in person the access file names."""
    if request.path in PUBLIC or request.path.startswith("/static/"):
        return await handler(request)
    session = await get_session(request)
    if "sub" not in session:
        if request.method != "GET":
            raise web.HTTPForbidden(text="Your session has ended: sign in again. Nothing was done.")
        raise _signin_redirect(request)
    who = _identity_of(request, session)
    if not who.roles:  # the access file no longer names this person: the session ends here
        session.invalidate()
        return message(
            "Access withdrawn",
            f"The console's access file no longer gives {who.email} a role in any partnership, "
            "so you have been signed out. Nothing was done.",
            status=403,
        )
    request[IDENTITY] = who
    return await handler(request)


def _identity_of(request: web.Request, session: Session) -> Identity:
    state = request.app[STATE]
    groups: list[Any] = session.get("groups") or []
    return state.current_access().identity(
        str(session["sub"]),
        str(session["email"]),
        str(session.get("name") or ""),
        [str(g) for g in groups],
    )


def security_headers(form_targets: str) -> Middleware:
    """Headers on every response: no framing, no caching of case pages, no scripts at all.

    ``form_targets`` is the sign-in provider's origin: signing out posts to the console,
    which redirects to the provider, and Chromium applies ``form-action`` to that redirect.
    """

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
            _set(response, form_targets)
            raise
        _set(response, form_targets)
        return response

    return headers


def _set(response: web.StreamResponse, form_targets: str) -> None:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"form-action 'self' {form_targets}; frame-ancestors 'none'; base-uri 'none'",
    )
