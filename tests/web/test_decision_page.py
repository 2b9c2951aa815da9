"""The decision page in Debian's headless Chromium, against real cases on the time-skipping server.

A manager resolves through the page (the workflow's acceptance is shown), the
confirmer records the written confirmation, and a reused, an expired and a
forged link each get a clear page and change nothing. At the top of the ladder
the workflow's own refusal is what the page shows.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from starter.sdk import EscalationClient
from tests.browser import chromium
from tests.workflows.alert_support import TEAM_MANAGER, alert_payload, alerts_running
from tests.workflows.support import at, email_of, jump_to, running, start_payload
from web.app import create_app
from web.links import decision_link

SECRET = "decision-page-test-secret"
RAISED = at("2030-06-10T10:00:00+01:00")  # Monday, BST
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    yield from chromium()


async def _in_browser(action: Callable[[], T]) -> T:
    """Selenium blocks; the page is served from this event loop, so drive it from a thread."""
    return await asyncio.to_thread(action)


def _text(driver: webdriver.Chrome, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _after_submit(driver: webdriver.Chrome) -> Any:
    """The result box, once the browser has loaded the page the form was posted to."""
    return WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "result"))
    )


@asynccontextmanager
async def page_for(client: EscalationClient) -> AsyncIterator[str]:
    """The decision page served on a free port for ``client``'s task queue; its base URL."""
    runner = web.AppRunner(create_app(client, SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def harness(env, db, mail) -> AsyncIterator[tuple[Any, str]]:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h, page_for(h.client) as base:
        yield h, base


async def _until(h: Any, wid: str, stage: str) -> None:
    """Wait until the case has entered ``stage`` (its emails, and links, go out then)."""
    for _ in range(200):
        if (await h.status(wid)).current_stage == stage:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the case never reached {stage}")


def _link(base: str, wid: str, stage: str, role: str, action: str, valid: timedelta) -> str:
    return decision_link(
        base,
        SECRET,
        workflow_id=wid,
        stage=stage,
        email=email_of(role),
        action=action,  # type: ignore[arg-type]
        expires_at=datetime.now(UTC) + valid,
    )


async def test_resolve_confirm_and_refused_links(harness, browser) -> None:
    h, base = harness
    wid = await h.client.open(start_payload(RAISED))
    await _until(h, wid, "practitioners")
    day = timedelta(days=1)
    decide = _link(base, wid, "practitioners", "receiving.practitioner", "decide", day)

    def open_and_resolve() -> tuple[str, str, str, str, str]:
        browser.get(decide)
        shown = (
            browser.find_element(By.TAG_NAME, "h1").text,
            _text(browser, "#case-3"),
            _text(browser, "#case-5"),
            _text(browser, "#who"),
        )
        browser.find_element(By.ID, "outcome").send_keys("Strategy discussion booked for Tuesday")
        browser.find_element(By.ID, "submit-resolve").click()
        return (*shown, str(_after_submit(browser).text))

    h1, stage, deadline, who, result = await _in_browser(open_and_resolve)
    case_ref = (await h.status(wid)).case_reference
    assert h1 == f"Disagreement about case {case_ref}"
    assert stage == "Stage 1: practitioner and decision maker"
    assert deadline == "Monday 17 June 2030, 17:00 BST"
    assert who == email_of("receiving.practitioner")
    assert result == (  # what happens next, in words: the confirmation's deadline
        "Recorded. The disagreement is resolved. "
        "The written confirmation is due by Wednesday 12 June 2030, 17:00 BST."
    )
    status = await h.status(wid)
    assert status.state == "resolved"
    assert status.outcome == "Strategy discussion booked for Tuesday"
    assert status.resolved_by == f"{email_of('receiving.practitioner')} (decision page)"

    # The same link again: used, and a replayed POST changes nothing.
    def reopen() -> tuple[str, str | None, str]:
        browser.get(decide)
        box = browser.find_element(By.ID, "notice")
        return browser.title, box.get_attribute("data-kind"), box.text

    title, kind, text = await _in_browser(reopen)
    assert (title, kind) == ("This link has been used", "used")
    assert "already been resolved" in text and "Nothing has been recorded" in text
    async with aiohttp.ClientSession() as http:
        form = {"decision": "unresolved", "reason": "replayed"}
        async with http.post(decide, data=form) as replay:
            assert replay.status == 410
    assert (await h.status(wid)).model_dump() == status.model_dump()

    # Expired and forged links: a clear page each, nothing recorded.
    expired = _link(base, wid, "practitioners", "receiving.practitioner", "confirm", -day)
    genuine = _link(base, wid, "practitioners", "raising.practitioner", "confirm", day)
    body, mac = genuine.rsplit("/", 1)[1].split(".")
    other = _link(base, wid, "practitioners", "raising.line_manager", "confirm", day)
    forged = f"{base}/d/{other.rsplit('/', 1)[1].split('.')[0]}.{mac}"
    for url, want_title, want_kind in (
        (expired, "This link has expired", "expired"),
        (forged, "This link is not valid", "forged"),
        (f"{base}/d/{body}.{mac[:-2]}AA", "This link is not valid", "forged"),
    ):

        def visit(url: str = url) -> tuple[str, str | None]:
            browser.get(url)
            return browser.title, browser.find_element(By.ID, "notice").get_attribute("data-kind")

        assert await _in_browser(visit) == (want_title, want_kind)
    assert (await h.status(wid)).model_dump() == status.model_dump()

    # The written confirmation through its own link closes the case.
    confirm = _link(base, wid, "practitioners", "receiving.practitioner", "confirm", day)

    def confirm_in_writing() -> str:
        browser.get(confirm)
        browser.find_element(By.ID, "text").send_keys("Outcome letter sent to the school")
        browser.find_element(By.ID, "submit-confirm").click()
        return str(_after_submit(browser).text)

    assert await _in_browser(confirm_in_writing) == (
        "Recorded. The case is closed. Outcome: Strategy discussion booked for Tuesday"
    )
    final = await h.client.handle(wid).result()
    assert final.state == "closed" and final.confirmed_at is not None


async def test_the_page_shows_the_workflows_refusal(harness, browser) -> None:
    h, base = harness
    wid = await h.client.open(start_payload(RAISED))
    await jump_to(h.env, at("2030-06-27T10:00:00+01:00"))  # stage 4 since 26 June 17:00
    await _until(h, wid, "lscb_chair")
    chair = _link(base, wid, "lscb_chair", "partnership.chair", "decide", timedelta(days=1))

    def offers_at_the_top() -> tuple[list[str], str]:
        browser.get(chair)
        forms = [f.get_attribute("id") for f in browser.find_elements(By.TAG_NAME, "form")]
        return forms, _text(browser, "#last-stage")

    forms, last = await _in_browser(offers_at_the_top)
    assert forms == ["resolve"]  # only what the workflow would accept: no "go up a stage"
    assert last.startswith("This is the last stage of the procedure: there is no higher level")

    # A stale page (or a hand-made POST) still asks for "unresolved": the workflow's refusal
    # is what the person reads, and nothing is recorded.
    async with aiohttp.ClientSession() as http:
        form = {"decision": "unresolved", "reason": "Agencies still disagree"}
        async with http.post(chair, data=form) as answer:
            page = await answer.text()
    box = re.search(r'<[^>]*id="result"[^>]*data-accepted="(\w+)"[^>]*>\s*<p>(.*?)</p>', page, re.S)
    assert box is not None, page
    assert box.group(1) == "false"
    assert html.unescape(" ".join(box.group(2).split())) == (
        "Not recorded. The case workflow refused it: stage 'lscb_chair' is the last stage: "
        "there is no higher level; only a resolution closes the case"
    )
    after = await h.status(wid)
    assert after.current_stage == "lscb_chair" and len(after.stages) == 4


@pytest.fixture
async def alert_harness(env, db, mail) -> AsyncIterator[tuple[Any, str]]:
    await jump_to(env, RAISED)
    async with alerts_running(env, db, mail) as h:
        async with page_for(EscalationClient(env.client, h.client.task_queue)) as base:
            yield h, base


async def test_a_practice_alert_stage_responds_through_its_link(alert_harness, browser) -> None:
    """The Team Manager's link shows the alert and its case note and records the response
    as an Update; the alert then waits for its raiser, and the same link is used."""
    h, base = alert_harness
    wid = await h.client.raise_alert(alert_payload(RAISED.isoformat()))
    for _ in range(200):
        if (await h.status(wid)).current_stage == "team_manager":
            break
        await asyncio.sleep(0.05)
    respond = decision_link(
        base,
        SECRET,
        workflow_id=wid,
        stage="team_manager",
        email=TEAM_MANAGER,
        action="respond",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )

    def open_and_respond() -> tuple[str, str, str, str, str, str]:
        browser.get(respond)
        shown = (
            browser.find_element(By.TAG_NAME, "h1").text,
            _text(browser, "#case-4"),
            _text(browser, "#case-6"),
            _text(browser, "#history"),
        )
        browser.find_element(By.ID, "text").send_keys("Home visit done; plan reviewed")
        browser.find_element(By.ID, "submit-respond").click()
        result = str(_after_submit(browser).text)
        return (*shown, result, _text(browser, "body"))

    h1, stage, deadline, note, result, page = await _in_browser(open_and_respond)
    case_ref = (await h.status(wid)).case_reference
    assert h1 == f"Practice alert on case {case_ref}"
    assert stage == "Stage 1: Team Manager"
    assert deadline == "Monday 17 June 2030, 17:00 BST"
    assert "alert" in note  # the raising entry is on the case note shown
    # What happens next, in plain words; the stage that responded names nobody left to act.
    assert result == (
        "Recorded. The response is on the alert's case note. The raising chair "
        "(J. Independent Reviewing Officer) now decides: finalise the alert, or send it up a "
        "stage if not satisfied."
    )
    assert "Who must respond" not in page and "Deadline" not in page
    assert "accepted it" not in page
    status = await h.status(wid)
    assert status.state == "awaiting_finalisation"
    [entry] = [e for e in status.case_note if e.kind == "response"]
    assert (entry.by, entry.text, entry.stage) == (
        f"{TEAM_MANAGER} (decision page)",
        "Home visit done; plan reviewed",
        "team_manager",
    )

    # The same link again: used, and a replayed POST changes nothing.
    def reopen() -> tuple[str, str | None, str]:
        browser.get(respond)
        box = browser.find_element(By.ID, "notice")
        return browser.title, box.get_attribute("data-kind"), box.text

    title, kind, text = await _in_browser(reopen)
    assert (title, kind) == ("This link has been used", "used")
    assert "This stage has responded" in text
    async with aiohttp.ClientSession() as http:
        async with http.post(respond, data={"decision": "respond", "text": "again"}) as replay:
            assert replay.status == 410
    assert (await h.status(wid)).model_dump() == status.model_dump()
