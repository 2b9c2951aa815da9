"""What Today shows, read from the records database: open, due, overdue, stopped, failed.

Only the signed-in person's partnerships are read. The queries go through the
indexes the reconcile sweep and the report already use (``state``; steps by
workflow id and key), read the few columns a line needs rather than the cases'
texts, and every list shown is bounded (``LIMIT``) with the number left out said
in words: a partnership with thousands of open cases still gets a page quickly.

A case's deadline is the one its record holds for its current stage: the due time
of the ``stage_entered`` step, moved by any later ``deadline_changed`` step of the
stage (a shortened timescale, a re-projected calendar); a resolved case awaiting
written confirmation is due by its ``confirmation_due`` step. Times are the
procedure's own time zone (its pack's calendar), to the minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.packs_of import loadable_packs
from records.names import Names
from records.schema import (
    AlertStep,
    Disagreement,
    OutboxNotification,
    PracticeAlertRow,
    Step,
)
from records.stopped import OPEN_STATES, StoppedCases

LIMIT = 200
"""The most lines any one list of Today shows; the rest are counted ("and N more")."""
DEADLINE_KINDS = ("stage_entered", "deadline_changed", "confirmation_due")


def minute(t: datetime | None, zone: str) -> str:
    """A moment in ``zone`` to the minute with the zone's name: 'Mon 17 Jun 2030 17:00 BST'."""
    if t is None:
        return ""
    return f"{t.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M %Z}"


@dataclass(frozen=True)
class Line:
    """One case or alert on Today: enough to read it and follow the link to it."""

    href: str
    workflow_id: str
    case_reference: str
    procedure: str
    stage: str
    due_at: datetime | None
    due: str
    what: str = ""
    """What is due (the stage's deadline, or the written confirmation) or went wrong."""


@dataclass
class Bounded:
    """A list shown up to ``LIMIT`` lines, and how many more there are."""

    lines: list[Line] = field(default_factory=list)
    more: int = 0

    @classmethod
    def of(cls, lines: Sequence[Line], total: int | None = None) -> Bounded:
        """The first ``LIMIT`` of ``lines``; ``total`` when the query counted beyond them."""
        shown = list(lines[:LIMIT])
        return cls(shown, (len(lines) if total is None else total) - len(shown))


@dataclass
class Group:
    """Open cases of one procedure at one stage: how many, and the first of them."""

    procedure: str
    stage: str
    count: int
    cases: list[Line]


@dataclass
class TodayView:
    """Everything Today shows, each list bounded."""

    groups: list[Group]
    open_total: int
    due_today: Bounded
    due_this_week: Bounded
    overdue: Bounded
    stopped: Bounded
    failed_emails: Bounded
    alerts_open: Bounded
    alerts_overdue: Bounded


class _Titles:
    """Pack titles and zones by procedure, loaded once per page."""

    def __init__(self) -> None:
        self._names: dict[str, Names] = {}

    def __call__(self, procedure: str) -> Names:
        if procedure not in self._names:
            self._names[procedure] = Names.of(procedure)
        return self._names[procedure]

    def stage(self, procedure: str, ladder: str, stage: str | None) -> str:
        names = self(procedure)
        if not stage:
            return ""
        return names.ladder_stages.get((ladder, stage)) or names.stage(stage)


def alert_procedures(partnerships: Iterable[str], pack_dir: Path) -> list[str]:
    """The procedures whose pack names one of ``partnerships`` (an alert's partnership)."""
    wanted = set(partnerships)
    shipped = loadable_packs(pack_dir, local=False)
    return [procedure for procedure, pack in shipped.items() if pack.partnership in wanted]


@dataclass
class _Deadline:
    ladder: str = ""
    due_at: datetime | None = None
    what: str = "stage deadline"


def _current_deadlines(rows: Iterable[Any]) -> dict[str, _Deadline]:
    """Each case's deadline now, from its current stage's steps in key order."""
    found: dict[str, _Deadline] = {}
    for wid, kind, due_at, data, state in rows:
        data = data or {}
        if kind == "stage_entered":
            found[wid] = _Deadline(str(data.get("ladder") or ""), due_at)
        elif wid not in found:
            continue
        elif kind == "deadline_changed" and data.get("deadline", "stage") == "stage":
            if state == "open" and due_at is not None:
                found[wid].due_at = due_at
        elif kind == "confirmation_due" and state == "resolved":
            found[wid].due_at, found[wid].what = due_at, "written confirmation"
    return found


