"""The activity that reads a policy pack from disk.

Reading happens here, not in workflow code, so that the pack a case started
with is recorded in its history: editing or redeploying a pack never changes
(or breaks the replay of) a case already running.
"""

from __future__ import annotations

from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.pack import PolicyPack
from models.packs_io import LoadPack
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack


class PackActivities:
    """Loads packs from one directory (the shipped packs by default)."""

    def __init__(self, directory: Path = PACK_DIR) -> None:
        self._directory = directory

    @activity.defn(name="load_pack")
    async def load_pack(self, req: LoadPack) -> PolicyPack:
        """Load and validate the pack for ``req.procedure``.

        Unknown or broken packs are permanent errors: retrying cannot fix them.
        """
        try:
            return load_pack(req.procedure, self._directory)
        except UnknownProcedure as exc:
            raise ApplicationError(str(exc), type="UnknownProcedure", non_retryable=True) from exc
        except PackError as exc:
            raise ApplicationError(str(exc), type="InvalidPack", non_retryable=True) from exc
