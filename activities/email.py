"""The email activity: one outbox row per notification, sent once through aiosmtplib.

The outbox row (unique by the notification's key) is written before sending and
marked sent after, so a retried activity never sends twice. Roles the start
payload left unfilled are looked up in the contact directory first.

Transient trouble (connection errors, 4xx) raises and Temporal retries with
backoff. A permanent refusal (5xx, refused recipients) is recorded, reported to
the Business Manager by a separate email, and raised as non-retryable: retrying
cannot help, and the workflow sends emails beside its timeline, so a failed or
slow email never delays an escalation.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts import Agencies, lookup, resolve_roles
from activities.email_render import failure_report, render
from activities.records import insert_ignoring_duplicates
from activities.smtp import Refused, SmtpConfig, cluster_time, deliver
from models.common import Person
from models.notifications import Notification, NotificationResult
from records.schema import Disagreement, OutboxNotification

log = logging.getLogger(__name__)

BUSINESS_MANAGER = "partnership.business_manager"

__all__ = ["EmailActivities", "SmtpConfig"]


def _refusals(error: str, recipients: list[str]) -> dict[str, str]:
    """The refused recipients and reasons recorded as ``'a@x: 550 ...; b@y: 550 ...'``."""
    found = {}
    for part in error.split("; "):
        address, _, reason = part.partition(": ")
        if address in recipients:
            found[address] = reason
    return found


def _unique(people: list[Person], exclude: set[str] | None = None) -> list[Person]:
    seen = set(exclude or set())
    kept = []
    for p in people:
        if p.email.lower() not in seen:
            seen.add(p.email.lower())
            kept.append(p)
    return kept


class EmailActivities:
    """Sends notifications through one relay, keeping the outbox in the database."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], smtp: SmtpConfig) -> None:
        self._sessionmaker = sessionmaker
        self._smtp = smtp

    @activity.defn(name="send_notification")
    async def send_notification(self, n: Notification) -> NotificationResult:
        """Send one notification at most once; report a permanent refusal to the BM."""
        to, cc, unfilled = await self._recipients(n)
        msg = render(n, self._smtp.mail_from, to, cc)
        recipients = [p.email for p in to + cc]
        row = await self._outbox(n, msg, to, cc, unfilled)
        if not recipients:
            return NotificationResult(key=n.key, status="no_recipients")
        mid = str(msg["Message-ID"])
        if row.status in ("sent", "failed"):
            # A retry after the outcome was recorded: make sure the BM was told of any refusal.
            failed = _refusals(row.last_error or "", recipients)
            if row.status == "failed" and not failed:
                failed = dict.fromkeys(recipients, row.last_error or "refused")
            if failed:
                delivered = [r for r in recipients if r not in failed and row.status == "sent"]
                await self._report(n, str(msg["Subject"]), failed, delivered)
            if row.status == "failed":
                raise self._permanent_error(n, row.last_error or "refused")
            return NotificationResult(key=n.key, status="already_sent", message_id=mid)
        try:
            refused = await deliver(self._smtp, msg, recipients)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._mark(n.key, "pending", error=str(exc) or type(exc).__name__)
            log.warning("mail relay unavailable for %s (case %s): %s", n.key, n.case_reference, exc)
            raise
        except Refused as exc:
            await self._mark(n.key, "failed", error=str(exc))
            log.error("mail relay refused %s (case %s): %s", n.key, n.case_reference, exc)
            await self._report(n, str(msg["Subject"]), exc.failed, [])
            raise self._permanent_error(n, str(exc)) from exc
        if refused:
            # Some recipients got it: never resend to them; record and report the others.
            error = "; ".join(f"{k}: {v}" for k, v in refused.items())
            await self._mark(n.key, "sent", error=error)
            delivered = [r for r in recipients if r not in refused]
            await self._report(n, str(msg["Subject"]), refused, delivered)
            return NotificationResult(
                key=n.key, status="sent", message_id=mid, recipients=delivered
            )
        await self._mark(n.key, "sent")
        return NotificationResult(key=n.key, status="sent", message_id=mid, recipients=recipients)

    # ------------------------------------------------------------ helpers

    async def _recipients(self, n: Notification) -> tuple[list[Person], list[Person], list[str]]:
        """``n.to``/``n.cc`` plus the unfilled roles the directory names; the rest unfilled."""
        if not n.unfilled_to and not n.unfilled_cc:
            return _unique(n.to), _unique(n.cc, {p.email.lower() for p in n.to}), []
        async with self._sessionmaker() as session:
            agencies = await self._agencies(session, n)
            extra_to, missing_to = await resolve_roles(
                session, n.partnership, n.unfilled_to, agencies
            )
            extra_cc, missing_cc = await resolve_roles(
                session, n.partnership, n.unfilled_cc, agencies
            )
        to = _unique([*n.to, *extra_to])
        cc = _unique([*n.cc, *extra_cc], {p.email.lower() for p in to})
        return to, cc, [*missing_to, *missing_cc]

    async def _agencies(self, session: AsyncSession, n: Notification) -> Agencies:
        if n.raising_agency is not None and n.receiving_agency is not None:
            return Agencies(n.raising_agency, n.receiving_agency)
        row = (
            await session.execute(
                select(Disagreement.raising_agency, Disagreement.receiving_agency).where(
                    Disagreement.workflow_id == n.workflow_id
                )
            )
        ).first()
        if row is None:
            return Agencies(n.raising_agency, n.receiving_agency)
        return Agencies(
            n.raising_agency or row.raising_agency, n.receiving_agency or row.receiving_agency
        )

    async def _outbox(
        self,
        n: Notification,
        msg: EmailMessage,
        to: list[Person],
        cc: list[Person],
        unfilled: list[str],
    ) -> OutboxNotification:
        """Write the outbox row once and read it back (its status says what to do)."""
        values = {
            "key": n.key,
            "workflow_id": n.workflow_id,
            "case_reference": n.case_reference,
            "kind": n.kind,
            "subject": str(msg["Subject"]),
            "recipients": [p.email for p in to],
            "cc": [p.email for p in cc],
            "message_id": str(msg["Message-ID"]),
            "status": "pending" if to or cc else "no_recipients",
            "unfilled_roles": unfilled or None,
            "created_at": cluster_time(first=True),
        }
        async with self._sessionmaker() as session, session.begin():
            await session.execute(insert_ignoring_duplicates(session, OutboxNotification, values))
            row = await session.scalar(
                select(OutboxNotification).where(OutboxNotification.key == n.key)
            )
        assert row is not None
        return row

    def _permanent_error(self, n: Notification, reason: str) -> ApplicationError:
        return ApplicationError(
            f"mail relay refused {n.key}: {reason}", type="PermanentSmtpError", non_retryable=True
        )

    async def _business_manager(self, n: Notification) -> Person | None:
        if n.business_manager is not None:
            return n.business_manager
        for p in [*n.to, *n.cc]:
            if p.role == BUSINESS_MANAGER:
                return p
        async with self._sessionmaker() as session:
            return await lookup(session, n.partnership, BUSINESS_MANAGER, Agencies())

    async def _report(
        self, n: Notification, subject_line: str, failed: dict[str, str], delivered: list[str]
    ) -> None:
        """Tell the Business Manager, once, that ``n`` was permanently refused.

        The report is an outbox row of its own. Its transient trouble raises (the
        activity is retried and reports again); its own permanent refusal is
        recorded on its row and logged, never reported in turn.
        """
        if n.kind == "delivery_failed":
            return
        bm = await self._business_manager(n)
        if bm is None:
            log.error("no Business Manager known for %s to report %s to", n.partnership, n.key)
            return
        report = failure_report(n, subject_line, failed, delivered, bm)
        msg = render(report, self._smtp.mail_from)
        row = await self._outbox(report, msg, report.to, [], [])
        if row.status in ("sent", "failed"):
            return
        try:
            refused = await deliver(self._smtp, msg, [bm.email])
        except Refused as exc:
            await self._mark(report.key, "failed", error=str(exc))
            log.error("the Business Manager's report %s was refused too: %s", report.key, exc)
            return
        await self._mark(report.key, "failed" if refused else "sent", error=str(refused or ""))

    async def _mark(self, key: str, status: str, error: str | None = None) -> None:
        values: dict[str, object] = {
            "status": status,
            "attempts": OutboxNotification.attempts + 1,
        }
        if status == "sent":
            values["sent_at"] = cluster_time()
            values["last_error"] = None  # an earlier transient error no longer matters
        if error:
            values["last_error"] = error[:2000]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxNotification).where(OutboxNotification.key == key).values(**values)
            )
