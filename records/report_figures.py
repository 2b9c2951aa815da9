"""``escalation report``: the quarterly figures the procedures ask for, from the database.

Disagreements and practice alerts opened and closed in the quarter, the stage at
which disagreements were resolved, alert themes by reason code, deadlines met
and missed per stage, and the median number of working days to resolution
(counted on each procedure's own calendar, as its deadlines were).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.calendar import CalendarSpec
from models.pack import PolicyPack
from packs import PackError, UnknownProcedure, load_pack
from records.casefile import StageEntry, build_stages
from records.schema import AlertStep, Disagreement, PracticeAlertRow, Step, utcnow
from workdays.calendar import WorkingCalendar, load_calendar

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
REPORT_ZONE = "Europe/London"
CONFIRMATION = "Written confirmation of the outcome"


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, bounded at local midnight in England."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``'2026Q4'`` → Quarter(2026, 4); anything else is refused with the reason."""
        match = QUARTER.match(text.strip())
        if match is None:
            raise ValueError(
                f"--quarter: {text!r} is not a quarter; write the year and Q1-Q4, e.g. 2026Q4"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next_first_day(self) -> date:
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes."""
        tz = ZoneInfo(REPORT_ZONE)
        start = datetime.combine(self.first_day, datetime.min.time(), tz)
        end = datetime.combine(self.next_first_day, datetime.min.time(), tz)
        return start, end


@dataclass
class Figures:
    """The quarter's figures, ready to print."""

    quarter: Quarter
    procedure: str | None
    opened: int = 0
    closed: int = 0
    resolved_at: Counter[str] = field(default_factory=Counter)
    deadlines: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    working_days_to_resolution: list[int] = field(default_factory=list)
    alerts_opened: int = 0
    alerts_closed: int = 0
    alert_themes: Counter[str] = field(default_factory=Counter)
    alert_deadlines: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    order: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Where each stage title sits in its procedure (for printing in ladder order)."""

    def ordered(self, labels: list[str]) -> list[str]:
        """``labels`` in ladder order; unknown ones (and the confirmation) last."""
        return sorted(labels, key=lambda t: (self.order.get(t, (99, 99, 99)), t))

    @property
    def median_working_days(self) -> float | None:
        """Median working days from raising to resolution, or None if nothing was resolved."""
        if not self.working_days_to_resolution:
            return None
        return float(statistics.median(self.working_days_to_resolution))


class _Packs:
    """Packs and calendars by procedure id, loaded once per report."""

    def __init__(self) -> None:
        self._packs: dict[str, PolicyPack | None] = {}
        self._calendars: dict[str, WorkingCalendar] = {}

    def pack(self, procedure: str) -> PolicyPack | None:
        if procedure not in self._packs:
            try:
                self._packs[procedure] = load_pack(procedure)
            except (UnknownProcedure, PackError):
                self._packs[procedure] = None
        return self._packs[procedure]

    def calendar(self, procedure: str) -> WorkingCalendar:
        if procedure not in self._calendars:
            pack = self.pack(procedure)
            self._calendars[procedure] = load_calendar(pack.calendar if pack else CalendarSpec())
        return self._calendars[procedure]

    @property
    def order(self) -> dict[str, tuple[int, int, int]]:
        """Stage titles of every pack loaded so far, in pack, ladder and stage order."""
        found: dict[str, tuple[int, int, int]] = {}
        for p, pack in enumerate(x for x in self._packs.values() if x is not None):
            for i, ladder in enumerate(pack.ladders):
                for j, stage in enumerate(ladder.stages):
                    found.setdefault(stage.title, (p, i, j))
            if pack.practice_alerts is not None:
                for j, alert_stage in enumerate(pack.practice_alerts.stages):
                    found.setdefault(alert_stage.title, (p, 90, j))
        return found

    def alert_titles(self, procedure: str) -> dict[str, str]:
        pack = self.pack(procedure)
        if pack is None or pack.practice_alerts is None:
            return {}
        return {s.id: s.title for s in pack.practice_alerts.stages}

    def reason_titles(self, procedure: str) -> dict[str, str]:
        pack = self.pack(procedure)
        if pack is None or pack.practice_alerts is None:
            return {}
        return {r.code: r.title for r in pack.practice_alerts.reason_codes}


def _titles(pack: PolicyPack | None) -> dict[str, str]:
    return {s.id: s.title for ladder in pack.ladders for s in ladder.stages} if pack else {}


def _confirmation_verdict(steps: list[Step], due: Step, now: datetime) -> str | None:
    confirmed = next((s for s in steps if s.kind == "confirmed" and s.key > due.key), None)
    assert due.due_at is not None
    if confirmed is not None:
        return "met" if confirmed.at <= due.due_at else "missed"
    if any(s.kind == "confirmation_late" and s.key > due.key for s in steps) or now > due.due_at:
        return "missed"
    return None


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

    def inside(t: datetime | None) -> bool:
        return t is not None and start <= t < end

    for row in rows:
        steps = by_case[row.workflow_id]
        stages: list[StageEntry] = build_stages(steps, _titles(packs.pack(row.procedure)))
        figures.opened += inside(row.raised_at)
        figures.closed += any(s.kind == "closed" and inside(s.at) for s in steps)
        for stage in stages:
            if stage.outcome == "resolved" and inside(stage.left_at):
                assert stage.left_at is not None
                figures.resolved_at[stage.title] += 1
                calendar = packs.calendar(row.procedure)
                figures.working_days_to_resolution.append(
                    calendar.working_days_between(row.raised_at, stage.left_at)
                )
            if inside(stage.due_at) and stage.verdict != "open":
                figures.deadlines[stage.title][stage.verdict] += 1
        for due in (s for s in steps if s.kind == "confirmation_due" and inside(s.due_at)):
            verdict = _confirmation_verdict(steps, due, now)
            if verdict is not None:
                figures.deadlines[CONFIRMATION][verdict] += 1


async def _alerts(session: AsyncSession, figures: Figures, packs: _Packs) -> None:
    start, end = figures.quarter.bounds()
    query = select(PracticeAlertRow)
    if figures.procedure:
        query = query.where(PracticeAlertRow.procedure == figures.procedure)
    alerts = {a.workflow_id: a for a in await session.scalars(query)}
    for alert in alerts.values():
        if start <= alert.raised_at < end:
            figures.alerts_opened += 1
            title = packs.reason_titles(alert.procedure).get(alert.reason_code, alert.reason_title)
            figures.alert_themes[f"{alert.reason_code}: {title}"] += 1
        if alert.finalised_at is not None and start <= alert.finalised_at < end:
            figures.alerts_closed += 1
    if not alerts:
        return
    verdicts: dict[tuple[str, str], str] = {}
    steps = await session.scalars(
        select(AlertStep).where(
            AlertStep.workflow_id.in_(list(alerts)),
            AlertStep.in_time.is_not(None),
            AlertStep.at >= start,
            AlertStep.at < end,
        )
    )
    for step in steps:
        key = (step.workflow_id, step.stage_id or "")
        # A stage that was late once stays missed, whatever was said afterwards.
        verdicts[key] = "missed" if not step.in_time or verdicts.get(key) == "missed" else "met"
    for (wid, stage_id), verdict in verdicts.items():
        title = packs.alert_titles(alerts[wid].procedure).get(stage_id, stage_id)
        figures.alert_deadlines[title][verdict] += 1


async def quarter_figures(
    sessionmaker: async_sessionmaker[AsyncSession],
    quarter: Quarter,
    procedure: str | None = None,
    now: datetime | None = None,
) -> Figures:
    """The figures for ``quarter`` (and ``procedure``, if given), as of ``now``."""
    figures = Figures(quarter=quarter, procedure=procedure)
    packs = _Packs()
    async with sessionmaker() as session:
        await _disagreements(session, figures, packs, now or utcnow())
        await _alerts(session, figures, packs)
    figures.order = packs.order
    return figures
