"""The bare side of the benchmark: its activity, its table and its worker.

The bare workflow (``bench/bare_workflow.py``) has the product's shape with none
of its substance: it waits for one signal, then one activity writes one row
through SQLAlchemy to the same database, with the same pydantic data converter.
The ratio of the two workflows' figures is what the benchmark reports, so a
noisy machine moves both sides together. ``python -m bench.bare`` runs its
worker (a process of its own, like worker.py, so its memory is its own).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_models import BareDecision, BareRow, BareStart
from bench.bare_workflow import BareCase, BareTimer

log = logging.getLogger("bench.bare")

__all__ = [
    "BareCase",
    "BareDecision",
    "BareStart",
    "BareTimer",
    "create_bare_worker",
    "create_table",
]

metadata = MetaData()
bench_rows = Table(
    "bench_rows",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
"""The bare activity's table (created by the benchmark, never by the product's migrations)."""


class BareActivities:
    """The one activity, writing through an injected sessionmaker like the product's."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @activity.defn(name="bare_record")
    async def record(self, row: BareRow) -> None:
        """Insert one row."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                bench_rows.insert().values(key=row.key, by=row.by, at=datetime.now(UTC))
            )


async def create_table(engine: AsyncEngine) -> None:
    """Create the bare table if it is missing."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


def create_bare_worker(
    client: Client, task_queue: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> Worker:
    """A worker for the bare workflow, cached like the product's (1,000 workflows)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCase, BareTimer],
        activities=[BareActivities(sessionmaker).record],
        max_cached_workflows=1000,
    )


async def _main() -> None:
    from records.db import make_sessionmaker
    from starter.connect import ConnectionOptions, connect

    client = await connect(options=ConnectionOptions(address=os.environ["TEMPORAL_ADDRESS"]))
    queue = os.environ["ESCALATION_TASK_QUEUE"]
    sessionmaker = make_sessionmaker(os.environ["ESCALATION_DATABASE_URL"])
    worker = create_bare_worker(client, queue, sessionmaker)
    log.info("worker polling task queue %r (bare)", queue)
    async with worker:
        await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main())
