"""A calendar change under a running case: re-project its pending deadlines.

The ``change_calendar`` update queues a ``CalendarChange``; applied between decisions,
it adds the closure days to the case's calendar, recomputes every deadline that has
not passed in the calendar activity (so a refreshed bank-holiday list reaches
running cases too), records old and new with the reason, and tells who must act.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import (
        CalendarChange,
        DeadlinePlan,
        PendingDeadline,
        RescheduledDeadline,
    )
    from workflows.stages import StageSteps
    from workflows.text import (
        local_date,
        local_text,
    )


class CalendarSteps(StageSteps):
    """Re-projection of a running case's deadlines onto a changed calendar."""

    async def _reproject(self, now: datetime) -> list[RescheduledDeadline]:
        """Re-plan every pending deadline: the stage's, its milestones', the written
        confirmation's and the conference reports'.

        Deadlines already passed, an overdue last stage and a late confirmation stay as
        they are: a calendar change never reopens them.
        """
        moved: list[RescheduledDeadline] = []
        stage, plan = self._current, self._plan
        if self._state == "open" and stage is not None and plan is not None:
            if plan.due_at > now and not self._overdue_sent:
                new = await self._plan_from(
                    plan.start,
                    plan.working_days,
                    reminders=True,
                    not_after=self._not_after,
                    unit=plan.unit,
                )
                if new.due_at != plan.due_at:
                    moved.append(self._move_stage(new, now))
        if self._state == "open" and stage is not None and self._stages:
            entry = self._stages[-1]
            for spec in stage.milestones:
                m = next((x for x in entry.milestones if x.id == spec.id), None)
                if m is None or m.met_at is not None or m.due_at <= now:
                    continue
                figure = spec.figure()
                due = (
                    await self._plan_from(entry.entered_at, figure.value, unit=figure.unit)
                ).due_at
                if due != m.due_at:
                    kind: PendingDeadline = (
                        "first_contact" if m.id == "first_contact" else "milestone"
                    )
                    moved.append(self._moved(kind, stage.id, m.due_at, due))
                    m.due_at = due
                    if m.id == "first_contact":
                        entry.first_contact_due_at = due
        if self._state == "resolved" and self._confirmation is not None:
            old = self._confirmation
            if old.due_at > now and not self._confirmation_late:
                new = await self._plan_from(old.start, old.working_days)
                if new.due_at != old.due_at:
                    self._confirmation = new
                    moved.append(
                        self._moved("confirmation", self._stage_id(), old.due_at, new.due_at)
                    )
        reports = self._reports
        if reports is not None and self._state == "open" and reports.due_at > now:
            new = await self._plan_from(
                reports.start, reports.working_days, reminders=True, direction="before"
            )
            if new.due_at != reports.due_at:
                self._reports = new
                if self._reports_reminder is not None:
                    self._reports_reminder = next((r.at for r in new.reminders if r.at > now), None)
                moved.append(
                    self._moved("conference_reports", self._stage_id(), reports.due_at, new.due_at)
                )
        return moved

    def _move_stage(self, new: DeadlinePlan, now: datetime) -> RescheduledDeadline:
        """Put the stage on its re-projected plan; reminders already sent are not repeated."""
        stage, old = self._current, self._plan
        assert stage is not None and old is not None
        pending = {r.kind for r in self._reminders}
        self._plan = new
        self._reminders = [r for r in new.reminders if r.at > now and r.kind in pending]
        if self._adjourned:
            self._reconvene_due = new.due_at
        self._stages[-1].due_at = new.due_at
        return self._moved("stage", stage.id, old.due_at, new.due_at)

    def _moved(
        self, deadline: PendingDeadline, stage_id: str | None, old: datetime, new: datetime
    ) -> RescheduledDeadline:
        return RescheduledDeadline(
            deadline=deadline, stage_id=stage_id, old_due_at=old, new_due_at=new
        )

    def _tell_calendar_change(self, c: CalendarChange, moved: list[RescheduledDeadline]) -> None:
        """Tell who must act, each moved deadline old and new, with the reason."""
        stage = self._current
        assert stage is not None
        labels = {
            "stage": f"{stage.title}",
            "first_contact": "First contact with the raising professional",
            "milestone": "A milestone of the stage",
            "confirmation": "Written confirmation of the agreed outcome",
            "conference_reports": "Reports for the child protection conference",
            "alert_stage": stage.title,
        }
        closed = ", ".join(local_date(d) for d in c.closure_days)
        lines = [
            f"The working-day calendar for case {self._req.case_reference} has changed: {c.reason}"
            + (f" (now closed: {closed})." if closed else "."),
            *(
                f"{labels[m.deadline]}: was {local_text(m.old_due_at)}, "
                f"now {local_text(m.new_due_at)}."
                for m in moved
            ),
            f"Changed by {c.by}.",
        ]
        confirming = self._state == "resolved"
        spec = self._ladder_().stages[self._stages[-1].index] if confirming else stage
        to = [spec.confirmer or spec.holders[-1]] if confirming else stage.holders
        earliest = min(m.new_due_at for m in moved)
        self._notify(
            "deadline_changed",
            f"Deadline moved to {local_text(earliest)}: the calendar changed",
            to,
            self._raising_side(spec) if confirming else stage.copied,
            lines,
            due_at=earliest,
        )
