"""Administration in the console: closure days, the contact directory, local settings.

A closure is added in Chromium with JavaScript off by the Redbridge Business Manager
while a Redbridge case runs on a real worker (the time-skipping server): the day is
stored, the case's deadlines each move by one working day, the page says so case by
case, and the action is recorded. A contacts file with bad rows is refused whole,
each bad line and reason shown, nothing written; a good one is written and counted;
one entry is edited. Quality Assurance and viewers are refused, and that is recorded.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from packs import load_pack
from records.closures import ClosureStore
from records.schema import ConsoleAction, Contact, Disagreement
from starter.sdk import EscalationClient
from tests.browser import in_browser
from tests.console.support import (
    REDBRIDGE,
    SUTTON,
    accessibility_violations,
    console_for,
    csrf_of,
    sign_in,
    signed_in,
)
from tests.workflows.support import running, start_payload
from workdays.calendar import load_calendar
from workflows.search_attributes import local_deadline

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def cases(env: WorkflowEnvironment) -> EscalationClient:
    return EscalationClient(env.client, "console-admin")


async def _actions(db, sub: str, action: str) -> list[tuple[str, str, str]]:
    async with db() as session:
        rows = await session.scalars(
            select(ConsoleAction)
            .where(ConsoleAction.actor_sub == sub, ConsoleAction.action == action)
            .order_by(ConsoleAction.id)
        )
        return [(r.target, r.outcome, r.detail) for r in rows]


async def _recorded(db, wid: str) -> None:
    """Wait for the case's row (written by an activity just after the case opens)."""
    for _ in range(200):
        async with db() as session:
            if await session.scalar(select(Disagreement.id).where(Disagreement.workflow_id == wid)):
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{wid} never recorded")


async def test_a_closure_added_in_the_browser_moves_the_running_case(
    env: WorkflowEnvironment, db, sqlite_url: str, mail, issuer: str, browser: webdriver.Chrome
) -> None:
    now = (await env.get_current_time()).astimezone(LONDON)
    raised = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    base = load_calendar(load_pack("redbridge-2017").calendar)
    closed = base.next_working_day(base.effective_day(raised))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(raised))
        await _recorded(db, wid)
        before = await h.status(wid)
        old = before.stages[0].due_at
        new = base.close_of_business(base.next_working_day(old.date()))
        async with console_for(issuer, h.client, db, sqlite_url, clock=lambda: now) as console:

            def add() -> tuple[str, list[list[str]]]:
                sign_in(browser, f"{console.url}/admin/closures", "bm-redbridge")
                browser.find_element(By.ID, "date").send_keys(closed.isoformat())
                browser.find_element(By.ID, "reason").send_keys("Staff training day")
                browser.find_element(
                    By.CSS_SELECTOR, "form[action='/admin/closures'] button"
                ).click()
                WebDriverWait(browser, 30).until(
                    expected_conditions.presence_of_element_located((By.ID, "result"))
                )
                rows = browser.find_elements(By.CSS_SELECTOR, "#outcomes tbody tr")
                cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]
                return browser.find_element(By.ID, "stored").text, cells

            stored, cells = await in_browser(add)
        # The workflow's own state: its stage deadline moved by exactly one working day.
        assert (await h.status(wid)).stages[0].due_at == new

    ref = before.case_reference
    assert stored == (f"Stored closure {closed:%A} {closed.day} {closed:%B %Y} for {REDBRIDGE}.")
    mine = [c for c in cells if c[0] == ref]
    assert [
        "stage (practitioners)",
        f"{local_deadline(old, 'Europe/London')} → {local_deadline(new, 'Europe/London')}",
    ] in [c[1:] for c in mine]
    assert base.working_days_between(old, new) == 1
    stored_days = [(c.day, c.added_by) for c in await ClosureStore(db).all(REDBRIDGE)]
    assert (closed, "bm@redbridge.example.org") in stored_days
    [(_, outcome, detail)] = [
        a for a in await _actions(db, "bm-redbridge", "add_closure") if a[0] == closed.isoformat()
    ]
    assert outcome == "accepted"
    assert detail.startswith(f"Stored closure {closed:%A} {closed.day} {closed:%B %Y}")


def _csv(*rows: str) -> bytes:
    return ("partnership,agency,role,name,email\n" + "\n".join(rows) + "\n").encode()


