"""Traces to an OpenTelemetry collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

The SDK's ``TracingInterceptor`` makes a span for each client call (start, signal,
update), workflow run and activity, and carries the trace in Temporal's headers so a
case system's call, the workflow and its activities are one trace. It creates no
command, so the saved histories replay as before, and it opens no workflow span while
replaying. OpenTelemetry is an optional dependency (``pip install
'safeguarding-escalation[tracing]'``): a worker that does not trace never imports it.
Span names and attributes are the SDK's: workflow type and id, activity type, never a
payload (a child's details stay in the encrypted payloads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.client import Interceptor

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

SERVICE_NAME = "safeguarding-escalation-worker"


def start_tracing(
    endpoint: str | None, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """A tracer provider batching spans to ``exporter``, or None when there is nowhere to send.

    By default the OTLP HTTP exporter, which reads ``OTEL_EXPORTER_OTLP_ENDPOINT`` and the
    other standard ``OTEL_EXPORTER_OTLP_*`` variables itself. The caller shuts it down
    when the worker stops, which sends the spans still batched.

    Raises:
        SystemExit: the endpoint is set but OpenTelemetry is not installed.
    """
    if not endpoint and exporter is None:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise SystemExit(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            f"pip install 'safeguarding-escalation[tracing]' ({exc})"
        ) from None
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def tracing_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """The client interceptors that trace through ``provider`` (none without one).

    A worker's interceptors are its client's, so a worker built on a client connected
    with these traces its workflows and activities too.
    """
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer(__name__))]
