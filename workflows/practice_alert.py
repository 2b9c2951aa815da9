"""One practice alert (Rutland), from the chair raising it to the chair finalising it.

The workflow interprets the pack's ``practice_alerts`` section: enter the stage,
tell its managers, wait for a response or the deadline; a stage that does not
respond in time passes the alert up by itself (the last stage, CAFCASS, instead
tells the raiser and keeps waiting). A response goes on the alert's single case
note and hands the alert back to the raising chair, who finalises it or, not
satisfied, sends it up a stage. Decisions arrive as signals (fire-and-forget) or
updates (acknowledged) through one inbox, applied one at a time. Deadlines come
from the calendar activity; rows and emails are written by activities beside the
timeline, so a slow database or relay never delays an escalation.

Emails reuse the outbox's notification kinds: ``stage_entered`` (the alert is at
a stage), ``reminder``, ``overdue`` (the last stage missed its deadline),
``resolved`` (a stage responded; the chair decides), ``closed`` (finalised) and
``deadline_changed`` (a calendar change moved the stage deadline).

After every step the alert upserts the same search attributes as a disagreement
and sets the Web UI's current details; the ``change_calendar`` update re-projects a
pending stage deadline onto announced closure days or a refreshed holiday list.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.alerts import (
        AlertCarry,
        AlertDecision,
        AlertReceipt,
        AlertRecord,
        AlertRecordBatch,
        AlertResponse,
        AlertStageStatus,
        AlertState,
        AlertStepKind,
        AlertStepRecord,
        CaseNoteEntry,
        Finalise,
        NotSatisfied,
        PracticeAlertStatus,
        StageOutcome,
        StartPracticeAlert,
    )
    from models.calendar import (
        CalendarChange,
        CalendarReceipt,
        DeadlinePlan,
        DeadlineRequest,
        Reminder,
        RescheduledDeadline,
    )
    from models.common import Person
    from models.notifications import Notification, NotificationKind
    from models.pack import AlertStageSpec, PolicyPack, PracticeAlertSpec
    from models.status import DeadlineChange
    from workflows import continuation, steps
    from workflows.alert_rules import (
        AlertDecisionKind,
        check_decision,
        escalation_target,
        first_stage,
        next_stage,
        reason_title,
        stage_index,
        validate_start,
    )
    from workflows.calendar_change import (
        change_data,
        deadline_changes,
        moved_data,
        moved_lines,
        with_closures,
    )
    from workflows.inputs import decode, shown, start_input, unreadable_start
    from workflows.kernel import CaseKernel
    from workflows.ladder import raised_at_error
    from workflows.refusals import Refusals
    from workflows.search_attributes import alert_attribute_updates, alert_current_details
    from workflows.text import local_text, stage_number

MODELS: dict[AlertDecisionKind, type[AlertDecision]] = {
    "respond": AlertResponse,
    "finalise": Finalise,
    "not_satisfied": NotSatisfied,
}

WORKFLOW_ID_PREFIX = "alert"


def alert_workflow_id(case_reference: str, alert_id: str) -> str:
    """The workflow id of an alert: pseudonymous case reference plus the alert's suffix."""
    return f"{WORKFLOW_ID_PREFIX}-{case_reference}-{alert_id}"


@dataclass
class _Inbound:
    """A decision waiting to be applied; ``reply`` is set for updates."""

    kind: AlertDecisionKind
    decision: AlertDecision
    reply: asyncio.Future[AlertReceipt] | None = None


@dataclass
class _CalendarInbound:
    """A calendar change waiting to be applied between decisions, in arrival order."""

    change: CalendarChange
    reply: asyncio.Future[CalendarReceipt]


