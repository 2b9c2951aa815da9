"""Typed calls from workflow code to the activities, with their timeouts and retries.

Activities are called by name so that workflow modules never import the
database or SMTP libraries the activities use. Retry policies say which errors
are permanent: retrying an unknown procedure or a refused mailbox cannot help.
Each call carries a one-line summary, which the Temporal Web UI shows beside the
activity, so an admin reading a history sees "Email: Stage 2 ... action needed by
..." rather than a bare activity name (case references only, never a child's name).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from models.calendar import DeadlinePlan, DeadlineRequest
    from models.notifications import Notification, NotificationResult, Undelivered
    from models.pack import PolicyPack
    from models.packs_io import LoadPack
    from models.records import RecordBatch

QUICK = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["UnknownProcedure", "InvalidPack", "InvalidCalendar"],
)
"""Pure computations over shipped data: fail fast on bad data, retry anything else."""

DURABLE = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
"""The record of truth: keep trying (a database outage must not lose a row)."""

MAIL = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentSmtpError"],
)
"""Email: transient relay errors retry with backoff; a refusal is permanent."""

R = TypeVar("R", bound=BaseModel)

RECORD_BATCH = 50
"""Rows per record write at most: a long queue (a database away for days) stays small."""

RECORD_BATCH_CHARACTERS = 100_000
"""Characters of text per record write at most (the first row always goes): a batch of rows
each carrying a 10,000-character text stays far below the server's blob size limit."""


def take_batch(rows: list[R]) -> tuple[list[R], list[R]]:
    """The next record write's rows and the rest, bounded in count and in text."""
    size = 0
    for n, row in enumerate(rows[:RECORD_BATCH]):
        size += _characters(row)
        if n and size > RECORD_BATCH_CHARACTERS:
            return rows[:n], rows[n:]
    return rows[:RECORD_BATCH], rows[RECORD_BATCH:]


def _characters(row: BaseModel) -> int:
    """A row's free text, roughly: what makes one row large."""
    total = 0
    for value in row.__dict__.values():
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, dict):
            total += sum(len(str(v)) for v in value.values())
    return total


async def load_pack(procedure: str) -> PolicyPack:
    """The pack for ``procedure``, recorded in history."""
    pack: PolicyPack = await workflow.execute_activity(
        "load_pack",
        LoadPack(procedure=procedure),
        result_type=PolicyPack,
        summary=f"Load the {procedure} procedure",
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=QUICK,
    )
    return pack


async def plan_deadline(req: DeadlineRequest) -> DeadlinePlan:
    """A deadline computed on the partnership's calendar, recorded in history.

    A local activity: the calculation is pure and takes a millisecond, and its answer is
    still recorded (as a marker), but it costs the server no task round trip, which is
    most of what opening a case costs it.
    """
    summary = (
        f"Deadline: {req.working_days} {req.unit.replace('_', ' ')[:-1]}(s) {req.direction} "
        f"{req.start.isoformat(timespec='minutes')}"
    )
    options: dict[str, Any] = {
        "result_type": DeadlinePlan,
        "summary": summary,
        "start_to_close_timeout": timedelta(seconds=30),
        "retry_policy": QUICK,
    }
    plan: DeadlinePlan = await workflow.execute_local_activity("plan_deadline", req, **options)
    return plan


async def record_steps(batch: RecordBatch) -> None:
    """Write the rows queued since the last write, in one transaction (each idempotent by key)."""
    parts: list[str] = [f"{s.kind} at {s.stage_id}" if s.stage_id else s.kind for s in batch.steps]
    if batch.disagreement is not None:
        parts.insert(0, f"disagreement about case {batch.disagreement.case_reference} opened")
    await write_records("record_steps", batch, parts)


async def write_records(activity: str, batch: BaseModel, parts: list[str]) -> None:
    """Run a record-writing activity, summarised for the Web UI by what it writes (``parts``,
    each once, in order); retried until the database takes it."""
    what = "; ".join(dict.fromkeys(parts))
    await workflow.execute_activity(
        activity,
        batch,
        summary=f"Record: {what}"[:200],
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=DURABLE,
    )


async def send_notification(n: Notification) -> NotificationResult:
    """Send one email (idempotent by key); gives up after three days of relay trouble."""
    result: NotificationResult = await workflow.execute_activity(
        "send_notification",
        n,
        result_type=NotificationResult,
        summary=f"Email: {n.headline}"[:200],
        start_to_close_timeout=timedelta(seconds=60),
        schedule_to_close_timeout=timedelta(days=3),
        retry_policy=MAIL,
    )
    return result


async def record_undelivered(u: Undelivered) -> None:
    """Mark an email Temporal gave up on as failed (if still pending) and tell the BM."""
    await workflow.execute_activity(
        "record_undelivered",
        u,
        summary=f"Email given up: {u.notification.headline}"[:200],
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=DURABLE,
    )


async def send_beside(n: Notification) -> str | None:
    """Send ``n``; the line for the case's ``notification_failures`` if it was not delivered.

    The activity records a refusal, or its own last attempt, on the outbox row; the
    workflow only lists the failure (an email never fails the case). A failure is also
    handed to ``record_undelivered``: when the activity's time ran
    out with no attempt able to mark the row (attempts cut off, workers away), the row
    would otherwise stay ``pending`` and nobody would be told. A row the activity did
    mark keeps its outcome, so a refusal is not reported twice.
    """
    try:
        await send_notification(n)
        return None
    except ActivityError as exc:
        cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc)
        await record_undelivered(Undelivered(notification=n, reason=given_up(exc)))
        return f"{n.kind} ({n.key}): {cause}"


def given_up(exc: ActivityError) -> str:
    """Why Temporal stopped trying, in a line: its retry state and the last cause."""
    state = exc.retry_state.name.lower().replace("_", " ") if exc.retry_state else "failed"
    last = str(exc.cause) if exc.cause is not None else exc.message
    return f"Temporal stopped trying ({state}): {last}"
