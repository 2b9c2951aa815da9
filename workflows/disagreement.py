"""One professional disagreement about a child's safety, from raising to written confirmation.

The workflow interprets a policy pack: enter the stage, tell the people, wait
for a decision or the deadline, record, go up. Decisions arrive as signals
(fire-and-forget) or updates (acknowledged); both go through one inbox so they
are applied one at a time, in the order the history shows. Deadlines come from
the calendar activity; emails and record rows are written by activities running
beside the timeline, so a slow mail relay or database never delays an escalation.

A ``conference_adjournment`` stage is an equally divided child protection conference:
it records the child's interim position, waits (at most 15 working days) for
``conference_reconvened`` instead of resolved/unresolved, and either closes, sends a
dissenting minority up the pack's dissent ladder (the case switches ladders), or goes
up; silence past its deadline is recorded as a breach. When the start names a
conference, its reports deadline is tracked beside the ladder; a resolution at a
stage with ``learning_notify`` becomes a learning item.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from models.calendar import DeadlinePlan, DeadlineRequest, Reminder
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
    from models.notifications import Notification, NotificationKind
    from models.pack import LadderSpec, PolicyPack, StageSpec
    from models.records import DisagreementRecord, StepKind, StepRecord
    from models.start import StartDisagreement
    from models.status import (
        CaseState,
        DeadlineChange,
        DisagreementStatus,
        LearningItem,
        RejectedInput,
        StageOutcome,
        StageStatus,
    )
    from workflows import steps
    from workflows.ladder import (
        DecisionKind,
        Position,
        check_decision,
        check_reconvened,
        dissent_ladder,
        immediate_risk_target,
        is_adjournment,
        next_stage,
        raised_at_error,
        stage_working_days,
        validate_start,
    )
    from workflows.text import (
        interim_position,
        local_text,
        reports_lines,
        stage_number,
        truncate,
    )

DECISION_MODELS: dict[DecisionKind, type[Decision]] = {
    "resolved": Resolved,
    "unresolved": Unresolved,
    "confirmed": Confirmed,
    "immediate_risk": ImmediateRisk,
    "shorten_timescale": ShortenTimescale,
    "conference_reconvened": ConferenceReconvened,
}

# workflow.patched ids: code paths a case started on older code must not take on replay.
PATCH_ADJOURNMENT = "conference-adjournment-loop"
PATCH_REPORTS = "conference-report-deadlines"
PATCH_LEARNING = "learning-items"


@dataclass
class _Inbound:
    """A decision waiting to be applied; ``reply`` is set for updates."""

    kind: DecisionKind
    decision: Decision
    reply: asyncio.Future[DecisionReceipt] | None = None


@workflow.defn(name="Disagreement")
class DisagreementWorkflow:
    """A disagreement climbing its procedure's ladder until resolved and confirmed."""

    @workflow.init
    def __init__(self, req: StartDisagreement) -> None:
        self._req = req
        self._pack: PolicyPack | None = None
        self._ladder: LadderSpec | None = None
        self._state: CaseState = "open"
        self._stages: list[StageStatus] = []
        self._current: StageSpec | None = None
        self._plan: DeadlinePlan | None = None
        self._reminders: list[Reminder] = []
        self._overdue_sent = False
        self._child_cap = req.child_timescale_working_days
        self._immediate_risk = req.immediate_risk
        self._raised_at: datetime | None = None
        self._raise_due_at: datetime | None = None
        self._raised_late = False
        self._outcome: Resolved | None = None
        self._resolved_at: datetime | None = None
        self._confirmation: DeadlinePlan | None = None
        self._confirmation_late = False
        self._confirmed_at: datetime | None = None
        self._inbox: list[_Inbound] = []
        self._rejected: list[RejectedInput] = []
        self._changes: list[DeadlineChange] = []
        self._failures: list[str] = []
        self._records: list[DisagreementRecord | StepRecord] = []
        self._recording = True
        self._sends: list[asyncio.Task[None]] = []
        self._seq = 0
        self._adjourned = False
        self._interim: str | None = None
        self._reconvene_due: datetime | None = None
        self._breached = False
        self._conference_outcome: ConferenceReconvened | None = None
        self._reports: DeadlinePlan | None = None
        self._reports_reminder: datetime | None = None
        self._learning: list[LearningItem] = []

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, req: StartDisagreement) -> DisagreementStatus:
        """Open the case, climb the ladder, wait for the written confirmation."""
        pack = await steps.load_pack(req.procedure)
        errors = validate_start(req, pack)
        ladder = pack.ladder(req.ladder) if not errors else None
        first = ladder.stages[0] if ladder else None
        if ladder and req.immediate_risk:
            first = immediate_risk_target(ladder, None) or first
        raised = await self._plan_from(req.raised_at, 0, pack)
        if (err := raised_at_error(raised.start, workflow.now())) is not None:
            errors.append(err)
        if errors or ladder is None or first is None:
            # Nothing has been written or sent yet: fail the start cleanly.
            raise ApplicationError(
                "invalid start request: " + "; ".join(errors),
                type="InvalidStartRequest",
                non_retryable=True,
            )
        self._pack, self._ladder, self._raised_at = pack, ladder, raised.start
        if req.disagreement_arose_at is not None and pack.raise_within_working_days is not None:
            due = await self._plan_from(req.disagreement_arose_at, pack.raise_within_working_days)
            self._raise_due_at = due.due_at
            self._raised_late = raised.start > due.due_at
        reports = pack.conference_reports
        if req.conference is not None and reports is not None and workflow.patched(PATCH_REPORTS):
            before = (
                reports.initial_working_days_before
                if req.conference.kind == "initial"
                else reports.review_working_days_before
            )
            self._reports = await self._plan_from(
                req.conference.at, before, reminders=True, direction="before"
            )
        self._records.insert(0, self._disagreement_record())
        recorder = asyncio.create_task(self._recorder())
        self._record("opened", actor=req.raising_agency, text=req.nature)
        if req.immediate_risk:
            self._record("immediate_risk", stage_id=first.id, text="immediate risk at start")
        await self._enter(first, raised.start)
        if self._reports is not None:
            self._announce_reports()
        await self._climb()
        await self._await_confirmation()
        self._finish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._recording = False
        await asyncio.gather(*self._sends)
        await recorder
        return self._status()

    async def _climb(self) -> None:
        """Wait on the current stage for a decision, a reminder or the deadline."""
        while self._state == "open":
            await self._wait_until(self._next_wake())
            if self._inbox:
                await self._apply(self._inbox.pop(0))
            else:
                await self._on_time(workflow.now())

    async def _await_confirmation(self) -> None:
        """Wait for the written confirmation; remind and record it if it is late."""
        while self._state == "resolved":
            wake = None
            if self._confirmation and not self._confirmation_late:
                wake = self._confirmation.due_at
            await self._wait_until(wake)
            if self._inbox:
                await self._apply(self._inbox.pop(0))
            elif self._confirmation and workflow.now() >= self._confirmation.due_at:
                self._confirmation_late = True
                self._confirmation_overdue()

    async def _wait_until(self, wake: datetime | None) -> None:
        """Sleep until ``wake`` (a durable timer) or until a decision arrives."""
        if wake is None:
            await workflow.wait_condition(lambda: bool(self._inbox))
            return
        delay = wake - workflow.now()
        if delay.total_seconds() <= 0:
            return
        try:
            await workflow.wait_condition(lambda: bool(self._inbox), timeout=delay)
        except TimeoutError:
            pass

    def _next_wake(self) -> datetime | None:
        times = [r.at for r in self._reminders]
        if self._plan is not None and not self._overdue_sent:
            times.append(self._plan.due_at)
        if self._reports_reminder is not None:
            times.append(self._reports_reminder)
        return min(times) if times else None

    async def _on_time(self, now: datetime) -> None:
        """Fire what is due: reminders, then the stage deadline."""
        if self._reports_reminder is not None and self._reports_reminder <= now:
            self._reports_reminder = None
            self._remind_reports()
        stage, plan = self._current, self._plan
        assert stage is not None and plan is not None
        for reminder in [r for r in self._reminders if r.at <= now]:
            self._reminders.remove(reminder)
            if reminder.at < plan.due_at:
                self._remind(stage, plan, reminder)
        if now < plan.due_at or self._overdue_sent:
            return
        if self._adjourned:
            await self._breach(stage, plan)
            return
        if stage.on_deadline == "notify_and_wait" or next_stage(self._ladder_(), stage.id) is None:
            self._overdue(stage, plan)
            return
        self._leave("timeout", by=None, text="the stage deadline passed", at=plan.due_at)
        self._record("deadline_passed", stage_id=stage.id, due_at=plan.due_at)
        above = next_stage(self._ladder_(), stage.id)
        assert above is not None
        # Entered at exactly the passed deadline: each stage gets its full N working days.
        await self._enter(above, plan.due_at)

    # -------------------------------------------------------------- stages

    async def _enter(self, stage: StageSpec, start: datetime) -> None:
        pack, ladder = self._pack_(), self._ladder_()
        adjourned = is_adjournment(stage) and workflow.patched(PATCH_ADJOURNMENT)
        days = stage_working_days(pack, stage, self._child_cap)
        plan = await self._plan_from(start, days, reminders=True)
        first_contact = None
        if stage.first_contact_working_days is not None:
            first_contact = (
                await self._plan_from(start, min(stage.first_contact_working_days, days))
            ).due_at
        index = ladder.index_of(stage.id)
        self._current, self._plan, self._overdue_sent = stage, plan, False
        self._adjourned = adjourned
        self._reminders = [r for r in plan.reminders if r.at > workflow.now()]
        self._stages.append(
            StageStatus(
                stage_id=stage.id,
                title=stage.title,
                index=index,
                ladder_id=ladder.id,
                kind=stage.kind,
                holders=[self._holder_text(role) for role in stage.holders],
                entered_at=plan.start,
                due_at=plan.due_at,
                timescale_working_days=days,
                capped=days < pack.timescale(stage),
                first_contact_due_at=first_contact,
            )
        )
        self._record(
            "stage_entered",
            stage_id=stage.id,
            due_at=plan.due_at,
            text=f"{stage.title}: {days} working day(s)",
            state="open",
            data={"ladder": ladder.id},
        )
        if adjourned:
            self._adjourn(stage, plan, index)
            return
        lines = [
            f"The disagreement about case {self._req.case_reference} is now at "
            f"{stage_number(index, len(ladder.stages))}: {stage.title}.",
            "Who must act: " + "; ".join(self._holder_text(r) for r in stage.holders) + ".",
            f"Nature of the disagreement: {self._req.nature}",
            f"Risk to the child: {self._req.risk_to_child}",
            f"What the raising professional aims to achieve: {self._req.aim}",
        ]
        if first_contact is not None:
            lines.append(
                f"First contact with the raising professional by {local_text(first_contact)}."
            )
        if stage.guidance:
            lines.append(stage.guidance)
        lines.append(
            "Reply with 'resolved' (with the agreed outcome) or 'unresolved' (with the reason)."
        )
        self._notify(
            "stage_entered",
            f"{stage.title}: action needed by {local_text(plan.due_at)}",
            stage.holders,
            stage.copied,
            lines,
            due_at=plan.due_at,
        )

    def _leave(self, outcome: StageOutcome, by: str | None, text: str | None, at: datetime) -> None:
        entry = self._stages[-1]
        entry.left_at, entry.outcome, entry.decided_by, entry.text = at, outcome, by, text
        self._record(
            "stage_left", stage_id=entry.stage_id, actor=by, text=text, data={"outcome": outcome}
        )
        self._reminders = []

    def _remind(self, stage: StageSpec, plan: DeadlinePlan, reminder: Reminder) -> None:
        what = "half the time has passed" if reminder.kind == "halfway" else "today is the last day"
        awaited = "A decision is still awaited."
        if self._adjourned:
            awaited = (
                f"The adjourned conference must reconvene by {local_text(plan.due_at)}; "
                "send 'conference_reconvened' with its outcome when it has."
            )
        self._record("reminder", stage_id=stage.id, due_at=plan.due_at, text=reminder.kind)
        self._notify(
            "reminder",
            f"Reminder: {stage.title} due {local_text(plan.due_at)}",
            stage.holders,
            stage.copied if self._adjourned else [],  # each agency *and* its line manager
            [f"Reminder for {stage.title}: {what}.", awaited],
            due_at=plan.due_at,
        )

    def _overdue(self, stage: StageSpec, plan: DeadlinePlan) -> None:
        self._overdue_sent = True
        self._stages[-1].overdue_notified_at = workflow.now()
        self._record("deadline_passed", stage_id=stage.id, due_at=plan.due_at, text="overdue")
        self._notify(
            "overdue",
            f"Overdue: {stage.title} was due {local_text(plan.due_at)}",
            stage.overdue_notify or stage.holders,
            stage.holders if stage.overdue_notify else [],
            [
                f"{stage.title} has passed its deadline without a decision.",
                "This is the last stage of the procedure; the case keeps waiting for a decision.",
            ],
            due_at=plan.due_at,
        )

    # ------------------------------------------------- adjourned conference

    def _adjourn(self, stage: StageSpec, plan: DeadlinePlan, index: int) -> None:
        """An equally divided conference is adjourned: record the child's interim position
        and tell each agency and its line manager (holders and copied) to re-evaluate."""
        conference = self._req.conference
        self._interim = interim_position(
            conference.kind if conference else None, stage.interim_position
        )
        self._reconvene_due = plan.due_at
        self._record(
            "interim_position",
            stage_id=stage.id,
            text=self._interim,
            due_at=plan.due_at,
        )
        ladder = self._ladder_()
        lines = [
            f"The child protection conference about case {self._req.case_reference} was "
            f"equally divided and is adjourned ({stage_number(index, len(ladder.stages))}: "
            f"{stage.title}). It must reconvene by {local_text(plan.due_at)}.",
            f"Interim position: {self._interim}",
            "Each agency: inform your line manager and re-evaluate your evidence, analysis and "
            "professional judgement before the conference reconvenes. Line managers: attempt "
            "to resolve the disagreement and keep a clear written record, including written "
            "confirmation between the parties of the disagreement and how outstanding issues "
            "will be pursued.",
            "Agencies and line managers: "
            + "; ".join(self._holder_text(r) for r in [*stage.holders, *stage.copied])
            + ".",
            f"Nature of the disagreement: {self._req.nature}",
            f"Risk to the child: {self._req.risk_to_child}",
        ]
        if stage.guidance:
            lines.append(stage.guidance)
        lines.append(
            "When the conference has reconvened, send 'conference_reconvened' with its outcome "
            "(unanimous, majority or still_divided) and the decision as minuted."
        )
        self._notify(
            "conference_adjourned",
            f"{stage.title}: conference adjourned, reconvene by {local_text(plan.due_at)}",
            stage.holders,
            stage.copied,
            lines,
            due_at=plan.due_at,
        )

    async def _breach(self, stage: StageSpec, plan: DeadlinePlan) -> None:
        """No reconvened conference by the deadline: record the breach, tell everyone, go up."""
        self._breached = True
        above = next_stage(self._ladder_(), stage.id)
        escalate = above is not None and stage.on_deadline == "escalate"
        self._record(
            "adjournment_breached",
            stage_id=stage.id,
            due_at=plan.due_at,
            text="the adjourned conference did not reconvene by its deadline",
        )
        after = (
            f"The case goes up to {above.title} now."
            if escalate and above is not None
            else "There is no higher level: the case keeps waiting for the conference."
        )
        self._notify(
            "adjournment_breached",
            f"Breach: {stage.title} did not reconvene by {local_text(plan.due_at)}",
            stage.holders,
            stage.copied,
            [
                f"The adjourned child protection conference did not reconvene within its "
                f"{self._stages[-1].timescale_working_days} working days. This breach has been "
                "recorded.",
                f"Interim position: {self._interim}",
                after,
            ],
            due_at=plan.due_at,
        )
        if not escalate or above is None:
            self._overdue_sent = True
            self._stages[-1].overdue_notified_at = workflow.now()
            return
        self._leave("adjournment_breached", None, "not reconvened by the deadline", plan.due_at)
        await self._enter(above, plan.due_at)

    async def _reconvened(self, d: ConferenceReconvened, now: datetime) -> None:
        """Apply the reconvened conference's outcome.

        Agreement (unanimous, or a majority nobody disputes) closes the case at once,
        with the conference's decision as the outcome and no written-confirmation step:
        the decision is minuted in the conference record that goes to every agency, and
        the seeds ask for written confirmation between the parties during the
        adjournment, not after the conference has decided. A disputed majority sends the
        minority up the pack's dissent ladder; still divided goes up this ladder.
        """
        stage = self._current
        assert stage is not None
        ladder = self._ladder_()
        self._conference_outcome = d
        dissent = dissent_ladder(self._pack_(), stage) if d.minority_dissents else None
        self._record(
            "conference_reconvened",
            stage_id=stage.id,
            actor=d.by,
            text=d.text,
            data={
                "decision": "conference_reconvened",
                "outcome": d.outcome,
                "minority_dissents": str(d.minority_dissents).lower(),
                "minority": d.minority or "",
                "ladder": dissent.id if dissent else ladder.id,
            },
        )
        if d.outcome == "still_divided":
            above = next_stage(ladder, stage.id)
            assert above is not None
            self._leave("still_divided", d.by, d.text, now)
            await self._enter(above, now)
            return
        if dissent is not None:
            self._leave("minority_dissent", d.by, d.text, now)
            self._ladder = dissent
            await self._enter(dissent.stages[0], now)
            return
        outcome = d.text
        if d.minority_dissents:
            outcome += " (the minority dissents; this procedure has no dissent ladder)"
        self._outcome = Resolved(by=d.by, outcome=outcome, stage=stage.id)
        self._resolved_at = now
        self._leave("resolved", d.by, outcome, now)
        self._plan, self._adjourned = None, False
        self._learn(stage, outcome, d.by, now)
        self._state = "closed"

    # ------------------------------------------------- learning and reports

    def _learn(self, stage: StageSpec, outcome: str, by: str, now: datetime) -> None:
        """A resolution at a stage the pack learns from: record it and tell those roles."""
        if not stage.learning_notify or not workflow.patched(PATCH_LEARNING):
            return
        pack = self._pack_()
        item = LearningItem(
            at=now,
            stage_id=stage.id,
            stage_title=stage.title,
            ladder_id=self._ladder_().id,
            outcome=outcome,
            by=by,
            notified=[pack.role_title(r) for r in stage.learning_notify],
        )
        self._learning.append(item)
        self._record(
            "learning_item",
            stage_id=stage.id,
            actor=by,
            text=outcome,
            data={"notify": ", ".join(stage.learning_notify)},
        )
        self._notify(
            "learning_item",
            f"Learning item: resolved at {stage.title}",
            stage.learning_notify,
            [],
            [
                f"A disagreement about case {self._req.case_reference} was resolved at "
                f"{stage.title}. The procedure asks for the learning from it.",
                f"Agreed outcome: {outcome}",
                f"Nature of the disagreement: {self._req.nature}",
                f"Raised by {self._req.raising_agency} with {self._req.receiving_agency}.",
            ],
        )

    def _announce_reports(self) -> None:
        """Tell the first stage's holders when the conference reports are due."""
        plan, conference, stage = self._reports, self._req.conference, self._current
        assert plan is not None and conference is not None and stage is not None
        self._reports_reminder = next((r.at for r in plan.reminders if r.at > workflow.now()), None)
        self._record(
            "conference_reports_due",
            stage_id=stage.id,
            due_at=plan.due_at,
            text=f"{conference.kind} conference at {plan.start.isoformat()}",
            data={"working_days_before": str(plan.working_days)},
        )
        self._notify(
            "conference_reports_due",
            f"Conference reports due by {local_text(plan.due_at)}",
            stage.holders,
            stage.copied,
            reports_lines(conference.kind, plan.start, plan.due_at, plan.working_days),
            due_at=plan.due_at,
        )

    def _remind_reports(self) -> None:
        """The morning the reports are due, if the case is still open."""
        plan, conference, stage = self._reports, self._req.conference, self._current
        assert plan is not None and conference is not None and stage is not None
        self._record(
            "reminder",
            stage_id=stage.id,
            due_at=plan.due_at,
            text="conference_reports",
            data={"step": "conference_reports_reminder"},
        )
        self._notify(
            "reminder",
            f"Reminder: conference reports due today by {local_text(plan.due_at)}",
            stage.holders,
            [],
            reports_lines(conference.kind, plan.start, plan.due_at, plan.working_days),
            due_at=plan.due_at,
        )

    # ------------------------------------------------------------ decisions

    async def _apply(self, inbound: _Inbound) -> None:
        """Apply one decision, or refuse it with the reason (never fail the workflow)."""
        kind, d = inbound.kind, inbound.decision
        error = self._refusal(kind, d)
        change: DeadlinePlan | None = None
        if error is None and isinstance(d, ShortenTimescale):
            change, error = await self._shortened(d)
        if error is not None:
            self._reject(kind, d.model_dump_json(), error)
            if inbound.reply is not None:
                inbound.reply.set_exception(ApplicationError(error, type="DecisionRefused"))
            return
        now = workflow.now()
        if isinstance(d, Resolved):
            await self._resolve(d, now)
        elif isinstance(d, Unresolved):
            self._record(
                "decision",
                stage_id=self._stage_id(),
                actor=d.by,
                text=d.reason,
                data={"decision": "unresolved"},
            )
            above = next_stage(self._ladder_(), self._stage_id() or "")
            assert above is not None
            self._leave("unresolved", d.by, d.reason, now)
            await self._enter(above, now)
        elif isinstance(d, Confirmed):
            self._confirm(d, now)
        elif isinstance(d, ImmediateRisk):
            await self._declare_risk(d, now)
        elif isinstance(d, ShortenTimescale) and change is not None:
            self._apply_shortening(d, change, now)
        elif isinstance(d, ConferenceReconvened):
            await self._reconvened(d, now)
        if inbound.reply is not None:
            inbound.reply.set_result(self._receipt(f"{kind} accepted"))

    def _refusal(self, kind: DecisionKind, d: Decision) -> str | None:
        position = Position(self._state, self._stage_id(), adjourned=self._adjourned)
        error = check_decision(kind, position, self._ladder_(), d.stage)
        if error is None and isinstance(d, ConferenceReconvened):
            error = check_reconvened(d, self._ladder_(), self._stage_id() or "")
        return error

    async def _resolve(self, d: Resolved, now: datetime) -> None:
        stage = self._current
        assert stage is not None
        self._outcome, self._resolved_at = d, now
        self._record(
            "decision",
            stage_id=stage.id,
            actor=d.by,
            text=d.outcome,
            data={"decision": "resolved", "outstanding": d.outstanding or ""},
        )
        self._leave("resolved", d.by, d.outcome, now)
        self._plan = None
        self._learn(stage, d.outcome, d.by, now)
        if not stage.requires_confirmation:
            self._state = "closed"
            return
        self._state = "resolved"
        days = self._pack_().confirmation_days(stage)
        self._confirmation = await self._plan_from(now, days)
        confirmer = stage.confirmer or stage.holders[-1]
        self._record(
            "confirmation_due",
            stage_id=stage.id,
            due_at=self._confirmation.due_at,
            actor=confirmer,
            state="resolved",
        )
        self._notify(
            "resolved",
            f"Resolved at {stage.title}: confirm in writing by "
            f"{local_text(self._confirmation.due_at)}",
            [confirmer],
            self._raising_side(stage),
            [
                f"Agreed outcome: {d.outcome}",
                *(
                    [f"Outstanding issues will be pursued by: {d.outstanding}"]
                    if d.outstanding
                    else []
                ),
                f"{self._holder_text(confirmer)} confirms the outcome in writing to the raising "
                f"side by {local_text(self._confirmation.due_at)}, then sends 'confirmed'.",
            ],
            due_at=self._confirmation.due_at,
        )

    def _confirm(self, d: Confirmed, now: datetime) -> None:
        self._confirmed_at = now
        stage_id = self._stages[-1].stage_id if self._stages else None
        late = self._confirmation is not None and now > self._confirmation.due_at
        self._confirmation_late = self._confirmation_late or late
        self._record(
            "confirmed",
            stage_id=stage_id,
            actor=d.by,
            text=d.text,
            data={"late": str(late).lower()},
        )
        self._state = "closed"

    def _confirmation_overdue(self) -> None:
        stage = self._stages[-1]
        spec = self._ladder_().stages[stage.index]
        confirmer = spec.confirmer or spec.holders[-1]
        assert self._confirmation is not None
        self._record(
            "confirmation_late",
            stage_id=stage.stage_id,
            actor=confirmer,
            due_at=self._confirmation.due_at,
        )
        self._notify(
            "confirmation_late",
            f"Written confirmation overdue since {local_text(self._confirmation.due_at)}",
            [confirmer],
            self._raising_side(spec),
            [
                f"The outcome agreed at {spec.title} has not been confirmed in writing.",
                "Please confirm it to the raising side now and send 'confirmed'. "
                "The lateness has been recorded.",
            ],
            due_at=self._confirmation.due_at,
        )

    async def _declare_risk(self, d: ImmediateRisk, now: datetime) -> None:
        self._immediate_risk = True
        target = immediate_risk_target(self._ladder_(), self._stage_id())
        self._record("immediate_risk", stage_id=self._stage_id(), actor=d.by, text=d.reason)
        if target is not None:
            self._leave("immediate_risk", d.by, d.reason, now)
            await self._enter(target, now)
            return
        stage = self._current
        assert stage is not None
        self._notify(
            "immediate_risk",
            f"Immediate risk of significant harm declared at {stage.title}",
            stage.holders,
            stage.copied,
            [
                f"{d.by} reports an immediate risk of significant harm: {d.reason}",
                "Act now to protect the child; the deadline stands unless it is shortened.",
            ],
            due_at=self._plan.due_at if self._plan else None,
        )

    async def _shortened(self, d: ShortenTimescale) -> tuple[DeadlinePlan | None, str | None]:
        """The stage's new plan, or why the request is refused (it may never lengthen)."""
        stage, plan = self._current, self._plan
        assert stage is not None and plan is not None
        days = stage_working_days(self._pack_(), stage, self._child_cap)
        if d.working_days is not None:
            days = min(days, d.working_days)
        new = await self._plan_from(plan.start, days, reminders=True, not_after=d.due_at)
        if new.due_at >= plan.due_at:
            field = "due_at" if d.due_at is not None else "working_days"
            return None, (
                f"{field}: a timescale can only be shortened; the new deadline "
                f"{new.due_at.isoformat()} is not earlier than the current deadline "
                f"{plan.due_at.isoformat()}"
            )
        if new.due_at <= workflow.now():
            return None, (
                f"the shortened deadline {new.due_at.isoformat()} has already passed; "
                "send 'unresolved' to escalate now"
            )
        return new, None

    def _apply_shortening(self, d: ShortenTimescale, new: DeadlinePlan, now: datetime) -> None:
        stage, old = self._current, self._plan
        assert stage is not None and old is not None
        if d.working_days is not None:
            self._child_cap = min(self._child_cap or d.working_days, d.working_days)
        self._plan = new
        if self._adjourned:
            self._reconvene_due = new.due_at
        self._reminders = [r for r in new.reminders if r.at > now]
        entry = self._stages[-1]
        entry.due_at, entry.capped = new.due_at, True
        entry.timescale_working_days = min(entry.timescale_working_days, new.working_days)
        self._changes.append(
            DeadlineChange(
                at=now,
                stage_id=stage.id,
                old_due_at=old.due_at,
                new_due_at=new.due_at,
                by=d.by,
                reason=d.reason,
            )
        )
        self._record(
            "deadline_changed",
            stage_id=stage.id,
            actor=d.by,
            text=d.reason,
            due_at=new.due_at,
            data={"old_due_at": old.due_at.isoformat()},
        )
        self._notify(
            "deadline_changed",
            f"Deadline brought forward to {local_text(new.due_at)}",
            stage.holders,
            stage.copied,
            [
                f"{d.by} shortened the timescale to protect the child: {d.reason}",
                f"Previous deadline: {local_text(old.due_at)}.",
            ],
            due_at=new.due_at,
        )

    def _finish(self) -> None:
        self._record(
            "closed",
            stage_id=self._stages[-1].stage_id,
            state="closed",
            text=self._outcome.outcome if self._outcome else None,
        )
        stage = self._ladder_().stages[self._stages[-1].index]
        self._notify(
            "closed",
            "Disagreement closed",
            self._raising_side(stage) or stage.holders,
            [r for r in stage.holders if r not in self._raising_side(stage)],
            [
                f"Agreed outcome: {self._outcome.outcome if self._outcome else '(none recorded)'}",
                "Place this record on the child's file.",
            ],
        )

    # ------------------------------------------------------- handlers (in)

    @workflow.signal(name="resolved")
    def resolved_signal(self, payload: RawValue) -> None:
        """Fire-and-forget ``resolved`` ({"by", "outcome"}); malformed ones are recorded."""
        self._receive("resolved", payload)

    @workflow.signal(name="unresolved")
    def unresolved_signal(self, payload: RawValue) -> None:
        """Fire-and-forget ``unresolved`` ({"by", "reason"})."""
        self._receive("unresolved", payload)

    @workflow.signal(name="confirmed")
    def confirmed_signal(self, payload: RawValue) -> None:
        """Fire-and-forget written confirmation ({"by", "text"})."""
        self._receive("confirmed", payload)

    @workflow.signal(name="immediate_risk")
    def immediate_risk_signal(self, payload: RawValue) -> None:
        """Fire-and-forget immediate risk ({"by", "reason"})."""
        self._receive("immediate_risk", payload)

    @workflow.signal(name="timescale_shortened")
    def shorten_signal(self, payload: RawValue) -> None:
        """Fire-and-forget shortening ({"by", "reason", "working_days" | "due_at"})."""
        self._receive("shorten_timescale", payload)

    @workflow.signal(name="conference_reconvened")
    def conference_reconvened_signal(self, payload: RawValue) -> None:
        """Fire-and-forget reconvened conference ({"by", "outcome", "text", ...})."""
        self._receive("conference_reconvened", payload)

    @workflow.update(name="reconvene_conference")
    async def reconvene_conference(self, d: ConferenceReconvened) -> DecisionReceipt:
        """Acknowledged reconvened conference; refused unless a conference is adjourned."""
        return await self._submit("conference_reconvened", d)

    @reconvene_conference.validator
    def _validate_reconvene(self, d: ConferenceReconvened) -> None:
        self._validate("conference_reconvened", d)

    @workflow.update(name="resolve")
    async def resolve(self, d: Resolved) -> DecisionReceipt:
        """Acknowledged ``resolved``: the answer says whether the workflow accepted it."""
        return await self._submit("resolved", d)

    @resolve.validator
    def _validate_resolve(self, d: Resolved) -> None:
        self._validate("resolved", d)

    @workflow.update(name="unresolve")
    async def unresolve(self, d: Unresolved) -> DecisionReceipt:
        """Acknowledged ``unresolved``."""
        return await self._submit("unresolved", d)

    @unresolve.validator
    def _validate_unresolve(self, d: Unresolved) -> None:
        self._validate("unresolved", d)

    @workflow.update(name="confirm")
    async def confirm(self, d: Confirmed) -> DecisionReceipt:
        """Acknowledged written confirmation."""
        return await self._submit("confirmed", d)

    @confirm.validator
    def _validate_confirm(self, d: Confirmed) -> None:
        self._validate("confirmed", d)

    @workflow.update(name="raise_immediate_risk")
    async def raise_immediate_risk(self, d: ImmediateRisk) -> DecisionReceipt:
        """Acknowledged immediate risk."""
        return await self._submit("immediate_risk", d)

    @raise_immediate_risk.validator
    def _validate_risk(self, d: ImmediateRisk) -> None:
        self._validate("immediate_risk", d)

    @workflow.update(name="shorten_timescale")
    async def shorten_timescale(self, d: ShortenTimescale) -> DecisionReceipt:
        """Acknowledged shortening; a lengthening is refused with the reason."""
        return await self._submit("shorten_timescale", d)

    @shorten_timescale.validator
    def _validate_shorten(self, d: ShortenTimescale) -> None:
        self._validate("shorten_timescale", d)
        plan = self._plan
        if d.due_at is not None and plan is not None and d.due_at >= plan.due_at:
            raise ApplicationError(
                f"due_at: a timescale can only be shortened; {d.due_at.isoformat()} is not "
                f"earlier than the current deadline {plan.due_at.isoformat()}",
                type="DecisionRefused",
            )

    @workflow.query(name="status")
    def status(self) -> DisagreementStatus:
        """The case as it stands: stages, deadlines, decisions and refused inputs."""
        return self._status()

    def _receive(self, kind: DecisionKind, payload: RawValue) -> None:
        model = DECISION_MODELS[kind]
        try:
            decision = workflow.payload_converter().from_payload(payload.payload, model)
            if not isinstance(decision, model):
                raise TypeError(f"expected a JSON object for {kind}")
        except (ValidationError, TypeError, ValueError, RuntimeError) as exc:
            raw = payload.payload.data.decode("utf-8", errors="replace")
            self._reject(kind, raw, _explain(exc))
            return
        self._inbox.append(_Inbound(kind, decision))

    def _validate(self, kind: DecisionKind, d: Decision) -> None:
        if self._ladder is None:
            # Still opening (pack and deadlines loading): accept now, judge when applied.
            return
        if (error := self._refusal(kind, d)) is not None:
            raise ApplicationError(error, type="DecisionRefused")

    async def _submit(self, kind: DecisionKind, d: Decision) -> DecisionReceipt:
        reply: asyncio.Future[DecisionReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(_Inbound(kind, d, reply))
        return await reply

    def _reject(self, name: str, payload: str, error: str) -> None:
        workflow.logger.warning("refused %s: %s", name, error)
        self._rejected.append(
            RejectedInput(at=workflow.now(), name=name, error=error, payload=truncate(payload))
        )
        self._record(
            "rejected_input",
            stage_id=self._stage_id(),
            text=f"{name}: {error}",
            data={"payload": truncate(payload)},
        )

    # ------------------------------------------------------ side effects

    async def _plan_from(
        self,
        start: datetime,
        days: int,
        pack: PolicyPack | None = None,
        *,
        reminders: bool = False,
        not_after: datetime | None = None,
        direction: Literal["after", "before"] = "after",
    ) -> DeadlinePlan:
        calendar = (pack or self._pack_()).calendar
        return await steps.plan_deadline(
            DeadlineRequest(
                calendar=calendar,
                start=start,
                working_days=days,
                reminders=reminders,
                not_after=not_after,
                direction=direction,
            )
        )

    def _next_key(self, prefix: str) -> str:
        # Workflow id, not run id: a retried or replayed step maps to the same row or email.
        self._seq += 1
        return f"{workflow.info().workflow_id}/{prefix}-{self._seq:04d}"

    def _record(
        self,
        kind: StepKind,
        *,
        stage_id: str | None = None,
        actor: str | None = None,
        text: str | None = None,
        due_at: datetime | None = None,
        state: str | None = None,
        data: dict[str, str] | None = None,
    ) -> None:
        """Queue a record row; the recorder writes rows in order beside the timeline."""
        self._records.append(
            StepRecord(
                key=self._next_key("step"),
                workflow_id=workflow.info().workflow_id,
                case_reference=self._req.case_reference,
                kind=kind,
                at=workflow.now(),
                stage_id=stage_id,
                actor=actor,
                text=text,
                due_at=due_at,
                state=state,
                current_stage=self._stage_id() if state is not None else None,
                data=data or {},
            )
        )

    async def _recorder(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._records) or not self._recording)
            if not self._records:
                return
            item = self._records.pop(0)
            if isinstance(item, DisagreementRecord):
                await steps.open_record(item)
            else:
                await steps.record_step(item)

    def _notify(
        self,
        kind: NotificationKind,
        headline: str,
        to_roles: list[str],
        cc_roles: list[str],
        lines: list[str],
        due_at: datetime | None = None,
    ) -> None:
        """Send an email beside the timeline; a failure is recorded, never fatal."""
        pack = self._pack_()
        to = [p for r in dict.fromkeys(to_roles) if (p := self._req.person(r)) is not None]
        cc = [
            p
            for r in dict.fromkeys(cc_roles)
            if r not in to_roles and (p := self._req.person(r)) is not None
        ]
        missing = [r for r in dict.fromkeys(to_roles) if self._req.person(r) is None]
        if missing:
            self._failures.append(f"{kind}: nobody named for {', '.join(missing)}")
        # Roles with nobody named go by reference: the email activity looks them up in the
        # partnership's contact directory (by agency for a side's role).
        unfilled_cc = [
            r for r in dict.fromkeys(cc_roles) if r not in to_roles and self._req.person(r) is None
        ]
        stage = self._current
        n = Notification(
            key=self._next_key("mail"),
            workflow_id=workflow.info().workflow_id,
            case_reference=self._req.case_reference,
            kind=kind,
            procedure_title=pack.title,
            partnership=pack.partnership,
            stage_title=stage.title if stage else None,
            headline=headline,
            lines=lines,
            due_at=due_at,
            timezone=pack.calendar.timezone,
            to=to,
            cc=cc,
            unfilled_to=missing,
            unfilled_cc=unfilled_cc,
            raising_agency=self._req.raising_agency,
            receiving_agency=self._req.receiving_agency,
            business_manager=self._req.person("partnership.business_manager"),
        )
        self._sends.append(asyncio.create_task(self._send(n)))

    async def _send(self, n: Notification) -> None:
        try:
            await steps.send_notification(n)
        except ActivityError as exc:
            cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc)
            self._failures.append(f"{n.kind} ({n.key}): {cause}")

    # ------------------------------------------------------------- views

    def _pack_(self) -> PolicyPack:
        assert self._pack is not None, "pack not loaded yet"
        return self._pack

    def _ladder_(self) -> LadderSpec:
        assert self._ladder is not None, "ladder not chosen yet"
        return self._ladder

    def _stage_id(self) -> str | None:
        return self._current.id if self._current is not None else None

    def _holder_text(self, role: str) -> str:
        title = self._pack_().role_title(role)
        person = self._req.person(role)
        return f"{title} ({person.name})" if person else title

    def _raising_side(self, stage: StageSpec) -> list[str]:
        return [r for r in stage.holders + stage.copied if r.startswith("raising.")]

    def _disagreement_record(self) -> DisagreementRecord:
        req, pack = self._req, self._pack_()
        assert self._raised_at is not None
        return DisagreementRecord(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=pack.id,
            ladder=self._ladder_().id,
            partnership=pack.partnership,
            raising_agency=req.raising_agency,
            receiving_agency=req.receiving_agency,
            nature=req.nature,
            risk_to_child=req.risk_to_child,
            aim=req.aim,
            raised_at=self._raised_at,
            raised_late=self._raised_late,
            immediate_risk=req.immediate_risk,
        )

    def _receipt(self, message: str) -> DecisionReceipt:
        due = (
            self._confirmation.due_at if self._state == "resolved" and self._confirmation else None
        )
        if self._state == "open" and self._plan is not None:
            due = self._plan.due_at
        return DecisionReceipt(
            state=self._state, stage=self._stage_id(), message=message, due_at=due
        )

    def _status(self) -> DisagreementStatus:
        req, pack = self._req, self._pack
        first_contact = self._stages[0].first_contact_due_at if self._stages else None
        return DisagreementStatus(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=req.procedure,
            procedure_title=pack.title if pack else req.procedure,
            partnership=pack.partnership if pack else "",
            ladder=self._ladder.id if self._ladder else (req.ladder or ""),
            state=self._state,
            current_stage=self._stage_id() if self._state == "open" else None,
            current_stage_title=self._current.title
            if self._current and self._state == "open"
            else None,
            stages=[s.model_copy() for s in self._stages],
            raised_at=self._raised_at or workflow.now(),
            raise_due_at=self._raise_due_at,
            raised_late=self._raised_late,
            first_contact_due_at=first_contact,
            immediate_risk=self._immediate_risk,
            child_timescale_working_days=self._child_cap,
            outcome=self._outcome.outcome if self._outcome else None,
            resolved_at=self._resolved_at,
            resolved_by=self._outcome.by if self._outcome else None,
            confirmation_due_at=self._confirmation.due_at if self._confirmation else None,
            confirmed_at=self._confirmed_at,
            confirmation_late=self._confirmation_late,
            deadline_changes=list(self._changes),
            conference=req.conference,
            conference_reports_due_at=self._reports.due_at if self._reports else None,
            interim_position=self._interim,
            reconvene_due_at=self._reconvene_due,
            adjournment_breached=self._breached,
            conference_outcome=(
                self._conference_outcome.outcome if self._conference_outcome else None
            ),
            learning_items=[item.model_copy() for item in self._learning],
            rejected_inputs=list(self._rejected),
            notification_failures=list(self._failures),
        )


def _explain(exc: Exception) -> str:
    """A short, field-naming explanation of why a payload was refused."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc) or type(exc).__name__
