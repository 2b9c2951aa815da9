"""Milestones: deadlines inside a stage that do not end it.

Redbridge's receiver "must speak to the concerned professional within 3 working days"
(``first_contact``) inside a five-day stage; SAfE's Principal Officer aims for the review
meeting "2 weeks from the referral point" (``review_meeting``). Each is planned when its
stage is entered, reminded on its last day, and met by ``milestone_met``; missed, it is
recorded and the stage's holders and the raiser are told, and the stage goes on: a
missed milestone never escalates the case.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.decisions import MilestoneMet
    from models.pack import MilestoneSpec, StageSpec
    from models.status import MilestoneStatus
    from workflows.stages import StageSteps
    from workflows.text import local_text


class MilestoneSteps(StageSteps):
    """Planning, reminding, missing and meeting the current stage's milestones."""

    async def _plan_milestones(self, stage: StageSpec, start: datetime) -> list[MilestoneStatus]:
        """Each milestone's deadline from ``start``; its last-day reminder is queued."""
        planned, now = [], workflow.now()
        self._milestone_reminders = []
        for m in stage.milestones:
            figure = m.figure()
            plan = await self._plan_from(start, figure.value, unit=figure.unit, reminders=True)
            planned.append(
                MilestoneStatus(
                    id=m.id,
                    title=m.title,
                    due_at=plan.due_at,
                    basis=figure.words(self._pack_().title),
                )
            )
            self._milestone_reminders += [
                (m.id, r.at) for r in plan.reminders if r.kind == "last_day" and r.at > now
            ]
        return planned

    def _milestone_times(self) -> list[datetime]:
        """When the current stage's milestones next need the workflow awake."""
        if self._state != "open" or not self._stages:
            return []
        times = [at for _, at in self._milestone_reminders]
        times += [
            m.due_at
            for m in self._stages[-1].milestones
            if m.met_at is None and m.overdue_notified_at is None
        ]
        return times

    def _milestones_due(self, now: datetime) -> None:
        """Remind of a milestone on its last day; record and tell a missed one."""
        stage = self._current
        if stage is None or self._state != "open" or not self._stages:
            return
        entry = self._stages[-1]
        for mid, at in [(i, t) for i, t in self._milestone_reminders if t <= now]:
            self._milestone_reminders.remove((mid, at))
            m = next(x for x in entry.milestones if x.id == mid)
            if m.met_at is None and now < m.due_at:
                self._notify(
                    "reminder",
                    f"Reminder: {m.title} due {local_text(m.due_at)}",
                    stage.holders,
                    [],
                    [
                        f"{m.title} is due by {local_text(m.due_at)} ({m.basis}).",
                        "Send 'milestone_met' when it is done.",
                    ],
                    due_at=m.due_at,
                )
        for m in entry.milestones:
            if m.met_at is None and m.overdue_notified_at is None and m.due_at <= now:
                m.overdue_notified_at = now
                self._record(
                    "milestone_missed",
                    stage_id=stage.id,
                    due_at=m.due_at,
                    text=f"{m.title}: not met by {local_text(m.due_at)}",
                    data={"milestone": m.id},
                )
                raiser = [r for r in ("raising.practitioner",) if r not in stage.holders]
                self._notify(
                    "overdue",
                    f"Missed: {m.title} was due {local_text(m.due_at)}",
                    stage.holders,
                    raiser,
                    [
                        f"{m.title} was due by {local_text(m.due_at)} ({m.basis}) and has not "
                        "been recorded as met. This has been recorded.",
                        "The stage goes on: its own deadline is unchanged. Send "
                        "'milestone_met' when it is done.",
                    ],
                    due_at=m.due_at,
                )

    def _milestone_refusal(self, d: MilestoneMet) -> str | None:
        entry = self._stages[-1] if self._stages else None
        known = [m.id for m in entry.milestones] if entry else []
        if d.milestone not in known:
            listed = ", ".join(known) or "none"
            return f"milestone: '{d.milestone}' is not a milestone of this stage ({listed})"
        assert entry is not None
        met = next(m for m in entry.milestones if m.id == d.milestone)
        if met.met_at is not None:
            return f"milestone: '{d.milestone}' was already met ({met.met_by})"
        return None

    def _milestone_met(self, d: MilestoneMet, now: datetime) -> None:
        entry = self._stages[-1]
        m = next(x for x in entry.milestones if x.id == d.milestone)
        m.met_at, m.met_by = now, d.by
        self._milestone_reminders = [r for r in self._milestone_reminders if r[0] != m.id]
        late = now > m.due_at
        self._record(
            "milestone_met",
            stage_id=entry.stage_id,
            actor=d.by,
            due_at=m.due_at,
            text=f"{m.title}: {d.text}" if d.text else m.title,
            data={"milestone": m.id, "late": str(late).lower()},
        )


__all__ = ["MilestoneSpec", "MilestoneSteps"]
