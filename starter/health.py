"""The worker's health endpoint: ``GET /health`` answers 200 only while it can do work.

A worker process can be alive yet useless: its Temporal connection gone, or its
Worker stopped polling after a fatal error while the process lingers in shutdown.
An orchestrator (the compose file's healthcheck, a Kubernetes probe) can only
restart it if something says so, hence this tiny aiohttp server beside the worker.
Healthy means both: the Worker is running (polling its task queue), and the
frontend answers ``GetSystemInfo`` (the call every client makes on connecting, so it
is allowed wherever the worker could connect at all) within ``timeout``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from aiohttp import web
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.worker import Worker

HEALTH_TIMEOUT = timedelta(seconds=3)


def health_app(
    client: Client, worker: Worker, timeout: timedelta = HEALTH_TIMEOUT
) -> web.Application:
    """The application: ``GET /health`` (200 healthy, 503 with the reason otherwise)."""

    async def health(_: web.Request) -> web.Response:
        if not worker.is_running or worker.is_shutdown:
            return web.json_response({"status": "not polling"}, status=503)
        try:
            await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timeout)
        except Exception as err:  # any failure to reach the server is unhealthy
            return web.json_response(
                {"status": "temporal unreachable", "error": str(err)[:200]}, status=503
            )
        return web.json_response({"status": "ok", "task_queue": worker.config()["task_queue"]})

    app = web.Application()
    app.router.add_get("/health", health)
    return app


@asynccontextmanager
async def serving_health(
    client: Client,
    worker: Worker,
    port: int,
    host: str = "0.0.0.0",  # every interface: the probe runs inside the container
) -> AsyncIterator[int]:
    """Serve the endpoint on ``host:port`` while the block runs; yields the bound port."""
    async with serving(health_app(client, worker), port, host) as bound:
        yield bound


@asynccontextmanager
async def serving(app: web.Application, port: int, host: str) -> AsyncIterator[int]:
    """Serve ``app`` on ``host:port`` (0: any free port) while the block runs; yields the
    bound port. The worker's small endpoints (health, metrics) share it."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()
