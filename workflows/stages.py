"""A disagreement's stage steps: enter a stage, remind, pass its deadline, leave it.

Entering plans the stage's deadline (its figure from the document or the partnership's
local settings, or an earlier one that protects the child) in the calendar activity,
records it and tells its holders; an equally divided conference is adjourned instead.
The conference loop, agreements and milestones (``workflows.conference``,
``workflows.agreements``, ``workflows.milestones``) build on these steps.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import DeadlinePlan, Reminder
    from models.pack import Figure, StageSpec
    from models.status import DeadlineChange, MilestoneStatus, StageOutcome, StageStatus
    from workflows.case import UNAGREED, CaseCore
    from workflows.ladder import ADJOURNMENT_MAX_WORKING_DAYS, is_adjournment, stage_figure
    from workflows.text import interim_position, local_text, stage_number


class StageSteps(CaseCore):
    """Entering, reminding, passing and leaving a stage of the ladder."""

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
