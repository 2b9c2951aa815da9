"""What the two client SDKs share: their errors, and starting and deciding on a workflow.

A case system uses :class:`~starter.sdk.EscalationClient` for disagreements and
:class:`~starter.alerts_sdk.PracticeAlertClient` for practice alerts. Both check a
request completely before starting anything, start with the same id policies
(a duplicate is refused, never silently joined), send decisions as Updates (or
as signals when the caller asks) and turn what Temporal answers into errors a
case system can show: the workflow's own refusal, or "closed" / "not running"
when a decision reaches a workflow that has finished. They differ only in the
workflow, its request and its words, so those are all a subclass gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
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
from models.pack import PolicyPack
from models.plain_errors import plain
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack
from starter.connect import connect
from workflows.ladder import raised_at_error

S = TypeVar("S")
"""The status a workflow's query and result return."""
R = TypeVar("R", bound=BaseModel)
"""The receipt an accepted decision returns."""
T = TypeVar("T", bound=BaseModel)
"""What an Update returns."""
Q = TypeVar("Q", bound=BaseModel)
"""A start request (a disagreement's or a practice alert's)."""


class EscalationError(Exception):
    """Base class for errors the SDK reports to a case system."""


class InvalidRequest(EscalationError):
    """The request was refused before anything started; ``errors`` name field and reason."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid request: " + "; ".join(errors))
        self.errors = errors


class DecisionRefused(EscalationError):
    """The workflow refused a decision; the message says why."""

    @classmethod
    def from_update(cls, exc: WorkflowUpdateFailedError) -> DecisionRefused:
        """The workflow's own reason for refusing an update (its validator's message)."""
        cause = exc.cause
        return cls(cause.message if isinstance(cause, ApplicationError) else str(cause))


def field_errors(exc: ValidationError, whole: str = "request") -> list[str]:
    """One ``field.path: reason`` line per pydantic error (``whole`` for the object itself),
    the reason in words (``models.plain_errors``), never a regex."""
    return [f"{'.'.join(str(p) for p in e['loc']) or whole}: {plain(e)}" for e in exc.errors()]


def pack_for(procedure: str, pack_dir: Path) -> PolicyPack:
    """The pack a request names, or InvalidRequest saying why it cannot be used."""
    try:
        return load_pack(procedure, pack_dir)
    except UnknownProcedure as exc:
        raise InvalidRequest([str(exc)]) from exc
    except PackError as exc:
        raise InvalidRequest([f"procedure: the pack for '{procedure}' is broken: {exc}"]) from exc


def parse_request(model: type[Q], data: Q | dict[str, Any]) -> Q:
    """Validate a start payload as ``model``, raising InvalidRequest with every field error."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(field_errors(exc)) from exc


