"""The Temporal Schedules: Reconcile every 15 minutes, and the quarterly reports.

``escalation setup`` creates it, or updates it to this definition when it exists
(a changed task queue or interval is applied, and running setup twice changes
nothing), so a stopped case is noticed within a quarter of an hour without
anybody running ``escalation reconcile``. Runs that would overlap are skipped:
one comparison at a time is enough.

``escalation report schedule`` creates (or updates) a ``quarterly-report-<procedure|all>``
schedule the same way: QuarterlyReport every morning, sending only on the report's
due working day (``workflows/quarterly.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from models.quarterly import QuarterlyReportRequest
from models.reconcile import ReconcileRequest

SCHEDULE_ID = "escalation-reconcile"
"""The schedule's id; its workflows are ``escalation-reconcile-<time>``."""
WORKFLOW_TYPE = "Reconcile"
INTERVAL = timedelta(minutes=15)
RUN_TIMEOUT = timedelta(minutes=14)
"""A run never outlives its slot: the next one starts afresh."""


def reconcile_schedule(task_queue: str) -> Schedule:
    """The schedule's definition: Reconcile on ``task_queue`` every 15 minutes."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            WORKFLOW_TYPE,
            ReconcileRequest(),
            id=SCHEDULE_ID,
            task_queue=task_queue,
            execution_timeout=RUN_TIMEOUT,
            static_summary="Notice cases whose workflow stopped; tell their Business Manager",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=INTERVAL)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="created by `escalation setup`"),
    )


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> str:
    """Create ``schedule_id`` as ``schedule``, or bring it to that definition: "created"/"updated".

    A pause an operator set is kept, with its note; everything else is ours to define.
    """
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            if current.description.schedule.state.paused:
                schedule.state = current.description.schedule.state
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(update)
        return "updated"
    return "created"


async def ensure_reconcile_schedule(client: Client, task_queue: str) -> str:
    """Create the schedule, or bring an existing one to this definition; one line saying which."""
    what = f"schedule {SCHEDULE_ID} ({WORKFLOW_TYPE} every 15 minutes on task queue {task_queue})"
    done = await ensure_schedule(client, SCHEDULE_ID, reconcile_schedule(task_queue))
    return f"{done} {what}"


# ---------------------------------------------------------------- the quarterly report

QUARTERLY_PREFIX = "quarterly-report-"
"""Quarterly-report schedules are ``quarterly-report-<procedure>`` or ``quarterly-report-all``."""
QUARTERLY_WORKFLOW = "QuarterlyReport"
QUARTERLY_AT = 7
"""The hour (local time) of the daily run: the report is in the inbox at the start of the day."""
QUARTERLY_RUN_TIMEOUT = timedelta(hours=6)
"""Longer than the send's two hours of retries and the Business Manager's emails after it."""


def quarterly_schedule_id(procedure: str | None) -> str:
    """``quarterly-report-<procedure>``, or ``quarterly-report-all`` for every procedure."""
    return f"{QUARTERLY_PREFIX}{procedure or 'all'}"


def quarterly_summary(req: QuarterlyReportRequest) -> str:
    """What the Web UI shows for the schedule and its runs."""
    scope = f"procedure {req.procedure}" if req.procedure else "all procedures"
    return (
        f"Quarterly report ({scope}) to {', '.join(req.to)}, "
        f"{req.working_days} working day(s) after each quarter ends"
    )


def quarterly_schedule(task_queue: str, req: QuarterlyReportRequest, zone: str) -> Schedule:
    """QuarterlyReport every morning at 07:00 ``zone``; the workflow sends only when due.

    Temporal's calendar specs count calendar days, not working days, so the
    schedule runs daily and the workflow decides (on the procedure's own working
    days) whether today is the report's due day or later and it has not gone yet.
    A missed morning (the server down) is not caught up: the next morning's run is
    as good. Runs never overlap.
    """
    return Schedule(
        action=ScheduleActionStartWorkflow(
            QUARTERLY_WORKFLOW,
            req,
            id=quarterly_schedule_id(req.procedure),
            task_queue=task_queue,
            execution_timeout=QUARTERLY_RUN_TIMEOUT,
            static_summary=quarterly_summary(req)[:200],
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(QUARTERLY_AT)],
                    comment="every morning; the workflow sends on the due working day",
                )
            ],
            time_zone_name=zone,
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=1)
        ),
        state=ScheduleState(note=f"{quarterly_summary(req)} (`escalation report schedule`)"),
    )


async def ensure_quarterly_schedule(
    client: Client, task_queue: str, req: QuarterlyReportRequest, zone: str = "Europe/London"
) -> str:
    """Create or update the procedure's quarterly-report schedule; one line saying which."""
    schedule_id = quarterly_schedule_id(req.procedure)
    done = await ensure_schedule(client, schedule_id, quarterly_schedule(task_queue, req, zone))
    return (
        f"{done} schedule {schedule_id} ({QUARTERLY_WORKFLOW} daily at "
        f"{QUARTERLY_AT:02d}:00 {zone} on task queue {task_queue}; sends "
        f"{req.working_days} working day(s) after each quarter ends to {', '.join(req.to)})"
    )


@dataclass(frozen=True)
class QuarterlySchedule:
    """One quarterly-report schedule as ``escalation report schedules`` lists it."""

    schedule_id: str
    request: QuarterlyReportRequest
    task_queue: str
    next_run: datetime | None
    paused: bool


async def describe_quarterly(client: Client, schedule_id: str) -> QuarterlySchedule:
    """The schedule's request (decoded from its action), next run and state."""
    described = await client.get_schedule_handle(schedule_id).describe()
    action = described.schedule.action
    if not isinstance(action, ScheduleActionStartWorkflow):
        raise ValueError(f"{schedule_id} does not start a workflow")
    raw = [a for a in action.args if isinstance(a, Payload)]
    [req] = await client.data_converter.decode(raw, [QuarterlyReportRequest])
    upcoming = described.info.next_action_times
    return QuarterlySchedule(
        schedule_id,
        req,
        action.task_queue,
        upcoming[0] if upcoming else None,
        described.schedule.state.paused,
    )


async def quarterly_schedules(client: Client) -> list[QuarterlySchedule]:
    """Every quarterly-report schedule of the namespace, by id."""
    found = []
    async for listed in await client.list_schedules():
        if not listed.id.startswith(QUARTERLY_PREFIX):
            continue
        try:
            found.append(await describe_quarterly(client, listed.id))
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # the list lags a deletion a little
                raise
    return sorted(found, key=lambda s: s.schedule_id)