@workflow.defn(name="PracticeAlert")
class PracticeAlertWorkflow(CaseKernel):
    """A practice alert going up its stages until the raising chair finalises it."""

    @workflow.init
    def __init__(self, start: RawValue) -> None:
        req, self._start_error = start_input(start, StartPracticeAlert)
        self._req = req
        self._pack: PolicyPack | None = None
        self._spec: PracticeAlertSpec | None = None
        self._state: AlertState = "open"
        self._raised_at: datetime | None = None
        self._current: AlertStageSpec | None = None
        self._plan: DeadlinePlan | None = None
        self._reminders: list[Reminder] = []
        self._overdue_sent = False
        self._stages: list[AlertStageStatus] = []
        self._note: list[CaseNoteEntry] = []
        self._finalised_at: datetime | None = None
        self._finalised_by: str | None = None
        self._inbox: list[_Inbound | _CalendarInbound] = []
        self._closures: list[date] = []
        self._changes: list[DeadlineChange] = []
        self._published: list[tuple[str, Any]] | None = None
        self._init_kernel()
        if req.continued is not None:
            self._restore(req.continued)

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, start: RawValue) -> PracticeAlertStatus:
        """Raise the alert, wait on each stage, finish when the chair finalises it.

        A run started by the alert's own continue-as-new takes up where the last run
        stopped (the state was restored in ``__init__``) instead of raising it again.
        """
        if self._start_error is not None:
            raise unreadable_start(self._start_error)
        req = self._req
        if req.continued is not None and continuation.continued():
            recorder = asyncio.create_task(self._recorder())
            self._resume_sending()
            self._publish()
        else:
            recorder = await self._open(req)
        while self._state != "finalised":
            await self._continue_if_due()
            await self._wait_until(self._next_wake())
            if self._inbox:
                await self._apply(self._inbox.pop(0))
            else:
                await self._on_time(workflow.now())
            self._publish()
        await self._drain()
        self._record_refusal_summary()
        self._recording = False
        await asyncio.gather(*self._sends)
        await recorder
        return self._status()

    async def _open(self, req: StartPracticeAlert) -> asyncio.Task[None]:
        """Check the request, raise the alert at its first stage; the recorder's task."""
        pack = await steps.load_pack(req.procedure)
        errors = validate_start(req, pack)
        raised = await self._plan_from(req.raised_at, 0, pack)
        if (err := raised_at_error(raised.start, workflow.now())) is not None:
            errors.append(err)
        spec = pack.practice_alerts
        if errors or spec is None:
            # Nothing has been written or sent yet: fail the start cleanly.
            raise ApplicationError(
                "invalid start request: " + "; ".join(errors),
                type="InvalidStartRequest",
                non_retryable=True,
            )
        self._pack, self._spec, self._raised_at = pack, spec, raised.start
        first = first_stage(spec, req)
        self._records.insert(0, self._alert_record(first))
        self._add_note("alert", first.id, req.raised_by.name, self._alert_text(), raised.start)
        self._record(
            "raised",
            stage_id=first.id,
            actor=req.raised_by.name,
            text=req.description,
            data={
                "reason_code": req.reason_code,
                "serious_or_urgent": str(req.serious_or_urgent).lower(),
            },
        )
        await self._enter(first, raised.start, because=None)
        self._publish()
        # Started once the first stage is entered: the alert opens in one record write.
        return asyncio.create_task(self._recorder())

    # ------------------------------------------------------ continue as new

    def _carry_request(self) -> StartPracticeAlert:
        return self._req.model_copy(update={"continued": self._carry()})

    def _decisions_waiting(self) -> bool:
        return bool(self._inbox)

    def _restore(self, c: AlertCarry) -> None:
        """Take up the state the previous run handed over."""
        self._runs, self._pack, self._spec = c.runs, c.pack, c.pack.practice_alerts
        self._state, self._raised_at = c.state, c.raised_at
        stages = self._spec.stages if self._spec else []
        self._current = next((s for s in stages if s.id == c.current), None)
        self._plan, self._reminders, self._overdue_sent = c.plan, list(c.reminders), c.overdue_sent
        self._stages, self._note = list(c.stages), list(c.note)
        self._finalised_at, self._finalised_by = c.finalised_at, c.finalised_by
        self._closures, self._changes = list(c.closures), list(c.changes)
        self._refusals, self._failures = Refusals(c.refusals), list(c.failures)
        self._records = [*([c.opened] if c.opened else []), *c.steps]
        self._unsent = {n.key: n for n in c.mail}
        self._seq = c.seq

    def _carry(self) -> AlertCarry:
        """The whole state, for the next run: what is unwritten and unsent included."""
        self._handing_over = True
        self._record_refusal_summary()
        assert self._raised_at is not None
        rows = [*self._writing, *self._records]
        opened = [r for r in rows if isinstance(r, AlertRecord)]
        return AlertCarry(
            runs=self._runs + 1,
            pack=self._pack_(),
            state=self._state,
            raised_at=self._raised_at,
            current=self._stage_id(),
            plan=self._plan,
            reminders=self._reminders,
            overdue_sent=self._overdue_sent,
            stages=self._stages,
            note=self._note,
            finalised_at=self._finalised_at,
            finalised_by=self._finalised_by,
            closures=self._closures,
            changes=self._changes,
            refusals=self._refusals.carry(),
            failures=self._failures,
            opened=opened[0] if opened else None,
            steps=[r for r in rows if isinstance(r, AlertStepRecord)],
            mail=list(self._unsent.values()),
            seq=self._seq,
        )

    def _stage_id(self) -> str | None:
        return self._current.id if self._current else None

    def _publish(self) -> None:
        """Keep what an admin sees in the Web UI current: search attributes and details.

        Called after every step; the attributes are upserted only when they changed
        (a reminder changes nothing an admin searches on).
        """
        status, pack = self._status(), self._pack_()
        updates = alert_attribute_updates(status, workflow.now(), pack.partnership)
        seen = [(u.key.name, u.value) for u in updates]
        if seen != self._published:
            workflow.upsert_search_attributes(updates)
            self._published = seen
        workflow.set_current_details(
            alert_current_details(status, pack.calendar.timezone, len(self._spec_().stages))
        )

    def _next_wake(self) -> datetime | None:
        if self._state != "open":
            return None
        times = [r.at for r in self._reminders]
        if self._plan is not None and not self._overdue_sent:
            times.append(self._plan.due_at)
        return min(times) if times else None

    async def _drain(self) -> None:
        """Refuse decisions still queued when the alert was finalised, then let handlers end."""
        while True:
            await workflow.wait_condition(
                lambda: bool(self._inbox) or workflow.all_handlers_finished()
            )
            if not self._inbox:
                return
            await self._apply(self._inbox.pop(0))

    async def _on_time(self, now: datetime) -> None:
        """Fire what is due: reminders, then the stage deadline."""
        stage, plan = self._current_(), self._plan_()
        for reminder in [r for r in self._reminders if r.at <= now]:
            self._reminders.remove(reminder)
            if reminder.at < plan.due_at:
                self._remind(stage, plan, reminder)
        if now < plan.due_at or self._overdue_sent:
            return
        above = next_stage(self._spec_(), stage.id)
        if above is None or above.chair_only or stage.on_deadline == "notify_and_wait":
            # The document never makes an unanswered alert climb: the raising chair decides.
            self._overdue(stage, plan, above)
            return
        self._record(
            "deadline_missed",
            stage_id=stage.id,
            due_at=plan.due_at,
            in_time=False,
            text=f"{stage.title} did not respond by the deadline",
        )
        self._stages[-1].response_in_time = False
        self._leave("timeout", plan.due_at)
        # Entered at exactly the missed deadline: each stage gets its full working days.
        await self._enter(above, plan.due_at, because="no response by the deadline")

    # -------------------------------------------------------------- stages

    async def _enter(self, stage: AlertStageSpec, start: datetime, because: str | None) -> None:
        spec, req = self._spec_(), self._req
        plan = await self._plan_from(start, stage.timescale_working_days, reminders=True)
        index = stage_index(spec, stage.id)
        self._current, self._plan, self._overdue_sent = stage, plan, False
        self._state = "open"
        self._reminders = [r for r in plan.reminders if r.at > workflow.now()]
        self._stages.append(
            AlertStageStatus(
                stage_id=stage.id,
                title=stage.title,
                index=index,
                holders=[self._holder_text(r) for r in stage.holders],
                entered_at=plan.start,
                due_at=plan.due_at,
                timescale_working_days=stage.timescale_working_days,
            )
        )
        self._record(
            "stage_entered",
            stage_id=stage.id,
            due_at=plan.due_at,
            text=f"{stage.title}: {stage.timescale_working_days} working day(s)"
            + (f" ({because})" if because else ""),
            state="open",
        )
        above = next_stage(spec, stage.id)
        where = stage_number(index, len(spec.stages))
        opening = (
            f"A practice alert has been raised on case {req.case_reference} and is at {where}: "
            f"{stage.title}."
            if because is None
            else f"The practice alert on case {req.case_reference} has gone up to {where}: "
            f"{stage.title} ({because})."
        )
        self._notify(
            "stage_entered",
            f"Practice alert at {stage.title}: respond by {local_text(plan.due_at)}",
            self._people(stage.holders),
            [*self._people(stage.copied), req.raised_by],
            [
                opening,
                "Who must respond: " + "; ".join(self._holder_text(r) for r in stage.holders) + ".",
                *self._alert_lines(),
                f"Respond on the alert's case note within {stage.timescale_working_days} working "
                f"days, by {local_text(plan.due_at)}.",
                f"Without a response by then the alert goes to {above.title}."
                if above
                else "This is the last stage: the raising chair is told if no response arrives.",
            ],
            due_at=plan.due_at,
        )

    def _leave(self, outcome: StageOutcome, at: datetime) -> None:
        entry = self._stages[-1]
        entry.left_at, entry.outcome = at, outcome
        self._reminders = []

    def _remind(self, stage: AlertStageSpec, plan: DeadlinePlan, reminder: Reminder) -> None:
        what = "half the time has passed" if reminder.kind == "halfway" else "today is the last day"
        self._record("reminder", stage_id=stage.id, due_at=plan.due_at, text=reminder.kind)
        self._notify(
            "reminder",
            f"Reminder: practice alert response due {local_text(plan.due_at)}",
            self._people(stage.holders),
            [],
            [
                f"Reminder for {stage.title}: {what}. A response to the practice alert on case "
                f"{self._req.case_reference} is still awaited.",
                *self._alert_lines(),
            ],
            due_at=plan.due_at,
        )

    def _overdue(
        self, stage: AlertStageSpec, plan: DeadlinePlan, above: AlertStageSpec | None
    ) -> None:
        """The stage missed its deadline: record it, tell the raising chair what they can do."""
        self._overdue_sent = True
        entry = self._stages[-1]
        entry.overdue_notified_at = workflow.now()
        entry.response_in_time = False
        self._record(
            "overdue",
            stage_id=stage.id,
            due_at=plan.due_at,
            in_time=False,
            text=f"{stage.title} did not respond by the deadline; the raising chair was told",
        )
        choices = ["The alert stays at this stage and waits for its response."]
        if above is not None:
            choices.append(
                f"You may send it up to {above.title} now ('not_satisfied', or escalate)"
                + (
                    ", or, as it is serious or urgent, straight to "
                    + " or ".join(self._stage_title(s) for s in self._spec_().serious_start_stages)
                    + " ('to_stage')."
                    if self._req.serious_or_urgent
                    else "."
                )
            )
        else:
            choices.append("This is the last stage: there is no higher level.")
        choices.append("Or finalise the alert once a response is on the case note.")
        self._notify(
            "overdue",
            f"Overdue: practice alert at {stage.title} was due {local_text(plan.due_at)}",
            [self._req.raised_by],
            self._people(stage.holders),
            [
                f"{stage.title} has not responded to the practice alert on case "
                f"{self._req.case_reference} by its deadline. This has been recorded.",
                *choices,
                *self._alert_lines(),
            ],
            due_at=plan.due_at,
        )

    def _stage_title(self, stage_id: str) -> str:
        return next((s.title for s in self._spec_().stages if s.id == stage_id), stage_id)

    # ------------------------------------------------------------ decisions

    async def _apply(self, inbound: _Inbound | _CalendarInbound) -> None:
        """Apply one decision, or refuse it with the reason (never fail the workflow)."""
        if isinstance(inbound, _CalendarInbound):
            await self._recalendar(inbound)
            return
        kind, d = inbound.kind, inbound.decision
        error = self._refusal(kind, d)
        if error is not None:
            self._reject(kind, d.model_dump_json(), error)
            if inbound.reply is not None:
                inbound.reply.set_exception(
                    ApplicationError(error, type="DecisionRefused", non_retryable=True)
                )
            return
        now = workflow.now()
        if isinstance(d, AlertResponse):
            self._respond(d, now)
            message = "response added to the case note; the raising chair decides next"
        elif isinstance(d, Finalise):
            self._finalise(d, now)
            message = "the alert is finalised"
        else:
            assert isinstance(d, NotSatisfied)
            await self._not_satisfied(d, now)
            message = f"the alert has gone up to {self._current_().title}"
        if inbound.reply is not None:
            inbound.reply.set_result(self._receipt(message))

    def _refusal(self, kind: AlertDecisionKind, d: AlertDecision) -> str | None:
        plan = self._plan
        return check_decision(
            kind,
            self._state,
            self._current_().id,
            spec=self._spec_(),
            by=d.by,
            raiser_email=self._req.raised_by.email,
            has_response=any(e.kind == "response" for e in self._note),
            stage_named=d.stage if isinstance(d, AlertResponse) else None,
            overdue=self._overdue_sent or (plan is not None and workflow.now() >= plan.due_at),
            serious=self._req.serious_or_urgent,
            to_stage=d.to_stage if isinstance(d, NotSatisfied) else None,
        )

    def _respond(self, d: AlertResponse, now: datetime) -> None:
        stage, plan = self._current_(), self._plan_()
        in_time = now <= plan.due_at
        entry = self._stages[-1]
        if entry.responded_at is None:
            entry.responded_at, entry.response_in_time = now, in_time
        self._add_note("response", stage.id, d.by, d.text, now, in_time)
        self._state, self._reminders = "awaiting_finalisation", []
        self._record(
            "response",
            stage_id=stage.id,
            actor=d.by,
            text=d.text,
            due_at=plan.due_at,
            in_time=in_time,
            state="awaiting_finalisation",
        )
        self._notify(
            "resolved",
            f"Practice alert response from {stage.title}: finalise or escalate",
            [self._req.raised_by],
            self._people(stage.holders),
            [
                f"{d.by} responded to the practice alert on case {self._req.case_reference} "
                f"at {stage.title} ({'within' if in_time else 'after'} the deadline "
                f"{local_text(plan.due_at)}): {d.text}",
                "If you are satisfied, finalise the alert's case note ('finalised'); if not, "
                "send 'not_satisfied' with the reason and the alert goes up a stage.",
            ],
        )

    def _finalise(self, d: Finalise, now: datetime) -> None:
        stage, raiser = self._current_(), self._req.raised_by
        self._leave("finalised", now)
        self._state, self._finalised_at, self._finalised_by = "finalised", now, raiser.name
        self._add_note("finalised", stage.id, raiser.name, d.text, now)
        self._record(
            "finalised", stage_id=stage.id, actor=raiser.name, text=d.text, state="finalised"
        )
        spec = self._spec_()
        involved = [r for s in self._stages for r in spec.stages[s.index].holders]
        self._notify(
            "closed",
            "Practice alert finalised",
            [raiser],
            self._people(involved),
            [
                f"{raiser.name} finalised the practice alert on case {self._req.case_reference} "
                f"at {stage.title}: {d.text}",
                "The case note is complete; place it on the child's file.",
            ],
        )

    async def _not_satisfied(self, d: NotSatisfied, now: datetime) -> None:
        stage = self._current_()
        above = escalation_target(self._spec_(), stage.id, d.to_stage)
        assert above is not None
        raiser = self._req.raised_by.name
        responded = self._state == "awaiting_finalisation"
        self._add_note("not_satisfied", stage.id, raiser, d.reason, now)
        self._record(
            "not_satisfied",
            stage_id=stage.id,
            actor=raiser,
            text=d.reason,
            data={"to_stage": above.id, "after_response": str(responded).lower()},
        )
        self._leave("not_satisfied", now)
        why = "is not satisfied" if responded else "escalates it"
        await self._enter(above, now, because=f"the raising chair {why}: {d.reason}")

    # ------------------------------------------------------ calendar change

    async def _recalendar(self, inbound: _CalendarInbound) -> None:
        """Re-project the pending stage deadline onto the changed calendar.

        The deadline is recomputed from the stage's own start in the calendar
        activity (which also reads the current bank-holiday list), so the answer is
        in the history. A deadline already passed, or the last stage's overdue one,
        stays as it is: a calendar change never reopens it. Later stages are planned
        on the changed calendar too.
        """
        c, now = inbound.change, workflow.now()
        error = None
        if self._state == "finalised":
            error = "the alert is finalised; its deadlines are final"
        if error is not None:
            self._reject("change_calendar", c.model_dump_json(), error)
            inbound.reply.set_exception(
                ApplicationError(error, type="DecisionRefused", non_retryable=True)
            )
            return
        self._closures = sorted({*self._closures, *c.closure_days})
        moved: list[RescheduledDeadline] = []
        stage, plan = self._current, self._plan
        pending = self._state == "open" and not self._overdue_sent
        if pending and stage is not None and plan is not None and plan.due_at > now:
            new = await self._plan_from(plan.start, plan.working_days, reminders=True)
            if new.due_at != plan.due_at:
                # Reminders already sent are not repeated; pending ones move with the deadline.
                kinds = {r.kind for r in self._reminders}
                self._plan = new
                self._reminders = [r for r in new.reminders if r.at > now and r.kind in kinds]
                self._stages[-1].due_at = new.due_at
                moved.append(
                    RescheduledDeadline(
                        deadline="alert_stage",
                        stage_id=stage.id,
                        old_due_at=plan.due_at,
                        new_due_at=new.due_at,
                    )
                )
        self._record_calendar_change(c, moved, now)
        inbound.reply.set_result(
            CalendarReceipt(
                workflow_id=workflow.info().workflow_id,
                moved=moved,
                message=f"{len(moved)} deadline(s) moved" if moved else "no pending deadline moved",
            )
        )

    def _record_calendar_change(
        self, c: CalendarChange, moved: list[RescheduledDeadline], now: datetime
    ) -> None:
        """Keep the change and each moved deadline in the record; tell who must respond."""
        stage = self._current
        self._record(
            "calendar_changed",
            stage_id=stage.id if stage else None,
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
        if not moved or stage is None:
            return
        new = moved[-1].new_due_at
        self._notify(
            "deadline_changed",
            f"Practice alert deadline moved to {local_text(new)}: the calendar changed",
            self._people(stage.holders),
            [*self._people(stage.copied), self._req.raised_by],
            [
                *moved_lines(self._req.case_reference, c, moved, stage.title),
                f"Respond on the alert's case note by {local_text(new)}.",
            ],
            due_at=new,
        )

    # ------------------------------------------------------- handlers (in)

    @workflow.signal(name="alert_response")
    def response_signal(self, payload: RawValue) -> None:
        """Fire-and-forget response ({"by", "text", "stage"?}); malformed ones are recorded."""
        self._receive("respond", payload)

    @workflow.signal(name="finalised")
    def finalised_signal(self, payload: RawValue) -> None:
        """Fire-and-forget finalisation ({"by": the raiser's email, "text"})."""
        self._receive("finalise", payload)

    @workflow.signal(name="not_satisfied")
    def not_satisfied_signal(self, payload: RawValue) -> None:
        """Fire-and-forget 'not satisfied' ({"by": the raiser's email, "reason"})."""
        self._receive("not_satisfied", payload)

    # Updates take raw payloads, like signals: an undecodable or malformed one is refused
    # to the caller with the field and the reason (workflows/inputs.py).

    @workflow.update(name="respond")
    async def respond(self, payload: RawValue) -> AlertReceipt:
        """Acknowledged response: the answer says whether the workflow accepted it."""
        return await self._submit("respond", decode(payload, AlertResponse))

    @respond.validator
    def _validate_respond(self, payload: RawValue) -> None:
        self._validate("respond", decode(payload, AlertResponse))

    @workflow.update(name="finalise")
    async def finalise(self, payload: RawValue) -> AlertReceipt:
        """Acknowledged finalisation; refused to anyone but the raiser, or before a response."""
        return await self._submit("finalise", decode(payload, Finalise))

    @finalise.validator
    def _validate_finalise(self, payload: RawValue) -> None:
        self._validate("finalise", decode(payload, Finalise))

    @workflow.update(name="escalate")
    async def escalate(self, payload: RawValue) -> AlertReceipt:
        """Acknowledged 'not satisfied': the alert goes up a stage now."""
        return await self._submit("not_satisfied", decode(payload, NotSatisfied))

    @escalate.validator
    def _validate_escalate(self, payload: RawValue) -> None:
        self._validate("not_satisfied", decode(payload, NotSatisfied))

    @workflow.update(name="change_calendar")
    async def change_calendar(self, payload: RawValue) -> CalendarReceipt:
        """Re-project the pending stage deadline onto a changed calendar (closure days)."""
        change = decode(payload, CalendarChange)
        reply: asyncio.Future[CalendarReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(_CalendarInbound(change, reply))
        return await reply

    @change_calendar.validator
    def _validate_calendar(self, payload: RawValue) -> None:
        decode(payload, CalendarChange)
        if self._state == "finalised":
            raise ApplicationError(
                "the alert is finalised; its deadlines are final and a calendar change "
                "cannot reopen them",
                type="DecisionRefused",
                non_retryable=True,
            )

    @workflow.query(name="status")
    def status(self) -> PracticeAlertStatus:
        """The alert as it stands: stages, deadlines, the case note and refused inputs."""
        return self._status()

    def _receive(self, kind: AlertDecisionKind, payload: RawValue) -> None:
        try:
            decision = decode(payload, MODELS[kind])
        except ApplicationError as exc:
            self._reject(kind, shown(payload), exc.message)
            return
        self._inbox.append(_Inbound(kind, decision))

    def _validate(self, kind: AlertDecisionKind, d: AlertDecision) -> None:
        if self._current is None:
            # Still opening (pack and deadlines loading): accept now, judge when applied.
            return
        if (error := self._refusal(kind, d)) is not None:
            raise ApplicationError(error, type="DecisionRefused", non_retryable=True)

    async def _submit(self, kind: AlertDecisionKind, d: AlertDecision) -> AlertReceipt:
        reply: asyncio.Future[AlertReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(_Inbound(kind, d, reply))
        return await reply

    def _refusal_row(self, text: str, payload: str | None) -> None:
        self._record(
            "rejected_input",
            stage_id=self._stage_id(),
            text=text,
            data={"payload": payload} if payload is not None else None,
        )

    # ------------------------------------------------------ side effects

    async def _plan_from(
        self,
        start: datetime,
        days: int,
        pack: PolicyPack | None = None,
        *,
        reminders: bool = False,
    ) -> DeadlinePlan:
        calendar = with_closures((pack or self._pack_()).calendar, self._closures)
        return await steps.plan_deadline(
            DeadlineRequest(calendar=calendar, start=start, working_days=days, reminders=reminders)
        )

    def _add_note(
        self,
        kind: str,
        stage: str | None,
        by: str,
        text: str,
        at: datetime,
        in_time: bool | None = None,
    ) -> None:
        entry = CaseNoteEntry.model_validate(
            {"kind": kind, "stage": stage, "by": by, "text": text, "at": at, "in_time": in_time}
        )
        self._note.append(entry)

    def _record(
        self,
        kind: AlertStepKind,
        *,
        stage_id: str | None = None,
        actor: str | None = None,
        text: str | None = None,
        due_at: datetime | None = None,
        in_time: bool | None = None,
        state: AlertState | None = None,
        data: dict[str, str] | None = None,
    ) -> None:
        """Queue a row; the recorder writes rows in order beside the timeline."""
        self._records.append(
            AlertStepRecord(
                key=self._next_key("step"),
                workflow_id=workflow.info().workflow_id,
                case_reference=self._req.case_reference,
                kind=kind,
                at=workflow.now(),
                stage_id=stage_id,
                actor=actor,
                text=text,
                due_at=due_at,
                in_time=in_time,
                data=data or {},
                state=state,
                current_stage=self._current.id if state and self._current else None,
            )
        )

    async def _write_rows(self, batch: list[Any]) -> None:
        opened = [r for r in batch if isinstance(r, AlertRecord)]
        await record_alert_steps(
            AlertRecordBatch(
                alert=opened[0] if opened else None,
                steps=[r for r in batch if isinstance(r, AlertStepRecord)],
            )
        )

    def _notify(
        self,
        kind: NotificationKind,
        headline: str,
        to: list[Person],
        cc: list[Person],
        lines: list[str],
        due_at: datetime | None = None,
    ) -> None:
        """Send an email beside the timeline; a failure is recorded, never fatal."""
        pack, spec = self._pack_(), self._spec_()
        to = list({p.email.casefold(): p for p in to}.values())
        seen = {p.email.casefold() for p in to}
        cc = [
            p
            for p in {p.email.casefold(): p for p in cc}.values()
            if p.email.casefold() not in seen
        ]
        # The stage whose response the email asks for (its 'to' people get decision links);
        # only an input of the email activity changes, so histories replay as before.
        asks = self._current is not None and self._state == "open"
        n = Notification(
            key=self._next_key("mail"),
            workflow_id=workflow.info().workflow_id,
            case_reference=self._req.case_reference,
            kind=kind,
            procedure_title=spec.title,
            partnership=pack.partnership,
            stage_title=self._current.title if self._current else None,
            stage_id=self._current.id if asks and self._current is not None else None,
            # Only the stage's holders respond, so only they get a link; a missed response is
            # the raising chair's to decide on, so the overdue notice links the chair alone.
            decider_roles=(
                [self._req.raised_by.role]
                if kind == "overdue"
                else list(self._current.holders)
                if asks and self._current
                else []
            ),
            workflow_type="PracticeAlert",
            headline=headline,
            lines=lines,
            due_at=due_at,
            timezone=pack.calendar.timezone,
            to=to,
            cc=cc,
        )
        self._mail(n)

    # ------------------------------------------------------------- views

    def _pack_(self) -> PolicyPack:
        assert self._pack is not None, "pack not loaded yet"
        return self._pack

    def _spec_(self) -> PracticeAlertSpec:
        assert self._spec is not None, "pack not loaded yet"
        return self._spec

    def _current_(self) -> AlertStageSpec:
        assert self._current is not None, "no stage entered yet"
        return self._current

    def _plan_(self) -> DeadlinePlan:
        assert self._plan is not None, "no stage entered yet"
        return self._plan

    def _people(self, roles: list[str]) -> list[Person]:
        return [p for r in dict.fromkeys(roles) if (p := self._req.person(r)) is not None]

    def _holder_text(self, role: str) -> str:
        title = self._pack_().role_title(role)
        person = self._req.person(role)
        return f"{title} ({person.name})" if person else title

    def _reason_title(self) -> str:
        spec = self._spec
        title = reason_title(spec, self._req.reason_code) if spec else None
        return title or self._req.reason_code

    def _alert_text(self) -> str:
        req = self._req
        return (
            f"Reason: {self._reason_title()} ({req.reason_code}). {req.description} "
            f"Agreed action: {req.agreed_action}"
        )

    def _alert_lines(self) -> list[str]:
        req = self._req
        return [
            f"Case reference: {req.case_reference}.",
            f"Reason: {self._reason_title()} (code {req.reason_code}).",
            f"Description: {req.description}",
            f"Agreed action: {req.agreed_action}",
        ]

    def _alert_record(self, first: AlertStageSpec) -> AlertRecord:
        req, pack = self._req, self._pack_()
        assert self._raised_at is not None
        return AlertRecord(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=pack.id,
            reason_code=req.reason_code,
            reason_title=self._reason_title(),
            description=req.description,
            agreed_action=req.agreed_action,
            raised_by=req.raised_by.name,
            raised_by_email=req.raised_by.email,
            raised_at=self._raised_at,
            start_stage=first.id,
            serious_or_urgent=req.serious_or_urgent,
            current_stage=first.id,
        )

    def _receipt(self, message: str) -> AlertReceipt:
        due = self._plan.due_at if self._state == "open" and self._plan else None
        stage = self._current.id if self._current else None
        return AlertReceipt(state=self._state, stage=stage, message=message, due_at=due)

    def _status(self) -> PracticeAlertStatus:
        req, current = self._req, self._current
        wid = workflow.info().workflow_id
        prefix = f"{WORKFLOW_ID_PREFIX}-{req.case_reference}-"
        live = self._state != "finalised"
        return PracticeAlertStatus(
            workflow_id=wid,
            alert_id=wid[len(prefix) :] if wid.startswith(prefix) else wid,
            case_reference=req.case_reference,
            procedure=req.procedure,
            title=self._spec.title if self._spec else req.procedure,
            reason_code=req.reason_code,
            reason_title=self._reason_title(),
            state=self._state,
            current_stage=current.id if current and live else None,
            current_stage_title=current.title if current and live else None,
            due_at=self._plan.due_at if self._plan and self._state == "open" else None,
            serious_or_urgent=req.serious_or_urgent,
            start_stage=self._stages[0].stage_id if self._stages else req.start_stage,
            raised_by=req.raised_by.name,
            raised_at=self._raised_at,
            stages=[s.model_copy() for s in self._stages],
            case_note=[e.model_copy() for e in self._note],
            finalised_at=self._finalised_at,
            finalised_by=self._finalised_by,
            rejected_inputs=list(self._refusals.kept),
            rejected_inputs_total=self._refusals.total,
            notification_failures=list(self._failures),
            deadline_changes=[c.model_copy() for c in self._changes],
        )


async def record_alert_steps(batch: AlertRecordBatch) -> None:
    """Write the rows queued since the last write, in one transaction (each idempotent by key)."""
    parts = [f"alert {s.kind}" + (f" at {s.stage_id}" if s.stage_id else "") for s in batch.steps]
    if batch.alert is not None:
        parts.insert(0, f"practice alert about case {batch.alert.case_reference} raised")
    what = "; ".join(dict.fromkeys(parts))
    await workflow.execute_activity(
        "record_alert_steps",
        batch,
        summary=f"Record: {what}"[:200],
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=steps.DURABLE,
    )
