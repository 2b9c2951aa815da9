"""Tracing through ``temporalio.contrib.opentelemetry``: a workflow's spans reach the exporter.

The worker's client is connected with the tracing interceptor (as ``run_worker`` does
when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set); an in-memory exporter stands in for the
collector.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from telemetry.tracing import start_tracing, tracing_interceptors
from tests.workflows.support import start_payload
from worker import create_worker


def test_no_endpoint_no_tracing() -> None:
    assert start_tracing(None) is None
    assert tracing_interceptors(None) == []


async def test_a_case_opened_through_a_traced_client_has_workflow_and_activity_spans(
    env: WorkflowEnvironment, db, mail: SmtpSink
) -> None:
    exporter = InMemorySpanExporter()
    provider = start_tracing(None, exporter)
    assert provider is not None
    config = env.client.config()
    config["interceptors"] = tracing_interceptors(provider)
    client = Client(**config)
    queue = f"traces-{uuid.uuid4().hex[:8]}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    payload = start_payload(datetime(2026, 11, 20, 10, tzinfo=UTC))
    async with create_worker(client, queue, sessionmaker=db, smtp=smtp):
        cases = EscalationClient(client, queue, env.get_current_time)
        wid = await cases.open(payload)
        await mail.wait_for(1)
        await cases.status(wid)
    provider.shutdown()  # flushes the batch
    names = {span.name for span in exporter.get_finished_spans()}
    assert "StartWorkflow:Disagreement" in names, names
    assert "RunWorkflow:Disagreement" in names, names
    assert any(n.startswith("RunActivity:") for n in names), names
    for span in exporter.get_finished_spans():  # ids only: the case is in the workflow id
        assert payload["raising_agency"] not in str(dict(span.attributes or {}))
