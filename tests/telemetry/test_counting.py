"""The record activities count what they newly wrote, once, however often they are retried.

Each case here has a procedure id of its own, so the process-wide counters of other
tests never add to what is asserted.
"""

from __future__ import annotations

import uuid

from temporalio.testing import ActivityEnvironment

from activities.records import RecordActivities
from models.records import RecordBatch
from telemetry.metrics import (
    CASES_OPENED,
    DEADLINES_MISSED,
    DECISIONS,
    REFUSED_INPUTS,
    STAGES_ENTERED,
)
from tests.activities.support import disagreement, new_case, step


def _procedure() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _count(counter, **labels: str) -> float:
    return counter.labels(workflow_type="Disagreement", **labels)._value.get()


async def test_a_retried_batch_counts_each_fact_once(db) -> None:
    wid, case = new_case()
    procedure = _procedure()
    acts, env = RecordActivities(db), ActivityEnvironment()
    opened = disagreement(wid, case, procedure=procedure)
    steps = [
        step(wid, case, 1, stage_id="s1", state="open", current_stage="s1"),
        step(wid, case, 2, "deadline_passed", stage_id="s1"),
        step(wid, case, 3, "decision", actor="B", data={"decision": "unresolved"}),
        step(wid, case, 4, stage_id="s2", state="open", current_stage="s2"),
        step(wid, case, 5, "rejected_input", text="resolve: a field is missing"),
        step(wid, case, 6, "decision", data={"step": "interim_position"}),  # not a decision
    ]
    await env.run(acts.record_steps, RecordBatch(disagreement=opened, steps=steps[:2]))
    for _ in range(2):  # the whole batch again, as a retry after a lost completion
        await env.run(acts.record_steps, RecordBatch(disagreement=opened, steps=steps))

    assert _count(CASES_OPENED, procedure=procedure) == 1
    assert _count(STAGES_ENTERED, procedure=procedure, stage="s1") == 1
    assert _count(STAGES_ENTERED, procedure=procedure, stage="s2") == 1
    assert _count(DEADLINES_MISSED, procedure=procedure, stage="s1") == 1
    assert _count(DECISIONS, procedure=procedure, kind="unresolved") == 1
    assert _count(DECISIONS, procedure=procedure, kind="decision") == 0
    assert _count(REFUSED_INPUTS, procedure=procedure) == 1


async def test_a_step_written_alone_is_counted_under_its_cases_procedure(db) -> None:
    wid, case = new_case()
    procedure = _procedure()
    acts, env = RecordActivities(db), ActivityEnvironment()
    await env.run(acts.open_record, disagreement(wid, case, procedure=procedure))
    await env.run(acts.open_record, disagreement(wid, case, procedure=procedure))
    for _ in range(2):
        await env.run(
            acts.record_step,
            step(wid, case, 1, "decision", actor="B", data={"decision": "resolved"}),
        )
    assert _count(CASES_OPENED, procedure=procedure) == 1
    assert _count(DECISIONS, procedure=procedure, kind="resolved") == 1
