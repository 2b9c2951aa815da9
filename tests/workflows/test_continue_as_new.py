"""A flood of refused signals makes the case continue as new, and nothing is lost.

Issue "No input can stop a case" (3): refused signals are kept in history whole, so a
flood of them once grew a case's history until Temporal terminated it. Now the case
hands over to a new run of the same workflow id when its history passes 2 MiB
(``workflows/continuation.py``), carrying its whole state. These tests flood a case on
the time-skipping server and then prove, across the hand-over: the stage and its
deadline to the minute, the deadline firing and escalating on time, decisions sent by
workflow id to the new run, each email sent once, the record's rows (one per refusal
for the first 50 of a run, the rest in a summary row that counts them), and the case
completing.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from models.alerts import AlertResponse, Finalise
from models.decisions import Confirmed, Resolved
from tests.faults.stack import eventually
from tests.fixtures.harness import steps
from tests.workflows.alert_support import RAISER, alert_payload, alerts_running
from tests.workflows.support import at, jump_to, running, start_payload
from workflows.continuation import HISTORY_BYTES_LIMIT
from workflows.refusals import KEEP, ROWS_PER_RUN

RAISED = at("2030-06-10T10:00:00+01:00")
DUE_1 = at("2030-06-17T17:00:00+01:00")
DUE_2 = at("2030-06-24T17:00:00+01:00")

BIG = 60_000
"""Characters of one flooding signal's text: 40 of them pass the 2 MiB hand-over size."""


async def _flood(handle: WorkflowHandle, name: str, small: int, big: int) -> None:
    """``small`` malformed signals, then ``big`` signals of ``BIG`` characters each."""
    for n in range(small):
        await handle.signal(name, {"by": n})
    for _ in range(big):
        await handle.signal(name, {"by": "Flood", "outcome": "x" * BIG, "text": "x" * BIG})


async def _runs(handle: WorkflowHandle, first_run: str) -> list[str]:
    """The run ids of the workflow, oldest first, following its continue-as-new chain."""
    runs = [first_run]
    while True:
        history = await handle._client.get_workflow_handle(
            handle.id, run_id=runs[-1]
        ).fetch_history()
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return runs
        runs.append(last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id)


async def _total(h: Any, wid: str) -> int:
    """Refusals counted so far; a query caught between two runs is asked again."""
    try:
        return int((await h.status(wid)).rejected_inputs_total)
    except RPCError as exc:
        raise AssertionError(f"status not answered yet: {exc}") from exc


def _refusals_recorded(rows: list) -> int:
    """Refusals the record accounts for: a row each, plus the counts in summary rows."""
    total = 0
    for row in rows:
        summary = re.match(r"([\d,]+) further refused input", row.text or "")
        total += int(summary.group(1).replace(",", "")) if summary else 1
    return total


async def test_a_flooded_disagreement_continues_as_new_and_loses_nothing(env, db, mail) -> None:
    async with running(env, db, mail) as h:
        await h.sleep_until(RAISED)
        wid = await h.client.open(start_payload(RAISED))
        handle = h.env.client.get_workflow_handle(wid)
        first_run = (await handle.describe()).run_id
        assert first_run is not None
        await mail.wait_for(1)

        await _flood(handle, "resolved", small=60, big=40)
        assert 40 * BIG * 2 > HISTORY_BYTES_LIMIT

        async def handed_over() -> None:
            # Cheap checks while the flood is worked through (a run's history is megabytes).
            assert (await handle.describe()).run_id != first_run
            assert (await _total(h, wid)) == 100

        await eventually(handed_over, timeout=30, every=0.25)
        runs = await _runs(handle, first_run)
        assert len(runs) >= 2
        status = await h.status(wid)
        assert (status.state, status.current_stage) == ("open", "practitioners")
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            ("practitioners", RAISED, DUE_1)
        ]
        assert len(status.rejected_inputs) == KEEP
        assert all(len(r.payload) <= 500 for r in status.rejected_inputs)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

        # The deadline carried over fires on time in the new run: up to stage 2.
        await jump_to(env, DUE_2.replace(day=18, hour=9))
        status = await h.status(wid)
        assert [(s.stage_id, s.entered_at, s.due_at, s.outcome) for s in status.stages] == [
            ("practitioners", RAISED, DUE_1, "timeout"),
            ("line_managers", DUE_1, DUE_2, None),
        ]

        # Decisions by workflow id reach the new run; the case completes.
        receipt = await h.client.resolve(wid, Resolved(by="D. Team Manager", outcome="Plan agreed"))
        assert receipt is not None and receipt.state == "resolved"
        await h.client.confirm(wid, Confirmed(by="D. Team Manager", text="Letter sent"))
        final = await h.client.handle(wid).result()
        assert final.state == "closed" and final.outcome == "Plan agreed"
        assert final.rejected_inputs_total == 100

    # Each email once: stage 1, stage 2 (and their reminders), resolved, closed.
    ids = [m["Message-ID"] for m in mail.messages]
    assert len(ids) == len(set(ids))
    kinds = Counter(str(m["X-Escalation-Kind"]) for m in mail.messages)
    assert kinds["stage_entered"] == 2 and kinds["resolved"] == 1 and kinds["closed"] == 1

    rows = await steps(h, wid)
    kinds = Counter(r.kind for r in rows)
    assert kinds["opened"] == 1 and kinds["stage_entered"] == 2 and kinds["closed"] == 1
    refused = [r for r in rows if r.kind == "rejected_input"]
    assert _refusals_recorded(refused) == 100
    assert len(
        [r for r in refused if "further refused" not in (r.text or "")]
    ) <= ROWS_PER_RUN * len(runs)
    assert any(
        "further refused input(s) not recorded one by one" in (r.text or "") for r in refused
    )


async def test_a_flooded_practice_alert_continues_as_new_and_is_finalised(env, db, mail) -> None:
    raised = "2030-06-10T10:00:00+01:00"
    await jump_to(env, at(raised))
    async with alerts_running(env, db, mail) as h:
        wid = await h.client.raise_alert(alert_payload(raised))
        handle = h.env.client.get_workflow_handle(wid)
        first_run = (await handle.describe()).run_id
        assert first_run is not None
        await jump_to(env, at("2030-06-10T10:05:00+01:00"))
        before = await h.status(wid)

        await _flood(handle, "alert_response", small=0, big=40)

        async def handed_over() -> None:
            assert (await handle.describe()).run_id != first_run
            assert (await _total(h, wid)) == 40

        await eventually(handed_over, timeout=30, every=0.25)
        assert len(await _runs(handle, first_run)) >= 2
        status = await h.status(wid)
        assert (status.state, status.current_stage, status.due_at) == (
            before.state,
            before.current_stage,
            before.due_at,
        )
        assert status.case_note == before.case_note

        await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit booked"))
        await h.client.finalise(wid, Finalise(by=RAISER, text="Seen; closed"))
        final = await h.client.handle(wid).result()
        assert final.state == "finalised"
        assert [e.kind for e in final.case_note] == ["alert", "response", "finalised"]

    ids = [m["Message-ID"] for m in mail.messages]
    assert len(ids) == len(set(ids))
