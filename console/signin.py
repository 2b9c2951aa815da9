"""Signing in and out: the provider round trip, the session it starts, and its end.

Sign-in is refused, with the reason and no session, when the provider reports an
error, the callback's ``state`` is not the one this browser was sent with, the ID
token does not verify, it carries no email (or one the provider says is not
verified), or the access file gives the person no role in any partnership.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from aiohttp import web
from aiohttp_session import get_session

from console.audit import record_action
from console.guard import checked_form, identity, start_session
from console.oidc import Pending, SignInError
from console.pages import message
from console.state import STATE

log = logging.getLogger("escalation.console")
routes = web.RouteTableDef()


def _safe_next(value: str | None) -> str:
    """Only a path on this console: never an open redirect to another site."""
    path = unquote(value or "/")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@routes.get("/signin")
async def signin(request: web.Request) -> web.StreamResponse:
    """Send the browser to the provider, keeping state, nonce and PKCE verifier in the session."""
    state = request.app[STATE]
    try:
        url, pending = await state.oidc.begin(_safe_next(request.query.get("next")))
    except SignInError as exc:
        return message("Sign-in is unavailable", f"Sign-in failed: {exc}.", status=503)
    session = await get_session(request)
    session["pending"] = pending.__dict__
    raise web.HTTPFound(url)


def _refuse(reason: str, status: int = 403) -> web.Response:
    return message("Sign-in refused", reason, status=status, link=("/signin", "Sign in again"))


@routes.get("/auth/callback")
async def callback(request: web.Request) -> web.StreamResponse:
    """The provider's answer: verify it, start the session, go where the person was going."""
    state = request.app[STATE]
    session = await get_session(request)
    kept = session.pop("pending", None)
    if "error" in request.query:
        words = request.query.get("error_description") or request.query["error"]
        return _refuse(f"The sign-in provider did not sign you in ({words[:200]}).")
    if not isinstance(kept, dict) or request.query.get("state") != kept.get("state"):
        return _refuse(
            "This sign-in answer does not belong to this browser's sign-in (it may be old, "
            "or come from another tab). Nothing was done."
        )
    code = request.query.get("code")
    if not code:
        return _refuse("The sign-in provider sent no authorisation code.")
    try:
        claims = await state.oidc.finish(code, Pending(**kept))
    except SignInError as exc:
        return _refuse(f"Sign-in failed: {exc}.", status=502)
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return _refuse("The sign-in provider sent no email address for you: the console needs one.")
    if claims.get("email_verified") is False:
        return _refuse("The sign-in provider says your email address is not verified.")
    access = state.current_access()
    raw_groups = claims.get("groups") or []
    groups = (
        [str(g) for g in raw_groups if str(g) in access.by_group]
        if isinstance(raw_groups, list)
        else []
    )
    who = access.identity(str(claims["sub"]), email, str(claims.get("name") or ""), groups)
    if not who.roles:
        log.info("console sign-in refused for %s: no role", who.sub)
        return _refuse(
            f"You are signed in at the provider as {email}, but the console's access file gives "
            "you no role in any partnership. Ask your partnership's Business Manager to add you."
        )
    await start_session(request, who.sub, who.email, who.name, groups)
    for partnership in who.partnerships():
        await record_action(
            state.sessions,
            who,
            partnership=partnership,
            action="sign_in",
            target=who.email,
            outcome="accepted",
        )
    raise web.HTTPFound(str(kept.get("next_path") or "/"))


@routes.post("/signout")
async def signout(request: web.Request) -> web.StreamResponse:
    """End the console's session, then the provider's (RP-initiated logout) if it offers it."""
    await checked_form(request)
    state = request.app[STATE]
    who = identity(request)
    for partnership in who.partnerships():
        await record_action(
            state.sessions,
            who,
            partnership=partnership,
            action="sign_out",
            target=who.email,
            outcome="accepted",
        )
    session = await get_session(request)
    session.invalidate()
    after = f"{state.base_url}/signed-out"
    try:
        url = await state.oidc.sign_out_url(None, after)
    except SignInError:
        url = None
    raise web.HTTPFound(url or "/signed-out")


@routes.get("/signed-out")
async def signed_out(request: web.Request) -> web.StreamResponse:
    """Where signing out ends."""
    return message(
        "Signed out", "You have signed out of the partnership console.", link=("/signin", "Sign in")
    )
