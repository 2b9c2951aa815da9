"""``escalation reconcile``: notice now the cases whose workflow Temporal stopped.

It runs the same Reconcile workflow the ``escalation-reconcile`` Schedule starts
every 15 minutes (so a worker must be polling the task queue) and prints one line
per case it marked stopped or whose Business Manager it has just told (id,
procedure, stage, ``stopped``, since when, Temporal's reason, who was told)::

    disagreement-CR-1-d1  redbridge-2017  line_managers  stopped
        since Tuesday 1 December 2026, 19:50 GMT  TERMINATED: ...  told bm@example.org

(one line, folded here).

Nothing found prints nothing on stdout and says how many open cases were checked
on stderr. Exit codes: 0 done (a case whose email failed is still listed, with
why), 1 Temporal unreachable or no worker answered, 2 bad options. The lines for
stopped cases that ``escalation overdue`` adds come from here too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from models.reconcile import ReconciledCase, ReconcileReport, ReconcileRequest
from records.stopped import StoppedCases, StoppedRow
from settings import get_settings
from starter.cli_common import EXIT_BAD_INPUT, EXIT_REFUSED, cannot_connect, client_args, fail
from starter.schedule import WORKFLOW_TYPE
from starter.visibility import _timezone
from workflows.search_attributes import local_deadline

DEFAULT_TIMEOUT_S = 120


def add_commands(sub: Any) -> None:
    """Declare ``escalation reconcile``."""
    p = sub.add_parser(
        "reconcile",
        help="Mark open cases whose workflow stopped, tell their Business Manager, list them",
    )
    client_args(p)
    p.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT_S,
        help="Seconds to wait for a worker to run the comparison (default 120)",
    )


def run(args: argparse.Namespace) -> int | None:
    """Run ``reconcile``; None for any other command."""
    if args.command != "reconcile":
        return None
    if args.timeout <= 0:
        return fail("--timeout: give a number of seconds above 0", EXIT_BAD_INPUT)
    return asyncio.run(_reconcile(args))


async def _reconcile(args: argparse.Namespace) -> int:
    from starter.connect import ConnectionConfigError, connect

    try:
        client = await connect(args.address, args.namespace)
    except ConnectionConfigError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except RuntimeError as exc:
        return fail(cannot_connect(args.address, exc), EXIT_REFUSED)
    try:
        report = await client.execute_workflow(
            WORKFLOW_TYPE,
            ReconcileRequest(),
            id=f"escalation-reconcile-cli-{uuid.uuid4().hex[:12]}",
            task_queue=args.task_queue,
            execution_timeout=timedelta(seconds=args.timeout),
            result_type=ReconcileReport,
        )
    except WorkflowFailureError as exc:
        return fail(
            f"reconcile did not finish within {args.timeout} s ({exc.cause}): is a worker "
            f"polling task queue {args.task_queue!r}?",
            EXIT_REFUSED,
        )
    except RPCError as exc:
        return fail(f"Temporal: {exc}", EXIT_REFUSED)
    for case in report.cases:
        print(reconciled_line(case))
    if not report.cases:
        print(
            f"escalation: reconcile: {report.checked} open case(s) checked, none stopped",
            file=sys.stderr,
        )
    return 0


def _cells(wid: str, procedure: str, stage: str | None, at: Any, reason: str | None) -> list[str]:
    since = f"since {local_deadline(at, _timezone(procedure))}" if at is not None else "-"
    return [wid, procedure, stage or "-", "stopped", since, reason or "-"]


def _told(case: ReconciledCase) -> str:
    if case.email == "sent":
        return "told " + ", ".join(case.told)
    if case.email == "already_sent":
        return "already told"
    if case.email == "no_recipients":
        return "nobody told: no Business Manager in the contact directory"
    return f"not told yet ({case.error or 'email failed'}): the next reconcile tries again"


def reconciled_line(case: ReconciledCase) -> str:
    """One terminal line for a case reconcile handled: the case, why it stopped, who was told."""
    c = case.case
    return "  ".join(
        [*_cells(c.workflow_id, c.procedure, c.stage, c.stopped_at, c.reason), _told(case)]
    )


def stopped_line(row: StoppedRow) -> str:
    """One ``escalation overdue`` line for a stopped case, in the columns of the running ones."""
    c = row.case
    return "  ".join(_cells(c.workflow_id, c.procedure, c.stage, row.stopped_at, row.reason))


def stopped_json(row: StoppedRow) -> dict[str, Any]:
    """``overdue --json``'s object for a stopped case (the running ones' keys, and why)."""
    reason = row.reason or ""
    return {
        "workflow_id": row.case.workflow_id,
        "status": reason.split(":", 1)[0] or "STOPPED",
        "case_reference": row.case.case_reference,
        "procedure": row.case.procedure,
        "stage": row.case.stage,
        "state": "stopped",
        "next_deadline": None,
        "overdue": False,
        "immediate_risk": False,
        "stopped_at": row.stopped_at.isoformat() if row.stopped_at else None,
        "stop_reason": row.reason,
    }


async def stopped_cases(
    url: str, procedure: str | None, stage: str | None
) -> list[StoppedRow] | str:
    """The record's stopped cases, or why they could not be read.

    A SQLite file that does not exist holds no case, so it is not created just to
    be found empty.
    """
    from records.db import make_sessionmaker

    if _no_sqlite_file(url):
        return []
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        return await StoppedCases(sessionmaker).stopped(procedure, stage)
    except (DBAPIError, OSError) as exc:
        detail = getattr(exc, "orig", exc)
        return (
            f"records: stopped cases not listed: {detail} (has `escalation db upgrade` been run?)"
        )
    finally:
        await sessionmaker.kw["bind"].dispose()


def _no_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(str(parsed.database)).expanduser().exists()


def print_stopped(rows: list[StoppedRow], as_json: bool) -> None:
    """Print the stopped cases after the running ones."""
    for row in rows:
        print(json.dumps(stopped_json(row)) if as_json else stopped_line(row))


def database_url(args: argparse.Namespace) -> str:
    """``--database-url``, or the settings' ``ESCALATION_DATABASE_URL``."""
    return str(getattr(args, "database_url", None) or get_settings().database_url)
