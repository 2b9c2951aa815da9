"""An email is delivered once even when the database fails around it, and given up on loudly.

Temporal retries a failed activity and hands the new attempt the heartbeat
details the failed one left; these tests do the same with ActivityEnvironment
(attempt 2 gets attempt 1's last heartbeat), against the real SMTP sink and the
real databases. The database fails for real: a trigger refuses the write that
marks the email sent (SQLite and PostgreSQL), or the database URL points at a
port where nothing listens.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_ledger import next_retry_interval
from models.notifications import Undelivered
from records.db import make_sessionmaker
from tests.activities.support import BM, new_case, notification, rows, smtp_for
from tests.faults.stack import free_port

MAIL = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentSmtpError"],
)
"""The workflow's retry policy for emails (workflows/steps.py)."""


class Attempts:
    """Successive attempts of one activity, each seeing the previous one's last heartbeat."""

    def __init__(self, **info: Any) -> None:
        self.beats: list[tuple[Any, ...]] = []
        self.info = dataclasses.replace(ActivityEnvironment.default_info(), **info)

    def next(self) -> ActivityEnvironment:
        env = ActivityEnvironment()
        env.info = self.info
        env.on_heartbeat = lambda *details: self.beats.append(details)
        details = list(self.beats[-1]) if self.beats else []
        self.info = dataclasses.replace(self.info, attempt=self.info.attempt + 1)
        env.info = dataclasses.replace(env.info, heartbeat_details=details)
        return env


async def _refuse_marking_sent(db: async_sessionmaker[AsyncSession], key: str) -> str:
    """A trigger that fails the write marking ``key`` sent, as a database going away would."""
    name = f"refuse_{uuid.uuid4().hex[:12]}"
    async with db() as session, session.begin():
        if session.bind.dialect.name == "sqlite":
            await session.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE UPDATE ON notifications "
                    f"WHEN NEW.key = '{key}' AND NEW.status = 'sent' "
                    "BEGIN SELECT RAISE(ABORT, 'database unavailable'); END"
                )
            )
        else:
            await session.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'database unavailable'; END $$"
                )
            )
            await session.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE UPDATE ON notifications FOR EACH ROW "
                    f"WHEN (NEW.key = '{key}' AND NEW.status = 'sent') EXECUTE FUNCTION {name}()"
                )
            )
    return name


async def _restore(db: async_sessionmaker[AsyncSession], name: str) -> None:
    async with db() as session, session.begin():
        if session.bind.dialect.name == "sqlite":
            await session.execute(text(f"DROP TRIGGER {name}"))
        else:
            await session.execute(text(f"DROP TRIGGER {name} ON notifications"))
            await session.execute(text(f"DROP FUNCTION {name}()"))


async def test_marking_sent_fails_after_delivery_and_the_retry_does_not_send_again(
    any_db, mail
) -> None:
    wid, case = new_case()
    acts, attempts = EmailActivities(any_db, smtp_for(mail)), Attempts()
    n = notification(wid, case)
    trigger = await _refuse_marking_sent(any_db, n.key)
    try:
        with pytest.raises(Exception, match="database unavailable") as raised:
            await attempts.next().run(acts.send_notification, n)
        assert not isinstance(raised.value, ApplicationError)  # retryable
        assert len(mail.messages) == 1
        assert await rows(any_db, "SELECT status FROM notifications WHERE key = :k", k=n.key) == [
            ("pending",)
        ]
    finally:
        await _restore(any_db, trigger)
    result = await attempts.next().run(acts.send_notification, n)
    assert result.status == "sent" and result.recipients == ["sw@csc.example"]
    assert len(mail.messages) == 1  # not sent again
    assert await rows(
        any_db, "SELECT status, attempts FROM notifications WHERE key = :k", k=n.key
    ) == [("sent", 1)]


