"""The real Disagreement workflow keeps its search attributes and UI text current.

Walks a Redbridge case on the time-skipping server (attributes registered by the
``env`` fixture) and reads back what an admin's visibility query and the Web UI
would see after each step: start, escalation by silence, the overdue last stage,
resolution (the confirmation deadline takes over) and closing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.common import TypedSearchAttributes

from models.decisions import Confirmed, Resolved, Unresolved
from tests.workflows.support import at, jump_to, running, start_payload
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

RAISED = at("2026-12-21T10:00:00+00:00")


async def _attrs(handle: WorkflowHandle[Any, Any]) -> TypedSearchAttributes:
    """The attributes once the workflow has published its first step.

    The upsert reaches the server when the workflow task that made it completes,
    which may be just after a query answered; so look again, briefly, if still empty.
    """
    for _ in range(50):
        attrs = (await handle.describe()).typed_search_attributes
        if attrs.get(STATE) is not None:
            return attrs
        await asyncio.sleep(0.05)
    raise AssertionError("the workflow never published its search attributes")


async def _seen(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    attrs = await _attrs(handle)
    return {
        "stage": attrs.get(STAGE),
        "state": attrs.get(STATE),
        "due": attrs.get(NEXT_DEADLINE).isoformat() if attrs.get(NEXT_DEADLINE) else None,
        "overdue": attrs.get(OVERDUE),
        "risk": attrs.get(IMMEDIATE_RISK),
    }


async def _details(handle: WorkflowHandle[Any, Any]) -> str:
    meta = await handle.query("__temporal_workflow_metadata")
    return str(meta.current_details)


async def test_attributes_follow_the_case_step_by_step(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        handle = h.client.handle(wid)
        attrs = await _attrs(handle)
        case = (await h.status(wid)).case_reference
        assert attrs.get(PROCEDURE) == "redbridge-2017"
        assert attrs.get(PARTNERSHIP) == "Redbridge Local Safeguarding Children Board"
        assert attrs.get(CASE_REF) == case
        assert await _seen(handle) == {
            "stage": "practitioners",
            "state": "open",
            "due": "2026-12-30T17:00:00+00:00",
            "overdue": False,
            "risk": False,
        }
        details = await _details(handle)
        assert "Stage 1" in details and "(1 of 4)" in details
        assert "Deadline: Wednesday 30 December 2026, 17:00 GMT" in details

        # Silence past the first deadline: the case climbs and the attributes follow.
        await h.sleep_until(at("2026-12-31T09:00:00+00:00"))
        assert await _seen(handle) == {
            "stage": "line_managers",
            "state": "open",
            "due": "2027-01-07T17:00:00+00:00",
            "overdue": False,
            "risk": False,
        }
        await h.client.unresolve(wid, Unresolved(by="C. Line Manager", reason="no agreement"))
        assert (await _seen(handle))["stage"] == "senior_managers"
        await h.client.unresolve(wid, Unresolved(by="E. Lead", reason="still no agreement"))
        seen = await _seen(handle)
        assert seen["stage"] == "lscb_chair" and seen["overdue"] is False

        # The Chair's recommendation is late: overdue, still at the last stage.
        await h.sleep_until(seen_due := at(seen["due"]) + timedelta(hours=1))
        assert seen_due > at("2026-12-31T09:00:00+00:00")
        assert await _seen(handle) == {**seen, "overdue": True}
        assert "Deadline:" in await _details(handle)

        # The Chair's resolution closes the case (no confirmation step at the last stage).
        await h.client.resolve(wid, Resolved(by="H. Independent Chair", outcome="Plan agreed"))
        await handle.result()
        final = await _seen(handle)
        assert final["state"] == "closed" and final["overdue"] is False
        details = await _details(handle)
        assert details.startswith("**Closed.**") and "Plan agreed" not in details


async def test_confirmation_deadline_takes_over_once_resolved(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        handle = h.client.handle(wid)
        await _attrs(handle)
        await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
        status = await h.status(wid)
        assert status.confirmation_due_at == at("2026-12-23T17:00:00+00:00")
        assert await _seen(handle) == {
            "stage": "practitioners",
            "state": "resolved",
            "due": "2026-12-23T17:00:00+00:00",
            "overdue": False,
            "risk": False,
        }
        assert "awaiting the written confirmation" in await _details(handle)
        # Late: the confirmation is overdue until it arrives.
        await h.sleep_until(at("2026-12-24T09:00:00+00:00"))
        assert (await _seen(handle))["overdue"] is True
        await h.client.confirm(wid, Confirmed(by="B. Social Worker", text="Letter sent"))
        await handle.result()
        assert await _seen(handle) == {
            "stage": "practitioners",
            "state": "closed",
            "due": "2026-12-23T17:00:00+00:00",
            "overdue": False,
            "risk": False,
        }


async def test_immediate_risk_at_start_is_searchable(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED, immediate_risk=True))
        seen = await _seen(h.client.handle(wid))
        assert seen["risk"] is True
        assert seen["stage"] == (await h.status(wid)).current_stage != "practitioners"


async def test_activities_are_summarised_for_the_web_ui(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
        history = await h.client.handle(wid).fetch_history()
        case = (await h.status(wid)).case_reference
    converter = env.client.data_converter.payload_converter
    # Activities and local activities (deadline plans are recorded as markers) alike.
    summaries = [
        converter.from_payload(e.user_metadata.summary, str)
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        or (
            e.HasField("marker_recorded_event_attributes")
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )
    ]
    assert summaries[0] == "Load the redbridge-2017 procedure"
    assert [s for s in summaries if s.startswith("Deadline: ")][:2] == [
        "Deadline: 0 working day(s) after 2026-12-21T10:00+00:00",
        "Deadline: 5 working day(s) after 2026-12-21T10:00+00:00",
    ]
    # The rows queued while a write runs go in one activity, summarised row by row.
    records = [s for s in summaries if s.startswith("Record: ")]
    assert records[0].startswith(f"Record: disagreement about case {case} opened; opened")
    assert any("stage_entered at practitioners" in s for s in records), records
    assert (
        "Email: Stage 1: practitioner and decision maker: action needed by "
        "Wednesday 30 December 2026, 17:00 (UTC+00:00)"
    ) in summaries
    assert not any("Social Worker" in s for s in summaries)
