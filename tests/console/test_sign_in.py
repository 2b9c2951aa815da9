"""Signing in to the console through a real OpenID Connect provider, and out again.

The provider is oidc-provider-mock on a free port; the console is the real aiohttp
application. Sign-in is refused, with the reason and no session, for a person the
access file does not name and for a callback this browser did not start; a form
without the session's CSRF token is refused and nothing is done.
"""

from __future__ import annotations

import os
from html import unescape
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from records.schema import ConsoleAction
from starter.sdk import EscalationClient
from tests.browser import in_browser
from tests.console.support import (
    ACCESS,
    REDBRIDGE,
    accessibility_violations,
    console_for,
    csrf_of,
    sign_in,
    signed_in,
)


@pytest.fixture
def cases(env: WorkflowEnvironment) -> EscalationClient:
    return EscalationClient(env.client, "console-sign-in")


async def test_signing_in_and_out_in_the_browser(
    issuer: str,
    cases: EscalationClient,
    sqlite_sessionmaker,
    sqlite_url: str,
    browser: webdriver.Chrome,
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:

        def sign_in_and_read() -> tuple[str, str, list[dict[str, object]]]:
            sign_in(browser, f"{console.url}/", "bm-redbridge")
            return (
                browser.find_element(By.TAG_NAME, "h1").text,
                browser.find_element(By.CSS_SELECTOR, "header .who").text,
                browser.get_cookies(),
            )

        heading, who, cookies = await in_browser(sign_in_and_read)
        assert heading == "Today"
        assert "Signed in as bm@redbridge.example.org" in who
        assert f"Business Manager — {REDBRIDGE}" in who
        (cookie,) = [c for c in cookies if c["name"] == "escalation_console"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert "sub" not in str(cookie["value"]) and "redbridge" not in str(cookie["value"])

        def sign_out() -> tuple[str, str]:
            browser.find_element(By.CSS_SELECTOR, "form[action='/signout'] button").click()
            # The provider asks to end its own session too (RP-initiated logout).
            WebDriverWait(browser, 20).until(
                expected_conditions.presence_of_element_located(
                    (By.XPATH, "//button[normalize-space()='End session']")
                )
            ).click()
            WebDriverWait(browser, 20).until(
                lambda d: urlsplit(d.current_url).path == "/signed-out"
            )
            message = browser.find_element(By.ID, "message").text
            browser.get(f"{console.url}/")
            return message, urlsplit(browser.current_url).path

        message, after = await in_browser(sign_out)
        assert message == "You have signed out of the partnership console."
        assert after == "/oauth2/authorize"  # signed out: back to the provider

    async with sqlite_sessionmaker() as session:
        rows = (
            await session.scalars(
                select(ConsoleAction).where(ConsoleAction.actor_sub == "bm-redbridge")
            )
        ).all()
    assert [(r.action, r.partnership, r.actor_email, r.outcome) for r in rows][-2:] == [
        ("sign_in", REDBRIDGE, "bm@redbridge.example.org", "accepted"),
        ("sign_out", REDBRIDGE, "bm@redbridge.example.org", "accepted"),
    ]


async def test_a_person_with_no_role_is_refused_and_gets_no_session(
    issuer: str, cases: EscalationClient, sqlite_sessionmaker, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 302 and r.headers["Location"] == "/signin?next=/"
            async with http.get(f"{console.url}/signin", allow_redirects=False) as r:
                provider = r.headers["Location"]
            async with http.post(provider, data={"sub": "nobody"}) as r:
                assert r.status == 403
                page = await r.text()
            assert "nobody@elsewhere.example.org" in page
            assert "gives you no role in any partnership" in page
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 302  # still not signed in


async def test_a_callback_this_browser_did_not_start_is_refused(
    issuer: str, cases: EscalationClient, sqlite_sessionmaker, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{console.url}/signin", allow_redirects=False) as r:
                provider = r.headers["Location"]
            async with http.post(
                provider, data={"sub": "bm-redbridge"}, allow_redirects=False
            ) as r:
                back = r.headers["Location"]
            forged = back.replace("state=", "state=x")
            async with http.get(forged, allow_redirects=False) as r:
                assert r.status == 403
                assert "does not belong to this browser's sign-in" in unescape(await r.text())
            async with http.get(f"{console.url}/auth/callback?error=access_denied") as r:
                assert r.status == 403
                assert "did not sign you in (access_denied)" in await r.text()
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 302


async def test_forms_need_the_sessions_csrf_token(
    issuer: str, cases: EscalationClient, sqlite_sessionmaker, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:
        async with signed_in(console, "qa-redbridge") as http:
            for sent in ({}, {"csrf": "guessed"}):
                async with http.post(
                    f"{console.url}/signout", data=sent, allow_redirects=False
                ) as r:
                    assert r.status == 403
                    assert "security token does not match" in await r.text()
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 200  # still signed in: nothing was done
                assert r.headers["Cache-Control"] == "no-store"
                assert (
                    "form-action 'self' http://localhost:" in r.headers["Content-Security-Policy"]
                )
                assert r.headers["X-Frame-Options"] == "DENY"
            token = await csrf_of(http, f"{console.url}/")
            async with http.post(
                f"{console.url}/signout", data={"csrf": token}, allow_redirects=False
            ) as r:
                assert r.status == 302
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 302


async def test_sign_in_returns_to_the_page_asked_for_on_this_console_only(
    issuer: str, cases: EscalationClient, sqlite_sessionmaker, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:
        for asked, lands in (
            ("/?x=1", "/?x=1"),
            ("//evil.example.org/", "/"),
            ("https://e.org", "/"),
        ):
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                url = f"{console.url}/signin?next={quote(asked, safe='')}"
                async with http.get(url, allow_redirects=False) as r:
                    provider = r.headers["Location"]
                async with http.post(
                    provider, data={"sub": "viewer-redbridge"}, allow_redirects=False
                ) as r:
                    back = r.headers["Location"]
                async with http.get(back, allow_redirects=False) as r:
                    assert r.headers["Location"] == lands


async def test_the_pages_pass_the_accessibility_check(
    issuer: str,
    cases: EscalationClient,
    sqlite_sessionmaker,
    sqlite_url: str,
    axe_browser: webdriver.Chrome,
) -> None:
    async with console_for(issuer, cases, sqlite_sessionmaker, sqlite_url) as console:

        def check() -> dict[str, list[str]]:
            sign_in(axe_browser, f"{console.url}/", "bm-redbridge")
            found = {"/": accessibility_violations(axe_browser)}
            axe_browser.get(f"{console.url}/signed-out")
            found["/signed-out"] = accessibility_violations(axe_browser)
            return found

        assert await in_browser(check) == {"/": [], "/signed-out": []}


async def test_a_role_taken_away_in_the_access_file_applies_at_once(
    issuer: str, cases: EscalationClient, sqlite_sessionmaker, sqlite_url: str, tmp_path
) -> None:
    path = tmp_path / "access.toml"
    path.write_text(ACCESS)
    async with console_for(
        issuer, cases, sqlite_sessionmaker, sqlite_url, access_path=path
    ) as console:
        async with signed_in(console, "viewer-redbridge") as http:
            async with http.get(f"{console.url}/") as r:
                assert r.status == 200
            path.write_text(ACCESS.replace("viewer@redbridge.example.org", "someone@else.org"))
            os.utime(path, (1, 1))  # a different modification time, however fast the edit
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 403
                assert "no longer gives viewer@redbridge.example.org a role" in await r.text()
            async with http.get(f"{console.url}/", allow_redirects=False) as r:
                assert r.status == 302  # signed out
            path.write_text("not [ toml")  # a broken edit keeps the last good file
            os.utime(path, (2, 2))
        async with signed_in(console, "qa-redbridge") as http:
            async with http.get(f"{console.url}/") as r:
                assert r.status == 200
