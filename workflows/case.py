"""The disagreement's state and views: what every part of the Disagreement workflow shares.

``CaseCore`` holds the case (pack, ladder, stages, deadlines), hands it over on
continue-as-new (``models/carry.py``), queues its record rows and emails, and answers
with its views (status, receipts, search attributes). The inbox, recorder, mail and
calendar-change plumbing every case shares is in ``workflows.kernel``; the stage steps
in ``workflows.stages``; the conference loop, agreements, milestones and calendar
re-projection in their own modules; the workflow itself in ``workflows.disagreement``.
Deterministic like all workflow code: time from ``workflow.now()``, everything else
from activities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from models.calendar import DeadlinePlan
    from models.carry import CaseCarry
    from models.decisions import (
        ConferenceReconvened,
        Decision,
        DecisionReceipt,
        Resolved,
    )
    from models.notifications import NotificationKind
    from models.pack import Figure, LadderSpec, StageSpec
    from models.records import DisagreementRecord, RecordBatch, StepRecord
    from models.start import StartDisagreement
    from models.status import (
        CaseState,
        DisagreementStatus,
        LearningItem,
        StageStatus,
    )
    from workflows import steps
    from workflows.kernel import CaseKernel
    from workflows.ladder import DecisionKind, Position, check_decision
    from workflows.search_attributes import attribute_updates, current_details

UNAGREED = "no timescale yet: agreed on the case (agree_timescale)"
"""A per-case stage's basis before its holders agree one."""


