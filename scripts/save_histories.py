"""Save the workflow histories that the replay test checks (tests/histories/).

By default only *missing* histories are written: the saved files are what running
cases looked like on older code, and today's code must keep replaying them, so they
are never rewritten by accident. ``--force`` rewrites them all (or the ones named),
deliberately, when a change is *meant* to be incompatible and no running case can
exist on the old code; otherwise guard the change with ``workflow.patched``.

Besides the hand-written Redbridge, conference test pack and practice alert test pack
scenarios below, every ladder of every pack in packs/ (and every pack's practice
alerts) is saved at the points ``tests/workflows/history_plan.py`` derives from the
pack, raised from its shipped example (examples/<pack>--<ladder>.json): a new pack
gets its histories from ``make histories`` without code. Each case runs on its own
time-skipping test server with the real activities (a temporary SQLite database and
a local SMTP sink), and is snapshotted when nothing is in flight.

    python scripts/save_histories.py                  # write the missing ones
    python scripts/save_histories.py NAME...          # only these (if missing)
    python scripts/save_histories.py --force [NAME...]  # rewrite (deliberately)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The shipped packs' stages without a document figure take the demo local settings, as
# in the tests and `escalation dev`.
os.environ.setdefault(
    "ESCALATION_LOCAL_SETTINGS",
    str(Path(__file__).resolve().parents[1] / "examples" / "local-settings"),
)

from models.alerts import AlertResponse, Finalise, NotSatisfied
from models.decisions import (
    ConferenceReconvened,
    Confirmed,
    ImmediateRisk,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from packs import PACK_DIR as SHIPPED_PACKS
from packs import load_pack
from records.db import make_sessionmaker, upgrade
from starter.smtp_sink import SmtpSink
from starter.testing import start_time_skipping
from tests.fixtures.harness import payload as conference_payload
from tests.fixtures.harness import running_packs
from tests.workflows.alert_support import (
    RAISER,
    AlertHarness,
    alert_payload,
    alerts_running,
)
from tests.workflows.history_plan import Walk, opens_adjourned, walks
from tests.workflows.stand_ins import send_notification as cut_off_every_attempt
from tests.workflows.support import Harness, at, jump_to, running, start_payload

OUT = Path(__file__).resolve().parents[1] / "tests" / "histories"
RAISED = at("2030-06-10T10:00:00+01:00")


async def started(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0001"))
    await h.sleep_until(at("2030-06-10T10:05:00+01:00"))
    return wid


async def mid_ladder(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0002"))
    await h.sleep_until(at("2030-06-18T10:00:00+01:00"))
    await h.client.handle(wid).signal("resolved", {"by": "nobody"})
    await h.client.unresolve(wid, Unresolved(by="Line manager", reason="no agreement"))
    await h.sleep_until(at("2030-06-19T09:00:00+01:00"))
    return wid


async def awaiting_confirmation(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0003"))
    await h.sleep_until(at("2030-06-18T13:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Line manager", outcome="Plan agreed"))
    await h.sleep_until(at("2030-06-21T10:00:00+01:00"))
    return wid


async def risk_and_shortened(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0004"))
    await h.client.raise_immediate_risk(wid, ImmediateRisk(by="Raiser", reason="disclosure"))
    await h.client.shorten(wid, ShortenTimescale(by="Raiser", reason="discharge", working_days=2))
    await h.sleep_until(at("2030-06-13T10:00:00+01:00"))
    return wid


async def completed(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0005"))
    await h.sleep_until(at("2030-07-04T10:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Chair", outcome="Recommendations"))
    await h.client.handle(wid).result()
    return wid


async def confirmed(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0006"))
    await h.client.resolve(wid, Resolved(by="Receiver", outcome="Agreed"))
    await h.client.confirm(wid, Confirmed(by="Receiver", text="Letter"))
    await h.client.handle(wid).result()
    return wid


async def conference_adjourned(h: Harness) -> str:
    """Adjourned (test pack), report deadline tracked, past the halfway reminder."""
    wid = await h.client.open(
        conference_payload(
            RAISED,
            ladder="equally_divided",
            case_reference="CR-HIST-0101",
            conference={"kind": "initial", "at": "2030-06-24T10:00:00+01:00"},
        )
    )
    await h.sleep_until(at("2030-06-21T10:00:00+01:00"))
    return wid


async def conference_majority_dissent(h: Harness) -> str:
    """Reconvened with a disputed majority: the minority's ladder, past its first deadline."""
    wid = await h.client.open(
        conference_payload(RAISED, ladder="equally_divided", case_reference="CR-HIST-0102")
    )
    await h.sleep_until(at("2030-06-17T11:00:00+01:00"))
    await h.client.reconvene(
        wid,
        ConferenceReconvened(
            by="Conference chair",
            outcome="majority",
            text="Plan discontinued",
            minority_dissents=True,
            minority="Community health",
        ),
    )
    await h.sleep_until(at("2030-06-25T10:00:00+01:00"))
    return wid