async def _disagreements(
    session: AsyncSession, partnerships: list[str], now: datetime, titles: _Titles
) -> tuple[list[Group], int, list[Line], list[Line], list[Line]]:
    """The open cases grouped, and those due today, later this week and overdue."""
    mine = and_(
        Disagreement.partnership.in_(partnerships),
        Disagreement.state.in_(OPEN_STATES["Disagreement"]),
    )
    cases = (
        await session.execute(
            select(
                Disagreement.workflow_id,
                Disagreement.case_reference,
                Disagreement.procedure,
                Disagreement.ladder,
                Disagreement.current_stage,
                Disagreement.state,
            )
            .where(mine)
            .order_by(Disagreement.raised_at, Disagreement.workflow_id)
        )
    ).all()
    steps = await session.execute(
        select(Step.workflow_id, Step.kind, Step.due_at, Step.data, Disagreement.state)
        .join(Disagreement, Disagreement.workflow_id == Step.workflow_id)
        .where(mine, Step.kind.in_(DEADLINE_KINDS), Step.stage_id == Disagreement.current_stage)
        .order_by(Step.workflow_id, Step.key)
    )
    deadlines = _current_deadlines(steps.all())
    groups: dict[tuple[str, str], Group] = {}
    due_today: list[Line] = []
    this_week: list[Line] = []
    overdue: list[Line] = []
    for wid, ref, procedure, ladder, stage, state in cases:
        names = titles(procedure)
        deadline = deadlines.get(wid, _Deadline(ladder))
        title = titles.stage(procedure, deadline.ladder or ladder, stage)
        if state == "resolved":
            title = f"{title} (resolved, awaiting written confirmation)"
        due = minute(deadline.due_at, names.timezone) or "no deadline set"
        line = Line(
            f"/cases/{wid}",
            wid,
            ref,
            names.procedure_title,
            title,
            deadline.due_at,
            due,
            deadline.what,
        )
        group = groups.setdefault(
            (names.procedure_title, title), Group(names.procedure_title, title, 0, [])
        )
        group.count += 1
        if len(group.cases) < LIMIT:
            group.cases.append(line)
        if deadline.due_at is None:
            continue
        zone = ZoneInfo(names.timezone)
        today = now.astimezone(zone).date()
        due_day = deadline.due_at.astimezone(zone).date()
        week_end = today + timedelta(days=6 - today.weekday())
        if deadline.due_at <= now:
            overdue.append(line)
        elif due_day == today:
            due_today.append(line)
        elif due_day <= week_end:
            this_week.append(line)
    by_due = sorted(overdue, key=lambda x: (x.due_at, x.workflow_id))
    ordered = sorted(groups.values(), key=lambda g: (g.procedure, g.stage))
    return (
        ordered,
        len(cases),
        sorted(due_today, key=lambda x: (x.due_at, x.workflow_id)),
        sorted(this_week, key=lambda x: (x.due_at, x.workflow_id)),
        by_due,
    )


async def _failed_emails(
    session: AsyncSession,
    partnerships: list[str],
    procedures: list[str],
    now: datetime,
    titles: _Titles,
) -> Bounded:
    """Emails the outbox gave up on, for the person's cases and alerts, newest first."""
    lines: list[Line] = []
    total = 0
    for table, where in (
        (Disagreement, Disagreement.partnership.in_(partnerships)),
        (PracticeAlertRow, PracticeAlertRow.procedure.in_(procedures)),
    ):
        joined = and_(
            OutboxNotification.status == "failed",
            OutboxNotification.workflow_id == table.workflow_id,
            where,
        )
        total += int(
            await session.scalar(
                select(func.count()).select_from(OutboxNotification, table).where(joined)
            )
            or 0
        )
        rows = await session.execute(
            select(
                OutboxNotification.workflow_id,
                OutboxNotification.case_reference,
                OutboxNotification.subject,
                OutboxNotification.created_at,
                OutboxNotification.last_error,
                table.procedure,
            )
            .where(joined)
            .order_by(OutboxNotification.created_at.desc())
            .limit(LIMIT)
        )
        base = "/cases/" if table is Disagreement else "/alerts/"
        for wid, ref, subject, at, error, procedure in rows.all():
            names = titles(procedure)
            what = subject + (f" ({error})" if error else "")
            lines.append(
                Line(
                    f"{base}{wid}",
                    wid,
                    ref,
                    names.procedure_title,
                    "",
                    at,
                    minute(at, names.timezone),
                    what,
                )
            )
    lines.sort(key=lambda x: (x.due_at is not None, x.due_at or now), reverse=True)
    return Bounded.of(lines, total)


