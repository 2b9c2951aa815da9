"""Migrations from an empty database to head and back, on SQLite and PostgreSQL.

Proves the hand-written DDL of 0001 (every step of the schema before 1.0, squashed) and ``records.schema`` describe the
same tables (Alembic's autogenerate comparison finds nothing to change), the
constraint names, and that head downgrades to empty and upgrades again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from records.db import alembic_config, current_revision, make_engine, upgrade
from records.schema import Base
from tests.conftest import pg_database

MINE = {
    "disagreements",
    "steps",
    "notifications",
    "decisions",
    "confirmations",
    "learning_items",
    "contacts",
    "calendar_closures",
    "console_actions",
}
HEAD = "0003"  # 1.0's squashed 0001, the indexes at scale, the console's action log
KEYED = {"decisions", "confirmations", "learning_items", "contacts"}
"""Tables with a unique key or foreign keys of their own, checked by name."""


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, never-migrated database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    async with pg_database("escalation_mig") as url:
        yield url


def _names(diff: Any) -> set[str]:
    found: set[str] = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item:
            for candidate in (
                getattr(part, "name", None),
                getattr(getattr(part, "table", None), "name", None),
                part,
            ):
                if isinstance(candidate, str):
                    found.add(candidate)
    return found


def _inspect(connection: Connection) -> dict[str, Any]:
    insp = inspect(connection)
    tables = set(insp.get_table_names())
    diffs = compare_metadata(
        MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
    )
    return {
        "tables": tables,
        "diffs": [d for d in diffs if _names(d) & MINE],
        "uniques": {
            t: sorted(u["name"] for u in insp.get_unique_constraints(t)) for t in KEYED & tables
        },
        "fks": {t: [fk["name"] for fk in insp.get_foreign_keys(t)] for t in KEYED & tables},
        "closures": sorted(u["name"] for u in insp.get_unique_constraints("calendar_closures"))
        if "calendar_closures" in tables
        else [],
    }


async def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_inspect)
    finally:
        await engine.dispose()


async def _downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:

            def _down(sync: Connection) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = sync
                command.downgrade(config, revision)

            await connection.run_sync(_down)
    finally:
        await engine.dispose()


async def test_head_from_empty_matches_schema_down_and_up_again(empty_url: str) -> None:
    assert await current_revision(empty_url) is None
    await upgrade(empty_url)
    assert await current_revision(empty_url) == HEAD
    state = await _state(empty_url)
    assert MINE <= state["tables"]
    assert state["diffs"] == []
    assert state["uniques"] == {
        "decisions": ["uq_decisions_key"],
        "confirmations": ["uq_confirmations_key"],
        "learning_items": ["uq_learning_items_key"],
        "contacts": ["uq_contacts_partnership_agency_role"],
    }
    assert state["fks"] == {
        t: [f"fk_{t}_workflow_id_disagreements"]
        for t in ("decisions", "confirmations", "learning_items")
    } | {"contacts": []}
    assert state["closures"] == ["uq_calendar_closures_partnership_day"]

    await _downgrade(empty_url, "base")
    assert await current_revision(empty_url) is None
    assert not MINE & (await _state(empty_url))["tables"]

    await upgrade(empty_url)
    assert await current_revision(empty_url) == HEAD
    assert (await _state(empty_url))["diffs"] == []


def _indexes(connection: Connection) -> dict[str, set[str]]:
    insp = inspect(connection)
    return {
        table: {str(i["name"]) for i in insp.get_indexes(table)}
        for table in ("steps", "disagreements", "practice_alerts", "notifications")
    }


async def test_0002_adds_the_indexes_at_scale_and_keeps_the_rows(empty_url: str) -> None:
    """0001 → 0002 on a database with a case in it, and back: the rows stay, the indexes move."""
    await upgrade(empty_url, "0001")
    engine = make_engine(empty_url)
    at = "2026-01-05 10:00:00+00:00"
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO disagreements (workflow_id, case_reference, procedure, ladder,"
                    " partnership, raising_agency, receiving_agency, nature, risk_to_child, aim,"
                    " raised_at, raised_late, immediate_risk, state, created_at, updated_at)"
                    " VALUES ('w1', 'CR-1', 'redbridge-2017', 'individual', 'p', 'a', 'b',"
                    " 'n', 'r', 'aim', :at, false, false, 'open', :at, :at)"
                ),
                {"at": datetime.fromisoformat(at)},
            )
        await upgrade(empty_url)
        async with engine.connect() as connection:
            indexes = await connection.run_sync(_indexes)
            assert await connection.scalar(text("SELECT count(*) FROM disagreements")) == 1
        assert {"ix_steps_workflow_id_key", "ix_steps_kind_at"} <= indexes["steps"]
        assert "ix_steps_workflow_id" not in indexes["steps"]
        assert {"ix_disagreements_state", "ix_disagreements_raised_at"} <= indexes["disagreements"]
        assert {"ix_practice_alerts_state", "ix_practice_alerts_raised_at"} <= indexes[
            "practice_alerts"
        ]
        assert "ix_notifications_status" in indexes["notifications"]
        await _downgrade(empty_url, "0001")
        async with engine.connect() as connection:
            indexes = await connection.run_sync(_indexes)
            assert await connection.scalar(text("SELECT count(*) FROM disagreements")) == 1
        assert "ix_steps_workflow_id" in indexes["steps"]
        assert not {"ix_steps_workflow_id_key", "ix_steps_kind_at"} & indexes["steps"]
        assert "ix_disagreements_state" not in indexes["disagreements"]
        assert "ix_notifications_status" not in indexes["notifications"]
    finally:
        await engine.dispose()
