"""``GET /metrics`` from a real worker on the dev server, after a case climbs a stage.

``run_worker`` (what ``python worker.py`` runs) with ``ESCALATION_METRICS_PORT`` set
serves one text: the Temporal SDK's series (from its runtime's telemetry) and the
product's (counted by the activities that wrote the rows and sent the emails). The
counters are process-wide and other tests in this process may have bumped them, so
the test compares a scrape before the case with one after it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.decisions import Unresolved
from records.db import upgrade
from settings import Settings
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, free_port
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from telemetry.metrics import PROCESS_METRICS, PRODUCT_METRICS, SDK_ALWAYS_PRESENT
from tests.faults.stack import eventually
from tests.telemetry.scrape import families, samples, scrape, value
from tests.workflows.support import EXAMPLE, start_payload
from worker import run_worker

ALLOWED_LABELS = {"workflow_type", "procedure", "stage", "kind"}


async def test_metrics_show_the_sdk_and_the_product_after_a_case_climbs_a_stage(
    dev_server: DevServer, tmp_path: Path, mail: SmtpSink
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await upgrade(database_url)
    port, queue = free_port(), f"metrics-{uuid.uuid4().hex[:8]}"
    settings = Settings.model_validate(
        {
            "TEMPORAL_ADDRESS": dev_server.address,
            "ESCALATION_TASK_QUEUE": queue,
            "database_url": database_url,
            "smtp_host": "127.0.0.1",
            "smtp_port": mail.port,
            "metrics_port": port,
        }
    )
    url = f"http://127.0.0.1:{port}/metrics"
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop))
    try:
        before = samples(await scrape(url))
        cases = EscalationClient(
            await connect(options=ConnectionOptions(dev_server.address)), queue
        )
        payload = start_payload(datetime.now(UTC) - timedelta(minutes=1))
        wid = await cases.open(payload)
        await cases.unresolve(wid, Unresolved(by="B. Social Worker", reason="No agreement"))
        assert (await cases.status(wid)).current_stage == "line_managers"

        redbridge = {"workflow_type": "Disagreement", "procedure": "redbridge-2017"}

        def grew(found: list, name: str, **labels: str) -> float:
            return value(found, name, **labels) - value(before, name, **labels)

        async def counted() -> tuple[str, list]:
            text = await scrape(url)
            found = samples(text)
            assert grew(found, "escalation_cases_opened_total", **redbridge) == 1
            for stage in ("practitioners", "line_managers"):
                assert grew(found, "escalation_stages_entered_total", **redbridge, stage=stage) == 1
            assert grew(found, "escalation_decisions_total", **redbridge, kind="unresolved") == 1
            # Stage 1's email and stage 2's, accepted by the sink.
            assert grew(found, "escalation_emails_sent_total", kind="stage_entered") == 2
            return text, found

        text, found = await eventually(counted, timeout=30)

        # Nothing counted twice: a later scrape, the rows long written, shows the same.
        again = samples(await scrape(url))
        for name in ("escalation_stages_entered_total", "escalation_decisions_total"):
            assert value(again, name, **redbridge) == value(found, name, **redbridge)

        # The gauges read at the scrape: nothing overdue, nothing left pending.
        assert value(found, "escalation_overdue_cases") == 0
        assert value(found, "escalation_emails_pending") == 0

        # The SDK's own series, from the worker's runtime, labelled with its task queue.
        names, listed = families(text), SDK_ALWAYS_PRESENT | PRODUCT_METRICS | PROCESS_METRICS
        assert names >= listed, sorted(listed - names)
        assert (
            value(found, "temporal_workflow_task_schedule_to_start_latency_count", task_queue=queue)
            >= 2
        )
        assert value(found, "temporal_activity_execution_latency_count", task_queue=queue) >= 3
        assert {s.name for s in found if s.name.startswith("escalation_")} <= PRODUCT_METRICS

        # Labels are identifiers only: never the case reference, a name or free text.
        people = {p["name"] for p in EXAMPLE["people"]}
        for s in found:
            if s.name.startswith("escalation_"):
                assert set(s.labels) <= ALLOWED_LABELS, s
                for label in s.labels.values():
                    assert label != payload["case_reference"] and label not in people, s
                    assert " " not in label, s
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
