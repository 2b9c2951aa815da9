"""The client SDK for practice alerts: raise one, respond, finalise, ask its status.

Everything is checked before anything starts: a bad request (unknown reason
code, a start stage the alert may not start at, a raiser who may not raise
alerts) raises :class:`~starter.sdk.InvalidRequest` naming each field and reason,
and no workflow is started, so no row is written and no email sent. Decisions go
as Updates by default, so the caller learns whether the workflow accepted them;
``acknowledged=False`` sends the fire-and-forget signal instead. A calendar change
(closure days announced while the alert runs) goes as the ``change_calendar``
Update and answers with what moved.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle

from models.alerts import (
    AlertReceipt,
    AlertResponse,
    Finalise,
    NotSatisfied,
    PracticeAlertStatus,
    StartPracticeAlert,
)
from packs import PACK_DIR, PackError, load_pack
from records.briefing import briefing
from starter.sdk_base import (
    EscalationError,
    WorkflowClient,
    check_request,
    parse_request,
)
from workflows.alert_case import alert_workflow_id
from workflows.alert_rules import validate_start
from workflows.practice_alert import PracticeAlertWorkflow


class DuplicateAlert(EscalationError):
    """An alert with this id already exists (open or finalised)."""


def parse_alert(data: StartPracticeAlert | dict[str, Any]) -> StartPracticeAlert:
    """Validate a start payload, raising InvalidRequest with every field error."""
    return parse_request(StartPracticeAlert, data)


def check_alert(
    req: StartPracticeAlert, now: datetime | None = None, pack_dir: Path = PACK_DIR
) -> StartPracticeAlert:
    """Check a parsed request against its procedure; give it an alert id if it has none."""
    return check_request(req, validate_start, "alert_id", now, pack_dir)


class PracticeAlertClient(WorkflowClient[PracticeAlertStatus, AlertReceipt]):
    """Raise practice alerts and record responses and the chair's decisions on them."""

    receipt = AlertReceipt
    noun: ClassVar[str] = "alert"
    finished: ClassVar[str] = "is finalised; no further decisions are accepted"

    def serious_stages(self, procedure: str) -> list[tuple[str, str]]:
        """The stages (id, title) a serious or urgent alert may jump to under ``procedure``."""
        try:
            spec = load_pack(procedure, self._pack_dir).practice_alerts
        except (PackError, LookupError):
            return []
        if spec is None:
            return []
        titles = {s.id: s.title for s in spec.stages}
        return [(sid, titles.get(sid, sid)) for sid in spec.serious_start_stages]

    async def raise_alert(
        self, request: StartPracticeAlert | dict[str, Any], *, now: datetime | None = None
    ) -> str:
        """Start the alert's workflow and return its workflow id.

        Raises:
            InvalidRequest: the request is malformed or does not fit the procedure.
            DuplicateAlert: an alert with the same id exists.
        """
        req = check_alert(parse_alert(request), await self._now(now), self._pack_dir)
        assert req.alert_id is not None
        workflow_id = alert_workflow_id(req.case_reference, req.alert_id)
        duplicate = DuplicateAlert(
            f"alert_id: an alert '{workflow_id}' already exists; use a new alert_id for a "
            "new alert about this case"
        )
        summary = f"{req.procedure} practice alert {req.reason_code}: case {req.case_reference}"
        return await self._start(PracticeAlertWorkflow.run, req, workflow_id, summary, duplicate)

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, PracticeAlertStatus]:
        """The Temporal handle of an alert; its result is the final status."""
        return self.client.get_workflow_handle_for(PracticeAlertWorkflow.run, workflow_id)

    async def status(self, workflow_id: str) -> PracticeAlertStatus:
        """Query the alert's current status (also once it is finalised)."""
        return await self.handle(workflow_id).query(PracticeAlertWorkflow.status)

    async def respond(
        self, workflow_id: str, decision: AlertResponse, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """Add a manager's response to the alert's case note."""
        return await self._decide(workflow_id, "respond", "alert_response", decision, acknowledged)

    async def finalise(
        self, workflow_id: str, decision: Finalise, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """Finalise the alert: only its raiser (``by`` = their email), once a response exists."""
        return await self._decide(workflow_id, "finalise", "finalised", decision, acknowledged)

    async def not_satisfied(
        self, workflow_id: str, decision: NotSatisfied, *, acknowledged: bool = True
    ) -> AlertReceipt | None:
        """The raiser is not satisfied with the response: the alert goes up a stage."""
        return await self._decide(workflow_id, "escalate", "not_satisfied", decision, acknowledged)

    @staticmethod
    async def brief(
        sessionmaker: async_sessionmaker[AsyncSession], case_reference: str, since: date
    ) -> list[str]:
        """The case's practice alerts since ``since``, in sentences for a conference chair.

        Read from the records database, not from Temporal (a finalised alert's
        history may be gone by the next conference), so it needs no client:
        ``PracticeAlertClient.brief(sessionmaker, "CR-...", date(2026, 12, 1))``.
        Alerts raised, responded to, escalated or finalised since that day (its
        local midnight); an empty list when nothing happened. The case is named by
        its reference only.
        """
        return await briefing(sessionmaker, case_reference, since)
