"""Record-keeping activities for practice alerts: the alert row and each of its steps.

Each write is an INSERT ... ON CONFLICT DO NOTHING on a unique key (the workflow
id for the alert, workflow id + step for a step), so a retried or replayed
activity never writes twice, on SQLite as on PostgreSQL. The alert's state,
current stage and finalisation are kept current by the step that changed them,
and only when that step was newly written. Database errors propagate: Temporal
retries them. What a write newly inserted is counted for the metrics once it has
committed (``activities/counting.py``).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.counting import PRACTICE_ALERT, Tally
from activities.records import insert_ignoring_duplicates
from models.alerts import AlertRecord, AlertRecordBatch, AlertStepRecord
from records.schema import AlertStep, PracticeAlertRow, utcnow

log = logging.getLogger(__name__)


class AlertActivities:
    """Writes practice alerts' records through one injected sessionmaker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @activity.defn(name="open_practice_alert")
    async def open_practice_alert(self, rec: AlertRecord) -> None:
        """Write the alert's row once (idempotent by workflow id)."""
        tally = Tally(PRACTICE_ALERT, PracticeAlertRow)
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                insert_ignoring_duplicates(session, PracticeAlertRow, rec.model_dump())
            )
            if cast("CursorResult[Any]", result).rowcount:
                tally.case_opened(rec.procedure)
        tally.count()
        log.info("recorded practice alert %s (case %s)", rec.workflow_id, rec.case_reference)

    @activity.defn(name="record_alert_step")
    async def record_alert_step(self, step: AlertStepRecord) -> None:
        """Write one step once (idempotent by key) and keep the alert's state current."""
        tally = Tally(PRACTICE_ALERT, PracticeAlertRow)
        async with self._sessionmaker() as session, session.begin():
            await _write_alert_step(session, step, tally)
            await tally.read_procedures(session)
        tally.count()

    @activity.defn(name="record_alert_steps")
    async def record_alert_steps(self, batch: AlertRecordBatch) -> None:
        """Write a batch (the alert row first, then its steps in order) in one transaction.

        Each row is idempotent by its own key, as with ``record_alert_step``, so a
        retried batch writes only what an earlier attempt did not.
        """
        tally = Tally(PRACTICE_ALERT, PracticeAlertRow)
        async with self._sessionmaker() as session, session.begin():
            if batch.alert is not None:
                result = await session.execute(
                    insert_ignoring_duplicates(session, PracticeAlertRow, batch.alert.model_dump())
                )
                if cast("CursorResult[Any]", result).rowcount:
                    tally.case_opened(batch.alert.procedure)
            for step in batch.steps:
                await _write_alert_step(session, step, tally)
            await tally.read_procedures(session)
        tally.count()
        if batch.alert is not None:
            rec = batch.alert
            log.info("recorded practice alert %s (case %s)", rec.workflow_id, rec.case_reference)


async def _write_alert_step(session: AsyncSession, step: AlertStepRecord, tally: Tally) -> None:
    """Insert one step and, if it was new and changed the state, the alert's new state."""
    values = step.model_dump(exclude={"state", "current_stage"})
    result = await session.execute(insert_ignoring_duplicates(session, AlertStep, values))
    if not cast("CursorResult[Any]", result).rowcount:
        return
    tally.step_written(step)
    if step.state is None:
        return
    changes: dict[str, Any] = {"state": step.state, "updated_at": utcnow()}
    if step.current_stage is not None:
        changes["current_stage"] = step.current_stage
    if step.state == "finalised":
        changes["finalised_at"] = step.at
        changes["finalised_by"] = step.actor
    await session.execute(
        update(PracticeAlertRow)
        # A stopped alert stays stopped (see activities/records.py).
        .where(
            PracticeAlertRow.workflow_id == step.workflow_id, PracticeAlertRow.state != "stopped"
        )
        .values(**changes)
    )
