"""The client SDK a case system imports to open disagreements and record decisions.

Everything is checked before anything starts: a bad request raises
:class:`InvalidRequest` naming each field and reason, and no workflow is started
(so no row is written and no email sent). Decisions go as Updates by default, so
the caller learns whether the workflow accepted them; ``acknowledged=False``
sends the fire-and-forget signal instead.
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
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from models.calendar import CalendarChange, CalendarReceipt
from models.decisions import (
    ConferenceReconvened,
    Confirmed,
    Decision,
    DecisionReceipt,
    ImmediateRisk,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from models.start import StartDisagreement
from models.status import DisagreementStatus
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack
from starter.connect import connect
from workflows.disagreement import DisagreementWorkflow
from workflows.ladder import raised_at_error, validate_start


class EscalationError(Exception):
    """Base class for errors the SDK reports to a case system."""


class InvalidRequest(EscalationError):
    """The request was refused before anything started; ``errors`` name field and reason."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid request: " + "; ".join(errors))
        self.errors = errors


class DuplicateDisagreement(EscalationError):
    """A disagreement with this id already exists (open or finished)."""


class DecisionRefused(EscalationError):
    """The workflow refused a decision; the message says why."""

    @classmethod
    def from_update(cls, exc: WorkflowUpdateFailedError) -> DecisionRefused:
        """The workflow's own reason for refusing an update (its validator's message)."""
        cause = exc.cause
        return cls(cause.message if isinstance(cause, ApplicationError) else str(cause))


def workflow_id_for(case_reference: str, disagreement_id: str) -> str:
    """The workflow id: pseudonymous case reference plus the disagreement's suffix."""
    return f"disagreement-{case_reference}-{disagreement_id}"


def parse_start(data: StartDisagreement | dict[str, Any]) -> StartDisagreement:
    """Validate a start payload, raising InvalidRequest with every field error."""
    if isinstance(data, StartDisagreement):
        return data
    try:
        return StartDisagreement.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(_field_errors(exc)) from exc


def check_start(
    req: StartDisagreement, now: datetime | None = None, pack_dir: Path = PACK_DIR
) -> StartDisagreement:
    """Check a parsed request against its procedure; give it a suffix if it has none.

    ``pack_dir`` must be the directory the workers load packs from (tests use their own).
    """
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
    if req.disagreement_id is None:
        req = req.model_copy(update={"disagreement_id": uuid.uuid4().hex[:12]})
    return req


