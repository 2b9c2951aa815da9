"""The escalation command: the SDK and the local stack from a terminal.

Exit codes: 0 success, 1 refused by the workflow or not found, 2 bad input.
Errors go to stderr and name the field and the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.calendar import DeadlineRequest
from models.decisions import (
    AgreeTimescale,
    ConferenceReconvened,
    Confirmed,
    ImmediateRisk,
    ReferDirectly,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from packs import PackError, UnknownProcedure, load_pack
from settings import SettingsError, get_settings
from starter.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    client_args,
    explain,
    fail,
    from_now_arg,
    json_arg,
    read_start,
    unknown_procedure,
    with_client,
)
from starter.connect import core_logs_to_python_logging
from starter.sdk import EscalationClient, parse_start
from starter.sdk_base import field_errors
from starter.status_view import disagreement_view

EXTENSIONS: tuple[str, ...] = (
    "starter.cli_records",
    "starter.cli_ops",
    "starter.cli_alerts",
    "starter.cli_packs",
    "starter.cli_calendar",
    "starter.cli_reconcile",
    "starter.cli_mail",
    "starter.cli_console",
)
"""Modules that add subcommands, one area each (packs, contacts, records, ...).

Each has ``add_commands(sub)`` to declare its subparsers and ``run(args)``,
which returns an exit code for its own commands and None for the others.
"""


DESCRIPTION = """\
Escalation timelines on Temporal, from a terminal: open a disagreement, record
its decisions, compute deadlines, run the local stack and the operating tasks.

A command prints its answer alone on stdout (a receipt as JSON, a status as lines
to read or as JSON with --json); errors and everything else go to stderr. Exit
codes: 0 success, 1 refused by the workflow or not found, 2 bad input.
escalation COMMAND --help explains a command's options, with examples."""

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "escalation dev",
        "escalation start examples/redbridge-2017.json --from-now",
    ),
    "start": (
        "escalation start examples/redbridge-2017.json --from-now",
        "escalation start - < request.json",
    ),
    "resolve": (
        'escalation resolve disagreement-CR-1-threshold-01 --by "B. Social Worker" '
        '--outcome "Strategy discussion on Tuesday"',
    ),
    "unresolve": (
        'escalation unresolve disagreement-CR-1-threshold-01 --by "A. Manager" '
        '--reason "Still disputed"',
    ),
    "confirm": (
        'escalation confirm disagreement-CR-1-threshold-01 --by "B. Social Worker" '
        '--text "Letter sent"',
    ),
    "immediate-risk": (
        'escalation immediate-risk disagreement-CR-1-threshold-01 --by "A. Manager" '
        '--reason "Child left at home alone"',
    ),
    "reconvene": (
        'escalation reconvene disagreement-CR-1-conference-01 --by "Chair" '
        '--outcome majority --text "Plan agreed" --minority "Police"',
    ),
    "shorten": (
        'escalation shorten disagreement-CR-1-threshold-01 --by "A. Manager" '
        '--reason "Court date moved" --working-days 2',
    ),
    "agree-timescale": (
        'escalation agree-timescale disagreement-CR-1-plan-01 --by "A. Manager" '
        '--reason "Agreed at the meeting" --working-days 10',
    ),
    "refer": (
        'escalation refer disagreement-CR-1-policy-01 --by "D. Team Manager" '
        '--route significant_policy_issues --reason "Raises the threshold policy"',
    ),
    "status": (
        "escalation status disagreement-CR-1-threshold-01",
        "escalation status disagreement-CR-1-threshold-01 --json",
    ),
    "deadline": (
        "escalation deadline --from 2026-12-21T10:00 --working-days 5",
        "escalation deadline --procedure rutland --from 2026-12-21 --working-days 2",
    ),
    "worker": ("TEMPORAL_ADDRESS=localhost:7233 escalation worker",),
    "db": ("escalation db upgrade",),
    "smtp-sink": ("escalation smtp-sink --port 8025 --maildir /tmp/mail",),
    "dev": ("escalation dev", "escalation dev --port 7234 --state-dir /tmp/escalation"),
    "contacts": ("escalation contacts import contacts.csv",),
    "contacts import": ("escalation contacts import contacts.csv",),
    "record": (
        "escalation record CR-2026-00417",
        "escalation record CR-2026-00417 --format html --out record.html",
    ),
    "report": (
        "escalation report --quarter 2026Q4",
        "escalation report --quarter 2026Q4 --procedure rutland --format html --out q4.html",
    ),
    "schemas": ("escalation schemas", "escalation schemas --write"),
    "codec-key": ('escalation codec-key --id "$(date +%Y-%m)"',),
    "codec-server": ("escalation codec-server --host 0.0.0.0 --port 8089",),
    "setup": ("escalation setup", "escalation setup --task-queue escalation"),
    "list": (
        "escalation list",
        "escalation list --query \"EscalationState = 'resolved'\" --json",
    ),
    "overdue": (
        "escalation overdue",
        "escalation overdue --procedure redbridge-2017 --stage senior_managers",
    ),
    "web": ("escalation web --host 0.0.0.0 --port 8088",),
    "console": ("escalation console --host 0.0.0.0 --port 8090",),
    "alert": ("escalation alert start examples/rutland--practice-alert.json --from-now",),
    "alert start": ("escalation alert start examples/rutland--practice-alert.json --from-now",),
    "alert respond": (
        'escalation alert respond alert-CR-1 --by "A. Manager" --text "Visit arranged"',
    ),
    "alert finalise": ('escalation alert finalise alert-CR-1 --by "Chair" --text "Resolved"',),
    "alert not-satisfied": (
        'escalation alert not-satisfied alert-CR-1 --by "Chair" --reason "No visit yet"',
    ),
    "alert status": (
        "escalation alert status alert-CR-1",
        "escalation alert status alert-CR-1 --json",
    ),
    "packs": ("escalation packs list", "escalation packs show redbridge-2017"),
    "packs list": ("escalation packs list",),
    "calendar": ("escalation calendar list",),
    "calendar add-closure": (
        "escalation calendar add-closure --date 2026-12-10 --procedure redbridge-2017 "
        '--reason "Office move" --by "Ops" --dry-run',
    ),
    "calendar refresh": (
        'escalation calendar refresh --reason "2027 bank holidays published" --by "Ops"',
    ),
    "calendar list": ("escalation calendar list", "escalation calendar list --procedure rutland"),
    "reconcile": ("escalation reconcile",),
    "mail": ("escalation mail", "escalation mail show 3", "escalation mail link 3 --open"),
    "mail list": ("escalation mail list", "escalation mail list --maildir /tmp/escalation/mail"),
    "mail show": ("escalation mail show 3",),
    "mail link": ("escalation mail link 3", "escalation mail link 3 --open"),
}
"""Examples shown under each command's --help, by the command's words after 'escalation'."""


