"""Every workflow task replayed from the start gives the same case as a cached worker.

A worker with ``max_cached_workflows=0`` keeps no workflow in memory: each new
task (a timer, a signal, an update, an activity result) rebuilds the workflow by
replaying its whole history. Any non-determinism (a clock read, a set's order, a
branch on data not in history) then shows up as a different timeline or a
non-determinism error. Each scenario runs twice side by side on one
time-skipping server, once per worker, with the same decisions at the same times.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus

from activities.email import SmtpConfig
from models.status import DisagreementStatus
from starter.sdk import EscalationClient
from tests.workflows.scenarios import SCENARIOS, Scenario, play
from tests.workflows.support import jump_to, minute
from worker import create_worker


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_uncached_worker_gives_the_same_timeline(env, db, mail, scenario: Scenario) -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port)
    queues = [f"cached-{uuid.uuid4()}", f"uncached-{uuid.uuid4()}"]
    cached = create_worker(env.client, queues[0], sessionmaker=db, smtp=smtp)
    uncached = create_worker(
        env.client, queues[1], sessionmaker=db, smtp=smtp, max_cached_workflows=0
    )
    clients = [EscalationClient(env.client, q, env.get_current_time) for q in queues]

    async def jump(when: datetime) -> None:
        await jump_to(env, when)

    async with cached, uncached:
        wids = await play(scenario, clients, jump)
        if scenario.finished:
            results = [await c.handle(w).result() for c, w in zip(clients, wids, strict=True)]
        else:
            results = [await c.status(w) for c, w in zip(clients, wids, strict=True)]
        # The uncached worker really replayed: it has nothing cached to reuse.
        for client, wid in zip(clients, wids, strict=True):
            described = await client.handle(wid).describe()
            want = "COMPLETED" if scenario.finished else "RUNNING"
            assert described.status == WorkflowExecutionStatus[want]

    with_cache, without_cache = results
    assert [s.stage_id for s in with_cache.stages] == scenario.stages
    assert [s.stage_id for s in without_cache.stages] == scenario.stages

    # Decisions land a few milliseconds apart on the two cases: times to the minute,
    # deadlines (computed in working days) exactly.
    def timeline(status: DisagreementStatus) -> list[tuple[object, ...]]:
        return [
            (s.stage_id, minute(s.entered_at), s.due_at, minute(s.left_at), s.outcome)
            for s in status.stages
        ]

    assert timeline(without_cache) == timeline(with_cache)
    assert [s.overdue_notified_at is None for s in without_cache.stages] == [
        s.overdue_notified_at is None for s in with_cache.stages
    ]
    assert without_cache.state == with_cache.state
    assert without_cache.confirmation_due_at == with_cache.confirmation_due_at
    assert without_cache.confirmation_late == with_cache.confirmation_late
    assert [(c.stage_id, c.new_due_at) for c in without_cache.deadline_changes] == [
        (c.stage_id, c.new_due_at) for c in with_cache.deadline_changes
    ]
    assert [(r.name, r.error) for r in without_cache.rejected_inputs] == [
        (r.name, r.error) for r in with_cache.rejected_inputs
    ]
    # Same steps recorded, in the same order, once each.
    kinds = []
    for wid in wids:
        async with db() as session:
            rows = await session.execute(
                text("SELECT kind FROM steps WHERE workflow_id = :w ORDER BY key"), {"w": wid}
            )
            kinds.append([r[0] for r in rows])
    assert kinds[0] == kinds[1]
    assert kinds[0].count("stage_entered") == len(scenario.stages)
