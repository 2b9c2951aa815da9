"""Stopped cases in the record: cases held open whose workflow Temporal no longer runs.

A workflow can be ended from outside the procedure (terminated by an operator or
by the server, failed, timed out, cancelled) while its record still says open:
nobody would be emailed again and nothing would say so. ``escalation reconcile``
finds such cases and marks them here (migration 0005): the case row's state
becomes ``stopped`` with Temporal's reason and close time, and a ``stopped`` step
(key ``{workflow id}/stopped``) puts it on the case's timeline. Both happen in one
transaction and only to a row still open, so two reconciles racing mark a case
once, and only the one that marked it tells the Business Manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.schema import AlertStep, Disagreement, OutboxNotification, PracticeAlertRow, Step

CaseKind = Literal["Disagreement", "PracticeAlert"]

OPEN_STATES: dict[CaseKind, tuple[str, ...]] = {
    "Disagreement": ("open", "resolved"),
    "PracticeAlert": ("open", "awaiting_finalisation"),
}
"""The states in which the record expects a case's workflow to be running."""

STOPPED = "stopped"
STEP_KIND = "stopped"
BATCH = 1000
"""Open cases read at a time."""
UNTOLD_STATUSES = ("pending",)
"""Outbox states of the Business Manager's email that a later reconcile sends again."""


def stopped_key(workflow_id: str) -> str:
    """The key of a case's ``stopped`` step and of the email telling the Business Manager.

    Derived from the workflow id only, so a retried or repeated reconcile writes
    one step and sends one email. It sorts after the workflow's own
    ``{id}/step-NNNN`` keys, so the step comes last on the timeline.
    """
    return f"{workflow_id}/stopped"


@dataclass(frozen=True)
class CaseRef:
    """A case the record holds open (or stopped): enough to ask Temporal and tell someone."""

    kind: CaseKind
    workflow_id: str
    case_reference: str
    procedure: str
    stage: str | None
    partnership: str | None
    """The disagreement's partnership; None for an alert (its pack names it)."""


@dataclass(frozen=True)
class StoppedRow:
    """A stopped case as ``escalation overdue`` and ``reconcile`` list it."""

    case: CaseRef
    stopped_at: datetime | None
    reason: str | None


def _tables(kind: CaseKind) -> tuple[Any, Any]:
    return (Disagreement, Step) if kind == "Disagreement" else (PracticeAlertRow, AlertStep)


def _ref(kind: CaseKind, row: Any) -> CaseRef:
    return CaseRef(
        kind=kind,
        workflow_id=row.workflow_id,
        case_reference=row.case_reference,
        procedure=row.procedure,
        stage=row.current_stage,
        partnership=getattr(row, "partnership", None),
    )


class StoppedCases:
    """Reads open cases and marks stopped ones, through one injected sessionmaker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def open_cases(self) -> list[CaseRef]:
        """Every disagreement and alert whose record says its workflow should be running.

        Only the columns a ``CaseRef`` needs are read (not the case's texts), through the
        state index (migration 0002), in batches: the sweep runs every 15 minutes over a
        database that mostly holds closed cases.
        """
        found: list[CaseRef] = []
        async with self._sessionmaker() as session:
            for kind, states in OPEN_STATES.items():
                table, _ = _tables(kind)
                columns = [table.workflow_id, table.case_reference, table.procedure]
                columns.append(table.current_stage)
                if kind == "Disagreement":
                    columns.append(table.partnership)
                query = (
                    select(*columns)
                    .where(table.state.in_(states))
                    .order_by(table.workflow_id)
                    .execution_options(yield_per=BATCH)
                )
                result = await session.stream(query)
                async for rows in result.partitions():
                    found += [_ref(kind, row) for row in rows]
        return found

    async def mark_stopped(
        self, case: CaseRef, at: datetime, reason: str, data: dict[str, str]
    ) -> bool:
        """Mark ``case`` stopped with Temporal's ``reason`` and add its step; False if not open.

        The state changes only from an open state, and the step is inserted only by
        the call that changed it (and once, by its key): a case another reconcile
        marked first, or that closed meanwhile, is left as it is.
        """
        table, steps = _tables(case.kind)
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(table)
                .where(
                    table.workflow_id == case.workflow_id,
                    table.state.in_(OPEN_STATES[case.kind]),
                )
                .values(state=STOPPED, stopped_at=at, stop_reason=reason, updated_at=at)
            )
            if not cast("CursorResult[Any]", result).rowcount:
                return False
            step = {
                "key": stopped_key(case.workflow_id),
                "workflow_id": case.workflow_id,
                "case_reference": case.case_reference,
                "kind": STEP_KIND,
                "at": at,
                "stage_id": case.stage,
                "actor": "Temporal",
                "text": reason,
                "data": data,
                "recorded_at": at,
            }
            await session.execute(_insert_once(session, steps, step))
        return True

    async def stopped(
        self, procedure: str | None = None, stage: str | None = None, untold_only: bool = False
    ) -> list[StoppedRow]:
        """Stopped cases, oldest stop first; ``untold_only``: those whose email is not out.

        Untold means the Business Manager's email (outbox key ``stopped_key``) has no
        row yet or is still ``pending``: a reconcile whose email could not be sent
        leaves it so, and the next one sends it.
        """
        rows: list[StoppedRow] = []
        async with self._sessionmaker() as session:
            for kind in OPEN_STATES:
                table, _ = _tables(kind)
                query = select(table, OutboxNotification.status).outerjoin(
                    OutboxNotification,
                    and_(
                        OutboxNotification.workflow_id == table.workflow_id,
                        OutboxNotification.key == table.workflow_id + "/stopped",
                    ),
                )
                query = query.where(table.state == STOPPED)
                if procedure is not None:
                    query = query.where(table.procedure == procedure)
                if stage is not None:
                    query = query.where(table.current_stage == stage)
                for row, status in (await session.execute(query)).all():
                    if untold_only and status is not None and status not in UNTOLD_STATUSES:
                        continue
                    rows.append(StoppedRow(_ref(kind, row), row.stopped_at, row.stop_reason))
        return sorted(rows, key=lambda r: (r.stopped_at is None, r.stopped_at, r.case.workflow_id))


def _insert_once(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on either backend (the key is UNIQUE)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing()
