"""Practice alerts in the console, against a real worker on the time-skipping server.

Rutland's shipped procedure; the alerts are raised through the SDK by
chair@rutland.example.org, a Team Manager responds, and the console is signed in to
through the real OpenID Connect provider. The raising chair finalises the alert in
Chromium (JavaScript off) and the page shows the workflow's acceptance; the other
Rutland chair sees who may decide, and a decision they post anyway is refused with
the reason, logged as refused, and never reaches the workflow. The tracker lists,
filters and sorts the alerts of the person's partnerships only, its CSV and XLSX
downloads carry the same rows, bad filters are refused in words, and the conference
briefing reads the case's alerts out.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from html import unescape
from typing import Any, TypeVar

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from console import alerts as console_alerts
from models.alerts import AlertResponse
from packs import PACK_DIR
from records.schema import ConsoleAction, PracticeAlertRow
from records.tracker import COLUMNS
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.browser import in_browser
from tests.console.support import (
    RUTLAND,
    Console,
    accessibility_violations,
    console_for,
    csrf_of,
    sign_in,
    signed_in,
)
from tests.workflows.alert_support import AlertHarness, alert_payload, alerts_running
from tests.workflows.support import at, jump_to

CHAIR = "chair@rutland.example.org"
RAISED = "2031-03-10T10:00:00+00:00"  # a Monday; a month no other test raises alerts in
LATER = "2031-03-11T09:30:00+00:00"
MARCH = "from=2031-03-01&to=2031-03-31"
T = TypeVar("T")


def _payload(raised_at: str, **overrides: Any) -> dict[str, Any]:
    """The example alert under Rutland's shipped procedure, raised by the signed-in chair."""
    payload = alert_payload(raised_at, procedure="rutland", **overrides)
    payload["raised_by"] = {**payload["raised_by"], "name": "R. Conference Chair", "email": CHAIR}
    return payload


