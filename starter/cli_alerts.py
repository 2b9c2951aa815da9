"""``escalation alert ...``: raise a practice alert, respond, finalise, ask its status.

Exit codes follow ``starter.cli``: 0 ok, 1 refused by the workflow or not found,
2 bad input. Errors go to stderr and name the field and the reason. The chair's
decisions (``finalise``, ``not-satisfied``) identify the chair by ``--by EMAIL``:
the raiser's email address, compared case-insensitively.

``tracker`` and ``brief`` read the records database only (``--database-url``,
default ``ESCALATION_DATABASE_URL``), never Temporal: 0 written, 1 the database
cannot be read, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.alerts import AlertResponse, Finalise, NotSatisfied
from packs import PACK_DIR
from records.briefing import nothing_since
from records.db import make_sessionmaker
from records.tracker import Window, tracker_rows
from records.tracker_files import Format, write_tracker
from settings import get_settings
from starter.alerts_sdk import PracticeAlertClient, parse_alert
from starter.cli_common import (
    EXIT_BAD_INPUT,
    client_args,
    fail,
    from_now_arg,
    json_arg,
    read_start,
    unknown_procedure,
    with_client,
)
from starter.connect import connect
from starter.sdk_base import field_errors
from starter.status_view import alert_view

Action = Callable[[PracticeAlertClient], Awaitable[Any]]
T = TypeVar("T")

EXIT_UNREADABLE = 1
PROCEDURE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

TRACKER_EPILOG = """\
One row per alert raised in the window (days in England's local time, both included):
raised, case reference, workflow id, raised by, reason code and theme, start stage, each
stage reached with its deadline and response, responses in time and late or missed, state,
finalised and by whom, open days. Text cells starting with = + - @ are neutralised with a
leading quote. Examples:
  escalation alert tracker --from 2026-10-01 --to 2026-12-31 --format xlsx --out tracker.xlsx
  escalation alert tracker --procedure rutland --format csv --out tracker.csv
"""

BRIEF_EPILOG = """\
One sentence per line: each alert raised, responded to, escalated or finalised on the case
since that day, ready for the chair to read out. Example:
  escalation alert brief CR-2026-00731 --since 2026-11-02
"""


def _decision_args(
    p: argparse.ArgumentParser, by_help: str, text_flag: str, text_help: str
) -> None:
    client_args(p)
    p.add_argument("workflow_id", help="The alert's workflow id (alert-CASE-ID)")
    p.add_argument("--by", required=True, help=by_help)
    p.add_argument(f"--{text_flag}", required=True, help=text_help)
    p.add_argument(
        "--signal", action="store_true", help="Send a fire-and-forget signal instead of an update"
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``escalation alert start|respond|finalise|not-satisfied|status``."""
    alert = sub.add_parser("alert", help="Practice alerts (Rutland): raise, respond, finalise")
    actions = alert.add_subparsers(dest="alert_command", required=True)

    p = actions.add_parser("start", help="Raise a practice alert from a JSON start payload")
    client_args(p)
    from_now_arg(p)
    p.add_argument("file", help="JSON file with the start payload ('-' for stdin)")
    p.add_argument(
        "--pack-dir",
        type=Path,
        default=PACK_DIR,
        help="Where the packs are (the workers must read the same); default: the shipped packs",
    )

    p = actions.add_parser("respond", help="Add a manager's response to the alert's case note")
    _decision_args(
        p, "Who is responding (name and role)", "text", "The response, as the case note says it"
    )
    p.add_argument("--stage", help="Refuse unless the alert is at this stage")

    p = actions.add_parser("finalise", help="The raising chair closes the alert")
    _decision_args(
        p, "The raising chair's email address", "text", "Why the chair closes it, for the note"
    )

    p = actions.add_parser(
        "not-satisfied",
        help=(
            "The raising chair sends the alert up a stage: not satisfied with the response, "
            "or no response by the deadline"
        ),
    )
    _decision_args(
        p, "The raising chair's email address", "reason", "Why the chair is not satisfied"
    )
    p.add_argument(
        "--to-stage",
        help=(
            "Serious or urgent alerts only: go straight to this stage (Rutland: head_of_service "
            "or director_for_people), at any point"
        ),
    )

    p = actions.add_parser(
        "status", help="Show where an alert stands: stage, deadline, who must respond"
    )
    client_args(p)
    p.add_argument("workflow_id", help="The alert's workflow id (alert-CASE-ID)")
    json_arg(p)

    p = actions.add_parser(
        "tracker",
        help="Write the Quality Assurance Service's practice alert tracker (CSV or XLSX)",
        epilog=TRACKER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--procedure", help="Only alerts of this procedure (pack id, e.g. rutland)")
    p.add_argument(
        "--from", dest="first", metavar="DATE", help="Raised on or after this day (YYYY-MM-DD)"
    )
    p.add_argument(
        "--to", dest="last", metavar="DATE", help="Raised on or before this day (YYYY-MM-DD)"
    )
    p.add_argument("--format", required=True, choices=["csv", "xlsx"], help="The file's format")
    p.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="The file to write (replaced)"
    )
    _database_arg(p)

    p = actions.add_parser(
        "brief",
        help="A case's practice alerts since a day, in sentences for the conference chair",
        epilog=BRIEF_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("case_reference", help="The case reference (never the child's name)")
    p.add_argument(
        "--since", required=True, help="The previous meeting's day (YYYY-MM-DD), included"
    )
    _database_arg(p)


def _database_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy async URL (default: ESCALATION_DATABASE_URL)",
    )


def _day(flag: str, text: str | None) -> date | None:
    """A --from/--to/--since day, or None when not given; ValueError naming the flag."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not a day; write YYYY-MM-DD") from None


def _tracker_window(args: argparse.Namespace) -> Window:
    """The tracker's arguments checked before the database is touched (ValueError: why not)."""
    if (err := unknown_procedure(args.procedure)) is not None:
        raise ValueError(err)
    window = Window(_day("--from", args.first), _day("--to", args.last))
    if window.first and window.last and window.first > window.last:
        raise ValueError(f"--from {window.first} is after --to {window.last}")
    out: Path = args.out
    folder = out.parent if str(out.parent) else Path()
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ValueError(f"--out: cannot write {out} (not a writable file path)")
    return window


def _url(args: argparse.Namespace) -> str:
    return str(args.database_url or get_settings().database_url)


Read = Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]


