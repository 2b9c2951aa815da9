"""The QuarterlyReport activities: is the report due today, and build and send it.

``plan_quarterly_report`` answers, for the day a run stands for, which quarter
has just ended, the day its report is due (the N-th working day after the
quarter's last day, on the procedure's calendar: its bank holidays and closure
days, loaded here, never in workflow code) and whether the outbox already holds
it. ``send_quarterly_report`` reads the record's figures (``records/report.py``,
as ``escalation report --quarter`` does) and the quarter's practice alert
tracker (``records/tracker.py``), and sends them through the ordinary
email activity: one outbox row keyed by procedure, quarter and recipients (so a
second run sends nothing), the relay's ledger, the refusal rules and the
Business Manager's report on a refusal. Only the message differs: the report's
HTML page is the body and the tracker's XLSX is attached (``activities/quarterly_mail.py``).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from aiosmtplib.email import flatten_message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.email import DATABASE_ERRORS, EmailActivities, Outgoing, SmtpConfig
from activities.quarterly_mail import Attachment, ReportMail, period, report_mail, report_message
from models.calendar import CalendarSpec
from models.common import Person
from models.notifications import Notification, NotificationResult
from models.pack import PolicyPack
from models.quarterly import (
    EarlierOutcome,
    QuarterlyReportPlan,
    QuarterlyReportPlanRequest,
    QuarterlyReportSend,
    QuarterlyReportSent,
)
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack, pack_ids
from records.report import Quarter, quarter_figures
from records.schema import OutboxNotification
from records.tracker import Window, tracker_rows
from records.tracker_files import write_tracker
from workdays.calendar import CalendarRangeError, InvalidCalendar, WorkingCalendar, load_calendar

log = logging.getLogger(__name__)

CATCH_UP_WORKING_DAYS = 10
"""A report not sent on its due day (the relay or the worker down that morning) is sent on a
later morning, up to this many working days late; a schedule created or given new recipients
later than that starts with the next quarter. A named ``quarter`` is sent whenever it is due."""
RECIPIENT_ROLE = "partnership.report_recipient"
"""The role the report's recipients are given (the outbox and the BM's report list them)."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def quarter_of(day: date) -> Quarter:
    """The calendar quarter ``day`` falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def quarter_before(day: date) -> Quarter:
    """The last quarter that ended before ``day``: the one whose report is due next."""
    q = quarter_of(day)
    return Quarter(q.year - 1, 4) if q.number == 1 else Quarter(q.year, q.number - 1)


def last_day(quarter: Quarter) -> date:
    """The quarter's last day (31 December for Q4)."""
    return quarter.next_first_day - timedelta(days=1)


def due_day(quarter: Quarter, calendar: WorkingCalendar, working_days: int) -> date:
    """The N-th working day after the quarter's last day, on ``calendar``.

    The last day itself is never counted, whether or not it is a working day: its
    figures are complete only when it is over.
    """
    return calendar.add_working_days(last_day(quarter), working_days)


def report_key(procedure: str | None, quarter: str, to: list[str]) -> str:
    """The outbox key: one report per procedure, quarter and list of recipients."""
    people = ",".join(sorted({a.strip().lower() for a in to}))
    digest = hashlib.sha256(people.encode()).hexdigest()[:16]
    return f"quarterly-report/{procedure or 'all'}/{quarter}/{digest}"


async def tracker_attachment(
    sessionmaker: async_sessionmaker[AsyncSession], quarter: Quarter, procedure: str | None
) -> Attachment:
    """The practice alert tracker of the alerts raised in ``quarter``, as an XLSX workbook.

    Raises:
        sqlalchemy.exc.SQLAlchemyError, OSError: the record or the temporary file failed.
    """
    name = f"practice-alert-tracker-{quarter.label}-{procedure or 'all'}.xlsx"
    rows = tracker_rows(sessionmaker, Window(quarter.first_day, last_day(quarter)), procedure)
    with tempfile.TemporaryDirectory(prefix="quarterly-report-") as tmp:
        path = Path(tmp) / name
        await write_tracker(rows, path, "xlsx")
        return Attachment(name, XLSX, path.read_bytes())


