"""A practice alert's state and views: what every part of the PracticeAlert workflow shares.

``AlertCore`` holds the alert (pack, stages, the single case note, deadlines), hands it
over on continue-as-new (``AlertCarry``), queues its record rows and emails, and
answers with its views (status, receipts, search attributes). The inbox, recorder,
mail and calendar-change plumbing every case shares is in ``workflows.kernel``; the
stage steps in ``workflows.alert_stages``; the workflow in ``workflows.practice_alert``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from models.alerts import (
        AlertCarry,
        AlertDecision,
        AlertReceipt,
        AlertRecord,
        AlertRecordBatch,
        AlertStageStatus,
        AlertState,
        AlertStepRecord,
        CaseNoteEntry,
        PracticeAlertStatus,
        StartPracticeAlert,
    )
    from models.calendar import (
        DeadlinePlan,
    )
    from models.common import Person
    from models.notifications import NotificationKind
    from models.pack import AlertStageSpec, PracticeAlertSpec
    from workflows import steps
    from workflows.alert_rules import (
        AlertDecisionKind,
        reason_title,
    )
    from workflows.kernel import CaseKernel
    from workflows.search_attributes import alert_attribute_updates, alert_current_details

WORKFLOW_ID_PREFIX = "alert"


def alert_workflow_id(case_reference: str, alert_id: str) -> str:
    """The workflow id of an alert: pseudonymous case reference plus the alert's suffix."""
    return f"{WORKFLOW_ID_PREFIX}-{case_reference}-{alert_id}"


