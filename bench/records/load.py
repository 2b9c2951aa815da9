"""Filling the records database with ``bench.records.shapes`` rows, fast enough to reach 100,000.

Through the activities one row at a time, 100,000 disagreements (some 2.5 million
rows) would take hours; the rows are the same either way, so they are bulk loaded:
``COPY`` on PostgreSQL (asyncpg's binary copy), a Core ``executemany`` INSERT on
SQLite. Each batch is one transaction, and the schema comes from the migrations
(``records.db.upgrade``) as it does for the product. PostgreSQL's statistics are
refreshed and the pages marked visible afterwards (``VACUUM ANALYZE``), as autovacuum
would after a load this size, so the planner sees the tables as they are.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.records.shapes import TABLES, Generator, Rows
from records.schema import Base

BATCH_WORKFLOWS = 1000
"""Workflows per batch: a few tens of thousands of rows, a few MiB in memory."""


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name != "id"]


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.columns[column].type, JSON)


async def count_rows(engine: AsyncEngine) -> dict[str, int]:
    """How many rows each records table holds."""
    async with engine.connect() as conn:
        return {
            name: int(await conn.scalar(select(func.count()).select_from(_table(name))) or 0)
            for name in TABLES
        }


async def _copy(conn: AsyncConnection, name: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: one binary COPY (JSON as text, which asyncpg's jsonb codec takes)."""
    table = _table(name)
    columns = _columns(table)
    jsons = {c for c in columns if _is_json(table, c)}
    records = [
        tuple(
            json.dumps(row.get(c)) if c in jsons and row.get(c) is not None else row.get(c)
            for c in columns
        )
        for row in rows
    ]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(name, records=records, columns=columns)


async def _insert(conn: AsyncConnection, name: str, rows: list[dict[str, Any]]) -> None:
    """Any backend: an executemany INSERT through the ORM's column types."""
    table = _table(name)
    columns = _columns(table)
    await conn.execute(table.insert(), [{c: row.get(c) for c in columns} for row in rows])


async def write_batch(engine: AsyncEngine, rows: Rows) -> None:
    """One batch in one transaction, parents before children (the foreign keys hold)."""
    write = _copy if engine.dialect.name == "postgresql" else _insert
    async with engine.begin() as conn:
        for name in TABLES:
            if rows[name]:
                await write(conn, name, rows[name])


async def fill(engine: AsyncEngine, cases: int, alerts: int) -> float:
    """Write every generated row; the seconds it took."""
    started = time.perf_counter()
    for rows in Generator(cases, alerts).batches(BATCH_WORKFLOWS):
        await write_batch(engine, rows)
    await settle(engine)
    return time.perf_counter() - started


async def settle(engine: AsyncEngine) -> None:
    """PostgreSQL: ``VACUUM ANALYZE``, as autovacuum leaves a database that has been in use.

    Fresh from COPY, the planner has no statistics and no page is marked all-visible
    (so no index-only scan): the reads would be timed on a database nobody runs.
    """
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
