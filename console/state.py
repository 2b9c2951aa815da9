"""What every console page needs, built once at start-up and held by the application."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.access import AccessError, AccessMap
from console.oidc import OidcClient
from packs import PACK_DIR
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient

log = logging.getLogger("escalation.console")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConsoleState:
    """The console's collaborators: sign-in, access, records and the workflows."""

    oidc: OidcClient
    access: AccessMap
    sessions: async_sessionmaker[AsyncSession]
    database_url: str
    cases: EscalationClient
    alerts: PracticeAlertClient
    base_url: str
    pack_dir: Path = PACK_DIR
    local_dir: Path | None = None
    clock: Callable[[], datetime] = field(default=_utcnow)
    access_path: Path | None = None
    """The access file ``access`` was read from: re-read when it changes (``current_access``)."""
    _access_stamp: float | None = None

    def current_access(self) -> AccessMap:
        """The access map as the file is now: a role given or taken away applies at once.

        One ``stat`` per request; the file is read again only when its modification time
        changes. An edit that breaks the file is logged and the last good map kept, so a
        typo does not lock every Business Manager out.
        """
        if self.access_path is None:
            return self.access
        try:
            stamp = self.access_path.stat().st_mtime
        except OSError as exc:
            log.error(
                "console access file %s: %s; keeping the last one read", self.access_path, exc
            )
            return self.access
        if stamp != self._access_stamp:
            try:
                self.access = AccessMap.load(self.access_path)
            except AccessError as exc:
                log.error("%s; keeping the last good access file", exc)
            self._access_stamp = stamp
        return self.access


STATE: web.AppKey[ConsoleState] = web.AppKey("console_state", ConsoleState)
