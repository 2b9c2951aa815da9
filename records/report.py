"""``escalation report``: the quarterly figures the procedures ask for, counted from the database.

Each disagreement and practice alert is counted in its own procedure's section
(``records.report_figures``), with that pack's stage titles and calendar. A
stage's deadline is judged by ``records.derive.stage_verdict``, the function the
record uses, so the figures and the child's file always agree. What was still
open at the quarter's end is judged at that moment, from the rows written before
it: a report run in January says how things stood on 31 December.

The rows are streamed (a server-side cursor, ``yield_per``), one case's steps in
memory at a time, and the database leaves out what cannot count: cases over before
the quarter began, and the steps (reminders, decisions...) no figure reads. A
deployment holding years of cases then reports a quarter in the time and memory the
quarter needs, not its whole history (``bench.records``; indexes of migration 0002).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from models.calendar import CalendarSpec
from models.pack import PolicyPack
from records.alert_view import stage_visits
from records.casefile import StageEntry, StepFacts, build_stages
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


class ReportStep(NamedTuple):
    """The columns of a step the figures read, streamed as plain tuples (no ORM object per row)."""

    key: str
    kind: str
    at: datetime
    stage_id: str | None
    actor: str | None
    text: str | None
    due_at: datetime | None
    data: dict[str, Any]


STEP_COLUMNS = (Step.key, Step.kind, Step.at, Step.stage_id, Step.actor, Step.text, Step.due_at)
REPORT_KINDS = (
    "stage_entered",
    "stage_left",
    "deadline_changed",
    "deadline_passed",
    "adjournment_breached",
    "confirmation_due",
    "confirmed",
    "confirmation_late",
    *ENDED,
)
"""The step kinds the figures read (``build_stages``, the confirmations, the ending); the rest
(reminders, decisions, milestones...) change nothing counted, so they stay in the database."""
BATCH = 1000
"""Rows fetched at a time from the server-side cursor."""


def _confirmation_verdict(steps: Sequence[StepFacts], due: StepFacts, now: datetime) -> str | None:
    """'in time', 'late', or None while a confirmation is awaited and not yet due."""
    confirmed = next((s for s in steps if s.kind == "confirmed" and s.key > due.key), None)
    assert due.due_at is not None
    if confirmed is not None:
        return "in time" if confirmed.at <= due.due_at else "late"
    if any(s.kind == "confirmation_late" and s.key > due.key for s in steps) or now > due.due_at:
        return "late"
    return None


def overdue_at(steps: Sequence[StepFacts], stages: list[StageEntry], end: datetime) -> bool:
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
    case: tuple[str, datetime],
    steps: Sequence[StepFacts],
    packs: _Packs,
    bounds: tuple[datetime, datetime],
    now: datetime,
) -> None:
    start, end = bounds
    procedure, raised_at = case

    def inside(t: datetime | None) -> bool:
        return t is not None and start <= t < end

    names = packs.names(procedure)
    stages = build_stages(steps, names)
    section.opened += inside(raised_at)
    section.closed += any(s.kind == "closed" and inside(s.at) for s in steps)
    if not any(s.kind in ENDED and s.at < end for s in steps):
        section.open_at_end += 1
        section.overdue_at_end += overdue_at(steps, stages, end)
    for stage in stages:
        if stage.outcome == "resolved" and stage.left_at is not None and inside(stage.left_at):
            section.resolved_at[_row(stage, names)] += 1
            calendar = packs.calendar(procedure)
            section.working_days_to_resolution.append(
                calendar.working_days_between(raised_at, stage.left_at)
            )
        verdict = stage.verdict(now)
        if inside(stage.due_at) and verdict in DEADLINE_VERDICTS:
            section.deadlines[_row(stage, names)][verdict] += 1
    for due in (s for s in steps if s.kind == "confirmation_due" and inside(s.due_at)):
        confirmation = _confirmation_verdict(steps, due, now)
        if confirmation is not None:
            section.confirmations[confirmation] += 1


def _cases_query(figures: Figures) -> Select[Any]:
    """Each disagreement the quarter can count, joined to the steps the figures read, in order.

    A case over before the quarter began (a ``closed`` or ``stopped`` step before its
    start) has nothing in it and is left out by the database, not read and skipped:
    at scale most cases are years old. Ordered by case, then by step key (the order
    the recorder wrote them), so one case's steps arrive together.
    """
    start, end = figures.quarter.bounds()
    ended = aliased(Step)
    ended_before = select(ended.id).where(
        ended.workflow_id == Disagreement.workflow_id, ended.kind.in_(ENDED), ended.at < start
    )
    read = and_(Step.workflow_id == Disagreement.workflow_id, Step.kind.in_(REPORT_KINDS))
    query = (
        select(Disagreement.workflow_id, Disagreement.procedure, Disagreement.raised_at)
        .add_columns(*STEP_COLUMNS, Step.data)
        .outerjoin(Step, read)
        .where(Disagreement.raised_at < end, ~exists(ended_before))
    )
    if figures.procedure:
        query = query.where(Disagreement.procedure == figures.procedure)
    order = (Disagreement.workflow_id, Step.key)
    return query.order_by(*order).execution_options(yield_per=BATCH)


async def _disagreements(
    session: AsyncSession, figures: Figures, packs: _Packs, now: datetime
) -> None:
    """Count each case as its rows stream past: one case's steps in memory at a time."""
    bounds = figures.quarter.bounds()
    case: tuple[str, str, datetime] | None = None
    steps: list[ReportStep] = []

    def count(wid: str, procedure: str, raised_at: datetime) -> None:
        section = packs.section(figures, procedure)
        _count_case(section, (procedure, raised_at), steps, packs, bounds, now)

    result = await session.stream(_cases_query(figures))
    # A batch at a time: row by row, each row would cost a greenlet switch of its own.
    async for rows in result.partitions():
        for row in rows:
            if case is not None and row[0] != case[0]:
                count(*case)
                steps = []
            case = (row[0], row[1], row[2])
            if row[3] is not None:
                steps.append(ReportStep(*row[3:]))
    if case is not None:
        count(*case)


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


def _alerts_query(figures: Figures) -> Select[PracticeAlertRow, AlertStep]:
    """Each alert the quarter can count (not finalised before it began), with its steps in order."""
    start, end = figures.quarter.bounds()
    query = (
        select(PracticeAlertRow, AlertStep)
        .outerjoin(AlertStep, AlertStep.workflow_id == PracticeAlertRow.workflow_id)
        .where(
            PracticeAlertRow.raised_at < end,
            or_(PracticeAlertRow.finalised_at.is_(None), PracticeAlertRow.finalised_at >= start),
        )
    )
    if figures.procedure:
        query = query.where(PracticeAlertRow.procedure == figures.procedure)
    order = (PracticeAlertRow.id, AlertStep.id)
    return query.order_by(*order).execution_options(yield_per=BATCH)


async def _alerts(session: AsyncSession, figures: Figures, packs: _Packs) -> None:
    """Count each alert as its rows stream past, as ``_disagreements`` does."""
    bounds = figures.quarter.bounds()
    alert: PracticeAlertRow | None = None
    steps: list[AlertStep] = []

    def count(alert: PracticeAlertRow) -> None:
        section = packs.section(figures, alert.procedure)
        _count_alert(section, alert, steps, packs, bounds)

    result = await session.stream(_alerts_query(figures))
    async for rows in result.partitions():
        for row, step in rows:
            if alert is not None and row.id != alert.id:
                count(alert)
                steps = []
            alert = row
            if step is not None:
                steps.append(step)
    if alert is not None:
        count(alert)


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
