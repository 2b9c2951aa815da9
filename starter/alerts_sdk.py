"""The client SDK for practice alerts: raise one, respond, finalise, ask its status.

Everything is checked before anything starts: a bad request (unknown reason
code, a start stage the alert may not start at, a raiser who may not raise
alerts) raises :class:`~starter.sdk.InvalidRequest` naming each field and reason,
and no workflow is started, so no row is written and no email sent. Decisions go
as Updates by default, so the caller learns whether the workflow accepted them;
``acknowledged=False`` sends the fire-and-forget signal instead. A calendar change
(closure days announced while the alert runs) goes as the ``change_calendar``
Update and answers with what moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from models.alerts import (
    AlertDecision,
    AlertReceipt,
    AlertResponse,
    Finalise,
    NotSatisfied,
    PracticeAlertStatus,
    StartPracticeAlert,
)
from models.calendar import CalendarChange, CalendarReceipt
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack
from starter.connect import connect
from starter.sdk import DecisionRefused, EscalationError, InvalidRequest
from workflows.alert_rules import validate_start
from workflows.ladder import raised_at_error
from workflows.practice_alert import PracticeAlertWorkflow, alert_workflow_id


class DuplicateAlert(EscalationError):
    """An alert with this id already exists (open or finalised)."""


def parse_alert(data: StartPracticeAlert | dict[str, Any]) -> StartPracticeAlert:
    """Validate a start payload, raising InvalidRequest with every field error."""
    if isinstance(data, StartPracticeAlert):
        return data
    try:
        return StartPracticeAlert.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(
            [f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()]
        ) from exc


def check_alert(
    req: StartPracticeAlert, now: datetime | None = None, pack_dir: Path = PACK_DIR
) -> StartPracticeAlert:
    """Check a parsed request against its procedure; give it an alert id if it has none."""
    try:
        pack = load_pack(req.procedure, pack_dir)
    except UnknownProcedure as exc:
        raise InvalidRequest([str(exc)]) from exc
    except PackError as exc:
        raise InvalidRequest(
            [f"procedure: the pack for '{req.procedure}' is broken: {exc}"]
        ) from exc
    errors = validate_start(req, pack)
    raised = req.raised_at
    if raised.tzinfo is None:
        raised = raised.replace(tzinfo=ZoneInfo(pack.calendar.timezone))
    if (err := raised_at_error(raised, now or datetime.now(raised.tzinfo))) is not None:
        errors.append(err)
    if errors:
        raise InvalidRequest(errors)
    if req.alert_id is None:
        req = req.model_copy(update={"alert_id": uuid.uuid4().hex[:12]})
    return req


class PracticeAlertClient:
    """Raise practice alerts and record responses and the chair's decisions on them."""

    def __init__(
        self,
        client: Client,
        task_queue: str = "escalation",
        clock: Callable[[], Awaitable[datetime]] | None = None,
        pack_dir: Path = PACK_DIR,
    ) -> None:
        """Args:
        client: A client connected with the pydantic data converter.
        task_queue: Where the workers listen.
        clock: What "now" is when checking ``raised_at`` (tests pass the
            time-skipping server's clock); the local clock by default.
        pack_dir: Where the packs are (the workers must read the same ones).
        """
        self.client = client
        self.task_queue = task_queue
        self._clock = clock
        self._pack_dir = pack_dir

    @classmethod
    async def connect(
        cls,
        address: str = "localhost:7233",
        namespace: str = "default",
        task_queue: str = "escalation",
    ) -> PracticeAlertClient:
        """Connect to Temporal with the product's data converter."""
        return cls(await connect(address, namespace), task_queue)

    async def raise_alert(
        self, request: StartPracticeAlert | dict[str, Any], *, now: datetime | None = None
    ) -> str:
        """Start the alert's workflow and return its workflow id.

        Raises:
            InvalidRequest: the request is malformed or does not fit the procedure.
            DuplicateAlert: an alert with the same id exists.
        """
        if now is None and self._clock is not None:
            now = await self._clock()
        req = check_alert(parse_alert(request), now, self._pack_dir)
        assert req.alert_id is not None
        workflow_id = alert_workflow_id(req.case_reference, req.alert_id)
        try:
            await self.client.start_workflow(
                PracticeAlertWorkflow.run,
                req,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                static_summary=f"{req.procedure} practice alert {req.reason_code}: "
                f"case {req.case_reference}",
            )
        except WorkflowAlreadyStartedError as exc:
            raise DuplicateAlert(
                f"alert_id: an alert '{workflow_id}' already exists; use a new alert_id for a "
                "new alert about this case"
            ) from exc
        return workflow_id

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, PracticeAlertStatus]:
        """The Temporal handle of an alert; its result is the final status."""
        return self.client.get_workflow_handle_for(PracticeAlertWorkflow.run, workflow_id)

    async def status(self, workflow_id: str) -> PracticeAlertStatus:
        """Query the alert's current status (also once it is finalised)."""
        return await self.handle(workflow_id).query(PracticeAlertWorkflow.status)

    async def respond(
        self, workflow_id: str, decision: AlertResponse, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """Add a manager's response to the alert's case note."""
        return await self._decide(workflow_id, "respond", "alert_response", decision, acknowledged)

    async def finalise(
        self, workflow_id: str, decision: Finalise, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """Finalise the alert: only its raiser (``by`` = their email), once a response exists."""
        return await self._decide(workflow_id, "finalise", "finalised", decision, acknowledged)

    async def not_satisfied(
        self, workflow_id: str, decision: NotSatisfied, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """The raiser is not satisfied with the response: the alert goes up a stage."""
        return await self._decide(workflow_id, "escalate", "not_satisfied", decision, acknowledged)

    async def change_calendar(
        self, workflow_id: str, change: CalendarChange | dict[str, Any]
    ) -> CalendarReceipt:
        """Re-project the alert's pending stage deadline onto a changed calendar.

        The alert adds ``closure_days`` to its calendar, recomputes its stage deadline
        if it has not passed, records old and new with the reason and emails who must
        respond. The receipt lists what moved (nothing, once the deadline has passed).

        Raises:
            InvalidRequest: the change is malformed (each field and reason named).
            DecisionRefused: the alert is finalised.
        """
        if not isinstance(change, CalendarChange):
            try:
                change = CalendarChange.model_validate(change)
            except ValidationError as exc:
                raise InvalidRequest(
                    [
                        f"{'.'.join(str(p) for p in e['loc']) or 'change'}: {e['msg']}"
                        for e in exc.errors()
                    ]
                ) from exc
        handle = self.handle(workflow_id)
        try:
            receipt: CalendarReceipt = await handle.execute_update(
                "change_calendar", change, result_type=CalendarReceipt
            )
            return receipt
        except WorkflowUpdateFailedError as exc:
            raise DecisionRefused.from_update(exc) from exc
        except RPCError as exc:
            raise await self._closed(handle, exc) from exc

    async def _decide(
        self,
        workflow_id: str,
        update: str,
        signal: str,
        decision: AlertDecision,
        acknowledged: bool,
    ) -> AlertReceipt | None:
        handle = self.handle(workflow_id)
        try:
            if not acknowledged:
                await handle.signal(signal, decision)
                return None
            receipt: AlertReceipt = await handle.execute_update(
                update, decision, result_type=AlertReceipt
            )
            return receipt
        except WorkflowUpdateFailedError as exc:
            raise DecisionRefused.from_update(exc) from exc
        except RPCError as exc:
            raise await self._closed(handle, exc) from exc

    async def _closed(self, handle: WorkflowHandle[Any, Any], exc: RPCError) -> Exception:
        """Explain a decision sent to an alert that is no longer running."""
        try:
            described = await handle.describe()
        except RPCError:
            return EscalationError(f"alert '{handle.id}' not found: {exc.message}")
        if described.status == WorkflowExecutionStatus.COMPLETED:
            return DecisionRefused(
                f"the alert '{handle.id}' is finalised; no further decisions are accepted"
            )
        if described.status != WorkflowExecutionStatus.RUNNING:
            state = described.status.name.lower() if described.status else "unknown"
            return DecisionRefused(f"the alert '{handle.id}' is not running ({state})")
        return exc
