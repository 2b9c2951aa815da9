"""The worker's health endpoint, on the real dev server: what the compose healthcheck asks.

``run_worker`` (what ``python worker.py`` runs) with ``ESCALATION_HEALTH_PORT`` set
answers ``GET /health`` with 200 while it polls and the server answers, and 503
with the reason once the Temporal server is gone, so an orchestrator restarts a
worker that can no longer do work. A Worker that is not running is unhealthy too.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from records.db import make_sessionmaker
from settings import Settings
from starter.devstack import DevServer, free_port
from starter.health import health_app
from worker import create_worker, run_worker


async def _get(url: str, timeout: float = 15.0) -> tuple[int, dict[str, Any]]:
    """GET the URL, retrying while nothing listens yet (the worker is still starting)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                    return resp.status, await resp.json()
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


async def test_health_is_200_while_polling_and_503_once_the_server_is_gone(
    dev_server: DevServer, tmp_path: Path, sqlite_url: str
) -> None:
    port = free_port()
    settings = Settings.model_validate(
        {
            "TEMPORAL_ADDRESS": dev_server.address,
            "ESCALATION_TASK_QUEUE": "health-check",
            "database_url": sqlite_url,
            "health_port": port,
        }
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop))
    try:
        status, body = await _get(f"http://127.0.0.1:{port}/health")
        assert (status, body) == (200, {"status": "ok", "task_queue": "health-check"})

        await dev_server.stop()
        status, body = await _get(f"http://127.0.0.1:{port}/health")
        assert status == 503
        assert body["status"] == "temporal unreachable"
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    with pytest.raises(aiohttp.ClientConnectionError):  # the endpoint goes with the worker
        await _get(f"http://127.0.0.1:{port}/health", timeout=0)


async def test_a_worker_that_is_not_running_is_unhealthy(
    env: WorkflowEnvironment, sqlite_url: str
) -> None:
    client = env.client
    worker = create_worker(
        client,
        "health-idle",
        sessionmaker=make_sessionmaker(sqlite_url),
        smtp=SmtpConfig(host="127.0.0.1", port=free_port()),
    )
    async with TestClient(TestServer(health_app(client, worker))) as http:
        resp = await http.get("/health")
        assert resp.status == 503
        assert await resp.json() == {"status": "not polling"}
