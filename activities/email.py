"""The email activity: one outbox row per notification, each message delivered once.

The outbox row (unique by the notification's key) records the email; the
ledger in the activity's heartbeat details (``activities/email_ledger.py``)
records which messages the relay has accepted, so a retried activity never
sends a message twice, even when the database could not be written after the
relay accepted it. The database is needed to record an email, never to send
it. Roles the start payload left unfilled are looked up in the contact
directory first (that look-up does wait for the database).

An email that asks people to act carries decision links when the decision page
is configured (``activities/email_links.py``): each decider (a recipient, in To
or Cc, holding one of the stage's ``decider_roles``) gets a message of their own,
sent to them alone, with their own link and a Message-ID derived from the key and
their address; everybody else gets one message without links. Everyone sees the
same To and Cc headers.

Transient trouble (connection errors, 4xx) raises and Temporal retries with
backoff. A permanent refusal (5xx, refused recipients) is recorded, reported to
the Business Manager by a separate email, and raised as non-retryable; so is
transient trouble on the last attempt the retry policy allows (the outbox row
is marked failed with the last error; ``record_undelivered`` does the same for an
email whose time ran out without such an attempt). An email whose content cannot
be rendered or serialised is permanent too, for the same reason as a 5xx: no
retry can change it, and retrying it for days would leave the row ``pending``
with nobody told. The workflow sends emails beside its timeline, so a failed or
slow email never delays an escalation.
"""

from __future__ import annotations

import email.errors
import logging
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from aiosmtplib.email import flatten_message
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts import Agencies, lookup, resolve_roles
from activities.email_ledger import Ledger, is_last_attempt
from activities.email_links import action_for, deciders, personal_link
from activities.email_render import failure_report, header_text, message_id, render, subject
from activities.records import insert_ignoring_duplicates
from activities.smtp import Refused, RelayConnections, SmtpConfig, cluster_time, deliver
from models.common import Person
from models.notifications import Notification, NotificationResult, Undelivered
from records.schema import Disagreement, OutboxNotification
from telemetry.metrics import EMAILS_FAILED, EMAILS_SENT

log = logging.getLogger(__name__)

BUSINESS_MANAGER = "partnership.business_manager"

DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)
"""What an unreachable or failing record database raises (asyncpg's refusals are OSErrors)."""

UNRENDERABLE = (ValueError, TypeError, LookupError, email.errors.MessageError)
"""What the email library raises for a message it cannot build or flatten (a header with a
line break, an unencodable character): the content's fault, so no retry can cure it."""

__all__ = ["EmailActivities", "SmtpConfig"]


@dataclass(frozen=True)
class Outgoing:
    """One message of a notification and the addresses it goes to."""

    message: EmailMessage
    recipients: list[str]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


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


def _one_line(text: str) -> str:
    """An error as one ``; ``-free line, so the outbox's refusal list stays parseable."""
    return " ".join(text.split()).replace("; ", ", ")


def _unrenderable(exc: BaseException) -> str:
    """Why a message could not be rendered, as the outbox and the BM's report say it."""
    return _one_line(header_text(f"message could not be rendered: {type(exc).__name__}: {exc}"))


def _flattens(msg: EmailMessage) -> EmailMessage:
    """``msg``, once it is known to flatten as the relay client will flatten it.

    aiosmtplib flattens only after connecting, with the policy the relay's
    extensions choose; flattening both ways here finds an unserialisable message
    before anything is sent, so it is failed as a whole, not after some copies.
    """
    flatten_message(msg)
    flatten_message(msg, cte_type="7bit")
    return msg


