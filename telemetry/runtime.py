"""The Temporal runtime of a worker that publishes the SDK's metrics.

The SDK's Rust core keeps its metrics (task latencies, schedule-to-start, failures,
sticky cache) in the runtime a client is connected with, and publishes them in
Prometheus' format on an HTTP server of its own. That server listens on loopback only:
``telemetry/endpoint.py`` serves its text beside the product's on the one port
operators scrape. Kept apart from the endpoint so a worker without metrics never
imports aiohttp.
"""

from __future__ import annotations

import logging
import socket

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


def loopback_port() -> int:
    """A free port on 127.0.0.1 for the core's own server (the core cannot bind port 0
    and tell us which it got)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metrics_runtime(core_port: int) -> Runtime:
    """A Temporal runtime publishing the core's metrics on ``127.0.0.1:core_port``.

    Counters end in ``_total`` and durations are in seconds, as Prometheus names them;
    the core's logs go to Python logging, as ``starter.connect.forwarding_runtime``'s.
    """
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            ),
            metrics=PrometheusConfig(
                bind_address=f"127.0.0.1:{core_port}",
                counters_total_suffix=True,
                durations_as_seconds=True,
            ),
        )
    )
