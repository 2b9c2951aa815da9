"""A stopped case is noticed: `escalation reconcile` and its schedule on the real dev server.

Real cases are worked by the real worker (SQLite records, the SMTP sink); one
is terminated with a reason as the server would for an oversized reply, a
practice alert is terminated by an operator. Reconcile marks both stopped with
Temporal's reason, tells each partnership's Business Manager (from the contact
directory) once, lists them, and leaves alone a running case, a completed one
and one that continued-as-new. `escalation setup` creates the 15-minute schedule,
and running it again is harmless.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
)
from temporalio.worker import Worker

from activities.email import SmtpConfig
from activities.reconcile import closed_run, find_stopped
from activities.records import RecordActivities
from models.contacts import ContactEntry
from models.decisions import Confirmed, Resolved
from models.reconcile import ReconcileReport
from models.records import DisagreementRecord
from records.contacts import upsert_contacts
from records.db import make_sessionmaker, upgrade
from records.stopped import StoppedCases
from starter import cli
from starter.alerts_sdk import PracticeAlertClient
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, start_dev_server_on_free_ports
from starter.schedule import SCHEDULE_ID
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.faults.stack import eventually
from tests.integration.reconcile_standin import ContinuesOnce
from tests.workflows.support import start_payload
from worker import create_worker

ROOT = Path(__file__).parents[2]
REDBRIDGE = "Redbridge Local Safeguarding Children Board"
RUTLAND = "Rutland County Council children's social care (LLR LSCB area)"
ALERT: dict[str, Any] = json.loads((ROOT / "examples" / "rutland--practice-alert.json").read_text())


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    dev = await start_dev_server_on_free_ports(tmp_path_factory.mktemp("reconcile"))
    try:
        yield dev
    finally:
        await dev.stop()


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """A records database of its own: reconcile looks at every open case in it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await upgrade(url)
    sessionmaker = make_sessionmaker(url)
    yield url, sessionmaker
    await sessionmaker.kw["bind"].dispose()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def _stopped_mail(sink: SmtpSink) -> list[tuple[str, str]]:
    return sorted(
        (str(m["To"]), str(m["Subject"]))
        for m in sink.messages
        if m["X-Escalation-Kind"] == "case_stopped"
    )


async def _state(db: async_sessionmaker[AsyncSession], table: str, wid: str) -> Any:
    async with db() as session:
        row = (
            await session.execute(
                text(f"SELECT state, stop_reason FROM {table} WHERE workflow_id = :w"), {"w": wid}
            )
        ).first()
    if row is None:
        raise LookupError(wid)
    return tuple(row)


async def _open_continued_case(
    client: Client, db: async_sessionmaker[AsyncSession], queue: str, run: str
) -> str:
    """A case whose record is open and whose workflow id runs on after continuing-as-new."""
    wid = f"disagreement-CR-{run}-can"
    now = datetime.now(UTC)
    await RecordActivities(db).open_record(
        DisagreementRecord(
            workflow_id=wid,
            case_reference=f"CR-{run}-9",
            procedure="redbridge-2017",
            ladder="individual",
            partnership=REDBRIDGE,
            raising_agency="School",
            receiving_agency="Children's social care",
            nature="-",
            risk_to_child="-",
            aim="-",
            raised_at=now,
        )
    )
    handle = await client.start_workflow(ContinuesOnce.run, 0, id=wid, task_queue=queue)

    async def continued() -> None:
        assert (await handle.describe()).run_id != handle.first_execution_run_id

    await eventually(continued, timeout=15)
    return wid