async def conference_breached(h: Harness) -> str:
    """No reconvened conference by the 15th working day: breach, then the next stage."""
    wid = await h.client.open(
        conference_payload(RAISED, ladder="equally_divided", case_reference="CR-HIST-0103")
    )
    await h.sleep_until(at("2030-07-02T10:00:00+01:00"))
    return wid


async def conference_learning(h: Harness) -> str:
    """Resolved at a stage with learning_notify: a learning item, then closed."""
    wid = await h.client.open(conference_payload(RAISED, case_reference="CR-HIST-0104"))
    await h.client.unresolve(wid, Unresolved(by="Practitioner", reason="no agreement"))
    await h.sleep_until(at("2030-06-12T10:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Principal Officer", outcome="Audit agreed"))
    await h.client.handle(wid).result()
    return wid


async def mail_given_up(h: Harness) -> str:
    """Every attempt at the first email cut off: its three days run out, it is recorded failed."""
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0007"))
    await h.sleep_until(at("2030-06-13T12:00:00+01:00"))
    return wid


async def _flood_until_continued(handle: WorkflowHandle[Any, Any], text_field: str) -> None:
    """40 refused signals of 60,000 characters: past 2 MiB, the case continues as new."""
    first = handle.first_execution_run_id or (await handle.describe()).run_id
    for _ in range(40):
        await handle.signal(
            "resolved" if text_field == "outcome" else "alert_response",
            {"by": "Flood", text_field: "x" * 60_000, "stage": "nowhere"},
        )
    deadline = time.monotonic() + 30
    while (await handle.describe()).run_id == first:
        if time.monotonic() > deadline:
            raise TimeoutError("the flooded case did not continue as new")
        await asyncio.sleep(0.1)


async def continued(h: Harness) -> str:
    """A case that continued as new after a flood, then escalated, resolved, confirmed.

    Only the continued run is saved (it starts from the carried state and exercises the
    resume path); the flooded first run is megabytes of refused payloads, and its path is
    proved live by tests/workflows/test_continue_as_new.py.
    """
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0009"))
    handle = h.env.client.get_workflow_handle(wid)
    await _flood_until_continued(handle, "outcome")
    await h.sleep_until(at("2030-06-18T10:00:00+01:00"))  # stage 2, in the new run
    await h.client.resolve(wid, Resolved(by="Manager", outcome="Agreed"))
    await h.client.confirm(wid, Confirmed(by="Manager", text="Letter"))
    await h.client.handle(wid).result()
    return wid


SCENARIOS: dict[str, Callable[[Harness], Awaitable[str]]] = {
    "continued": continued,
    "started": started,
    "mid-ladder": mid_ladder,
    "awaiting-confirmation": awaiting_confirmation,
    "risk-and-shortened": risk_and_shortened,
    "completed": completed,
    "confirmed": confirmed,
    "conference-adjourned": conference_adjourned,
    "conference-majority-dissent": conference_majority_dissent,
    "conference-breached": conference_breached,
    "conference-learning": conference_learning,
    "mail-given-up": mail_given_up,
}


async def alert_mail_given_up(h: AlertHarness) -> str:
    """Every attempt at the alert's first email cut off: recorded failed after three days."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0204")
    )
    await jump_to(h.env, at("2030-06-13T12:00:00+01:00"))
    return wid


async def alert_started(h: AlertHarness) -> str:
    """A practice alert at stage 1 (test pack), its timers set."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0201")
    )
    await jump_to(h.env, at("2030-06-10T10:05:00+01:00"))
    return wid


