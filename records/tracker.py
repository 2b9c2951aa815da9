"""The Quality Assurance Service's practice alert tracker: one row per alert raised in a window.

Rutland's guidance has every alert "recorded on the practice alert tracker"; this
builds that tracker from the database (``practice_alerts`` and ``alert_steps``),
never from Temporal, whose histories are deleted after the retention period.

Rows are streamed: one query joins each alert to its steps in order and the
rows are read in batches (``yield_per``), so a tracker covering years holds one
alert's steps in memory at a time. Moments are naive local times of the alert's
pack calendar, which is what a spreadsheet shows and sorts on.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.alert_view import AlertPacks, StageVisit, short_title, stage_visits
from records.schema import AlertStep, PracticeAlertRow, utcnow

WINDOW_ZONE = "Europe/London"
"""The zone --from and --to are read in (the same as the quarterly report's quarters)."""

BATCH = 500

Cell = str | int | datetime | None

COLUMNS: tuple[str, ...] = (
    "Raised",
    "Case reference",
    "Alert (workflow id)",
    "Procedure",
    "Raised by",
    "Reason code",
    "Theme",
    "Serious or urgent",
    "Start stage",
    "Stages reached",
    "Responses in time",
    "Responses late or missed",
    "State",
    "Current stage",
    "Finalised",
    "Finalised by",
    "Open days",
)

STATES = {
    "open": "open: awaiting a response",
    "awaiting_finalisation": "awaiting the chair's decision",
    "finalised": "finalised",
    "stopped": "stopped",
}


@dataclass(frozen=True)
class Window:
    """Alerts raised from ``first`` to ``last`` (local dates, both included; None: open-ended)."""

    first: date | None = None
    last: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware datetimes at local midnight."""
        tz = ZoneInfo(WINDOW_ZONE)
        start = datetime.combine(self.first, time(), tz) if self.first else None
        end = datetime.combine(self.last + timedelta(days=1), time(), tz) if self.last else None
        return start, end


def _query(window: Window, procedure: str | None) -> Select[PracticeAlertRow, AlertStep]:
    query = select(PracticeAlertRow, AlertStep).outerjoin(
        AlertStep, AlertStep.workflow_id == PracticeAlertRow.workflow_id
    )
    start, end = window.bounds()
    if start is not None:
        query = query.where(PracticeAlertRow.raised_at >= start)
    if end is not None:
        query = query.where(PracticeAlertRow.raised_at < end)
    if procedure:
        query = query.where(PracticeAlertRow.procedure == procedure)
    # Steps in the order the recorder wrote them, which is the alert's own order.
    order = (PracticeAlertRow.raised_at, PracticeAlertRow.id, AlertStep.id)
    return query.order_by(*order).execution_options(yield_per=BATCH)


def _when(t: datetime, zone: ZoneInfo) -> str:
    local = t.astimezone(zone)
    return f"{local.day} {local:%b %H:%M}"


def stage_text(title: str, visit: StageVisit, verdict: str, zone: ZoneInfo) -> str:
    """'Team Manager: due 14 Dec 17:00, responded 11 Dec 10:05 (in time)' and the like."""
    due = f"due {_when(visit.due_at, zone)}" if visit.due_at else "no deadline"
    if visit.responded_at is not None:
        return f"{title}: {due}, responded {_when(visit.responded_at, zone)} ({verdict})"
    if verdict == "missed":
        return f"{title}: {due}, no response (missed)"
    if verdict == "moved on" and visit.left_at is not None:
        return f"{title}: {due}, no response (moved on {_when(visit.left_at, zone)})"
    return f"{title}: {due}, awaiting response"


def tracker_row(
    alert: PracticeAlertRow, steps: list[AlertStep], packs: AlertPacks, now: datetime
) -> list[Cell]:
    """One alert's row, in the order of ``COLUMNS``."""
    p, zone = alert.procedure, packs.zone(alert.procedure)
    visits = stage_visits(steps)
    verdicts = [v.verdict(now) for v in visits]
    reached = [
        stage_text(short_title(packs.stage_title(p, v.stage_id)), v, verdict, zone)
        for v, verdict in zip(visits, verdicts, strict=True)
    ]
    if alert.state == "stopped" and alert.stopped_at is not None:
        end = alert.stopped_at
    else:
        end = alert.finalised_at or now
    raised = alert.raised_at.astimezone(zone)
    return [
        raised.replace(tzinfo=None),
        alert.case_reference,
        alert.workflow_id,
        p,
        alert.raised_by,
        alert.reason_code,
        packs.reason_title(p, alert.reason_code, alert.reason_title),
        "yes" if alert.serious_or_urgent else "no",
        packs.stage_title(p, alert.start_stage),
        "; ".join(reached),
        sum(v == "in time" for v in verdicts),
        sum(v in ("late", "missed") for v in verdicts),
        STATES.get(alert.state, alert.state),
        packs.stage_title(p, alert.current_stage) if alert.state != "finalised" else "",
        alert.finalised_at.astimezone(zone).replace(tzinfo=None) if alert.finalised_at else None,
        alert.finalised_by or "",
        (end.astimezone(zone).date() - raised.date()).days,
    ]


async def tracker_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    window: Window,
    procedure: str | None = None,
    now: datetime | None = None,
) -> AsyncGenerator[list[Cell], None]:
    """The tracker's rows (without the header), oldest alert first, as they are read.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
    """
    now = now or utcnow()
    packs = AlertPacks()
    alert: PracticeAlertRow | None = None
    steps: list[AlertStep] = []
    async with sessionmaker() as session:
        result = await session.stream(_query(window, procedure))
        # A batch at a time: row by row, each row would cost a greenlet switch of its own
        # (three quarters of the time the tracker took for 20,000 alerts).
        async for rows in result.partitions():
            for row, step in rows:
                if alert is not None and row.id != alert.id:
                    yield tracker_row(alert, steps, packs, now)
                    steps = []
                alert = row
                if step is not None:
                    steps.append(step)
        if alert is not None:
            yield tracker_row(alert, steps, packs, now)