class EmailActivities:
    """Sends notifications through one relay, keeping the outbox in the database."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], smtp: SmtpConfig) -> None:
        self._sessionmaker = sessionmaker
        self._smtp = smtp
        self._relay = RelayConnections(smtp)

    @activity.defn(name="send_notification")
    async def send_notification(self, n: Notification) -> NotificationResult:
        """Deliver each message of ``n`` once; record the outcome; report refusals to the BM."""
        to, cc, unfilled = await self._recipients(n)
        recipients = [p.email for p in to + cc]
        line = subject(n.case_reference, n.headline)
        mid = message_id(n.key, self._smtp.mail_from)
        row = await self._outbox_if_reachable(n, line, mid, to, cc, unfilled)
        if not recipients:
            if row is None:  # nothing to send; the row must still be written
                await self._outbox(n, line, mid, to, cc, unfilled)
            return NotificationResult(key=n.key, status="no_recipients")
        if row is not None and row.status in ("sent", "failed"):
            return await self._recorded(n, row, line, mid, recipients)
        ledger = Ledger.from_earlier_attempts()
        gave_up = None
        try:
            messages = self._messages(n, to, cc)
        except Exception as exc:  # rendering is pure: what it raises is the content's
            reason = _unrenderable(exc)
            log.error("mail for %s (case %s) not sent: %s", n.key, n.case_reference, reason)
            ledger.refused_for_good(dict.fromkeys(recipients, reason))
            messages = []
        for out in messages:
            live = [r for r in out.recipients if r not in ledger.refused]
            if out.message_id in ledger.delivered or not live:
                continue
            try:
                refused = await deliver(self._smtp, out.message, live, self._relay)
            except (aiosmtplib.SMTPException, OSError) as exc:
                error = _one_line(str(exc) or type(exc).__name__)
                if not is_last_attempt():
                    await self._mark_if_reachable(n.key, "pending", error)
                    log.warning(
                        "mail relay unavailable for %s (case %s): %s", n.key, n.case_reference, exc
                    )
                    raise
                gave_up = f"given up after {activity.info().attempt} attempts: {error}"
                break
            except Refused as exc:
                log.error("mail relay refused %s (case %s): %s", n.key, n.case_reference, exc)
                ledger.refused_for_good(exc.failed)
                continue
            except UNRENDERABLE as exc:  # flattened for this relay's extensions, and refused
                reason = _unrenderable(exc)
                log.error("mail for %s (case %s) not sent: %s", n.key, n.case_reference, reason)
                ledger.refused_for_good(dict.fromkeys(live, reason))
                continue
            ledger.delivered_one(out.message_id, refused)
        if gave_up is not None:
            log.error("mail for %s (case %s) %s", n.key, n.case_reference, gave_up)
            undelivered = [
                r
                for out in messages
                if out.message_id not in ledger.delivered
                for r in out.recipients
                if r not in ledger.refused
            ]
            ledger.refused_for_good(dict.fromkeys(undelivered, gave_up))
        # The row could not be written before sending (database down): write it with the outcome.
        unwritten = (to, cc, unfilled) if row is None else None
        return await self._outcome(n, line, mid, recipients, ledger, gave_up, unwritten)

    @activity.defn(name="record_undelivered")
    async def record_undelivered(self, u: Undelivered) -> None:
        """Record an email Temporal gave up on (its schedule-to-close time ran out) as failed.

        ``send_notification`` marks its own last attempt; this covers the attempt
        that never ran or was cut off. A row already ``sent`` or ``failed`` keeps
        its outcome; otherwise it is marked failed with ``u.reason`` and the
        Business Manager is told (if the relay is still down, that is noted on
        the report's row instead of retried for ever).
        """
        n = u.notification
        to, cc, unfilled = await self._recipients(n)
        recipients = [p.email for p in to + cc]
        line = subject(n.case_reference, n.headline)
        row = await self._outbox(n, line, message_id(n.key, self._smtp.mail_from), to, cc, unfilled)
        if row.status != "pending" or not recipients:
            return
        reason = _one_line(u.reason)
        failed = dict.fromkeys(recipients, reason)
        await self._mark(n.key, "failed", error="; ".join(f"{k}: {v}" for k, v in failed.items()))
        EMAILS_FAILED.labels(kind=n.kind).inc()
        log.error("mail for %s (case %s) given up: %s", n.key, n.case_reference, reason)
        await self._report(n, line, failed, [], Ledger.from_earlier_attempts(), last=True)

    # ------------------------------------------------------------ helpers

    def _messages(self, n: Notification, to: list[Person], cc: list[Person]) -> list[Outgoing]:
        """The messages of ``n``: one for everyone, or one per decider plus one for the rest.

        Raises:
            Exception: whatever rendering or flattening raises; the caller fails the
                email for good (the content cannot change on a retry).
        """
        mail_from = self._smtp.mail_from
        sent_at = cluster_time()  # this attempt's send time, the Date: header
        action = action_for(n, self._smtp.links)
        if action is None or self._smtp.links is None:
            everyone = [p.email for p in to + cc]
            return [Outgoing(_flattens(render(n, mail_from, to, cc, sent_at=sent_at)), everyone)]
        now = cluster_time(first=True)  # the same links on every attempt
        acting = deciders(n, to, cc)
        own = [
            Outgoing(
                _flattens(
                    render(
                        n,
                        mail_from,
                        to,
                        cc,
                        personal_link(n, p, action, self._smtp.links, now),
                        sent_at=sent_at,
                    )
                ),
                [p.email],
            )
            for p in acting
        ]
        linked = {p.email.lower() for p in acting}
        rest = [p.email for p in to + cc if p.email.lower() not in linked]
        copy = (
            [Outgoing(_flattens(render(n, mail_from, to, cc, sent_at=sent_at)), rest)]
            if rest
            else []
        )
        return own + copy

    async def _recorded(
        self, n: Notification, row: OutboxNotification, line: str, mid: str, recipients: list[str]
    ) -> NotificationResult:
        """A retry after the outcome was recorded: make sure the BM was told of any refusal."""
        failed = _refusals(row.last_error or "", recipients)
        if row.status == "failed" and not failed:
            failed = dict.fromkeys(recipients, row.last_error or "refused")
        if failed:
            delivered = [r for r in recipients if r not in failed and row.status == "sent"]
            await self._report(n, line, failed, delivered, Ledger.from_earlier_attempts())
        if row.status == "failed":
            raise self._permanent_error(n, row.last_error or "refused")
        return NotificationResult(key=n.key, status="already_sent", message_id=mid)

    async def _outcome(
        self,
        n: Notification,
        line: str,
        mid: str,
        recipients: list[str],
        ledger: Ledger,
        gave_up: str | None,
        unwritten: tuple[list[Person], list[Person], list[str]] | None = None,
    ) -> NotificationResult:
        """Record what the relay did on the outbox row, report refusals, answer the workflow.

        ``unwritten`` (to, cc, unfilled roles) says the row itself is still missing: the
        database was down when the attempt began and may be back now, so the row is
        written before it is marked (an update alone would change nothing and lose the
        record). A database that fails here raises (Temporal retries): the ledger keeps
        the deliveries, so the retry only records them.
        """
        refused = {r: ledger.refused[r] for r in recipients if r in ledger.refused}
        delivered = [r for r in recipients if r not in refused]
        error = "; ".join(f"{k}: {v}" for k, v in refused.items()) or None
        status = "sent" if delivered else "failed"
        try:
            first = True  # the outcome's first record, so counted (a row may hold one already)
            if unwritten is not None:
                first = (await self._outbox(n, line, mid, *unwritten)).status == "pending"
            await self._mark(n.key, status, error=error)
        except DATABASE_ERRORS as exc:
            log.warning(
                "%s delivered to %s but not recorded yet (database: %s); retrying to record it",
                n.key,
                ", ".join(delivered) or "nobody",
                exc,
            )
            raise
        if first:
            (EMAILS_SENT if status == "sent" else EMAILS_FAILED).labels(kind=n.kind).inc()
        if refused:
            await self._report(n, line, refused, delivered, ledger, last=gave_up is not None)
        if status == "failed":
            raise self._permanent_error(n, error or "refused")
        return NotificationResult(key=n.key, status="sent", message_id=mid, recipients=delivered)

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
        line: str,
        mid: str,
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
            "subject": line,
            "recipients": [p.email for p in to],
            "cc": [p.email for p in cc],
            "message_id": mid,
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

    async def _outbox_if_reachable(
        self,
        n: Notification,
        line: str,
        mid: str,
        to: list[Person],
        cc: list[Person],
        unfilled: list[str],
    ) -> OutboxNotification | None:
        """The outbox row, or None while the database is unreachable (the mail goes anyway)."""
        try:
            return await self._outbox(n, line, mid, to, cc, unfilled)
        except DATABASE_ERRORS as exc:
            log.warning("outbox unreachable for %s, sending first: %s", n.key, exc)
            return None

    async def _mark_if_reachable(self, key: str, status: str, error: str) -> None:
        """Note a transient error on the row if the database is there (it may not be)."""
        try:
            await self._mark(key, status, error=error)
        except (*DATABASE_ERRORS, LookupError) as exc:  # down, or the row not written yet
            log.warning("could not note the relay error on %s: %s", key, exc)

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
        self,
        n: Notification,
        subject_line: str,
        failed: dict[str, str],
        delivered: list[str],
        ledger: Ledger,
        last: bool = False,
    ) -> None:
        """Tell the Business Manager, once, that ``n`` was not delivered to ``failed``.

        The report is an outbox row of its own, in the same ledger as ``n``'s
        messages. Its transient trouble raises (the activity is retried and reports
        again) unless this is the ``last`` attempt, when it is noted on its row and
        logged; its own permanent refusal is recorded on its row and logged, never
        reported in turn.
        """
        if n.kind == "delivery_failed":
            return
        bm = await self._business_manager(n)
        if bm is None:
            log.error("no Business Manager known for %s to report %s to", n.partnership, n.key)
            return
        report = failure_report(n, subject_line, failed, delivered, bm)
        try:
            msg = _flattens(render(report, self._smtp.mail_from, sent_at=cluster_time()))
        except Exception as exc:  # recorded on its row, never reported in turn
            reason = _unrenderable(exc)
            line = subject(report.case_reference, report.headline)
            mid = message_id(report.key, self._smtp.mail_from)
            row = await self._outbox(report, line, mid, report.to, [], [])
            if row.status == "pending":
                await self._mark(report.key, "failed", error=f"{bm.email}: {reason}")
                log.error("the Business Manager's report %s: %s", report.key, reason)
            return
        mid = str(msg["Message-ID"])
        row = await self._outbox(report, str(msg["Subject"]), mid, report.to, [], [])
        if row.status in ("sent", "failed"):
            return
        refused: dict[str, str] = {}
        if mid not in ledger.delivered:
            try:
                refused = await deliver(self._smtp, msg, [bm.email], self._relay)
            except Refused as exc:
                await self._mark(report.key, "failed", error=str(exc))
                log.error("the Business Manager's report %s was refused too: %s", report.key, exc)
                return
            except (aiosmtplib.SMTPException, OSError) as exc:
                if not last:
                    raise
                await self._mark(report.key, "pending", error=_one_line(str(exc)))
                log.error("the Business Manager's report %s could not be sent: %s", report.key, exc)
                return
            ledger.delivered_one(mid)
        error = "; ".join(f"{k}: {v}" for k, v in refused.items()) or None
        await self._mark(report.key, "failed" if refused else "sent", error=error)

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
            result = await session.execute(
                update(OutboxNotification).where(OutboxNotification.key == key).values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                # Never report an outcome whose record is missing; the retry writes the row.
                raise LookupError(f"outbox row {key} is missing; not marked {status}")