async def _read(args: argparse.Namespace, read: Read[T]) -> T | None:
    """``read(sessionmaker)`` on ``--database-url``; None after saying why it could not."""
    try:
        sessionmaker = make_sessionmaker(_url(args), create=False)
    except (SQLAlchemyError, ValueError) as exc:  # a URL SQLAlchemy cannot parse
        fail(f"--database-url: {exc}", EXIT_UNREADABLE)
        return None
    try:
        return await read(sessionmaker)
    except SQLAlchemyError as exc:
        why = exc.orig if isinstance(exc, DBAPIError) else exc
        fail(f"database: {why} (has `escalation db upgrade` been run?)", EXIT_UNREADABLE)
    except OSError as exc:  # the server unreachable, or --out unwritable after all
        fail(f"cannot read the database or write the file: {exc}", EXIT_UNREADABLE)
    finally:
        await sessionmaker.kw["bind"].dispose()
    return None


async def _tracker(args: argparse.Namespace, window: Window) -> int:
    fmt: Format = args.format
    count = await _read(
        args, lambda sm: write_tracker(tracker_rows(sm, window, args.procedure), args.out, fmt)
    )
    if count is None:
        return EXIT_UNREADABLE
    print(f"{args.out}: {count} alert(s)")
    return 0


async def _brief(args: argparse.Namespace, since: date) -> int:
    case = args.case_reference
    sentences = await _read(args, lambda sm: PracticeAlertClient.brief(sm, case, since))
    if sentences is None:
        return EXIT_UNREADABLE
    for sentence in sentences or [nothing_since(case, since)]:
        print(sentence)
    return 0


def _run_records(args: argparse.Namespace) -> int | None:
    """``tracker`` and ``brief``: the database only; None for the other alert commands."""
    if args.alert_command not in ("tracker", "brief"):
        return None
    try:
        window = _tracker_window(args) if args.alert_command == "tracker" else None
        since = _day("--since", args.since) if args.alert_command == "brief" else None
    except ValueError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    if window is not None:
        return asyncio.run(_tracker(args, window))
    assert since is not None
    return asyncio.run(_brief(args, since))


async def _with_client(args: argparse.Namespace, action: Action) -> int:
    async def make_client() -> PracticeAlertClient:
        temporal = await connect(args.address, args.namespace)
        return PracticeAlertClient(
            temporal, args.task_queue, pack_dir=getattr(args, "pack_dir", PACK_DIR)
        )

    return await with_client(args, make_client, action)


async def _status(client: PracticeAlertClient, args: argparse.Namespace) -> object:
    """The status as JSON for a script (``--json``), else as lines for a person."""
    status = await client.status(args.workflow_id)
    return status if args.json else alert_view(status, datetime.now(UTC))


def _decision(args: argparse.Namespace) -> Action:
    ack, wid = not args.signal, args.workflow_id
    if args.alert_command == "respond":
        r = AlertResponse(by=args.by, text=args.text, stage=args.stage)
        return lambda c: c.respond(wid, r, acknowledged=ack)
    if args.alert_command == "finalise":
        f = Finalise(by=args.by, text=args.text)
        return lambda c: c.finalise(wid, f, acknowledged=ack)
    n = NotSatisfied(by=args.by, reason=args.reason, to_stage=args.to_stage)
    return lambda c: c.not_satisfied(wid, n, acknowledged=ack)


def run(args: argparse.Namespace) -> int | None:
    """Run an ``alert`` command; None for anybody else's command."""
    if args.command != "alert":
        return None
    if (code := _run_records(args)) is not None:
        return code
    if args.alert_command == "start":
        alert = read_start(args, parse_alert)
        if isinstance(alert, int):
            return alert
        return asyncio.run(_with_client(args, lambda c: c.raise_alert(alert)))
    if args.alert_command == "status":
        return asyncio.run(_with_client(args, lambda c: _status(c, args)))
    try:
        action = _decision(args)
    except ValidationError as exc:
        return fail("; ".join(field_errors(exc)), EXIT_BAD_INPUT)
    return asyncio.run(_with_client(args, action))
