"""What every part of the Disagreement workflow shares: its state, the stage steps, side effects.

``CaseCore`` holds the case (pack, ladder, stages, deadlines, the inbox of
decisions) and the steps all parts need: entering and leaving a stage, planning a
deadline in the calendar activity, queueing record rows and emails beside the
timeline, and the views (status, receipts). The conference loop
(``workflows.conference``), the calendar change (``workflows.recalendar``) and the
workflow itself (``workflows.disagreement``) build on it. Deterministic like all
workflow code: time from ``workflow.now()``, everything else from activities.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import (
        CalendarChange,
        CalendarReceipt,
        CalendarSpec,
        DeadlinePlan,
        DeadlineRequest,
        Reminder,
    )
    from models.carry import CaseCarry
    from models.decisions import (
        ConferenceReconvened,
        Decision,
        DecisionReceipt,
        Resolved,
    )
    from models.notifications import Notification, NotificationKind
    from models.pack import Figure, LadderSpec, PolicyPack, StageSpec, Unit
    from models.records import DisagreementRecord, RecordBatch, StepKind, StepRecord
    from models.start import StartDisagreement
    from models.status import (
        CaseState,
        DeadlineChange,
        DisagreementStatus,
        LearningItem,
        MilestoneStatus,
        StageOutcome,
        StageStatus,
    )
    from workflows import steps
    from workflows.calendar_change import with_closures
    from workflows.kernel import CaseKernel
    from workflows.ladder import (
        ADJOURNMENT_MAX_WORKING_DAYS,
        DecisionKind,
        Position,
        check_decision,
        is_adjournment,
        stage_figure,
    )
    from workflows.refusals import Refusals
    from workflows.text import (
        interim_position,
        local_text,
        stage_number,
    )


@dataclass
class Inbound:
    """A decision waiting to be applied; ``reply`` is set for updates."""

    kind: DecisionKind
    decision: Decision
    reply: asyncio.Future[DecisionReceipt] | None = None


@dataclass
class CalendarInbound:
    """A calendar change waiting to be applied between decisions, in arrival order."""

    change: CalendarChange
    reply: asyncio.Future[CalendarReceipt]


UNAGREED = "no timescale yet: agreed on the case (agree_timescale)"
"""A per-case stage's basis before its holders agree one."""