def _extensions() -> list[Any]:
    return [importlib.import_module(name) for name in EXTENSIONS]


TEXT_HELP = {
    "resolve": "What was agreed: the outcome, as the record will say it",
    "unresolve": "Why the stage did not agree (the case goes up a stage now)",
    "confirm": "The written confirmation or its summary, e.g. 'Letter sent'",
    "immediate-risk": "The immediate risk to the child, as the record will say it",
    "reconvene": "The conference's decision as minuted",
    "shorten": "Why the deadline comes forward",
    "agree-timescale": "Why this timescale was agreed",
    "refer": "Why the case takes this route",
}
"""The help of each decision's text option (--outcome, --reason or --text)."""


def _decision_args(
    p: argparse.ArgumentParser, command: str, text_flag: str, required: bool
) -> None:
    client_args(p)
    p.add_argument("workflow_id", help="The disagreement's workflow id (escalation list shows it)")
    p.add_argument("--by", required=True, help="Who is deciding: the person's name")
    p.add_argument(f"--{text_flag}", required=required, help=TEXT_HELP[command])
    p.add_argument(
        "--stage", help="Refuse unless the case is at this stage id (a guard against a stale view)"
    )
    p.add_argument(
        "--signal", action="store_true", help="Send a fire-and-forget signal instead of an update"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and for --help)."""
    parser = argparse.ArgumentParser(
        prog="escalation",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="Open a disagreement from a JSON start payload")
    client_args(p)
    from_now_arg(p)
    p.add_argument("file", help="JSON file with the start payload ('-' for stdin)")

    for name, flag, required in (
        ("resolve", "outcome", True),
        ("unresolve", "reason", True),
        ("confirm", "text", False),
        ("immediate-risk", "reason", True),
    ):
        _decision_args(
            sub.add_parser(name, help=f"Record '{name}' on a disagreement"), name, flag, required
        )
    p = sub.add_parser("reconvene", help="Record the outcome of an adjourned conference")
    _decision_args(p, "reconvene", "text", True)
    p.add_argument(
        "--outcome",
        required=True,
        choices=["unanimous", "majority", "still_divided"],
        help="How the conference decided",
    )
    p.add_argument("--minority-dissents", action="store_true", help="The minority disputes it")
    p.add_argument("--minority", help="Which agency is in the minority")
    p = sub.add_parser("shorten", help="Bring the current deadline forward")
    _decision_args(p, "shorten", "reason", True)
    p.add_argument("--working-days", type=int, help="Working days from now to the new deadline")
    p.add_argument("--due-at", help="Or the new deadline: ISO 8601 with offset")

    p = sub.add_parser(
        "agree-timescale",
        help="Agree the current stage's timescale on the case (a per-case stage only)",
    )
    _decision_args(p, "agree-timescale", "reason", True)
    p.add_argument("--working-days", type=int, help="Working days from when the stage began")
    p.add_argument("--due-at", help="Or the agreed deadline: ISO 8601 with offset")
    p = sub.add_parser("refer", help="Take a direct route the procedure gives (refer_directly)")
    _decision_args(p, "refer", "reason", True)
    p.add_argument("--route", required=True, help="The route's id (escalation packs show ID)")

    p = sub.add_parser(
        "status", help="Show where a disagreement stands: stage, deadline, who must act"
    )
    client_args(p)
    p.add_argument("workflow_id", help="The disagreement's workflow id (escalation list shows it)")
    json_arg(p)

    p = sub.add_parser("deadline", help="Compute a working-day deadline")
    p.add_argument(
        "--procedure",
        default="redbridge-2017",
        help="Whose calendar counts (pack id, default redbridge-2017; escalation packs list)",
    )
    p.add_argument("--from", dest="start", required=True, help="ISO time; naive = local time")
    p.add_argument("--working-days", type=int, required=True, help="How many working days to count")

    sub.add_parser("worker", help="Run the worker (TEMPORAL_ADDRESS, ESCALATION_* settings)")

    p = sub.add_parser("db", help="Database administration")
    p.add_argument(
        "action",
        choices=["upgrade"],
        help="upgrade: bring the schema to the latest migration (ESCALATION_DATABASE_URL)",
    )

    p = sub.add_parser("smtp-sink", help="Run the local SMTP sink")
    p.add_argument("--host", default="127.0.0.1", help="Interface to listen on")
    p.add_argument("--port", type=int, default=8025, help="Port to listen on")
    p.add_argument(
        "--maildir",
        type=Path,
        default=None,
        help="Where each message received is written, one file each"
        " (default: mail/ in ESCALATION_HOME, where escalation dev keeps it)",
    )

    from starter import devstack

    dev = sub.add_parser("dev", help="Run the whole product locally")
    devstack.add_arguments(dev)
    for extension in _extensions():
        extension.add_commands(sub)
    explain(parser, EXAMPLES)
    return parser


def cmd_deadline(args: argparse.Namespace) -> int:
    """Print the deadline alone on stdout; how it was counted goes to stderr."""
    from workdays.calendar import plan_deadline

    if (err := unknown_procedure(args.procedure)) is not None:
        return fail(err, EXIT_BAD_INPUT)
    try:
        pack = load_pack(args.procedure)
        start = datetime.fromisoformat(args.start)
        plan = plan_deadline(
            DeadlineRequest(calendar=pack.calendar, start=start, working_days=args.working_days)
        )
    except (UnknownProcedure, PackError) as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except ValueError as exc:
        return fail(f"--from / --working-days: {exc}", EXIT_BAD_INPUT)
    print(plan.due_at.isoformat())
    print(  # how it was counted is for the person reading, not for a script: stderr
        f"{plan.working_days} working day(s) from {plan.start.isoformat()} "
        f"(counted from {plan.effective_day.isoformat()}) on the {pack.calendar.calendar} "
        f"calendar, close of business {pack.calendar.close_of_business:%H:%M} "
        f"{pack.calendar.timezone}",
        file=sys.stderr,
    )
    return 0


async def _with_client(
    args: argparse.Namespace, action: Callable[[EscalationClient], Awaitable[Any]]
) -> int:
    return await with_client(
        args,
        lambda: EscalationClient.connect(args.address, args.namespace, args.task_queue),
        action,
    )


def _decision(args: argparse.Namespace) -> Callable[[EscalationClient], Awaitable[Any]]:
    common: dict[str, Any] = {"by": args.by, "stage": args.stage}
    ack = not args.signal
    wid = args.workflow_id
    if args.command == "resolve":
        d = Resolved(outcome=args.outcome, **common)
        return lambda c: c.resolve(wid, d, acknowledged=ack)
    if args.command == "unresolve":
        u = Unresolved(reason=args.reason, **common)
        return lambda c: c.unresolve(wid, u, acknowledged=ack)
    if args.command == "confirm":
        f = Confirmed(text=args.text, **common)
        return lambda c: c.confirm(wid, f, acknowledged=ack)
    if args.command == "reconvene":
        c = ConferenceReconvened(
            outcome=args.outcome,
            text=args.text,
            minority_dissents=args.minority_dissents,
            minority=args.minority,
            **common,
        )
        return lambda cl: cl.reconvene(wid, c, acknowledged=ack)
    if args.command == "immediate-risk":
        r = ImmediateRisk(reason=args.reason, **common)
        return lambda c: c.raise_immediate_risk(wid, r, acknowledged=ack)
    if args.command == "agree-timescale":
        a = AgreeTimescale(
            reason=args.reason, working_days=args.working_days, due_at=args.due_at, **common
        )
        return lambda c: c.agree_timescale(wid, a, acknowledged=ack)
    if args.command == "refer":
        t = ReferDirectly(route=args.route, reason=args.reason, **common)
        return lambda c: c.refer_directly(wid, t, acknowledged=ack)
    s = ShortenTimescale(
        reason=args.reason, working_days=args.working_days, due_at=args.due_at, **common
    )
    return lambda c: c.shorten(wid, s, acknowledged=ack)


async def _status(client: EscalationClient, args: argparse.Namespace) -> object:
    """The status as JSON for a script (``--json``), else as lines for a person."""
    status = await client.status(args.workflow_id)
    return status if args.json else disagreement_view(status, datetime.now(UTC))


@core_logs_to_python_logging()  # every client a command connects keeps stdout for the answer
def _main(argv: Sequence[str] | None = None) -> int:
    """The command: parse, dispatch, return the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    for extension in _extensions():
        if (code := extension.run(args)) is not None:
            return int(code)
    if args.command == "deadline":
        return cmd_deadline(args)
    if args.command == "worker":
        import worker

        worker.main()
        return 0
    if args.command == "dev":
        from starter import devstack

        return devstack.main(args)
    if args.command == "smtp-sink":
        from settings import escalation_home
        from starter.smtp_sink import serve_forever

        logging.getLogger().setLevel(logging.INFO)
        serve_forever(args.host, args.port, args.maildir or escalation_home() / "mail")
        return 0
    if args.command == "db":
        from records.db import upgrade

        url = get_settings().database_url
        asyncio.run(upgrade(url))
        print(f"database at {url.split('@')[-1]} is at the latest schema")
        return 0
    if args.command == "start":
        request = read_start(args, parse_start)
        if isinstance(request, int):
            return request
        return asyncio.run(_with_client(args, lambda c: c.open(request)))
    if args.command == "status":
        return asyncio.run(_with_client(args, lambda c: _status(c, args)))
    try:
        action = _decision(args)
    except ValidationError as exc:
        return fail("; ".join(field_errors(exc)), EXIT_BAD_INPUT)
    return asyncio.run(_with_client(args, action))


def _settled(argv: Sequence[str] | None) -> int:
    """``_main``, with unusable settings (a secret too short, say) one line and exit 2.

    A records database that is not there is one line too, naming the file, and exit 1
    (as for anything not found): every command that reads the records refuses to create it.
    """
    from records.db import DatabaseMissing

    try:
        return _main(argv)
    except SettingsError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except DatabaseMissing as exc:
        return fail(str(exc), EXIT_REFUSED)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``escalation`` command.

    Run as a program (``argv`` None: the console script, ``python -m starter.cli``)
    it ends the process with ``os._exit`` once its output is flushed. The
    Temporal client's Rust runtime has no close: its threads are still alive
    when the interpreter tears down, and that teardown intermittently aborted the
    process (exit -6) after the command had done its work. Nothing remains to be
    done at that point, so skipping the teardown loses nothing. Tests call
    ``main([...])`` in their own process, which must go on: then it just returns.
    """
    if argv is not None:
        return _settled(argv)
    try:
        code = _settled(argv)
    except Exception:  # print it as the interpreter would, then leave the same way
        traceback.print_exc()
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
