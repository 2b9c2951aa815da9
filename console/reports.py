"""Reports: the quarterly figures for any quarter, and the schedules that email them.

The figures are ``escalation report --format html``'s own (``records.report.quarter_figures``
rendered by ``templates/report_body.html``), counted one procedure at a time for the
procedures of the person's partnerships only: a partnership sees its own figures, never
another's. Any role of the partnership may read them.

The schedules are the Temporal Schedules ``escalation report schedule`` creates (who the
report goes to, when it next runs, which quarter falls due when). They live in Temporal,
not in the records: when Temporal cannot be asked, the page says so and still shows the
figures, which come from the records alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from console.guard import identity
from console.packs_of import packs_of
from console.pages import page, refused
from console.state import STATE, ConsoleState
from models.pack import PolicyPack
from records.report import quarter_figures
from records.report_figures import Figures, Quarter
from records.report_render import html_content
from starter.cli_report_schedule import ZONE, next_report
from starter.schedule import QuarterlySchedule, quarterly_schedules
from workflows.search_attributes import local_deadline

log = logging.getLogger("escalation.console")

routes = web.RouteTableDef()


@dataclass(frozen=True)
class ScheduleRow:
    """One quarterly-report schedule as the page lists it."""

    schedule_id: str
    to: str
    procedure: str
    day: int
    next_run: str
    next_report: str


def quarter_of(day: date) -> Quarter:
    """The calendar quarter ``day`` falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def _quarter_error(text: str) -> str | None:
    try:
        Quarter.parse(text)
    except ValueError:
        return f"quarter: '{text}' is not a quarter; write the year and Q1 to Q4, e.g. 2026Q4"
    return None


def _period(quarter: Quarter, procedure: str | None) -> str:
    last = date.fromordinal(quarter.next_first_day.toordinal() - 1)
    scope = f"procedure {procedure}" if procedure else "your partnerships' procedures"
    return f"{quarter.first_day:%-d %B %Y} to {last:%-d %B %Y}, {scope}"


async def figures_for(
    state: ConsoleState, quarter: Quarter, procedures: list[str], procedure: str | None
) -> Figures:
    """The quarter's figures of ``procedures`` (or only ``procedure``), one section each.

    Counted per procedure, so the database never reads another partnership's cases.
    """
    figures = Figures(quarter=quarter, procedure=procedure)
    now = state.clock()
    for one in [procedure] if procedure else procedures:
        counted = await quarter_figures(state.sessions, quarter, one, now)
        figures.procedures.update(counted.procedures)
    return figures


def _schedule_row(s: QuarterlySchedule, today: date) -> ScheduleRow:
    req = s.request
    quarter, due = next_report(req, today)
    run = "paused" if s.paused else "none planned"
    if not s.paused and s.next_run is not None:
        run = local_deadline(s.next_run, ZONE)
    return ScheduleRow(
        schedule_id=s.schedule_id,
        to=", ".join(req.to),
        procedure=req.procedure or "every procedure",
        day=req.working_days,
        next_run=run,
        next_report=f"{quarter}, due {due:%A} {due.day} {due:%B %Y}",
    )


async def schedules_for(
    state: ConsoleState, procedures: dict[str, PolicyPack]
) -> tuple[list[ScheduleRow], str | None]:
    """The schedules that send these procedures' report (and the every-procedure one),
    or why Temporal could not say."""
    try:
        found = await quarterly_schedules(state.cases.client)
    except RPCError as exc:
        log.warning("console: cannot list the quarterly-report schedules: %s", exc)
        return [], (
            "The schedules that email this report cannot be read from Temporal just now "
            f"({exc.message}). The figures above come from the records and are complete; "
            "try again later to see who the report goes to and when."
        )
    today = state.clock().astimezone(ZoneInfo(ZONE)).date()
    rows = [
        _schedule_row(s, today)
        for s in found
        if s.request.procedure is None or s.request.procedure in procedures
    ]
    return rows, None


@routes.get("/reports")
async def reports(request: web.Request) -> web.StreamResponse:
    """The quarter asked for (this quarter by default) and the schedules that send it."""
    state = request.app[STATE]
    who = identity(request)
    procedures = packs_of(state, who.partnerships())
    if not procedures:
        return await refused(
            request,
            "No procedure names your partnership(s), so there are no figures for you to read.",
        )
    today = state.clock().astimezone(ZoneInfo(ZONE)).date()
    asked = request.query.get("quarter", "").strip() or quarter_of(today).label
    chosen = request.query.get("procedure", "").strip() or None
    errors = []
    if (error := _quarter_error(asked)) is not None:
        errors.append(error)
    if chosen is not None and chosen not in procedures:
        errors.append(
            f"procedure: '{chosen}' is not a procedure of your partnership(s) "
            f"(yours: {', '.join(sorted(procedures))})"
        )
    context: dict[str, Any] = {
        "quarter": asked,
        "chosen": chosen or "",
        "procedures": sorted((p.title, pid) for pid, p in procedures.items()),
        "errors": errors,
        "report": None,
    }
    schedules, unreachable = await schedules_for(state, procedures)
    context.update(schedules=schedules, unreachable=unreachable)
    if errors:
        return await page(request, "reports.html", title="Reports", status=400, **context)
    quarter = Quarter.parse(asked)
    try:
        figures = await figures_for(state, quarter, sorted(procedures), chosen)
    except SQLAlchemyError as exc:
        log.error("console: cannot count the quarter's figures: %s", exc)
        context["errors"] = ["The records cannot be read just now; nothing is shown. Try again."]
        return await page(request, "reports.html", title="Reports", status=503, **context)
    report = html_content(figures)
    report["period"] = _period(quarter, chosen)
    context.update(report=report, label=quarter.label)
    return await page(request, "reports.html", title="Reports", **context)
