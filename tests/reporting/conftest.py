"""One quarter of casework per backend, in a database of its own, shared by the module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from records.db import upgrade
from starter.smtp_sink import SmtpSink
from tests.conftest import PG_ADMIN_DSN
from tests.reporting.scenario import Quarter, run_quarter


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
async def quarter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp_sink: SmtpSink
) -> AsyncIterator[Quarter]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('quarter') / 'quarter.db'}"
        await upgrade(url)
        yield await run_quarter(url, smtp_sink)
        return
    name = f"escalation_quarter_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    await upgrade(url)
    yield await run_quarter(url, smtp_sink)
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
