"""The reconcile activity: which cases the record holds open does Temporal no longer run?

For each open case it describes the workflow id without a run id, which answers
for the latest run: a case that continued-as-new is running under the same id
and is left alone, and so is one that completed (its record's last write may
simply not have landed yet). A latest run that was terminated, failed, timed out
or was cancelled, or an id Temporal no longer knows, marks the case ``stopped``
with Temporal's reason read from the run's close event (``records/stopped.py``),
and the activity hands back the email that tells the partnership's Business
Manager. The workflow sends it through ``send_notification``, whose outbox key
(``{workflow id}/stopped``) makes it one email however often reconcile runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import HistoryEventFilterType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.email import BUSINESS_MANAGER
from activities.email_render import deadline_text
from models.notifications import Notification
from models.reconcile import ReconcileFindings, ReconcileRequest, StoppedCase
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack
from records.schema import utcnow
from records.stopped import CaseRef, StoppedCases, stopped_key
from telemetry.metrics import STOPPED_CASES_FOUND

log = logging.getLogger(__name__)

STILL_ALIVE = (
    WorkflowExecutionStatus.RUNNING,
    WorkflowExecutionStatus.COMPLETED,
    WorkflowExecutionStatus.CONTINUED_AS_NEW,
)
"""Latest-run statuses that are not a stop: working, finished by its procedure, or carried on."""
REASON_LIMIT = 1000
"""Characters of Temporal's reason kept (a failure message can be long)."""


@dataclass(frozen=True)
class ClosedRun:
    """Why and when Temporal stopped a case's workflow."""

    status: str
    reason: str
    at: datetime
    run_id: str = ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:REASON_LIMIT]


def _detail(event: HistoryEvent) -> str:
    """Temporal's own words for a close event: the termination reason, the failure, ..."""
    if event.HasField("workflow_execution_terminated_event_attributes"):
        t = event.workflow_execution_terminated_event_attributes
        by = f" (by {t.identity})" if t.identity else ""
        return f"{t.reason or 'no reason given'}{by}"
    if event.HasField("workflow_execution_failed_event_attributes"):
        failure = event.workflow_execution_failed_event_attributes.failure
        kind = failure.application_failure_info.type if failure.application_failure_info else ""
        return f"{kind}: {failure.message}" if kind else failure.message or "failed"
    if event.HasField("workflow_execution_timed_out_event_attributes"):
        return "the workflow's run or execution timeout passed"
    if event.HasField("workflow_execution_canceled_event_attributes"):
        return "the workflow was cancelled"
    return "closed"


async def _close_event(client: Client, workflow_id: str, run_id: str) -> HistoryEvent | None:
    response = await client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        )
    )
    events = list(response.history.events)
    return events[-1] if events else None


async def closed_run(client: Client, workflow_id: str) -> ClosedRun | None:
    """How the latest run of ``workflow_id`` stopped, or None while it is alive or done.

    An id Temporal does not know (its history deleted after the namespace's
    retention period) is stopped too: nothing runs the case.
    """
    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        reason = "NOT_FOUND: Temporal has no workflow with this id (history deleted?)"
        return ClosedRun("NOT_FOUND", reason, utcnow())
    if described.status is None or described.status in STILL_ALIVE:
        return None
    status = described.status.name
    event = await _close_event(client, workflow_id, described.run_id)
    detail = _detail(event) if event is not None else "closed"
    at = described.close_time or utcnow()
    return ClosedRun(status, _one_line(f"{status}: {detail}"), at, described.run_id)


def _notification(
    case: CaseRef, status: str, reason: str, at: datetime | None, pack_dir: Path
) -> Notification:
    """The email telling the partnership's Business Manager (from the contact directory)."""
    title, partnership, zone = case.procedure, case.partnership or case.procedure, "Europe/London"
    stage = case.stage or "(none)"
    try:
        pack = load_pack(case.procedure, pack_dir)
        title, partnership, zone = pack.title, pack.partnership, pack.calendar.timezone
        titles = {s.id: s.title for ladder in pack.ladders for s in ladder.stages}
        if pack.practice_alerts is not None:
            titles |= {s.id: s.title for s in pack.practice_alerts.stages}
        stage = titles.get(case.stage or "", stage)
    except (UnknownProcedure, PackError):
        log.warning("pack %s not found; telling its Business Manager by id", case.procedure)
    what = "disagreement" if case.kind == "Disagreement" else "practice alert"
    when = f" on {deadline_text(at, zone)}" if at is not None else ""
    return Notification(
        key=stopped_key(case.workflow_id),
        workflow_id=case.workflow_id,
        case_reference=case.case_reference,
        kind="case_stopped",
        procedure_title=title,
        partnership=partnership,
        workflow_type=case.kind,
        headline=f"Case stopped: its {what} is no longer running",
        lines=[
            f"The {what} {case.workflow_id} stopped running in Temporal{when}, at "
            f"{stage}: no deadline, reminder, escalation or email will happen for it any more.",
            f"Temporal's reason: {reason}",
            "Its record is marked stopped. Please decide who carries the case on, and "
            "tell the people concerned.",
        ],
        timezone=zone,
        to=[],
        unfilled_to=[BUSINESS_MANAGER],
    )


def _stopped(
    case: CaseRef, status: str, reason: str, at: datetime | None, newly: bool, pack_dir: Path
) -> StoppedCase:
    return StoppedCase(
        workflow_id=case.workflow_id,
        workflow_type=case.kind,
        case_reference=case.case_reference,
        procedure=case.procedure,
        stage=case.stage,
        status=status,
        reason=reason,
        stopped_at=at,
        newly_stopped=newly,
        notification=_notification(case, status, reason, at, pack_dir),
    )


async def find_stopped(
    client: Client, store: StoppedCases, pack_dir: Path = PACK_DIR
) -> ReconcileFindings:
    """Mark every open case whose workflow stopped; the stopped cases whose email is due.

    Those are the cases marked now and any marked earlier whose email is not out
    yet (a relay that was down): sending it again is safe, the outbox knows it.
    """
    cases = await store.open_cases()
    found: list[StoppedCase] = []
    for case in cases:
        if activity.in_activity():
            activity.heartbeat(case.workflow_id)
        closed = await closed_run(client, case.workflow_id)
        if closed is None:
            continue
        data = {"status": closed.status, "run_id": closed.run_id}
        if await store.mark_stopped(case, closed.at, closed.reason, data):
            log.warning("case %s stopped: %s", case.workflow_id, closed.reason)
            STOPPED_CASES_FOUND.labels(workflow_type=case.kind, procedure=case.procedure).inc()
            found.append(_stopped(case, closed.status, closed.reason, closed.at, True, pack_dir))
    marked = {s.workflow_id for s in found}
    for row in await store.stopped(untold_only=True):
        if row.case.workflow_id not in marked:
            reason = row.reason or "stopped"
            status = reason.split(":", 1)[0]
            found.append(_stopped(row.case, status, reason, row.stopped_at, False, pack_dir))
    return ReconcileFindings(checked=len(cases), stopped=found)


class ReconcileActivities:
    """The comparison, with the Temporal client and the record it compares."""

    def __init__(self, client: Client, store: StoppedCases, pack_dir: Path = PACK_DIR) -> None:
        self._client = client
        self._store = store
        self._pack_dir = pack_dir

    @activity.defn(name="find_stopped_cases")
    async def find_stopped_cases(self, req: ReconcileRequest) -> ReconcileFindings:
        """Mark stopped cases in the record; the emails due for them."""
        return await find_stopped(self._client, self._store, self._pack_dir)
