"""``escalation calendar ...``: closure days and holiday-list refreshes under running cases.

``calendar add-closure``  store a partnership's closure day(s), then move every
                          running case's pending deadlines around them
``calendar refresh``      after deploying a refreshed bank-holiday list, re-project
                          every running case's pending deadlines on it
``calendar list``         the closure days stored

Cases opened later honour stored closures by themselves (the ``load_pack``
activity reads them into the case's calendar). Running cases are found in
visibility and each is sent the ``change_calendar`` Update; what moved is printed
case by case in local time. A case that closed meanwhile is reported, not fatal.
Bad input is refused before anything is written or sent, naming the field.
Exit codes follow ``starter.cli``: 0 ok, 1 a case gave no answer or a service is
unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError

from models.calendar import CalendarChange, CalendarSpec
from models.pack import PolicyPack
from models.plain_errors import plain
from packs import PACK_DIR, PackError, load_pack, pack_ids
from records.closures import ClosureStore
from records.db import make_sessionmaker
from settings import get_settings
from starter import calendar_changes as changes
from starter.cli_common import cannot_connect
from starter.connect import ConnectionConfigError, connect
from workdays.calendar import load_calendar
from workflows.search_attributes import local_deadline

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
MAX_AHEAD_DAYS = 731
"""A closure more than two years ahead is refused: most likely a mistyped year."""
MAX_DAYS = 366
"""As many days as one ``CalendarChange`` carries."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _client_args(p: argparse.ArgumentParser) -> None:
    s = get_settings()
    p.add_argument("--address", default=s.temporal_address, help="Temporal frontend host:port")
    p.add_argument(
        "--namespace", default=s.temporal_namespace, help="Temporal namespace (TEMPORAL_NAMESPACE)"
    )
    p.add_argument(
        "--task-queue", default=s.task_queue, help="The worker's task queue (ESCALATION_TASK_QUEUE)"
    )
    p.add_argument(
        "--timeout", type=float, default=60.0, help="Seconds to wait for each case's answer"
    )


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="SQLAlchemy async URL (default: ESCALATION_DATABASE_URL)")
    p.add_argument(
        "--pack-dir", type=Path, default=PACK_DIR, help="Where the packs are (the workers' packs)"
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``escalation calendar add-closure|refresh|list``."""
    cal = sub.add_parser("calendar", help="Closure days and holiday-list refreshes")
    actions = cal.add_subparsers(dest="calendar_command", required=True)

    p = actions.add_parser(
        "add-closure", help="Store closure day(s) and move running cases' deadlines around them"
    )
    p.add_argument(
        "--date",
        dest="dates",
        action="append",
        required=True,
        metavar="YYYY-MM-DD",
        help="A day the partnership is closed (repeatable)",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--partnership", help="The partnership, as its packs name it")
    who.add_argument("--procedure", help="Or one of the partnership's procedures (pack id)")
    p.add_argument("--reason", required=True, help="Why, as the record and the emails say it")
    p.add_argument("--by", required=True, help="Who is announcing the closure")
    p.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing")
    _common_args(p)
    _client_args(p)

    p = actions.add_parser(
        "refresh", help="Re-project running cases onto a newly deployed bank-holiday list"
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--procedure", help="Only cases of this procedure (pack id)")
    which.add_argument("--partnership", help="Only cases of this partnership")
    p.add_argument("--reason", required=True, help="Why, as the record and the emails say it")
    p.add_argument("--by", required=True, help="Who deployed the list")
    p.add_argument("--dry-run", action="store_true", help="List the cases; send nothing")
    _common_args(p)
    _client_args(p)

    p = actions.add_parser("list", help="The closure days stored")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--partnership", help="Only this partnership")
    which.add_argument("--procedure", help="Only the partnership of this procedure")
    _common_args(p)


def _err(message: str) -> None:
    print(f"escalation: {message}", file=sys.stderr)


@dataclass(frozen=True)
class Target:
    """The partnership a command is about, its procedures and its calendar."""

    partnership: str
    procedures: list[str]
    calendar: CalendarSpec


def load_packs(pack_dir: Path) -> dict[str, PolicyPack]:
    """Every usable pack by procedure id (a broken pack names no partnership)."""
    packs = {}
    for procedure in pack_ids(pack_dir):
        try:
            packs[procedure] = load_pack(procedure, pack_dir)
        except PackError:
            continue
    return packs


def resolve_target(
    partnership: str | None, procedure: str | None, packs: dict[str, PolicyPack]
) -> tuple[Target | None, list[str]]:
    """The partnership named by ``--partnership`` (any case) or ``--procedure``; or errors."""
    if procedure is not None:
        if procedure not in packs:
            known = ", ".join(sorted(packs)) or "none"
            return None, [f"--procedure: unknown procedure '{procedure}' (known: {known})"]
        partnership = packs[procedure].partnership
    assert partnership is not None
    wanted = partnership.strip().casefold()
    procedures = sorted(p for p, pack in packs.items() if pack.partnership.casefold() == wanted)
    if not procedures:
        names = "; ".join(sorted({pack.partnership for pack in packs.values()})) or "none"
        return None, [f"--partnership: no pack names the partnership '{partnership}' ({names})"]
    first = packs[procedures[0]]
    return Target(first.partnership, procedures, first.calendar), []


def parse_dates(values: list[str], today: date) -> tuple[list[date], list[str]]:
    """The closure days, sorted and once each, or every error naming ``--date``."""
    days: set[date] = set()
    errors = []
    for value in values:
        text = value.strip()
        if not _DATE.match(text):
            errors.append(f"--date: '{value}' is not a date in the form YYYY-MM-DD")
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            errors.append(f"--date: '{value}' is not a date ({exc})")
            continue
        if day < today:
            errors.append(
                f"--date: {day} is in the past (today is {today}); a closure cannot reopen "
                "deadlines that have passed"
            )
        elif day > today + timedelta(days=MAX_AHEAD_DAYS):
            errors.append(
                f"--date: {day} is more than two years ahead; check the year "
                f"(latest accepted: {today + timedelta(days=MAX_AHEAD_DAYS)})"
            )
        else:
            days.add(day)
    if len(days) > MAX_DAYS:
        errors.append(f"--date: {len(days)} days given; at most {MAX_DAYS} at once")
    return sorted(days), errors


def _text_errors(args: argparse.Namespace) -> list[str]:
    errors = []
    if not args.reason.strip():
        errors.append("--reason: must not be empty (it goes in every case's record)")
    if not args.by.strip():
        errors.append("--by: must not be empty (the record says who changed the calendar)")
    if not errors:  # the limits every case will check (length, control characters)
        try:
            CalendarChange(by=args.by, reason=args.reason)
        except ValidationError as exc:
            errors += [f"--{e['loc'][0]}: {plain(e)}" for e in exc.errors() if e["loc"]]
    return errors


def _url(args: argparse.Namespace) -> str:
    return str(args.database_url or get_settings().database_url)


async def _connect(args: argparse.Namespace) -> Client | None:
    try:
        return await connect(args.address, args.namespace)
    except ConnectionConfigError as exc:
        _err(str(exc))
    except RuntimeError as exc:
        _err(cannot_connect(args.address, exc))
    return None


def _outcome_lines(outcome: changes.CaseOutcome, timezone: str) -> list[str]:
    """What one case answered, in local time: one line per moved deadline."""
    wid = outcome.case.workflow_id
    if outcome.refused is not None:
        return [f"{wid}: refused: {outcome.refused}"]
    if outcome.error is not None:
        return [f"{wid}: NO ANSWER: {outcome.error}"]
    assert outcome.receipt is not None
    if not outcome.receipt.moved:
        return [f"{wid}: no change"]
    lines = []
    for m in outcome.receipt.moved:
        what = m.deadline + (f" ({m.stage_id})" if m.stage_id else "")
        lines.append(
            f"{wid}: {what}: {local_deadline(m.old_due_at, timezone)} → "
            f"{local_deadline(m.new_due_at, timezone)}"
        )
    return lines


def _report(outcomes: list[changes.CaseOutcome], timezones: dict[str, str]) -> int:
    """Print every case's answer and a summary; 1 if any case gave no answer."""
    for outcome in outcomes:
        zone = timezones.get(outcome.case.procedure or "", "Europe/London")
        for line in _outcome_lines(outcome, zone):
            print(line)
    moved = sum(1 for o in outcomes if o.receipt is not None and o.receipt.moved)
    unchanged = sum(1 for o in outcomes if o.receipt is not None and not o.receipt.moved)
    refused = sum(1 for o in outcomes if o.refused is not None)
    failed = sum(1 for o in outcomes if o.error is not None)
    print(
        f"{len(outcomes)} running case(s): {moved} moved, {unchanged} no change, "
        f"{refused} refused, {failed} no answer"
    )
    if failed:
        _err("some cases gave no answer; running the same command again is harmless")
        return EXIT_FAILED
    return 0


def _timezones(packs: dict[str, PolicyPack]) -> dict[str, str]:
    return {procedure: pack.calendar.timezone for procedure, pack in packs.items()}


async def add_closure(args: argparse.Namespace) -> int:
    """Validate, store the days, then send every running case of the partnership the change."""
    packs = load_packs(args.pack_dir)
    target, errors = resolve_target(args.partnership, args.procedure, packs)
    errors += _text_errors(args)
    zone = target.calendar.timezone if target is not None else "Europe/London"
    days, date_errors = parse_dates(args.dates, datetime.now(ZoneInfo(zone)).date())
    errors += date_errors
    if errors or target is None:
        for error in errors:
            _err(error)
        _err("nothing stored, no case told")
        return EXIT_BAD_INPUT
    change = CalendarChange(by=args.by.strip(), reason=args.reason.strip(), closure_days=days)
    client = await _connect(args)
    if client is None:
        _err("nothing stored, no case told")
        return EXIT_FAILED
    store_maker = make_sessionmaker(_url(args), create=False)
    store = ClosureStore(store_maker)
    try:
        if args.dry_run:
            already = await store.stored(target.partnership, days)
        else:
            new = await store.add(target.partnership, days, change.reason, change.by)
            already = set(days) - set(new)
    except (SQLAlchemyError, OSError) as exc:
        _err(f"database: {exc} (has `escalation db upgrade` been run?)")
        _err("nothing stored, no case told")
        return EXIT_FAILED
    finally:
        await store_maker.kw["bind"].dispose()
    _print_days(target, days, already, args.dry_run)
    query = changes.running_cases_query(target.procedures, target.partnership)
    return await _tell(client, args, query, change, _timezones(packs))


def _print_days(target: Target, days: list[date], already: set[date], dry_run: bool) -> None:
    calendar = load_calendar(target.calendar)
    verb = "would store" if dry_run else "stored"
    for day in days:
        notes = []
        if day in already:
            notes.append("already stored")
        if not calendar.is_working_day(day):
            notes.append("not a working day anyway")
        note = f" ({'; '.join(notes)})" if notes else ""
        print(f"{verb} closure {day:%A} {day.day} {day:%B %Y} for {target.partnership}{note}")


async def _tell(
    client: Client,
    args: argparse.Namespace,
    query: str,
    change: CalendarChange,
    timezones: dict[str, str],
) -> int:
    try:
        cases = await changes.running_cases(client, query)
    except RPCError as exc:
        _err(
            f"Temporal: cannot list the running cases: {exc}; no case was told "
            "(running the same command again is harmless)"
        )
        return EXIT_FAILED
    if args.dry_run:
        for case in cases:
            print(f"would tell {case.workflow_id} ({case.workflow_type}, {case.procedure or '-'})")
        print(f"{len(cases)} running case(s) would be told; nothing changed (dry run)")
        return 0
    outcomes = await changes.send_change(client, args.task_queue, cases, change, args.timeout)
    return _report(outcomes, timezones)


async def refresh(args: argparse.Namespace) -> int:
    """Send every running case (of the procedure / partnership) an empty calendar change."""
    errors = _text_errors(args)
    packs = load_packs(args.pack_dir)
    procedures: list[str] | None = None
    partnership: str | None = None
    if args.procedure is not None or args.partnership is not None:
        target, target_errors = resolve_target(args.partnership, args.procedure, packs)
        errors += target_errors
        if target is not None:
            procedures = [args.procedure] if args.procedure else target.procedures
            partnership = None if args.procedure else target.partnership
    if errors:
        for error in errors:
            _err(error)
        _err("no case told")
        return EXIT_BAD_INPUT
    change = CalendarChange(by=args.by.strip(), reason=args.reason.strip())
    client = await _connect(args)
    if client is None:
        return EXIT_FAILED
    query = changes.running_cases_query(procedures, partnership)
    return await _tell(client, args, query, change, _timezones(packs))


async def list_closures(args: argparse.Namespace) -> int:
    """Print the stored closure days, by partnership then day."""
    partnership = None
    if args.partnership is not None or args.procedure is not None:
        packs = load_packs(args.pack_dir)
        target, errors = resolve_target(args.partnership, args.procedure, packs)
        if target is None:
            for error in errors:
                _err(error)
            return EXIT_BAD_INPUT
        partnership = target.partnership
    maker = make_sessionmaker(_url(args), create=False)
    try:
        rows = await ClosureStore(maker).all(partnership)
    except (SQLAlchemyError, OSError) as exc:
        _err(f"database: {exc} (has `escalation db upgrade` been run?)")
        return EXIT_FAILED
    finally:
        await maker.kw["bind"].dispose()
    for r in rows:
        print(
            f"{r.day.isoformat()}  {r.partnership}  {r.reason}  "
            f"(added by {r.added_by}, {r.added_at:%Y-%m-%d %H:%M} UTC)"
        )
    if not rows:
        print("no closure days stored")
    return 0


def run(args: argparse.Namespace) -> int | None:
    """Run a ``calendar`` command; None for anybody else's command."""
    if args.command != "calendar":
        return None
    if args.calendar_command == "add-closure":
        return asyncio.run(add_closure(args))
    if args.calendar_command == "refresh":
        return asyncio.run(refresh(args))
    return asyncio.run(list_closures(args))
