"""``escalation calendar add-closure`` against the real dev server: the whole path, as run.

A Redbridge disagreement is opened now (real time: visibility needs the dev server,
which does not skip time). The partnership then closes on the first working day of
the case's stage: the command stores the day, finds the case in visibility, and
the case's stage and first-contact deadlines each move by exactly one working day,
to the minute; the people concerned get an email; the record keeps old and new.
A case opened afterwards starts on the changed calendar; running the command again
changes nothing; a case closed meanwhile refuses and is reported, not fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from activities.email import SmtpConfig
from models.calendar import CalendarChange
from models.decisions import Confirmed, Resolved
from models.status import DisagreementStatus
from packs import load_pack
from records.db import make_sessionmaker, upgrade
from starter import cli
from starter.alerts_sdk import PracticeAlertClient
from starter.calendar_changes import RunningCase, running_cases, running_cases_query, send_change
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, start_dev_server_on_free_ports
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.workflows.alert_support import alert_payload
from tests.workflows.support import email_of, start_payload
from workdays.calendar import load_calendar
from worker import create_worker
from workflows.search_attributes import local_deadline
from workflows.text import local_date, local_text

LONDON = ZoneInfo("Europe/London")
REDBRIDGE = "Redbridge Local Safeguarding Children Board"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    """A dev server of this module's own, with the search attributes registered."""
    dev = await start_dev_server_on_free_ports(tmp_path_factory.mktemp("calendar"))
    try:
        yield dev
    finally:
        await dev.stop()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


async def until(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 10) -> T:
    """Poll ``probe`` until it answers (visibility and the record are written just after)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (found := await probe()) is None:
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
    return found


async def opened(sdk: EscalationClient, wid: str) -> DisagreementStatus:
    async def probe() -> DisagreementStatus | None:
        status = await sdk.status(wid)
        return status if status.stages and status.first_contact_due_at else None

    return await until(probe, f"{wid} to enter its first stage")


async def test_add_closure_moves_running_cases_and_new_cases_start_on_it(
    server: DevServer, mail: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    await upgrade(url)
    db = make_sessionmaker(url)
    client = await connect(options=ConnectionOptions(address=server.address))
    queue = f"calendar-{uuid.uuid4().hex[:8]}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    sdk = EscalationClient(client, queue)
    raised = datetime.now(LONDON).replace(second=0, microsecond=0) - timedelta(minutes=1)
    base = load_calendar(load_pack("redbridge-2017").calendar)
    # The first working day the stage counts: inside both its deadlines, never in the past.
    closed = base.next_working_day(base.effective_day(raised))
    cli_args = [
        "calendar",
        "add-closure",
        "--date",
        closed.isoformat(),
        "--procedure",
        "redbridge-2017",
        "--reason",
        "Staff training day",
        "--by",
        "Business Manager",
        "--address",
        server.address,
        "--task-queue",
        queue,
        "--database-url",
        url,
    ]
    wids: list[str] = []
    try:
        async with create_worker(client, queue, sessionmaker=db, smtp=smtp):
            wid = await sdk.open(start_payload(raised))
            wids.append(wid)
            before = await opened(sdk, wid)
            old_stage, old_contact = before.stages[0].due_at, before.first_contact_due_at
            assert old_contact is not None
            new_stage = base.close_of_business(base.next_working_day(old_stage.date()))
            new_contact = base.close_of_business(base.next_working_day(old_contact.date()))
            # Found by its partnership attribute, as the command will find it.
            await until(
                lambda: _listed(client, running_cases_query(None, REDBRIDGE), wid),
                "the case in visibility",
            )
            mail.clear()

            code, out, err = await _cli(capsys, *cli_args)
            assert (code, err) == (0, "")
            assert out == [
                f"stored closure {local_date(closed)} for {REDBRIDGE}",
                f"{wid}: stage (practitioners): {local_deadline(old_stage, 'Europe/London')} → "
                f"{local_deadline(new_stage, 'Europe/London')}",
                f"{wid}: first_contact (practitioners): "
                f"{local_deadline(old_contact, 'Europe/London')} → "
                f"{local_deadline(new_contact, 'Europe/London')}",
                "1 running case(s): 1 moved, 0 no change, 0 refused, 0 no answer",
            ]
            after = await sdk.status(wid)
            assert after.stages[0].due_at == new_stage
            assert after.first_contact_due_at == new_contact
            assert base.working_days_between(old_stage, after.stages[0].due_at) == 1

            told = await mail.wait_for_subject("the calendar changed")
            assert f"Deadline moved to {local_text(new_contact)}" in told["Subject"]
            assert email_of("raising.practitioner") in told["To"]
            body = told.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert f"Staff training day (now closed: {local_date(closed)})" in body

            async def recorded() -> list[Any] | None:
                async with db() as session:
                    rows = (
                        await session.execute(
                            text(
                                "SELECT actor, text, due_at, data FROM steps "
                                "WHERE workflow_id = :w AND kind = 'deadline_changed' ORDER BY key"
                            ),
                            {"w": wid},
                        )
                    ).all()
                return list(rows) if len(rows) == 2 else None

            rows = await until(recorded, "the deadline_changed rows")
            assert {(r[0], r[1]) for r in rows} == {("Business Manager", "Staff training day")}
            assert sorted((_json(r[3])["deadline"], _json(r[3])["old_due_at"]) for r in rows) == [
                ("first_contact", old_contact.isoformat()),
                ("stage", old_stage.isoformat()),
            ]

            # A case opened after the closure counts around it from its first deadline.
            later = await sdk.open(start_payload(raised))
            wids.append(later)
            fresh = await opened(sdk, later)
            assert fresh.stages[0].due_at == new_stage
            assert fresh.first_contact_due_at == new_contact
            await until(
                lambda: _listed(client, running_cases_query(["redbridge-2017"]), later),
                "the new case in visibility",
            )

            # The same command again: stored once, nothing moves (running it twice is safe).
            code, out, err = await _cli(capsys, *cli_args)
            assert (code, err) == (0, "")
            assert out[0] == f"stored closure {local_date(closed)} for {REDBRIDGE} (already stored)"
            assert sorted(out[1:3]) == sorted([f"{wid}: no change", f"{later}: no change"])
            assert out[3] == "2 running case(s): 0 moved, 2 no change, 0 refused, 0 no answer"
            code, out, _ = await _cli(
                capsys, "calendar", "list", "--procedure", "redbridge-2017", "--database-url", url
            )
            assert code == 0 and len(out) == 1
            assert out[0].startswith(f"{closed.isoformat()}  {REDBRIDGE}  Staff training day  ")

            # A dry run says what it would do and changes nothing.
            code, out, err = await _cli(capsys, *cli_args, "--dry-run")
            assert (code, err) == (0, "")
            assert out[0].startswith(f"would store closure {local_date(closed)}")
            assert sorted(out[1:3]) == sorted(
                f"would tell {w} (Disagreement, redbridge-2017)" for w in (wid, later)
            )
            assert out[3] == "2 running case(s) would be told; nothing changed (dry run)"
            # After deploying a refreshed holiday list: every running case re-projects.
            code, out, err = await _cli(
                capsys,
                "calendar",
                "refresh",
                "--procedure",
                "redbridge-2017",
                "--reason",
                "Bank holidays 2027 published",
                "--by",
                "Ops",
                "--address",
                server.address,
                "--task-queue",
                queue,
            )
            assert (code, err) == (0, "")
            assert out[-1] == "2 running case(s): 0 moved, 2 no change, 0 refused, 0 no answer"
            assert (await sdk.status(wid)).stages[0].due_at == new_stage

            # A case that closed after it was listed refuses; the others are still told.
            await sdk.resolve(wid, Resolved(by="B. Social Worker", outcome="Agreed: s47"))
            await sdk.confirm(wid, Confirmed(by="D. Team Manager", text="Confirmed in writing"))
            await client.get_workflow_handle(wid).result()
            change = CalendarChange(by="Business Manager", reason="Check")
            outcomes = await send_change(
                client,
                queue,
                [
                    RunningCase(wid, "Disagreement", "redbridge-2017"),
                    RunningCase(later, "Disagreement", "redbridge-2017"),
                ],
                change,
            )
            assert outcomes[0].refused is not None and "closed" in outcomes[0].refused
            assert outcomes[1].receipt is not None and outcomes[1].receipt.moved == []
    finally:
        for w in wids:
            with contextlib.suppress(Exception):  # the closed case has already finished
                await client.get_workflow_handle(w).terminate("test over")
        await db.kw["bind"].dispose()


async def _listed(client: Any, query: str, wid: str) -> bool | None:
    return True if wid in {c.workflow_id for c in await running_cases(client, query)} else None


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as a dict (SQLite may hand back the text)."""
    return value if isinstance(value, dict) else dict(json.loads(value))


