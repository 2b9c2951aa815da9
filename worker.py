"""The worker: the only place that wires workflows, activities and their dependencies.

``create_worker`` is what tests use; ``python worker.py`` (or ``escalation
worker``) runs it against ``TEMPORAL_ADDRESS`` with the environment's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.alerts import AlertActivities
from activities.calendar import CalendarActivities
from activities.email import EmailActivities, SmtpConfig
from activities.packs import PackActivities
from activities.quarterly import QuarterlyReportActivities
from activities.reconcile import ReconcileActivities
from activities.records import RecordActivities
from packs import PACK_DIR
from records.closures import ClosureStore
from records.db import make_sessionmaker
from records.stopped import StoppedCases
from settings import (
    DEFAULT_MAX_CACHED_WORKFLOWS,
    DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
    DEFAULT_STICKY_TIMEOUT_SECONDS,
    Settings,
    get_settings,
)
from starter.connect import ConnectionOptions, connect, worker_client
from starter.visibility import missing_search_attributes
from telemetry.logs import CaseLogContext, configure_logging
from telemetry.runtime import loopback_port, metrics_runtime
from telemetry.tracing import start_tracing, tracing_interceptors
from workflows.disagreement import DisagreementWorkflow
from workflows.practice_alert import PracticeAlertWorkflow
from workflows.quarterly import QuarterlyReportWorkflow
from workflows.reconcile import ReconcileWorkflow

log = logging.getLogger("escalation.worker")

WORKFLOWS = [
    DisagreementWorkflow,
    PracticeAlertWorkflow,
    ReconcileWorkflow,
    QuarterlyReportWorkflow,
]


GRACEFUL_SHUTDOWN = timedelta(seconds=5)
"""How long a stopping worker lets its running activities finish before cancelling them.

A record write or an email takes milliseconds; cancelled in the middle, a write's SQLite
connection was closed behind the transaction it had begun, and the worker's shutdown
then waited out SQLite's 30 s busy timeout (seen at the end of tests, and on every
deploy that stopped a worker mid-write). An activity still running after this is
cancelled, and Temporal runs it again on another worker: nothing is lost either way."""


def create_worker(
    client: Client,
    task_queue: str = "escalation",
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpConfig,
    pack_dir: Path = PACK_DIR,
    max_cached_workflows: int = DEFAULT_MAX_CACHED_WORKFLOWS,
    stand_ins: Sequence[Callable[..., Any]] = (),
    interceptors: Sequence[Interceptor] = (),
    max_concurrent_workflow_tasks: int = DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
    sticky_timeout: timedelta = timedelta(seconds=DEFAULT_STICKY_TIMEOUT_SECONDS),
) -> Worker:
    """Build a Worker with every workflow and activity, dependencies injected once.

    ``max_cached_workflows`` bounds the worker's memory (see ``settings.py``); 0 replays
    every workflow task from the start (the no-cache test). ``stand_ins`` replace the
    activities of the same (function) name: tests only. ``interceptors`` are added to
    the client's (the JSON logs' case context). ``max_concurrent_workflow_tasks`` and
    ``sticky_timeout`` are the SDK's, settable for a worker that must absorb a burst of
    deadlines (docs/benchmark.md, "The 17:00 burst").
    """
    named = {f.__name__ for f in stand_ins}
    activities = [
        a
        for a in build_activities(sessionmaker, smtp, pack_dir, client=client)
        if a.__name__ not in named
    ]
    return Worker(
        worker_client(client),  # an undecryptable payload is refused, never a stuck task
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[*activities, *stand_ins],
        max_cached_workflows=max_cached_workflows,
        interceptors=interceptors,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=sticky_timeout,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


def build_activities(
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpConfig,
    pack_dir: Path = PACK_DIR,
    *,
    client: Client | None = None,
) -> list[Callable[..., Any]]:
    """Every activity, as bound methods of adapters built once with their dependencies.

    Each method's name is its activity's name, so a test can put a same-name stand-in
    in place of one (a relay that never answers, say) and keep the rest real. The
    reconcile activity asks Temporal about the cases, so it needs ``client``; without
    one it is left out.
    """
    calendar = CalendarActivities()
    packs = PackActivities(pack_dir, closures=ClosureStore(sessionmaker))
    records = RecordActivities(sessionmaker)
    email = EmailActivities(sessionmaker, smtp)
    alerts = AlertActivities(sessionmaker)
    quarterly = QuarterlyReportActivities(sessionmaker, smtp, pack_dir)
    return [
        packs.load_pack,
        calendar.plan_deadline,
        records.open_record,
        records.record_step,
        records.record_steps,
        email.send_notification,
        email.record_undelivered,
        alerts.open_practice_alert,
        alerts.record_alert_step,
        alerts.record_alert_steps,
        quarterly.plan_quarterly_report,
        quarterly.send_quarterly_report,
        *(
            [ReconcileActivities(client, StoppedCases(sessionmaker), pack_dir).find_stopped_cases]
            if client is not None
            else []
        ),
    ]


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Connect, build the worker and run it until ``stop`` is set (or forever)."""
    # The SDK's metrics need a runtime of their own, made before the client connects.
    core_port = loopback_port() if settings.metrics_port is not None else None
    tracing = start_tracing(settings.otlp_endpoint)
    try:
        # Namespace, TLS / API key and the payload codec, all from the settings.
        client = await connect(
            options=ConnectionOptions.from_settings(settings),
            runtime=metrics_runtime(core_port) if core_port is not None else None,
            interceptors=tracing_interceptors(tracing),
        )
        await _serve(settings, client, core_port, stop)
    finally:
        if tracing is not None:
            tracing.shutdown()  # sends the spans still batched


