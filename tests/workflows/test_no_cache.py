"""Every workflow task replayed from the start gives the same case as a cached worker.

A worker with ``max_cached_workflows=0`` keeps no workflow in memory: each new
task (a timer, a signal, an update, an activity result) rebuilds the workflow by
replaying its whole history. Any non-determinism (a clock read, a set's order, a
branch on data not in history) then shows up as a different timeline or a
non-determinism error. Each scenario runs twice side by side on one
time-skipping server, once per worker, with the same decisions at the same times:
the Redbridge scenarios, an adjourned conference (North Lincolnshire MARS) that
reconvenes with a dissenting minority, and a practice alert on Rutland's procedure.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus

from activities.email import SmtpConfig
from models.alerts import AlertResponse, NotSatisfied, PracticeAlertStatus
from models.decisions import ConferenceReconvened
from models.status import DisagreementStatus
from packs import PACK_DIR
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient
from tests.workflows.alert_support import RAISER, alert_payload
from tests.workflows.scenarios import SCENARIOS, Scenario, play
from tests.workflows.support import at, jump_to, minute
from worker import create_worker

EXAMPLES = Path(__file__).parents[2] / "examples"


def _example(name: str) -> dict[str, Any]:
    """A shipped example as scenario overrides (the scenario sets reference and time)."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    for key in ("case_reference", "disagreement_id", "raised_at", "disagreement_arose_at"):
        data.pop(key, None)
    return data


async def _majority_dissent(client: EscalationClient, wid: str) -> object:
    return await client.reconvene(
        wid,
        ConferenceReconvened(
            by="Conference chair",
            outcome="majority",
            text="Plan continues, 3-1",
            minority_dissents=True,
            minority="Humberside Police",
        ),
    )


async def _garbled(client: EscalationClient, wid: str) -> object:
    await client.handle(wid).signal("conference_reconvened", {"outcome": "maybe"})
    return None


CONFERENCE = Scenario(
    # Adjourned 10 June 2030 (Monday) for up to 15 working days; the reports for the
    # 19 June conference fall due and are reminded; the conference reconvenes on
    # Thursday 20 June with a dissenting minority, which goes up the majority ladder and
    # past its first deadline (5 working days, 27 June) by silence.
    name="mars-2019-conference-adjourned",
    raised_at=at("2030-06-10T10:00:00+01:00"),
    script=[
        (at("2030-06-20T11:07:00+01:00"), _majority_dissent),
        (at("2030-06-28T10:07:00+01:00"), _garbled),
    ],
    stages=["adjourned", "line_manager_irs", "head_of_independent_review"],
    finished=False,
    overrides={
        **_example("north-lincolnshire-mars-2019--conference_equally_divided"),
        "conference": {"kind": "initial", "at": "2030-06-19T10:00:00+01:00"},
        "disagreement_arose_at": "2030-06-10T10:00:00+01:00",  # the adjourned conference
    },
)


@pytest.mark.parametrize(
    "scenario", [*SCENARIOS, CONFERENCE], ids=[s.name for s in [*SCENARIOS, CONFERENCE]]
)
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


async def test_uncached_worker_gives_the_same_practice_alert(env, db, mail) -> None:
    """Rutland's practice alert: stage 1 misses its deadline and waits, a late response and
    a garbled one, the chair not satisfied (stage 2), then stage 2's deadline passes
    unanswered and it waits for the chair, on both workers."""
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port)
    queues = [f"cached-{uuid.uuid4()}", f"uncached-{uuid.uuid4()}"]
    cached = create_worker(env.client, queues[0], sessionmaker=db, smtp=smtp)
    uncached = create_worker(
        env.client, queues[1], sessionmaker=db, smtp=smtp, max_cached_workflows=0
    )
    clients = [PracticeAlertClient(env.client, q, env.get_current_time, PACK_DIR) for q in queues]
    raised = at("2030-06-10T10:00:00+01:00")
    await jump_to(env, raised)
    async with cached, uncached:
        wids = [
            await c.raise_alert(alert_payload(raised.isoformat(), procedure="rutland"))
            for c in clients
        ]
        await jump_to(env, at("2030-06-18T11:07:00+01:00"))
        for c, w in zip(clients, wids, strict=True):
            answer = AlertResponse(by="K. Team Manager", text="Visit booked")
            assert (await c.respond(w, answer)) is not None
            await c.handle(w).signal("alert_response", {"by": "nobody"})
            assert (
                await c.not_satisfied(w, NotSatisfied(by=RAISER, reason="Too late"))
            ) is not None
        await jump_to(env, at("2030-06-26T10:07:00+01:00"))
        results = [await c.status(w) for c, w in zip(clients, wids, strict=True)]
        for c, w in zip(clients, wids, strict=True):
            described = await c.handle(w).describe()
            assert described.status == WorkflowExecutionStatus.RUNNING

    def timeline(status: PracticeAlertStatus) -> list[tuple[object, ...]]:
        return [
            (s.stage_id, minute(s.entered_at), s.due_at, minute(s.left_at), s.outcome)
            for s in status.stages
        ]

    with_cache, without_cache = results
    assert [s.index for s in with_cache.stages] == [0, 1]
    assert [s.outcome for s in with_cache.stages] == ["not_satisfied", None]
    assert with_cache.stages[1].due_at == at("2030-06-25T17:00:00+01:00")
    assert minute(with_cache.stages[1].overdue_notified_at) == at("2030-06-25T17:00:00+01:00")
    assert timeline(without_cache) == timeline(with_cache)
    assert without_cache.state == with_cache.state == "open"
    assert [(e.kind, e.in_time) for e in with_cache.case_note] == [
        ("alert", None),
        ("response", False),
        ("not_satisfied", None),
    ]
    assert [(e.kind, e.stage, e.in_time) for e in without_cache.case_note] == [
        (e.kind, e.stage, e.in_time) for e in with_cache.case_note
    ]
    assert [(r.name, r.error) for r in without_cache.rejected_inputs] == [
        (r.name, r.error) for r in with_cache.rejected_inputs
    ]
    assert len(with_cache.rejected_inputs) == 1
    kinds = []
    for wid in wids:
        async with db() as session:
            rows = await session.execute(
                text("SELECT kind FROM alert_steps WHERE workflow_id = :w ORDER BY key"),
                {"w": wid},
            )
            kinds.append([r[0] for r in rows])
    assert kinds[0] == kinds[1]
    assert kinds[0].count("stage_entered") == 2
