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

This module holds the timeline (what is due when, deadlines firing) and what each
decision means. What every case does (the run's shape, the inbox, record, mail,
hand-over) is in ``workflows.kernel``; the state and views in ``workflows.case``; the
stage steps in ``workflows.stages``; the handlers in ``workflows.decision_handlers``;
the conference loop in ``workflows.conference``; the calendar change in
``workflows.recalendar``. From 1.0 on, a change of path follows CONTRIBUTING.md's replay
rule (``workflows.patches`` holds the ids).
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.calendar import (
        DeadlinePlan,
    )
    from models.decisions import (
        AgreeTimescale,
        ConferenceReconvened,
        Confirmed,
        Decision,
        ImmediateRisk,
        MilestoneMet,
        ReferDirectly,
        Resolved,
        ShortenTimescale,
        Unresolved,
    )
    from models.start import StartDisagreement
    from models.status import (
        DisagreementStatus,
    )
    from workflows import steps
    from workflows.agreements import AgreementSteps
    from workflows.conference import ConferenceSteps
    from workflows.decision_handlers import DECISION_MODELS, DecisionHandlers
    from workflows.inputs import start_input
    from workflows.ladder import (
        DecisionKind,
        Position,
        check_decision,
        check_reconvened,
        immediate_risk_target,
        is_adjournment,
        next_stage,
        raised_at_error,
        validate_start,
    )
    from workflows.milestones import MilestoneSteps
    from workflows.protection import ProtectionSteps
    from workflows.recalendar import CalendarSteps
    from workflows.text import (
        local_text,
    )


@workflow.defn(name="Disagreement")
class DisagreementWorkflow(
    DecisionHandlers,
    ConferenceSteps,
    CalendarSteps,
    AgreementSteps,
    MilestoneSteps,
    ProtectionSteps,
):
    """A disagreement climbing its procedure's ladder until resolved and confirmed."""

    MODELS = DECISION_MODELS
    FINAL = "the case is closed"

    @workflow.init
    def __init__(self, start: RawValue) -> None:
        super().__init__(*start_input(start, StartDisagreement))
        self._change: DeadlinePlan | None = None  # a shortening's or agreement's new plan

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, start: RawValue) -> DisagreementStatus:
        """Open the case, climb the ladder, wait for the written confirmation, close."""
        await self._lifecycle(self._req.continued is not None, self._live)
        return self._status()

    async def _live(self) -> None:
        await self._steps(lambda: self._state == "open", self._next_wake, self._on_time)
        await self._steps(
            lambda: self._state == "resolved", self._confirmation_wake, self._confirmation_due
        )

    async def _open(self) -> None:
        req = self._req
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
        if req.conference is not None and reports is not None:
            before = (
                reports.initial_working_days_before
                if req.conference.kind == "initial"
                else reports.review_working_days_before
            )
            self._reports = await self._plan_from(
                req.conference.at, before, reminders=True, direction="before"
            )
        self._records.insert(0, self._disagreement_record())
        self._record("opened", actor=req.raising_agency, text=req.nature)
        if req.immediate_risk:
            self._record("immediate_risk", stage_id=first.id, text="immediate risk at start")
        start = raised.start
        if is_adjournment(first) and req.disagreement_arose_at is not None:
            # "Adjourned ... not exceeding 15 working days" counts from the conference that
            # adjourned, not from when the case was entered: entered late, it is breached
            # at once and goes up.
            start = (await self._plan_from(req.disagreement_arose_at, 0)).start
        await self._enter(first, start)
        if self._reports is not None:
            self._announce_reports()

    def _confirmation_wake(self) -> datetime | None:
        if self._confirmation and not self._confirmation_late:
            return self._confirmation.due_at
        return None

    async def _confirmation_due(self, now: datetime) -> None:
        """The written confirmation is late: remind the confirmer, record the lateness."""
        if self._confirmation and now >= self._confirmation.due_at:
            self._confirmation_late = True
            self._confirmation_overdue()

    def _carry_request(self) -> StartDisagreement:
        return self._req.model_copy(update={"continued": self._carry()})

    def _next_wake(self) -> datetime | None:
        times = [r.at for r in self._reminders]
        if self._plan is not None and not self._overdue_sent:
            times.append(self._plan.due_at)
        if self._reports_reminder is not None:
            times.append(self._reports_reminder)
        times += self._milestone_times()
        return min(times) if times else None

    async def _on_time(self, now: datetime) -> None:
        """Fire what is due: reminders, then the stage deadline."""
        if self._reports_reminder is not None and self._reports_reminder <= now:
            self._reports_reminder = None
            self._remind_reports()
        self._milestones_due(now)
        stage, plan = self._current, self._plan
        assert stage is not None
        if plan is None:  # a per-case stage whose timescale is not agreed yet: nothing is due
            return
        for reminder in self._due_reminders(now, plan.due_at):
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

    # ------------------------------------------------------------ decisions

    async def _prepare(self, kind: DecisionKind, d: Decision) -> str | None:
        """The new deadline a shortening or an agreed timescale gives, or why it is refused."""
        self._change, error = None, None
        if isinstance(d, ShortenTimescale):
            self._change, error = await self._shortened(d)
        elif isinstance(d, AgreeTimescale):
            self._change, error = await self._agreed_plan(d)
        return error

    async def _decide(self, kind: DecisionKind, d: Decision, now: datetime) -> str:
        change = self._change
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
        elif isinstance(d, AgreeTimescale) and change is not None:
            self._apply_agreement(d, change, now)
        elif isinstance(d, ReferDirectly):
            await self._refer(d, now)
        elif isinstance(d, MilestoneMet):
            self._milestone_met(d, now)
        return f"{kind} accepted"

    def _refusal(self, kind: DecisionKind, d: Decision) -> str | None:
        position = Position(self._state, self._stage_id(), adjourned=self._adjourned)
        error = check_decision(kind, position, self._ladder_(), d.stage)
        if error is None and isinstance(d, ConferenceReconvened):
            error = check_reconvened(d, self._ladder_(), self._stage_id() or "")
        if error is None and isinstance(d, ReferDirectly):
            error = self._route_refusal(d)
        if error is None and isinstance(d, AgreeTimescale):
            error = self._agreement_refusal()
        if error is None and isinstance(d, MilestoneMet):
            error = self._milestone_refusal(d)
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
        # No figure from the document or the partnership: the confirmation is awaited
        # without a deadline rather than on an invented one.
        self._confirmation = await self._plan_from(now, days) if days is not None else None
        due = self._confirmation.due_at if self._confirmation else None
        by_when = f"by {local_text(due)}" if due else "(no deadline: none is set)"
        confirmer = stage.confirmer or stage.holders[-1]
        self._record(
            "confirmation_due",
            stage_id=stage.id,
            due_at=due,
            actor=confirmer,
            state="resolved",
        )
        self._notify(
            "resolved",
            f"Resolved at {stage.title}: confirm in writing {by_when}",
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
                f"side {by_when}, then sends 'confirmed'.",
            ],
            due_at=due,
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

    def _close(self) -> None:
        """The closing row and email, after the refusals of anything still queued."""
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
        self._publish()

    @workflow.query(name="status")
    def status(self) -> DisagreementStatus:
        """The case as it stands: stages, deadlines, decisions and refused inputs."""
        return self._status()
