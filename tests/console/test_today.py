"""Today, against real cases on the time-skipping server: open, due, overdue, and only mine.

The cases are opened through the SDK on a real worker; Today reads the records they
write. The console's own clock says when "today" is, so the same cases are due later
this week, then today; after the time-skipping server has jumped past the Chair's
deadline, that case is overdue (the Chair's stage waits and tells, it never escalates)
while the case at stage 1 has gone up to stage 2 with its new deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from selenium import webdriver

from tests.browser import in_browser
from tests.console.case_support import (
    CASE_ACCESS,
    RAISED,
    STAGE_1_DUE,
    Clock,
    Page,
    at_stage,
    open_cases,
    provider,
    until,
)
from tests.console.support import accessibility_violations, console_for, sign_in, signed_in
from tests.workflows.support import at, jump_to, running

REDBRIDGE_TITLE = "Redbridge LSCB Resolution and Escalation Policy (3rd edition, May 2017)"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    yield from provider()


def _section(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id`` as cell texts (empty when the list is empty)."""
    return Page(html).tables.get(table_id, [])


def _refs(rows: list[list[str]]) -> list[str]:
    return [r[0] for r in rows]


async def test_today_lists_my_partnerships_cases_due_and_overdue(
    env, db, mail, issuer: str, sqlite_url: str
) -> None:
    await jump_to(env, RAISED)
    clock = Clock(at("2030-06-17T09:00:00+01:00"))  # Monday of the week both are due
    async with (
        running(env, db, mail) as h,
        console_for(issuer, h.client, db, sqlite_url, access=CASE_ACCESS, clock=clock) as console,
        signed_in(console, "bm-redbridge") as http,
    ):
        first, chair, other = await open_cases(h)
        refs = {wid: (await h.client.status(wid)).case_reference for wid in (first, chair, other)}

        async def today() -> str:
            async with http.get(f"{console.url}/") as r:
                assert r.status == 200
                return await r.text()

        html = await today()
        page = Page(html)
        groups = page.h3
        assert any(g.startswith("Redbridge") and "Stage 1: practitioner" in g for g in groups), (
            groups
        )
        assert any("Stage 4: LSCB Chair" in g for g in groups), groups
        week = _section(html, "due-this-week")
        assert [r for r in week if r[0] == refs[first]] == [
            [
                refs[first],
                REDBRIDGE_TITLE,
                "Stage 1: practitioner and decision maker",
                STAGE_1_DUE,
                "stage deadline",
            ]
        ]
        assert refs[chair] in _refs(week)
        assert refs[other] not in html  # Sutton's case: another partnership's
        assert f"/cases/{first}" in page.links
        assert refs[first] not in _refs(_section(html, "overdue"))

        clock.now = at("2030-06-19T09:00:00+01:00")
        html = await today()
        assert {refs[first], refs[chair]} <= set(_refs(_section(html, "due-today")))

        # Past the deadline: the Chair's case stays and is overdue; stage 1 has gone up.
        passed = at("2030-06-19T17:01:00+01:00")
        await jump_to(env, passed)
        clock.now = passed
        await at_stage(h, first, "line_managers")

        async def overdue() -> list[list[str]]:
            return [r for r in _section(await today(), "overdue") if r[0] == refs[chair]]

        rows = await until(overdue, "the Chair's case listed overdue")
        assert rows == [
            [refs[chair], REDBRIDGE_TITLE, "Stage 4: LSCB Chair", STAGE_1_DUE, "stage deadline"]
        ]
        html = await today()
        assert refs[first] not in _refs(_section(html, "overdue"))
        assert refs[other] not in html
        assert Page(html).texts[f"case-{first}"] == (
            f"{refs[first]} — stage deadline Wed 26 Jun 2030 17:00 BST"
        )
        assert any(
            g.startswith("Redbridge") and "Stage 2: line managers" in g for g in Page(html).h3
        )


async def test_today_passes_the_accessibility_check(
    env, db, mail, issuer: str, sqlite_url: str, axe_browser: webdriver.Chrome
) -> None:
    await jump_to(env, RAISED)
    clock = Clock(RAISED + timedelta(hours=1))
    async with (
        running(env, db, mail) as h,
        console_for(issuer, h.client, db, sqlite_url, access=CASE_ACCESS, clock=clock) as console,
    ):
        await open_cases(h)

        def check() -> list[str]:
            sign_in(axe_browser, f"{console.url}/", "bm-redbridge")
            return accessibility_violations(axe_browser)

        assert await in_browser(check) == []
