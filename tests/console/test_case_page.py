"""A case's page against real cases on the time-skipping server, in headless Chromium.

The Redbridge Chair records the outcome at the Chair's stage with JavaScript off: the
workflow's acceptance is shown, the case is closed (its status query says so) and the
action log names the signed-in email. The Business Manager's direct referral, which
the procedure gives only to managers, is refused by the workflow in its own words. A
viewer's decision is refused by the console, another partnership's case is refused,
an unknown case is a page in words, and every refusal is recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from records.schema import ConsoleAction, Disagreement
from tests.browser import in_browser
from tests.console.case_support import (
    CASE_ACCESS,
    RAISED,
    STAGE_1_DUE,
    Clock,
    Page,
    open_cases,
    provider,
)
from tests.console.support import (
    REDBRIDGE,
    accessibility_violations,
    console_for,
    csrf_of,
    sign_in,
    signed_in,
)
from tests.workflows.support import jump_to, running

ROUTE = "significant_policy_issues"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    yield from provider()


async def _actions(db, sub: str, target: str) -> list[tuple[str, str, str, str, str, str]]:
    """What ``sub`` did to ``target`` (a workflow id), as the action log has it."""
    async with db() as session:
        rows = (
            await session.scalars(
                select(ConsoleAction)
                .where(ConsoleAction.actor_sub == sub, ConsoleAction.target == target)
                .order_by(ConsoleAction.id)
            )
        ).all()
    return [(r.actor_email, r.partnership, r.action, r.target, r.outcome, r.detail) for r in rows]


async def test_the_chair_records_the_outcome_and_the_workflow_accepts_it(
    env, db, mail, issuer: str, sqlite_url: str, browser: webdriver.Chrome
) -> None:
    await jump_to(env, RAISED)
    clock = Clock(RAISED)
    async with (
        running(env, db, mail) as h,
        console_for(issuer, h.client, db, sqlite_url, access=CASE_ACCESS, clock=clock) as console,
    ):
        _, chair_case, _ = await open_cases(h)
        ref = (await h.client.status(chair_case)).case_reference

        def read_and_resolve() -> tuple[str, str]:
            sign_in(browser, f"{console.url}/cases/{chair_case}", "chair-redbridge")
            before = browser.page_source
            browser.find_element(By.ID, "resolve-outcome").send_keys(
                "The Chair recommends a section 47 enquiry; agencies agree"
            )
            browser.find_element(By.ID, "submit-resolve").click()
            WebDriverWait(browser, 30).until(
                expected_conditions.presence_of_element_located((By.ID, "result"))
            )
            return before, browser.page_source

        before, after = await in_browser(read_and_resolve)
        page = Page(before)
        assert f"Case {ref}" in page.texts["main"]
        # The record, as `escalation record` has it: facts, timeline, stages.
        assert (
            "Workflow id" in page.texts["record-facts"] and chair_case in page.texts["record-facts"]
        )
        assert "<svg" in before
        assert page.texts["current-stage"] == "Stage 4: LSCB Chair"
        # Its deadlines with their sources: the Chair's 5 working days, from 4.9.
        chair_row = next(r for r in page.tables["deadlines"] if r[0] == "Stage 4: LSCB Chair")
        assert chair_row[1] == STAGE_1_DUE
        assert chair_row[2].startswith("5 working day(s), the procedure document")
        assert "4.9" in chair_row[2]
        # Who was told: the emails the workflow sent, to whom and with what subject.
        told = page.tables["told"]
        assert told and all(r[3] in ("sent", "pending") for r in told)
        assert any("lscb.chair@council.example.org" in r[0] for r in told)

        shown = Page(after)
        assert shown.texts["result"].startswith("The workflow accepted it:")
        status = await h.client.status(chair_case)
        assert status.state == "closed"
        assert status.outcome == "The Chair recommends a section 47 enquiry; agencies agree"
        assert status.resolved_by == "chair@redbridge.example.org"
        assert shown.texts["state"] == "closed"

    (row,) = await _actions(db, "chair-redbridge", chair_case)
    assert row[:5] == (
        "chair@redbridge.example.org",
        REDBRIDGE,
        "resolve",
        chair_case,
        "accepted",
    )


async def test_refusals_milestones_and_the_accessibility_check(
    env, db, mail, issuer: str, sqlite_url: str, axe_browser: webdriver.Chrome
) -> None:
    await jump_to(env, RAISED)
    async with (
        running(env, db, mail) as h,
        console_for(
            issuer, h.client, db, sqlite_url, access=CASE_ACCESS, clock=Clock(RAISED)
        ) as console,
    ):
        first, chair_case, sutton = await open_cases(h)
        url = f"{console.url}/cases/{first}"

        # The Business Manager may try the direct route; the workflow says who takes it.
        async with signed_in(console, "bm-redbridge") as http:
            form = {
                "csrf": await csrf_of(http, url),
                "action": "refer_directly",
                "offer": f"refer_directly-{ROUTE}",
                "stage": "practitioners",
                "reason": "Significant policy issues",
            }
            async with http.post(url, data=form) as r:
                assert r.status == 409
                refusal = Page(await r.text()).texts["result"]
        assert refusal.startswith(
            f"Refused: by: route '{ROUTE}' is taken by Line manager, raising agency"
        )
        assert "'bm@redbridge.example.org' is not the name or email" in refusal
        assert (await h.client.status(first)).current_stage == "practitioners"
        (bm, *_) = await _actions(db, "bm-redbridge", first)
        assert bm[2:5] == ("refer_directly", first, "refused")
        assert bm[5] == refusal.removeprefix("Refused: ")

        # The Business Manager records stage 1's milestone: the workflow accepts it.
        async with signed_in(console, "bm-redbridge") as http:
            form = {
                "csrf": await csrf_of(http, url),
                "action": "milestone_met",
                "offer": "milestone_met-first_contact",
                "stage": "practitioners",
                "text": "The social worker called the school",
            }
            async with http.post(url, data=form) as r:
                assert r.status == 200
                assert Page(await r.text()).texts["result"].startswith("The workflow accepted it:")
        (milestone,) = (await h.client.status(first)).stages[-1].milestones
        assert milestone.met_by == "bm@redbridge.example.org"

        # A viewer reads the case but may send nothing: 403 with the reason, recorded.
        async with signed_in(console, "viewer-redbridge") as http:
            async with http.get(url) as r:
                assert r.status == 200
                assert "reads cases only" in Page(await r.text()).texts["read-only"]
            form = {
                "csrf": await csrf_of(http, url),
                "action": "resolve",
                "offer": "resolve",
                "stage": "practitioners",
                "outcome": "Viewer says resolved",
            }
            async with http.post(url, data=form) as r:
                assert r.status == 403
                assert "(Viewer) reads cases only" in await r.text()
        assert (await h.client.status(first)).state == "open"
        (viewer,) = await _actions(db, "viewer-redbridge", first)
        assert viewer[1:5] == (REDBRIDGE, "resolve", first, "refused")

        # A recorded case whose workflow Temporal no longer holds: the record, and why
        # there is no live status.
        gone = f"disagreement-CR-7{uuid.uuid4().hex[:9]}-gone"
        async with db() as session, session.begin():
            session.add(
                Disagreement(
                    workflow_id=gone,
                    case_reference=gone.split("-")[1] + "-" + gone.split("-")[2],
                    procedure="redbridge-2017",
                    ladder="individual",
                    partnership=REDBRIDGE,
                    raising_agency="School",
                    receiving_agency="Children's Social Care",
                    nature="Threshold",
                    risk_to_child="Bruising",
                    aim="A strategy discussion",
                    raised_at=RAISED,
                    current_stage="practitioners",
                )
            )
        async with signed_in(console, "viewer-redbridge") as http:
            async with http.get(f"{console.url}/cases/{gone}") as r:
                assert r.status == 200
                page = Page(await r.text())
        assert page.texts["status-unavailable"].startswith("The live status is unavailable")
        assert gone in page.texts["record-facts"]

        # Another partnership's case, and a case that does not exist.
        async with signed_in(console, "bm-sutton") as http:
            async with http.get(url) as r:
                assert r.status == 403
                assert "where you hold no role" in await r.text()
            async with http.get(f"{console.url}/cases/{sutton}") as r:
                assert r.status == 200
            async with http.get(f"{console.url}/cases/disagreement-CR-0-none") as r:
                assert r.status == 404
                missing = Page(await r.text()).texts["missing"]
                assert "No disagreement is recorded under the workflow id" in missing
        (sutton_row,) = await _actions(db, "bm-sutton", first)
        assert sutton_row[1:5] == (REDBRIDGE, "view_case", first, "refused")

        # The Chair's stage is not the Chair's to resolve at stage 1: the console refuses.
        async with signed_in(console, "chair-redbridge") as http:
            page = Page(await (await http.get(url)).text())
            assert "form-resolve" not in page.texts and "form-unresolve" not in page.texts
            assert "form-shorten" in page.texts  # a deadline may always be brought forward
            form = {
                "csrf": await csrf_of(http, url),
                "action": "resolve",
                "offer": "resolve",
                "stage": "practitioners",
                "outcome": "Chair says resolved",
            }
            async with http.post(url, data=form) as r:
                assert r.status == 403
                assert (
                    "is not a decision your role may take" in Page(await r.text()).texts["result"]
                )
        assert (await h.client.status(first)).state == "open"
        assert chair_case

        def check() -> list[str]:
            sign_in(axe_browser, url, "bm-redbridge")
            return accessibility_violations(axe_browser)

        assert await in_browser(check) == []
