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

from datetime import datetime

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.alerts import (
        AlertDecision,
        AlertReceipt,
        AlertResponse,
        Finalise,
        NotSatisfied,
        PracticeAlertStatus,
        StartPracticeAlert,
    )
    from models.calendar import (
        CalendarChange,
        RescheduledDeadline,
    )
    from workflows import steps
    from workflows.alert_rules import (
        AlertDecisionKind,
        check_decision,
        escalation_target,
        first_stage,
        next_stage,
        validate_start,
    )
    from workflows.alert_stages import AlertStageSteps
    from workflows.calendar_change import moved_lines
    from workflows.inputs import decode, start_input
    from workflows.ladder import raised_at_error
    from workflows.text import local_text

DECISION_MODELS: dict[AlertDecisionKind, type[AlertDecision]] = {
    "respond": AlertResponse,
    "finalise": Finalise,
    "not_satisfied": NotSatisfied,
}


@workflow.defn(name="PracticeAlert")
class PracticeAlertWorkflow(AlertStageSteps):
    """A practice alert going up its stages until the raising chair finalises it."""

    MODELS = DECISION_MODELS
    FINAL = "the alert is finalised"

    @workflow.init
    def __init__(self, start: RawValue) -> None:
        super().__init__(*start_input(start, StartPracticeAlert))

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, start: RawValue) -> PracticeAlertStatus:
        """Raise the alert, wait on each stage, finish when the chair finalises it."""
        await self._lifecycle(self._req.continued is not None, self._live)
        return self._status()

    async def _live(self) -> None:
        await self._steps(lambda: self._state != "finalised", self._next_wake, self._on_time)

    async def _open(self) -> None:
        req = self._req
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

    # ------------------------------------------------------ continue as new

    def _carry_request(self) -> StartPracticeAlert:
        return self._req.model_copy(update={"continued": self._carry()})

    def _next_wake(self) -> datetime | None:
        if self._state != "open":
            return None
        times = [r.at for r in self._reminders]
        if self._plan is not None and not self._overdue_sent:
            times.append(self._plan.due_at)
        return min(times) if times else None

    async def _on_time(self, now: datetime) -> None:
        """Fire what is due: reminders, then the stage deadline."""
        stage, plan = self._current_(), self._plan_()
        for reminder in self._due_reminders(now, plan.due_at):
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

    # ------------------------------------------------------------ decisions

    async def _decide(self, kind: AlertDecisionKind, d: AlertDecision, now: datetime) -> str:
        if isinstance(d, AlertResponse):
            self._respond(d, now)
            return "response added to the case note; the raising chair decides next"
        if isinstance(d, Finalise):
            self._finalise(d, now)
            return "the alert is finalised"
        assert isinstance(d, NotSatisfied)
        await self._not_satisfied(d, now)
        return f"the alert has gone up to {self._current_().title}"

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

    async def _reproject(self, now: datetime) -> list[RescheduledDeadline]:
        """Re-plan the pending stage deadline (later stages are planned on the changed
        calendar when entered). A deadline already passed, or the last stage's overdue
        one, stays as it is: a calendar change never reopens it."""
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
        return moved

    def _tell_calendar_change(self, c: CalendarChange, moved: list[RescheduledDeadline]) -> None:
        """Tell the stage's managers (copying the raising chair) the deadline moved."""
        stage = self._current_()
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

    @workflow.query(name="status")
    def status(self) -> PracticeAlertStatus:
        """The alert as it stands: stages, deadlines, the case note and refused inputs."""
        return self._status()
