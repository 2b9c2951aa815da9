"""Admin views from Temporal visibility: register the search attributes, list and find overdue.

``escalation setup`` registers the custom search attributes on a namespace
through the operator service; ``escalation list`` and ``escalation overdue``
answer from the same visibility store the Web UI queries, so the terminal and
the UI always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from packs import PackError, UnknownProcedure, load_pack
from workflows import search_attributes as sa

WORKFLOW_TYPES = ("Disagreement", "PracticeAlert")
"""The case workflows an admin lists: disagreements and practice alerts share the attributes."""
FINISHED_STATES = ("closed", "finalised")
"""``EscalationState`` values of a case nobody is working on any more."""
DEFAULT_TIMEZONE = "Europe/London"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class SetupError(RuntimeError):
    """A search attribute exists with another type; the message names it."""


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register every missing attribute; returns one line per attribute saying what happened.

    Idempotent: attributes already registered with the right type are left alone.

    Raises:
        SetupError: an attribute of the same name exists with a different type.
    """
    wanted = {key.name: int(key.indexed_value_type) for key in sa.ALL_KEYS}
    types = sa.registration()
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as exc:
        # The time-skipping test server cannot list attributes, only add them one by one.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return [await _add_one(client, namespace, name, types[name]) for name in wanted]
    existing = dict(listed.custom_attributes)
    conflicts = [
        f"{name}: registered as {IndexedValueType.Name(existing[name])}, needs {types[name]}"
        for name, kind in wanted.items()
        if name in existing and existing[name] != kind
    ]
    if conflicts:
        raise SetupError("search attributes with the wrong type: " + "; ".join(conflicts))
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={n: IndexedValueType.ValueType(k) for n, k in missing.items()},
            )
        )
    return [
        f"{'registered' if name in missing else 'already registered'} {name} ({types[name]})"
        for name in wanted
    ]


async def missing_search_attributes(client: Client, namespace: str) -> list[str]:
    """Attributes the namespace lacks (for a worker to refuse to start with a clear message).

    A workflow upserting an unregistered attribute fails its workflow task again
    and again; better to say "run `escalation setup`" before polling.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNIMPLEMENTED:
            return []  # the time-skipping test server: cannot tell, the tests register them
        raise
    return [key.name for key in sa.ALL_KEYS if key.name not in listed.custom_attributes]


async def _add_one(client: Client, namespace: str, name: str, type_name: str) -> str:
    key = next(k for k in sa.ALL_KEYS if k.name == name)
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={name: IndexedValueType.ValueType(int(key.indexed_value_type))},
            )
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.ALREADY_EXISTS and "already exists" not in exc.message:
            raise
        return f"already registered {name} ({type_name})"
    return f"registered {name} ({type_name})"


def check_identifier(field: str, value: str | None) -> str | None:
    """Refuse ids that are not pack/stage slugs (they are pasted into a query)."""
    if value is not None and not _ID.match(value):
        return f"{field}: '{value}' is not a procedure/stage id (lower-case letters, digits, - _)"
    return None


def _types() -> str:
    return "WorkflowType IN (" + ", ".join(f"'{t}'" for t in WORKFLOW_TYPES) + ")"


def list_query(extra: str | None = None) -> str:
    """Every disagreement and practice alert, narrowed by an admin's own visibility query."""
    base = _types()
    return f"{base} AND ({extra})" if extra else base


def overdue_query(now: datetime, procedure: str | None = None, stage: str | None = None) -> str:
    """Running cases whose pending deadline has passed (or that recorded being overdue)."""
    moment = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [
        _types(),
        "ExecutionStatus = 'Running'",
        *(f"{sa.STATE.name} != '{state}'" for state in FINISHED_STATES),
        f"({sa.OVERDUE.name} = true OR {sa.NEXT_DEADLINE.name} < '{moment}')",
    ]
    if procedure:
        parts.append(f"{sa.PROCEDURE.name} = '{procedure}'")
    if stage:
        parts.append(f"{sa.STAGE.name} = '{stage}'")
    return " AND ".join(parts)


@dataclass(frozen=True)
class CaseRow:
    """One case as visibility shows it."""

    workflow_id: str
    status: str
    case_reference: str | None
    procedure: str | None
    stage: str | None
    state: str | None
    next_deadline: datetime | None
    overdue: bool
    immediate_risk: bool

    @classmethod
    def from_execution(cls, wf: WorkflowExecution) -> CaseRow:
        """Read the typed search attributes of one listed execution."""
        attrs = wf.typed_search_attributes
        return cls(
            workflow_id=wf.id,
            status=wf.status.name if wf.status is not None else "UNKNOWN",
            case_reference=attrs.get(sa.CASE_REF),
            procedure=attrs.get(sa.PROCEDURE),
            stage=attrs.get(sa.STAGE),
            state=attrs.get(sa.STATE),
            next_deadline=attrs.get(sa.NEXT_DEADLINE),
            overdue=bool(attrs.get(sa.OVERDUE)),
            immediate_risk=bool(attrs.get(sa.IMMEDIATE_RISK)),
        )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for ``--json``."""
        return {
            "workflow_id": self.workflow_id,
            "status": self.status,
            "case_reference": self.case_reference,
            "procedure": self.procedure,
            "stage": self.stage,
            "state": self.state,
            "next_deadline": self.next_deadline.isoformat() if self.next_deadline else None,
            "overdue": self.overdue,
            "immediate_risk": self.immediate_risk,
        }


@cache
def _timezone(procedure: str | None) -> str:
    if procedure is None:
        return DEFAULT_TIMEZONE
    try:
        return load_pack(procedure).calendar.timezone
    except (UnknownProcedure, PackError):
        return DEFAULT_TIMEZONE


COLUMNS = ("WORKFLOW ID", "PROCEDURE", "STAGE", "STATE", "DEADLINE", "FLAGS")
HEADER = "  ".join(COLUMNS)
"""The line ``escalation list`` and ``overdue`` print before their rows (not with --json)."""


def format_row(row: CaseRow) -> str:
    """One terminal line: id, procedure, stage, state, deadline in local time, flags."""
    due = "-"
    if row.next_deadline is not None and row.state not in FINISHED_STATES:
        due = "due " + sa.local_deadline(row.next_deadline, _timezone(row.procedure))
    flags = [
        f for f, on in (("OVERDUE", row.overdue), ("IMMEDIATE-RISK", row.immediate_risk)) if on
    ]
    if row.status != "RUNNING":
        flags.append(row.status)
    cells = [row.workflow_id, row.procedure or "-", row.stage or "-", row.state or "-", due, *flags]
    return "  ".join(cells)


async def list_cases(client: Client, query: str, limit: int = 100) -> list[CaseRow]:
    """The cases matching a visibility query, newest first (as the server orders them)."""
    rows = []
    async for wf in client.list_workflows(query, limit=limit):
        rows.append(CaseRow.from_execution(wf))
    return rows
