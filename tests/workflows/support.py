"""Helpers for workflow tests: a running worker, start payloads, and clock jumps."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from models.status import DisagreementStatus
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from worker import create_worker

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "examples" / "redbridge-2017.json").read_text()
)
BST = timezone(timedelta(hours=1))
GMT = UTC


def at(text_: str) -> datetime:
    """An aware datetime from ISO text (the form deadlines are asserted in)."""
    return datetime.fromisoformat(text_)


def minute(moment: datetime | None) -> datetime | None:
    """A moment to the minute: decisions land a few milliseconds after the clock jump."""
    return moment.replace(second=0, microsecond=0) if moment is not None else None


def start_payload(raised_at: datetime, **overrides: Any) -> dict[str, Any]:
    """The Redbridge example with a fresh case reference and the given raising time."""
    payload = copy.deepcopy(EXAMPLE)
    payload["case_reference"] = f"CR-9{uuid.uuid4().hex[:9]}"
    payload["disagreement_id"] = "d1"
    payload["raised_at"] = raised_at.isoformat()
    payload.pop("disagreement_arose_at")
    payload.update(overrides)
    return payload


def email_of(role: str) -> str:
    """The example's email address for a role."""
    return str(next(p["email"] for p in EXAMPLE["people"] if p["role"] == role))


async def jump_to(env: WorkflowEnvironment, when: datetime) -> None:
    """Skip the test server's clock forward to ``when`` (no-op if already later)."""
    now = await env.get_current_time()
    if when > now:
        await env.sleep(when - now)


@dataclass
class Harness:
    env: WorkflowEnvironment
    client: EscalationClient
    sink: SmtpSink
    db: async_sessionmaker[AsyncSession]

    async def status(self, workflow_id: str) -> DisagreementStatus:
        return await self.client.status(workflow_id)

    async def sleep_until(self, when: datetime) -> None:
        await jump_to(self.env, when)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db() as session:
            return list((await session.execute(text(sql), params)).all())

    async def step_kinds(self, workflow_id: str) -> list[str]:
        rows = await self.rows(
            "SELECT kind FROM steps WHERE workflow_id = :w ORDER BY key", w=workflow_id
        )
        return [r[0] for r in rows]


@asynccontextmanager
async def running(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    stand_ins: Sequence[Callable[..., Any]] = (),
) -> AsyncIterator[Harness]:
    """A worker on a fresh task queue, with real activities but for ``stand_ins``, for one test."""
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, mail_from="escalations@lscb.example.org")
    worker = create_worker(env.client, queue, sessionmaker=db, smtp=smtp, stand_ins=stand_ins)
    async with worker:
        yield Harness(env, EscalationClient(env.client, queue, env.get_current_time), sink, db)


def patch_ids(history: WorkflowHistory) -> list[str]:
    """The ``workflow.patched`` ids a history recorded, in order (its gate markers)."""
    return [
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
