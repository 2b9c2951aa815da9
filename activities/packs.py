"""The activity that reads a policy pack from disk, with its partnership's closure days.

Reading happens here, not in workflow code, so that the pack a case started
with is recorded in its history: editing or redeploying a pack never changes
(or breaks the replay of) a case already running. The closure days a
partnership announced (``escalation calendar add-closure``) are stored in the
database; they are added to the pack's calendar here, so a case opened after the
announcement counts its working days around them from its first deadline on.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.pack import PolicyPack
from models.packs_io import LoadPack
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack

CLOSURES_TIMEOUT_SECONDS = 10.0
"""How long reading the closure days may take before the attempt fails and is retried."""


class ClosureSource(Protocol):
    """Where a partnership's announced closure days are kept (``records.closures.ClosureStore``)."""

    async def closure_days(self, partnership: str) -> list[date]:
        """Every closure day stored for ``partnership``."""
        ...


class PackActivities:
    """Loads packs from one directory (the shipped packs by default).

    Args:
        directory: Where the pack files are.
        closures: Where the partnerships' closure days are stored. Without one
            (tests of the packs alone, tools with no database) a pack's calendar
            is exactly its file's.
    """

    def __init__(
        self,
        directory: Path = PACK_DIR,
        closures: ClosureSource | None = None,
        local_dir: Path | None = None,
    ) -> None:
        self._directory = directory
        self._closures = closures
        self._local_dir = local_dir  # None: ESCALATION_LOCAL_SETTINGS, read at each load

    @activity.defn(name="load_pack")
    async def load_pack(self, req: LoadPack) -> PolicyPack:
        """Load and validate the pack for ``req.procedure``, with the local settings and the
        stored closure days.

        Unknown or broken packs are permanent errors: retrying cannot fix them.

        Raises:
            ApplicationError: ``UnknownProcedure`` / ``InvalidPack``, non-retryable.
                ``ClosureDaysUnavailable``, retryable, when the stored closure days
                cannot be read (the database is down): the case opens once they can
                be. Opening without them would give it deadlines that ignore days the
                partnership said it is closed, and a running case is only told of a
                closure when it is announced.
        """
        try:
            pack = load_pack(req.procedure, self._directory, self._local_dir)
        except UnknownProcedure as exc:
            raise ApplicationError(str(exc), type="UnknownProcedure", non_retryable=True) from exc
        except PackError as exc:
            raise ApplicationError(str(exc), type="InvalidPack", non_retryable=True) from exc
        if self._closures is None:
            return pack
        try:
            async with asyncio.timeout(CLOSURES_TIMEOUT_SECONDS):
                stored = await self._closures.closure_days(pack.partnership)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise ApplicationError(
                f"closure days of {pack.partnership}: cannot read the database "
                f"({type(exc).__name__}: {exc}); the case opens once they can be read",
                type="ClosureDaysUnavailable",
            ) from exc
        return with_closures(pack, stored)


def with_closures(pack: PolicyPack, days: list[date]) -> PolicyPack:
    """``pack`` with ``days`` added to its calendar's extra closure days (sorted, once each)."""
    if not days:
        return pack
    merged = sorted({*pack.calendar.extra_closure_days, *days})
    calendar = pack.calendar.model_copy(update={"extra_closure_days": merged})
    return pack.model_copy(update={"calendar": calendar})