async def _upload(http: aiohttp.ClientSession, url: str, data: bytes) -> tuple[int, str]:
    token = await csrf_of(http, f"{url}/admin/contacts")
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    form.add_field("file", data, filename="contacts.csv", content_type="text/csv")
    async with http.post(f"{url}/admin/contacts/import", data=form) as r:
        return r.status, unescape(await r.text())


async def _contacts(db, agency: str) -> list[tuple[str, str, str]]:
    async with db() as session:
        rows = await session.scalars(
            select(Contact).where(Contact.agency == agency).order_by(Contact.role)
        )
        return [(r.role, r.name, r.email) for r in rows]


async def test_a_contacts_file_with_bad_rows_writes_nothing_and_a_good_one_is_written(
    issuer: str, cases: EscalationClient, db, sqlite_url: str
) -> None:
    agency = f"Redbridge Health {uuid.uuid4().hex[:6]}"
    async with console_for(issuer, cases, db, sqlite_url) as console:
        async with signed_in(console, "bm-redbridge") as http:
            status, page = await _upload(
                http,
                console.url,
                _csv(
                    f"{REDBRIDGE},{agency},line_manager,Dana Lee,dana@health.example.org",
                    f"{REDBRIDGE},{agency},designated_nurse,Sam Roe,not-an-email",
                    f"{SUTTON},{agency},line_manager,Ann Other,ann@sutton.example.org",
                ),
            )
            assert status == 400
            assert "line 3: email: 'not-an-email' is not an email address" in page
            assert (
                f"line 4: partnership: '{SUTTON}' is not a partnership whose directory you keep"
                in page
            )
            assert "nothing imported (2 error(s))" in page
            assert await _contacts(db, agency) == []

            status, page = await _upload(
                http,
                console.url,
                _csv(
                    f"{REDBRIDGE.upper()},{agency},line_manager,Dana Lee,dana@health.example.org",
                    f"{REDBRIDGE},{agency},designated_nurse,Sam Roe,sam@health.example.org",
                ),
            )
            assert status == 200
            assert "contacts.csv: 2 contact(s) added, 0 updated" in page
            assert await _contacts(db, agency) == [
                ("designated_nurse", "Sam Roe", "sam@health.example.org"),
                ("line_manager", "Dana Lee", "dana@health.example.org"),
            ]
            async with db() as session:
                nurse = await session.scalar(
                    select(Contact).where(
                        Contact.agency == agency, Contact.role == "designated_nurse"
                    )
                )
            assert nurse is not None and nurse.partnership == REDBRIDGE  # as the pack spells it
            assert f'href="/admin/contacts/{nurse.id}"' in page

            edit = f"{console.url}/admin/contacts/{nurse.id}"
            token = await csrf_of(http, edit)
            bad = {"csrf": token, "name": " ", "email": "sam at health"}
            async with http.post(edit, data=bad) as r:
                assert r.status == 400
                page = unescape(await r.text())
            assert "Nothing was saved" in page and "name: " in page and "email: " in page
            good = {"csrf": token, "name": "Sam Roe-Smith", "email": "sam.rs@health.example.org"}
            async with http.post(edit, data=good) as r:
                assert r.status == 200
                assert "is now Sam Roe-Smith <sam.rs@health.example.org>" in unescape(
                    await r.text()
                )
    assert await _contacts(db, agency) == [
        ("designated_nurse", "Sam Roe-Smith", "sam.rs@health.example.org"),
        ("line_manager", "Dana Lee", "dana@health.example.org"),
    ]
    imports = [a[1] for a in await _actions(db, "bm-redbridge", "import_contacts")]
    assert imports[-2:] == ["refused", "accepted"]
    edits = [a[1] for a in await _actions(db, "bm-redbridge", "edit_contact")]
    assert edits[-2:] == ["refused", "accepted"]