async def _serve(
    settings: Settings, client: Client, core_port: int | None, stop: asyncio.Event | None
) -> None:
    """Run the worker on ``client``, with its health and metrics endpoints, until ``stop``."""
    # The workflows upsert these at every step; without them every workflow task would
    # fail again and again, so refuse to poll and say what to run instead.
    missing = await missing_search_attributes(client, settings.temporal_namespace)
    if missing:
        raise SystemExit(
            f"namespace {settings.temporal_namespace!r} lacks the search attributes "
            f"{', '.join(missing)}: run `escalation setup` against this cluster first"
        )
    sessionmaker = make_sessionmaker(settings.database_url)
    worker = create_worker(
        client,
        settings.task_queue,
        sessionmaker=sessionmaker,
        smtp=SmtpConfig.from_settings(settings),
        max_cached_workflows=settings.max_cached_workflows,
        interceptors=[CaseLogContext()] if settings.log_format == "json" else [],
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        sticky_timeout=timedelta(seconds=settings.sticky_timeout_seconds),
    )
    log.info(
        "worker polling task queue %r on %s (namespace %s)",
        settings.task_queue,
        settings.temporal_address,
        settings.temporal_namespace,
    )
    async with worker, contextlib.AsyncExitStack() as stack:
        if settings.health_port is not None:
            # Imported here: aiohttp costs a worker without the endpoint about 4 MiB.
            from starter.health import serving_health

            port = await stack.enter_async_context(
                serving_health(client, worker, settings.health_port)
            )
            log.info("health endpoint on port %d (GET /health)", port)
        if settings.metrics_port is not None:
            from telemetry.endpoint import serving_metrics  # aiohttp, as above

            port = await stack.enter_async_context(
                serving_metrics(client, sessionmaker, settings.metrics_port, core_port)
            )
            log.info("metrics endpoint on port %d (GET /metrics)", port)
        await (stop or asyncio.Event()).wait()


def main() -> None:
    """Run the worker until SIGINT or SIGTERM."""
    settings = get_settings()
    configure_logging(settings.log_format)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    asyncio.run(_main())


if __name__ == "__main__":
    main()
