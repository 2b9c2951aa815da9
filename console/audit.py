"""Every console action recorded with the signed-in identity and what came of it."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.access import Identity
from records.schema import ConsoleAction

log = logging.getLogger("escalation.console")

Outcome = Literal["accepted", "refused", "failed"]
DETAIL_LIMIT = 2_000
"""The reason or result kept per action: a refusal's words, never a whole upload."""


async def record_action(
    sessions: async_sessionmaker[AsyncSession],
    who: Identity,
    *,
    partnership: str,
    action: str,
    target: str,
    outcome: Outcome,
    detail: str = "",
) -> None:
    """Write one action row (and a log line naming the subject, target and outcome)."""
    row = ConsoleAction(
        actor_sub=who.sub[:255],
        actor_email=who.email[:254],
        partnership=partnership[:255],
        action=action[:64],
        target=target[:255],
        outcome=outcome,
        detail=detail[:DETAIL_LIMIT],
    )
    async with sessions() as session, session.begin():
        session.add(row)
    log.info("console action %s on %s by %s: %s", action, target, who.sub, outcome)
