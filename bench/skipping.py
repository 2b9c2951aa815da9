"""Wall time of the test suite's longest time-skipping scenario, and of the bare shape.

The scenario is ``redbridge-2017-whole-ladder`` from ``tests/workflows/scenarios.py``:
every Redbridge stage times out over four weeks of procedure time, signals arrive
out of order, and the Chair resolves. It runs on the time-skipping test server with
the real activities (a temporary SQLite database and an SMTP sink), as the tests do.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter

from activities.email import SmtpConfig
from bench.bare import BareDecision, BareStart, create_bare_worker, create_table
from records.db import make_sessionmaker, upgrade
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from starter.testing import start_time_skipping
from worker import create_worker

SCENARIO = "redbridge-2017-whole-ladder"


async def longest_scenario_seconds() -> tuple[float, float]:
    """(the product's whole-ladder scenario, the bare workflow's start-signal-activity), seconds."""
    from tests.workflows.scenarios import SCENARIOS, play
    from tests.workflows.support import jump_to

    scenario = next(s for s in SCENARIOS if s.name == SCENARIO)
    sink = SmtpSink()
    sink.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        sessionmaker = make_sessionmaker(url)
        await create_table(sessionmaker.kw["bind"])
        env = await start_time_skipping(pydantic_data_converter)
        try:
            queue = f"bench-{uuid.uuid4()}"
            smtp = SmtpConfig(host="127.0.0.1", port=sink.port)
            client = EscalationClient(env.client, queue, env.get_current_time)

            async def jump(when: datetime) -> None:
                await jump_to(env, when)

            t0 = time.perf_counter()
            async with create_worker(env.client, queue, sessionmaker=sessionmaker, smtp=smtp):
                [wid] = await play(scenario, [client], jump)
                await client.handle(wid).result()
            ours = time.perf_counter() - t0

            t0 = time.perf_counter()
            async with create_bare_worker(env.client, f"{queue}-bare", sessionmaker):
                handle = await env.client.start_workflow(
                    "BareCase",
                    BareStart(key="bare"),
                    id=f"bare-{queue}",
                    task_queue=f"{queue}-bare",
                )
                await handle.signal("decide", BareDecision(by="bench"))
                await handle.result()
            bare = time.perf_counter() - t0
        finally:
            await env.shutdown()
            await sessionmaker.kw["bind"].dispose()
            sink.stop()
    return ours, bare
