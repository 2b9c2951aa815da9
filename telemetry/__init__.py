"""What an operator watches a worker by: Prometheus metrics, OpenTelemetry traces, JSON logs.

Nothing here is imported by workflow code; each module is switched on by its setting
(``ESCALATION_METRICS_PORT``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``ESCALATION_LOG_FORMAT``).
"""