class StartRequest(Protocol):
    """What ``check_request`` reads of a start request (both start models have it)."""

    @property
    def procedure(self) -> str: ...

    @property
    def raised_at(self) -> datetime: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied (pydantic's)."""
        ...


P = TypeVar("P", bound=StartRequest)


def check_request(
    req: P,
    validate: Callable[[P, PolicyPack], list[str]],
    id_field: str,
    now: datetime | None,
    pack_dir: Path,
) -> P:
    """Check a parsed request against its procedure's rules and clock; fill in its id.

    Every reason is collected before raising, so a case system can show them all at
    once. A request without its own id (``id_field``) is given a random one.
    """
    pack = pack_for(req.procedure, pack_dir)
    errors = validate(req, pack)
    if (err := raised_error(req.raised_at, pack, now)) is not None:
        errors.append(err)
    if errors:
        raise InvalidRequest(errors)
    if getattr(req, id_field) is None:
        req = req.model_copy(update={id_field: uuid.uuid4().hex[:12]})
    return req


def raised_error(raised_at: datetime, pack: PolicyPack, now: datetime | None) -> str | None:
    """What is wrong with ``raised_at`` (naive: the pack's local time), or None."""
    raised = raised_at
    if raised.tzinfo is None:
        raised = raised.replace(tzinfo=ZoneInfo(pack.calendar.timezone))
    return raised_at_error(raised, now or datetime.now(raised.tzinfo))


class WorkflowClient(Generic[S, R]):
    """Start one kind of workflow and send it decisions; a subclass names the kind."""

    receipt: type[R]
    """What the workflow answers an accepted decision with."""
    noun: ClassVar[str]
    """What a workflow of this kind is to its users ("case", "alert")."""
    finished: ClassVar[str]
    """What a decision to a finished workflow is told, after "the <noun> '<id>' "."""

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
    ) -> Self:
        """Connect to Temporal with the product's data converter."""
        return cls(await connect(address, namespace), task_queue)

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, S]:
        """The Temporal handle of one workflow; its result is the final status."""
        raise NotImplementedError

    async def _now(self, now: datetime | None) -> datetime | None:
        """The time to check a request against: the caller's, else the clock's (if any)."""
        if now is None and self._clock is not None:
            return await self._clock()
        return now

    async def _start(
        self,
        run: Callable[..., Awaitable[S]],
        request: BaseModel,
        workflow_id: str,
        summary: str,
        duplicate: EscalationError,
    ) -> str:
        """Start a checked request under ``workflow_id``; ``duplicate`` if that id was used."""
        try:
            await self.client.start_workflow(
                run,
                request,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                static_summary=summary,
            )
        except WorkflowAlreadyStartedError as exc:
            raise duplicate from exc
        return workflow_id

    async def _decide(
        self,
        workflow_id: str,
        update: str,
        signal: str,
        decision: BaseModel,
        acknowledged: bool,
    ) -> R | None:
        """Send a decision as ``update`` (its receipt) or, unacknowledged, as ``signal``."""
        if acknowledged:
            return await self._update(workflow_id, update, decision, self.receipt)
        handle = self.handle(workflow_id)
        try:
            await handle.signal(signal, decision)
        except RPCError as exc:
            raise await self._not_running(handle, exc) from exc
        return None

    async def _update(
        self, workflow_id: str, update: str, payload: BaseModel, receipt: type[T]
    ) -> T:
        """Run ``update``: its receipt, or the workflow's refusal as DecisionRefused."""
        handle = self.handle(workflow_id)
        try:
            answer: T = await handle.execute_update(update, payload, result_type=receipt)
            return answer
        except WorkflowUpdateFailedError as exc:
            raise DecisionRefused.from_update(exc) from exc
        except RPCError as exc:
            raise await self._not_running(handle, exc) from exc

    async def change_calendar(
        self, workflow_id: str, change: CalendarChange | dict[str, Any]
    ) -> CalendarReceipt:
        """Re-project the workflow's pending deadlines onto a changed calendar.

        It adds ``change.closure_days`` to its calendar, recomputes every deadline
        that has not passed (on the current bank-holiday list too, so an empty
        ``closure_days`` after a holiday-list deploy re-projects as well), records
        old and new with the reason and tells who must act. The receipt lists what
        moved.

        Raises:
            InvalidRequest: the change is malformed (each field and reason named).
            DecisionRefused: the workflow has finished (or is otherwise not running).
        """
        if not isinstance(change, CalendarChange):
            try:
                change = CalendarChange.model_validate(change)
            except ValidationError as exc:
                raise InvalidRequest(field_errors(exc, "change")) from exc
        return await self._update(workflow_id, "change_calendar", change, CalendarReceipt)

    async def _not_running(self, handle: WorkflowHandle[Any, Any], exc: RPCError) -> Exception:
        """Explain a decision sent to a workflow that has finished (or is not there at all)."""
        try:
            described = await handle.describe()
        except RPCError:
            return EscalationError(f"{self.noun} '{handle.id}' not found: {exc.message}")
        if described.status == WorkflowExecutionStatus.COMPLETED:
            return DecisionRefused(f"the {self.noun} '{handle.id}' {self.finished}")
        if described.status != WorkflowExecutionStatus.RUNNING:
            state = described.status.name.lower() if described.status else "unknown"
            return DecisionRefused(f"the {self.noun} '{handle.id}' is not running ({state})")
        return exc