async def _stopped(
    sessions: async_sessionmaker[AsyncSession],
    partnerships: list[str],
    procedures: list[str],
    titles: _Titles,
) -> Bounded:
    """Cases whose workflow Temporal no longer runs (``escalation reconcile`` marked them)."""
    lines = []
    for row in await StoppedCases(sessions).stopped():
        case = row.case
        if case.kind == "Disagreement" and case.partnership not in partnerships:
            continue
        if case.kind == "PracticeAlert" and case.procedure not in procedures:
            continue
        names = titles(case.procedure)
        base = "/cases/" if case.kind == "Disagreement" else "/alerts/"
        lines.append(
            Line(
                f"{base}{case.workflow_id}",
                case.workflow_id,
                case.case_reference,
                names.procedure_title,
                names.stage(case.stage),
                row.stopped_at,
                minute(row.stopped_at, names.timezone),
                row.reason or "",
            )
        )
    return Bounded.of(lines)


async def _alerts(
    session: AsyncSession, procedures: list[str], now: datetime, titles: _Titles
) -> tuple[Bounded, Bounded]:
    """Open practice alerts (awaiting a response or the chair's finalisation), and the
    overdue ones: a stage's response deadline passed and the alert still at that stage."""
    mine = and_(
        PracticeAlertRow.procedure.in_(procedures),
        PracticeAlertRow.state.in_(OPEN_STATES["PracticeAlert"]),
    )
    alerts = (
        await session.execute(
            select(
                PracticeAlertRow.workflow_id,
                PracticeAlertRow.case_reference,
                PracticeAlertRow.procedure,
                PracticeAlertRow.current_stage,
                PracticeAlertRow.state,
            )
            .where(mine)
            .order_by(PracticeAlertRow.raised_at, PracticeAlertRow.workflow_id)
        )
    ).all()
    steps = await session.execute(
        select(AlertStep.workflow_id, AlertStep.kind, AlertStep.due_at, AlertStep.data)
        .join(PracticeAlertRow, PracticeAlertRow.workflow_id == AlertStep.workflow_id)
        .where(
            mine,
            AlertStep.kind.in_(("stage_entered", "deadline_changed")),
            AlertStep.stage_id == PracticeAlertRow.current_stage,
        )
        .order_by(AlertStep.workflow_id, AlertStep.key)
    )
    due: dict[str, datetime | None] = {}
    for wid, kind, due_at, data in steps.all():
        if kind == "stage_entered" or (
            wid in due and due_at is not None and (data or {}).get("deadline", "stage") == "stage"
        ):
            due[wid] = due_at
    open_lines, overdue = [], []
    for wid, ref, procedure, stage, state in alerts:
        names = titles(procedure)
        at = due.get(wid) if state == "open" else None
        what = "awaiting the chair's finalisation" if state != "open" else "response due"
        line = Line(
            f"/alerts/{wid}",
            wid,
            ref,
            names.procedure_title,
            names.stage(stage),
            at,
            minute(at, names.timezone),
            what,
        )
        open_lines.append(line)
        if at is not None and at <= now:
            overdue.append(line)
    return Bounded.of(open_lines), Bounded.of(
        sorted(overdue, key=lambda x: (x.due_at, x.workflow_id))
    )


async def today_view(
    sessions: async_sessionmaker[AsyncSession],
    partnerships: list[str],
    now: datetime,
    pack_dir: Path,
) -> TodayView:
    """Today for someone who holds a role in ``partnerships``, as of ``now``."""
    titles = _Titles()
    procedures = alert_procedures(partnerships, pack_dir)
    async with sessions() as session:
        groups, total, due_today, this_week, overdue = await _disagreements(
            session, partnerships, now, titles
        )
        failed = await _failed_emails(session, partnerships, procedures, now, titles)
        alerts_open, alerts_overdue = await _alerts(session, procedures, now, titles)
    return TodayView(
        groups=groups,
        open_total=total,
        due_today=Bounded.of(due_today),
        due_this_week=Bounded.of(this_week),
        overdue=Bounded.of(overdue),
        stopped=await _stopped(sessions, partnerships, procedures, titles),
        failed_emails=failed,
        alerts_open=alerts_open,
        alerts_overdue=alerts_overdue,
    )