async def alert_mid_ladder(h: AlertHarness) -> str:
    """Stage 1 unanswered, the chair sends it up; a malformed signal, a response, the chair
    not satisfied: stage 3."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0202")
    )
    await jump_to(h.env, at("2030-06-18T10:00:00+01:00"))
    await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No response"))
    await h.client.handle(wid).signal("alert_response", {"by": "nobody"})
    await h.client.respond(wid, AlertResponse(by="L. Service Manager", text="Reviewing"))
    await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No plan yet"))
    await jump_to(h.env, at("2030-06-21T10:00:00+01:00"))
    return wid


async def alert_finalised(h: AlertHarness) -> str:
    """A response in time, a finalisation refused to another, then the chair finalises."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0203")
    )
    await jump_to(h.env, at("2030-06-12T10:00:00+01:00"))
    await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit done"))
    await h.client.handle(wid).signal("finalised", {"by": "K. Team Manager", "text": "x"})
    await h.client.finalise(wid, Finalise(by=RAISER, text="Satisfied"))
    await h.client.handle(wid).result()
    return wid


async def alert_continued(h: AlertHarness) -> str:
    """A practice alert that continued as new after a flood, then responded and finalised."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0209")
    )
    await jump_to(h.env, at("2030-06-10T10:05:00+01:00"))
    await _flood_until_continued(h.env.client.get_workflow_handle(wid), "text")
    await jump_to(h.env, at("2030-06-12T10:00:00+01:00"))
    await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit done"))
    await h.client.finalise(wid, Finalise(by=RAISER, text="Satisfied"))
    await h.client.handle(wid).result()
    return wid


ALERT_SCENARIOS: dict[str, Callable[[AlertHarness], Awaitable[str]]] = {
    "practice-alert-continued": alert_continued,
    "practice-alert-started": alert_started,
    "practice-alert-mid-ladder": alert_mid_ladder,
    "practice-alert-finalised": alert_finalised,
    "practice-alert-mail-given-up": alert_mail_given_up,
}
"""PracticeAlert scenarios, on the test pack tests/fixtures/packs/rutland-alerts-test.toml."""

STAND_INS: dict[str, list[Callable[..., Any]]] = {
    "mail-given-up": [cut_off_every_attempt],
    "practice-alert-mail-given-up": [cut_off_every_attempt],
}
"""Scenarios whose path real parts cannot reach in a test: these activities stand in."""


async def save_alert(name: str, db: Any, sink: SmtpSink) -> None:
    """Run one practice alert scenario and write tests/histories/{name}.json."""
    env = await start_time_skipping(pydantic_data_converter)
    try:
        await jump_to(env, RAISED)
        async with alerts_running(env, db, sink, stand_ins=STAND_INS.get(name, [])) as h:
            wid = await ALERT_SCENARIOS[name](h)
            history = await h.client.handle(wid).fetch_history()
    finally:
        await env.shutdown()
    path = OUT / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    print(f"{path.relative_to(OUT.parents[1])}: {len(history.events)} events")


TEST_PACK_SCENARIOS = {
    "conference-adjourned",
    "conference-majority-dissent",
    "conference-breached",
    "conference-learning",
}
"""Scenarios run on the test-only packs in tests/fixtures/packs/ (file prefix conference-test)."""


# ------------------------------------------------ every ladder of every shipped pack

WALK_RAISED = RAISED
"""Every shipped pack's cases are raised on Monday 10 June 2030 at 10:00 BST."""
CONFERENCE_AT = at("2030-06-19T10:00:00+01:00")
"""A conference named in an example is moved here: inside the adjournment, after raising."""


def walk_payload(walk: Walk, point: str) -> dict[str, Any]:
    """The pack's shipped example for this ladder, raised at WALK_RAISED."""
    path = walk.example()
    if not path.exists():
        raise SystemExit(
            f"{walk.name(point)}: no example payload {path.relative_to(OUT.parents[1])}; "
            "ship one per ladder (and one for practice alerts) so histories can be saved"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data["case_reference"] = f"{data['case_reference']}-H{zlib.crc32(point.encode()) % 1000:03d}"
    data["raised_at"] = WALK_RAISED.isoformat()
    if walk.ladder is not None:  # a disagreement: an adjourned conference counts from it
        data["disagreement_arose_at"] = WALK_RAISED.isoformat()
    if isinstance(data.get("conference"), dict):
        data["conference"]["at"] = CONFERENCE_AT.isoformat()
    return data


def _open_activities(history: WorkflowHistory) -> set[int]:
    scheduled = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    for e in history.events:
        for field in (
            "activity_task_completed_event_attributes",
            "activity_task_failed_event_attributes",
            "activity_task_timed_out_event_attributes",
            "activity_task_canceled_event_attributes",
        ):
            if e.HasField(field):
                scheduled.discard(getattr(e, field).scheduled_event_id)
    return scheduled


BUSY = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED}


