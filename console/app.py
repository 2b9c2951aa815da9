"""The console's aiohttp application: middlewares, routes, start-up and shut-down.

Each section of the console is one module with its own ``routes`` table (``signin``,
``today``, ...); this module only puts them together behind the headers, the session
and the sign-in requirement (``console.guard``), in that order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from console import admin, alerts, case_page, reports, signin, today
from console.access import AccessMap
from console.guard import install_sessions, require_sign_in, security_headers
from console.oidc import OidcClient
from console.state import STATE, ConsoleState
from packs.local import default_dir
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient

log = logging.getLogger("escalation.console")

MAX_REQUEST_BYTES = 2 * 1024 * 1024
"""The largest request the console reads: a contacts file of a few thousand rows fits."""

SECTIONS: tuple[web.RouteTableDef, ...] = (
    signin.routes,
    today.routes,
    case_page.routes,
    alerts.routes,
    reports.routes,
    admin.routes,
)
"""Every section's routes; a new page's module adds its table here."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def create_app(state: ConsoleState, session_secret: str, issuer: str) -> web.Application:
    """The console for ``state``; sessions encrypted with ``session_secret``."""
    app = web.Application(
        middlewares=[security_headers(_origin(issuer))], client_max_size=MAX_REQUEST_BYTES
    )
    app[STATE] = state
    install_sessions(app, session_secret, secure=state.base_url.startswith("https://"))
    app.middlewares.append(require_sign_in)
    app.router.add_get("/health", _health)
    for table in SECTIONS:
        app.add_routes(table)
    return app


@dataclass(frozen=True)
class Provider:
    """The console's registration at its OpenID Connect provider."""

    issuer: str
    client_id: str
    client_secret: str


async def run_console(
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    provider: Provider,
    *,
    access: AccessMap,
    access_path: Path | None,
    base_url: str,
    session_secret: str,
    host: str,
    port: int,
    stop: asyncio.Event,
) -> None:
    """Build the console's state (sign-in client, records, workflow clients) and serve it
    until ``stop``: what ``escalation console`` and the dev stack both run."""
    base = base_url.rstrip("/")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        oidc = OidcClient(
            http,
            provider.issuer,
            provider.client_id,
            provider.client_secret,
            f"{base}/auth/callback",
        )
        state = ConsoleState(
            oidc=oidc,
            access=access,
            sessions=sessions,
            database_url=database_url,
            cases=EscalationClient(client, task_queue),
            alerts=PracticeAlertClient(client, task_queue),
            base_url=base,
            local_dir=default_dir(),
            access_path=access_path,
        )
        await serve(state, session_secret, provider.issuer, host, port, stop)


async def serve(
    state: ConsoleState, session_secret: str, issuer: str, host: str, port: int, stop: asyncio.Event
) -> None:
    """Serve the console until ``stop`` is set."""
    runner = web.AppRunner(create_app(state, session_secret, issuer), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("partnership console on http://%s:%d", host, port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
