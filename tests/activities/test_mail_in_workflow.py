"""Email trouble never delays an escalation: whole disagreements on the time-skipping server.

A flaky relay (451 then accept) sends the email exactly once; a refusal is
recorded and reported to the Business Manager; a relay that is down leaves the
emails pending while the case still climbs at its deadlines, to the minute.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from activities.email import SmtpConfig
from starter.sdk import EscalationClient
from starter.smtp_sink import _free_port
from tests.activities.support import rows
from tests.workflows.stand_ins import send_notification as cut_off_every_attempt
from tests.workflows.support import at, email_of, jump_to, running, start_payload
from worker import create_worker

RAISED = at("2030-06-10T10:00:00+01:00")  # Monday
STAGE_1_DUE = at("2030-06-17T17:00:00+01:00")


async def _stages(db, wid: str) -> list[tuple[str, str]]:
    found = await rows(
        db,
        "SELECT stage_id, due_at FROM steps WHERE workflow_id = :w AND kind = 'stage_entered' ORDER BY key",
        w=wid,
    )
    return [(s, str(d)[:16]) for s, d in found]


async def test_transient_451_then_accept_sends_one_email(env, any_db, mail) -> None:
    db = any_db
    await jump_to(env, RAISED)
    mail.faults.transient_failures = 1
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        wid = await h.client.open(payload)
        await h.sleep_until(at("2030-06-10T12:00:00+01:00"))
        [msg] = await mail.wait_for(1)
        assert msg["Subject"].startswith(f"[{payload['case_reference']}] Stage 1:")
        assert mail.transient_refusals == 1
        assert await rows(
            db, "SELECT kind, status, attempts FROM notifications WHERE workflow_id = :w", w=wid
        ) == [("stage_entered", "sent", 2)]
        assert (await h.status(wid)).notification_failures == []


async def test_refused_mail_is_recorded_the_bm_is_told_and_the_case_escalates_on_time(
    env, any_db, mail
) -> None:
    db = any_db
    await jump_to(env, RAISED)
    mail.faults.refused_recipients = {
        email_of("raising.practitioner"),
        email_of("receiving.practitioner"),
    }
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        case = payload["case_reference"]
        wid = await h.client.open(payload)
        await h.sleep_until(STAGE_1_DUE + timedelta(minutes=1))
        status = await h.status(wid)
        assert status.current_stage == "line_managers"
        assert [(s.stage_id, s.entered_at) for s in status.stages] == [
            ("practitioners", RAISED),
            ("line_managers", STAGE_1_DUE),
        ]
        assert any(
            "PermanentSmtpError" in f or "refused" in f for f in status.notification_failures
        )
        report = await mail.wait_for_subject(f"[{case}] Email not delivered: stage_entered")
        assert email_of("partnership.business_manager") in report["To"]
        sent = await rows(
            db,
            "SELECT kind, status FROM notifications WHERE workflow_id = :w AND kind IN ('stage_entered', 'delivery_failed') ORDER BY key",
            w=wid,
        )
        assert sent[:2] == [("stage_entered", "failed"), ("delivery_failed", "sent")]
        assert await _stages(db, wid) == [
            ("practitioners", "2030-06-17 16:00"),
            ("line_managers", "2030-06-24 16:00"),
        ]


@asynccontextmanager
async def _relay_down(env, db) -> AsyncIterator[EscalationClient]:
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=_free_port("127.0.0.1"), timeout=2.0)
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
        yield EscalationClient(env.client, queue, env.get_current_time)


async def test_a_relay_that_is_down_never_delays_the_escalation(env, db) -> None:
    # A one-working-day timescale for the child keeps the relay's retries (every
    # 10 minutes at most) few enough to run quickly; the rule under test is the same.
    raised, due_1, due_2 = (
        at("2030-06-10T15:00:00+01:00"),
        at("2030-06-11T17:00:00+01:00"),
        at("2030-06-12T17:00:00+01:00"),
    )
    await jump_to(env, raised)
    async with _relay_down(env, db) as client:
        wid = await client.open(start_payload(raised, child_timescale_working_days=1))
        await jump_to(env, due_1 + timedelta(minutes=1))
        status = await client.status(wid)
        assert status.current_stage == "line_managers"
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            ("practitioners", raised, due_1),
            ("line_managers", due_1, due_2),
        ]
        assert await _stages(db, wid) == [
            ("practitioners", "2030-06-11 16:00"),
            ("line_managers", "2030-06-12 16:00"),
        ]
        outbox = await rows(
            db, "SELECT kind, status FROM notifications WHERE workflow_id = :w ORDER BY key", w=wid
        )
        assert ("stage_entered", "pending") in outbox
        assert all(s != "sent" for _, s in outbox)


async def test_a_role_nobody_named_is_told_through_the_contact_directory(env, db, mail) -> None:
    from models.contacts import ContactEntry
    from models.decisions import Unresolved
    from records.contacts import upsert_contacts

    agency = f"Children's Services {uuid.uuid4().hex[:6]}"
    await upsert_contacts(
        db,
        [
            ContactEntry(
                partnership="Redbridge Local Safeguarding Children Board",
                agency=agency.upper(),
                role="line_manager",
                name="R. Directory Manager",
                email="directory.manager@council.example.org",
            )
        ],
    )
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED, receiving_agency=agency)
        payload["people"] = [p for p in payload["people"] if p["role"] != "receiving.line_manager"]
        wid = await h.client.open(payload)
        await h.client.unresolve(wid, Unresolved(by="B. Social Worker", reason="Threshold not met"))
        stage_2 = await mail.wait_for_subject("] Stage 2:")
        assert [a.addr_spec for a in stage_2["To"].addresses] == [
            email_of("raising.line_manager"),
            "directory.manager@council.example.org",
        ]
        received = next(r for r in mail.received if r.message is stage_2)
        assert "directory.manager@council.example.org" in received.rcpt_tos


async def test_an_email_temporal_gives_up_on_is_recorded_failed_and_the_bm_told(
    env, db, mail
) -> None:
    """On SQLite: the activity's rows on PostgreSQL are tests/activities/test_email_ledger.py's.

    Three days of retries every ten minutes are some 440 attempts, a few seconds a run.
    """
    await jump_to(env, RAISED)
    async with running(env, db, mail, stand_ins=[cut_off_every_attempt]) as h:
        payload = start_payload(RAISED)
        case = payload["case_reference"]
        wid = await h.client.open(payload)
        # The first email's three days run out on Thursday 13 June at 10:00.
        await h.sleep_until(at("2030-06-13T12:00:00+01:00"))
        report = await mail.wait_for_subject(f"[{case}] Email not delivered: stage_entered")
        assert mail.messages == [report]
        assert [a.addr_spec for a in report["To"].addresses] == [
            email_of("partnership.business_manager")
        ]
        outbox = await rows(
            db,
            "SELECT kind, status, last_error FROM notifications WHERE workflow_id = :w ORDER BY key",
            w=wid,
        )
        assert [(k, s) for k, s, _ in outbox] == [
            ("stage_entered", "failed"),
            ("delivery_failed", "sent"),
        ]
        error = outbox[0][2]
        for person in ("raising.practitioner", "receiving.practitioner"):
            assert f"{email_of(person)}: Temporal stopped trying (timeout)" in error
        assert "attempt cut off" in error
        status = await h.status(wid)
        [failure] = status.notification_failures
        assert failure.startswith(f"stage_entered ({wid}/mail-") and "attempt cut off" in failure
        # The timeline never waited for the email.
        await h.sleep_until(STAGE_1_DUE + timedelta(minutes=1))
        assert (await h.status(wid)).current_stage == "line_managers"
        assert await _stages(db, wid) == [
            ("practitioners", "2030-06-17 16:00"),
            ("line_managers", "2030-06-24 16:00"),
        ]
        # Each email given up on since (the halfway reminder, say) is reported once, and
        # nothing but those reports could be sent.
        subjects = [str(m["Subject"]) for m in mail.messages]
        assert all(f"[{case}] Email not delivered: " in s for s in subjects)
        reported = [str(m["X-Escalation-Key"]) for m in mail.messages]
        assert len(reported) == len(set(reported)) >= 2  # one report per failed email
