"""Helpers for PracticeAlert tests and saved histories: the example alert and a worker.

The worker reads the test pack in tests/fixtures/packs/ (``rutland-alerts-test``),
the practice alert section of Rutland's procedure, until packs/rutland.toml ships it.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from models.alerts import PracticeAlertStatus
from starter.alerts_sdk import PracticeAlertClient
from starter.smtp_sink import SmtpSink
from worker import create_worker

ROOT = Path(__file__).parents[2]
PACK_DIR = ROOT / "tests" / "fixtures" / "packs"
PROCEDURE = "rutland-alerts-test"
EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "rutland--practice-alert.json").read_text()
)
RAISER = EXAMPLE["raised_by"]["email"]


def email_of(role: str) -> str:
    return str(next(p["email"] for p in EXAMPLE["people"] if p["role"] == role))


def addresses(message: Any, header: str) -> list[str]:
    return [a.addr_spec for a in message[header].addresses] if message[header] else []


TEAM_MANAGER = email_of("receiving.team_manager")


def alert_payload(raised_at: str, **overrides: Any) -> dict[str, Any]:
    """The example alert under the test pack, with a fresh case reference."""
    payload = copy.deepcopy(EXAMPLE)
    payload["procedure"] = PROCEDURE
    payload["case_reference"] = f"CR-9{uuid.uuid4().hex[:9]}"
    payload["alert_id"] = "a1"
    payload["raised_at"] = raised_at
    payload.update(overrides)
    return payload


@dataclass
class AlertHarness:
    env: WorkflowEnvironment
    client: PracticeAlertClient
    sink: SmtpSink
    db: async_sessionmaker[AsyncSession]

    async def status(self, workflow_id: str) -> PracticeAlertStatus:
        return await self.client.status(workflow_id)

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.db() as session:
            return [tuple(r) for r in (await session.execute(text(sql), params)).all()]

    async def steps(self, workflow_id: str) -> list[tuple[Any, ...]]:
        return await self.rows(
            "SELECT kind, stage_id, in_time FROM alert_steps WHERE workflow_id = :w ORDER BY key",
            w=workflow_id,
        )


@asynccontextmanager
async def alerts_running(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    pack_dir: Path = PACK_DIR,
    stand_ins: Sequence[Callable[..., Any]] = (),
) -> AsyncIterator[AlertHarness]:
    """A worker on a fresh task queue reading ``pack_dir``, with real activities but for
    ``stand_ins``."""
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, mail_from="alerts@lscb.example.org")
    worker = create_worker(
        env.client, queue, sessionmaker=db, smtp=smtp, pack_dir=pack_dir, stand_ins=stand_ins
    )
    async with worker:
        client = PracticeAlertClient(env.client, queue, env.get_current_time, pack_dir)
        yield AlertHarness(env, client, sink, db)


def escalating_settings(directory: Path, *stages: str) -> Path:
    """Local settings switching these alert stages to climb by themselves (a partnership's
    choice; the shipped pack waits for the raising chair). Point ESCALATION_LOCAL_SETTINGS
    at the returned directory."""
    entries = "".join(
        f'\n[[alert_stages]]\nstage = "{s}"\non_deadline = "escalate"\n' for s in stages
    )
    (directory / f"{PROCEDURE}.toml").write_text(
        f'pack = "{PROCEDURE}"\nset_by = "Test partnership"\nset_on = 2026-11-30\n{entries}',
        encoding="utf-8",
    )
    return directory
