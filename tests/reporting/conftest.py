"""One quarter of casework per backend, in a database of its own, shared by the module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from records.db import upgrade
from starter.smtp_sink import SmtpSink
from tests.conftest import pg_database
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
    async with pg_database("escalation_quarter") as url:
        await upgrade(url)
        yield await run_quarter(url, smtp_sink)
