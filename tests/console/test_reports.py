"""Reports in the console: the quarterly figures of your partnerships, and their schedules.

A Redbridge case opened on a real worker (the time-skipping server) is counted in its
quarter's figures on the page, which are ``escalation report --format html``'s own
content, for Redbridge's procedure only. A bad quarter, or another partnership's
procedure, is refused in words with no figures. The time-skipping server keeps no
schedules (it cannot list them), so the page says in words that Temporal cannot tell
who the report goes to, and still shows the figures.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from models.quarterly import QuarterlyReportRequest
from records.schema import Disagreement
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer
from starter.schedule import ensure_quarterly_schedule
from starter.sdk import EscalationClient
from tests.console.support import console_for, signed_in
from tests.workflows.support import running, start_payload

LONDON = ZoneInfo("Europe/London")
OPENED = re.compile(r'<th scope="row">Opened</th><td class="n">(\d+)</td>')


async def _report(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as r:
        return r.status, unescape(await r.text())


async def test_the_report_counts_a_case_of_the_quarter_and_refuses_a_bad_quarter(
    env: WorkflowEnvironment, db, sqlite_url: str, mail, issuer: str
) -> None:
    now = (await env.get_current_time()).astimezone(LONDON)
    raised = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    quarter = f"{raised.year}Q{(raised.month - 1) // 3 + 1}"
    async with running(env, db, mail) as h:
        async with console_for(issuer, h.client, db, sqlite_url, clock=lambda: now) as console:
            async with signed_in(console, "qa-redbridge") as http:
                url = f"{console.url}/reports?quarter={quarter}"
                status, before = await _report(http, url)
                assert status == 200
                [opened_before] = OPENED.findall(before)  # one procedure: Redbridge's only

                wid = await h.client.open(start_payload(raised))
                for _ in range(200):  # the case's row is written by an activity just after
                    async with db() as session:
                        if await session.scalar(
                            select(Disagreement.id).where(Disagreement.workflow_id == wid)
                        ):
                            break
                    await asyncio.sleep(0.05)
                status, page = await _report(http, url)
                assert status == 200
                assert f"Quarterly figures {quarter}" in page
                assert "Redbridge" in page and "(redbridge-2017)" in page
                assert "(rutland)" not in page and "(sutton-2015)" not in page
                assert OPENED.findall(page) == [str(int(opened_before) + 1)]
                assert "your partnerships' procedures" in page
                # The figures are the command's own page content, in the console's layout.
                assert '<table class="figures">' in page and 'href="/admin"' in page
                assert "cannot be read from Temporal just now" in page

                status, page = await _report(http, f"{console.url}/reports?quarter=2026Q5")
                assert status == 400
                assert "quarter: '2026Q5' is not a quarter; write the year and Q1 to Q4" in page
                assert "Quarterly figures" not in page and not OPENED.findall(page)

                status, page = await _report(
                    http, f"{console.url}/reports?quarter={quarter}&procedure=rutland"
                )
                assert status == 400
                assert "procedure: 'rutland' is not a procedure of your partnership(s)" in page
                assert not OPENED.findall(page)

        async with console_for(issuer, h.client, db, sqlite_url, clock=lambda: now) as console:
            async with signed_in(console, "chair-rutland") as http:
                status, page = await _report(http, f"{console.url}/reports?quarter={quarter}")
        assert status == 200
        assert "(rutland)" in page and "(redbridge-2017)" not in page


async def test_the_schedules_that_send_your_report_are_listed(
    dev_server: DevServer, db, sqlite_url: str, issuer: str
) -> None:
    """On a real dev server: your procedure's schedule and the every-procedure one, not
    another partnership's."""
    client = await connect(options=ConnectionOptions(address=dev_server.address))
    queue = "console-reports"
    for req in (
        QuarterlyReportRequest(to=["bm@redbridge.example.org"], procedure="redbridge-2017"),
        QuarterlyReportRequest(to=["qa@lscb.example.org"], procedure=None, working_days=7),
        QuarterlyReportRequest(to=["bm@rutland.example.org"], procedure="rutland"),
    ):
        await ensure_quarterly_schedule(client, queue, req)
    cases = EscalationClient(client, queue)
    async with console_for(issuer, cases, db, sqlite_url) as console:
        async with signed_in(console, "viewer-redbridge") as http:
            status, page = await _report(http, f"{console.url}/reports")
    assert status == 200
    schedules = page.split('id="schedules"', 1)[1]
    assert "quarterly-report-redbridge-2017" in schedules
    assert "bm@redbridge.example.org" in schedules
    assert "quarterly-report-all" in schedules and "every procedure" in schedules
    assert "quarterly-report-rutland" not in schedules
    assert "bm@rutland.example.org" not in schedules
    assert re.search(r"<td>\w+day \d+ \w+ \d{4}, 07:00 (GMT|BST)</td>", schedules)
