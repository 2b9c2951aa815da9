"""What every case does whatever its procedure: the inbox, the record, emails, hand-over.

A disagreement and a practice alert differ in what their decisions mean; everything
else they do the same way, and it lives here once:

- the run's shape (``_lifecycle``): open the case, or take it up after a hand-over;
  step until the procedure ends; refuse what is still queued; close;
- the inbox: a decision arrives as a signal (fire-and-forget) or an update
  (acknowledged); both queue it, and the timeline applies one at a time, in the order
  the history shows; a malformed one is refused with the field and the reason, never
  failing the workflow task (``workflows/inputs.py``);
- refusals counted and recorded (``rejected_inputs``), a flood summarised;
- record rows written beside the timeline in batches, emails sent beside it;
- a calendar change re-projecting pending deadlines (the ``change_calendar`` update);
- search attributes and the Web UI's current details after every step;
- continue-as-new when the history is large (``workflows/continuation.py``).

A workflow class says what its procedure means through the hooks below (``_open``,
``_refusal``, ``_decide``, ``_reproject`` ...). Deterministic like all workflow code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from models.calendar import (
        CalendarChange,
        CalendarReceipt,
        DeadlinePlan,
        DeadlineRequest,
        Reminder,
        RescheduledDeadline,
    )
    from models.common import Person
    from models.pack import PolicyPack, Unit
    from workflows import continuation, patches, steps
    from workflows.calendar_change import change_data, deadline_changes, moved_data, with_closures
    from workflows.inputs import decode, shown, unreadable_start
    from workflows.ledger import CaseLedger


class CaseRequest(Protocol):
    """What the kernel reads of a case's start request (both start models have it)."""

    case_reference: str

    def person(self, role: str) -> Person | None: ...


