"""A case opened while its partnership's closure days cannot be read waits, then opens on them.

The worker's database has no ``calendar_closures`` table yet (as if migration 0004
had not run, or the server were down): ``load_pack`` fails with the retryable
``ClosureDaysUnavailable`` and the case does not open on a calendar missing the
partnership's closures. Once the database answers (migrated, a closure stored), the
next retry opens the case, and its first deadline counts around the closed day.
Time-skipping server: the retry's backoff is skipped, not waited for.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from records.closures import ClosureStore
from records.db import make_sessionmaker, upgrade
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.workflows.support import jump_to, start_payload
from worker import create_worker

RAISED = datetime.fromisoformat("2026-12-07T10:00:00+00:00")  # Monday
REDBRIDGE = "Redbridge Local Safeguarding Children Board"


async def test_the_case_opens_with_the_closures_once_they_can_be_read(
    env: WorkflowEnvironment, mail: SmtpSink, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'not-yet-migrated.db'}"
    db = make_sessionmaker(url)
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    await jump_to(env, RAISED)
    try:
        async with create_worker(env.client, "opens-later", sessionmaker=db, smtp=smtp):
            sdk = EscalationClient(env.client, "opens-later", env.get_current_time)
            wid = await sdk.open(start_payload(RAISED))
            handle = env.client.get_workflow_handle(wid)
            for _ in range(100):
                pending = (await handle.describe()).raw_description.pending_activities
                if pending and pending[0].last_failure.message:
                    break
                await asyncio.sleep(0.05)
            assert pending[0].activity_type.name == "load_pack"
            assert "cannot read the database" in pending[0].last_failure.message
            assert (await sdk.status(wid)).stages == []  # not opened on the pack alone

            await upgrade(url)
            await ClosureStore(db).add(REDBRIDGE, [date(2026, 12, 9)], "Training day", "BM")
            await env.sleep(timedelta(minutes=1))  # past the retry's backoff
            for _ in range(100):
                status = await sdk.status(wid)
                if status.stages:
                    break
                await asyncio.sleep(0.05)
            # 8, 10, 11, 14, 15 December: the closed Wednesday is not counted.
            assert status.stages[0].due_at == datetime.fromisoformat("2026-12-15T17:00:00+00:00")
            await handle.terminate("test over")
    finally:
        await db.kw["bind"].dispose()