async def settle(handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The case's history once nothing is in flight (no workflow task, no activity).

    A worker restarted at this point finds exactly this history, and a snapshot taken
    while an email is still being sent would differ from run to run for no reason.
    Decisions are sent only once the case is idle too: an update that reaches the
    time-skipping test server while a timer's workflow task is in flight can wedge it
    ("invalid history builder state for action"), and the update then never returns.
    """
    deadline = time.monotonic() + 30
    seen = -1
    while True:
        history = await handle.fetch_history()
        idle = history.events[-1].event_type not in BUSY and not _open_activities(history)
        if idle and len(history.events) == seen:
            return history
        if time.monotonic() > deadline:
            raise RuntimeError(f"{handle.id}: still busy after 30 s (an activity retrying?)")
        seen = len(history.events)
        await asyncio.sleep(0.15)


def due(stage: Any) -> datetime:
    """A stage's deadline (every stage a walk reaches has one)."""
    assert stage.due_at is not None, f"{stage.stage_id}: no deadline"
    return stage.due_at  # type: ignore[no-any-return]


def midway(entered: datetime, due: datetime) -> datetime:
    """Halfway through a stage, to the minute."""
    return (entered + (due - entered) / 2).replace(second=0, microsecond=0)


async def climb(h: Harness, wid: str, index: int) -> None:
    """Let silence take the case up to the ``index``-th stage of its ladder (0-based)."""
    for _ in range(40):
        await settle(h.client.handle(wid))
        status = await h.status(wid)
        if len(status.stages) - 1 >= index:
            return
        await h.sleep_until(due(status.stages[-1]) + timedelta(minutes=1))
    raise RuntimeError(f"{wid}: did not reach stage {index + 1} by silence")


async def walk_ladder(h: Harness, walk: Walk, want: set[str]) -> dict[str, WorkflowHistory]:
    """One case climbing the ladder by silence, snapshotted at started/adjourned/mid/last."""
    ladder = load_pack(walk.pack).ladder(walk.ladder)
    wid = await h.client.open(walk_payload(walk, "walk"))
    handle = h.client.handle(wid)
    saved: dict[str, WorkflowHistory] = {}
    await h.sleep_until(WALK_RAISED + timedelta(minutes=5))
    saved["started"] = await settle(handle)
    if "adjourned" in walk.points:
        first = (await h.status(wid)).stages[0]
        await h.sleep_until(midway(first.entered_at, due(first)))
        saved["adjourned"] = await settle(handle)
    if "mid-ladder" in walk.points:
        await climb(h, wid, len(ladder.stages) // 2)
        stage = (await h.status(wid)).stages[-1]
        await h.sleep_until(midway(stage.entered_at, due(stage)))
        saved["mid-ladder"] = await settle(handle)
    if "last-stage" in want:
        await climb(h, wid, len(ladder.stages) - 1)
        last = (await h.status(wid)).stages[-1]
        await h.sleep_until(due(last) + timedelta(hours=1))
        saved["last-stage"] = await settle(handle)
        status = await h.status(wid)
        if status.current_stage != ladder.stages[-1].id or last.due_at is None:
            raise RuntimeError(f"{wid}: expected to wait at {ladder.stages[-1].id}")
        if status.stages[-1].overdue_notified_at is None:
            raise RuntimeError(f"{wid}: no overdue notice after the last deadline")
    return saved


async def close_ladder(h: Harness, walk: Walk) -> WorkflowHistory:
    """Resolved at stage 2 and confirmed, or an adjourned conference agreed: closed."""
    ladder = load_pack(walk.pack).ladder(walk.ladder)
    wid = await h.client.open(walk_payload(walk, "closed"))
    if opens_adjourned(ladder):
        await settle(h.client.handle(wid))
        first = (await h.status(wid)).stages[0]
        await h.sleep_until(midway(first.entered_at, due(first)))
        await settle(h.client.handle(wid))
        agreed = ConferenceReconvened(
            by="Conference chair", outcome="unanimous", text="Plan continues, all agreed"
        )
        receipt = await h.client.reconvene(wid, agreed)
    else:
        await climb(h, wid, min(1, len(ladder.stages) - 1))
        stage = (await h.status(wid)).stages[-1]
        await h.sleep_until(midway(stage.entered_at, due(stage)))
        await settle(h.client.handle(wid))
        resolved = Resolved(by="Line manager", outcome="Plan agreed", stage=stage.stage_id)
        receipt = await h.client.resolve(wid, resolved)
        if receipt is not None and receipt.state == "resolved":
            await h.sleep_until(midway(stage.entered_at, due(stage)) + timedelta(hours=3))
            await settle(h.client.handle(wid))
            receipt = await h.client.confirm(wid, Confirmed(by="Line manager", text="Letter sent"))
    if receipt is None or receipt.state != "closed":
        raise RuntimeError(f"{wid}: not closed ({receipt})")
    await h.client.handle(wid).result()
    return await settle(h.client.handle(wid))


async def risk_on_ladder(h: Harness, walk: Walk) -> WorkflowHistory:
    """An immediate risk declared an hour after raising; the next morning."""
    wid = await h.client.open(walk_payload(walk, "immediate-risk"))
    await h.sleep_until(WALK_RAISED + timedelta(hours=1))
    await settle(h.client.handle(wid))
    risk = ImmediateRisk(by="Raising practitioner", reason="Disclosure today")
    if await h.client.raise_immediate_risk(wid, risk) is None:
        raise RuntimeError(f"{wid}: immediate risk not acknowledged")
    await h.sleep_until(WALK_RAISED + timedelta(days=1))
    return await settle(h.client.handle(wid))


async def alert_climb(h: AlertHarness, wid: str, index: int) -> None:
    """Take the alert up to its ``index``-th stage (0-based): each stage's deadline passes
    unanswered (recorded, the chair told) and the raising chair sends it up."""
    for _ in range(40):
        await settle(h.client.handle(wid))
        status = await h.status(wid)
        if status.stages[-1].index >= index:
            return
        await jump_to(h.env, status.stages[-1].due_at + timedelta(minutes=1))
        await settle(h.client.handle(wid))
        await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No response"))
    raise RuntimeError(f"{wid}: did not reach alert stage {index + 1}")


async def walk_alert(h: AlertHarness, walk: Walk, want: set[str]) -> dict[str, WorkflowHistory]:
    """One practice alert climbing by silence, snapshotted at started/mid/last."""
    spec = load_pack(walk.pack).practice_alerts
    assert spec is not None
    wid = await h.client.raise_alert(walk_payload(walk, "walk"))
    handle = h.client.handle(wid)
    saved: dict[str, WorkflowHistory] = {}
    await jump_to(h.env, WALK_RAISED + timedelta(minutes=5))
    saved["started"] = await settle(handle)
    await alert_climb(h, wid, len(spec.stages) // 2)
    stage = (await h.status(wid)).stages[-1]
    await jump_to(h.env, midway(stage.entered_at, stage.due_at))
    saved["mid-ladder"] = await settle(handle)
    if "last-stage" in want:
        await alert_climb(h, wid, len(spec.stages) - 1)
        last = (await h.status(wid)).stages[-1]
        await jump_to(h.env, last.due_at + timedelta(hours=1))
        saved["last-stage"] = await settle(handle)
    return saved


async def finalise_alert(h: AlertHarness, walk: Walk) -> WorkflowHistory:
    """Answered at stage 1 the next day, then finalised by the raiser."""
    payload = walk_payload(walk, "finalised")
    wid = await h.client.raise_alert(payload)
    await jump_to(h.env, WALK_RAISED + timedelta(days=1))
    await settle(h.client.handle(wid))
    receipt = await h.client.respond(wid, AlertResponse(by="Team manager", text="Visit done"))
    if receipt is None or not receipt.accepted:
        raise RuntimeError(f"{wid}: response refused ({receipt})")
    await jump_to(h.env, WALK_RAISED + timedelta(days=2))
    await settle(h.client.handle(wid))
    await h.client.finalise(wid, Finalise(by=payload["raised_by"]["email"], text="Satisfied"))
    await h.client.handle(wid).result()
    return await settle(h.client.handle(wid))


def write(name: str, history: WorkflowHistory) -> None:
    """Write tests/histories/{name}.json (the SDK's JSON form, which the Replayer reads)."""
    path = OUT / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    size = path.stat().st_size // 1024
    print(f"{path.relative_to(OUT.parents[1])}: {len(history.events)} events, {size} KB")


async def save_walk(walk: Walk, want: set[str], db: Any, sink: SmtpSink) -> None:
    """Run the cases of one ladder (or a pack's alerts) that ``want`` calls for, each on a
    fresh time-skipping server, and write their histories."""
    runs: list[tuple[set[str], Callable[[Any], Awaitable[dict[str, WorkflowHistory]]]]] = []
    walked = want & {"started", "adjourned", "mid-ladder", "last-stage"}
    if walk.ladder is None:
        if walked:
            runs.append((walked, lambda h: walk_alert(h, walk, want)))
        if "finalised" in want:
            runs.append(({"finalised"}, lambda h: _one("finalised", finalise_alert(h, walk))))
    else:
        if walked:
            runs.append((walked, lambda h: walk_ladder(h, walk, want)))
        if "closed" in want:
            runs.append(({"closed"}, lambda h: _one("closed", close_ladder(h, walk))))
        if "immediate-risk" in want:
            runs.append(
                ({"immediate-risk"}, lambda h: _one("immediate-risk", risk_on_ladder(h, walk)))
            )
    for points, run in runs:
        env = await start_time_skipping(pydantic_data_converter)
        try:
            await jump_to(env, WALK_RAISED)
            if walk.ladder is None:
                async with alerts_running(env, db, sink, SHIPPED_PACKS) as ah:
                    saved = await run(ah)
            else:
                async with running(env, db, sink) as h:
                    saved = await run(h)
        finally:
            await env.shutdown()
        for point in walk.points:
            if point in points:
                write(walk.name(point), saved[point])


async def _one(point: str, history: Awaitable[WorkflowHistory]) -> dict[str, WorkflowHistory]:
    return {point: await history}


# ---------------------------------------------------------------------- the run


def legacy_name(name: str) -> str:
    """The file stem of one of the hand-written scenarios above."""
    if name in ALERT_SCENARIOS:
        return name
    prefix = "conference-test" if name in TEST_PACK_SCENARIOS else "redbridge-2017"
    return f"{prefix}-{name.removeprefix('conference-')}"


async def main(names: list[str], force: bool) -> None:
    """Write the histories named (every one when none are) that are missing, or all with force.

    Existing files are what running cases looked like on older code: they prove today's
    code still replays them, so they are only rewritten with ``--force``.
    """
    legacy = {legacy_name(n): n for n in [*SCENARIOS, *ALERT_SCENARIOS]}
    planned = {w.name(p): (w, p) for w in walks() for p in w.points}
    unknown = sorted(set(names) - set(legacy) - set(planned))
    if unknown:
        known = "\n  ".join(sorted([*legacy, *planned]))
        raise SystemExit(f"unknown history name(s): {', '.join(unknown)}; known:\n  {known}")

    def wanted(name: str) -> bool:
        return (not names or name in names) and (force or not (OUT / f"{name}.json").exists())

    todo_legacy = [legacy[n] for n in legacy if wanted(n)]
    todo_walks = [(w, {p for p in w.points if wanted(w.name(p))}) for w in walks()]
    todo_walks = [(w, want) for w, want in todo_walks if want]
    if not todo_legacy and not todo_walks:
        print("every history is saved; nothing to do (--force rewrites them)")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink()
    sink.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/histories.db"
            await upgrade(url)
            db = make_sessionmaker(url)
            for name, scenario in SCENARIOS.items():
                if name not in todo_legacy:
                    continue
                on_test_packs = name in TEST_PACK_SCENARIOS
                env = await start_time_skipping(pydantic_data_converter)
                try:
                    await jump_to(env, RAISED)
                    if on_test_packs:
                        harness = running_packs(env, db, sink)
                    else:
                        harness = running(env, db, sink, STAND_INS.get(name, []))
                    async with harness as h:
                        wid = await scenario(h)
                        history = await h.client.handle(wid).fetch_history()
                finally:
                    await env.shutdown()
                write(legacy_name(name), history)
            for name in ALERT_SCENARIOS:
                if name in todo_legacy:
                    await save_alert(name, db, sink)
            for walk, want in todo_walks:
                await save_walk(walk, want, db, sink)
    finally:
        sink.stop()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Save the workflow histories the replay test checks (tests/histories/)."
    )
    parser.add_argument(
        "names",
        nargs="*",
        help="history file stems to write (default: every one the packs call for)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rewrite histories that already exist (only when old cases cannot exist)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args(sys.argv[1:])
    asyncio.run(main(args.names, args.force))
