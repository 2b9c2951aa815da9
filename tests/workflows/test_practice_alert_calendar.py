"""A calendar change under a running practice alert: the pending deadline moves, passed ones stay.

Raised Monday 10 June 2030 at 10:00 BST on the test pack: stage 1 (Team Manager) is
due Monday 17 June at 17:00, 5 working days. On Tuesday 11 June the partnership
announces closure days (Thursday 13 and Friday 21 June); the alert re-projects its
stage deadline in the calendar activity, records old and new with the reason, tells
the Team Manager, and plans its later stages on the changed calendar.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from models.alerts import AlertResponse, Finalise
from models.calendar import CalendarChange
from records.schema import AlertStep
from starter.sdk import DecisionRefused, InvalidRequest
from tests.workflows.alert_support import (
    RAISER,
    TEAM_MANAGER,
    AlertHarness,
    addresses,
    alert_payload,
    alerts_running,
    escalating_settings,
)
from tests.workflows.support import at, jump_to, minute, patch_ids
from workflows.patches import RECORD_BETWEEN_STEPS
from workflows.practice_alert import PracticeAlertWorkflow

RAISED = "2030-06-10T10:00:00+01:00"  # Monday, British Summer Time
CHANGE = CalendarChange(
    by="LSCB Business Manager",
    reason="Partnership closure days (staff training)",
    closure_days=[date(2030, 6, 21), date(2030, 6, 13)],
)


async def test_a_closure_day_moves_the_stage_deadline_by_one_working_day(
    env, db, mail, tmp_path, monkeypatch
) -> None:
    # Stage 1 climbs by itself here (the partnership's local setting), so the moved
    # deadline is seen escalating to the minute.
    monkeypatch.setenv(
        "ESCALATION_LOCAL_SETTINGS", str(escalating_settings(tmp_path, "team_manager"))
    )
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED)
        case = payload["case_reference"]
        wid = await h.client.raise_alert(payload)
        await mail.wait_for(1)
        await jump_to(env, at("2030-06-11T09:00:00+01:00"))
        assert (await h.status(wid)).due_at == at("2030-06-17T17:00:00+01:00")
        mail.clear()

        receipt = await h.client.change_calendar(wid, CHANGE)
        assert receipt.workflow_id == wid
        assert receipt.message == "1 deadline(s) moved"
        assert [(m.deadline, m.stage_id, m.old_due_at, m.new_due_at) for m in receipt.moved] == [
            (
                "alert_stage",
                "team_manager",
                at("2030-06-17T17:00:00+01:00"),
                at("2030-06-18T17:00:00+01:00"),  # exactly one working day later
            )
        ]
        status = await h.status(wid)
        assert status.due_at == at("2030-06-18T17:00:00+01:00")
        assert status.stages[0].due_at == at("2030-06-18T17:00:00+01:00")
        assert [
            (c.stage_id, c.deadline, c.old_due_at, c.new_due_at, c.by, c.reason)
            for c in status.deadline_changes
        ] == [
            (
                "team_manager",
                "alert_stage",
                at("2030-06-17T17:00:00+01:00"),
                at("2030-06-18T17:00:00+01:00"),
                "LSCB Business Manager",
                "Partnership closure days (staff training)",
            )
        ]

        told = await mail.wait_for_subject("the calendar changed")
        assert told["Subject"] == (
            f"[{case}] Practice alert deadline moved to Tuesday 18 June 2030, 17:00 "
            "(UTC+01:00): the calendar changed"
        )
        assert addresses(told, "To") == [TEAM_MANAGER]
        assert addresses(told, "Cc") == [RAISER]
        body = told.get_body(("plain",)).get_content()
        for line in (
            f"The working-day calendar for the practice alert on case {case} has changed: "
            "Partnership closure days (staff training) (now closed: Thursday 13 June 2030, "
            "Friday 21 June 2030).",
            "Stage 1: Team Manager: the response was due Monday 17 June 2030, 17:00 "
            "(UTC+01:00); it is now due Tuesday 18 June 2030, 17:00 (UTC+01:00).",
            "Changed by LSCB Business Manager.",
        ):
            assert line in " ".join(body.split()), line

        # The old deadline passes quietly; the new one escalates, to the minute.
        await jump_to(env, at("2030-06-17T17:30:00+01:00"))
        assert (await h.status(wid)).current_stage == "team_manager"
        await jump_to(env, at("2030-06-18T17:30:00+01:00"))
        status = await h.status(wid)
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            ("team_manager", at("2030-06-10T10:00:00+01:00"), at("2030-06-18T17:00:00+01:00")),
            # Stage 2 is planned on the changed calendar: Friday 21 June is closed too.
            ("service_manager", at("2030-06-18T17:00:00+01:00"), at("2030-06-26T17:00:00+01:00")),
        ]
        reminders = [m for m in mail.messages if "] Reminder: " in m["Subject"]]
        assert [m["Subject"].removeprefix(f"[{case}] ") for m in reminders] == [
            "Reminder: practice alert response due Tuesday 18 June 2030, 17:00 (UTC+01:00)",
            "Reminder: practice alert response due Tuesday 18 June 2030, 17:00 (UTC+01:00)",
        ]

    async with h.db() as session:
        rows = (
            await session.execute(
                select(
                    AlertStep.kind,
                    AlertStep.stage_id,
                    AlertStep.actor,
                    AlertStep.text,
                    AlertStep.due_at,
                    AlertStep.data,
                )
                .where(
                    AlertStep.workflow_id == wid, AlertStep.at >= at("2030-06-11T09:00:00+01:00")
                )
                .order_by(AlertStep.key)
            )
        ).all()
    why = "Partnership closure days (staff training)"
    assert [tuple(r) for r in rows] == [
        (
            "calendar_changed",
            "team_manager",
            "LSCB Business Manager",
            why,
            None,
            {"closure_days": "2030-06-13, 2030-06-21", "moved": "1"},
        ),
        (
            "deadline_changed",
            "team_manager",
            "LSCB Business Manager",
            why,
            at("2030-06-18T17:00:00+01:00"),
            {
                "old_due_at": "2030-06-17T17:00:00+01:00",
                "deadline": "alert_stage",
                "cause": "calendar",
            },
        ),
        ("reminder", "team_manager", None, "halfway", at("2030-06-18T17:00:00+01:00"), {}),
        ("reminder", "team_manager", None, "last_day", at("2030-06-18T17:00:00+01:00"), {}),
        ("deadline_missed", "team_manager", None, ANY, at("2030-06-18T17:00:00+01:00"), {}),
        ("stage_entered", "service_manager", None, ANY, at("2030-06-26T17:00:00+01:00"), {}),
    ]
    async with h.db() as session:
        reminded = (
            await session.execute(
                select(AlertStep.text, AlertStep.at)
                .where(AlertStep.workflow_id == wid, AlertStep.kind == "reminder")
                .order_by(AlertStep.key)
            )
        ).all()
    assert [(r[0], minute(r[1])) for r in reminded] == [
        ("halfway", at("2030-06-14T09:30:00+01:00")),  # was Thursday 13 June, now closed
        ("last_day", at("2030-06-18T09:00:00+01:00")),  # was Monday 17 June 09:00
    ]

    # The new paths (search attributes, calendar change) replay deterministically.
    history = await h.client.handle(wid).fetch_history()
    replayer = Replayer(workflows=[PracticeAlertWorkflow], data_converter=pydantic_data_converter)
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
    # A new case records the patches since 1.0 that it takes (workflows/patches.py).
    assert patch_ids(history) == [RECORD_BETWEEN_STEPS]


async def written(h: AlertHarness, sql: str, wid: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` finds once there are any (rows are written by activities beside the
    timeline, so they may land just after the Update answered: real I/O, not a timer)."""
    for _ in range(100):
        if found := await h.rows(sql, w=wid):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no rows for {sql}")