async def test_a_practice_alert_is_found_by_its_partnership_named_in_any_case(
    server: DevServer, mail: SmtpSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Practice alerts receive the same Update through the alerts client."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    await upgrade(url)
    db = make_sessionmaker(url)
    client = await connect(options=ConnectionOptions(address=server.address))
    queue = f"calendar-{uuid.uuid4().hex[:8]}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    alerts = PracticeAlertClient(client, queue)
    raised = datetime.now(LONDON).replace(second=0, microsecond=0) - timedelta(minutes=1)
    pack = load_pack("rutland")
    base = load_calendar(pack.calendar)
    closed = base.next_working_day(base.effective_day(raised))
    wid = ""
    try:
        async with create_worker(client, queue, sessionmaker=db, smtp=smtp):
            wid = await alerts.raise_alert(alert_payload(raised.isoformat(), procedure="rutland"))

            async def stage_due() -> datetime | None:
                return (await alerts.status(wid)).due_at

            old = await until(stage_due, "the alert's first stage")
            new = base.close_of_business(base.next_working_day(old.date()))
            # Found by its partnership alone, whose name holds an apostrophe.
            assert "'" in pack.partnership
            await until(
                lambda: _listed(client, running_cases_query(None, pack.partnership), wid),
                "the alert in visibility",
            )
            code, out, err = await _cli(
                capsys,
                "calendar",
                "add-closure",
                "--date",
                closed.isoformat(),
                "--partnership",
                pack.partnership.upper(),
                "--reason",
                "Council closure day",
                "--by",
                "LSCB Manager",
                "--address",
                server.address,
                "--task-queue",
                queue,
                "--database-url",
                url,
            )
            assert (code, err) == (0, "")
            assert out[0] == f"stored closure {local_date(closed)} for {pack.partnership}"
            assert out[1].startswith(f"{wid}: alert_stage (")
            assert out[1].endswith(
                f"{local_deadline(old, 'Europe/London')} → {local_deadline(new, 'Europe/London')}"
            )
            assert out[2] == "1 running case(s): 1 moved, 0 no change, 0 refused, 0 no answer"
            assert (await alerts.status(wid)).due_at == new
    finally:
        if wid:
            with contextlib.suppress(Exception):
                await client.get_workflow_handle(wid).terminate("test over")
        await db.kw["bind"].dispose()
