"""Partnership closure days: stored once, read by every case the partnership opens later.

``escalation calendar add-closure`` writes them (idempotently: one row per
partnership and day); the ``load_pack`` activity reads them into the pack's
calendar, so the days are recorded in a new case's history at its start and the
case counts its working days around them. Running cases learn of a new closure
through the ``change_calendar`` update, not from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.schema import CalendarClosure, utcnow


@dataclass(frozen=True)
class StoredClosure:
    """One stored closure day, as ``escalation calendar list`` shows it."""

    partnership: str
    day: date
    reason: str
    added_by: str
    added_at: datetime


class ClosureStore:
    """Reads and writes the ``calendar_closures`` table through one sessionmaker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def closure_days(self, partnership: str) -> list[date]:
        """Every stored closure day of ``partnership`` (matched case-insensitively), sorted."""
        async with self._sessionmaker() as session:
            days = await session.scalars(
                select(CalendarClosure.day)
                .where(func.lower(CalendarClosure.partnership) == partnership.lower())
                .order_by(CalendarClosure.day)
            )
            return list(days)

    async def stored(self, partnership: str, days: Iterable[date]) -> set[date]:
        """Which of ``days`` are already stored for ``partnership`` (for a dry run)."""
        wanted = set(days)
        return {d for d in await self.closure_days(partnership) if d in wanted}

    async def add(
        self,
        partnership: str,
        days: Iterable[date],
        reason: str,
        added_by: str,
        now: datetime | None = None,
    ) -> list[date]:
        """Store each day for ``partnership`` in one transaction; returns the days that were new.

        A day already stored keeps its first reason and author: running the same
        command again (after some updates failed) writes nothing twice.
        """
        wanted = sorted(set(days))
        at = now or utcnow()
        async with self._sessionmaker() as session, session.begin():
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            existing = set(
                await session.scalars(
                    select(CalendarClosure.day).where(
                        func.lower(CalendarClosure.partnership) == partnership.lower(),
                        CalendarClosure.day.in_(wanted),
                    )
                )
            )
            new = [d for d in wanted if d not in existing]
            if new:
                await session.execute(
                    insert(CalendarClosure)
                    .values(
                        [
                            {
                                "partnership": partnership,
                                "day": d,
                                "reason": reason,
                                "added_by": added_by,
                                "added_at": at,
                            }
                            for d in new
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=["partnership", "day"])
                )
        return new

    async def all(self, partnership: str | None = None) -> list[StoredClosure]:
        """Stored closures, of one partnership or all, by partnership then day."""
        query = select(CalendarClosure).order_by(CalendarClosure.partnership, CalendarClosure.day)
        if partnership is not None:
            query = query.where(func.lower(CalendarClosure.partnership) == partnership.lower())
        async with self._sessionmaker() as session:
            rows = await session.scalars(query)
            return [
                StoredClosure(r.partnership, r.day, r.reason, r.added_by, r.added_at) for r in rows
            ]
