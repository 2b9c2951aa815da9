"""The QuarterlyReport workflow when the report cannot go: the Business Manager is told.

On the time-skipping server with the real worker, SQLite record and SMTP sink. A
report that cannot be built fails for good (a stand-in for the send activity):
Rutland's Business Manager, from the contact directory, gets an email saying so,
and the run fails rather than end quietly. A report the relay refuses for every
recipient is reported by the email activity itself (once), the run fails, and
the next run does not send it again to the same refused list.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from models.contacts import ContactEntry
from models.quarterly import (
    QuarterlyReportRequest,
    QuarterlyReportResult,
    QuarterlyReportSend,
    QuarterlyReportSent,
)
from records.contacts import upsert_contacts
from starter.smtp_sink import SmtpSink
from worker import create_worker

RUTLAND = "Rutland County Council children's social care (LLR LSCB area)"


@activity.defn(name="send_quarterly_report")
async def send_quarterly_report(req: QuarterlyReportSend) -> QuarterlyReportSent:
    """A report whose figures cannot be computed."""
    raise ApplicationError(
        "a stage the pack no longer has", type="ReportNotBuilt", non_retryable=True
    )


async def _business_manager(db: async_sessionmaker[AsyncSession]) -> str:
    bm = f"bm-{uuid.uuid4().hex[:8]}@rutland.example.org"
    entry = ContactEntry(
        partnership=RUTLAND, agency="", role="business_manager", name="Business Manager", email=bm
    )
    await upsert_contacts(db, [entry])
    return bm


def _request(to: str) -> QuarterlyReportRequest:
    return QuarterlyReportRequest(to=[to], procedure="rutland", as_of=date(2027, 1, 8))


async def _run(
    env: WorkflowEnvironment, queue: str, req: QuarterlyReportRequest
) -> QuarterlyReportResult:
    result: QuarterlyReportResult = await env.client.execute_workflow(
        "QuarterlyReport",
        req,
        id=f"quarterly-report-test-{uuid.uuid4().hex[:8]}",
        task_queue=queue,
        result_type=QuarterlyReportResult,
    )
    return result


async def test_a_report_that_cannot_be_built_is_reported_to_the_business_manager(
    env: WorkflowEnvironment, db: async_sessionmaker[AsyncSession], mail: SmtpSink
) -> None:
    bm = await _business_manager(db)
    queue = f"quarterly-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    req = _request(f"qa-{uuid.uuid4().hex[:8]}@rutland.example.org")
    worker = create_worker(
        env.client, queue, sessionmaker=db, smtp=smtp, stand_ins=[send_quarterly_report]
    )
    async with worker:
        with pytest.raises(WorkflowFailureError) as failed:
            await _run(env, queue, req)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "QuarterlyReportNotSent"
    assert "quarterly report 2026Q4 not sent: a stage the pack no longer has" in cause.message
    [told] = [m for m in mail.messages if m["X-Escalation-Kind"] == "quarterly_report_not_sent"]
    assert str(told["To"]) == f"Business Manager <{bm}>"
    assert str(told["Subject"]).strip() == (
        "[Quarterly report 2026Q4] Not sent: the quarterly report for procedure rutland"
    )
    body = told.get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "due on Friday 8 January 2027, could not be sent to qa-" in text
    assert "Why: ReportNotBuilt: a stage the pack no longer has" in text
    assert [m for m in mail.messages if m["X-Escalation-Kind"] == "quarterly_report"] == []


async def test_a_report_refused_by_the_relay_is_reported_once_and_not_sent_again(
    env: WorkflowEnvironment, db: async_sessionmaker[AsyncSession], mail: SmtpSink
) -> None:
    bm = await _business_manager(db)
    to = f"left-{uuid.uuid4().hex[:8]}@rutland.example.org"
    mail.faults.refused_recipients = {to}
    queue = f"quarterly-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
        with pytest.raises(WorkflowFailureError) as failed:
            await _run(env, queue, _request(to))
        assert "550" in str(failed.value.cause)
        again = await _run(env, queue, _request(to))
    assert again.status == "failed_earlier"
    [told] = [m for m in mail.messages if m["X-Escalation-Kind"] == "delivery_failed"]
    assert str(told["To"]) == f"Business Manager <{bm}>"
    assert "quarterly_report" in str(told["Subject"])
    assert [m for m in mail.messages if m["X-Escalation-Kind"] != "delivery_failed"] == []