class EscalationClient:
    """Open disagreements and record decisions on them."""

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
        pack_dir: Where the workers' packs are, to check a request before starting.
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
    ) -> EscalationClient:
        """Connect to Temporal with the product's data converter."""
        return cls(await connect(address, namespace), task_queue)

    async def open(
        self, request: StartDisagreement | dict[str, Any], *, now: datetime | None = None
    ) -> str:
        """Start the disagreement's workflow and return its workflow id.

        Raises:
            InvalidRequest: the request is malformed or does not fit the procedure.
            DuplicateDisagreement: a disagreement with the same id exists.
        """
        if now is None and self._clock is not None:
            now = await self._clock()
        req = check_start(parse_start(request), now, self._pack_dir)
        assert req.disagreement_id is not None
        workflow_id = workflow_id_for(req.case_reference, req.disagreement_id)
        try:
            await self.client.start_workflow(
                DisagreementWorkflow.run,
                req,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                static_summary=f"{req.procedure}: case {req.case_reference}",
            )
        except WorkflowAlreadyStartedError as exc:
            raise DuplicateDisagreement(
                f"disagreement_id: a disagreement '{workflow_id}' already exists; "
                "use a new disagreement_id for a new disagreement about this case"
            ) from exc
        return workflow_id

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, DisagreementStatus]:
        """The Temporal handle of a disagreement; its result is the final status."""
        return self.client.get_workflow_handle_for(DisagreementWorkflow.run, workflow_id)

    async def status(self, workflow_id: str) -> DisagreementStatus:
        """Query the case's current status."""
        return await self.handle(workflow_id).query(DisagreementWorkflow.status)

    async def resolve(
        self, workflow_id: str, decision: Resolved, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record a resolution with the agreed outcome."""
        return await self._decide(workflow_id, "resolve", "resolved", decision, acknowledged)

    async def unresolve(
        self, workflow_id: str, decision: Unresolved, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record that the stage failed to agree; the case goes up now."""
        return await self._decide(workflow_id, "unresolve", "unresolved", decision, acknowledged)

    async def confirm(
        self, workflow_id: str, decision: Confirmed, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record the written confirmation of the outcome."""
        return await self._decide(workflow_id, "confirm", "confirmed", decision, acknowledged)

    async def raise_immediate_risk(
        self, workflow_id: str, decision: ImmediateRisk, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Declare an immediate risk of significant harm."""
        return await self._decide(
            workflow_id, "raise_immediate_risk", "immediate_risk", decision, acknowledged
        )

    async def shorten(
        self, workflow_id: str, decision: ShortenTimescale, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Bring the current deadline forward to protect the child."""
        return await self._decide(
            workflow_id, "shorten_timescale", "timescale_shortened", decision, acknowledged
        )

    async def reconvene(
        self, workflow_id: str, decision: ConferenceReconvened, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record the outcome of an adjourned conference that has reconvened."""
        return await self._decide(
            workflow_id, "reconvene_conference", "conference_reconvened", decision, acknowledged
        )

    async def change_calendar(
        self, workflow_id: str, change: CalendarChange | dict[str, Any]
    ) -> CalendarReceipt:
        """Re-project the case's pending deadlines onto a changed calendar.

        The case adds ``change.closure_days`` to its calendar, recomputes every deadline
        that has not passed (on the current bank-holiday list too, so an empty
        ``closure_days`` after a holiday-list deploy re-projects as well), records old
        and new with the reason and tells who must act. The receipt lists what moved.

        Raises:
            InvalidRequest: the change is malformed (each field and reason named).
            DecisionRefused: the case is closed (or otherwise no longer running).
        """
        if not isinstance(change, CalendarChange):
            try:
                change = CalendarChange.model_validate(change)
            except ValidationError as exc:
                raise InvalidRequest(_field_errors(exc)) from exc
        handle = self.handle(workflow_id)
        try:
            receipt: CalendarReceipt = await handle.execute_update(
                "change_calendar", change, result_type=CalendarReceipt
            )
            return receipt
        except WorkflowUpdateFailedError as exc:
            raise DecisionRefused.from_update(exc) from exc
        except RPCError as exc:
            raise await _not_running(handle, exc) from exc

    async def _decide(
        self, workflow_id: str, update: str, signal: str, decision: Decision, acknowledged: bool
    ) -> DecisionReceipt | None:
        handle = self.handle(workflow_id)
        if not acknowledged:
            await handle.signal(signal, decision)
            return None
        try:
            receipt: DecisionReceipt = await handle.execute_update(
                update, decision, result_type=DecisionReceipt
            )
            return receipt
        except WorkflowUpdateFailedError as exc:
            raise DecisionRefused.from_update(exc) from exc


async def _not_running(handle: WorkflowHandle[Any, Any], exc: RPCError) -> Exception:
    """Explain an Update sent to a case that has finished (or is not there at all)."""
    try:
        described = await handle.describe()
    except RPCError:
        return EscalationError(f"case '{handle.id}' not found: {exc.message}")
    if described.status == WorkflowExecutionStatus.COMPLETED:
        return DecisionRefused(f"the case '{handle.id}' is closed; its deadlines are final")
    if described.status != WorkflowExecutionStatus.RUNNING:
        state = described.status.name.lower() if described.status else "unknown"
        return DecisionRefused(f"the case '{handle.id}' is not running ({state})")
    return exc


def _field_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()]