async def test_a_passed_deadline_stays_and_a_finalised_alert_refuses(
    env, db, mail, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(
        "ESCALATION_LOCAL_SETTINGS", str(escalating_settings(tmp_path, "team_manager"))
    )
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        wid = await h.client.raise_alert(alert_payload(RAISED))
        # Stage 1 passed its deadline (Monday 17 June); stage 2 runs from then.
        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        before = await h.status(wid)
        assert [s.due_at for s in before.stages] == [
            at("2030-06-17T17:00:00+01:00"),
            at("2030-06-24T17:00:00+01:00"),
        ]
        mail.clear()

        # Friday 14 June closed after the fact: stage 1 (which it would move to Tuesday 18
        # June) is not reopened, and stage 2, counted from Monday 17 June, does not move.
        receipt = await h.client.change_calendar(
            wid,
            {"by": "LSCB Business Manager", "reason": "Closed", "closure_days": ["2030-06-14"]},
        )
        assert (receipt.moved, receipt.message) == ([], "no pending deadline moved")
        after = await h.status(wid)
        assert after.stages == before.stages
        assert after.current_stage == "service_manager" and after.deadline_changes == []
        assert await written(
            h,
            "SELECT kind, text FROM alert_steps WHERE workflow_id = :w "
            "AND kind IN ('calendar_changed', 'deadline_changed')",
            wid,
        ) == [("calendar_changed", "Closed")]

        # A malformed change is refused naming the field, and changes nothing.
        with pytest.raises(
            InvalidRequest, match=r"closure_days\.0: 'soon' is not a day, written YYYY-MM-DD"
        ):
            await h.client.change_calendar(
                wid, {"by": "X", "reason": "Y", "closure_days": ["soon"]}
            )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.client.handle(wid).execute_update(
                "change_calendar", {"by": "X", "closure_days": ["2030-06-20"]}
            )
        assert "reason: is required" in str(refused.value.cause)
        assert (await h.status(wid)).stages == before.stages

        await h.client.respond(wid, AlertResponse(by="L. Service Manager", text="Visit done"))
        await h.client.finalise(wid, Finalise(by=RAISER, text="Child seen alone"))
        await h.client.handle(wid).result()
        with pytest.raises(DecisionRefused, match="is finalised; no further decisions"):
            await h.client.change_calendar(wid, CHANGE)
    assert not [m for m in mail.messages if "calendar changed" in str(m["Subject"])]


async def test_a_stage_past_its_deadline_is_not_reopened(env, db, mail) -> None:
    """The Director for People missed its deadline (Monday 17 June) and the alert waits on
    for the raising chair; a closure day inside that stage (which would move it to Tuesday
    18 June) does not reopen it."""
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED, serious_or_urgent=True, start_stage="director_for_people")
        wid = await h.client.raise_alert(payload)
        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        before = await h.status(wid)
        assert before.current_stage == "director_for_people"
        assert before.due_at == at("2030-06-17T17:00:00+01:00")
        assert minute(before.stages[-1].overdue_notified_at) == at("2030-06-17T17:00:00+01:00")
        mail.clear()

        receipt = await h.client.change_calendar(
            wid, {"by": "LSCB Business Manager", "reason": "Closed", "closure_days": ["2030-06-14"]}
        )
        assert receipt.moved == []
        after = await h.status(wid)
        assert after.stages == before.stages and after.due_at == before.due_at
        assert after.deadline_changes == []
    assert mail.messages == []
