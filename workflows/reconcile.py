"""The Reconcile workflow: notice the cases Temporal stopped, tell each Business Manager once.

Started every 15 minutes by the ``escalation-reconcile`` Schedule (``escalation
setup``) and on demand by ``escalation reconcile``. One activity compares the
record with Temporal and marks the stopped cases; each is then reported by the
ordinary email activity, keyed by the case, so however many runs see it the
Business Manager gets one email. The run is short: an email the relay will not
take within a few minutes is left ``pending`` on its outbox row and the next run
sends it, rather than this run holding the schedule up for days.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.notifications import NotificationResult
    from models.reconcile import (
        ReconciledCase,
        ReconcileFindings,
        ReconcileReport,
        ReconcileRequest,
        StoppedCase,
    )

FIND = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(seconds=30))
"""The record or the frontend away: try again within the run."""

MAIL = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["PermanentSmtpError"],
)
"""As the cases' emails: a refusal is permanent, relay trouble is retried (for minutes here)."""


@workflow.defn(name="Reconcile")
class ReconcileWorkflow:
    """Compare the record with Temporal once; answer what was found and who was told."""

    @workflow.run
    async def run(self, req: ReconcileRequest) -> ReconcileReport:
        """Find and mark the stopped cases, then send each one's email."""
        found: ReconcileFindings = await workflow.execute_activity(
            "find_stopped_cases",
            req,
            result_type=ReconcileFindings,
            summary="Compare the open cases in the record with Temporal",
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=FIND,
        )
        cases = [await self._tell(case) for case in found.stopped]
        return ReconcileReport(checked=found.checked, cases=cases)

    async def _tell(self, case: StoppedCase) -> ReconciledCase:
        try:
            result: NotificationResult = await workflow.execute_activity(
                "send_notification",
                case.notification,
                result_type=NotificationResult,
                summary=f"Email: case {case.case_reference} stopped"[:200],
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(minutes=5),
                retry_policy=MAIL,
            )
        except ActivityError as exc:
            cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc)
            return ReconciledCase(case=case, email="failed", error=cause or str(exc))
        return ReconciledCase(case=case, email=result.status, told=result.recipients)
