"""The QuarterlyReport workflow: send the quarter's report on its due day, once, or say why not.

Started every morning by a ``quarterly-report-<procedure|all>`` Schedule
(``escalation report schedule``). Temporal schedules know calendar days, not
working days, so the workflow decides: the ``plan_quarterly_report`` activity
works out the quarter that ended last, its due day (N working days after, on the
procedure's calendar) and whether the outbox already holds the report. Before
the due day the run answers ``not_due``; on it, or on a later morning until it
has gone (a relay that was down, a worker that was stopped; up to ten working
days late, ``activities/quarterly.py``), ``send_quarterly_report`` builds and
sends it; once sent, every later run answers ``already_sent`` without building
anything, and after the catch-up days ``too_late`` if it never went.

The day a run stands for is the schedule's scheduled time (the
``TemporalScheduledStartTime`` search attribute the schedule sets on the runs it
starts; for a triggered run, the moment of the trigger), read from the
workflow's info, which is recorded, so no clock is read here. A run started by
hand has no such attribute and stands for its own start (``workflow.now()``).
``QuarterlyReportRequest.as_of`` overrides the day (tests, a run put right by hand).

A report that cannot be built or sent is retried by the activity's retry policy
and, when that gives up (or the failure is permanent), each concerned
partnership's Business Manager is told, through the contact directory, and the
run fails: never skipped silently, and the next morning's run tries again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.notifications import Notification
    from models.quarterly import (
        QuarterlyReportPlan,
        QuarterlyReportPlanRequest,
        QuarterlyReportRequest,
        QuarterlyReportResult,
        QuarterlyReportSend,
        QuarterlyReportSent,
    )

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
"""Set by a Schedule on the runs it starts: the time the run was scheduled for."""
BUSINESS_MANAGER = "partnership.business_manager"

PLAN = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["UnknownProcedure", "InvalidCalendar"],
)
SEND = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["PermanentSmtpError", "ReportNotBuilt"],
)
"""The record or the relay away: retried for up to two hours (``SEND_WITHIN``)."""
SEND_WITHIN = timedelta(hours=2)
MAIL = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["PermanentSmtpError"],
)


def _run_time() -> datetime:
    """The moment this run stands for: the schedule's scheduled time, else its own start."""
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled if scheduled is not None else workflow.now()


def _why(exc: ActivityError) -> tuple[str, str]:
    """The failure's type and message, as the activity raised them."""
    cause = exc.cause
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        return cause.type or "", cause.message
    return type(cause).__name__ if cause else "", str(cause or exc)


def _next_step(reason: str, quarter: str) -> str:
    if reason.startswith("PermanentSmtpError"):
        return (
            "The mail relay refused it for good, so it is not tried again for these "
            "recipients: correct them with `escalation report schedule --to ...` and the next "
            f"morning's run sends it. `escalation report --quarter {quarter}` prints it now."
        )
    return (
        "The schedule tries again every morning (up to ten working days after the due day) "
        "until it is sent. "
        f"`escalation report --quarter {quarter}` prints it now."
    )


@workflow.defn(name="QuarterlyReport")
class QuarterlyReportWorkflow:
    """One run of the quarterly-report schedule."""

    @workflow.run
    async def run(self, req: QuarterlyReportRequest) -> QuarterlyReportResult:
        """Plan; if due and not sent yet, send; if sending fails, tell the Business Manager."""
        plan: QuarterlyReportPlan = await workflow.execute_activity(
            "plan_quarterly_report",
            QuarterlyReportPlanRequest(request=req, at=_run_time()),
            result_type=QuarterlyReportPlan,
            summary="Which quarter, when is its report due, has it gone?",
            start_to_close_timeout=timedelta(minutes=1),
            schedule_to_close_timeout=timedelta(minutes=30),
            retry_policy=PLAN,
        )
        answer = QuarterlyReportResult(
            status="not_due", quarter=plan.quarter, today=plan.today, due_on=plan.due_on
        )
        if not plan.due:
            late = plan.today > plan.due_on
            return answer.model_copy(update={"status": "too_late"}) if late else answer
        if plan.earlier == "sent":
            return answer.model_copy(update={"status": "already_sent"})
        if plan.earlier == "failed":  # refused for good earlier; the BM was told then
            return answer.model_copy(update={"status": "failed_earlier"})
        send = QuarterlyReportSend(request=req, plan=plan, workflow_id=workflow.info().workflow_id)
        try:
            sent: QuarterlyReportSent = await workflow.execute_activity(
                "send_quarterly_report",
                send,
                result_type=QuarterlyReportSent,
                summary=f"Build and email the quarterly report {plan.quarter}",
                start_to_close_timeout=timedelta(minutes=5),
                schedule_to_close_timeout=SEND_WITHIN,
                retry_policy=SEND,
            )
        except ActivityError as exc:
            kind, message = _why(exc)
            # A refusal of the report itself was already reported by the email activity to
            # the one partnership it names; otherwise each partnership concerned is told here.
            if not (kind == "PermanentSmtpError" and len(plan.partnerships) == 1):
                await self._tell_business_managers(plan, req, f"{kind}: {message}")
            raise ApplicationError(
                f"quarterly report {plan.quarter} not sent: {message}",
                type="QuarterlyReportNotSent",
                non_retryable=True,
            ) from exc
        return answer.model_copy(
            update={
                "status": sent.status,
                "recipients": sent.recipients,
                "attachment": sent.attachment,
                "message_id": sent.message_id,
            }
        )

    async def _tell_business_managers(
        self, plan: QuarterlyReportPlan, req: QuarterlyReportRequest, reason: str
    ) -> None:
        """One email per partnership concerned, keyed by the report: told once per quarter."""
        for partnership in plan.partnerships:
            tag = hashlib.sha256(partnership.encode()).hexdigest()[:8]
            notice = Notification(
                key=f"{plan.key}/not-sent/{tag}",
                workflow_id=workflow.info().workflow_id,
                case_reference=plan.case_reference,
                kind="quarterly_report_not_sent",
                procedure_title=plan.procedure_title,
                partnership=partnership,
                headline=f"Not sent: the quarterly report for {plan.scope}",
                lines=[
                    f"The quarterly report {plan.quarter} for {plan.scope}, due on "
                    f"{plan.due_on:%A} {plan.due_on.day} {plan.due_on:%B %Y}, could not be "
                    f"sent to {', '.join(req.to)}.",
                    f"Why: {reason}",
                    _next_step(reason, plan.quarter),
                ],
                timezone=plan.timezone,
                to=[],
                unfilled_to=[BUSINESS_MANAGER],
            )
            try:
                await workflow.execute_activity(
                    "send_notification",
                    notice,
                    summary=f"Email: quarterly report {plan.quarter} not sent"[:200],
                    start_to_close_timeout=timedelta(seconds=60),
                    schedule_to_close_timeout=timedelta(minutes=30),
                    retry_policy=MAIL,
                )
            except ActivityError as exc:
                workflow.logger.error(
                    "Business Manager of %s not told report %s failed: %s",
                    partnership,
                    plan.quarter,
                    _why(exc)[1],
                )
