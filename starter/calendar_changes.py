"""Tell running cases the calendar changed: find them in visibility, send each the Update.

``escalation calendar add-closure`` and ``refresh`` use this after validating their
input (and, for a closure, storing it). Every running disagreement and practice
alert of the partnership (or procedure) is found with one visibility query, and each
receives the ``change_calendar`` Update; what each answered (deadlines moved, no
change, refused because it closed meanwhile, no answer) is returned case by case so
one case's refusal never stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from models.calendar import CalendarChange, CalendarReceipt
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import DecisionRefused, EscalationClient, EscalationError
from starter.visibility import WORKFLOW_TYPES
from workflows import search_attributes as sa

CONCURRENCY = 8
"""Updates in flight at once: enough to be quick, few enough not to flood the workers."""


def _literal(value: str) -> str | None:
    """``value`` quoted for a visibility query, or None if it holds both kinds of quote."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def running_cases_query(
    procedures: Sequence[str] | None = None, partnership: str | None = None
) -> str:
    """Running disagreements and practice alerts of these procedures or this partnership.

    Both narrowings are OR-ed: a case is found by its ``EscalationProcedure`` (which
    every case has set since it opened) or by its ``EscalationPartnership``. With
    neither, every running case. Procedure ids are slugs (safe to paste); the
    partnership is quoted.
    """
    types = ", ".join(f"'{t}'" for t in WORKFLOW_TYPES)
    parts = [f"WorkflowType IN ({types})", "ExecutionStatus = 'Running'"]
    narrow = []
    if procedures:
        listed = ", ".join("'" + p + "'" for p in procedures)
        narrow.append(f"{sa.PROCEDURE.name} IN ({listed})")
    if partnership is not None and (quoted := _literal(partnership)) is not None:
        narrow.append(f"{sa.PARTNERSHIP.name} = {quoted}")
    if narrow:
        parts.append("(" + " OR ".join(narrow) + ")")
    return " AND ".join(parts)


@dataclass(frozen=True)
class RunningCase:
    """A case visibility lists as running."""

    workflow_id: str
    workflow_type: str
    procedure: str | None


async def running_cases(client: Client, query: str) -> list[RunningCase]:
    """Every execution matching ``query`` (all pages), by workflow id."""
    found = {}
    async for wf in client.list_workflows(query):
        procedure = wf.typed_search_attributes.get(sa.PROCEDURE)
        found[wf.id] = RunningCase(wf.id, wf.workflow_type, procedure)
    return [found[k] for k in sorted(found)]


@dataclass(frozen=True)
class CaseOutcome:
    """What one case answered: a receipt, a refusal, or an error (no answer)."""

    case: RunningCase
    receipt: CalendarReceipt | None = None
    refused: str | None = None
    error: str | None = None


async def send_change(
    client: Client,
    task_queue: str,
    cases: Iterable[RunningCase],
    change: CalendarChange,
    per_case_seconds: float = 60.0,
) -> list[CaseOutcome]:
    """Send ``change`` to every case, a few at a time; one outcome per case, in order.

    A case that refuses (it closed after it was listed) is a refusal, not an error.
    A case that does not answer within ``per_case_seconds`` is an error: the Update may
    still be applied once a worker picks it up, and sending again is harmless (a
    closure day already in a case's calendar moves nothing).
    """
    disagreements = EscalationClient(client, task_queue)
    alerts = PracticeAlertClient(client, task_queue)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(case: RunningCase) -> CaseOutcome:
        async with gate:
            try:
                async with asyncio.timeout(per_case_seconds):
                    if case.workflow_type == "PracticeAlert":
                        receipt = await alerts.change_calendar(case.workflow_id, change)
                    else:
                        receipt = await disagreements.change_calendar(case.workflow_id, change)
            except DecisionRefused as exc:
                return CaseOutcome(case, refused=str(exc))
            except TimeoutError:
                return CaseOutcome(
                    case, error=f"no answer within {per_case_seconds:g} s (is a worker running?)"
                )
            except (EscalationError, RPCError) as exc:
                return CaseOutcome(case, error=str(exc))
            return CaseOutcome(case, receipt=receipt)

    return list(await asyncio.gather(*(one(c) for c in cases)))
