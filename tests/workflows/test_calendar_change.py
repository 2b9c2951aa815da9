"""A calendar change under a running case: pending deadlines move, passed ones stay.

Redbridge, raised Monday 7 December 2026 at 10:00: stage 1 is due Monday 14 December
at 17:00 (5 working days) and first contact Thursday 10 December (3 working days).
The partnership then announces closure days; the case re-projects its deadlines in
the calendar activity, records old and new with the reason, and tells who must act.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from models.calendar import CalendarChange, CalendarReceipt
from models.decisions import Confirmed, Resolved
from tests.workflows.support import Harness, at, email_of, jump_to, running, start_payload

RAISED = at("2026-12-07T10:00:00+00:00")


async def change(h: Harness, wid: str, *days: date, reason: str = "Staff training day") -> Any:
    return await h.client.handle(wid).execute_update(
        "change_calendar",
        CalendarChange(by="Business Manager", reason=reason, closure_days=list(days)),
        result_type=CalendarReceipt,
    )


async def recorded(h: Harness, wid: str, kind: str, count: int) -> list[str]:
    """The case's step kinds once ``count`` rows of ``kind`` are written.

    Rows are written by activities beside the timeline, so they may land just after
    the Update answered; wait for them (real I/O, not a timer the server could skip).
    """
    for _ in range(100):
        kinds = await h.step_kinds(wid)
        if kinds.count(kind) >= count:
            assert kinds.count(kind) == count, kinds
            return kinds
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} {kind} rows, got {kinds}")


def moves(receipt: CalendarReceipt) -> list[tuple[str, str, str]]:
    return [(m.deadline, m.old_due_at.isoformat(), m.new_due_at.isoformat()) for m in receipt.moved]


async def test_a_closure_day_moves_pending_deadlines_and_the_escalation(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        await h.sleep_until(at("2026-12-08T09:00:00+00:00"))
        mail.clear()

        receipt = await change(h, wid, date(2026, 12, 10), reason="Snow: offices closed")
        assert moves(receipt) == [
            ("stage", "2026-12-14T17:00:00+00:00", "2026-12-15T17:00:00+00:00"),
            ("first_contact", "2026-12-10T17:00:00+00:00", "2026-12-11T17:00:00+00:00"),
        ]
        status = await h.status(wid)
        assert status.stages[0].due_at == at("2026-12-15T17:00:00+00:00")
        assert status.first_contact_due_at == at("2026-12-11T17:00:00+00:00")
        assert [(c.deadline, c.by, c.reason) for c in status.deadline_changes] == [
            ("stage", "Business Manager", "Snow: offices closed"),
            ("first_contact", "Business Manager", "Snow: offices closed"),
        ]

        told = await mail.wait_for_subject("the calendar changed")
        assert "Deadline moved to Friday 11 December 2026, 17:00" in told["Subject"]
        assert email_of("raising.practitioner") in told["To"]
        body = told.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Snow: offices closed (now closed: Thursday 10 December 2026)" in body
        assert "was Monday 14 December 2026, 17:00" in body
        assert "now Tuesday 15 December 2026, 17:00" in body

        # First contact has passed; a second closure moves only what is still pending.
        await h.sleep_until(at("2026-12-12T09:00:00+00:00"))
        receipt = await change(h, wid, date(2026, 12, 14))
        assert moves(receipt) == [
            ("stage", "2026-12-15T17:00:00+00:00", "2026-12-16T17:00:00+00:00"),
        ]
        assert (await h.status(wid)).first_contact_due_at == at("2026-12-11T17:00:00+00:00")

        # The escalation follows the new deadline, to the minute.
        await h.sleep_until(at("2026-12-15T17:30:00+00:00"))
        assert (await h.status(wid)).current_stage == "practitioners"
        await h.sleep_until(at("2026-12-16T17:01:00+00:00"))
        status = await h.status(wid)
        assert status.current_stage == "line_managers"
        assert status.stages[0].left_at == at("2026-12-16T17:00:00+00:00")
        # Stage 2 counts its 5 working days on the changed calendar too (no closure
        # inside it here: 17, 18, 21, 22, 23 December).
        assert status.stages[1].due_at == at("2026-12-23T17:00:00+00:00")

        await recorded(h, wid, "deadline_changed", 3)  # written in order: the last row
        rows = await h.rows(
            "SELECT kind, actor, text, due_at, data FROM steps WHERE workflow_id = :w "
            "AND kind IN ('calendar_changed', 'deadline_changed') ORDER BY key",
            w=wid,
        )
        assert [(r[0], r[1]) for r in rows] == [
            ("calendar_changed", "Business Manager"),
            ("deadline_changed", "Business Manager"),
            ("deadline_changed", "Business Manager"),
            ("calendar_changed", "Business Manager"),
            ("deadline_changed", "Business Manager"),
        ]
        assert rows[0][2] == "Snow: offices closed"
        decisions = await h.rows("SELECT kind FROM decisions WHERE workflow_id = :w", w=wid)
        assert decisions == []  # a calendar change is nobody's decision about the case


async def test_nothing_pending_moves_nothing_and_tells_nobody(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        mail.clear()
        # A refreshed holiday list with no new day in this case's deadlines.
        receipt = await change(h, wid, reason="2027 bank holidays published")
        assert receipt.moved == [] and receipt.message == "no pending deadline moved"
        # A closure after every pending deadline changes nothing either.
        receipt = await change(h, wid, date(2027, 3, 1))
        assert receipt.moved == []
        status = await h.status(wid)
        assert status.stages[0].due_at == at("2026-12-14T17:00:00+00:00")
        assert status.deadline_changes == []
        await h.sleep_until(at("2026-12-08T12:00:00+00:00"))
        kinds = await recorded(h, wid, "calendar_changed", 2)
        assert "deadline_changed" not in kinds
        assert [m["Subject"] for m in mail.messages if "calendar" in m["Subject"]] == []


async def test_the_written_confirmation_moves_but_a_late_one_is_not_reopened(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        late = await h.client.open(start_payload(RAISED, disagreement_id="d2"))
        for case in (wid, late):
            await h.client.resolve(case, Resolved(by="B. Social Worker", outcome="Plan agreed"))
        # Both confirmations are due Wednesday 9 December at 17:00 (2 working days).
        receipt = await change(h, wid, date(2026, 12, 8))
        assert moves(receipt) == [
            ("confirmation", "2026-12-09T17:00:00+00:00", "2026-12-10T17:00:00+00:00"),
        ]
        confirmer = email_of("receiving.practitioner")
        told = await mail.wait_for_subject("the calendar changed")
        assert confirmer in told["To"]

        await h.sleep_until(at("2026-12-09T18:00:00+00:00"))
        assert (await h.status(late)).confirmation_late
        receipt = await change(h, late, date(2026, 12, 8))
        assert receipt.moved == []
        assert (await h.status(late)).confirmation_due_at == at("2026-12-09T17:00:00+00:00")
        # Not late on the moved deadline.
        assert not (await h.status(wid)).confirmation_late
        await h.client.confirm(wid, Confirmed(by="B. Social Worker", text="Letter sent"))
        assert not (await h.client.handle(wid).result()).confirmation_late


async def test_a_closed_case_refuses_a_calendar_change(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
        await h.client.confirm(wid, Confirmed(by="B. Social Worker", text="Letter sent"))
        await h.client.handle(wid).result()
        # Completed: the server itself refuses (the validator covers a closing case).
        with pytest.raises((WorkflowUpdateFailedError, RPCError)):
            await change(h, wid, date(2026, 12, 8))
        assert "calendar_changed" not in await h.step_kinds(wid)


async def test_a_malformed_change_is_refused_and_changes_nothing(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.client.handle(wid).execute_update(
                "change_calendar",
                {"by": "Business Manager", "reason": "x", "closure_days": ["not-a-date"]},
                result_type=CalendarReceipt,
            )
        assert refused.value.cause.message == (  # type: ignore[attr-defined]
            "closure_days.0: 'not-a-date' is not a day, written YYYY-MM-DD"
        )
        await h.sleep_until(RAISED + timedelta(hours=1))
        status = await h.status(wid)
        assert status.state == "open" and status.deadline_changes == []
        assert "calendar_changed" not in await h.step_kinds(wid)
