"""``escalation report schedule`` / ``report schedules``: the quarterly report, by itself.

``report schedule --to EMAIL[,EMAIL] [--procedure ID] [--day N]`` creates, or
updates when it exists, the Temporal Schedule ``quarterly-report-<procedure|all>``:
every morning at 07:00 it runs the QuarterlyReport workflow, which emails the
quarter just ended (the report's HTML page as the body, its figures attached)
on the N-th working day after the quarter's last day, once. ``--delete`` removes
the schedule; ``report schedules`` lists them, one line each: id, recipients,
procedure, day, next run, next report due. Admins see them under Schedules in
the Temporal Web UI. A worker must poll the task queue for the runs to happen.

Exit codes: 0 done, 1 Temporal unreachable or no such schedule, 2 bad options.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from models.common import Email
from models.quarterly import DAY_MAX, DAY_MIN, QuarterlyReportRequest
from packs import PackError, UnknownProcedure, load_pack
from starter.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    cannot_connect,
    client_args,
    fail,
    unknown_procedure,
)

if TYPE_CHECKING:
    from temporalio.client import Client

    from starter.schedule import QuarterlySchedule

SCHEDULE_DESCRIPTION = """\
Create, or update when it exists, the Temporal Schedule that emails the
quarterly report (quarterly-report-<procedure>, or quarterly-report-all) on the
N-th working day after each quarter's last day, once. --delete removes it;
escalation report schedules lists them."""

SCHEDULE_EPILOG = """\
examples:
  escalation report schedule --to bm@lscb.example.org
  escalation report schedule --to bm@rutland.example.org,chair@rutland.example.org \\
      --procedure rutland --day 10
  escalation report schedule --procedure rutland --delete

Running it again with other options updates the schedule (a pause is kept).
The report for a quarter goes once to a list of recipients. A report the due
day's run could not send (a relay that was down, a worker stopped) goes on a
later morning, up to ten working days late; so does the report for a new list
of recipients given within those days. escalation report --quarter prints
any quarter's report by hand.
"""

SCHEDULES_EPILOG = """\
example:
  escalation report schedules
  quarterly-report-rutland  to bm@rutland.example.org  procedure rutland  day 5
      next run Tuesday 6 January 2027, 07:00 GMT  next report 2026Q4 due Friday 8 January 2027
