"""What the procedure lets a case decide for itself: its timescale, and a direct route up.

Sutton's formal process agrees "the outcome to be achieved and the timescale given the
specific circumstances of each case": at a ``per_case`` stage the holders agree it with
``agree_timescale`` (longer or shorter than any local figure), recorded with who and why.
Everywhere else a deadline can only be brought forward (``shorten_timescale``).

Some documents give a direct route past the stages between (Redbridge 4.8: a discussion
that "raises significant policy issues" goes to the LSCB Chair). The pack declares each
(``[[ladders.routes]]``); ``refer_directly`` takes one, by a person who holds one of its
roles, only upwards. Any other route is refused with the reason.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import DeadlinePlan
    from models.decisions import AgreeTimescale, ReferDirectly
    from models.pack import Figure, RouteSpec
    from workflows.stages import StageSteps
    from workflows.text import local_text

AGREED_MAX_WORKING_DAYS = 60
"""The longest timescale a case may agree (the same bound as every working-day figure)."""


class AgreementSteps(StageSteps):
    """Agreeing a stage's timescale on the case; taking a direct route."""

    def _route_refusal(self, d: ReferDirectly) -> str | None:
        """Why ``d`` cannot take its route now, or None."""
        ladder, stage = self._ladder_(), self._current
        assert stage is not None
        route = next((r for r in ladder.routes if r.id == d.route), None)
        if route is None:
            known = ", ".join(r.id for r in ladder.routes) or "none"
            return f"route: '{d.route}' is not a direct route of ladder '{ladder.id}' ({known})"
        if ladder.index_of(route.target) <= ladder.index_of(stage.id):
            target = ladder.stage(route.target)
            return f"route: the case is already at or above {target.title}"
        takers = [p for role in route.taken_by if (p := self._req.person(role)) is not None]
        who = d.by.casefold()
        if not any(who in (p.name.casefold(), p.email.casefold()) for p in takers):
            roles = ", ".join(self._pack_().role_title(r) for r in route.taken_by)
            return (
                f"by: route '{route.id}' is taken by {roles}; '{d.by}' is not the name or "
                "email of anyone holding that role in this case"
            )
        return None

    async def _refer(self, d: ReferDirectly, now: datetime) -> None:
        """Go straight to the route's stage, recorded with who, which route and why."""
        ladder = self._ladder_()
        route = next(r for r in ladder.routes if r.id == d.route)
        self._record(
            "decision",
            stage_id=self._stage_id(),
            actor=d.by,
            text=d.reason,
            data={"decision": "refer_directly", "route": route.id, "quote": route.quote},
        )
        self._leave("referred_directly", d.by, f"{route.title}: {d.reason}", now)
        await self._enter(ladder.stage(route.target), now)

    def _agreement_refusal(self) -> str | None:
        stage = self._current
        assert stage is not None
        if stage.per_case:
            return None
        figure = self._figure_now(stage)
        basis = figure.words(self._pack_().title) if figure else "unset"
        return (
            f"stage '{stage.id}': its timescale is not agreed per case ({basis}); a deadline "
            "can only be brought forward (shorten_timescale)"
        )

    async def _agreed_plan(self, d: AgreeTimescale) -> tuple[DeadlinePlan | None, str | None]:
        """The stage's plan on the agreed timescale, or why it cannot be agreed."""
        stage, entered = self._current, self._stages[-1].entered_at
        assert stage is not None
        days = d.working_days if d.working_days is not None else AGREED_MAX_WORKING_DAYS
        figure = Figure(value=days, unit="working_days", source="case")
        new = await self._stage_plan(entered, stage, figure, not_after=d.due_at)
        if d.due_at is not None and new.due_at != d.due_at:
            if d.due_at > new.due_at:
                return None, (
                    f"due_at: an agreed deadline is at most {AGREED_MAX_WORKING_DAYS} working "
                    f"days after the stage was entered ({local_text(new.due_at)})"
                )
            # The child's own shorter timescale still wins ("whichever is less").
        if new.due_at <= workflow.now():
            return None, (
                f"the agreed deadline {new.due_at.isoformat()} has already passed; agree a "
                "later one, or send 'unresolved' to escalate now"
            )
        return new, None

    def _apply_agreement(self, d: AgreeTimescale, new: DeadlinePlan, now: datetime) -> None:
        stage = self._current
        assert stage is not None
        value = d.working_days if d.working_days is not None else new.working_days
        self._agreed = Figure(
            value=value, unit="working_days", source="case", quote=d.reason, set_by=d.by
        )
        self._overdue_sent = False
        entry = self._stages[-1]
        entry.timescale_working_days = new.working_days
        entry.timescale_unit, entry.timescale_source = "working_days", "case"
        entry.timescale_basis = (
            f"{self._agreed.amount() if d.working_days is not None else 'until '}"
            f"{'' if d.working_days is not None else local_text(new.due_at)} "
            f"(agreed on the case by {d.by}: {d.reason})"
        )
        self._deadline_moved(
            self._plan,
            new,
            d.by,
            d.reason,
            f"Timescale agreed: {stage.title} due {local_text(new.due_at)}",
            [f"{d.by} agreed this stage's timescale on the case: {entry.timescale_basis}."],
            {"agreed": "true"},
        )


__all__ = ["AgreementSteps", "RouteSpec"]
