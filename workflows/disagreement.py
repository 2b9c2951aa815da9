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

This module holds the timeline (run, waiting, deadlines firing), the decisions and
the handlers. The shared state and stage steps are in ``workflows.case``, the
conference loop in ``workflows.conference``, the calendar change in
``workflows.recalendar``. From 1.0 on, a change of path follows CONTRIBUTING.md's replay
rule (``workflows.patches`` holds the ids).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.calendar import (
        CalendarChange,
        CalendarReceipt,
        DeadlinePlan,
    )
    from models.decisions import (
        AgreeTimescale,
        ConferenceReconvened,
        Confirmed,
        Decision,
        DecisionReceipt,
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
    from workflows import continuation, steps
    from workflows.agreements import AgreementSteps
    from workflows.case import CalendarInbound, Inbound
    from workflows.conference import ConferenceSteps
    from workflows.inputs import decode, shown, start_input, unreadable_start
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
    from workflows.recalendar import CalendarSteps
    from workflows.search_attributes import attribute_updates, current_details
    from workflows.text import (
        local_text,
    )

DECISION_MODELS: dict[DecisionKind, type[Decision]] = {
    "resolved": Resolved,
    "unresolved": Unresolved,
    "confirmed": Confirmed,
    "immediate_risk": ImmediateRisk,
    "shorten_timescale": ShortenTimescale,
    "conference_reconvened": ConferenceReconvened,
    "agree_timescale": AgreeTimescale,
    "refer_directly": ReferDirectly,
    "milestone_met": MilestoneMet,
}


@workflow.defn(name="Disagreement")
class DisagreementWorkflow(ConferenceSteps, CalendarSteps, AgreementSteps, MilestoneSteps):
    """A disagreement climbing its procedure's ladder until resolved and confirmed."""

    @workflow.init
    def __init__(self, start: RawValue) -> None:
        req, self._start_error = start_input(start, StartDisagreement)
        super().__init__(req)

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, start: RawValue) -> DisagreementStatus:
        """Open the case, climb the ladder, wait for the written confirmation.

        A run started by the case's own continue-as-new takes up where the last run
        stopped (the state was restored in ``__init__``) instead of opening the case.
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
        await self._climb()
        await self._await_confirmation()
        if self._inbox:
            # Decisions queued behind the one that closed the case: refuse each with
            # the reason, so no caller waits for ever on an update that cannot apply.
            while self._inbox:
                await self._apply(self._inbox.pop(0))
        self._finish()
        self._publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._recording = False
        await asyncio.gather(*self._sends)
        await recorder
        return self._status()

    async def _open(self, req: StartDisagreement) -> asyncio.Task[None]:
        """Check the request, open the case at its first stage; the recorder's task."""
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
        self._publish()
        # Started once stage 1 is entered: the case opens in one record write (its row,
        # 'opened' and 'stage_entered' together).
        return asyncio.create_task(self._recorder())

    async def _climb(self) -> None:
        """Wait on the current stage for a decision, a reminder or the deadline."""
        while self._state == "open":
            await self._continue_if_due()
            await self._wait_until(self._next_wake())
            if self._inbox:
                await self._apply(self._inbox.pop(0))
            else:
                await self._on_time(workflow.now())
            self._publish()

    async def _await_confirmation(self) -> None:
        """Wait for the written confirmation; remind and record it if it is late."""
        while self._state == "resolved":
            await self._continue_if_due()
            wake = None
            if self._confirmation and not self._confirmation_late:
                wake = self._confirmation.due_at
            await self._wait_until(wake)
            if self._inbox:
                await self._apply(self._inbox.pop(0))
            elif self._confirmation and workflow.now() >= self._confirmation.due_at:
                self._confirmation_late = True
                self._confirmation_overdue()
            self._publish()

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

    def _publish(self) -> None:
        """Keep what an admin sees in the Web UI current: search attributes and details.

        Called after every step.
        """
        status = self._status()
        workflow.upsert_search_attributes(attribute_updates(status, workflow.now()))
        workflow.set_current_details(
            current_details(status, self._pack_().calendar.timezone, len(self._ladder_().stages))
        )

    # ------------------------------------------------------------ decisions

    async def _apply(self, inbound: Inbound | CalendarInbound) -> None:
        """Apply one decision, or refuse it with the reason (never fail the workflow)."""
        if isinstance(inbound, CalendarInbound):
            await self._recalendar(inbound)
            return
        kind, d = inbound.kind, inbound.decision
        error = self._refusal(kind, d)
        change: DeadlinePlan | None = None
        if error is None and isinstance(d, ShortenTimescale):
            change, error = await self._shortened(d)
        elif error is None and isinstance(d, AgreeTimescale):
            change, error = await self._agreed_plan(d)
        if error is not None:
            self._reject(kind, d.model_dump_json(), error)
            if inbound.reply is not None:
                inbound.reply.set_exception(
                    ApplicationError(error, type="DecisionRefused", non_retryable=True)
                )
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
        elif isinstance(d, AgreeTimescale) and change is not None:
            self._apply_agreement(d, change, now)
        elif isinstance(d, ReferDirectly):
            await self._refer(d, now)
        elif isinstance(d, MilestoneMet):
            self._milestone_met(d, now)
        if inbound.reply is not None:
            inbound.reply.set_result(self._receipt(f"{kind} accepted"))

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
        assert stage is not None
        figure = self._figure_now(stage)
        if plan is None or figure is None:
            return None, (
                "this stage has no deadline yet: its timescale is agreed on the case; "
                "send 'agree_timescale'"
            )
        new = await self._stage_plan(
            plan.start, stage, figure, cap_days=d.working_days, not_after=d.due_at
        )
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
        old = self._plan
        assert old is not None
        if d.working_days is not None:
            self._child_cap = min(self._child_cap or d.working_days, d.working_days)
        if d.due_at is not None:
            # Kept for the stage's life so a calendar change cannot lengthen past it.
            self._not_after = min(self._not_after or d.due_at, d.due_at)
        if self._adjourned:
            self._reconvene_due = new.due_at
        entry = self._stages[-1]
        entry.capped = True
        entry.timescale_working_days = min(entry.timescale_working_days, new.working_days)
        self._deadline_moved(
            old,
            new,
            d.by,
            d.reason,
            f"Deadline brought forward to {local_text(new.due_at)}",
            [f"{d.by} shortened the timescale to protect the child: {d.reason}"],
            {},
        )

    def _finish(self) -> None:
        self._record_refusal_summary()
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

    @workflow.signal(name="milestone_met")
    def milestone_met_signal(self, payload: RawValue) -> None:
        """Fire-and-forget milestone met ({"by", "milestone", "text"?})."""
        self._receive("milestone_met", payload)

    @workflow.update(name="milestone_met")
    async def milestone_met(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged milestone met; refused for a milestone the stage does not have."""
        return await self._submit("milestone_met", self._parse("milestone_met", payload))

    @milestone_met.validator
    def _validate_milestone(self, payload: RawValue) -> None:
        d = self._parse("milestone_met", payload)
        self._validate("milestone_met", d)

    @workflow.signal(name="agree_timescale")
    def agree_timescale_signal(self, payload: RawValue) -> None:
        """Fire-and-forget agreed timescale ({"by", "reason", "working_days" | "due_at"})."""
        self._receive("agree_timescale", payload)

    @workflow.signal(name="refer_directly")
    def refer_directly_signal(self, payload: RawValue) -> None:
        """Fire-and-forget direct route ({"by", "route", "reason"})."""
        self._receive("refer_directly", payload)

    @workflow.update(name="agree_timescale")
    async def agree_timescale(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged agreed timescale; refused unless the stage's timescale is per case."""
        return await self._submit("agree_timescale", self._parse("agree_timescale", payload))

    @agree_timescale.validator
    def _validate_agree(self, payload: RawValue) -> None:
        d = self._parse("agree_timescale", payload)
        self._validate("agree_timescale", d)

    @workflow.update(name="refer_directly")
    async def refer_directly(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged direct route; any route the pack does not give is refused."""
        return await self._submit("refer_directly", self._parse("refer_directly", payload))

    @refer_directly.validator
    def _validate_refer(self, payload: RawValue) -> None:
        d = self._parse("refer_directly", payload)
        self._validate("refer_directly", d)

    @workflow.update(name="reconvene_conference")
    async def reconvene_conference(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged reconvened conference; refused unless a conference is adjourned."""
        decision = self._parse("conference_reconvened", payload)
        return await self._submit("conference_reconvened", decision)

    @reconvene_conference.validator
    def _validate_reconvene(self, payload: RawValue) -> None:
        d = self._parse("conference_reconvened", payload)
        self._validate("conference_reconvened", d)

    @workflow.update(name="resolve")
    async def resolve(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged ``resolved``: the answer says whether the workflow accepted it."""
        return await self._submit("resolved", self._parse("resolved", payload))

    @resolve.validator
    def _validate_resolve(self, payload: RawValue) -> None:
        d = self._parse("resolved", payload)
        self._validate("resolved", d)

    @workflow.update(name="unresolve")
    async def unresolve(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged ``unresolved``."""
        return await self._submit("unresolved", self._parse("unresolved", payload))

    @unresolve.validator
    def _validate_unresolve(self, payload: RawValue) -> None:
        d = self._parse("unresolved", payload)
        self._validate("unresolved", d)

    @workflow.update(name="confirm")
    async def confirm(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged written confirmation."""
        return await self._submit("confirmed", self._parse("confirmed", payload))

    @confirm.validator
    def _validate_confirm(self, payload: RawValue) -> None:
        d = self._parse("confirmed", payload)
        self._validate("confirmed", d)

    @workflow.update(name="raise_immediate_risk")
    async def raise_immediate_risk(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged immediate risk."""
        return await self._submit("immediate_risk", self._parse("immediate_risk", payload))

    @raise_immediate_risk.validator
    def _validate_risk(self, payload: RawValue) -> None:
        d = self._parse("immediate_risk", payload)
        self._validate("immediate_risk", d)

    @workflow.update(name="shorten_timescale")
    async def shorten_timescale(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged shortening; a lengthening is refused with the reason."""
        return await self._submit("shorten_timescale", self._parse("shorten_timescale", payload))

    @shorten_timescale.validator
    def _validate_shorten(self, payload: RawValue) -> None:
        d = self._parse("shorten_timescale", payload)
        self._validate("shorten_timescale", d)
        assert isinstance(d, ShortenTimescale)
        plan = self._plan
        if d.due_at is not None and plan is not None and d.due_at >= plan.due_at:
            raise ApplicationError(
                f"due_at: a timescale can only be shortened; {d.due_at.isoformat()} is not "
                f"earlier than the current deadline {plan.due_at.isoformat()}",
                type="DecisionRefused",
                non_retryable=True,
            )

    @workflow.update(name="change_calendar")
    async def change_calendar(self, payload: RawValue) -> CalendarReceipt:
        """Re-project pending deadlines onto a changed calendar (closure days, new holidays)."""
        c = decode(payload, CalendarChange)
        reply: asyncio.Future[CalendarReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(CalendarInbound(c, reply))
        return await reply

    @change_calendar.validator
    def _validate_calendar(self, payload: RawValue) -> None:
        decode(payload, CalendarChange)
        if self._state == "closed":
            raise ApplicationError(
                "the case is closed; its deadlines are final and a calendar change "
                "cannot reopen them",
                type="DecisionRefused",
                non_retryable=True,
            )

    @workflow.query(name="status")
    def status(self) -> DisagreementStatus:
        """The case as it stands: stages, deadlines, decisions and refused inputs."""
        return self._status()

    def _receive(self, kind: DecisionKind, payload: RawValue) -> None:
        try:
            decision = self._parse(kind, payload)
        except ApplicationError as exc:
            self._reject(kind, shown(payload), exc.message)
            return
        self._inbox.append(Inbound(kind, decision))

    def _parse(self, kind: DecisionKind, payload: RawValue) -> Decision:
        """The decision in ``payload``, or a refusal naming each bad field and why.

        Signals and updates take the raw payload so that a malformed one from any
        client is answered with the field and the reason, not a decoding failure.
        """
        return decode(payload, DECISION_MODELS[kind])

    def _validate(self, kind: DecisionKind, d: Decision) -> None:
        if self._ladder is None:
            # Still opening (pack and deadlines loading): accept now, judge when applied.
            return
        if (error := self._refusal(kind, d)) is not None:
            raise ApplicationError(error, type="DecisionRefused", non_retryable=True)

    async def _submit(self, kind: DecisionKind, d: Decision) -> DecisionReceipt:
        reply: asyncio.Future[DecisionReceipt] = asyncio.get_running_loop().create_future()
        self._inbox.append(Inbound(kind, d, reply))
        return await reply