async def test_a_past_date_or_an_empty_reason_is_refused_and_nothing_stored(
    issuer: str, cases: EscalationClient, db, sqlite_url: str
) -> None:
    today = date(2026, 12, 2)
    morning = datetime(2026, 12, 2, 9, tzinfo=LONDON)
    async with console_for(issuer, cases, db, sqlite_url, clock=lambda: morning) as console:
        async with signed_in(console, "bm-redbridge") as http:
            url = f"{console.url}/admin/closures"
            token = await csrf_of(http, url)
            for day, reason, why in (
                ("2026-12-01", "Snow", "date: 2026-12-01 is in the past (today is 2026-12-02)"),
                ("2026-13-01", "Snow", "date: '2026-13-01' is not a date"),
                ("2026-12-21", "  ", "reason: must not be empty"),
            ):
                form = {"csrf": token, "partnership": REDBRIDGE, "date": day, "reason": reason}
                async with http.post(url, data=form) as r:
                    assert r.status == 400
                    page = unescape(await r.text())
                assert why in page and "Nothing was stored and no case was told" in page
    assert today - timedelta(days=1) not in await ClosureStore(db).closure_days(REDBRIDGE)
    assert date(2026, 12, 21) not in await ClosureStore(db).closure_days(REDBRIDGE)
    refusals = [a for a in await _actions(db, "bm-redbridge", "add_closure") if a[1] == "refused"]
    assert len(refusals) >= 3


@pytest.mark.parametrize("sub", ["qa-redbridge", "viewer-redbridge"])
async def test_quality_assurance_and_viewers_are_refused_administration(
    sub: str, issuer: str, cases: EscalationClient, db, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, db, sqlite_url) as console:
        async with signed_in(console, sub) as http:
            for path in ("/admin", "/admin/closures", "/admin/contacts", "/admin/settings"):
                async with http.get(f"{console.url}{path}") as r:
                    assert r.status == 403
                    assert "Administration is for the partnership's Business Manager" in unescape(
                        await r.text()
                    )
            token = await csrf_of(http, f"{console.url}/")
            form = {"csrf": token, "partnership": REDBRIDGE, "date": "2027-01-08", "reason": "x"}
            async with http.post(f"{console.url}/admin/closures", data=form) as r:
                assert r.status == 403
            upload = aiohttp.FormData()
            upload.add_field("csrf", token)
            upload.add_field("file", _csv(), filename="c.csv", content_type="text/csv")
            async with http.post(f"{console.url}/admin/contacts/import", data=upload) as r:
                assert r.status == 403
    assert date(2027, 1, 8) not in await ClosureStore(db).closure_days(REDBRIDGE)
    assert [a[1] for a in await _actions(db, sub, "add_closure")] == ["refused"]
    assert [a[1] for a in await _actions(db, sub, "import_contacts")] == ["refused"]
    assert len(await _actions(db, sub, "open_admin")) == 4


async def test_a_business_manager_acts_on_their_own_partnership_only(
    issuer: str, cases: EscalationClient, db, sqlite_url: str
) -> None:
    async with console_for(issuer, cases, db, sqlite_url) as console:
        async with signed_in(console, "bm-sutton") as http:
            token = await csrf_of(http, f"{console.url}/admin/closures")
            form = {"csrf": token, "partnership": REDBRIDGE, "date": "2027-01-11", "reason": "x"}
            async with http.post(f"{console.url}/admin/closures", data=form) as r:
                assert r.status == 403
                assert f"you are not the Business Manager of '{REDBRIDGE}'" in unescape(
                    await r.text()
                )
            async with http.get(f"{console.url}/admin/settings") as r:
                page = unescape(await r.text())
            assert "Sutton" in page and "Redbridge" not in page.split("<main", 1)[1]
            assert "Agreed on each case" in page or "agreed on each case" in page
    assert date(2027, 1, 11) not in await ClosureStore(db).closure_days(REDBRIDGE)
    assert [a[1] for a in await _actions(db, "bm-sutton", "add_closure")] == ["refused"]


async def test_the_pages_pass_the_accessibility_check(
    issuer: str, cases: EscalationClient, db, sqlite_url: str, axe_browser: webdriver.Chrome
) -> None:
    pages = ("/admin", "/admin/closures", "/admin/contacts", "/admin/settings", "/reports")
    async with console_for(issuer, cases, db, sqlite_url) as console:

        def check() -> dict[str, list[str]]:
            sign_in(axe_browser, f"{console.url}/admin", "bm-redbridge")
            found = {}
            for path in pages:
                axe_browser.get(f"{console.url}{path}")
                found[path] = accessibility_violations(axe_browser)
            return found

        assert await in_browser(check) == {path: [] for path in pages}
