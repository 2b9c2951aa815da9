"""Migration 0002 (practice alerts) from an empty database, on SQLite and PostgreSQL.

Proves the hand-written DDL and ``records.schema``'s classes describe the same
tables (Alembic's autogenerate comparison finds nothing to change for them),
that the constraints carry the naming convention's names, and that the
revision downgrades cleanly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from records.db import alembic_config, current_revision, make_engine, upgrade
from records.schema import Base
from tests.conftest import PG_ADMIN_DSN

ALERT_TABLES = {"practice_alerts", "alert_steps"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, never-migrated database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"escalation_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _inspect(connection: Connection) -> dict[str, Any]:
    insp = inspect(connection)
    tables = set(insp.get_table_names())
    diffs = compare_metadata(
        MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
    )

    def concerns_alerts(diff: Any) -> bool:
        if _added_later(diff):
            return False
        for item in diff if isinstance(diff, list) else [diff]:
            for part in item:
                table = getattr(part, "table", None)
                name = getattr(part, "name", None)
                if name in ALERT_TABLES or getattr(table, "name", None) in ALERT_TABLES:
                    return True
                if isinstance(part, str) and part in ALERT_TABLES:
                    return True
        return False

    return {
        "tables": tables,
        "diffs": [d for d in diffs if concerns_alerts(d)],
        "uniques": {
            t: sorted(u["name"] for u in insp.get_unique_constraints(t))
            for t in ALERT_TABLES & tables
        },
        "fks": [fk["name"] for fk in insp.get_foreign_keys("alert_steps")]
        if "alert_steps" in tables
        else [],
    }


LATER_COLUMNS = {"stopped_at", "stop_reason"}
"""Columns a later migration (0005, stopped cases) adds: not 0002's to create."""


def _added_later(diff: Any) -> bool:
    return (
        isinstance(diff, tuple)
        and diff[0] == "add_column"
        and getattr(diff[-1], "name", None) in LATER_COLUMNS
    )


async def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_inspect)
    finally:
        await engine.dispose()


async def test_0002_from_empty_matches_schema_and_downgrades(empty_url: str) -> None:
    await upgrade(empty_url, "0002")
    assert await current_revision(empty_url) == "0002"
    state = await _state(empty_url)
    assert ALERT_TABLES <= state["tables"]
    assert state["diffs"] == []
    assert state["uniques"] == {
        "practice_alerts": ["uq_practice_alerts_workflow_id"],
        "alert_steps": ["uq_alert_steps_key"],
    }
    assert state["fks"] == ["fk_alert_steps_workflow_id_practice_alerts"]

    engine = make_engine(empty_url)
    try:
        async with engine.begin() as connection:

            def _down(sync: Connection) -> None:
                config = alembic_config(empty_url)
                config.attributes["connection"] = sync
                command.downgrade(config, "0001")

            await connection.run_sync(_down)
    finally:
        await engine.dispose()
    assert await current_revision(empty_url) == "0001"
    assert not ALERT_TABLES & (await _state(empty_url))["tables"]
