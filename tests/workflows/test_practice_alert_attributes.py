"""The PracticeAlert workflow keeps its search attributes and Web UI text current.

Walks a practice alert on the time-skipping server (attributes registered by the
``env`` fixture) and reads back, after each step, what an admin's visibility query
and the Web UI would see: raised, gone up by silence, a response (the chair decides),
the chair not satisfied, finalised; and a serious alert left overdue at the last
stage. Raised Monday 10 June 2030 at 10:00 BST: every stage has 5 working days.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.common import TypedSearchAttributes

from models.alerts import AlertResponse, Finalise, NotSatisfied
from tests.workflows.alert_support import RAISER, alert_payload, alerts_running
from tests.workflows.support import at, jump_to
from workflows.search_attributes import (
    CASE_REF,
    IMMEDIATE_RISK,
    NEXT_DEADLINE,
    OVERDUE,
    PARTNERSHIP,
    PROCEDURE,
    STAGE,
    STATE,
)

RAISED = "2030-06-10T10:00:00+01:00"  # Monday, British Summer Time


def _view(attrs: TypedSearchAttributes) -> dict[str, Any]:
    return {
        "stage": attrs.get(STAGE),
        "state": attrs.get(STATE),
        "due": attrs.get(NEXT_DEADLINE),
        "overdue": attrs.get(OVERDUE),
        "risk": attrs.get(IMMEDIATE_RISK),
    }


async def _attrs(handle: WorkflowHandle[Any, Any], **want: Any) -> TypedSearchAttributes:
    """The attributes once the workflow has published the step ``want`` describes.

    The upsert reaches the server when the workflow task that made it completes,
    which may be just after an update, a query or a clock jump answered; so look
    again, briefly. If it never matches, the last attributes seen are returned and
    the caller's assertion shows the difference.
    """
    attrs = (await handle.describe()).typed_search_attributes
    for _ in range(100):
        seen = _view(attrs)
        if all(seen[k] == v for k, v in want.items()):
            break
        await asyncio.sleep(0.05)
        attrs = (await handle.describe()).typed_search_attributes
    return attrs


async def _seen(handle: WorkflowHandle[Any, Any], **want: Any) -> dict[str, Any]:
    return _view(await _attrs(handle, **want))


async def _details(handle: WorkflowHandle[Any, Any]) -> str:
    meta = await handle.query("__temporal_workflow_metadata")
    return str(meta.current_details)


async def test_attributes_follow_the_alert_step_by_step(env, db, mail) -> None:
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED)
        wid = await h.client.raise_alert(payload)
        handle = h.client.handle(wid)
        attrs = await _attrs(handle, state="open")
        assert attrs.get(PROCEDURE) == "rutland-alerts-test"
        assert attrs.get(PARTNERSHIP) == "Rutland Local Safeguarding Children Board"
        assert attrs.get(CASE_REF) == payload["case_reference"]
        assert await _seen(handle, state="open") == {
            "stage": "team_manager",
            "state": "open",
            "due": at("2030-06-17T17:00:00+01:00"),  # Monday 17 June, 17:00 BST
            "overdue": False,
            "risk": False,
        }
        details = await _details(handle)
        assert details.split("\n\n") == [
            "Practice alert: Statutory visit not undertaken within required timescale",
            "**Stage 1: Team Manager** (1 of 6)",
            "Who must act: Team Manager (K. Team Manager)",
            "Deadline: Monday 17 June 2030, 17:00 BST",
        ]
        assert payload["description"] not in details
        summary = await (await handle.describe()).static_summary()
        assert summary == (
            f"rutland-alerts-test practice alert statutory_visit_late: "
            f"case {payload['case_reference']}"
        )

        # Silence past the deadline: the alert stays, overdue, and the chair sends it up.
        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        assert await _seen(handle, overdue=True) == {
            "stage": "team_manager",
            "state": "open",
            "due": at("2030-06-17T17:00:00+01:00"),
            "overdue": True,
            "risk": False,
        }
        await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No response"))
        assert await _seen(handle, stage="service_manager") == {
            "stage": "service_manager",
            "state": "open",
            "due": at("2030-06-25T17:00:00+01:00"),
            "overdue": False,
            "risk": False,
        }
        assert "**Stage 2: Service Manager** (2 of 6)" in await _details(handle)

        # A response: the raising chair decides; the stage's deadline stays as it was.
        await h.client.respond(wid, AlertResponse(by="L. Service Manager", text="Visit booked"))
        assert await _seen(handle, state="awaiting_finalisation") == {
            "stage": "service_manager",
            "state": "awaiting_finalisation",
            "due": at("2030-06-25T17:00:00+01:00"),
            "overdue": False,
            "risk": False,
        }
        details = await _details(handle)
        assert "the raising chair decides" in details
        assert "Who must act: J. Independent Reviewing Officer (raising chair)" in details

        # Not satisfied: up to stage 3 now, with its own 5 working days (from Tuesday 18 June).
        await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No date given"))
        assert await _seen(handle, stage="head_of_service") == {
            "stage": "head_of_service",
            "state": "open",
            "due": at("2030-06-25T17:00:00+01:00"),
            "overdue": False,
            "risk": False,
        }

        await h.client.respond(wid, AlertResponse(by="M. Head of Service", text="Visit done"))
        await h.client.finalise(wid, Finalise(by=RAISER, text="Child seen alone"))
        await handle.result()
        assert await _seen(handle, state="finalised") == {
            "stage": "head_of_service",
            "state": "finalised",
            "due": at("2030-06-25T17:00:00+01:00"),
            "overdue": False,
            "risk": False,
        }
        assert (
            "**Finalised** at **Stage 3: Head of Service** (3 of 6) by "
            "J. Independent Reviewing Officer."
        ) in await _details(handle)


async def test_a_silent_stage_is_overdue_in_visibility(env, db, mail) -> None:
    """Started serious at stage 4; nobody answers and its deadline passes: overdue, waiting."""
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED, serious_or_urgent=True, start_stage="director_for_people")
        wid = await h.client.raise_alert(payload)
        handle = h.client.handle(wid)
        assert (await _seen(handle, state="open"))["stage"] == "director_for_people"

        await jump_to(env, at("2030-06-17T16:59:00+01:00"))
        before = await _seen(handle, stage="director_for_people")
        assert (before["due"], before["overdue"]) == (at("2030-06-17T17:00:00+01:00"), False)
        await jump_to(env, at("2030-06-17T17:01:00+01:00"))
        assert await _seen(handle, overdue=True) == {
            "stage": "director_for_people",
            "state": "open",
            "due": at("2030-06-17T17:00:00+01:00"),
            "overdue": True,
            "risk": False,
        }
        assert "Overdue: the raising chair has been told" in await _details(handle)


async def test_alert_activities_are_summarised_for_the_web_ui(env, db, mail) -> None:
    await jump_to(env, at(RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED)
        wid = await h.client.raise_alert(payload)
        await mail.wait_for(1)
        await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit booked"))
        for _ in range(100):  # the recorder writes beside the timeline: wait for the row
            if ("response", "team_manager", True) in await h.steps(wid):
                break
            await asyncio.sleep(0.05)
        history = await h.client.handle(wid).fetch_history()
    converter = env.client.data_converter.payload_converter
    summaries = [
        converter.from_payload(e.user_metadata.summary, str)
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    case = payload["case_reference"]
    # The alert opens in one record write: one summary names every row it holds.
    assert (
        f"Record: practice alert about case {case} raised; alert raised at team_manager; "
        "alert stage_entered at team_manager"
    ) in summaries
    assert "Record: alert response at team_manager" in summaries
    assert (
        "Email: Practice alert at Stage 1: Team Manager: respond by Monday 17 June 2030, "
        "17:00 (UTC+01:00)"
    ) in summaries
    assert not any("K. Team Manager" in s or payload["description"] in s for s in summaries)
