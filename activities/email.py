"""The email activity: one outbox row per notification, sent once through aiosmtplib.

The outbox row (unique by the notification's key) is written before sending and
marked sent after, so a retried activity never sends twice. Transient trouble
(connection errors, 4xx) raises and Temporal retries with backoff; a permanent
refusal (5xx, refused recipients) is recorded and raised as non-retryable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.email_render import render
from activities.records import insert_ignoring_duplicates
from models.notifications import Notification, NotificationResult
from records.schema import OutboxNotification, utcnow
from settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail relay."""

    host: str = "localhost"
    port: int = 8025
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_tls: bool = False
    timeout: float = 30.0
    mail_from: str = "escalations@localhost"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """The relay settings from the environment."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_use_tls,
            timeout=settings.smtp_timeout_seconds,
            mail_from=settings.mail_from,
        )


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return True
    code = getattr(exc, "code", None)
    return isinstance(code, int) and 500 <= code < 600


class EmailActivities:
    """Sends notifications through one relay, keeping the outbox in the database."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], smtp: SmtpConfig) -> None:
        self._sessionmaker = sessionmaker
        self._smtp = smtp

    @activity.defn(name="send_notification")
    async def send_notification(self, n: Notification) -> NotificationResult:
        """Send one notification at most once."""
        msg = render(n, self._smtp.mail_from)
        recipients = [p.email for p in n.to]
        row = {
            "key": n.key,
            "workflow_id": n.workflow_id,
            "case_reference": n.case_reference,
            "kind": n.kind,
            "subject": str(msg["Subject"]),
            "recipients": recipients,
            "cc": [p.email for p in n.cc],
            "message_id": str(msg["Message-ID"]),
            "status": "pending" if recipients else "no_recipients",
        }
        async with self._sessionmaker() as session, session.begin():
            await session.execute(insert_ignoring_duplicates(session, OutboxNotification, row))
            status = await session.scalar(
                select(OutboxNotification.status).where(OutboxNotification.key == n.key)
            )
        if not recipients:
            return NotificationResult(key=n.key, status="no_recipients")
        if status == "sent":
            return NotificationResult(
                key=n.key, status="already_sent", message_id=row["message_id"]
            )
        try:
            await aiosmtplib.send(
                msg,
                hostname=self._smtp.host,
                port=self._smtp.port,
                username=self._smtp.username,
                password=self._smtp.password,
                start_tls=self._smtp.starttls,
                use_tls=self._smtp.use_tls,
                timeout=self._smtp.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            permanent = _permanent(exc)
            await self._mark(n.key, "failed" if permanent else "pending", error=str(exc))
            if permanent:
                raise ApplicationError(
                    f"mail relay refused {n.key}: {exc}",
                    type="PermanentSmtpError",
                    non_retryable=True,
                ) from exc
            log.warning("mail relay unavailable for %s (case %s): %s", n.key, n.case_reference, exc)
            raise
        await self._mark(n.key, "sent")
        everyone = recipients + [p.email for p in n.cc]
        return NotificationResult(
            key=n.key, status="sent", message_id=row["message_id"], recipients=everyone
        )

    async def _mark(self, key: str, status: str, error: str | None = None) -> None:
        values: dict[str, object] = {
            "status": status,
            "attempts": OutboxNotification.attempts + 1,
        }
        if status == "sent":
            values["sent_at"] = utcnow()
        if error is not None:
            values["last_error"] = error[:2000]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxNotification).where(OutboxNotification.key == key).values(**values)
            )
