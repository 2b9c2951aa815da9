"""A practice alert's stage steps: enter a stage, remind, miss its deadline, leave it.

Entering plans the stage's deadline in the calendar activity (the pack's working days
for the stage), records it and tells the stage's managers, copying the raising chair;
a missed deadline at a stage that may not pass the alert up tells the raising chair
what they can do instead.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.alerts import (
        AlertStageStatus,
        StageOutcome,
    )
    from models.calendar import (
        DeadlinePlan,
        Reminder,
    )
    from models.pack import AlertStageSpec
    from workflows.alert_case import AlertCore
    from workflows.alert_rules import (
        next_stage,
        stage_index,
    )
    from workflows.text import local_text, stage_number


class AlertStageSteps(AlertCore):
    """Entering, reminding, passing and leaving a stage of the alert."""

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