async def _until(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll ``probe`` until it answers: the record is written just after the workflow moves."""
    deadline = asyncio.get_running_loop().time() + 15
    while (found := await probe()) is None:
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return found


async def _recorded(db: async_sessionmaker[AsyncSession], wid: str, state: str) -> None:
    async def probe() -> bool | None:
        async with db() as session:
            row = await session.scalar(
                select(PracticeAlertRow.state).where(PracticeAlertRow.workflow_id == wid)
            )
        return True if row == state else None

    await _until(probe, f"{wid}'s record to say {state}")


async def _actions(db: async_sessionmaker[AsyncSession], wid: str) -> list[tuple[str, ...]]:
    async with db() as session:
        rows = await session.scalars(
            select(ConsoleAction).where(ConsoleAction.target == wid).order_by(ConsoleAction.id)
        )
        return [(r.actor_email, r.action, r.outcome, r.partnership, r.detail) for r in rows]


@asynccontextmanager
async def _running(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
    issuer: str,
    sqlite_url: str,
) -> AsyncIterator[tuple[AlertHarness, Console]]:
    """A worker reading the shipped packs, and the console on its task queue."""
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail, pack_dir=PACK_DIR) as h:
        cases = EscalationClient(env.client, h.client.task_queue)
        async with console_for(
            issuer, cases, db, sqlite_url, clock=lambda: at("2031-03-12T12:00:00+00:00")
        ) as console:
            yield h, console


async def _answered_alert(h: AlertHarness, **overrides: Any) -> str:
    """An alert the Team Manager has responded to: the raising chair's decision is awaited."""
    wid = await h.client.raise_alert(_payload(RAISED, **overrides))
    await jump_to(h.env, at(LATER))
    await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visited on 11 March."))
    await _recorded(h.db, wid, "awaiting_finalisation")
    return wid


async def test_only_the_raising_chair_finalises_and_the_page_shows_the_workflows_answer(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
    issuer: str,
    sqlite_url: str,
    browser: webdriver.Chrome,
) -> None:
    async with _running(env, db, mail, issuer, sqlite_url) as (h, console):
        wid = await _answered_alert(h)
        alert_url = f"{console.url}/alerts/{wid}"

        def other_chair_reads() -> tuple[str, int, str]:
            browser.delete_all_cookies()
            sign_in(browser, alert_url, "other-chair-rutland")
            return (
                browser.find_element(By.ID, "facts").text,
                len(browser.find_elements(By.CSS_SELECTOR, "form#finalise, form#not-satisfied")),
                browser.find_element(By.ID, "why-not").text,
            )

        facts, forms, why_not = await in_browser(other_chair_reads)
        assert "Visited on 11 March." not in facts  # the facts; the note is below
        assert f"Raising chair's email {CHAIR}" in facts
        assert forms == 0
        assert why_not == (
            f"Only the chair who raised this alert, {CHAIR}, may finalise it or send it up a stage."
        )

        # A decision the other chair posts anyway (an old tab, a crafted form): refused, logged.
        async with signed_in(console, "other-chair-rutland") as http:
            token = await csrf_of(http, alert_url)
            for path, field in (("finalise", "text"), ("not-satisfied", "reason")):
                async with http.post(
                    f"{alert_url}/{path}", data={"csrf": token, field: "Closing it myself."}
                ) as r:
                    assert r.status == 403
                    page = unescape(await r.text())
                assert f"only the chair who raised this alert, {CHAIR}, may" in page.lower()
        status = await h.status(wid)
        assert status.state == "awaiting_finalisation"
        assert [e.kind for e in status.case_note] == ["alert", "response"]
        assert [(a[0], a[1], a[2], a[3]) for a in await _actions(db, wid)] == [
            ("other.chair@rutland.example.org", "alert_finalise", "refused", RUTLAND),
            ("other.chair@rutland.example.org", "alert_not_satisfied", "refused", RUTLAND),
        ]

        def raising_chair_finalises() -> tuple[str, str, str, str]:
            browser.delete_all_cookies()
            sign_in(browser, f"{console.url}/alerts?{MARCH}", "chair-rutland")
            # The tracker's GET form (no script): filter by reason, sort by state.
            Select(browser.find_element(By.ID, "f-reason")).select_by_value("statutory_visit_late")
            Select(browser.find_element(By.ID, "f-sort")).select_by_value("state")
            browser.find_element(By.CSS_SELECTOR, "form#filters button").click()
            WebDriverWait(browser, 20).until(lambda d: "reason=" in d.current_url)
            listed = browser.find_element(By.ID, "tracker").text
            browser.find_element(By.LINK_TEXT, wid).click()
            note = (
                WebDriverWait(browser, 20)
                .until(expected_conditions.presence_of_element_located((By.ID, "case-note")))
                .text
            )
            browser.find_element(By.ID, "finalise-text").send_keys("Visit done; satisfied.")
            browser.find_element(By.CSS_SELECTOR, "form#finalise button").click()
            outcome = WebDriverWait(browser, 20).until(
                expected_conditions.presence_of_element_located((By.ID, "outcome"))
            )
            return listed, note, outcome.text, browser.find_element(By.ID, "facts").text

        listed, note, outcome, facts = await in_browser(raising_chair_finalises)
        assert wid in listed and "awaiting the chair's decision" in listed
        assert "response by K. Team Manager" in note and "Visited on 11 March." in note
        assert outcome.startswith("The alert's workflow accepted this:")
        assert "finalised: closed by the raising chair" in facts
        status = await h.status(wid)
        assert status.state == "finalised"
        assert status.finalised_by == "R. Conference Chair"
        assert status.case_note[-1].text == "Visit done; satisfied."
        assert (await _actions(db, wid))[-1][:3] == (CHAIR, "alert_finalise", "accepted")

        # Finalised once: the workflow's own refusal is what the page shows, and it is logged.
        async with signed_in(console, "chair-rutland") as http:
            token = await csrf_of(http, alert_url)
            async with http.post(
                f"{alert_url}/not-satisfied", data={"csrf": token, "reason": "Still worried."}
            ) as r:
                assert r.status == 409
                page = unescape(await r.text())
        assert "The alert's workflow refused this:" in page and "finalised" in page
        assert (await _actions(db, wid))[-1][:3] == (CHAIR, "alert_not_satisfied", "refused")


async def test_the_raising_chair_sends_an_alert_up_and_an_empty_reason_is_named(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
    issuer: str,
    sqlite_url: str,
) -> None:
    async with _running(env, db, mail, issuer, sqlite_url) as (h, console):
        wid = await _answered_alert(h)
        url = f"{console.url}/alerts/{wid}/not-satisfied"
        async with signed_in(console, "chair-rutland") as http:
            token = await csrf_of(http, f"{console.url}/alerts/{wid}")
            async with http.post(url, data={"csrf": token, "reason": "  "}) as r:
                assert r.status == 400
                assert "Why you are not satisfied:" in unescape(await r.text())
            assert (await h.status(wid)).state == "awaiting_finalisation"
            async with http.post(url, data={"csrf": token, "reason": "No visit date."}) as r:
                assert r.status == 200
                page = unescape(await r.text())
        assert "The alert's workflow accepted this:" in page
        status = await h.status(wid)
        assert (status.state, status.current_stage) == ("open", "service_manager")
        assert [a[2] for a in await _actions(db, wid)] == ["refused", "accepted"]


def _rows_of(page: str, wids: list[str]) -> list[str]:
    """The given alerts in the order the table lists them."""
    return sorted((w for w in wids if w in page), key=page.index)


async def test_the_tracker_filters_sorts_downloads_and_briefs(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
    issuer: str,
    sqlite_url: str,
    axe_browser: webdriver.Chrome,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with _running(env, db, mail, issuer, sqlite_url) as (h, console):
        visits = await _answered_alert(h)
        report = await h.client.raise_alert(
            _payload("2031-03-11T09:00:00+00:00", reason_code="report_not_completed")
        )
        await _recorded(db, report, "open")
        both = [visits, report]
        case = (await h.status(visits)).case_reference

        async with signed_in(console, "bm-rutland") as http:

            async def get(path: str) -> tuple[int, str]:
                async with http.get(f"{console.url}{path}") as r:
                    return r.status, unescape(await r.text())

            status, page = await get(f"/alerts?{MARCH}")
            assert status == 200
            assert _rows_of(page, both) == [report, visits]  # newest first by default
            assert f'href="/alerts/{visits}"' in page
            _, page = await get(f"/alerts?{MARCH}&sort=raised&order=asc")
            assert _rows_of(page, both) == [visits, report]
            _, page = await get(f"/alerts?{MARCH}&sort=state&order=asc")
            assert _rows_of(page, both) == [visits, report]  # "awaiting..." before "open..."
            _, page = await get(f"/alerts?{MARCH}&sort=state&order=desc")
            assert _rows_of(page, both) == [report, visits]
            _, page = await get(f"/alerts?{MARCH}&reason=report_not_completed")
            assert _rows_of(page, both) == [report]
            _, page = await get(f"/alerts?{MARCH}&state=awaiting_finalisation&stage=team_manager")
            assert _rows_of(page, both) == [visits]
            _, page = await get("/alerts?from=2031-03-11&to=2031-03-11")
            assert _rows_of(page, both) == [report]
            monkeypatch.setattr(console_alerts, "PAGE_SIZE", 1)
            # The newest alert of the month is ``report``: alone on page 1, not on page 2.
            _, page = await get(f"/alerts?{MARCH}")
            assert _rows_of(page, both) == [report] and "Next page" in page
            assert "Alerts 1 to 1 of " in page
            _, page = await get(f"/alerts?{MARCH}&page=2")
            assert report not in page and "Previous page" in page and "(page 2 of " in page
            _, page = await get("/alerts?from=2031-03-11&to=2031-03-11")
            assert _rows_of(page, both) == [report] and "Next page" not in page
            monkeypatch.undo()

            status, page = await get("/alerts?from=2031-02-30&to=tomorrow")
            assert status == 400
            assert "from: not a day; write it as YYYY-MM-DD" in page
            assert "to: not a day" in page
            assert visits not in page
            status, page = await get("/alerts?sort=name&page=0")
            assert status == 400
            assert "sort: not a column to sort on" in page and "page: not a page number" in page
            status, page = await get("/alerts?from=1999-01-01&to=1999-01-02")
            assert status == 200 and "No practice alert matches these filters." in page

            async with http.get(f"{console.url}/alerts/tracker.csv?{MARCH}&sort=raised") as r:
                assert r.status == 200
                assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
                assert r.headers["Content-Disposition"].startswith("attachment; filename=")
                rows = list(csv.reader(io.StringIO(await r.text())))
            assert tuple(rows[0]) == COLUMNS
            wid_at = COLUMNS.index("Alert (workflow id)")
            mine = [r for r in rows[1:] if r[wid_at] in both]
            assert [r[wid_at] for r in mine] == [report, visits]
            assert mine[1][COLUMNS.index("Case reference")] == case
            assert mine[1][COLUMNS.index("Raised by")] == "R. Conference Chair"
            assert mine[1][COLUMNS.index("State")] == "awaiting the chair's decision"

            xlsx = f"{console.url}/alerts/tracker.xlsx?{MARCH}&reason=statutory_visit_late"
            async with http.get(xlsx) as r:
                assert r.status == 200
                assert r.headers["Content-Type"] == (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                )
                assert r.headers["Content-Disposition"].endswith('.xlsx"')
                book = load_workbook(io.BytesIO(await r.read()), read_only=True)
            sheet = list(book["Practice alerts"].iter_rows(values_only=True))
            assert sheet[0] == COLUMNS
            found = [r for r in sheet[1:] if r[wid_at] in both]
            assert [r[wid_at] for r in found] == [visits]
            assert found[0][0] == datetime(2031, 3, 10, 10, 0)  # local time, a real date

            async with http.get(f"{console.url}/alerts/tracker.csv?to=31/03/2031") as r:
                assert r.status == 400
                assert "to: not a day" in unescape(await r.text())

            status, page = await get(f"/alerts/briefing?case_reference={case}&since=2031-03-01")
            assert status == 200
            assert "On Monday 10 March 2031 R. Conference Chair raised a practice alert" in page
            assert "the Team Manager responded in time" in page
            status, page = await get(f"/alerts/briefing?case_reference={case}&since=March")
            assert status == 400 and "since: not a day" in page
            status, page = await get("/alerts/briefing?case_reference=Jane+Doe&since=2031-03-01")
            assert status == 400 and "case_reference: letters, digits" in page
            assert "Jane Doe" not in page.split('name="case_reference"')[0]

        async with signed_in(console, "bm-redbridge") as http:
            async with http.get(f"{console.url}/alerts?{MARCH}") as r:
                page = await r.text()
            assert r.status == 200 and visits not in page and report not in page
            async with http.get(f"{console.url}/alerts/{visits}") as r:
                assert r.status == 404
            async with http.get(f"{console.url}/alerts/tracker.csv?{MARCH}") as r:
                assert visits not in await r.text()
            url = f"{console.url}/alerts/briefing?case_reference={case}&since=2031-03-01"
            async with http.get(url) as r:
                assert r.status == 403
                assert "neither a chair nor a business manager" in await r.text()

        async with signed_in(console, "viewer-redbridge") as http:
            async with http.get(f"{console.url}/alerts/briefing") as r:
                assert r.status == 403

        def check() -> dict[str, list[str]]:
            sign_in(axe_browser, f"{console.url}/alerts?{MARCH}", "chair-rutland")
            found = {"tracker": accessibility_violations(axe_browser)}
            axe_browser.get(f"{console.url}/alerts/{visits}")
            assert axe_browser.find_elements(By.ID, "finalise")
            found["alert"] = accessibility_violations(axe_browser)
            axe_browser.get(f"{console.url}/alerts/briefing?case_reference={case}&since=2031-03-01")
            found["briefing"] = accessibility_violations(axe_browser)
            return found

        assert await in_browser(check) == {"tracker": [], "alert": [], "briefing": []}
