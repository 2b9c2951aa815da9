"""Record-keeping activities: the disagreement row and every step of its timeline.

Each write is an INSERT ... ON CONFLICT DO NOTHING on a unique key derived from
the workflow id and the step, so a retried or replayed activity never writes a
second row. Database errors propagate: Temporal retries them, and the workflow's
timeline does not wait for the database. What a write newly inserted is counted for
the metrics once it has committed (``activities/counting.py``).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.counting import DISAGREEMENT, Tally
from models.records import DisagreementRecord, RecordBatch, StepRecord
from records.derive import derived_rows
from records.schema import Disagreement, Step, utcnow

log = logging.getLogger(__name__)


def insert_ignoring_duplicates(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """An INSERT that does nothing when the unique key already exists, on either backend."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing()


class RecordActivities:
    """Writes the record of truth through one injected sessionmaker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @activity.defn(name="open_record")
    async def open_record(self, rec: DisagreementRecord) -> None:
        """Write the disagreement's row once (idempotent by workflow id)."""
        tally = Tally(DISAGREEMENT, Disagreement)
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                insert_ignoring_duplicates(session, Disagreement, rec.model_dump())
            )
            if cast("CursorResult[Any]", result).rowcount:
                tally.case_opened(rec.procedure)
        tally.count()
        log.info("recorded disagreement %s (case %s)", rec.workflow_id, rec.case_reference)

    @activity.defn(name="record_step")
    async def record_step(self, step: StepRecord) -> None:
        """Write one step once (idempotent by key) and keep the case's state current.

        A decision, a written confirmation or a learning item also gets its typed
        row, under the step's key and in the same transaction: both or neither.
        """
        tally = Tally(DISAGREEMENT, Disagreement)
        async with self._sessionmaker() as session, session.begin():
            await _write_step(session, step, tally)
            await tally.read_procedures(session)
        tally.count()

    @activity.defn(name="record_steps")
    async def record_steps(self, batch: RecordBatch) -> None:
        """Write a batch (the disagreement first, then its steps in order) in one transaction.

        Each row is idempotent by its own key, as with ``record_step``, so a retried
        batch writes only what an earlier attempt did not.
        """
        tally = Tally(DISAGREEMENT, Disagreement)
        async with self._sessionmaker() as session, session.begin():
            if batch.disagreement is not None:
                result = await session.execute(
                    insert_ignoring_duplicates(
                        session, Disagreement, batch.disagreement.model_dump()
                    )
                )
                if cast("CursorResult[Any]", result).rowcount:
                    tally.case_opened(batch.disagreement.procedure)
            for step in batch.steps:
                await _write_step(session, step, tally)
            await tally.read_procedures(session)
        tally.count()
        if batch.disagreement is not None:
            rec = batch.disagreement
            log.info("recorded disagreement %s (case %s)", rec.workflow_id, rec.case_reference)


async def _write_step(session: AsyncSession, step: StepRecord, tally: Tally) -> None:
    """Insert one step with its typed rows and the case's new state, inside ``session``."""
    values = step.model_dump(exclude={"state", "current_stage"})
    result = await session.execute(insert_ignoring_duplicates(session, Step, values))
    if not cast("CursorResult[Any]", result).rowcount:
        return  # written by an earlier attempt, with everything below
    tally.step_written(step)
    due = None
    if step.kind == "confirmed":
        due = await session.scalar(
            select(Step.due_at)
            .where(Step.workflow_id == step.workflow_id, Step.kind == "confirmation_due")
            .order_by(Step.key.desc())
            .limit(1)
        )
    for table, row in derived_rows(step, due):
        await session.execute(insert_ignoring_duplicates(session, table, row))
    if step.state is not None:
        await session.execute(
            update(Disagreement)
            # A stopped case stays stopped: a write still in flight from its last run
            # (reconcile marked it meanwhile) must not reopen it.
            .where(Disagreement.workflow_id == step.workflow_id, Disagreement.state != "stopped")
            .values(state=step.state, current_stage=step.current_stage, updated_at=utcnow())
        )
