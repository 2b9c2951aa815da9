"""What every console page needs, built once at start-up and held by the application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.access import AccessMap
from console.oidc import OidcClient
from packs import PACK_DIR
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient


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


STATE: web.AppKey[ConsoleState] = web.AppKey("console_state", ConsoleState)