async def test_database_unreachable_the_mail_goes_out_and_is_recorded_when_it_is_back(
    db, mail
) -> None:
    wid, case = new_case()
    down = make_sessionmaker(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test")
    attempts = Attempts()
    n = notification(wid, case)
    try:
        with pytest.raises(OSError):
            await attempts.next().run(EmailActivities(down, smtp_for(mail)).send_notification, n)
    finally:
        await down.kw["bind"].dispose()
    [sent] = mail.messages
    assert sent["X-Escalation-Key"] == n.key
    assert await rows(db, "SELECT 1 FROM notifications WHERE key = :k", k=n.key) == []
    back = EmailActivities(db, smtp_for(mail))
    result = await attempts.next().run(back.send_notification, n)
    assert (result.status, result.message_id) == ("sent", str(sent["Message-ID"]))
    assert len(mail.messages) == 1
    assert await rows(db, "SELECT status FROM notifications WHERE key = :k", k=n.key) == [("sent",)]


class BackAfter:
    """A sessionmaker whose database is unreachable for its first ``down`` sessions."""

    def __init__(self, db: async_sessionmaker[AsyncSession], down: int) -> None:
        self.db, self.down = db, down

    def __call__(self) -> AsyncSession:
        if self.down > 0:
            self.down -= 1
            raise ConnectionRefusedError("database unreachable")
        return self.db()


async def test_database_back_during_the_attempt_the_row_is_written_with_its_outcome(
    any_db, mail
) -> None:
    """Down when the outbox row is written, back when the delivery is marked: the row is
    written then, with 'sent' (an update alone would find no row and lose the record)."""
    wid, case = new_case()
    n = notification(wid, case)
    acts = EmailActivities(BackAfter(any_db, down=1), smtp_for(mail))  # type: ignore[arg-type]
    result = await Attempts().next().run(acts.send_notification, n)
    [sent] = mail.messages
    assert (result.status, result.message_id) == ("sent", str(sent["Message-ID"]))
    assert await rows(
        any_db, "SELECT status, subject, message_id FROM notifications WHERE key = :k", k=n.key
    ) == [("sent", str(sent["Subject"]), str(sent["Message-ID"]))]


async def test_a_relay_down_until_the_last_attempt_is_recorded_failed_and_reported(
    db, mail
) -> None:
    wid, case = new_case()
    n = notification(wid, case, business_manager=BM)
    mail.faults.transient_recipients = {"sw@csc.example"}  # 450 every time
    now = datetime.now(UTC)
    acts = EmailActivities(db, smtp_for(mail))
    early = Attempts(
        attempt=3,
        retry_policy=MAIL,
        current_attempt_scheduled_time=now,
        scheduled_time=now - timedelta(hours=1),
        schedule_to_close_timeout=timedelta(days=3),
        start_to_close_timeout=timedelta(seconds=60),
    )
    with pytest.raises(Exception, match="450") as raised:
        await early.next().run(acts.send_notification, n)
    assert not isinstance(raised.value, ApplicationError)  # days left: Temporal retries
    last = Attempts(
        attempt=440,
        retry_policy=MAIL,
        current_attempt_scheduled_time=now,
        scheduled_time=now - timedelta(days=3) + timedelta(minutes=5),
        schedule_to_close_timeout=timedelta(days=3),
        start_to_close_timeout=timedelta(seconds=60),
    )
    with pytest.raises(ApplicationError) as gave_up:
        await last.next().run(acts.send_notification, n)
    assert gave_up.value.non_retryable
    assert "given up after 440 attempts" in str(gave_up.value)
    [(status, error)] = await rows(
        db, "SELECT status, last_error FROM notifications WHERE key = :k", k=n.key
    )
    assert status == "failed"
    assert error.startswith("sw@csc.example: given up after 440 attempts") and "450" in error
    [report] = mail.received
    assert report.rcpt_tos == [BM.email]
    assert report.message["Subject"] == f"[{case}] Email not delivered: stage_entered"
    assert "Not delivered to: sw@csc.example" in report.message.get_body(("plain",)).get_content()
    assert await rows(
        db, "SELECT status FROM notifications WHERE key = :k", k=f"{n.key}/delivery-failed"
    ) == [("sent",)]


def test_the_backoff_matches_temporals() -> None:
    five, ten_minutes = timedelta(seconds=5), timedelta(minutes=10)
    waits = [next_retry_interval(a, five, 2.0, ten_minutes) for a in (1, 2, 7, 8, 400)]
    assert waits == [five, 2 * five, 64 * five, ten_minutes, ten_minutes]
    assert next_retry_interval(3, five, 2.0, None) == 4 * five


async def test_an_email_temporal_gave_up_on_is_recorded_failed_and_reported(any_db, mail) -> None:
    db = any_db
    wid, case = new_case()
    acts, env = EmailActivities(db, smtp_for(mail)), ActivityEnvironment()
    pending = notification(wid, case, 1, business_manager=BM)
    mail.faults.transient_recipients = {"sw@csc.example"}
    with pytest.raises(Exception, match="450"):
        await env.run(acts.send_notification, pending)
    sent = notification(wid, case, 2, to=[BM])
    await env.run(acts.send_notification, sent)
    for n in (pending, sent):
        await env.run(acts.record_undelivered, Undelivered(notification=n, reason="timed out"))
    assert await rows(
        db,
        "SELECT key, status, last_error FROM notifications WHERE workflow_id = :w ORDER BY key",
        w=wid,
    ) == [
        (pending.key, "failed", "sw@csc.example: timed out"),
        (f"{pending.key}/delivery-failed", "sent", None),
        (sent.key, "sent", None),
    ]
    assert [m.rcpt_tos for m in mail.received] == [[BM.email], [BM.email]]
    assert mail.received[1].message["Subject"] == f"[{case}] Email not delivered: stage_entered"
