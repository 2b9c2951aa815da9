"""The quarterly report on its schedule, on the real dev server with the real worker and sink.

`escalation report schedule` creates the ``quarterly-report-rutland`` schedule
(QuarterlyReport every morning on the given task queue) and updates it when run
again; `report schedules` lists it. The schedule's runs stand for their scheduled
time (``TemporalScheduledStartTime``); so that a run can stand for the report's
due day without waiting for January, the test puts ``as_of`` into the schedule's
request, as an operator putting a run right by hand would, then triggers it with
the Temporal CLI (`temporal schedule trigger`): the report arrives in the SMTP
sink: the report's HTML as the body, the quarter's practice alert tracker
attached as a workbook that opens. Triggered again the same day, nothing more
is sent. `--delete` removes the schedule.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from activities.email import SmtpConfig
from activities.quarterly import quarter_of
from models.quarterly import QuarterlyReportRequest, QuarterlyReportResult
from records.db import make_sessionmaker, upgrade
from records.schema import PracticeAlertRow
from records.tracker import COLUMNS
from starter import cli
from starter.binaries import temporal_cli_path
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, start_dev_server_on_free_ports
from starter.schedule import describe_quarterly
from starter.smtp_sink import SmtpSink
from tests.faults.stack import eventually
from worker import create_worker

SCHEDULE = "quarterly-report-rutland"
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    dev = await start_dev_server_on_free_ports(tmp_path_factory.mktemp("quarterly"))
    try:
        yield dev
    finally:
        await dev.stop()


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A records database holding two Rutland practice alerts raised in 2026Q4."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await upgrade(url)
    db = make_sessionmaker(url)
    async with db() as session, session.begin():
        for n, (code, raised) in enumerate(
            [("statutory_visit_late", "2026-11-04T10:00"), ("assessment_late", "2026-11-05T10:00")]
        ):
            session.add(
                PracticeAlertRow(
                    workflow_id=f"practice-alert-CR-9{n}-a1",
                    case_reference=f"CR-9{n}",
                    procedure="rutland",
                    reason_code=code,
                    reason_title=code,
                    description="-",
                    agreed_action="-",
                    raised_by="A. Raiser",
                    raised_by_email="raiser@rutland.example.org",
                    raised_at=datetime.fromisoformat(raised).replace(tzinfo=UTC),
                    start_stage="stage_1",
                )
            )
    yield db
    await db.kw["bind"].dispose()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


async def _override(handle: ScheduleHandle, client: Client, **changes: Any) -> None:
    """Put ``as_of`` or ``quarter`` into the schedule's request (as an operator could)."""
    current = await describe_quarterly(client, handle.id)
    req = current.request.model_copy(update={"as_of": None, "quarter": None, **changes})

    def update(given: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule = given.description.schedule
        action = schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        action.args = [req]
        return ScheduleUpdate(schedule=schedule)

    await handle.update(update)


async def _next_run(handle: ScheduleHandle, seen: int) -> str:
    """The workflow id of the schedule's next action after the ``seen`` ones."""

    async def started() -> str:
        recent = (await handle.describe()).info.recent_actions
        assert len(recent) > seen
        action = recent[-1].action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        return action.workflow_id

    return await eventually(started, timeout=20)


def _reports(sink: SmtpSink) -> list[Any]:
    return [m for m in sink.messages if m["X-Escalation-Kind"] == "quarterly_report"]


async def test_the_schedule_sends_the_report_on_its_due_day_once(
    server: DevServer,
    records: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue = f"quarterly-{uuid.uuid4().hex[:8]}"
    where = ("--address", server.address, "--task-queue", queue)
    code, out, err = await _cli(
        capsys, "report", "schedule", "--to", "bm@rutland.example.org", "--procedure", "rutland",
        "--day", "3", *where,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out == [
        f"created schedule {SCHEDULE} (QuarterlyReport daily at 07:00 Europe/London on task "
        f"queue {queue}; sends 3 working day(s) after each quarter ends to bm@rutland.example.org)"
    ]
    to = "bm@rutland.example.org,chair@rutland.example.org"
    code, out, err = await _cli(
        capsys, "report", "schedule", "--to", to, "--procedure", "rutland", *where
    )
    assert (code, err) == (0, ""), err
    assert out[0].startswith(f"updated schedule {SCHEDULE} (QuarterlyReport daily at 07:00")

    client = await connect(options=ConnectionOptions(address=server.address))
    handle = client.get_schedule_handle(SCHEDULE)
    described = await handle.describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue, action.id) == ("QuarterlyReport", queue, SCHEDULE)
    [calendar] = described.schedule.spec.calendars
    assert [(r.start, r.end) for r in calendar.hour] == [(7, 7)]
    assert described.schedule.spec.time_zone_name == "Europe/London"
    assert "bm@rutland.example.org, chair@rutland.example.org" in (
        described.schedule.state.note or ""
    )
    current = await describe_quarterly(client, SCHEDULE)
    assert current.request == QuarterlyReportRequest(
        to=["bm@rutland.example.org", "chair@rutland.example.org"], procedure="rutland"
    )

    async def listed() -> str:
        code, out, _ = await _cli(capsys, "report", "schedules", "--address", server.address)
        assert code == 0
        [line] = [line for line in out if line.startswith(f"{SCHEDULE}  ")]
        return line

    line = await eventually(listed, timeout=20)
    assert "  to bm@rutland.example.org, chair@rutland.example.org  procedure rutland  day 5  " in (
        line
    )
    assert "  next run " in line and " 07:00 GMT  next report 2026Q4 due " in line

    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    async with create_worker(client, queue, sessionmaker=records, smtp=smtp):
        # The run stands for its scheduled time; this quarter's report is not due yet.
        this_quarter = quarter_of(datetime.now(ZoneInfo("Europe/London")).date()).label
        await _override(handle, client, quarter=this_quarter)
        await handle.trigger()
        wid = await _next_run(handle, 0)
        run = client.get_workflow_handle(wid, result_type=QuarterlyReportResult)
        result = await run.result()
        scheduled = (await run.describe()).typed_search_attributes.get(SCHEDULED_START)
        assert scheduled is not None
        assert (result.status, result.quarter) == ("not_due", this_quarter)
        assert result.today == scheduled.astimezone(ZoneInfo("Europe/London")).date()
        assert _reports(mail) == []

        # As if on Friday 8 January 2027, the 5th working day after Q4 2026 ended.
        await _override(handle, client, as_of=date(2027, 1, 8))
        subprocess.run(
            [
                str(temporal_cli_path()), "schedule", "trigger", "--schedule-id", SCHEDULE,
                "--address", server.address, "--namespace", "default",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )  # fmt: skip
        wid = await _next_run(handle, 1)
        result = await client.get_workflow_handle(wid, result_type=QuarterlyReportResult).result()
        assert (result.status, result.quarter, result.due_on) == (
            "sent",
            "2026Q4",
            date(2027, 1, 8),
        )
        assert result.attachment == "practice-alert-tracker-2026Q4-rutland.xlsx"
        [msg] = _reports(mail)
        assert str(msg["Subject"]).strip() == (
            "[Quarterly report 2026Q4] Procedure rutland, 1 October to 31 December 2026"
        )
        assert sorted(str(msg["To"]).split(", ")) == [
            "bm@rutland.example.org",
            "chair@rutland.example.org",
        ]
        html = msg.get_body(("html",))
        assert html is not None
        assert "<h1>Quarterly figures 2026Q4</h1>" in html.get_content()
        [attached] = list(msg.iter_attachments())
        assert attached.get_filename() == "practice-alert-tracker-2026Q4-rutland.xlsx"
        sheet = load_workbook(io.BytesIO(attached.get_content())).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == COLUMNS
        assert sorted(str(r[1]) for r in rows[1:]) == ["CR-90", "CR-91"]

        # The same day again: nothing more is sent.
        await handle.trigger()
        wid = await _next_run(handle, 2)
        again = await client.get_workflow_handle(wid, result_type=QuarterlyReportResult).result()
        assert again.status == "already_sent"
        assert len(_reports(mail)) == 1

    code, out, err = await _cli(
        capsys, "report", "schedule", "--procedure", "rutland", "--delete", *where
    )
    assert (code, out, err) == (0, [f"deleted schedule {SCHEDULE}"], "")
    with pytest.raises(RPCError) as gone:
        await handle.describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND
    code, _, err = await _cli(
        capsys, "report", "schedule", "--procedure", "rutland", "--delete", *where
    )
    assert (code, err) == (1, f"escalation: no schedule {SCHEDULE}\n")


async def test_bad_options_are_refused_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    nowhere = ("--address", "127.0.0.1:1")
    for argv, message in [
        (["--to", "not-an-address"], "--to: 'not-an-address' is not an email address"),
        ([], "--to: give at least one email address (or --delete)"),
        (["--to", "a@x.org", "--day", "0"], "--day: give working days from 1 to 20"),
        (["--to", "a@x.org", "--procedure", "nowhere"], "--procedure: unknown procedure 'nowhere'"),
    ]:
        code, out, err = await _cli(capsys, "report", "schedule", *argv, *nowhere)
        assert (code, out) == (2, [])
        assert err.startswith(f"escalation: {message}"), err