async def test_reconcile_marks_stopped_cases_tells_the_business_manager_once(
    server: DevServer,
    records: tuple[str, async_sessionmaker[AsyncSession]],
    mail: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, db = records
    run = uuid.uuid4().hex[:8]
    bm, bm_rutland = f"bm-{run}@lscb.example.org", f"bm-{run}@rutland.example.org"
    await upsert_contacts(
        db,
        [
            ContactEntry(
                partnership=p, agency="", role="business_manager", name="Business Manager", email=e
            )
            for p, e in ((REDBRIDGE, bm), (RUTLAND, bm_rutland))
        ],
    )
    client = await connect(options=ConnectionOptions(address=server.address))
    queue = f"reconcile-{run}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    cases, alerts = EscalationClient(client, queue), PracticeAlertClient(client, queue)
    worker = create_worker(client, queue, sessionmaker=db, smtp=smtp)
    async with worker, Worker(client, task_queue=f"{queue}-can", workflows=[ContinuesOnce]):
        raised = datetime.now(UTC) - timedelta(minutes=1)
        ids = {n: await cases.open(start_payload(raised)) for n in ("stopped", "done", "running")}
        alert_payload = copy.deepcopy(ALERT) | {
            "case_reference": f"CR-{run}-7",
            "raised_at": raised.isoformat(),
        }
        ids["alert"] = await alerts.raise_alert(alert_payload)
        ids["continued"] = await _open_continued_case(client, db, f"{queue}-can", run)
        for name, wid in ids.items():
            table = "practice_alerts" if name == "alert" else "disagreements"
            await eventually(functools.partial(_state, db, table, wid), timeout=15)

        await cases.resolve(ids["done"], Resolved(by="B. Social Worker", outcome="Agreed"))
        await cases.confirm(ids["done"], Confirmed(by="B. Social Worker", text="Letter sent"))
        await client.get_workflow_handle(ids["done"]).result()
        assert await closed_run(client, ids["done"]) is None  # completed: not a stop
        assert await closed_run(client, ids["continued"]) is None  # its latest run is running

        reason = "GrpcMessageTooLarge: the workflow task reply exceeded 4 MB"
        await client.get_workflow_handle(ids["stopped"]).terminate(reason=reason)
        found = await find_stopped(client, StoppedCases(db))
        assert found.checked == 4  # done is closed in the record
        assert [(s.workflow_id, s.status, s.newly_stopped) for s in found.stopped] == [
            (ids["stopped"], "TERMINATED", True)
        ]
        stop = found.stopped[0]
        assert stop.reason.startswith(f"TERMINATED: {reason}")
        assert await _state(db, "disagreements", ids["stopped"]) == ("stopped", stop.reason)
        assert stop.notification.unfilled_to == ["partnership.business_manager"]
        assert _stopped_mail(mail) == []  # the workflow sends it, not the comparison

        await client.get_workflow_handle(ids["alert"]).terminate(reason="operator: wrong case")
        code, out, err = await _cli(
            capsys, "reconcile", "--address", server.address, "--task-queue", queue
        )
        assert (code, err) == (0, ""), err
        lines = dict(zip((line.split("  ")[0] for line in out), out, strict=True))
        assert set(lines) == {ids["stopped"], ids["alert"]}
        assert lines[ids["stopped"]].endswith(f"{stop.reason}  told {bm}")
        assert "  redbridge-2017  practitioners  stopped  since " in lines[ids["stopped"]]
        assert "TERMINATED: operator: wrong case" in lines[ids["alert"]]
        assert lines[ids["alert"]].endswith(f"told {bm_rutland}")
        assert _stopped_mail(mail) == sorted(
            [
                (
                    f"Business Manager <{bm}>",
                    f"[{stop.case_reference}] Case stopped: its disagreement is no longer running",
                ),
                (
                    f"Business Manager <{bm_rutland}>",
                    f"[CR-{run}-7] Case stopped: its practice alert is no longer running",
                ),
            ]
        )
        state, why = await _state(db, "practice_alerts", ids["alert"])
        assert state == "stopped" and why.startswith("TERMINATED: operator: wrong case")

        code, out, err = await _cli(
            capsys, "reconcile", "--address", server.address, "--task-queue", queue
        )
        assert (code, out) == (0, [])
        assert err == "escalation: reconcile: 2 open case(s) checked, none stopped\n"
        assert len(_stopped_mail(mail)) == 2  # nobody is told twice

        assert (await _state(db, "disagreements", ids["running"]))[0] == "open"
        assert (await _state(db, "disagreements", ids["continued"]))[0] == "open"
        assert (await _state(db, "disagreements", ids["done"]))[0] == "closed"

        code, out, err = await _cli(
            capsys, "overdue", "--address", server.address, "--database-url", url
        )
        assert (code, err) == (0, "")
        assert [line for line in out if "stopped  since" in line] == [
            lines[ids["stopped"]].removesuffix(f"  told {bm}"),
            lines[ids["alert"]].removesuffix(f"  told {bm_rutland}"),
        ]
        code, out, _ = await _cli(
            capsys, "overdue", "--address", server.address, "--database-url", url, "--json"
        )
        stopped = [row for row in map(json.loads, out) if row["state"] == "stopped"]
        assert [(r["workflow_id"], r["status"]) for r in stopped] == [
            (ids["stopped"], "TERMINATED"),
            (ids["alert"], "TERMINATED"),
        ]
        assert stopped[0]["stop_reason"] == stop.reason
        code, out, _ = await _cli(capsys, "record", stop.case_reference, "--database-url", url)
        assert code == 0
        assert "stopped" in "\n".join(out) and reason in "\n".join(out)
        for name in ("running", "continued"):
            await client.get_workflow_handle(ids[name]).terminate(reason="test over")


async def test_setup_creates_the_reconcile_schedule_every_15_minutes(
    server: DevServer,
    records: tuple[str, async_sessionmaker[AsyncSession]],
    mail: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue = f"schedule-{uuid.uuid4().hex[:8]}"
    code, out, err = await _cli(capsys, "setup", "--address", server.address, "--task-queue", queue)
    assert (code, err) == (0, "")
    assert out[-1] == (
        f"created schedule {SCHEDULE_ID} (Reconcile every 15 minutes on task queue {queue})"
    )
    code, out, err = await _cli(capsys, "setup", "--address", server.address, "--task-queue", queue)
    assert (code, err) == (0, "")
    assert out[-1].startswith(f"updated schedule {SCHEDULE_ID} (Reconcile every 15 minutes")

    client = await connect(options=ConnectionOptions(address=server.address))
    handle = client.get_schedule_handle(SCHEDULE_ID)
    described = await handle.describe()
    assert described.schedule.spec.intervals == [ScheduleIntervalSpec(every=timedelta(minutes=15))]
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("Reconcile", queue)

    # What the schedule starts runs: an empty record, so nothing found.
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port)
    async with create_worker(client, queue, sessionmaker=records[1], smtp=smtp):
        await handle.trigger()

        async def started() -> str:
            recent = (await handle.describe()).info.recent_actions
            assert recent
            action = recent[-1].action
            assert isinstance(action, ScheduleActionExecutionStartWorkflow)
            return action.workflow_id

        wid = await eventually(started, timeout=15)
        report = await client.get_workflow_handle(wid, result_type=ReconcileReport).result()
    assert report.checked == 0 and report.cases == []
    await handle.delete()


async def test_reconcile_without_a_worker_says_so(
    server: DevServer, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = f"nobody-{uuid.uuid4().hex[:8]}"
    code, out, err = await _cli(
        capsys, "reconcile", "--address", server.address, "--task-queue", queue, "--timeout", "1"
    )
    assert (code, out) == (1, [])
    assert err.startswith("escalation: reconcile did not finish within 1 s")
    assert f"is a worker polling task queue '{queue}'?" in err