(one line, folded here)
"""

EMAIL = TypeAdapter(Email)
ZONE = "Europe/London"
"""Where ``report schedules`` shows times (every shipped procedure keeps England's)."""


def add_report_subcommands(report: argparse.ArgumentParser) -> None:
    """Declare ``report schedule`` and ``report schedules`` under ``report``."""
    actions = report.add_subparsers(dest="report_action", metavar="{schedule,schedules}")
    p = actions.add_parser(
        "schedule",
        help="Email the quarterly report N working days after each quarter ends (a schedule)",
        description=SCHEDULE_DESCRIPTION,
        epilog=SCHEDULE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    client_args(p)
    p.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="EMAIL[,EMAIL]",
        help="Who receives the report; commas or the option repeated (required unless --delete)",
    )
    p.add_argument(
        "--procedure",
        help="Report only this procedure (pack id); default every procedure. One schedule "
        "per procedure: quarterly-report-<procedure>, or quarterly-report-all",
    )
    p.add_argument(
        "--day",
        type=int,
        default=5,
        help=f"Working days after the quarter's last day the report is due "
        f"({DAY_MIN}-{DAY_MAX}, default 5), on the procedure's calendar",
    )
    p.add_argument("--delete", action="store_true", help="Remove the procedure's schedule")
    p = actions.add_parser(
        "schedules",
        help="List the quarterly-report schedules",
        epilog=SCHEDULES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    client_args(p)


def run(args: argparse.Namespace) -> int:
    """Run ``report schedule`` or ``report schedules``."""
    if args.report_action == "schedules":
        return asyncio.run(_list(args))
    if (err := unknown_procedure(args.procedure)) is not None:
        return fail(err, EXIT_BAD_INPUT)
    if args.procedure is not None:
        try:
            load_pack(args.procedure)
        except (UnknownProcedure, PackError) as exc:
            return fail(f"--procedure: {exc}", EXIT_BAD_INPUT)
    if args.delete:
        return asyncio.run(_delete(args))
    to = [a.strip() for part in args.to for a in part.split(",") if a.strip()]
    if not to:
        return fail("--to: give at least one email address (or --delete)", EXIT_BAD_INPUT)
    for address in to:
        try:
            EMAIL.validate_python(address)
        except ValidationError:
            return fail(f"--to: {address!r} is not an email address", EXIT_BAD_INPUT)
    if not DAY_MIN <= args.day <= DAY_MAX:
        return fail(f"--day: give working days from {DAY_MIN} to {DAY_MAX}", EXIT_BAD_INPUT)
    req = QuarterlyReportRequest(
        to=list(dict.fromkeys(to)), procedure=args.procedure, working_days=args.day
    )
    return asyncio.run(_ensure(args, req))


async def _client(args: argparse.Namespace) -> Client | int:
    """A connected client, or the exit code after saying why there is none."""
    from starter.connect import ConnectionConfigError, connect

    try:
        return await connect(args.address, args.namespace)
    except ConnectionConfigError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except RuntimeError as exc:
        return fail(cannot_connect(args.address, exc), EXIT_REFUSED)


async def _ensure(args: argparse.Namespace, req: QuarterlyReportRequest) -> int:
    from temporalio.service import RPCError

    from starter.schedule import ensure_quarterly_schedule

    client = await _client(args)
    if isinstance(client, int):
        return client
    zone = load_pack(req.procedure).calendar.timezone if req.procedure else ZONE
    try:
        print(await ensure_quarterly_schedule(client, args.task_queue, req, zone))
    except RPCError as exc:
        return fail(f"Temporal: {exc}", EXIT_REFUSED)
    return 0


async def _delete(args: argparse.Namespace) -> int:
    from temporalio.service import RPCError, RPCStatusCode

    from starter.schedule import quarterly_schedule_id

    client = await _client(args)
    if isinstance(client, int):
        return client
    schedule_id = quarterly_schedule_id(args.procedure)
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return fail(f"no schedule {schedule_id}", EXIT_REFUSED)
        return fail(f"Temporal: {exc}", EXIT_REFUSED)
    print(f"deleted schedule {schedule_id}")
    return 0


def next_report(req: QuarterlyReportRequest, today: date) -> tuple[str, date]:
    """The next quarter whose report falls due on or after ``today``, and its due day."""
    from activities.quarterly import due_day, quarter_before, quarter_of
    from models.calendar import CalendarSpec
    from workdays.calendar import load_calendar

    spec = load_pack(req.procedure).calendar if req.procedure else CalendarSpec()
    calendar = load_calendar(spec)
    for quarter in (quarter_before(today), quarter_of(today)):
        due = due_day(quarter, calendar, req.working_days)
        if due >= today:
            return quarter.label, due
    raise AssertionError("unreachable: this quarter's report is due after today")


async def _list(args: argparse.Namespace) -> int:
    from temporalio.service import RPCError

    from starter.schedule import quarterly_schedules

    client = await _client(args)
    if isinstance(client, int):
        return client
    try:
        found = await quarterly_schedules(client)
    except RPCError as exc:
        return fail(f"Temporal: {exc}", EXIT_REFUSED)
    for s in found:
        print(schedule_line(s, datetime.now(ZoneInfo(ZONE)).date()))
    return 0


def schedule_line(s: QuarterlySchedule, today: date) -> str:
    """One line of ``report schedules``: id, recipients, procedure, day, next run and report."""
    from workflows.search_attributes import local_deadline

    req = s.request
    quarter, due = next_report(req, today)
    run = "paused" if s.paused else "no next run"
    if not s.paused and s.next_run is not None:
        run = f"next run {local_deadline(s.next_run, ZONE)}"
    return "  ".join(
        [
            s.schedule_id,
            f"to {', '.join(req.to)}",
            f"procedure {req.procedure or 'all'}",
            f"day {req.working_days}",
            run,
            f"next report {quarter} due {due:%A} {due.day} {due:%B %Y}",
        ]
    )