class AlertCore(CaseKernel[StartPracticeAlert, AlertDecisionKind, AlertDecision, AlertReceipt]):
    """The alert's state, its hand-over, its rows and emails, and its views."""

    ROW = AlertStepRecord
    OPENED = AlertRecord

    def __init__(self, req: StartPracticeAlert, start_error: str | None) -> None:
        self._init_kernel(req, start_error)
        self._spec: PracticeAlertSpec | None = None
        self._state: AlertState = "open"
        self._raised_at: datetime | None = None
        self._current: AlertStageSpec | None = None
        self._plan: DeadlinePlan | None = None
        self._overdue_sent = False
        self._stages: list[AlertStageStatus] = []
        self._note: list[CaseNoteEntry] = []
        self._finalised_at: datetime | None = None
        self._finalised_by: str | None = None
        if req.continued is not None:
            self._restore(req.continued)

    # ------------------------------------------------------ continue as new

    def _restore(self, c: AlertCarry) -> None:
        """Take up the state the previous run handed over."""
        self._restore_kernel(c)
        self._pack, self._spec = c.pack, c.pack.practice_alerts
        self._state, self._raised_at = c.state, c.raised_at
        stages = self._spec.stages if self._spec else []
        self._current = next((s for s in stages if s.id == c.current), None)
        self._plan, self._reminders, self._overdue_sent = c.plan, list(c.reminders), c.overdue_sent
        self._stages, self._note = list(c.stages), list(c.note)
        self._finalised_at, self._finalised_by = c.finalised_at, c.finalised_by

    def _carry(self) -> AlertCarry:
        """The whole state, for the next run: what is unwritten and unsent included."""
        kernel = self._carried()
        assert self._raised_at is not None
        return AlertCarry(
            **kernel,
            pack=self._pack_(),
            state=self._state,
            raised_at=self._raised_at,
            plan=self._plan,
            reminders=self._reminders,
            overdue_sent=self._overdue_sent,
            stages=self._stages,
            note=self._note,
            finalised_at=self._finalised_at,
            finalised_by=self._finalised_by,
        )

    def _stage_id(self) -> str | None:
        return self._current.id if self._current else None

    # ------------------------------------------------------ side effects

    def _add_note(
        self,
        kind: str,
        stage: str | None,
        by: str,
        text: str,
        at: datetime,
        in_time: bool | None = None,
    ) -> None:
        entry = CaseNoteEntry.model_validate(
            {"kind": kind, "stage": stage, "by": by, "text": text, "at": at, "in_time": in_time}
        )
        self._note.append(entry)

    async def _write_rows(self, batch: list[Any]) -> None:
        alert, rows = self._split(batch)
        await record_alert_steps(AlertRecordBatch(alert=alert, steps=rows))

    def _notify(
        self,
        kind: NotificationKind,
        headline: str,
        to: list[Person],
        cc: list[Person],
        lines: list[str],
        due_at: datetime | None = None,
    ) -> None:
        """Send an email beside the timeline; a failure is recorded, never fatal."""
        spec = self._spec_()
        to = list({p.email.casefold(): p for p in to}.values())
        seen = {p.email.casefold() for p in to}
        cc = [
            p
            for p in {p.email.casefold(): p for p in cc}.values()
            if p.email.casefold() not in seen
        ]
        # The stage whose response the email asks for (its 'to' people get decision links);
        # only an input of the email activity changes, so histories replay as before.
        asks = self._current is not None and self._state == "open"
        stage = self._current
        # Only the stage's holders respond, so only they get a link; a missed response is
        # the raising chair's to decide on, so the overdue notice links the chair alone.
        deciders = list(stage.holders) if asks and stage else []
        self._mail_out(
            kind,
            headline,
            lines,
            due_at,
            to,
            cc,
            workflow_type="PracticeAlert",
            procedure_title=spec.title,
            stage_title=stage.title if stage else None,
            stage_id=stage.id if asks and stage is not None else None,
            decider_roles=[self._req.raised_by.role] if kind == "overdue" else deciders,
        )

    # ------------------------------------------------------------- views

    def _spec_(self) -> PracticeAlertSpec:
        assert self._spec is not None, "pack not loaded yet"
        return self._spec

    def _current_(self) -> AlertStageSpec:
        assert self._current is not None, "no stage entered yet"
        return self._current

    def _plan_(self) -> DeadlinePlan:
        assert self._plan is not None, "no stage entered yet"
        return self._plan

    def _people(self, roles: list[str]) -> list[Person]:
        return [p for r in dict.fromkeys(roles) if (p := self._req.person(r)) is not None]

    def _reason_title(self) -> str:
        spec = self._spec
        title = reason_title(spec, self._req.reason_code) if spec else None
        return title or self._req.reason_code

    def _alert_text(self) -> str:
        req = self._req
        return (
            f"Reason: {self._reason_title()} ({req.reason_code}). {req.description} "
            f"Agreed action: {req.agreed_action}"
        )

    def _alert_lines(self) -> list[str]:
        req = self._req
        return [
            f"Case reference: {req.case_reference}.",
            f"Reason: {self._reason_title()} (code {req.reason_code}).",
            f"Description: {req.description}",
            f"Agreed action: {req.agreed_action}",
        ]

    def _alert_record(self, first: AlertStageSpec) -> AlertRecord:
        req, pack = self._req, self._pack_()
        assert self._raised_at is not None
        return AlertRecord(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=pack.id,
            reason_code=req.reason_code,
            reason_title=self._reason_title(),
            description=req.description,
            agreed_action=req.agreed_action,
            raised_by=req.raised_by.name,
            raised_by_email=req.raised_by.email,
            raised_at=self._raised_at,
            start_stage=first.id,
            serious_or_urgent=req.serious_or_urgent,
            current_stage=first.id,
        )

    def _receipt(self, message: str) -> AlertReceipt:
        due = self._plan.due_at if self._state == "open" and self._plan else None
        stage = self._current.id if self._current else None
        return AlertReceipt(state=self._state, stage=stage, message=message, due_at=due)

    def _status(self) -> PracticeAlertStatus:
        req, current = self._req, self._current
        wid = workflow.info().workflow_id
        prefix = f"{WORKFLOW_ID_PREFIX}-{req.case_reference}-"
        live = self._state != "finalised"
        return PracticeAlertStatus(
            workflow_id=wid,
            alert_id=wid[len(prefix) :] if wid.startswith(prefix) else wid,
            case_reference=req.case_reference,
            procedure=req.procedure,
            title=self._spec.title if self._spec else req.procedure,
            reason_code=req.reason_code,
            reason_title=self._reason_title(),
            state=self._state,
            current_stage=current.id if current and live else None,
            current_stage_title=current.title if current and live else None,
            due_at=self._plan.due_at if self._plan and self._state == "open" else None,
            serious_or_urgent=req.serious_or_urgent,
            start_stage=self._stages[0].stage_id if self._stages else req.start_stage,
            raised_by=req.raised_by.name,
            raised_at=self._raised_at,
            stages=[s.model_copy() for s in self._stages],
            case_note=[e.model_copy() for e in self._note],
            finalised_at=self._finalised_at,
            finalised_by=self._finalised_by,
            rejected_inputs=list(self._refusals.kept),
            rejected_inputs_total=self._refusals.total,
            notification_failures=list(self._failures),
            deadline_changes=[c.model_copy() for c in self._changes],
        )

    def _opened(self) -> bool:
        return self._current is not None

    def _final(self) -> bool:
        return self._state == "finalised"

    def _attributes(self, status: PracticeAlertStatus) -> list[SearchAttributeUpdate[Any]]:
        return alert_attribute_updates(status, workflow.now(), self._pack_().partnership)

    def _details(self, status: PracticeAlertStatus) -> str:
        return alert_current_details(
            status, self._pack_().calendar.timezone, len(self._spec_().stages)
        )


async def record_alert_steps(batch: AlertRecordBatch) -> None:
    """Write the rows queued since the last write, in one transaction (each idempotent by key)."""
    parts = [f"alert {s.kind}" + (f" at {s.stage_id}" if s.stage_id else "") for s in batch.steps]
    if batch.alert is not None:
        parts.insert(0, f"practice alert about case {batch.alert.case_reference} raised")
    await steps.write_records("record_alert_steps", batch, parts)