class CaseCore(CaseKernel[StartDisagreement, DecisionKind, Decision, DecisionReceipt]):
    """The case's state and the steps every part of the workflow takes."""

    ROW = StepRecord
    OPENED = DisagreementRecord

    def __init__(self, req: StartDisagreement, start_error: str | None) -> None:
        self._init_kernel(req, start_error)
        self._ladder: LadderSpec | None = None
        self._state: CaseState = "open"
        self._stages: list[StageStatus] = []
        self._current: StageSpec | None = None
        self._plan: DeadlinePlan | None = None
        self._overdue_sent = False
        self._child_cap = req.child_timescale_working_days
        self._immediate_risk = req.immediate_risk
        self._raised_at: datetime | None = None
        self._raise_due_at: datetime | None = None
        self._raised_late = False
        self._outcome: Resolved | None = None
        self._resolved_at: datetime | None = None
        self._confirmation: DeadlinePlan | None = None
        self._confirmation_late = False
        self._confirmed_at: datetime | None = None
        self._not_after: datetime | None = None
        self._adjourned = False
        self._interim: str | None = None
        self._reconvene_due: datetime | None = None
        self._breached = False
        self._conference_outcome: ConferenceReconvened | None = None
        self._reports: DeadlinePlan | None = None
        self._reports_reminder: datetime | None = None
        self._learning: list[LearningItem] = []
        self._agreed: Figure | None = None
        self._milestone_reminders: list[tuple[str, datetime]] = []
        if req.continued is not None:
            self._restore(req.continued)

    # ------------------------------------------------------ continue as new

    def _restore(self, c: CaseCarry) -> None:
        """Take up the state the previous run handed over (``models/carry.py``)."""
        self._restore_kernel(c)
        self._pack, self._ladder = c.pack, c.pack.ladder(c.ladder)
        self._state, self._stages = c.state, list(c.stages)
        self._current = next((s for s in self._ladder.stages if s.id == c.current), None)
        self._plan, self._reminders, self._overdue_sent = c.plan, list(c.reminders), c.overdue_sent
        self._child_cap, self._immediate_risk = c.child_cap, c.immediate_risk
        self._raised_at, self._raise_due_at, self._raised_late = (
            c.raised_at,
            c.raise_due_at,
            c.raised_late,
        )
        self._outcome, self._resolved_at = c.outcome, c.resolved_at
        self._confirmation, self._confirmation_late = c.confirmation, c.confirmation_late
        self._confirmed_at, self._not_after = c.confirmed_at, c.not_after
        self._adjourned, self._interim = c.adjourned, c.interim
        self._reconvene_due, self._breached = c.reconvene_due, c.breached
        self._conference_outcome = c.conference_outcome
        self._reports, self._reports_reminder = c.reports, c.reports_reminder
        self._learning = list(c.learning)
        self._agreed = c.agreed
        self._milestone_reminders = list(c.milestone_reminders)

    def _carry(self) -> CaseCarry:
        """The whole state, for the next run: what is unwritten and unsent included."""
        kernel = self._carried()
        assert self._raised_at is not None
        return CaseCarry(
            **kernel,
            pack=self._pack_(),
            ladder=self._ladder_().id,
            state=self._state,
            stages=self._stages,
            plan=self._plan,
            reminders=self._reminders,
            overdue_sent=self._overdue_sent,
            child_cap=self._child_cap,
            immediate_risk=self._immediate_risk,
            raised_at=self._raised_at,
            raise_due_at=self._raise_due_at,
            raised_late=self._raised_late,
            outcome=self._outcome,
            resolved_at=self._resolved_at,
            confirmation=self._confirmation,
            confirmation_late=self._confirmation_late,
            confirmed_at=self._confirmed_at,
            not_after=self._not_after,
            adjourned=self._adjourned,
            interim=self._interim,
            reconvene_due=self._reconvene_due,
            breached=self._breached,
            conference_outcome=self._conference_outcome,
            reports=self._reports,
            reports_reminder=self._reports_reminder,
            learning=self._learning,
            agreed=self._agreed,
            milestone_reminders=self._milestone_reminders,
        )

    async def _write_rows(self, batch: list[Any]) -> None:
        disagreement, rows = self._split(batch)
        await steps.record_steps(RecordBatch(disagreement=disagreement, steps=rows))

    def _notify(
        self,
        kind: NotificationKind,
        headline: str,
        to_roles: list[str],
        cc_roles: list[str],
        lines: list[str],
        due_at: datetime | None = None,
    ) -> None:
        """Send an email beside the timeline; a failure is recorded, never fatal."""
        pack = self._pack_()
        to = [p for r in dict.fromkeys(to_roles) if (p := self._req.person(r)) is not None]
        cc = [
            p
            for r in dict.fromkeys(cc_roles)
            if r not in to_roles and (p := self._req.person(r)) is not None
        ]
        missing = [r for r in dict.fromkeys(to_roles) if self._req.person(r) is None]
        if missing:
            self._failures.append(f"{kind}: nobody named for {', '.join(missing)}")
        # Roles with nobody named go by reference: the email activity looks them up in the
        # partnership's contact directory (by agency for a side's role).
        unfilled_cc = [
            r for r in dict.fromkeys(cc_roles) if r not in to_roles and self._req.person(r) is None
        ]
        stage = self._current
        # The stage a decision link is for: the open stage's decision (not while an
        # adjourned conference waits for 'conference_reconvened'), or the confirmation.
        asks = stage is not None and (
            (self._state == "open" and not self._adjourned)
            or kind in ("resolved", "confirmation_due", "confirmation_late")
        )
        self._mail_out(
            kind,
            headline,
            lines,
            due_at,
            to,
            cc,
            procedure_title=pack.title,
            stage_title=stage.title if stage else None,
            stage_id=stage.id if stage is not None and asks else None,
            decider_roles=self._deciders(stage) if stage is not None and asks else [],
            unfilled_to=missing,
            unfilled_cc=unfilled_cc,
            raising_agency=self._req.raising_agency,
            receiving_agency=self._req.receiving_agency,
            business_manager=self._req.person("partnership.business_manager"),
        )

    def _deciders(self, stage: StageSpec) -> list[str]:
        """Who decides what a link in this email is for: only they get one.

        The stage's holders while it is open; the confirmer once it is resolved. An
        overdue notice goes *to* the Business Manager with the holders copied: the
        holders still decide, so the links are theirs.
        """
        if self._state == "resolved":
            return [stage.confirmer or stage.holders[-1]]
        return list(stage.holders)

    # ------------------------------------------------------------- views

    def _opened(self) -> bool:
        return self._ladder is not None

    def _final(self) -> bool:
        return self._state == "closed"

    def _attributes(self, status: DisagreementStatus) -> list[SearchAttributeUpdate[Any]]:
        return attribute_updates(status, workflow.now())

    def _details(self, status: DisagreementStatus) -> str:
        return current_details(status, self._pack_().calendar.timezone, len(self._ladder_().stages))

    def _ladder_(self) -> LadderSpec:
        assert self._ladder is not None, "ladder not chosen yet"
        return self._ladder

    def _stage_id(self) -> str | None:
        return self._current.id if self._current is not None else None

    def _raising_side(self, stage: StageSpec) -> list[str]:
        return [r for r in stage.holders + stage.copied if r.startswith("raising.")]

    def _disagreement_record(self) -> DisagreementRecord:
        req, pack = self._req, self._pack_()
        assert self._raised_at is not None
        return DisagreementRecord(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=pack.id,
            ladder=self._ladder_().id,
            partnership=pack.partnership,
            raising_agency=req.raising_agency,
            receiving_agency=req.receiving_agency,
            nature=req.nature,
            risk_to_child=req.risk_to_child,
            aim=req.aim,
            raised_at=self._raised_at,
            raised_late=self._raised_late,
            immediate_risk=req.immediate_risk,
        )

    def _receipt(self, message: str) -> DecisionReceipt:
        due = (
            self._confirmation.due_at if self._state == "resolved" and self._confirmation else None
        )
        if self._state == "open" and self._plan is not None:
            due = self._plan.due_at
        return DecisionReceipt(
            state=self._state, stage=self._stage_id(), message=message, due_at=due
        )

    def _status(self) -> DisagreementStatus:
        req, pack = self._req, self._pack
        first_contact = self._stages[0].first_contact_due_at if self._stages else None
        return DisagreementStatus(
            workflow_id=workflow.info().workflow_id,
            case_reference=req.case_reference,
            procedure=req.procedure,
            procedure_title=pack.title if pack else req.procedure,
            partnership=pack.partnership if pack else "",
            ladder=self._ladder.id if self._ladder else (req.ladder or ""),
            state=self._state,
            current_stage=self._stage_id() if self._state == "open" else None,
            current_stage_title=self._current.title
            if self._current and self._state == "open"
            else None,
            stages=[s.model_copy() for s in self._stages],
            raised_at=self._raised_at or workflow.now(),
            raise_due_at=self._raise_due_at,
            raised_late=self._raised_late,
            first_contact_due_at=first_contact,
            immediate_risk=self._immediate_risk,
            child_timescale_working_days=self._child_cap,
            outcome=self._outcome.outcome if self._outcome else None,
            resolved_at=self._resolved_at,
            resolved_by=self._outcome.by if self._outcome else None,
            confirmation_due_at=self._confirmation.due_at if self._confirmation else None,
            confirmed_at=self._confirmed_at,
            confirmation_late=self._confirmation_late,
            deadline_changes=list(self._changes),
            conference=req.conference,
            conference_reports_due_at=self._reports.due_at if self._reports else None,
            interim_position=self._interim,
            reconvene_due_at=self._reconvene_due,
            adjournment_breached=self._breached,
            conference_outcome=(
                self._conference_outcome.outcome if self._conference_outcome else None
            ),
            learning_items=[item.model_copy() for item in self._learning],
            rejected_inputs=list(self._refusals.kept),
            rejected_inputs_total=self._refusals.total,
            notification_failures=list(self._failures),
            decisions=self._open_decisions(),
        )

    def _open_decisions(self) -> list[Literal["resolved", "unresolved"]]:
        """Which of resolved/unresolved the case would accept now, by its own rule.

        The decision page offers exactly these, so a person is never offered a
        button the workflow then refuses (e.g. "unresolved" at the last stage).
        """
        if self._state != "open" or self._ladder is None:
            return []
        position = Position(self._state, self._stage_id(), adjourned=self._adjourned)
        kinds: tuple[Literal["resolved", "unresolved"], ...] = ("resolved", "unresolved")
        return [k for k in kinds if check_decision(k, position, self._ladder, None) is None]
