"""``escalation report``: the quarterly figures the procedures ask for, counted from the database.

Each disagreement and practice alert is counted in its own procedure's section
(``records.report_figures``), with that pack's stage titles and calendar. A
stage's deadline is judged by ``records.derive.stage_verdict``, the function the
record uses, so the figures and the child's file always agree. What was still
open at the quarter's end is judged at that moment, from the rows written before
it: a report run in January says how things stood on 31 December.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.calendar import CalendarSpec
from models.pack import PolicyPack
from records.alert_view import stage_visits
from records.casefile import StageEntry, build_stages
from records.derive import DEADLINE_VERDICTS
from records.names import Names, load
from records.report_figures import Figures, ProcedureFigures, Quarter, StageRow
from records.schema import AlertStep, Disagreement, PracticeAlertRow, Step, utcnow
from workdays.calendar import WorkingCalendar, load_calendar

ENDED = ("closed", "stopped")
"""Step kinds after which a disagreement is no longer open (closed, or stopped outside)."""
ALERT_LADDER = "Practice alerts"


class _Packs:
    """Packs, titles and calendars by procedure id, loaded once per report."""

    def __init__(self) -> None:
        self._packs: dict[str, PolicyPack | None] = {}
        self._names: dict[str, Names] = {}
        self._calendars: dict[str, WorkingCalendar] = {}

    def pack(self, procedure: str) -> PolicyPack | None:
        if procedure not in self._packs:
            self._packs[procedure] = load(procedure)
        return self._packs[procedure]

    def names(self, procedure: str) -> Names:
        if procedure not in self._names:
            pack = self.pack(procedure)
            self._names[procedure] = Names.from_pack(pack) if pack else Names(procedure)
        return self._names[procedure]

    def calendar(self, procedure: str) -> WorkingCalendar:
        if procedure not in self._calendars:
            pack = self.pack(procedure)
            self._calendars[procedure] = load_calendar(pack.calendar if pack else CalendarSpec())
        return self._calendars[procedure]

    def section(self, figures: Figures, procedure: str) -> ProcedureFigures:
        pack = self.pack(procedure)
        alerts = pack is not None and pack.practice_alerts is not None
        return figures.section(procedure, self.names(procedure).procedure_title, alerts)

    def alert_row(self, procedure: str, stage_id: str) -> StageRow:
        pack = self.pack(procedure)
        stages = pack.practice_alerts.stages if pack and pack.practice_alerts else []
        for j, stage in enumerate(stages):
            if stage.id == stage_id:
                return StageRow((90, j), ALERT_LADDER, stage.title)
        return StageRow((99, 99), ALERT_LADDER, stage_id)

    def reason_title(self, procedure: str, code: str, stored: str) -> str:
        pack = self.pack(procedure)
        codes = pack.practice_alerts.reason_codes if pack and pack.practice_alerts else []
        return next((r.title for r in codes if r.code == code), stored)


def _row(stage: StageEntry, names: Names) -> StageRow:
    position = names.positions.get((stage.ladder, stage.stage_id), (99, 99))
    ladder = names.ladder(stage.ladder) if stage.ladder else ""
    return StageRow(position, ladder, stage.title)


def _confirmation_verdict(steps: list[Step], due: Step, now: datetime) -> str | None:
    """'in time', 'late', or None while a confirmation is awaited and not yet due."""
    confirmed = next((s for s in steps if s.kind == "confirmed" and s.key > due.key), None)
    assert due.due_at is not None
    if confirmed is not None:
        return "in time" if confirmed.at <= due.due_at else "late"
    if any(s.kind == "confirmation_late" and s.key > due.key for s in steps) or now > due.due_at:
        return "late"
    return None


def overdue_at(steps: list[Step], stages: list[StageEntry], end: datetime) -> bool:
    """Whether an open disagreement was overdue at ``end``: the stage it was at had passed its
    deadline, or a written confirmation due before ``end`` had not come by then."""
    for stage in stages:
        at_end = stage.entered_at < end and (stage.left_at is None or stage.left_at >= end)
        if at_end and stage.due_at is not None and stage.due_at < end:
            return True
    for due in (s for s in steps if s.kind == "confirmation_due" and s.at < end):
        confirmed = any(s.kind == "confirmed" and s.key > due.key and s.at < end for s in steps)
        if not confirmed and due.due_at is not None and due.due_at < end:
            return True
    return False


def _count_case(
    section: ProcedureFigures,
    row: Disagreement,
    steps: list[Step],
    packs: _Packs,
    bounds: tuple[datetime, datetime],
    now: datetime,
) -> None:
    start, end = bounds

    def inside(t: datetime | None) -> bool:
        return t is not None and start <= t < end

    names = packs.names(row.procedure)
    stages = build_stages(steps, names)
    section.opened += inside(row.raised_at)
    section.closed += any(s.kind == "closed" and inside(s.at) for s in steps)
    if not any(s.kind in ENDED and s.at < end for s in steps):
        section.open_at_end += 1
        section.overdue_at_end += overdue_at(steps, stages, end)
    for stage in stages:
        if stage.outcome == "resolved" and stage.left_at is not None and inside(stage.left_at):
            section.resolved_at[_row(stage, names)] += 1
            calendar = packs.calendar(row.procedure)
            section.working_days_to_resolution.append(
                calendar.working_days_between(row.raised_at, stage.left_at)
            )
        verdict = stage.verdict(now)
        if inside(stage.due_at) and verdict in DEADLINE_VERDICTS:
            section.deadlines[_row(stage, names)][verdict] += 1
    for due in (s for s in steps if s.kind == "confirmation_due" and inside(s.due_at)):
        confirmation = _confirmation_verdict(steps, due, now)
        if confirmation is not None:
            section.confirmations[confirmation] += 1


async def _disagreements(
    session: AsyncSession, figures: Figures, packs: _Packs, now: datetime
) -> None:
    start, end = figures.quarter.bounds()
    query = select(Disagreement).where(Disagreement.raised_at < end)
    if figures.procedure:
        query = query.where(Disagreement.procedure == figures.procedure)
    rows = list(await session.scalars(query))
    ids = [r.workflow_id for r in rows]
    by_case: dict[str, list[Step]] = defaultdict(list)
    if ids:
        for step in await session.scalars(
            select(Step).where(Step.workflow_id.in_(ids)).order_by(Step.key)
        ):
            by_case[step.workflow_id].append(step)
    for row in rows:
        steps = by_case[row.workflow_id]
        if any(s.kind in ENDED and s.at < start for s in steps):
            continue  # over before the quarter began: nothing of it falls in the quarter
        section = packs.section(figures, row.procedure)
        _count_case(section, row, steps, packs, (start, end), now)


def _count_alert(
    section: ProcedureFigures,
    alert: PracticeAlertRow,
    steps: list[AlertStep],
    packs: _Packs,
    bounds: tuple[datetime, datetime],
) -> None:
    start, end = bounds
    if start <= alert.raised_at < end:
        section.alerts_opened += 1
        title = packs.reason_title(alert.procedure, alert.reason_code, alert.reason_title)
        section.alert_themes[f"{alert.reason_code}: {title}"] += 1
    finalised = alert.finalised_at
    if finalised is not None and start <= finalised < end:
        section.alerts_closed += 1
    if finalised is None or finalised >= end:
        section.alerts_open_at_end += 1
        visits = stage_visits([s for s in steps if s.at < end])
        if visits and visits[-1].verdict(end) == "missed":
            section.alerts_overdue_at_end += 1
    verdicts: dict[str, str] = {}
    for step in steps:
        if step.in_time is None or not start <= step.at < end:
            continue
        stage = step.stage_id or ""
        # A stage that was late once stays missed, whatever was said afterwards.
        missed = not step.in_time or verdicts.get(stage) == "missed"
        verdicts[stage] = "missed" if missed else "met"
    for stage_id, verdict in verdicts.items():
        section.alert_deadlines[packs.alert_row(alert.procedure, stage_id)][verdict] += 1


async def _alerts(session: AsyncSession, figures: Figures, packs: _Packs) -> None:
    start, end = figures.quarter.bounds()
    query = select(PracticeAlertRow).where(PracticeAlertRow.raised_at < end)
    if figures.procedure:
        query = query.where(PracticeAlertRow.procedure == figures.procedure)
    alerts = {
        a.workflow_id: a
        for a in await session.scalars(query)
        if a.finalised_at is None or a.finalised_at >= start
    }
    if not alerts:
        return
    by_alert: dict[str, list[AlertStep]] = defaultdict(list)
    for step in await session.scalars(
        select(AlertStep).where(AlertStep.workflow_id.in_(list(alerts))).order_by(AlertStep.id)
    ):
        by_alert[step.workflow_id].append(step)
    for wid, alert in alerts.items():
        section = packs.section(figures, alert.procedure)
        _count_alert(section, alert, by_alert[wid], packs, (start, end))


async def quarter_figures(
    sessionmaker: async_sessionmaker[AsyncSession],
    quarter: Quarter,
    procedure: str | None = None,
    now: datetime | None = None,
) -> Figures:
    """The figures for ``quarter`` (and ``procedure``, if given), as of ``now``.

    A procedure asked for by name has its section even when nothing happened in it.
    """
    figures = Figures(quarter=quarter, procedure=procedure)
    packs = _Packs()
    if procedure:
        packs.section(figures, procedure)
    async with sessionmaker() as session:
        await _disagreements(session, figures, packs, now or utcnow())
        await _alerts(session, figures, packs)
    return figures


__all__ = ["Figures", "ProcedureFigures", "Quarter", "StageRow", "quarter_figures"]
