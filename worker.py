"""The worker: the only place that wires workflows, activities and their dependencies.

``create_worker`` is what tests use; ``python worker.py`` (or ``escalation
worker``) runs it against ``TEMPORAL_ADDRESS`` with the environment's settings.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.alerts import AlertActivities
from activities.calendar import CalendarActivities
from activities.email import EmailActivities, SmtpConfig
from activities.packs import PackActivities
from activities.records import RecordActivities
from packs import PACK_DIR
from records.db import make_sessionmaker
from settings import Settings, get_settings
from starter.connect import ConnectionOptions, connect
from workflows.disagreement import DisagreementWorkflow
from workflows.practice_alert import PracticeAlertWorkflow

log = logging.getLogger("escalation.worker")

WORKFLOWS = [DisagreementWorkflow, PracticeAlertWorkflow]


def create_worker(
    client: Client,
    task_queue: str = "escalation",
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpConfig,
    pack_dir: Path = PACK_DIR,
    max_cached_workflows: int = 1000,
) -> Worker:
    """Build a Worker with every workflow and activity, dependencies injected once."""
    calendar = CalendarActivities()
    packs = PackActivities(pack_dir)
    records = RecordActivities(sessionmaker)
    email = EmailActivities(sessionmaker, smtp)
    alerts = AlertActivities(sessionmaker)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            packs.load_pack,
            calendar.plan_deadline,
            records.open_record,
            records.record_step,
            email.send_notification,
            alerts.open_practice_alert,
            alerts.record_alert_step,
        ],
        max_cached_workflows=max_cached_workflows,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Connect, build the worker and run it until ``stop`` is set (or forever)."""
    # Namespace, TLS / API key and the payload codec, all from the settings.
    client = await connect(options=ConnectionOptions.from_settings(settings))
    sessionmaker = make_sessionmaker(settings.database_url)
    worker = create_worker(
        client,
        settings.task_queue,
        sessionmaker=sessionmaker,
        smtp=SmtpConfig.from_settings(settings),
    )
    log.info(
        "worker polling task queue %r on %s (namespace %s)",
        settings.task_queue,
        settings.temporal_address,
        settings.temporal_namespace,
    )
    async with worker:
        await (stop or asyncio.Event()).wait()


def main() -> None:
    """Run the worker until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(get_settings(), stop)

    asyncio.run(_main())


if __name__ == "__main__":
    main()
