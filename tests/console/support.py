"""The console on a free port against a real OpenID Connect provider (oidc-provider-mock).

``console_for`` serves the real aiohttp application with a real SDK client and the
records database; sign-in always goes through the provider run locally, never a
bypass. ``signed_in`` signs in from an aiohttp client (its cookie jar holds the
session), for tests that need no browser; ``sign_in`` does it in Chromium.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from axe_selenium_python import Axe
from oidc_provider_mock import User
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.access import AccessMap
from console.app import create_app
from console.oidc import OidcClient
from console.state import ConsoleState
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient

REDBRIDGE = "Redbridge Local Safeguarding Children Board"
RUTLAND = "Rutland County Council children's social care (LLR LSCB area)"
SUTTON = "Sutton Local Safeguarding Children Board"
SESSION_SECRET = "console-test-session-secret-0123456789abcdef"
CLIENT_ID, CLIENT_SECRET = "partnership-console", "console-client-secret"

ACCESS = f"""
[[group]]
group = "sg-redbridge-business-managers"
partnership = "{REDBRIDGE}"
roles = ["business_manager"]

[[group]]
group = "sg-rutland-business-managers"
partnership = "{RUTLAND}"
roles = ["business_manager"]

[[person]]
email = "chair@rutland.example.org"
partnership = "{RUTLAND}"
roles = ["chair"]

[[person]]
email = "other.chair@rutland.example.org"
partnership = "{RUTLAND}"
roles = ["chair"]

[[person]]
email = "qa@redbridge.example.org"
partnership = "{REDBRIDGE}"
roles = ["qa"]

[[person]]
email = "viewer@redbridge.example.org"
partnership = "{REDBRIDGE}"
roles = ["viewer"]

[[person]]
email = "bm@sutton.example.org"
partnership = "{SUTTON}"
roles = ["business_manager"]
"""
"""Who may do what in the console tests: one person per role, by group or by email."""

USERS = [
    User(
        sub="bm-redbridge",
        claims={
            "email": "bm@redbridge.example.org",
            "name": "Redbridge Business Manager",
            "groups": ["sg-redbridge-business-managers", "sg-unrelated"],
        },
    ),
    User(
        sub="bm-rutland",
        claims={"email": "bm@rutland.example.org", "groups": ["sg-rutland-business-managers"]},
    ),
    User(sub="chair-rutland", claims={"email": "chair@rutland.example.org"}),
    User(sub="other-chair-rutland", claims={"email": "other.chair@rutland.example.org"}),
    User(sub="qa-redbridge", claims={"email": "qa@redbridge.example.org"}),
    User(sub="viewer-redbridge", claims={"email": "viewer@redbridge.example.org"}),
    User(sub="bm-sutton", claims={"email": "bm@sutton.example.org"}),
    User(sub="nobody", claims={"email": "nobody@elsewhere.example.org"}),
]
"""The provider's people (subject → claims), as the identity provider would send them."""


@dataclass
class Console:
    """A console being served: its base URL and its state (records, clients)."""

    url: str
    state: ConsoleState


@asynccontextmanager
async def console_for(
    issuer: str,
    cases: EscalationClient,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    *,
    access: str = ACCESS,
    clock: Callable[[], datetime] | None = None,
    access_path: Path | None = None,
) -> AsyncIterator[Console]:
    """The console on a free port of 127.0.0.1 for ``cases``' task queue."""
    async with aiohttp.ClientSession() as http:
        runner: web.AppRunner | None = None
        oidc = OidcClient(http, issuer, CLIENT_ID, CLIENT_SECRET, "")
        state = ConsoleState(
            oidc=oidc,
            access=AccessMap.load(access_path) if access_path else AccessMap.parse(access),
            sessions=sessions,
            database_url=database_url,
            cases=cases,
            alerts=PracticeAlertClient(cases.client, cases.task_queue),
            base_url="",
        )
        state.access_path = access_path
        if clock is not None:
            state.clock = clock
        runner = web.AppRunner(create_app(state, SESSION_SECRET, issuer))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # "localhost", as people type it: the cookie and the provider's redirect agree on it.
        state.base_url = f"http://localhost:{port}"
        oidc.redirect_uri = f"{state.base_url}/auth/callback"
        try:
            yield Console(state.base_url, state)
        finally:
            await runner.cleanup()


@asynccontextmanager
async def signed_in(console: Console, sub: str) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client signed in to ``console`` as the provider's ``sub`` (a real round trip)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{console.url}/signin", allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            to_provider = r.headers["Location"]
        async with http.post(to_provider, data={"sub": sub}, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            back = r.headers["Location"]
        assert urlsplit(back).path == "/auth/callback"
        async with http.get(back, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
        yield http


def sign_in(driver: webdriver.Chrome, url: str, sub: str) -> None:
    """Open ``url`` in Chromium and sign in at the provider's form as ``sub``."""
    driver.get(url)
    field = WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.NAME, "sub"))
    )
    field.send_keys(sub)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]:not([name=action])").click()
    WebDriverWait(driver, 20).until(lambda d: urlsplit(d.current_url).path != "/oauth2/authorize")


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    """The CSRF token of the form on the page at ``url`` (as the browser would post it)."""
    async with http.get(url) as r:
        html = await r.text()
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def accessibility_violations(driver: webdriver.Chrome) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page open in ``driver`` (labels, headings,
    contrast, landmarks...), one line each: empty when the page passes."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run(
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}}
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results["violations"]
    ]
