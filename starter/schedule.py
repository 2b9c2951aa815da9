"""The Temporal Schedule that runs the Reconcile workflow every 15 minutes.

``escalation setup`` creates it, or updates it to this definition when it exists
(a changed task queue or interval is applied, and running setup twice changes
nothing), so a stopped case is noticed within a quarter of an hour without
anybody running ``escalation reconcile``. Runs that would overlap are skipped:
one comparison at a time is enough.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

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


async def ensure_reconcile_schedule(client: Client, task_queue: str) -> str:
    """Create the schedule, or bring an existing one to this definition; one line saying which."""
    schedule = reconcile_schedule(task_queue)
    what = f"schedule {SCHEDULE_ID} ({WORKFLOW_TYPE} every 15 minutes on task queue {task_queue})"
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            # Keep a pause an operator set; everything else is ours to define.
            schedule.state = current.description.schedule.state
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCHEDULE_ID).update(update)
        return f"updated {what}"
    return f"created {what}"
