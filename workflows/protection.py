"""What protects the child on a running case: an immediate risk, a shortened timescale.

An immediate risk of significant harm sends the case straight to the stage the ladder
names for it (or, with none above, tells the stage's holders to act now). A timescale
may only ever be brought forward (``shorten_timescale``): the new deadline is planned
in the calendar activity and refused if it is not earlier, or has already passed.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import DeadlinePlan
    from models.decisions import ImmediateRisk, ShortenTimescale
    from workflows.ladder import immediate_risk_target
    from workflows.stages import StageSteps
    from workflows.text import local_text


class ProtectionSteps(StageSteps):
    """Immediate risk and shortening, on any stage of the ladder."""

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
