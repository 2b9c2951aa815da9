"""``escalation alert ...``: raise a practice alert, respond, finalise, ask its status.

Exit codes follow ``starter.cli``: 0 ok, 1 refused by the workflow or not found,
2 bad input. Errors go to stderr and name the field and the reason. The chair's
decisions (``finalise``, ``not-satisfied``) identify the chair by ``--by EMAIL``:
the raiser's email address, compared case-insensitively.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.alerts import AlertResponse, Finalise, NotSatisfied
from packs import PACK_DIR
from starter.alerts_sdk import PracticeAlertClient, parse_alert
from starter.cli_common import (
    EXIT_BAD_INPUT,
    client_args,
    fail,
    from_now_arg,
    read_start,
    with_client,
)
from starter.connect import connect
from starter.sdk_base import field_errors

Action = Callable[[PracticeAlertClient], Awaitable[Any]]


def _decision_args(p: argparse.ArgumentParser, by_help: str, text_flag: str) -> None:
    client_args(p)
    p.add_argument("workflow_id", help="The alert's workflow id (alert-CASE-ID)")
    p.add_argument("--by", required=True, help=by_help)
    p.add_argument(f"--{text_flag}", required=True)
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
    _decision_args(p, "Who is responding (name and role)", "text")
    p.add_argument("--stage", help="Refuse unless the alert is at this stage")

    p = actions.add_parser("finalise", help="The raising chair closes the alert")
    _decision_args(p, "The raising chair's email address", "text")

    p = actions.add_parser(
        "not-satisfied", help="The raising chair is not satisfied: the alert goes up a stage"
    )
    _decision_args(p, "The raising chair's email address", "reason")

    p = actions.add_parser("status", help="Print an alert's status as JSON")
    client_args(p)
    p.add_argument("workflow_id")


async def _with_client(args: argparse.Namespace, action: Action) -> int:
    async def make_client() -> PracticeAlertClient:
        temporal = await connect(args.address, args.namespace)
        return PracticeAlertClient(
            temporal, args.task_queue, pack_dir=getattr(args, "pack_dir", PACK_DIR)
        )

    return await with_client(args, make_client, action)


def _decision(args: argparse.Namespace) -> Action:
    ack, wid = not args.signal, args.workflow_id
    if args.alert_command == "respond":
        r = AlertResponse(by=args.by, text=args.text, stage=args.stage)
        return lambda c: c.respond(wid, r, acknowledged=ack)
    if args.alert_command == "finalise":
        f = Finalise(by=args.by, text=args.text)
        return lambda c: c.finalise(wid, f, acknowledged=ack)
    n = NotSatisfied(by=args.by, reason=args.reason)
    return lambda c: c.not_satisfied(wid, n, acknowledged=ack)


def run(args: argparse.Namespace) -> int | None:
    """Run an ``alert`` command; None for anybody else's command."""
    if args.command != "alert":
        return None
    if args.alert_command == "start":
        alert = read_start(args, parse_alert)
        if isinstance(alert, int):
            return alert
        return asyncio.run(_with_client(args, lambda c: c.raise_alert(alert)))
    if args.alert_command == "status":
        return asyncio.run(_with_client(args, lambda c: c.status(args.workflow_id)))
    try:
        action = _decision(args)
    except ValidationError as exc:
        return fail("; ".join(field_errors(exc)), EXIT_BAD_INPUT)
    return asyncio.run(_with_client(args, action))
