"""Today's stopped cases and failed emails, read from a PostgreSQL record (the production path).

The rows are those ``escalation reconcile`` and the outbox write (a case marked stopped
with Temporal's reason, an email the outbox gave up on), for a Redbridge case and a
Sutton one: the Redbridge Business Manager sees Redbridge's, with the reason and the
error, and never Sutton's; a Redbridge case still open is in neither list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from records.db import make_sessionmaker, upgrade
from records.schema import Disagreement, OutboxNotification
from starter.sdk import EscalationClient
from tests.conftest import pg_database
from tests.console.case_support import Page
from tests.console.support import REDBRIDGE, SUTTON, console_for, signed_in

STOPPED_AT = datetime(2030, 6, 18, 10, 5, tzinfo=UTC)  # 11:05 in London (BST)


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    async with pg_database("escalation_console") as url:
        await upgrade(url)
        sessions = make_sessionmaker(url)
        try:
            yield url, sessions
        finally:
            await sessions.kw["bind"].dispose()


def _case(ref: str, procedure: str, partnership: str, **kw: object) -> Disagreement:
    return Disagreement(
        workflow_id=f"disagreement-{ref}-threshold-01",
        case_reference=ref,
        procedure=procedure,
        ladder="individual",
        partnership=partnership,
        raising_agency="School",
        receiving_agency="Children's social care",
        nature="threshold",
        risk_to_child="unclear",
        aim="a decision",
        raised_at=datetime(2030, 6, 10, 9, tzinfo=UTC),
        current_stage="line_managers",
        **kw,
    )


def _failed(case: Disagreement, error: str) -> OutboxNotification:
    return OutboxNotification(
        key=f"{case.workflow_id}/email-1",
        workflow_id=case.workflow_id,
        case_reference=case.case_reference,
        kind="stage_entered",
        subject=f"[{case.case_reference}] Stage 2: line managers: action needed",
        recipients=["lm@school.example.org"],
        status="failed",
        attempts=5,
        last_error=error,
        created_at=STOPPED_AT,
    )


async def test_today_lists_my_stopped_cases_and_failed_emails(
    env: WorkflowEnvironment, pg: tuple[str, async_sessionmaker[AsyncSession]], issuer: str
) -> None:
    url, sessions = pg
    stopped = _case(
        "CR-2030-00001",
        "redbridge-2017",
        REDBRIDGE,
        state="stopped",
        stopped_at=STOPPED_AT,
        stop_reason="terminated by an operator",
    )
    failing = _case("CR-2030-00002", "redbridge-2017", REDBRIDGE)
    theirs = _case(
        "SU-2030-00003",
        "sutton-2015",
        SUTTON,
        state="stopped",
        stopped_at=STOPPED_AT,
        stop_reason="timed out",
    )
    async with sessions() as session, session.begin():
        session.add_all([stopped, failing, theirs])
        session.add_all(
            [_failed(failing, "550 mailbox unavailable"), _failed(theirs, "relay refused")]
        )
    async with (
        console_for(
            issuer, EscalationClient(env.client, "console-today"), sessions, url
        ) as console,
        signed_in(console, "bm-redbridge") as http,
    ):
        async with http.get(f"{console.url}/") as r:
            assert r.status == 200
            page = Page(await r.text())
    title = "Redbridge LSCB Resolution and Escalation Policy (3rd edition, May 2017)"
    assert page.tables["stopped"] == [
        [
            "CR-2030-00001",
            title,
            "Stage 2: line managers",
            "Tue 18 Jun 2030 11:05 BST",
            "terminated by an operator",
        ]
    ]
    assert page.tables["failed-emails"] == [
        [
            "CR-2030-00002",
            title,
            "",
            "Tue 18 Jun 2030 11:05 BST",
            "[CR-2030-00002] Stage 2: line managers: action needed (550 mailbox unavailable)",
        ]
    ]
    assert "SU-2030-00003" not in str(page.tables) and "/cases/disagreement-SU" not in page.links
    assert "/cases/disagreement-CR-2030-00001-threshold-01" in page.links
