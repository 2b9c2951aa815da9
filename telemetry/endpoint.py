"""``GET /metrics`` on ``ESCALATION_METRICS_PORT``: the SDK's series and ours, one endpoint.

Two libraries keep metrics in one worker: the Temporal SDK's Rust core (task latencies,
schedule-to-start, failures, sticky cache), which can only publish them on an HTTP
server of its own (``telemetry/runtime.py``), and ``prometheus-client`` (the product's
counters, and the process's memory and CPU). One scrape target per worker is what a
Prometheus configuration and a compose file with replicas can express simply, so the
core's server listens on a loopback port nobody else sees, and this endpoint answers
with both texts one after the other (the names never collide: the core's all start
``temporal_``). The two gauges that describe every case rather than this worker's work
(overdue cases, pending emails) are read when scraped, so they are never stale.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from records.schema import OutboxNotification
from starter.health import serving
from telemetry.metrics import EMAILS_PENDING, OVERDUE_CASES

log = logging.getLogger(__name__)

OVERDUE_QUERY = "EscalationOverdue = true AND ExecutionStatus = 'Running'"
READ_TIMEOUT_SECONDS = 5.0
"""A scrape waits at most this long for the database or Temporal's visibility."""


async def _overdue_cases(client: Client) -> float:
    return float((await client.count_workflows(OVERDUE_QUERY)).count)


async def _pending_emails(sessionmaker: async_sessionmaker[AsyncSession]) -> float:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(func.count()).where(OutboxNotification.status == "pending")
        )
    return float(found or 0)


async def _read(gauge_name: str, reading: Coroutine[Any, Any, float]) -> float:
    """The gauge's value, or NaN (a gap on the graph, not a false zero) if it cannot be read."""
    try:
        return await asyncio.wait_for(reading, READ_TIMEOUT_SECONDS)
    except Exception as exc:  # the database or visibility away: the rest of the scrape stands
        log.warning("metrics: %s not read: %s", gauge_name, exc)
        return math.nan


def metrics_app(
    client: Client, sessionmaker: async_sessionmaker[AsyncSession], core_port: int | None
) -> web.Application:
    """The application: ``GET /metrics`` in Prometheus' text format."""

    async def metrics(_: web.Request) -> web.Response:
        overdue, pending = await asyncio.gather(
            _read("overdue cases", _overdue_cases(client)),
            _read("pending emails", _pending_emails(sessionmaker)),
        )
        OVERDUE_CASES.set(overdue)
        EMAILS_PENDING.set(pending)
        core = ""
        if core_port is not None:
            url = f"http://127.0.0.1:{core_port}/metrics"
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(url, timeout=aiohttp.ClientTimeout(total=READ_TIMEOUT_SECONDS)) as r,
                ):
                    core = await r.text()
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("metrics: the SDK's series not read: %s", exc)
        body = generate_latest(REGISTRY).decode() + core
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


@asynccontextmanager
async def serving_metrics(
    client: Client,
    sessionmaker: async_sessionmaker[AsyncSession],
    port: int,
    core_port: int | None,
    host: str = "0.0.0.0",  # every interface: Prometheus scrapes from another container
) -> AsyncIterator[int]:
    """Serve ``/metrics`` on ``host:port`` while the block runs; yields the bound port."""
    async with serving(metrics_app(client, sessionmaker, core_port), port, host) as bound:
        yield bound
