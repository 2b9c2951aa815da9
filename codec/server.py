"""The remote codec endpoint the Temporal Web UI calls to show payloads decrypted.

Implements the UI's Remote Codec Endpoint protocol: ``POST /decode`` and
``POST /encode`` with ``{"payloads": [...]}`` (payloads in protobuf JSON form),
answering the same shape. Browsers call it cross-origin from the UI, so it
answers CORS preflights for the configured UI origins only. Every call must
carry ``Authorization: Bearer <ESCALATION_CODEC_TOKEN>`` (the ``temporal`` CLI's
``--codec-auth``) or the session cookie an admin gets by signing in at
``/login`` with that token (the Web UI, with ``TEMPORAL_CODEC_INCLUDE_CREDENTIALS``):
only admins given the token see case data; everyone else sees ciphertext.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from codec import session

log = logging.getLogger("escalation.codec")

ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _cors_headers(request: web.Request, origins: Sequence[str]) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if origin is None or origin not in origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    codec: PayloadCodec,
    token: str,
    cors_origins: Sequence[str] = (),
    clock: Callable[[], datetime] = _now,
    throttle: session.SignInThrottle | None = None,
) -> web.Application:
    """The aiohttp application.

    Args:
        codec: The payload codec (the same keys as the workers).
        token: The bearer token an admin's browser must present.
        cors_origins: Web UI origins allowed to call cross-origin, e.g.
            ``http://localhost:8080``.
        clock: "now", for session expiry.
        throttle: Counts failed sign-ins per client address (default: 10 a minute).
    """
    if not token:
        raise ValueError("ESCALATION_CODEC_TOKEN: a codec endpoint needs a bearer token")
    origins = tuple(cors_origins)
    sign_ins = throttle if throttle is not None else session.SignInThrottle()
    expected = f"Bearer {token}"

    @web.middleware
    async def cors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        cors = _cors_headers(request, origins)
        if request.method == "OPTIONS":
            # Preflight: browsers send it without credentials; it reveals nothing.
            return web.Response(status=204 if cors else 403, headers=cors)
        if request.path in ("/encode", "/decode"):
            given = request.headers.get("Authorization", "")
            signed_in = session.valid(request.cookies.get(session.COOKIE), token, clock())
            if not session.same(given, expected) and not signed_in:
                log.warning("codec %s refused: missing or wrong bearer token", request.path)
                return web.json_response(
                    {"error": "Authorization: a valid bearer token or admin session is required"},
                    status=401,
                    headers=cors,
                )
        response = await handler(request)
        response.headers.update(cors)
        return response

    async def transform(request: web.Request, encode: bool) -> web.Response:
        try:
            body = await request.json()
            payloads = json_format.ParseDict(body, Payloads())
        except (ValueError, json_format.ParseError) as exc:
            return web.json_response({"error": f"payloads: {exc}"}, status=400)
        try:
            if encode:
                result = await codec.encode(payloads.payloads)
            else:
                result = await codec.decode(payloads.payloads)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=422)
        return web.json_response(json_format.MessageToDict(Payloads(payloads=result)))

    async def encode(request: web.Request) -> web.Response:
        return await transform(request, encode=True)

    async def decode(request: web.Request) -> web.Response:
        return await transform(request, encode=False)

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    def login_page(message: str, status: int) -> web.Response:
        return web.Response(
            text=session.LOGIN_PAGE.format(message=message),
            status=status,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
        )

    async def login_form(_: web.Request) -> web.Response:
        return login_page("", 200)

    async def login(request: web.Request) -> web.Response:
        address = request.remote or "unknown"
        # Checked before the token is read: a throttled address learns nothing, even if right.
        if (wait := sign_ins.retry_after(address)) is not None:
            log.warning("codec sign-in refused: too many wrong tokens from %s", address)
            response = login_page(
                f"<p id='error'>Too many failed sign-ins. Try again in {wait} seconds.</p>", 429
            )
            response.headers["Retry-After"] = str(wait)
            return response
        form = await request.post()
        if not session.same(str(form.get("token", "")), token):
            sign_ins.failed(address)
            log.warning("codec sign-in refused: wrong token from %s", address)
            return login_page("<p id='error'>That is not the admin token.</p>", 401)
        response = login_page("<p id='ok'>Signed in for 8 hours.</p>", 200)
        https = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
        response.set_cookie(
            session.COOKIE,
            session.issue(token, clock()),
            max_age=int(session.LIFETIME.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=https,
            path="/",
        )
        return response

    app = web.Application(middlewares=[cors_and_auth])
    app.router.add_post("/encode", encode)
    app.router.add_post("/decode", decode)
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    return app


def serve(
    codec: PayloadCodec, token: str, cors_origins: Sequence[str], host: str, port: int
) -> None:
    """Run the endpoint until interrupted (``escalation codec-server``)."""
    app = create_app(codec, token, cors_origins)
    log.info("codec endpoint on http://%s:%d (CORS: %s)", host, port, ", ".join(cors_origins))
    web.run_app(app, host=host, port=port, print=None)