def _permanent(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class QuarterlyReportActivities(EmailActivities):
    """Plans and sends the quarterly report; an email activity whose message is the report.

    It is an :class:`EmailActivities` so the report goes through the very same
    outbox, ledger and refusal handling as every case email; only ``_messages``,
    the step that renders a notification, is different for the report's key.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        smtp: SmtpConfig,
        pack_dir: Path = PACK_DIR,
    ) -> None:
        super().__init__(sessionmaker, smtp)
        self._pack_dir = pack_dir
        self._reports: dict[str, ReportMail] = {}

    # ------------------------------------------------------------ plan

    def _pack(self, procedure: str) -> PolicyPack:
        try:
            return load_pack(procedure, self._pack_dir)
        except (UnknownProcedure, PackError) as exc:
            raise _permanent(str(exc), "UnknownProcedure") from exc

    def _partnerships(self) -> list[str]:
        found = set()
        for procedure in pack_ids(self._pack_dir):
            try:
                found.add(load_pack(procedure, self._pack_dir).partnership)
            except (UnknownProcedure, PackError) as exc:
                log.warning("pack %s not read for the quarterly report: %s", procedure, exc)
        return sorted(found)

    async def _earlier(self, key: str) -> EarlierOutcome | None:
        """The outbox row's status for ``key`` (the database's check allows only these)."""
        async with self._sessionmaker() as session:
            status = await session.scalar(
                select(OutboxNotification.status).where(OutboxNotification.key == key)
            )
        return cast(EarlierOutcome, status) if status is not None else None

    @activity.defn(name="plan_quarterly_report")
    async def plan_quarterly_report(self, req: QuarterlyReportPlanRequest) -> QuarterlyReportPlan:
        """The quarter to report, its due day, whether it is due today, and the outbox.

        Raises:
            ApplicationError: non-retryable, for an unknown procedure or a day the
                holiday calendar does not cover: no retry can change either.
        """
        r = req.request
        pack = self._pack(r.procedure) if r.procedure else None
        spec = pack.calendar if pack is not None else CalendarSpec()
        try:
            calendar = load_calendar(spec)
            today = r.as_of or req.at.astimezone(calendar.zone).date()
            quarter = Quarter.parse(r.quarter) if r.quarter else quarter_before(today)
            due_on = due_day(quarter, calendar, r.working_days)
            late_until = calendar.add_working_days(due_on, CATCH_UP_WORKING_DAYS)
        except (InvalidCalendar, CalendarRangeError) as exc:
            raise _permanent(str(exc), "InvalidCalendar") from exc
        key = report_key(r.procedure, quarter.label, list(r.to))
        scope = f"procedure {pack.id}" if pack is not None else "all procedures"
        return QuarterlyReportPlan(
            quarter=quarter.label,
            today=today,
            last_day=last_day(quarter),
            due_on=due_on,
            late_until=late_until,
            due=due_on <= today and (r.quarter is not None or today <= late_until),
            key=key,
            case_reference=f"Quarterly report {quarter.label}",
            scope=scope,
            partnerships=[pack.partnership] if pack is not None else self._partnerships(),
            procedure_title=pack.title if pack is not None else "All procedures",
            timezone=spec.timezone,
            earlier=await self._earlier(key),
        )

    # ------------------------------------------------------------ send

    @activity.defn(name="send_quarterly_report")
    async def send_quarterly_report(self, req: QuarterlyReportSend) -> QuarterlyReportSent:
        """Build the quarter's figures and tracker from the record and email them, once.

        Raises:
            ApplicationError: ``ReportNotBuilt`` (non-retryable) when the figures cannot
                be computed for a reason other than the database being unreachable;
                ``PermanentSmtpError`` as the email activity raises it.
            Exception: database and relay trouble, for Temporal to retry.
        """
        plan, r = req.plan, req.request
        quarter = Quarter.parse(plan.quarter)
        try:
            figures = await quarter_figures(self._sessionmaker, quarter, r.procedure)
            tracker = await tracker_attachment(self._sessionmaker, quarter, r.procedure)
        except DATABASE_ERRORS:
            raise
        except Exception as exc:  # a figure the record cannot give: no retry changes it
            raise _permanent(
                f"quarterly report {plan.quarter} not built: {type(exc).__name__}: {exc}",
                "ReportNotBuilt",
            ) from exc
        mail = report_mail(figures, tracker)
        n = Notification(
            key=plan.key,
            workflow_id=req.workflow_id,
            case_reference=plan.case_reference,
            kind="quarterly_report",
            procedure_title=plan.procedure_title,
            partnership=plan.partnerships[0] if len(plan.partnerships) == 1 else "",
            headline=f"{plan.scope[:1].upper()}{plan.scope[1:]}, {period(quarter)}",
            lines=[f"The quarterly report for {plan.scope}, {period(quarter)}."],
            timezone=plan.timezone,
            to=[Person(role=RECIPIENT_ROLE, name=a, email=a) for a in r.to],
        )
        self._reports[n.key] = mail
        try:
            result: NotificationResult = await self.send_notification(n)
        finally:
            self._reports.pop(n.key, None)
        return QuarterlyReportSent(
            status="already_sent" if result.status == "already_sent" else "sent",
            message_id=result.message_id,
            recipients=result.recipients,
            attachment=mail.attachment.filename,
        )

    def _messages(self, n: Notification, to: list[Person], cc: list[Person]) -> list[Outgoing]:
        mail = self._reports.get(n.key)
        if n.kind != "quarterly_report" or mail is None:
            return super()._messages(n, to, cc)
        msg = report_message(n, self._smtp.mail_from, to, cc, mail)
        return [Outgoing(_flattened(msg), [p.email for p in to + cc])]


def _flattened(msg: EmailMessage) -> EmailMessage:
    """``msg`` once it flattens both ways the relay client may (as ``activities/email.py``)."""
    flatten_message(msg)
    flatten_message(msg, cte_type="7bit")
    return msg