class CaseCore(CaseKernel):
    """The case's state and the steps every part of the workflow takes."""

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
        self._inbox: list[Inbound | CalendarInbound] = []
        self._closures: list[date] = []
        self._not_after: datetime | None = None
        self._changes: list[DeadlineChange] = []
        self._init_kernel()
        self._adjourned = False
        self._interim: str | None = None
        self._reconvene_due: datetime | None = None
        self._breached = False
        self._conference_outcome: ConferenceReconvened | None = None
        self._reports: DeadlinePlan | None = None
        self._reports_reminder: datetime | None = None
        self._learning: list[LearningItem] = []
        self._agreed: Figure | None = None
        self._milestone_reminders: list[tuple[str, datetime]] = []
        if req.continued is not None:
            self._restore(req.continued)

    # ------------------------------------------------------ continue as new

    def _restore(self, c: CaseCarry) -> None:
        """Take up the state the previous run handed over (``models/carry.py``)."""
        self._runs = c.runs
        self._pack, self._ladder = c.pack, c.pack.ladder(c.ladder)
        self._state, self._stages = c.state, list(c.stages)
        self._current = next((s for s in self._ladder.stages if s.id == c.current), None)
        self._plan, self._reminders, self._overdue_sent = c.plan, list(c.reminders), c.overdue_sent
        self._child_cap, self._immediate_risk = c.child_cap, c.immediate_risk
        self._raised_at, self._raise_due_at, self._raised_late = (
            c.raised_at,
            c.raise_due_at,
            c.raised_late,
        )
        self._outcome, self._resolved_at = c.outcome, c.resolved_at
        self._confirmation, self._confirmation_late = c.confirmation, c.confirmation_late
        self._confirmed_at = c.confirmed_at
        self._closures, self._not_after = list(c.closures), c.not_after
        self._refusals = Refusals(c.refusals)
        self._changes, self._failures = list(c.changes), list(c.failures)
        self._records = [*([c.opened] if c.opened else []), *c.steps]
        self._unsent = {n.key: n for n in c.mail}
        self._seq = c.seq
        self._adjourned, self._interim = c.adjourned, c.interim
        self._reconvene_due, self._breached = c.reconvene_due, c.breached
        self._conference_outcome = c.conference_outcome
        self._reports, self._reports_reminder = c.reports, c.reports_reminder
        self._learning = list(c.learning)
        self._agreed = c.agreed
        self._milestone_reminders = list(c.milestone_reminders)

    def _carry(self) -> CaseCarry:
        """The whole state, for the next run: what is unwritten and unsent included."""
        self._handing_over = True
        self._record_refusal_summary()
        assert self._raised_at is not None
        rows = [*self._writing, *self._records]
        opened = [r for r in rows if isinstance(r, DisagreementRecord)]
        return CaseCarry(
            runs=self._runs + 1,
            pack=self._pack_(),
            ladder=self._ladder_().id,
            state=self._state,
            stages=self._stages,
            current=self._stage_id(),
            plan=self._plan,
            reminders=self._reminders,
            overdue_sent=self._overdue_sent,
            child_cap=self._child_cap,
            immediate_risk=self._immediate_risk,
            raised_at=self._raised_at,
            raise_due_at=self._raise_due_at,
            raised_late=self._raised_late,
            outcome=self._outcome,
            resolved_at=self._resolved_at,
            confirmation=self._confirmation,
            confirmation_late=self._confirmation_late,
            confirmed_at=self._confirmed_at,
            closures=self._closures,
            not_after=self._not_after,
            refusals=self._refusals.carry(),
            changes=self._changes,
            failures=self._failures,
            opened=opened[0] if opened else None,
            steps=[r for r in rows if isinstance(r, StepRecord)],
            mail=list(self._unsent.values()),
            seq=self._seq,
            adjourned=self._adjourned,
            interim=self._interim,
            reconvene_due=self._reconvene_due,
            breached=self._breached,
            conference_outcome=self._conference_outcome,
            reports=self._reports,
            reports_reminder=self._reports_reminder,
            learning=self._learning,
            agreed=self._agreed,
            milestone_reminders=self._milestone_reminders,
        )

    def _decisions_waiting(self) -> bool:
        return bool(self._inbox)

    # -------------------------------------------------------------- stages

    async def _enter(self, stage: StageSpec, start: datetime) -> None:
        """Enter ``stage`` at ``start``: plan its deadline, record it, tell its holders.

        The deadline is the stage's own figure (the document's, or the partnership's local
        setting), or the child's shorter timescale, whichever is earlier. A stage entered
        "the same working day" or "immediately" (an immediate risk) is entered at once and
        then has its own timescale: those words describe the referral, not a deadline. A
        stage whose timescale is agreed per case and has no figure yet waits without a
        deadline until its holders agree one (``agree_timescale``).
        """
        pack, ladder = self._pack_(), self._ladder_()
        adjourned = is_adjournment(stage)
        figure = pack.figure(stage)
        if figure is None and not stage.per_case:
            figure = stage_figure(pack, stage)  # raises: validate_start let no such case in
        plan = await self._stage_plan(start, stage, figure) if figure is not None else None
        milestones = await self._plan_milestones(stage, start)
        first_contact = next((m.due_at for m in milestones if m.id == "first_contact"), None)
        index = ladder.index_of(stage.id)
        self._current, self._plan, self._overdue_sent = stage, plan, False
        self._not_after, self._agreed = None, None
        self._adjourned = adjourned
        self._reminders = [r for r in plan.reminders if r.at > workflow.now()] if plan else []
        basis = figure.words(pack.title) if figure else UNAGREED
        self._stages.append(
            StageStatus(
                stage_id=stage.id,
                title=stage.title,
                index=index,
                ladder_id=ladder.id,
                kind=stage.kind,
                holders=[self._holder_text(role) for role in stage.holders],
                entered_at=plan.start if plan else start,
                due_at=plan.due_at if plan else None,
                timescale_working_days=plan.working_days if plan else 0,
                timescale_unit=plan.unit if plan else "working_days",
                timescale_source=figure.source if figure else "unset",
                timescale_basis=basis,
                capped=plan is not None
                and figure is not None
                and (plan.capped or plan.working_days < figure.value),
                first_contact_due_at=first_contact,
                milestones=milestones,
                per_case=stage.per_case,
            )
        )
        self._record(
            "stage_entered",
            stage_id=stage.id,
            due_at=plan.due_at if plan else None,
            text=f"{stage.title}: {basis}",
            state="open",
            data={"ladder": ladder.id},
        )
        if adjourned and plan is not None:
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
        if plan is not None and figure is not None:
            shortened = plan.capped or plan.working_days < figure.value
            lines.append(
                f"Deadline: {local_text(plan.due_at)}; timescale {basis}"
                + (", shortened to protect the child." if shortened else ".")
            )
        else:
            lines.append(
                "The procedure leaves this stage's timescale to be agreed on the case: agree "
                "it and send 'agree_timescale' (working days, or a date)."
            )
        for m in milestones:
            lines.append(f"{m.title} by {local_text(m.due_at)}.")
        if stage.guidance:
            lines.append(stage.guidance)
        lines.append(
            "Reply with 'resolved' (with the agreed outcome) or 'unresolved' (with the reason)."
        )
        self._notify(
            "stage_entered",
            f"{stage.title}: action needed by {local_text(plan.due_at)}"
            if plan
            else f"{stage.title}: action needed; agree the timescale",
            stage.holders,
            stage.copied,
            lines,
            due_at=plan.due_at if plan else None,
        )

    async def _plan_milestones(self, stage: StageSpec, start: datetime) -> list[MilestoneStatus]:
        """The stage's milestones, planned (``workflows.milestones``)."""
        raise NotImplementedError

    def _deadline_moved(
        self,
        old: DeadlinePlan | None,
        new: DeadlinePlan,
        by: str,
        reason: str,
        headline: str,
        lines: list[str],
        data: dict[str, str],
    ) -> None:
        """Put the stage on ``new`` (moved by a person): the change, its row and its email."""
        stage, now = self._current, workflow.now()
        assert stage is not None
        self._plan = new
        self._reminders = [r for r in new.reminders if r.at > now]
        self._stages[-1].due_at = new.due_at
        if old is not None:
            self._changes.append(
                DeadlineChange(
                    at=now,
                    stage_id=stage.id,
                    old_due_at=old.due_at,
                    new_due_at=new.due_at,
                    by=by,
                    reason=reason,
                )
            )
            data = {**data, "old_due_at": old.due_at.isoformat()}
            lines = [*lines, f"Previous deadline: {local_text(old.due_at)}."]
        self._record(
            "deadline_changed",
            stage_id=stage.id,
            actor=by,
            text=reason,
            due_at=new.due_at,
            data=data,
        )
        self._notify(
            "deadline_changed", headline, stage.holders, stage.copied, lines, due_at=new.due_at
        )

    def _figure_now(self, stage: StageSpec) -> Figure | None:
        """The current stage's figure: agreed on the case, else the pack's (None: unagreed)."""
        return self._agreed or self._pack_().figure(stage)

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

    def _refusal_row(self, text: str, payload: str | None) -> None:
        self._record(
            "rejected_input",
            stage_id=self._stage_id(),
            text=text,
            data={"payload": payload} if payload is not None else None,
        )

    # ------------------------------------------------------ side effects

    async def _stage_plan(
        self,
        start: datetime,
        stage: StageSpec,
        figure: Figure,
        *,
        cap_days: int | None = None,
        not_after: datetime | None = None,
    ) -> DeadlinePlan:
        """The stage's deadline from ``start``: its figure, or an earlier one that protects
        the child (the case's timescale, a shortening), whichever is earlier."""
        count, unit = figure.value, figure.unit
        if stage.kind == "conference_adjournment":
            count = min(count, ADJOURNMENT_MAX_WORKING_DAYS)
        caps = [c for c in (self._child_cap, cap_days) if c is not None]
        if caps and unit == "working_days":
            count = min(count, *caps)
        elif caps:  # a calendar period against working days: whichever ends first
            capped = await self._plan_from(start, min(caps))
            not_after = min(capped.due_at, not_after) if not_after else capped.due_at
        return await self._plan_from(start, count, reminders=True, not_after=not_after, unit=unit)

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
        calendar = self._calendar(pack or self._pack_())
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

    async def _write_rows(self, batch: list[Any]) -> None:
        opened = [r for r in batch if isinstance(r, DisagreementRecord)]
        await steps.record_steps(
            RecordBatch(
                disagreement=opened[0] if opened else None,
                steps=[r for r in batch if isinstance(r, StepRecord)],
            )
        )

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
        # The stage a decision link is for: the open stage's decision (not while an
        # adjourned conference waits for 'conference_reconvened'), or the confirmation.
        asks = stage is not None and (
            (self._state == "open" and not self._adjourned)
            or kind in ("resolved", "confirmation_due", "confirmation_late")
        )
        n = Notification(
            key=self._next_key("mail"),
            workflow_id=workflow.info().workflow_id,
            case_reference=self._req.case_reference,
            kind=kind,
            procedure_title=pack.title,
            partnership=pack.partnership,
            stage_title=stage.title if stage else None,
            stage_id=stage.id if stage is not None and asks else None,
            decider_roles=self._deciders(stage) if stage is not None and asks else [],
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
        self._mail(n)

    def _deciders(self, stage: StageSpec) -> list[str]:
        """Who decides what a link in this email is for: only they get one.

        The stage's holders while it is open; the confirmer once it is resolved. An
        overdue notice goes *to* the Business Manager with the holders copied: the
        holders still decide, so the links are theirs.
        """
        if self._state == "resolved":
            return [stage.confirmer or stage.holders[-1]]
        return list(stage.holders)

    # ------------------------------------------------------ calendar change

    def _calendar(self, pack: PolicyPack) -> CalendarSpec:
        """The pack's calendar plus the closure days announced while the case runs."""
        return with_closures(pack.calendar, self._closures)

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
            rejected_inputs=list(self._refusals.kept),
            rejected_inputs_total=self._refusals.total,
            notification_failures=list(self._failures),
            decisions=self._open_decisions(),
        )

    def _open_decisions(self) -> list[Literal["resolved", "unresolved"]]:
        """Which of resolved/unresolved the case would accept now, by its own rule.

        The decision page offers exactly these, so a person is never offered a
        button the workflow then refuses (e.g. "unresolved" at the last stage).
        """
        if self._state != "open" or self._ladder is None:
            return []
        position = Position(self._state, self._stage_id(), adjourned=self._adjourned)
        kinds: tuple[Literal["resolved", "unresolved"], ...] = ("resolved", "unresolved")
        return [k for k in kinds if check_decision(k, position, self._ladder, None) is None]