Q = TypeVar("Q", bound=CaseRequest)
K = TypeVar("K", bound=str)
D = TypeVar("D", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass
class Inbound(Generic[K, D, R]):
    """A decision waiting to be applied; ``reply`` is set for updates."""

    kind: K
    decision: D
    reply: asyncio.Future[R] | None = None


@dataclass
class CalendarInbound:
    """A calendar change waiting to be applied between decisions, in arrival order."""

    change: CalendarChange
    reply: asyncio.Future[CalendarReceipt]


def refused(error: str) -> ApplicationError:
    """An update's refusal: non-retryable, since the same input would be refused again."""
    return ApplicationError(error, type="DecisionRefused", non_retryable=True)


class CaseKernel(CaseLedger, Generic[Q, K, D, R]):
    """The plumbing every case shares; subclasses call ``_init_kernel`` in ``__init__``."""

    MODELS: ClassVar[Mapping[Any, type[BaseModel]]]
    """Each decision kind's model, to decode a signal's payload."""
    FINAL: ClassVar[str]
    """How the case's end reads in a refusal ("the case is closed")."""

    def _init_kernel(self, req: Q, start_error: str | None) -> None:
        # An unreadable start leaves an empty stand-in (workflows/inputs.py): no reference.
        self._init_ledger(str(getattr(req, "case_reference", "")))
        self._req = req
        self._start_error = start_error
        self._inbox: list[Inbound[K, D, R] | CalendarInbound] = []
        self._stay = False  # True once a hand-over was refused (workflows/continuation.py)
        self._published: list[tuple[str, Any]] | None = None
        self._reminders: list[Reminder] = []

    def _due_reminders(self, now: datetime, due_at: datetime) -> list[Reminder]:
        """The pending reminders due by ``now``, taken off the list; only those before
        the deadline are sent (at the deadline itself the deadline speaks)."""
        due = [r for r in self._reminders if r.at <= now]
        for reminder in due:
            self._reminders.remove(reminder)
        return [r for r in due if r.at < due_at]

    def _person(self, role: str) -> Person | None:
        return self._req.person(role)

    # ------------------------------------------------------------- asked of the case

    async def _open(self) -> None:
        """Check the start request and open the case at its first stage (nothing written
        or sent if it is refused); rows queued here open the case in one write."""
        raise NotImplementedError

    def _opened(self) -> bool:
        """Whether the pack is loaded: before that a decision is accepted, judged later."""
        raise NotImplementedError

    def _final(self) -> bool:
        """Whether the case has ended (its deadlines are final)."""
        raise NotImplementedError

    def _close(self) -> None:
        """The procedure's last rows and emails, once nothing is left in the inbox."""

    def _refusal(self, kind: K, d: D) -> str | None:
        """Why ``d`` cannot apply now, or None."""
        raise NotImplementedError

    async def _prepare(self, kind: K, d: D) -> str | None:
        """A check that needs an activity (a deadline to compute); None if ``d`` may apply."""
        return None

    async def _decide(self, kind: K, d: D, now: datetime) -> str:
        """Apply an accepted decision; the receipt's message."""
        raise NotImplementedError

    def _receipt(self, message: str) -> R:
        raise NotImplementedError

    async def _reproject(self, now: datetime) -> list[RescheduledDeadline]:
        """Re-plan the pending deadlines on the changed calendar; what moved."""
        raise NotImplementedError

    def _tell_calendar_change(self, c: CalendarChange, moved: list[RescheduledDeadline]) -> None:
        """Tell who must act that their deadline moved (``moved`` is never empty)."""
        raise NotImplementedError

    def _status(self) -> Any:
        raise NotImplementedError

    def _attributes(self, status: Any) -> list[SearchAttributeUpdate[Any]]:
        """The search attributes ``status`` implies now."""
        raise NotImplementedError

    def _details(self, status: Any) -> str:
        """The Web UI's current details for ``status``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the run

    async def _lifecycle(self, continued: bool, live: Callable[[], Awaitable[None]]) -> None:
        """The run: open (or take up after a hand-over), ``live``, drain, close, settle.

        A run started by the case's own continue-as-new takes up where the last run
        stopped (the state was restored in ``__init__``) instead of opening the case.
        """
        if self._start_error is not None:
            raise unreadable_start(self._start_error)
        if continued and continuation.continued():
            recorder = asyncio.create_task(self._recorder())
            self._resume_sending()
            self._publish()
        else:
            await self._open()
            self._publish()
            # Started once the first stage is entered: the case opens in one record write.
            recorder = asyncio.create_task(self._recorder())
        await live()
        await self._drain()
        self._record_refusal_summary()
        self._close()
        self._recording = False
        await asyncio.gather(*self._sends)
        await recorder

    async def _steps(
        self,
        live: Callable[[], bool],
        wake: Callable[[], datetime | None],
        on_time: Callable[[datetime], Awaitable[None]],
    ) -> None:
        """While ``live()``: wait for a decision or ``wake()``, apply it or fire ``on_time``.

        A step may await a deadline plan (a local activity) between queuing rows; the
        recorder waits for the step to end (``_stepping``), so its rows go in one write.
        """
        while live():
            await self._continue_if_due()
            await self._wait_until(wake())
            # Rows a step queues are written together once it is done, not in two writes
            # around the deadline plan it awaits (workflows/patches.py).
            self._stepping = workflow.patched(patches.RECORD_BETWEEN_STEPS)
            try:
                if self._inbox:
                    await self._apply(self._inbox.pop(0))
                else:
                    await on_time(workflow.now())
            finally:
                self._stepping = False
            self._publish()

    async def _drain(self) -> None:
        """Refuse decisions still queued when the case ended, then let handlers end."""
        while True:
            await workflow.wait_condition(
                lambda: bool(self._inbox) or workflow.all_handlers_finished()
            )
            if not self._inbox:
                return
            await self._apply(self._inbox.pop(0))

    def _publish(self) -> None:
        """Keep what an admin sees in the Web UI current: search attributes and details.

        Called after every step; the attributes are upserted only when they changed
        (a reminder changes nothing an admin searches on), which keeps a history short.
        """
        status = self._status()
        updates = self._attributes(status)
        seen = [(u.key.name, u.value) for u in updates]
        if seen != self._published:
            workflow.upsert_search_attributes(updates)
            self._published = seen
        workflow.set_current_details(self._details(status))

    # ---------------------------------------------------------------- the inbox

    def _receive(self, kind: K, payload: RawValue) -> None:
        """A signal: queue its decision, or record why its payload was refused."""
        try:
            decision = decode(payload, self.MODELS[kind])
        except ApplicationError as exc:
            self._reject(kind, shown(payload), exc.message)
            return
        self._inbox.append(Inbound(kind, decision))  # type: ignore[arg-type]

    async def _submit(self, kind: K, d: D) -> R:
        """An update: queue its decision and answer with the timeline's receipt."""
        reply: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._inbox.append(Inbound(kind, d, reply))
        return await reply

    def _validate(self, kind: K, d: D) -> None:
        """An update's validator: refuse before it enters history what would be refused."""
        if not self._opened():
            # Still opening (pack and deadlines loading): accept now, judge when applied.
            return
        if (error := self._refusal(kind, d)) is not None:
            raise refused(error)

    async def _apply(self, inbound: Inbound[K, D, R] | CalendarInbound) -> None:
        """Apply one decision, or refuse it with the reason (never fail the workflow)."""
        if isinstance(inbound, CalendarInbound):
            await self._recalendar(inbound)
            return
        kind, d = inbound.kind, inbound.decision
        error = self._refusal(kind, d)
        if error is None:
            error = await self._prepare(kind, d)
        if error is not None:
            self._reject(kind, d.model_dump_json(), error)
            if inbound.reply is not None:
                inbound.reply.set_exception(refused(error))
            return
        message = await self._decide(kind, d, workflow.now())
        if inbound.reply is not None:
            inbound.reply.set_result(self._receipt(message))

    def _decisions_waiting(self) -> bool:
        return bool(self._inbox)

    # ---------------------------------------------------------- calendar change

    @workflow.update(name="change_calendar")
    async def change_calendar(self, payload: RawValue) -> CalendarReceipt:
        """Re-project pending deadlines onto a changed calendar (closure days, new holidays)."""
        change = decode(payload, CalendarChange)
        reply: asyncio.Future[CalendarReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(CalendarInbound(change, reply))
        return await reply

    @change_calendar.validator
    def _validate_calendar(self, payload: RawValue) -> None:
        decode(payload, CalendarChange)
        if self._final():
            raise refused(
                f"{self.FINAL}; its deadlines are final and a calendar change cannot reopen them"
            )

    async def _recalendar(self, inbound: CalendarInbound) -> None:
        """Re-project the pending deadlines onto the changed calendar.

        Each deadline is recomputed from its own start in the calendar activity (which
        also reads the current bank-holiday list), so the answer is in the history. A
        deadline already passed stays as it is: a calendar change never reopens one.
        """
        c, now = inbound.change, workflow.now()
        if self._final():
            error = f"{self.FINAL}; its deadlines are final"
            self._reject("change_calendar", c.model_dump_json(), error)
            inbound.reply.set_exception(refused(error))
            return
        self._closures = sorted({*self._closures, *c.closure_days})
        moved = await self._reproject(now)
        self._record(
            "calendar_changed",
            stage_id=self._stage_id(),
            actor=c.by,
            text=c.reason,
            data=change_data(c, moved),
        )
        self._changes.extend(deadline_changes(c, moved, now))
        for m in moved:
            self._record(
                "deadline_changed",
                stage_id=m.stage_id,
                actor=c.by,
                text=c.reason,
                due_at=m.new_due_at,
                data=moved_data(m),
            )
        if moved and self._stage_id() is not None:
            self._tell_calendar_change(c, moved)
        inbound.reply.set_result(
            CalendarReceipt(
                workflow_id=workflow.info().workflow_id,
                moved=moved,
                message=f"{len(moved)} deadline(s) moved" if moved else "no pending deadline moved",
            )
        )

    async def _plan_from(
        self,
        start: datetime,
        days: int,
        pack: PolicyPack | None = None,
        *,
        reminders: bool = False,
        not_after: datetime | None = None,
        direction: Literal["after", "before"] = "after",
        unit: Unit = "working_days",
    ) -> DeadlinePlan:
        """A deadline from the calendar activity, on the pack's calendar plus the closure
        days announced while the case runs."""
        calendar = with_closures((pack or self._pack_()).calendar, self._closures)
        return await steps.plan_deadline(
            DeadlineRequest(
                calendar=calendar,
                start=start,
                working_days=days,
                unit=unit,
                reminders=reminders,
                not_after=not_after,
                direction=direction,
            )
        )
