"""New cases honour stored closure days: ``load_pack`` merges them into the pack's calendar.

Each test stores closures for a partnership of its own (a copy of the Redbridge
pack under a fresh partnership name), so the shared databases' other users never
see them. The database being unreachable is a retryable error, never a pack
without the closures: a case opened then would count a closed day as working.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.packs import PackActivities
from models.calendar import DeadlineRequest
from models.packs_io import LoadPack
from packs import PACK_DIR
from records.closures import ClosureStore
from records.db import make_sessionmaker
from workdays.calendar import plan_deadline

RAISED = datetime.fromisoformat("2026-12-07T10:00:00+00:00")  # Monday


def pack_dir_for(tmp_path: Path, partnership: str) -> Path:
    """The Redbridge pack under ``partnership``, alone in a directory of its own."""
    source = (PACK_DIR / "redbridge-2017.toml").read_text(encoding="utf-8")
    line = next(x for x in source.splitlines() if x.startswith("partnership = "))
    (tmp_path / "redbridge-2017.toml").write_text(
        source.replace(line, f'partnership = "{partnership}"'), encoding="utf-8"
    )
    return tmp_path


async def test_stored_closures_join_the_pack_calendar(
    any_db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    mine = f"Test LSCB {uuid.uuid4().hex[:8]}"
    store = ClosureStore(any_db)
    assert await store.add(mine, [date(2026, 12, 10), date(2026, 12, 9)], "Snow", "BM") == [
        date(2026, 12, 9),
        date(2026, 12, 10),
    ]
    # Another partnership's closure is not ours; the same day twice is stored once.
    await store.add(f"Other LSCB {uuid.uuid4().hex[:8]}", [date(2026, 12, 8)], "Other", "BM")
    assert await store.add(mine.upper(), [date(2026, 12, 10)], "Again", "BM") == []

    pack = await PackActivities(pack_dir_for(tmp_path, mine), ClosureStore(any_db)).load_pack(
        LoadPack(procedure="redbridge-2017")
    )
    assert pack.calendar.extra_closure_days == [date(2026, 12, 9), date(2026, 12, 10)]
    # What a case opened now sees: stage 1 (5 working days) skips both closed days.
    plan = plan_deadline(DeadlineRequest(calendar=pack.calendar, start=RAISED, working_days=5))
    assert plan.due_at.isoformat() == "2026-12-16T17:00:00+00:00"  # not Monday 14th

    async with any_db() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT day, reason FROM calendar_closures WHERE partnership = :p ORDER BY day"
                ),
                {"p": mine},
            )
        ).all()
    assert [(str(r[0]), r[1]) for r in rows] == [("2026-12-09", "Snow"), ("2026-12-10", "Snow")]


async def test_no_closures_leaves_the_pack_as_its_file(
    any_db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    directory = pack_dir_for(tmp_path, f"Quiet LSCB {uuid.uuid4().hex[:8]}")
    with_db = await PackActivities(directory, ClosureStore(any_db)).load_pack(
        LoadPack(procedure="redbridge-2017")
    )
    without_db = await PackActivities(directory).load_pack(LoadPack(procedure="redbridge-2017"))
    assert with_db == without_db
    assert with_db.calendar.extra_closure_days == []


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:9/test",  # nothing listens on port 9
        "sqlite+aiosqlite:///{tmp}/never-migrated.db",  # no calendar_closures table
    ],
    ids=["postgres-down", "sqlite-not-migrated"],
)
async def test_an_unreadable_database_is_a_retryable_error(tmp_path: Path, url: str) -> None:
    maker = make_sessionmaker(url.format(tmp=tmp_path))
    try:
        with pytest.raises(ApplicationError) as caught:
            await PackActivities(PACK_DIR, ClosureStore(maker)).load_pack(
                LoadPack(procedure="redbridge-2017")
            )
    finally:
        await maker.kw["bind"].dispose()
    assert caught.value.type == "ClosureDaysUnavailable"
    assert not caught.value.non_retryable
    assert "Redbridge Local Safeguarding Children Board" in caught.value.message
    assert "the case opens once they can be read" in caught.value.message


async def test_an_unknown_procedure_is_still_permanent(
    any_db: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await PackActivities(PACK_DIR, ClosureStore(any_db)).load_pack(
            LoadPack(procedure="nowhere")
        )
    assert caught.value.type == "UnknownProcedure" and caught.value.non_retryable
