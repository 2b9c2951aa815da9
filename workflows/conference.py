"""The adjourned child protection conference, its report deadlines and learning items.

An equally divided conference is adjourned (entering the stage is ``CaseCore``'s);
here: a breach when it does not reconvene in time, the reconvened conference's
outcome (agreement closes, a dissenting minority switches to the pack's dissent
ladder, still divided goes up), the reports due before a conference, and the
learning item a resolution at a learning stage produces.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import (
        DeadlinePlan,
    )
    from models.decisions import (
        ConferenceReconvened,
        Resolved,
    )
    from models.limits import TEXT_MAX
    from models.pack import StageSpec
    from models.status import (
        LearningItem,
    )
    from workflows.ladder import (
        dissent_ladder,
        next_stage,
    )
    from workflows.stages import StageSteps
    from workflows.text import (
        local_text,
        reports_lines,
        truncate,
    )


class ConferenceSteps(StageSteps):
    """Conference loop, report deadlines and learning items of a disagreement."""

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
            note = " (the minority dissents; this procedure has no dissent ladder)"
            # The note must not push a minuted text at its limit past the outcome's own.
            outcome = truncate(d.text, TEXT_MAX - len(note)) + note
        self._outcome = Resolved(by=d.by, outcome=outcome, stage=stage.id)
        self._resolved_at = now
        self._leave("resolved", d.by, outcome, now)
        self._plan, self._adjourned = None, False
        self._learn(stage, outcome, d.by, now)
        self._state = "closed"

    # ------------------------------------------------- learning and reports

    def _learn(self, stage: StageSpec, outcome: str, by: str, now: datetime) -> None:
        """A resolution at a stage the pack learns from: record it and tell those roles."""
        if not stage.learning_notify:
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
